"""Add subscription, source = profile fields: the contact comes from a field
of the profile (Email for email; Phones for sms/whatsapp/viber; a custom
text field for the other channels)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from ....core import catalog
from ....core.catalog import ResourceInfo
from ....core.fields import PHONE_CHANNELS, Channel, FieldType, Status
from ....core.store import FieldInfo, Store
from ..context import WizardContext
from .base import (
    ActionPage,
    ChoiceCombo,
    ResourceChannelFields,
    UnsafeStatusesOption,
    channel_label,
    status_combo,
    unknown_status,
)


def fits_channel(info: FieldInfo, channel: str | None) -> bool:
    """Whether a field can hold the contact for ``channel``."""
    if channel is None:
        return False
    if channel == Channel.EMAIL:
        return info.type is FieldType.EMAIL
    if channel in PHONE_CHANNELS:
        return info.type is FieldType.PHONES
    return not info.is_system and info.type is FieldType.STRING


def source_hint(channel: str | None) -> str:
    if channel == Channel.EMAIL:
        return "Email subscriptions take the address from an email field."
    if channel in PHONE_CHANNELS:
        return f"{channel_label(channel or '')} subscriptions take the number from a phone field."
    return "Other channels take the contact id from an additional text field of the profile."


class SubscribeFromFieldsPage(ActionPage):
    ACTION_TYPE = "subscribe_from_fields"

    def __init__(self, ctx: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self._fields: list[FieldInfo] = []
        self.target = ResourceChannelFields(self)
        self.resource_combo = self.target.resource_combo
        self.channel_combo = self.target.channel_combo
        self.status_combo = status_combo(Status.SUBSCRIBED.value)
        self.source_combo = ChoiceCombo()
        self.unsafe_option = UnsafeStatusesOption()
        self.add_row("Subscription &status:", self.status_combo)
        self.add_row("Con&tact from field:", self.source_combo)
        self.form.addRow("", self.unsafe_option)
        self.channel_combo.currentIndexChanged.connect(self._channel_changed)
        self.source_combo.currentIndexChanged.connect(self.refresh_state)
        self.status_combo.currentIndexChanged.connect(self._status_changed)
        self.unsafe_option.toggled.connect(self.refresh_state)
        self._status_changed()

    @staticmethod
    def fetch_choices(store: Store, database_id: int) -> tuple[list[FieldInfo], list[ResourceInfo]]:
        with store.begin() as conn:
            return (
                list(store.fields(conn, database_id)),
                catalog.attached_resources(store, conn, database_id),
            )

    def fill_choices(self, data: Any) -> None:
        fields, resources = data
        self._fields = fields
        self.target.fill(resources)
        self._channel_changed()

    def _channel_changed(self) -> None:
        channel = self.target.channel
        fitting = [f for f in self._fields if fits_channel(f, channel)]
        self.source_combo.set_choices(
            ((f.label, f.key) for f in fitting), "No field can hold this channel's contact"
        )
        self.source_combo.setToolTip(source_hint(channel))
        self.refresh_state()

    def _status_changed(self) -> None:
        self.unsafe_option.follow_status(self.status_combo.current_value())
        self.refresh_state()

    def action(self) -> dict[str, Any]:
        return {
            "type": self.ACTION_TYPE,
            "resource": self.target.job_values()[0],
            "channel": self.target.job_values()[1],
            "status": self.status_combo.job_value(),
            "source_field": self.source_combo.job_value(),
            "include_unsafe": self.unsafe_option.value(),
        }

    def apply_action(self, action: dict[str, Any]) -> None:
        self.target.apply(action.get("resource"), action.get("channel"))
        self.status_combo.select_value(action.get("status"), unknown_status)
        self.source_combo.select_value(
            action.get("source_field"), lambda key: f"{key} (cannot hold this contact)"
        )
        self.unsafe_option.set_value(bool(action.get("include_unsafe", False)))

    def problems(self) -> list[str]:
        found = super().problems() or self.target.problems()
        if found:
            return found
        if self.status_combo.current_value() is None:
            found.append("Choose a known status.")
        missing = self.source_combo.missing_value()
        if missing:
            found.append(
                f"Field “{missing}” cannot hold {channel_label(self.target.channel or '')} "
                "contacts: choose another."
            )
        elif self.source_combo.current_value() is None:
            found.append(
                f"No field of this database can hold {channel_label(self.target.channel or '')} "
                "contacts: add a text field for them first."
            )
        return found
