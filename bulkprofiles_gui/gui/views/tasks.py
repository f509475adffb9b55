"""Data -> Tasks: the audit trail of runs, newest first.

Filters by status and type; details show the job document and the counts by
reason; a running task's progress is followed live (the list is polled once
a second while a task runs, so a run in another process shows too); an
interrupted task can be resumed here; a task's per-profile outcomes export
to CSV, with the profile fields the operator ticks.  Revert… gives the
profiles a task changed their values before it (``core/revert.py``): a
dialog says what is restored and offers a dry run; the revert then runs
here in the background as a task of its own, which Cancel stops (and Resume
continues).  A task that cannot be reverted says why (tooltip and details).
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core.actions import ACTIONS
from ...core.config import Settings
from ...core.export import OUTCOME_COLUMNS, export_task, task_columns
from ...core.outcomes import outcome_rows
from ...core.progress import JobState, Progress
from ...core.revert import revert_problem
from ...core.selection.describe import database_labels, describe_job_conditions
from ...core.store import Store
from ...core.tasks import ACTION_LABELS, REVERT_TYPE, TaskRow
from ...core.words import task_status_word
from ..dialogs.revert import RevertDialog
from ..export_run import ExportRun, ask_csv_target, column_choices
from ..job_progress import JobRun, format_duration
from ..resources import icon
from ..ui_settings import ui_settings
from ..widgets.export_columns import ColumnChoice, ExportColumnsDialog
from .base import StoreView, fill_outcome_table, make_table, operator_message, top_items

#: How the column chooser shows the columns every task export writes.
OUTCOME_LABELS = {
    "profile_id": "Profile ID",
    "outcome": "Outcome",
    "reason": "Skip reason",
    "reason_text": "Skip reason, in words",
}
STATUSES = ("queued", "running", "completed", "cancelled", "failed", "interrupted")
POLL_MS = 1000
#: Dry runs are written in this colour (besides "Dry run" in words).
_DRY_RUN_COLOR = "#6b5a00"
ALL = "All"
_STATUS_COLORS = {
    "completed": "#2e7d32",
    "running": "#1f5fa8",
    "failed": "#a12622",
    "interrupted": "#9a6400",
    "cancelled": "#5b6b7c",
}


def task_column_choices(fields: list[Any]) -> tuple[list[ColumnChoice], list[ColumnChoice]]:
    """(columns every task export writes, profile fields to choose from).

    ``profile_id`` is always written, so the field ``id`` (which would only
    repeat it) is not offered."""
    fixed = [ColumnChoice(key, OUTCOME_LABELS[key]) for key in OUTCOME_COLUMNS]
    return fixed, column_choices([f for f in fields if f.key != "id"])


def _list(
    store: Store, status: str | None, action_type: str | None
) -> tuple[list[Any], dict[int, dict[str, str]]]:
    """The tasks, and the field labels of their databases (for the conditions' words)."""
    from ...core.tasks import list_tasks

    tasks = list_tasks(store, status=status, action_type=action_type)
    ids = {t.database_id for t in tasks if t.database_id is not None}
    return tasks, {i: database_labels(store, i) for i in ids}


class CountedProgressBar(QProgressBar):
    """ "1,001 of 20,000 profiles (5 %)": the numbers with their separators."""

    def text(self) -> str:
        low, high, value = self.minimum(), self.maximum(), self.value()
        percent = round(100 * (value - low) / max(high - low, 1))
        return f"{value:,} of {high:,} profiles ({percent} %)"


class TasksView(StoreView):
    """The Tasks view; ``show_task(id)`` selects a task (e.g. from the wizard)."""

    task_resumed = Signal(int)
    #: The progress of the resume or revert started here (throttled).
    run_progressed = Signal(object)

    #: Two lines a row, so every column fits a 1024-pixel screen: the time's
    #: date over its hour, the full type over where it ran (and "Dry run"),
    #: the status over how long it took.
    COLUMNS = (
        "Time",
        "Task",
        "Status",
        "Selected",
        "Changed",
        "Skipped",
        "Trigger events",
        "Operator",
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Tasks", parent)
        #: The window's settings (archive period, batch size of a revert).
        self.settings = Settings()
        self.tasks: list[Any] = []
        #: Field labels by database id, read with the tasks.
        self._labels: dict[int, dict[str, str]] = {}
        self._wanted_task: int | None = None
        #: The run this view started (a resume or a revert).
        self._run: JobRun | None = None
        self.revert_dialog: RevertDialog | None = None
        self.export_run: ExportRun | None = None
        self._build_filters()
        self._build_table()
        self._build_details()
        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(POLL_MS)
        self.poll_timer.timeout.connect(self.refresh)
        self._update_buttons()

    # -- layout -------------------------------------------------------------------
    def _build_filters(self) -> None:
        self.status_filter = QComboBox()
        self.status_filter.addItem(ALL, None)
        for status in STATUSES:
            self.status_filter.addItem(task_status_word(status), status)
        self.type_filter = QComboBox()
        self.type_filter.addItem(ALL, None)
        for action_type, module in ACTIONS.items():
            self.type_filter.addItem(str(module.LABEL), action_type)
        self.type_filter.addItem(ACTION_LABELS[REVERT_TYPE], REVERT_TYPE)
        for combo, length in ((self.status_filter, 10), (self.type_filter, 16)):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(length)
        qs = ui_settings()
        for combo, key in ((self.status_filter, "status"), (self.type_filter, "type")):
            index = combo.findData(qs.value(f"tasks/{key}_filter"))
            combo.setCurrentIndex(max(index, 0))
            combo.currentIndexChanged.connect(self._on_filter_changed)
        status_label = QLabel("&Status:")
        status_label.setBuddy(self.status_filter)
        type_label = QLabel("T&ype:")
        type_label.setBuddy(self.type_filter)
        self.refresh_button = QPushButton(icon("refresh"), "Re&fresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.resume_button = QPushButton(icon("resume"), "&Resume")
        self.resume_button.setToolTip("Run the rest of an interrupted or cancelled task")
        self.resume_button.clicked.connect(self.resume_selected)
        self.revert_button = QPushButton(icon("revert"), "Re&vert…")
        self.revert_button.clicked.connect(self.revert_selected)
        self.cancel_button = QPushButton(icon("cancel"), "&Cancel run")
        self.cancel_button.setToolTip("Stop the resume or revert started here after its batch")
        self.cancel_button.clicked.connect(self.cancel_run)
        self.export_button = QPushButton(icon("export"), "&Export CSV…")
        self.export_button.setToolTip(
            "Every profile of the task with its outcome and reason, and the fields you choose"
        )
        self.export_button.clicked.connect(self._on_export_clicked)
        bar = QHBoxLayout()
        bar.addWidget(status_label)
        bar.addWidget(self.status_filter)
        bar.addSpacing(12)
        bar.addWidget(type_label)
        bar.addWidget(self.type_filter)
        bar.addStretch(1)
        bar.addWidget(self.refresh_button)
        self.layout_.addLayout(bar)

    def _build_table(self) -> None:
        self.table = make_table([c.replace(" events", "\nevents") for c in self.COLUMNS])
        self.table.setObjectName("tasksTable")
        header = self.table.header()
        header.setStretchLastSection(False)
        for column in range(len(self.COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._on_selection_changed)
        self.empty_label = QLabel()
        self.empty_label.setObjectName("emptyView")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.table_stack = QStackedWidget()
        self.table_stack.addWidget(self.table)
        self.table_stack.addWidget(self.empty_label)

    def _build_details(self) -> None:
        self.detail_title = QLabel("Select a task to see its details.")
        self.detail_title.setObjectName("bigCount")
        self.detail_title.setWordWrap(True)
        self.progress_bar = CountedProgressBar()
        self.progress_bar.hide()
        self.error_label = QLabel()
        self.error_label.setObjectName("error")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        self.revert_label = QLabel()
        self.revert_label.setObjectName("hint")
        self.revert_label.setWordWrap(True)
        self.revert_label.hide()
        self.conditions_label = QLabel()
        self.conditions_label.setObjectName("taskConditions")
        self.conditions_label.setWordWrap(True)
        self.conditions_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.counts_table = make_table(["Outcome", "Profiles"])
        self.counts_table.setObjectName("countsTable")
        counts_header = self.counts_table.header()
        counts_header.setStretchLastSection(False)  # long reasons elide, numbers stay
        counts_header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        counts_header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.job_text = QPlainTextEdit()
        self.job_text.setObjectName("jobDocument")
        self.job_text.setReadOnly(True)
        self.job_text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        counts_box = QWidget()
        counts_layout = QVBoxLayout(counts_box)
        counts_layout.setContentsMargins(0, 0, 0, 0)
        counts_caption = QLabel("Counts by outcome")
        counts_caption.setObjectName("hint")
        counts_layout.addWidget(counts_caption)
        counts_layout.addWidget(self.counts_table)
        job_box = QWidget()
        job_layout = QVBoxLayout(job_box)
        job_layout.setContentsMargins(0, 0, 0, 0)
        job_caption = QLabel("Job document")
        job_caption.setObjectName("hint")
        job_layout.addWidget(job_caption)
        job_layout.addWidget(self.job_text)
        lower_split = QSplitter(Qt.Orientation.Horizontal)
        lower_split.addWidget(counts_box)
        lower_split.addWidget(job_box)
        # Even halves: the outcome labels ("Skipped: no subscription to update")
        # were cut off at 1024 pixels wide with 2:3.
        lower_split.setStretchFactor(0, 1)
        lower_split.setStretchFactor(1, 1)
        details = QWidget()
        details_layout = QVBoxLayout(details)
        details_layout.setContentsMargins(0, 8, 0, 0)
        # What can be done with the selected task sits with its details (the
        # filter bar above would not fit a 1024-pixel screen with them).
        title_row = QHBoxLayout()
        title_row.addWidget(self.detail_title, 1)
        for button in (
            self.resume_button,
            self.revert_button,
            self.cancel_button,
            self.export_button,
        ):
            title_row.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        details_layout.addLayout(title_row)
        details_layout.addWidget(self.progress_bar)
        details_layout.addWidget(self.conditions_label)
        details_layout.addWidget(self.error_label)
        details_layout.addWidget(self.revert_label)
        details_layout.addWidget(lower_split, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table_stack)
        splitter.addWidget(details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.layout_.addWidget(splitter, 1)

    # -- loading -------------------------------------------------------------------
    def refresh(self) -> None:
        status = self.status_filter.currentData()
        action_type = self.type_filter.currentData()
        self.load("list", lambda store: _list(store, status, action_type), self._on_loaded)

    @Slot()
    def _on_filter_changed(self) -> None:
        qs = ui_settings()
        qs.setValue("tasks/status_filter", self.status_filter.currentData() or "")
        qs.setValue("tasks/type_filter", self.type_filter.currentData() or "")
        self.refresh()

    @Slot(object)
    def _on_loaded(self, loaded: Any) -> None:
        selected = self._wanted_task or self.selected_task_id()
        tasks, self._labels = loaded
        self.tasks = list(tasks)
        self.table.blockSignals(True)
        self.table.clear()
        for task in self.tasks:
            self.table.addTopLevelItem(self._item(task))
        self.table.blockSignals(False)
        if selected is not None and self.select_task(selected):
            self._wanted_task = None
        elif top_items(self.table) and self.selected_task_id() is None:
            self.table.setCurrentItem(top_items(self.table)[0])
        self._show_details(self.selected_task())
        self._show_empty()
        self._update_polling()

    def _show_empty(self) -> None:
        """An empty list says why: no task yet, or none that the filters let through."""
        filtered = self.status_filter.currentData() or self.type_filter.currentData()
        self.empty_label.setText(
            "No task matches these filters: choose “All” to see every task."
            if filtered
            else "No tasks yet. Every update, import and revert you run is listed here, "
            "with its counts, and can be resumed or reverted from here."
        )
        empty = not self.tasks
        self.table_stack.setCurrentWidget(self.empty_label if empty else self.table)

    def _item(self, task: Any) -> QTreeWidgetItem:
        where = task.database_name + (f" / {task.segment_name}" if task.segment_name else "")
        place = where + (" · Dry run" if task.dry_run else "")
        duration = format_duration(task.duration)
        status = task_status_word(task.status)
        item = QTreeWidgetItem(
            [
                task.created_at.strftime("%Y-%m-%d\n%H:%M"),
                f"{task.action_label}\n{place}",
                f"{status}\n{duration}" if duration else status,
                f"{task.selected:,}",
                f"{task.changed:,}",
                f"{task.skipped_total:,}",
                f"{task.trigger_events:,}",
                task.operator,
            ]
        )
        item.setData(0, Qt.ItemDataRole.UserRole, task.id)
        item.setToolTip(0, task.created_at.strftime("%Y-%m-%d %H:%M:%S UTC"))
        dry = " (dry run)" if task.dry_run else ""
        item.setToolTip(1, f"{task.action_label}{dry} on {where}")
        color = _STATUS_COLORS.get(task.status)
        if color:
            item.setForeground(2, QBrush(QColor(color)))
        if task.dry_run:
            item.setForeground(1, QBrush(QColor(_DRY_RUN_COLOR)))
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for column in range(3, 7):
            item.setTextAlignment(column, right)
        item.setToolTip(2, task.error or (f"{status}, {duration}" if duration else status))
        return item

    def _update_polling(self) -> None:
        running = any(t.status in ("running", "queued") for t in self.tasks)
        resuming = self.run_active()
        if (running or resuming) and self.isVisible():
            if not self.poll_timer.isActive():
                self.poll_timer.start()
        else:
            self.poll_timer.stop()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self.store is not None:
            self.refresh()

    def hideEvent(self, event: Any) -> None:
        super().hideEvent(event)
        self.poll_timer.stop()

    # -- selection ---------------------------------------------------------------------
    def selected_task_id(self) -> int | None:
        items = self.table.selectedItems()
        return int(items[0].data(0, Qt.ItemDataRole.UserRole)) if items else None

    def selected_task(self) -> Any:
        task_id = self.selected_task_id()
        return next((t for t in self.tasks if t.id == task_id), None)

    def select_task(self, task_id: int) -> bool:
        for item in top_items(self.table):
            if item.data(0, Qt.ItemDataRole.UserRole) == task_id:
                self.table.setCurrentItem(item)
                self.table.scrollToItem(item)
                return True
        return False

    def show_task(self, task_id: int) -> None:
        """Select ``task_id`` (reloading first, with the filters cleared if needed)."""
        self._wanted_task = task_id
        if not self.select_task(task_id):
            self.status_filter.blockSignals(True)
            self.type_filter.blockSignals(True)
            self.status_filter.setCurrentIndex(0)
            self.type_filter.setCurrentIndex(0)
            self.status_filter.blockSignals(False)
            self.type_filter.blockSignals(False)
        self.refresh()

    @Slot()
    def _on_selection_changed(self) -> None:
        self._show_details(self.selected_task())
        self._update_buttons()

    def _update_buttons(self) -> None:
        task = self.selected_task()
        resuming = self.run_active()
        self.resume_button.setEnabled(bool(task and task.resumable) and not resuming)
        problem = self.revert_problem(task)
        self.revert_button.setEnabled(task is not None and problem is None and not resuming)
        self.revert_button.setToolTip(
            f"Task {task.id} {problem}"
            if task is not None and problem
            else "Give the profiles this task changed their values before it"
        )
        self.cancel_button.setEnabled(resuming)
        exporting = self.export_run is not None and self.export_run.is_running()
        self.export_button.setEnabled(
            task is not None and task.started_at is not None and not exporting
        )

    # -- details -----------------------------------------------------------------------
    def _show_details(self, task: Any) -> None:
        self._update_buttons()
        if task is None:
            self.detail_title.setText("Select a task to see its details.")
            self.progress_bar.hide()
            self.error_label.hide()
            self.revert_label.hide()
            self.conditions_label.setText("")
            self.counts_table.clear()
            self.job_text.setPlainText("")
            return
        where = task.database_name + (f", segment {task.segment_name}" if task.segment_name else "")
        dry = " — dry run" if task.dry_run else ""
        self.detail_title.setText(
            f"Task {task.id}: {task.action_label} on {where} — {task.status}{dry}"
        )
        live = task.status in ("running", "queued")
        self.progress_bar.setVisible(live or task.processed < task.selected)
        self.progress_bar.setMaximum(max(task.selected, 1))
        self.progress_bar.setValue(min(task.processed, max(task.selected, 1)))
        self.error_label.setVisible(bool(task.error))
        self.error_label.setText(f"Error: {task.error}" if task.error else "")
        revert_line = self._revert_line(task)
        self.revert_label.setText(revert_line)
        self.revert_label.setVisible(bool(revert_line))
        labels = self._labels.get(task.database_id, {})
        self.conditions_label.setText(f"Conditions: {describe_job_conditions(task.job, labels)}")
        self._fill_counts(task)
        self.job_text.setPlainText(json.dumps(task.job, indent=2, ensure_ascii=False))

    def revert_problem(self, task: Any) -> str | None:
        """Why ``task`` cannot be reverted (None: it can); a phrase after "Task N"."""
        if task is None:
            return "is not selected"
        return revert_problem(task, self.settings.archive_days)

    def _revert_line(self, task: Any) -> str:
        """The details' line about reverting: what a revert reverts, what
        reverted a task, or why an update can no longer be reverted."""
        if task.revert_of is not None:
            return f"Reverts task {task.revert_of}."
        if task.reverted_by is not None:
            return f"Reverted by task {task.reverted_by} ({task.reverted_by_status})."
        problem = self.revert_problem(task)
        if task.action_type in ACTIONS and not task.dry_run and problem:
            return f"This task {problem}."
        return ""

    def _fill_counts(self, task: TaskRow) -> None:
        rows = outcome_rows(task, revert=task.action_type == REVERT_TYPE)
        fill_outcome_table(self.counts_table, rows)

    # -- resume ------------------------------------------------------------------------
    @Slot()
    def resume_selected(self) -> None:
        task = self.selected_task()
        if task is None or not task.resumable or self.store is None:
            return
        store, settings, task_id = self.store, self.settings, task.id

        def run(state: JobState, _announce: Any) -> Any:
            from ...core.resume import run_any_task

            return run_any_task(store, task_id, state, settings=settings)

        self._start_run(run, task_id, "Resume task")

    def _start_run(self, fn: Any, task_id: int, title: str) -> None:
        """Run a task (``fn``: a resume or a revert) as a ``JobRun``."""
        run = JobRun(fn, self)
        run.progressed.connect(self._on_resume_progress)
        run.done.connect(lambda summary: self._on_resume_done(summary.task_id, summary))
        run.failed.connect(lambda exc: self._on_resume_failed(exc, title))
        run.finished.connect(self._update_buttons)
        self._run = run.start()
        self._wanted_task = task_id
        self._update_buttons()
        self.poll_timer.start()

    def run_active(self) -> bool:
        """Whether a resume or revert started here is running."""
        return self._run is not None and self._run.is_running()

    @Slot()
    def cancel_run(self) -> None:
        """Stop the run started here after its current batch (it can be resumed)."""
        if self._run is not None and self.run_active():
            self._run.cancel()
            self.message.emit("Cancelling after the current batch…")

    @Slot(object)
    def _on_resume_progress(self, progress: Progress) -> None:
        self.run_progressed.emit(progress)
        self.progress_bar.show()
        self.progress_bar.setMaximum(max(progress.total, 1))
        self.progress_bar.setValue(progress.done)

    def _on_resume_done(self, task_id: int, summary: Any) -> None:
        self.task_resumed.emit(task_id)
        self._wanted_task = task_id
        self.refresh()

    def _on_resume_failed(self, exc: object, title: str = "Resume task") -> None:
        QMessageBox.warning(self, title, operator_message(exc))
        self.refresh()

    def wait_for_resume(self, msecs: int = 60_000) -> bool:
        return self._run is None or self._run.wait(msecs)

    # -- revert ------------------------------------------------------------------------
    @Slot()
    def revert_selected(self) -> None:
        """Ask with what will be restored (dialog with a dry run), then revert."""
        task = self.selected_task()
        if task is None or self.store is None or self.revert_problem(task) is not None:
            return
        dialog = RevertDialog(self.store, task.id, self.settings, self)
        self.revert_dialog = dialog
        dialog.finished.connect(lambda result: self._on_revert_answer(dialog, task.id, result))
        dialog.open()

    def _on_revert_answer(self, dialog: RevertDialog, task_id: int, result: int) -> None:
        dialog.wait_idle()
        self.refresh()  # a dry run is in the history now
        if result == int(QDialog.DialogCode.Accepted):
            self.start_revert(task_id, triggers=dialog.triggers)

    def start_revert(self, task_id: int, *, triggers: bool = False) -> None:
        """Revert ``task_id`` in the background, following its progress."""
        if self.store is None or self.run_active():
            return
        store, settings = self.store, self.settings

        def run(state: JobState, _announce: Any) -> Any:
            from ...core.revert import revert_task

            return revert_task(store, task_id, state, triggers=triggers, settings=settings)

        self._start_run(run, task_id, "Revert task")

    # -- export ------------------------------------------------------------------------
    def ask_csv_path(self, suggested: str) -> str | None:
        """Where to write the CSV (a method so tests can answer it)."""
        return ask_csv_target(self, "Export task", suggested)

    @Slot()
    def _on_export_clicked(self) -> None:
        """The task's database fields (loaded off the main thread), then columns and file."""
        task = self.selected_task()
        if task is None:
            return
        task_id = task.id
        self.load(
            "export_columns",
            lambda store: task_columns(store, task_id),
            lambda fields: self._choose_and_export(task_id, fields),
        )

    def _choose_and_export(self, task_id: int, fields: list[Any]) -> None:
        fixed, choices = task_column_choices(fields)
        columns = ExportColumnsDialog.ask(
            self, choices, fixed=fixed, what=f"profiles of task {task_id}"
        )
        if columns is None:
            return
        path = self.ask_csv_path(f"task-{task_id}")
        if path:
            self.export_task(task_id, path, columns)

    def export_task(
        self, task_id: int, path: str, columns: list[str] | None = None
    ) -> ExportRun | None:
        """Export the task's profiles (with ``columns``) to ``path`` in the background;
        progress and the end go to the status line."""
        store = self.store
        if store is None:
            return None
        run = ExportRun(
            lambda state: export_task(store, task_id, path, columns, state=state),
            path,
            self,
            what=f"profiles of task {task_id}",
        )
        run.progressed.connect(self.message.emit)
        run.finished.connect(self._on_export_finished)
        self.export_run = run.start()
        self._update_buttons()
        return run

    @Slot(str, object)
    def _on_export_finished(self, message: str, _rows: object) -> None:
        self.message.emit(message)
        self._update_buttons()

    # -- closing -----------------------------------------------------------------------
    def shutdown(self) -> None:
        self.poll_timer.stop()
        if self.revert_dialog is not None:
            self.revert_dialog.wait_idle()
        if self._run is not None:
            self._run.stop()
        if self.export_run is not None:
            self.export_run.cancel()
            self.export_run.wait()
        super().shutdown()
