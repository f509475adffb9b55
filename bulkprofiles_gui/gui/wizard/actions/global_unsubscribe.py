"""Global unsubscribe: set the global status "unsubscribed" (conditions are
mandatory)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from ..context import WizardContext
from .base import ConditionsRequiredPage, paragraph


class GlobalUnsubscribePage(ConditionsRequiredPage):
    ACTION_TYPE = "global_unsubscribe"

    def __init__(self, ctx: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.explanation_label = paragraph(
            "A globally unsubscribed profile receives no message on any channel, even where "
            "its subscriptions to resources are still active. The subscriptions themselves "
            "are kept, so the change can be audited in the Tasks view."
        )
        self.conditions_label = paragraph(
            "<b>Conditions are mandatory.</b> You cannot unsubscribe every profile of a "
            "database: the selection must hold at least one condition. Profiles already "
            "unsubscribed globally are skipped and counted."
        )
        self.body.addWidget(self.explanation_label)
        self.body.addWidget(self.conditions_label)
