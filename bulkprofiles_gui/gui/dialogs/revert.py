"""Tasks -> Revert…: what reverting a task restores, a dry run, and the choice.

The dialog loads the revert's plan (``core.revert.plan_revert``) off the main
thread and says in plain words what will be restored and that profiles
changed since the task are left as they are (conflicts).  "Dry run" runs a
dry-run revert (a task of its own in the history) and shows how many
profiles would be restored and how many are conflicts.  "Revert" closes the
dialog accepted; the Tasks view then runs the revert in the background.
Triggers are not started unless the box is ticked.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...core.config import Settings
from ...core.progress import JobState
from ...core.revert import RevertPlan, plan_revert, revert_task
from ...core.store import Store
from .base import StoreDialog

CONFLICT_NOTE = (
    "Profiles changed again since the task (by a later task, an import or anything else) "
    "are left as they are and counted as conflicts; export the revert's outcomes to see them."
)


class RevertDialog(StoreDialog):
    """Confirm reverting one task; ``triggers`` is the operator's choice."""

    def __init__(
        self, store: Store, task_id: int, settings: Settings, parent: QWidget | None = None
    ) -> None:
        super().__init__(store, f"Revert task {task_id}", parent)
        self.task_id = task_id
        self.settings = settings
        self.plan: RevertPlan | None = None
        self.dry_state: JobState | None = None
        self.setMinimumWidth(640)
        self.headline = QLabel(f"Reading what task {task_id} changed…")
        bold = self.headline.font()
        bold.setBold(True)
        self.headline.setFont(bold)
        self.headline.setWordWrap(True)
        self.restores = QLabel()
        self.restores.setWordWrap(True)
        note = QLabel(CONFLICT_NOTE)
        note.setObjectName("hint")
        note.setWordWrap(True)
        self.triggers_box = QCheckBox("Start the triggers the restored values match")
        self.triggers_box.setToolTip(
            "Field, subscription and promo code triggers, as a job starts them; "
            "off: the revert starts none"
        )
        self.dry_result = QLabel()
        self.dry_result.setWordWrap(True)
        self.dry_result.hide()
        self.error_label = QLabel()
        self.error_label.setObjectName("error")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.buttons = QDialogButtonBox()
        self.dry_button: QPushButton = self.buttons.addButton(
            "&Dry run", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.dry_button.setToolTip("Count what would be restored and the conflicts; change nothing")
        self.revert_button: QPushButton = self.buttons.addButton(
            "&Revert", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.revert_button.setObjectName("dangerButton")
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        for button in (self.dry_button, self.revert_button):
            button.setAutoDefault(False)  # Enter never reverts: Cancel is the default
        cancel.setDefault(True)
        self.dry_button.clicked.connect(self.dry_run)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.restores)
        layout.addWidget(note)
        layout.addSpacing(4)
        layout.addWidget(self.triggers_box)
        layout.addWidget(self.dry_result)
        layout.addWidget(self.error_label)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self._set_ready(False)
        self.run(lambda s: plan_revert(s, task_id, settings), self._on_plan, self._on_plan_error)

    @property
    def triggers(self) -> bool:
        return self.triggers_box.isChecked()

    def _set_ready(self, ready: bool) -> None:
        self.dry_button.setEnabled(ready)
        self.revert_button.setEnabled(ready)

    def _on_plan(self, plan: RevertPlan) -> None:
        self.plan = plan
        self.headline.setText(plan.headline() + ":")
        self.restores.setText("\n".join(f"•  {line}" for line in plan.restores))
        self._set_ready(True)
        self.adjustSize()

    def _on_plan_error(self, message: str) -> None:
        """The task cannot be reverted (any more): say why, offer nothing."""
        self.headline.setText(f"Task {self.task_id} cannot be reverted")
        self._show_error(message)

    def _on_dry_error(self, message: str) -> None:
        self.dry_result.hide()
        self._show_error(message)
        self._set_ready(True)

    def _show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()

    @Slot()
    def dry_run(self) -> None:
        """A dry-run revert in the background; its counts show in the dialog."""
        if self.plan is None:
            return
        self._set_ready(False)
        self.error_label.hide()
        self.dry_result.setText("Dry run running…")
        self.dry_result.show()
        state = JobState()
        self.dry_state = state
        task_id, settings, triggers = self.task_id, self.settings, self.triggers
        self.run(
            lambda s: revert_task(
                s, task_id, state, dry_run=True, triggers=triggers, settings=settings
            ),
            self._on_dry_done,
            self._on_dry_error,
        )

    def _on_dry_done(self, summary: Any) -> None:
        self._set_ready(True)
        conflicts = int(summary.skipped.get("conflict", 0))
        gone = int(summary.skipped.get("profile_gone", 0))
        parts = [f"{summary.changed:,} profile(s) would be restored", f"{conflicts:,} conflict(s)"]
        if gone:
            parts.append(f"{gone:,} profile(s) deleted since")
        self.dry_result.setText(
            f"Dry run (task {summary.task_id}, nothing changed): " + ", ".join(parts) + "."
        )
        self.adjustSize()

    def reject(self) -> None:
        if self.dry_state is not None:
            self.dry_state.cancel()
        super().reject()
