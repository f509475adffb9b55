"""The wizard's last page: the job runs in a QThread worker.

The job runs as a ``job_progress.JobRun`` (shared with the dry run and the
Tasks view's resume): its progress reaches the page throttled and queued; the
page only ever touches widgets on the main thread.  Cancel sets the JobState flag, which
the runner polls between batches: the committed batches stay, the task ends
``cancelled`` and can be resumed from the Tasks view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from ...core.faults import StoreFault
from ...core.jobfile import Job
from ...core.jobs import prepare_task, run_task
from ...core.outcomes import TaskSummary, outcome_rows
from ...core.progress import JobState, Progress
from ..job_progress import JobRun, ProgressPanel
from ..resources import icon
from ..views.base import fill_outcome_table, operator_message, top_items
from .context import WizardContext

FINAL_WORDS = {
    "completed": "Done.",
    "cancelled": "Cancelled. The profiles processed so far keep their changes; "
    "the task can be resumed from the Tasks view.",
    "failed": "The job failed.",
    "interrupted": "The job was interrupted; it can be resumed from the Tasks view.",
}


def run_wizard_job(
    store: Any, job: Job, state: JobState, announce: Callable[[int], None], settings: Any
) -> TaskSummary:
    """Prepare the task (validation: raises with one line), announce it, run it."""
    task_id = prepare_task(store, job, settings=settings)
    announce(task_id)
    return run_task(store, task_id, state, settings=settings)


def stop_words(exc: object, task_id: int | None, not_started: str) -> str:
    """The status line of a run that raised: not started, interrupted by a
    failure of the store (resumable), or failed."""
    if task_id is None:
        return not_started
    if interrupting_fault(exc, task_id) is not None:
        return f"Task {task_id}: interrupted; it can be resumed from the Tasks view."
    return "Failed."


def interrupting_fault(exc: object, task_id: int | None) -> StoreFault | None:
    """``exc`` if it is the failure of the store that left the task interrupted."""
    if task_id is not None and isinstance(exc, StoreFault) and exc.task_id == task_id:
        return exc
    return None


class RunPage(QWizardPage):
    """Progress bar, rate, time left, Cancel; the counts by outcome at the end."""

    show_task_requested = Signal(int)
    job_finished = Signal(int)  # task id

    def __init__(self, ctx: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.task_id: int | None = None
        self.summary: TaskSummary | None = None
        self.error: str | None = None
        self.run: JobRun | None = None
        #: True once the job's result (or error) has been shown.
        self.finished = False
        self.setTitle("Running the update")
        self.setSubTitle("The job runs in the background; the window stays usable.")
        self._build()

    def _build(self) -> None:
        self.status_label = QLabel("Starting…")
        self.status_label.setObjectName("bigCount")
        self.status_label.setWordWrap(True)
        self.progress = ProgressPanel("profiles")
        self.progress_bar = self.progress.bar
        self.rate_label = self.progress.rate_label
        self.left_label = self.progress.left_label
        self.elapsed_label = self.progress.elapsed_label
        self.cancel_button = QPushButton(icon("cancel"), "&Cancel job")
        self.cancel_button.clicked.connect(self.cancel)
        self.show_task_button = QPushButton(icon("tasks"), "Show in &Tasks")
        self.show_task_button.setEnabled(False)
        self.show_task_button.clicked.connect(self._on_show_task)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.show_task_button)
        self.error_label = QLabel()
        self.error_label.setObjectName("error")
        self.error_label.setStyleSheet("color: #a12622;")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        self.counts_table = QTreeWidget()
        self.counts_table.setObjectName("outcomeTable")
        self.counts_table.setHeaderLabels(["Outcome", "Profiles"])
        self.counts_table.setRootIsDecorated(False)
        self.counts_table.setAlternatingRowColors(True)
        self.counts_table.setMaximumHeight(240)
        self.counts_table.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.status_label)
        layout.addWidget(self.progress)
        layout.addLayout(buttons)
        layout.addWidget(self.error_label)
        layout.addWidget(self.counts_table)
        layout.addStretch(1)

    # -- running -------------------------------------------------------------------
    def initializePage(self) -> None:
        self.start(self.ctx.job())

    def start(self, job: Job) -> None:
        self.task_id = None
        self.summary = None
        self.error = None
        self.finished = False
        self.status_label.setText("Starting…")
        self.error_label.hide()
        self.counts_table.hide()
        self.progress.reset()
        self.cancel_button.setEnabled(True)
        self.show_task_button.setEnabled(False)
        store, settings = self.ctx.store, self.ctx.settings
        run = JobRun(
            lambda state, announce: run_wizard_job(store, job, state, announce, settings), self
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
        """The running job's cancel flag and progress callback."""
        return self.run.state if self.run is not None else None

    def is_running(self) -> bool:
        """True from the start until the result has arrived on the main thread."""
        return self.run is not None and not self.finished

    def thread_running(self) -> bool:
        """True while the worker thread itself still runs."""
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
        self.status_label.setText(f"Task {task_id}: selecting the profiles…")
        self.show_task_button.setEnabled(True)

    @Slot(object)
    def _on_progress(self, progress: Progress) -> None:
        if not self.progress.show_progress(progress):
            return
        if self.run is not None and not self.run.is_cancelled():
            self.status_label.setText(
                f"Task {self.task_id}: {progress.done:,} of {progress.total:,} profiles processed"
            )

    @Slot(object)
    def _on_done(self, summary: Any) -> None:
        self.summary = summary
        if summary.status == "failed":
            self.error = summary.error or "unknown error"
            self._show_error(self.error)
        self.status_label.setText(
            f"Task {summary.task_id}: {FINAL_WORDS.get(summary.status, summary.status)}"
        )
        self.progress.set_counts(summary.processed, summary.selected)
        self._fill_counts(summary)
        self.job_finished.emit(summary.task_id)

    @Slot(object)
    def _on_error(self, exc: object) -> None:
        self.error = operator_message(exc)
        self.status_label.setText(stop_words(exc, self.task_id, "The job did not start."))
        self._show_error(self.error)
        fault = interrupting_fault(exc, self.task_id)
        if fault is not None and fault.done is not None:  # how far it got
            self.progress.set_counts(*fault.done)
        else:
            self.progress_bar.setRange(0, 1)
            self.progress_bar.setValue(0)
        if self.task_id is not None:
            self.job_finished.emit(self.task_id)

    def _show_error(self, message: str) -> None:
        self.error_label.setText(f"Error: {message}")
        self.error_label.show()

    @Slot()
    def _on_finished(self) -> None:
        self.finished = True
        self.cancel_button.setEnabled(False)
        self.show_task_button.setEnabled(self.task_id is not None)
        self.completeChanged.emit()

    def _fill_counts(self, summary: TaskSummary) -> None:
        fill_outcome_table(self.counts_table, outcome_rows(summary))
        self.counts_table.resizeColumnToContents(0)
        self.counts_table.show()

    def outcome_counts(self) -> dict[str, int]:
        """The counts table as {label: number} (tests, screenshots)."""
        return {
            item.text(0): int(item.text(1).replace(",", ""))
            for item in top_items(self.counts_table)
        }

    @Slot()
    def _on_show_task(self) -> None:
        if self.task_id is not None:
            self.show_task_requested.emit(self.task_id)

    def isComplete(self) -> bool:
        return self.finished

    def shutdown(self, msecs: int = 60_000) -> None:
        """Cancel a running job and wait for its thread (the wizard is closing)."""
        if self.run is not None and not self.finished:
            self.run.cancel()
        if self.run is not None:
            self.run.wait(msecs)
