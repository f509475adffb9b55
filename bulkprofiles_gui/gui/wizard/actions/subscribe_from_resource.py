"""Add subscription, source = resource: copy the contact of each profile's
subscription to resource A onto a new subscription to resource B, on the
channels configured in both."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from ....core import catalog
from ....core.catalog import ResourceInfo
from ....core.fields import CHANNELS, Status
from ....core.store import Store
from ..context import WizardContext
from .base import (
    FORM_FIELD_WIDTH,
    ActionPage,
    ChoiceCombo,
    UnsafeStatusesOption,
    channel_label,
    missing_resource,
    resource_choices,
    status_combo,
    unknown_status,
)


class ChannelChecklist(QListWidget):
    """Checkable channels; a channel a job asks for that is not offered stays
    listed (unchecked-able, marked) so the page can say so.

    The ticks are the operator's: a channel ticked, then gone from the list
    (another resource chosen), is ticked again when it comes back.
    """

    checked_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedWidth(FORM_FIELD_WIDTH)
        self.setUniformItemSizes(True)
        self.setSpacing(2)
        #: Every channel the operator ticked and has not unticked since.
        self._ticked: set[str] = set()
        self.itemChanged.connect(self._on_item_changed)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        channel = item.data(Qt.ItemDataRole.UserRole)
        if item.checkState() == Qt.CheckState.Checked:
            self._ticked.add(channel)
        else:
            self._ticked.discard(channel)
        self.checked_changed.emit()

    def set_channels(self, channels: list[str]) -> None:
        checked = self._ticked | set(self.checked())
        self.blockSignals(True)
        try:
            self.clear()
            for channel in channels:
                item = QListWidgetItem(channel_label(channel))
                item.setData(Qt.ItemDataRole.UserRole, channel)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(
                    Qt.CheckState.Checked if channel in checked else Qt.CheckState.Unchecked
                )
                self.addItem(item)
        finally:
            self.blockSignals(False)
        self._fit_height()
        self.checked_changed.emit()

    def _fit_height(self) -> None:
        rows = max(self.count(), 1)
        row = self.sizeHintForRow(0) if self.count() else self.fontMetrics().height()
        row += 2 * self.spacing()
        self.setFixedHeight(min(rows, 7) * row + 2 * self.frameWidth() + 2)

    def channels(self) -> list[str]:
        return [self.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.count())]

    def checked(self) -> list[str]:
        """The checked channels, in the order of the list."""
        return [
            self.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.count())
            if self.item(i).checkState() == Qt.CheckState.Checked
        ]

    def set_checked(self, channels: list[str]) -> list[str]:
        """Check exactly ``channels``; returns those that are not offered."""
        wanted = set(channels)
        self._ticked = set(wanted)
        for i in range(self.count()):
            item = self.item(i)
            on = item.data(Qt.ItemDataRole.UserRole) in wanted
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        offered = set(self.channels())
        return [c for c in channels if c not in offered]


class SubscribeFromResourcePage(ActionPage):
    ACTION_TYPE = "subscribe_from_resource"

    def __init__(self, ctx: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self._resources: dict[str, ResourceInfo] = {}
        #: Channels of a job that are not offered, and all the job asked for:
        #: both kept until the operator touches the channel list.
        self._missing_channels: list[str] = []
        self._requested_channels: list[str] = []
        self.source_combo = ChoiceCombo()
        self.resource_combo = ChoiceCombo()
        self.channel_list = ChannelChecklist()
        self.status_combo = status_combo(Status.SUBSCRIBED.value)
        self.unsafe_option = UnsafeStatusesOption(about_source=True)
        self.add_row(
            "&Get channels from a resource:",
            self.source_combo,
            "The contact is taken from the profile's subscription to this resource",
        )
        self.add_row(
            "&Per resource:",
            self.resource_combo,
            "The new subscriptions are added to this resource",
        )
        self.add_row("C&hannels:", self.channel_list, "Only channels configured in both resources")
        self.add_row("Subscription &status:", self.status_combo)
        self.form.addRow("", self.unsafe_option)
        self.source_combo.currentIndexChanged.connect(self._resources_changed)
        self.resource_combo.currentIndexChanged.connect(self._resources_changed)
        self.channel_list.checked_changed.connect(self._channels_changed)
        self.status_combo.currentIndexChanged.connect(self._status_changed)
        self.unsafe_option.toggled.connect(self.refresh_state)
        self._status_changed()

    @staticmethod
    def fetch_choices(store: Store, database_id: int) -> list[ResourceInfo]:
        with store.begin() as conn:
            return catalog.attached_resources(store, conn, database_id)

    def fill_choices(self, data: Any) -> None:
        resources: list[ResourceInfo] = data
        self._resources = {r.name: r for r in resources}
        empty = "No resource is attached to this database"
        self.source_combo.set_choices(resource_choices(resources), empty)
        self.resource_combo.set_choices(resource_choices(resources), empty)
        source = self.source_combo.current_value()
        if self.resource_combo.current_value() == source:
            others = [v for v in self.resource_combo.values() if v != source]
            if others:
                self.resource_combo.select_value(others[0], missing_resource)

    def common_channels(self) -> list[str]:
        source = self._resources.get(self.source_combo.current_value() or "")
        target = self._resources.get(self.resource_combo.current_value() or "")
        if source is None or target is None:
            return []
        both = set(source.channels) & set(target.channels)
        return [c for c in CHANNELS if c in both]

    def _resources_changed(self) -> None:
        self.channel_list.set_channels(self.common_channels())

    def _channels_changed(self) -> None:
        self._missing_channels = []
        self.refresh_state()

    def _status_changed(self) -> None:
        self.unsafe_option.follow_status(self.status_combo.current_value())
        self.refresh_state()

    def action(self) -> dict[str, Any]:
        return {
            "type": self.ACTION_TYPE,
            "source_resource": self.source_combo.job_value(),
            "resource": self.resource_combo.job_value(),
            "channels": self._requested_channels
            if self._missing_channels
            else self.channel_list.checked(),
            "status": self.status_combo.job_value(),
            "include_unsafe": self.unsafe_option.value(),
        }

    def apply_action(self, action: dict[str, Any]) -> None:
        self.source_combo.select_value(action.get("source_resource"), missing_resource)
        self.resource_combo.select_value(action.get("resource"), missing_resource)
        channels = action.get("channels") or []
        wanted = [c for c in channels if isinstance(c, str)] if isinstance(channels, list) else []
        self.channel_list.blockSignals(True)
        missing = self.channel_list.set_checked(wanted)
        self.channel_list.blockSignals(False)
        self._missing_channels = missing
        self._requested_channels = wanted
        self.status_combo.select_value(action.get("status"), unknown_status)
        self.unsafe_option.set_value(bool(action.get("include_unsafe", False)))

    def problems(self) -> list[str]:
        found = super().problems()
        if found:
            return found
        source, target = self.source_combo.current_value(), self.resource_combo.current_value()
        for combo in (self.source_combo, self.resource_combo):
            if combo.missing_value():
                return [
                    f"Resource “{combo.missing_value()}” is not attached to this database: "
                    "choose another."
                ]
        if source is None or target is None:
            return ["Attach two resources to this database first."]
        if source == target:
            return [
                "Choose two different resources: the contact comes from one, "
                "the subscription goes to the other."
            ]
        if not self.channel_list.channels():
            return [f"{source} and {target} have no channel configured in both."]
        if self._missing_channels:
            names = ", ".join(channel_label(c) for c in self._missing_channels)
            return [f"Not configured in both resources: {names}. Check the channels again."]
        if not self.channel_list.checked():
            return ["Check at least one channel."]
        if self.status_combo.current_value() is None:
            return ["Choose a known status."]
        return []
