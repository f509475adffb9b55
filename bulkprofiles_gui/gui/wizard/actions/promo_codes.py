"""Promo codes: attach a free code of a loyalty program to each selected
profile, or detach the program's codes from them."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QRadioButton, QVBoxLayout, QWidget

from ....core import catalog
from ....core.catalog import ProgramInfo
from ....core.store import Store
from ..context import WizardContext
from .base import READING_WIDTH, ActionPage, ChoiceCombo, paragraph

MODES = ("attach", "detach")


def program_text(program: ProgramInfo) -> str:
    free = "1 free code" if program.free == 1 else f"{program.free:,} free codes"
    return f"{program.name} — {free}"


class PromoCodesPage(ActionPage):
    ACTION_TYPE = "promo_codes"

    def __init__(self, ctx: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self._programs: dict[str, ProgramInfo] = {}
        self._expected_profiles: int | None = None
        self.attach_radio = QRadioButton("&Attach a code")
        self.detach_radio = QRadioButton("&Detach codes")
        self.attach_radio.setChecked(True)
        self.mode_group = QButtonGroup(self)
        self.mode_group.addButton(self.attach_radio)
        self.mode_group.addButton(self.detach_radio)
        modes = QWidget()
        row = QHBoxLayout(modes)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.attach_radio)
        row.addWidget(self.detach_radio)
        row.addStretch(1)
        self.program_combo = ChoiceCombo()
        self.pool_label = paragraph("", "hint")
        self.pool_label.setWordWrap(False)  # one sentence; wrapping made the form reserve two lines
        self.pool_warning = paragraph("", "warning")
        self.pool_warning.setMaximumWidth(READING_WIDTH - 200)
        self.pool_warning.setStyleSheet("QLabel#warning { color: #8a4b00; font-weight: 600; }")
        self.form.addRow("Action:", modes)
        self.add_row("Loyalty &program:", self.program_combo)
        pool = QWidget()
        pool_box = QVBoxLayout(pool)
        pool_box.setContentsMargins(0, 0, 0, 0)
        pool_box.setSpacing(4)
        pool_box.addWidget(self.pool_label)
        pool_box.addWidget(self.pool_warning)
        self.form.addRow("", pool)
        self.mode_group.buttonToggled.connect(self._changed)
        self.program_combo.currentIndexChanged.connect(self._changed)

    @staticmethod
    def fetch_choices(store: Store, database_id: int) -> list[ProgramInfo]:
        with store.begin() as conn:
            return catalog.loyalty_programs(store, conn, database_id)

    def fill_choices(self, data: Any) -> None:
        programs: list[ProgramInfo] = data
        self._programs = {p.name: p for p in programs}
        self.program_combo.set_choices(
            ((program_text(p), p.name) for p in programs), "No loyalty program for this database"
        )

    def initializePage(self) -> None:
        super().initializePage()
        # None (not counted yet) clears a warning about an earlier selection.
        self.set_expected_profiles(self.wizard_selected_count())

    def selection_counted(self, count: int) -> None:
        self.set_expected_profiles(count)

    def set_expected_profiles(self, count: int | None) -> None:
        """How many profiles the selection holds, when known (for the pool warning)."""
        self._expected_profiles = count
        self._changed()

    def mode(self) -> str:
        return "detach" if self.detach_radio.isChecked() else "attach"

    def _changed(self) -> None:
        text, warning = self._pool_text()
        self.pool_label.setText(text)
        self.pool_label.setVisible(bool(text))
        self.pool_warning.setText(warning)
        self.pool_warning.setVisible(bool(warning))
        self.refresh_state()

    def _pool_text(self) -> tuple[str, str]:
        """What the pool means for this run, and a warning when it will run dry."""
        program = self._programs.get(self.program_combo.current_value() or "")
        if program is None:
            return "", ""
        if self.mode() == "detach":
            return (
                f"Frees the selected profiles' codes ({program.attached:,} attached in all); "
                "redeemed codes stay.",
                "",
            )
        text = f"Each selected profile gets one of the {program.free:,} free codes."
        expected = self._expected_profiles
        if expected is not None and expected > program.free:
            return text, (
                f"The selection holds {expected:,} profiles, more than the free codes: "
                f"{expected - program.free:,} will be reported as “pool ran dry”."
            )
        if program.free == 0:
            return text, "The pool is empty: no profile would get a code."
        return text, ""

    def action(self) -> dict[str, Any]:
        return {
            "type": self.ACTION_TYPE,
            "mode": self.mode(),
            "program": self.program_combo.job_value(),
        }

    def apply_action(self, action: dict[str, Any]) -> None:
        mode = action.get("mode")
        self.detach_radio.setChecked(mode == "detach")
        self.attach_radio.setChecked(mode != "detach")
        self.program_combo.select_value(
            action.get("program"), lambda name: f"{name} (not a program of this database)"
        )

    def problems(self) -> list[str]:
        found = super().problems()
        if found:
            return found
        missing = self.program_combo.missing_value()
        if missing:
            return [f"Loyalty program “{missing}” is not available for this database."]
        if self.program_combo.current_value() is None:
            return ["This database has no loyalty program."]
        return []
