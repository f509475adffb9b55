"""Global unsubscribe: set the global status "unsubscribed" (conditions are
mandatory)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from ..context import WizardContext
from .base import ConditionsRequiredPage


class GlobalUnsubscribePage(ConditionsRequiredPage):
    ACTION_TYPE = "global_unsubscribe"
    LABEL = "Global unsubscribe"
    DESCRIPTION = (
        'Set the global status "unsubscribed" for the selected profiles; conditions are required.'
    )

    def __init__(self, ctx: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.explanation_label = QLabel(
            "A globally unsubscribed profile receives no message on any channel, even where "
            "its subscriptions to resources are still active. The subscriptions themselves "
            "are kept, so the change can be audited in the Tasks view."
        )
        self.explanation_label.setWordWrap(True)
        self.conditions_label = QLabel(
            "<b>Conditions are mandatory.</b> You cannot unsubscribe every profile of a "
            "database: the selection must hold at least one condition. Profiles already "
            "unsubscribed globally are skipped and counted."
        )
        self.conditions_label.setWordWrap(True)
        self.body.addWidget(self.explanation_label)
        self.body.addWidget(self.conditions_label)
