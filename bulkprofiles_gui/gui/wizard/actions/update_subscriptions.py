"""Update subscription: change the status of existing subscriptions to a
resource on a channel (e.g. unsubscribe every inactive client)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from ....core import catalog
from ....core.catalog import ResourceInfo
from ....core.fields import Status
from ....core.store import Store
from ..context import WizardContext
from .base import (
    ActionPage,
    ResourceChannelFields,
    UnsafeStatusesOption,
    status_combo,
    unknown_status,
)


class UpdateSubscriptionsPage(ActionPage):
    ACTION_TYPE = "update_subscriptions"

    def __init__(self, ctx: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.target = ResourceChannelFields(self)
        self.resource_combo = self.target.resource_combo
        self.channel_combo = self.target.channel_combo
        self.status_combo = status_combo(Status.UNSUBSCRIBED.value)
        self.unsafe_option = UnsafeStatusesOption()
        self.add_row("New &status:", self.status_combo)
        self.form.addRow("", self.unsafe_option)
        self.channel_combo.currentIndexChanged.connect(self.refresh_state)
        self.status_combo.currentIndexChanged.connect(self._status_changed)
        self.unsafe_option.toggled.connect(self.refresh_state)
        self._status_changed()

    @staticmethod
    def fetch_choices(store: Store, database_id: int) -> list[ResourceInfo]:
        with store.begin() as conn:
            return catalog.attached_resources(store, conn, database_id)

    def fill_choices(self, data: Any) -> None:
        self.target.fill(data, self.ctx.draft.rules)

    def _status_changed(self) -> None:
        self.unsafe_option.follow_status(self.status_combo.current_value())
        self.refresh_state()

    def action(self) -> dict[str, Any]:
        return {
            "type": self.ACTION_TYPE,
            "resource": self.target.job_values()[0],
            "channel": self.target.job_values()[1],
            "status": self.status_combo.job_value(),
            "include_unsafe": self.unsafe_option.value(),
        }

    def apply_action(self, action: dict[str, Any]) -> None:
        self.target.apply(action.get("resource"), action.get("channel"))
        self.status_combo.select_value(action.get("status"), unknown_status)
        self.unsafe_option.set_value(bool(action.get("include_unsafe", False)))

    def problems(self) -> list[str]:
        found = super().problems() or self.target.problems()
        if self.status_combo.current_value() is None:
            found.append("Choose a known status.")
        return found
