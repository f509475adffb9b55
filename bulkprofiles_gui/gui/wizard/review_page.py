"""The wizard's review page: a plain-language summary, the triggers option,
a dry run with the counts by outcome, "Save job as file...", and the
confirmation of destructive updates.  It is the commit page: Next is "Run".

The job is validated and the selection counted in the background when the
page opens (``core.jobs.plan_job``, ``core.preflight``); Run stays disabled
until that is done and valid.  A job that would change nothing (an empty
selection; a deletion or global unsubscribe that would skip every selected
profile) says so and cannot run, so it records no task.  A deletion or global
unsubscribe shows, and is confirmed with, the number it would delete or
unsubscribe.  Tasks already running on the same profile database are named,
and Run asks before starting a second one.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from ...core.jobfile import Job
from ...core.jobs import plan_job, run_job
from ...core.outcomes import TaskSummary, outcome_rows
from ...core.preflight import RunningTask, preflight
from ...core.progress import Progress
from ...core.selection.describe import describe_conditions
from ...core.store import Store
from ..job_progress import JobRun
from ..resources import icon
from ..ui_settings import ui_settings
from ..views.base import fill_outcome_table, operator_message
from ..worker import ops
from .context import WizardContext


@dataclass(frozen=True)
class ReviewFacts:
    """What the background check found out about the job."""

    action_text: str
    selected: int
    destructive: bool
    action_label: str
    field_labels: dict[str, str]
    #: What the action would change: deleted / unsubscribed for the destructive
    #: actions (their own skip rules applied), else the number selected.
    effective: int = 0
    #: Why the job would change nothing (it cannot run then), or None.
    nothing_to_do: str | None = None
    #: Tasks running now on the same profile database.
    running: tuple[RunningTask, ...] = ()


def check_job(store: Store, job: Job, ctx: WizardContext) -> ReviewFacts:
    """Validate the whole job and count its selection (in a worker thread)."""
    with store.begin() as conn:
        plan = plan_job(store, conn, job, ctx.settings)
        check = preflight(store, conn, plan, ctx.settings)
        labels = {f.key: f.label for f in store.fields(conn, plan.database_id)}
    return ReviewFacts(
        action_text=plan.describe(),
        selected=check.selected,
        destructive=plan.destructive,
        action_label=str(plan.action.LABEL),
        field_labels=labels,
        effective=check.effective,
        nothing_to_do=check.nothing_to_do_text(plan) if check.nothing_to_do else None,
        running=check.running,
    )


def count_text(facts: ReviewFacts) -> str:
    """The "Selected now" line: for a deletion or global unsubscribe, how many of
    the selected profiles it would really delete or unsubscribe."""
    if not facts.destructive or facts.selected == 0:
        return f"{facts.selected:,} profiles are selected"
    verb = "deleted" if "delete" in facts.action_label.lower() else "unsubscribed"
    return f"{facts.effective:,} of the {facts.selected:,} selected profiles will be {verb}"


def _range_text(job: Job) -> str:
    if job.range_from == 0 and job.range_to == 100:
        return "the whole database (0–100 %)"
    return f"{job.range_from:g}–{job.range_to:g} % of the database"


class ReviewPage(QWizardPage):
    """Summary, options, dry run; Run (commit) once the job is checked."""

    def __init__(self, ctx: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.facts: ReviewFacts | None = None
        self.problem: str | None = None
        self.dry_run_summary: TaskSummary | None = None
        self._dry_run: JobRun | None = None
        #: Dry runs of a job the operator went back from: cancelled, their
        #: results dropped, waited for only when the window closes.
        self._abandoned: list[JobRun] = []
        self.setTitle("Review and run")
        self.setSubTitle("Check what will happen. Nothing has been changed yet.")
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Run")
        self._build()

    # -- layout -------------------------------------------------------------------
    def _label(self) -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def _build(self) -> None:
        self.where_label = self._label()
        self.rules_label = self._label()
        self.range_label = self._label()
        self.limit_label = self._label()
        self.action_label = self._label()
        self.count_label = self._label()
        self.count_label.setObjectName("bigCount")
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        form.addRow("Profiles of:", self.where_label)
        form.addRow("Conditions:", self.rules_label)
        form.addRow("Range:", self.range_label)
        form.addRow("Total limit:", self.limit_label)
        form.addRow("Update:", self.action_label)
        form.addRow("Selected now:", self.count_label)

        self.skip_triggers_check = QCheckBox("&Don't start triggers related to this action")
        self.skip_triggers_check.setToolTip(
            "When on, no trigger campaign or scenario starts because of this update."
        )
        self.skip_triggers_check.toggled.connect(self._on_skip_triggers_toggled)
        self.problem_label = self._label()
        self.problem_label.setObjectName("error")
        self.problem_label.setStyleSheet("color: #a12622;")
        self.problem_label.hide()
        self.notice_label = self._label()
        self.notice_label.setObjectName("notice")
        self.notice_label.setStyleSheet("color: #8a5a00;")
        self.notice_label.hide()

        self.dry_run_button = QPushButton("Dr&y run")
        self.dry_run_button.setToolTip("Work out the outcome of every profile without changing any")
        self.dry_run_button.clicked.connect(self.start_dry_run)
        self.save_button = QPushButton(icon("save"), "&Save job as file…")
        self.save_button.clicked.connect(self._on_save_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.dry_run_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        self.dry_run_status = QLabel()
        self.dry_run_status.setObjectName("hint")
        self.dry_run_table = QTreeWidget()
        self.dry_run_table.setObjectName("dryRunTable")
        self.dry_run_table.setHeaderLabels(["Outcome of the dry run", "Profiles"])
        self.dry_run_table.setRootIsDecorated(False)
        self.dry_run_table.setAlternatingRowColors(True)
        self.dry_run_table.setMaximumHeight(240)  # the outcome table's 8 rows without scrolling
        self.dry_run_table.hide()

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addSpacing(6)
        layout.addWidget(self.skip_triggers_check)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.notice_label)
        layout.addSpacing(6)
        layout.addLayout(buttons)
        layout.addWidget(self.dry_run_status)
        layout.addWidget(self.dry_run_table)
        layout.addStretch(1)

    # -- the wizard's job ---------------------------------------------------------------
    def job(self) -> Job:
        """A copy of the wizard's job draft (``ctx.draft``)."""
        return self.ctx.job()

    def skip_triggers(self) -> bool:
        return self.skip_triggers_check.isChecked()

    def set_skip_triggers(self, on: bool) -> None:
        self.skip_triggers_check.setChecked(on)

    @Slot(bool)
    def _on_skip_triggers_toggled(self, on: bool) -> None:
        self.ctx.draft.skip_triggers = on

    # -- opening -------------------------------------------------------------------
    def initializePage(self) -> None:
        self._abandon_dry_run()
        job = self.job()
        self.set_skip_triggers(job.skip_triggers)
        self.facts = None
        self.problem = None
        self.dry_run_summary = None
        self.dry_run_table.hide()
        self.dry_run_status.setText("")
        where = job.database or ""
        if job.segment:
            where = f"segment “{job.segment}” of {where}" if where else f"segment “{job.segment}”"
        self.where_label.setText(where)
        self._show_rules(job, {})
        self.range_label.setText(_range_text(job))
        self.limit_label.setText(
            f"the first {job.limit:,} matching profiles" if job.limit else "none"
        )
        self.action_label.setText("…")
        self.count_label.setText("Counting…")
        self.problem_label.hide()
        self.notice_label.hide()
        self._set_busy(True)
        ctx = self.ctx
        ops.run(
            ctx.store,
            lambda store: check_job(store, job, ctx),
            self._on_checked,
            self._on_check_failed,
            key=(self, "check"),
        )

    def _show_rules(self, job: Job, labels: dict[str, str]) -> None:
        self.rules_label.setText(describe_conditions(job.rules, job.segment, labels))

    @Slot(object)
    def _on_checked(self, facts: Any) -> None:
        self.facts = facts
        self.action_label.setText(facts.action_text)
        self._show_rules(self.job(), facts.field_labels)
        self.count_label.setText(count_text(facts))
        if facts.nothing_to_do:
            self.problem_label.setText(f"Nothing to do: {facts.nothing_to_do}.")
            self.problem_label.show()
        if facts.running:
            others = "; ".join(t.describe() for t in facts.running)
            self.notice_label.setText(
                f"Another job is working on this database: {others}. "
                "Run asks before starting a second one."
            )
            self.notice_label.show()
        self._set_busy(False)  # the dry run is possible from now on
        self.completeChanged.emit()

    @Slot(str)
    def _on_check_failed(self, line: str) -> None:
        self._set_busy(False)
        self.problem = line
        self.problem_label.setText(f"This job cannot run: {self.problem}")
        self.problem_label.show()
        self.count_label.setText("–")
        self.action_label.setText("–")
        self.completeChanged.emit()

    def cleanupPage(self) -> None:
        """Back: a dry run still going was for this job, which may now change."""
        self._abandon_dry_run()
        super().cleanupPage()

    def abandon(self) -> None:
        """The wizard closed: its dry run and check are dropped, never waited for."""
        self._abandon_dry_run()
        ops.abandon(owner=self)

    def threads_running(self) -> bool:
        runs = [r for r in (*self._abandoned, self._dry_run) if r is not None]
        return ops.busy(self) or any(r.thread_running() for r in runs)

    def _abandon_dry_run(self) -> None:
        run, self._dry_run = self._dry_run, None
        if run is not None and run.is_running():
            run.abandon()  # no result arrives; no late report or end either:
            for signal in (run.progressed, run.finished):
                with contextlib.suppress(RuntimeError, TypeError):
                    signal.disconnect()  # it would show progress, or enable Dry run
            self._abandoned.append(run)

    def dry_running(self) -> bool:
        return self._dry_run is not None and self._dry_run.is_running()

    def _set_busy(self, busy: bool) -> None:
        dry_running = self.dry_running()
        idle = not busy and not dry_running and self.problem is None
        self.dry_run_button.setEnabled(idle and not self.nothing_to_do())

    def is_checking(self) -> bool:
        return ops.pending((self, "check"))

    def nothing_to_do(self) -> bool:
        return self.facts is not None and self.facts.nothing_to_do is not None

    def isComplete(self) -> bool:
        dry_running = self.dry_running()
        checked = self.facts is not None and self.problem is None
        return checked and not self.nothing_to_do() and not dry_running

    # -- dry run --------------------------------------------------------------------
    @Slot()
    def start_dry_run(self) -> None:
        if self.facts is None:
            return
        job = self.job()
        store, settings = self.ctx.store, self.ctx.settings
        self.dry_run_status.setText("Dry run: working out the outcome of every profile…")
        self.dry_run_button.setEnabled(False)
        run = JobRun(
            lambda state, _announce: run_job(store, job, state, dry_run=True, settings=settings),
            self,
        )
        run.progressed.connect(self._on_dry_run_progress)
        run.done.connect(self._on_dry_run_done)
        run.failed.connect(self._on_dry_run_failed)
        run.finished.connect(lambda: self._set_busy(False))
        run.finished.connect(self.completeChanged)
        self._dry_run = run.start()
        self.completeChanged.emit()

    @Slot(object)
    def _on_dry_run_progress(self, progress: Progress) -> None:
        if progress.total:
            self.dry_run_status.setText(
                f"Dry run: {progress.done:,} of {progress.total:,} profiles worked out…"
            )

    @Slot(object)
    def _on_dry_run_done(self, summary: Any) -> None:
        self.dry_run_summary = summary
        if summary.status == "failed":
            self.dry_run_status.setText(f"The dry run failed: {summary.error}")
            return
        self.dry_run_status.setText(
            f"Dry run (task {summary.task_id}): nothing was changed. "
            "These counts are what Run would do now."
        )
        fill_outcome_table(self.dry_run_table, outcome_rows(summary))
        self.dry_run_table.resizeColumnToContents(0)
        self.dry_run_table.show()

    @Slot(object)
    def _on_dry_run_failed(self, exc: object) -> None:
        self.dry_run_status.setText(f"The dry run failed: {operator_message(exc)}")

    # -- save -----------------------------------------------------------------------
    def ask_save_path(self, suggested: str) -> str | None:
        """Where to save the job (a dialog; tests replace this method)."""
        path, _ = QFileDialog.getSaveFileName(
            self, "Save job as file", suggested, "Job files (*.json)"
        )
        return path or None

    @Slot()
    def _on_save_clicked(self) -> None:
        start = Path(str(ui_settings().value("jobs/last_dir", str(Path.home()))))
        path = self.ask_save_path(str(start / "job.json"))
        if path:
            self.save_job(path)

    def save_job(self, path: str) -> bool:
        target = Path(path)
        if not target.suffix:
            target = target.with_suffix(".json")
        try:
            target.write_text(self.job().to_json() + "\n", encoding="utf-8")
        except OSError as exc:
            QMessageBox.warning(self, "Save job", f"Cannot write {target}: {exc.strerror}")
            return False
        ui_settings().setValue("jobs/last_dir", str(target.parent))
        self.dry_run_status.setText(f"Saved the job to {target}.")
        return True

    # -- run ------------------------------------------------------------------------
    def confirm_destructive(self, action_label: str, selected: int) -> bool:
        """Ask before a destructive update (tests replace this method)."""
        answer = QMessageBox.warning(
            self,
            action_label,
            f"{action_label}: this applies to {selected:,} profiles. Only reverting the task "
            f"(Tasks view, within {self.ctx.settings.archive_days} days) undoes it.\n\n"
            "Do you want to run it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def second_job_question(self, running: tuple[RunningTask, ...]) -> QMessageBox:
        """The question before a job starts next to running ones (Cancel by default)."""
        others = "\n".join(f"• {t.describe()}" for t in running)
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Another job is running",
            f"This profile database is being changed by another job:\n\n{others}\n\n"
            "Both would change profiles at the same time. Start this job now?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        return box

    def confirm_second_job(self, running: tuple[RunningTask, ...]) -> bool:
        """Ask before starting a job next to running ones (tests replace this method)."""
        return self.second_job_question(running).exec() == QMessageBox.StandardButton.Yes

    def validatePage(self) -> bool:
        if self.facts is None or self.problem is not None or self.nothing_to_do():
            return False
        if self.facts.running and not self.confirm_second_job(self.facts.running):
            return False
        if self.facts.destructive:
            return self.confirm_destructive(self.facts.action_label, self.facts.effective)
        return True

    def shutdown(self) -> None:
        for run in [*self._abandoned, self._dry_run]:
            if run is not None:
                run.stop()
        ops.wait(owner=self)
