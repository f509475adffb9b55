"""Delete profiles by conditions: only profiles with no interaction since the
cut-off date are deleted; conditions are mandatory."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import ClassVar

from PySide6.QtWidgets import QWidget

from ..context import WizardContext
from .base import ConditionsRequiredPage, paragraph

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def date_in_words(day: dt.date) -> str:
    """``1 July 2026``: English month names whatever the system locale."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


class DeleteProfilesPage(ConditionsRequiredPage):
    ACTION_TYPE = "delete_profiles"
    #: Today's date; tests replace it to pin the cut-off.
    today: ClassVar[Callable[[], dt.date]] = dt.date.today

    def __init__(self, ctx: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.cutoff_label = paragraph("", "cutoffLabel")
        self.rule_label = paragraph("", "hint")
        self.conditions_label = paragraph(
            "<b>Conditions are mandatory.</b> You cannot delete every profile of a database: "
            "the selection must hold at least one condition. A selected profile that is not "
            "deleted had an interaction after the cut-off; the Tasks view counts them."
        )
        self.reports_label = paragraph(
            "The action statistics of deleted profiles (messages, opens, purchases, ...) stay "
            "in the reports. The deleted profiles are archived whole: reverting the task in the "
            "Tasks view brings them back, within the archive period (archive_days in the "
            "configuration file, 30 days by default)."
        )
        for label in (
            self.cutoff_label,
            self.rule_label,
            self.conditions_label,
            self.reports_label,
        ):
            self.body.addWidget(label)
        self.show_cutoff()

    def cutoff(self) -> dt.date:
        """The first day with an interaction that saves a profile from deletion."""
        from ....core.actions.delete_profiles import inactivity_cutoff  # the core's rule

        months = self.ctx.settings.delete_min_inactive_months
        return inactivity_cutoff(type(self).today(), months)

    def show_cutoff(self) -> None:
        months = self.ctx.settings.delete_min_inactive_months
        self.cutoff_label.setText(
            f"<b>Profiles with no interaction since {date_in_words(self.cutoff())} "
            "will be deleted.</b>"
        )
        plural = "1 month" if months == 1 else f"{months} months"
        self.rule_label.setText(
            f"Only profiles with no interaction for more than {plural} before the start of "
            "the current month are deleted (set by delete_min_inactive_months in the "
            "configuration file)."
        )

    def initializePage(self) -> None:
        self.show_cutoff()
        super().initializePage()
