"""Promo codes: attach a free code of a loyalty program to each selected
profile, or detach the program's codes from them."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QRadioButton, QWidget
from sqlalchemy import Connection

from ....core import catalog
from ....core.catalog import ProgramInfo
from ..context import WizardContext
from .base import READING_WIDTH, ActionPage, ChoiceCombo, paragraph

MODES = ("attach", "detach")


def program_text(program: ProgramInfo) -> str:
    free = "1 free code" if program.free == 1 else f"{program.free:,} free codes"
    return f"{program.name} — {free}"


class PromoCodesPage(ActionPage):
    ACTION_TYPE = "promo_codes"
    LABEL = "Promo codes"
    DESCRIPTION = (
        "Attach a free code of a loyalty program to each selected profile (one each; a profile "
        "that already holds one keeps it), or detach the program's codes from them."
    )

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
        self.pool_label.setMaximumWidth(READING_WIDTH - 200)
        self.form.addRow("Action:", modes)
        self.add_row("Loyalty &program:", self.program_combo)
        self.form.addRow("", self.pool_label)
        self.mode_group.buttonToggled.connect(self._changed)
        self.program_combo.currentIndexChanged.connect(self._changed)

    def load_choices(self, conn: Connection, database_id: int) -> None:
        programs = catalog.loyalty_programs(self.ctx.store, conn, database_id)
        self._programs = {p.name: p for p in programs}
        self.program_combo.set_choices(
            ((program_text(p), p.name) for p in programs), "No loyalty program for this database"
        )

    def initializePage(self) -> None:
        super().initializePage()
        known = self.wizard_selected_count()
        if known is not None:
            self.set_expected_profiles(known)

    def set_expected_profiles(self, count: int | None) -> None:
        """How many profiles the selection holds, when known (for the pool warning)."""
        self._expected_profiles = count
        self._changed()

    def mode(self) -> str:
        return "detach" if self.detach_radio.isChecked() else "attach"

    def _changed(self) -> None:
        self.pool_label.setText(self._pool_text())
        self.pool_label.setVisible(bool(self.pool_label.text()))
        self.refresh_state()

    def _pool_text(self) -> str:
        program = self._programs.get(self.program_combo.current_value() or "")
        if program is None:
            return ""
        if self.mode() == "detach":
            return (
                f"{program.attached:,} codes of {program.name} are attached to profiles; "
                "detaching frees them from the selected profiles. Redeemed codes stay."
            )
        text = f"Each selected profile gets one of the {program.free:,} free codes."
        expected = self._expected_profiles
        if expected is not None and expected > program.free:
            text += (
                f" Warning: the selection holds {expected:,} profiles, more than the free "
                f"codes; {expected - program.free:,} will be reported as “pool ran dry”."
            )
        elif program.free == 0:
            text += " Warning: the pool is empty, so no profile would get a code."
        return text

    def action(self) -> dict[str, Any]:
        return {
            "type": self.ACTION_TYPE,
            "mode": self.mode(),
            "program": self.program_combo.current_value(),
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
