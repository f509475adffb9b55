"""The import wizard's last page: the import runs as a task in a worker thread.

:func:`run_import_job` prepares the task (all checks; the new fields are
created), announces its id, runs it and reads its summary.  It runs as a
:class:`~bulkprofiles_gui.gui.job_progress.JobRun`, like the update wizard's
job: progress reaches the page thinned to ten reports a second and queued,
first while the file is read and checked, then while the rows are merged.
Cancel sets the run's flag: the import stops after the current chunk or
batch, the task ends ``cancelled`` and the Tasks view resumes it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from ...core.actions.base import SKIP_REASONS
from ...core.config import Settings
from ...core.importer import (
    STAGING,
    ImportSpec,
    ImportSummary,
    import_summary,
    prepare_import,
    step_words,
)
from ...core.importer import run_import_task as run_task
from ...core.progress import JobState, Progress
from ...core.store import Store
from ..job_progress import JobRun, ProgressPanel
from ..resources import icon
from ..views.base import top_items
from ..wizard.run_page import interrupting_fault, stop_words
from .common import (
    ImportContext,
    SpecWizard,
    counts_table,
    fill_counts,
    line_label,
    message_of,
    show_line,
)
from .review_page import reason_text

FINAL_WORDS = {
    "completed": "Done.",
    "cancelled": "Cancelled. The rows imported so far stay; the task can be resumed "
    "from the Tasks view.",
    "failed": "The import failed.",
    "interrupted": "The import was interrupted; it can be resumed from the Tasks view.",
}
SUBSCRIPTION_WORDS = {"changed": "Subscribed"}


def run_import_job(
    store: Store,
    spec: ImportSpec,
    state: JobState,
    announce: Callable[[int], None],
    settings: Settings,
) -> ImportSummary:
    """Prepare the task (raises with one line), announce it, run it, sum it up."""
    task_id = prepare_import(store, spec, settings=settings)
    announce(task_id)
    run_task(store, task_id, state, settings=settings)
    return import_summary(store, task_id)


def summary_rows(summary: ImportSummary) -> list[tuple[str, int]]:
    """The counts of a finished import, as (label, number) lines."""
    rows: list[tuple[str, int]] = [
        ("Rows in the file", summary.rows),
        ("Added", summary.added),
        ("Updated", summary.updated),
        ("Unchanged (already had the values)", summary.unchanged),
        ("Not imported", summary.not_imported_total),
    ]
    rows += [
        (f"    {reason_text(reason)}", n)
        for reason, n in sorted(summary.not_imported.items(), key=lambda kv: -kv[1])
    ]
    if summary.processed < summary.rows:
        rows.append(("Not processed", summary.rows - summary.processed))
    for outcome, n in sorted(summary.subscriptions.items(), key=lambda kv: kv[0] != "changed"):
        words = (
            SUBSCRIPTION_WORDS.get(outcome)
            or f"Not subscribed: {SKIP_REASONS.get(outcome, outcome)}"
        )
        rows.append((words, n))
    rows.append(("Trigger events recorded", summary.trigger_events))
    return rows


def outcome_notes(summary: ImportSummary) -> str:
    """New fields and the rejects file, in words (below the counts)."""
    notes = []
    if summary.new_fields and not summary.dry_run:
        notes.append(f"New fields: {', '.join(summary.new_fields)}.")
    if summary.rejects_problem:
        notes.append(f"Rejects: {summary.rejects_problem}.")
    elif summary.rejects_file and summary.not_imported_total:
        notes.append(f"The rows not imported are listed in {summary.rejects_file}")
    return "\n".join(notes)


class RunPage(QWizardPage):
    """Progress (rows), rate, time left, Cancel; the counts at the end; Show in Tasks."""

    show_task_requested = Signal(int)
    import_finished = Signal(int)  # task id

    def __init__(self, ctx: ImportContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.task_id: int | None = None
        self.summary: ImportSummary | None = None
        self.error: str | None = None
        self.run: JobRun | None = None
        #: True once the result (or the error) has arrived on the main thread.
        self.finished = False
        #: The step the import's last report named (``Progress.phase``).
        self.phase = ""
        self.setTitle("Import profiles: run")
        self.setSubTitle("The import runs in the background; the window stays usable.")
        self._build()

    def _build(self) -> None:
        self.status_label = QLabel("Starting…")
        self.status_label.setObjectName("bigCount")
        self.status_label.setWordWrap(True)
        self.progress = ProgressPanel("rows")
        self.cancel_button = QPushButton(icon("cancel"), "&Cancel import")
        self.cancel_button.clicked.connect(self.cancel)
        self.show_task_button = QPushButton(icon("tasks"), "Show in &Tasks")
        self.show_task_button.setEnabled(False)
        self.show_task_button.clicked.connect(self._on_show_task)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.show_task_button)
        self.error_label = line_label("error")
        self.error_label.hide()
        self.counts_table = counts_table("Outcome", "Rows")
        self.counts_table.setObjectName("outcomeTable")
        self.counts_table.hide()
        self.rejects_label = line_label("hint")
        self.rejects_label.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.status_label)
        layout.addWidget(self.progress)
        layout.addLayout(buttons)
        layout.addWidget(self.error_label)
        layout.addWidget(self.counts_table)
        layout.addWidget(self.rejects_label)
        layout.addStretch(1)

    # -- running ---------------------------------------------------------------------------
    def initializePage(self) -> None:
        wizard: SpecWizard = self.wizard()  # type: ignore[assignment]
        self.start(wizard.spec())

    def start(self, spec: ImportSpec) -> None:
        self.task_id = None
        self.summary = None
        self.error = None
        self.finished = False
        self.phase = ""
        self.status_label.setText("Checking the import…")
        show_line(self.error_label, "", error=True)
        self.counts_table.hide()
        self.rejects_label.hide()
        self.progress.reset()
        self.cancel_button.setEnabled(True)
        self.show_task_button.setEnabled(False)
        store, settings = self.ctx.store, self.ctx.settings
        run = JobRun(
            lambda state, announce: run_import_job(store, spec, state, announce, settings), self
        )
        run.progressed.connect(self._on_progress)
        run.task_created.connect(self._on_task_created)
        run.done.connect(self._on_done)
        run.failed.connect(self._on_error)
        run.finished.connect(self._on_finished)
        self.run = run.start()
        self.completeChanged.emit()

    @property
    def state(self) -> JobState | None:
        """The running import's cancel flag and progress callback."""
        return self.run.state if self.run is not None else None

    def is_running(self) -> bool:
        """True from the start until the result has arrived on the main thread."""
        return self.run is not None and not self.finished

    def thread_running(self) -> bool:
        return self.run is not None and self.run.thread_running()

    @Slot()
    def cancel(self) -> None:
        if self.run is not None and self.is_running():
            self.run.cancel()
            self.cancel_button.setEnabled(False)
            self.status_label.setText("Cancelling after the current batch…")

    @Slot(int)
    def _on_task_created(self, task_id: int) -> None:
        self.task_id = task_id
        step = step_words(STAGING)
        self.status_label.setText(f"Task {task_id}: {step}…")
        self.show_task_button.setEnabled(True)

    @Slot(object)
    def _on_progress(self, progress: Progress) -> None:
        self.phase = progress.phase
        if not self.progress.show_progress(progress):
            return
        if self.run is None or self.run.is_cancelled():
            return
        step = step_words(progress.phase)
        self.status_label.setText(
            f"Task {self.task_id}: {step}: {progress.done:,} of {progress.total:,} rows"
        )

    @Slot(object)
    def _on_done(self, summary: Any) -> None:
        self.summary = summary
        if summary.status == "failed":
            self.error = summary.error or "unknown error"
            show_line(self.error_label, f"Error: {self.error}", error=True)
        self.status_label.setText(
            f"Task {summary.task_id}: {FINAL_WORDS.get(summary.status, summary.status)}"
        )
        self.progress.set_counts(summary.processed, summary.rows)
        self._fill_counts(summary)
        show_line(self.rejects_label, outcome_notes(summary), error=False)
        self.import_finished.emit(summary.task_id)

    @Slot(object)
    def _on_error(self, exc: object) -> None:
        self.error = message_of(exc)
        self.status_label.setText(stop_words(exc, self.task_id, "The import did not start."))
        show_line(self.error_label, f"Error: {self.error}", error=True)
        fault = interrupting_fault(exc, self.task_id)
        if fault is not None and fault.done is not None:  # how far it got
            self.progress.set_counts(*fault.done)
        else:
            self.progress.set_counts(0, 0)
        if self.task_id is not None:
            self.import_finished.emit(self.task_id)

    @Slot()
    def _on_finished(self) -> None:
        self.finished = True
        self.cancel_button.setEnabled(False)
        self.show_task_button.setEnabled(self.task_id is not None)
        self.completeChanged.emit()

    def _fill_counts(self, summary: ImportSummary) -> None:
        fill_counts(self.counts_table, summary_rows(summary))

    def outcome_counts(self) -> dict[str, int]:
        """The numbers of the counts table as {label: number} (tests)."""
        found = {}
        for item in top_items(self.counts_table):
            value = item.text(1).replace(",", "")
            if value.isdigit():
                found[item.text(0).strip()] = int(value)
        return found

    @Slot()
    def _on_show_task(self) -> None:
        if self.task_id is not None:
            self.show_task_requested.emit(self.task_id)

    def isComplete(self) -> bool:
        return self.finished

    def shutdown(self, msecs: int = 60_000) -> None:
        """Cancel a running import and wait for its thread (the wizard is closing);
        its result (the task ``cancelled``) still arrives."""
        if self.run is not None and not self.finished:
            self.run.cancel()
        if self.run is not None:
            self.run.wait(msecs)
