"""The import wizard's review page: the import in plain words, and a dry run.

When the page opens the whole import is checked again in a worker thread
(``plan_import``: the file may have changed since the mapping page, and the
rejects folder must be writable); its mapping lines come from
``describe_plan``.  **Dry run** runs the import with ``dry_run=True`` (a task
of its own, no profile changed) as a :class:`~..job_progress.JobRun`, like the
run page's import: a file of hundreds of thousands of rows takes a minute, so
the page shows its phase and rows done of the total (reports thinned to ten a
second), and **Cancel dry run** stops it after the current chunk or batch.
At the end it shows what would be added, updated and not imported by reason.
Going Back, or opening the page again, cancels a dry run still running and
drops its result.  It is the commit page: Next is "Import".
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from ...core.actions.base import SKIP_REASONS
from ...core.config import Settings
from ...core.importer import (
    DUPLICATES,
    MODES,
    NOT_IMPORTED,
    ImportSpec,
    ImportSpecError,
    ImportSummary,
    describe_plan,
    import_summary,
    plan_import,
    prepare_import,
    rejects_file_problem,
    run_import_task,
    step_words,
)
from ...core.progress import JobState, Progress
from ...core.store import Store
from ...core.words import status_word
from ..job_progress import JobRun, ProgressPanel
from ..resources import icon
from ..views.base import top_items
from ..wizard.actions.base import channel_label
from .common import (
    ImportContext,
    LatestCall,
    SpecWizard,
    counts_table,
    fill_counts,
    line_label,
    message_of,
    short_path,
    show_line,
)
from .file_page import ENCODING_NAMES

#: Mapping lines shown in one column before a second one starts.
MAPPING_LINES_PER_COLUMN = 8


@dataclass(frozen=True)
class ReviewFacts:
    """What the background check found out about the import."""

    mapping_lines: list[str]
    file_text: str
    match_label: str


def check_import(store: Store, spec: ImportSpec) -> ReviewFacts:
    """Check the whole import again (worker thread); nothing is written."""
    with store.begin() as conn:
        plan = plan_import(store, conn, spec)
    reason = rejects_file_problem(spec)
    if reason:
        raise ImportSpecError(f"{spec.rejects}: {reason}")
    encoding = ENCODING_NAMES.get(plan.fmt.encoding, plan.fmt.encoding)
    file_text = (
        f"{spec.file} ({encoding}, {plan.fmt.delimiter_name}-separated, {len(plan.header)} columns)"
    )
    return ReviewFacts(describe_plan(plan), file_text, plan.match.field.label)


def dry_run_job(
    store: Store,
    spec: ImportSpec,
    state: JobState,
    announce: Callable[[int], None],
    settings: Settings,
) -> ImportSummary:
    """The import with ``dry_run=True`` as a JobRun's function (worker thread):
    its task is announced before the file is read, so the page can name it."""
    task_id = prepare_import(store, spec, dry_run=True, settings=settings)
    announce(task_id)
    run_import_task(store, task_id, state, settings=settings)
    return import_summary(store, task_id)


#: The line of a dry run the operator cancelled (its task stops; no profile changed).
DRY_RUN_CANCELLED = "Dry run cancelled: nothing was changed."


def mapping_html(lines: list[str]) -> str:
    """The mapping lines in up to three columns (a wide file stays on the page)."""
    columns = 1 if len(lines) <= MAPPING_LINES_PER_COLUMN else 2 if len(lines) <= 16 else 3
    shown = lines[: columns * MAPPING_LINES_PER_COLUMN * 2]
    more = len(lines) - len(shown)
    per_column = -(-len(shown) // columns)
    cells = [
        "<br>".join(html.escape(line) for line in shown[i : i + per_column])
        for i in range(0, len(shown), per_column)
    ]
    row = "".join(f'<td style="padding-right: 28px">{cell}</td>' for cell in cells)
    tail = f"<br>… and {more} more columns" if more > 0 else ""
    return f"<table cellspacing=0 cellpadding=0><tr>{row}</tr></table>{tail}"


def reason_text(reason: str) -> str:
    return NOT_IMPORTED.get(reason) or SKIP_REASONS.get(reason, reason)


def subscription_text(spec: ImportSpec) -> str:
    sub = spec.subscribe
    if sub is None:
        return "no"
    text = f"{sub.resource} / {channel_label(sub.channel)} with status {status_word(sub.status)}"
    if sub.status == "subscribed":
        text += (
            " (unsafe statuses included)" if sub.include_unsafe else " (unsafe statuses skipped)"
        )
    return text


class ReviewPage(QWizardPage):
    """Summary of the import, Dry run; "Import" (commit) once checked."""

    def __init__(self, ctx: ImportContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.facts: ReviewFacts | None = None
        self.problem: str | None = None
        self.dry_run_summary: ImportSummary | None = None
        self.dry_run_error: str | None = None
        self.dry_run_cancelled = False
        self._check = LatestCall()
        #: The dry run the page shows; those stopped by Back run on to their cancel.
        self._dry_run: JobRun | None = None
        self._stopped_runs: list[JobRun] = []
        self._dry_task_id: int | None = None
        #: The step the dry run's last report named (``Progress.phase``).
        self.dry_run_phase = ""
        self.setTitle("Import profiles: review")
        self.setSubTitle("Check what will happen. Nothing has been changed yet.")
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Import")
        self._build()

    # -- layout --------------------------------------------------------------------------
    def _build(self) -> None:
        self.file_label = line_label()
        self.database_label = line_label()
        self.mapping_label = line_label()
        self.matching_label = line_label()
        self.options_label = line_label()
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        form.addRow("File:", self.file_label)
        form.addRow("Into:", self.database_label)
        form.addRow("Columns:", self.mapping_label)
        form.addRow("Matching:", self.matching_label)
        form.addRow("Options:", self.options_label)
        self.problem_label = line_label("error")
        self.problem_label.hide()
        self.dry_run_button = QPushButton("Dr&y run")
        self.dry_run_button.setToolTip(
            "Read and check the whole file and work out every row's outcome, changing nothing"
        )
        self.dry_run_button.clicked.connect(self.start_dry_run)
        self.cancel_dry_run_button = QPushButton(icon("cancel"), "&Cancel dry run")
        self.cancel_dry_run_button.setToolTip("Stop the dry run after the current batch")
        self.cancel_dry_run_button.clicked.connect(self.cancel_dry_run)
        self.cancel_dry_run_button.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.dry_run_button)
        buttons.addWidget(self.cancel_dry_run_button)
        buttons.addStretch(1)
        self.dry_run_status = line_label("hint")
        self.dry_run_progress = ProgressPanel("rows")
        self.dry_run_progress.setObjectName("dryRunProgress")
        self.dry_run_progress.hide()
        self.dry_run_table = counts_table("Outcome of the dry run", "Rows")
        self.dry_run_table.setObjectName("dryRunTable")
        self.dry_run_table.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem_label)
        layout.addSpacing(6)
        layout.addLayout(buttons)
        layout.addWidget(self.dry_run_status)
        layout.addWidget(self.dry_run_progress)
        layout.addWidget(self.dry_run_table)
        layout.addStretch(1)

    def import_wizard(self) -> SpecWizard:
        return self.wizard()  # type: ignore[return-value]

    def spec(self) -> ImportSpec:
        return self.import_wizard().spec()

    # -- opening --------------------------------------------------------------------------
    def initializePage(self) -> None:
        self._stop_dry_run()
        spec = self.spec()
        self.facts = None
        self.problem = None
        self.dry_run_summary = None
        self.dry_run_error = None
        self.dry_run_cancelled = False
        self.dry_run_table.hide()
        show_line(self.dry_run_status, "", error=False)
        show_line(self.problem_label, "", error=True)
        self.file_label.setText(short_path(spec.file, 90))
        self.file_label.setToolTip(spec.file)
        self.database_label.setText(spec.database)
        self.mapping_label.setText("Checking…")
        self.matching_label.setText(self._matching_text(spec, None))
        self.options_label.setText(self._options_text(spec))
        self._set_busy()
        store = self.ctx.store
        self._check.start(lambda: check_import(store, spec), self._on_checked, self._on_failed)

    @staticmethod
    def _matching_text(spec: ImportSpec, match_label: str | None) -> str:
        empty = "Empty cells clear the value" if spec.empty_clears else "Empty cells keep the value"
        return "\n".join(
            [
                f"Match by {match_label or spec.match}: {MODES[spec.mode]}",
                f"Rows with the same key: {DUPLICATES[spec.duplicates]}",
                empty,
            ]
        )

    @staticmethod
    def _options_text(spec: ImportSpec) -> str:
        lines = [f"Subscribe: {subscription_text(spec)}"]
        lines.append(
            "Triggers: not started by this import"
            if spec.skip_triggers
            else "Triggers: started by this import"
        )
        lines.append(
            f"Rows not imported go to: {spec.rejects}" if spec.rejects else "No rejects file"
        )
        return "\n".join(lines)

    @Slot(object)
    def _on_checked(self, facts: Any) -> None:
        self.facts = facts
        spec = self.spec()
        self.file_label.setText(short_path(facts.file_text, 110))
        self.mapping_label.setText(mapping_html(facts.mapping_lines))
        self.mapping_label.setToolTip("\n".join(facts.mapping_lines))
        self.matching_label.setText(self._matching_text(spec, facts.match_label))
        self._set_busy()
        self.completeChanged.emit()

    @Slot(object)
    def _on_failed(self, exc: object) -> None:
        self.problem = message_of(exc)
        self.mapping_label.setText("–")
        show_line(self.problem_label, f"This import cannot run: {self.problem}", error=True)
        self._set_busy()
        self.completeChanged.emit()

    def _set_busy(self) -> None:
        ready = self.facts is not None and self.problem is None
        running = self.is_dry_running()
        self.dry_run_button.setEnabled(ready and not running)
        self.cancel_dry_run_button.setVisible(running)
        self.cancel_dry_run_button.setEnabled(running and not self._dry_run_cancelling())

    def is_checking(self) -> bool:
        return self._check.pending

    def is_dry_running(self) -> bool:
        """True from the start of a dry run until its result has arrived."""
        return self._dry_run is not None and self._dry_run.is_running()

    def stopped_dry_runs(self) -> list[JobRun]:
        """Dry runs stopped by Back or a new start whose thread has not ended yet."""
        return list(self._stopped_runs)

    def _dry_run_cancelling(self) -> bool:
        return self._dry_run is not None and self._dry_run.is_cancelled()

    def isComplete(self) -> bool:
        return self.facts is not None and self.problem is None and not self.is_dry_running()

    # -- dry run ----------------------------------------------------------------------------
    @Slot()
    def start_dry_run(self) -> None:
        if self.facts is None or self.is_dry_running():
            return
        self._stop_dry_run()
        spec = self.spec()
        store, settings = self.ctx.store, self.ctx.settings
        self.dry_run_summary = None
        self.dry_run_error = None
        self.dry_run_cancelled = False
        self._dry_task_id = None
        self.dry_run_phase = ""
        self.dry_run_table.hide()
        show_line(self.dry_run_status, "Dry run: checking the import…", error=False)
        self.dry_run_progress.reset()
        self.dry_run_progress.show()
        run = JobRun(
            lambda state, announce: dry_run_job(store, spec, state, announce, settings), self
        )
        # Each signal carries its run: the result of a run stopped by Back is not shown.
        run.task_created.connect(partial(self._on_dry_task_created, run))
        run.progressed.connect(partial(self._on_dry_progress, run))
        run.done.connect(partial(self._on_dry_run, run))
        run.failed.connect(partial(self._on_dry_failed, run))
        run.finished.connect(partial(self._on_dry_finished, run))
        self._dry_run = run.start()
        self._set_busy()
        self.completeChanged.emit()

    @Slot()
    def cancel_dry_run(self) -> None:
        """Cancel: the dry run stops after the current chunk or batch."""
        if self._dry_run is None or not self.is_dry_running():
            return
        self._dry_run.cancel()
        self._set_busy()
        show_line(
            self.dry_run_status, "Cancelling the dry run after the current batch…", error=False
        )

    def _on_dry_task_created(self, run: JobRun, task_id: int) -> None:
        if run is not self._dry_run:
            return
        self._dry_task_id = task_id
        if not run.is_cancelled():
            show_line(self.dry_run_status, self._phase_line(None), error=False)

    def _on_dry_progress(self, run: JobRun, progress: Progress) -> None:
        if run is not self._dry_run:
            return
        self.dry_run_phase = progress.phase
        if not self.dry_run_progress.show_progress(progress) or run.is_cancelled():
            return
        show_line(self.dry_run_status, self._phase_line(progress), error=False)

    def _phase_line(self, progress: Progress | None) -> str:
        """The running line, e.g. Dry run (task 7): working out every row: 2,000 of 3,000 rows."""
        task = f" (task {self._dry_task_id})" if self._dry_task_id is not None else ""
        step = step_words(self.dry_run_phase, dry_run=True)
        counts = f": {progress.done:,} of {progress.total:,} rows" if progress else "…"
        return f"Dry run{task}: {step}{counts}"

    def _on_dry_run(self, run: JobRun, summary: ImportSummary) -> None:
        if run is not self._dry_run:
            return
        self.dry_run_summary = summary
        if summary.status == "cancelled":
            self.dry_run_cancelled = True
            show_line(self.dry_run_status, DRY_RUN_CANCELLED, error=False)
            return
        if summary.status != "completed":
            self.dry_run_error = summary.error or summary.status
            show_line(self.dry_run_status, f"The dry run failed: {self.dry_run_error}", error=True)
            return
        text = f"Dry run (task {summary.task_id}): nothing was changed. Import would do this now."
        if summary.rejects_problem:
            text += f" Rejects: {summary.rejects_problem}."
        elif summary.rejects_file and summary.not_imported_total:
            text += f" The rows not imported are in {Path(summary.rejects_file).name}."
        show_line(self.dry_run_status, text, error=False)
        self.dry_run_status.setToolTip(summary.rejects_file or "")
        self._fill_dry_run(summary)

    def _fill_dry_run(self, summary: ImportSummary) -> None:
        rows = [
            ("Rows in the file", summary.rows),
            ("Would add", summary.added),
            ("Would update", summary.updated),
            ("Unchanged (already had the values)", summary.unchanged),
            ("Would not import", summary.not_imported_total),
        ]
        rows += [
            (f"    {reason_text(reason)}", n)
            for reason, n in sorted(summary.not_imported.items(), key=lambda kv: -kv[1])
        ]
        fill_counts(self.dry_run_table, rows)

    def _on_dry_failed(self, run: JobRun, exc: object) -> None:
        if run is not self._dry_run:
            return
        self.dry_run_error = message_of(exc)
        show_line(self.dry_run_status, f"The dry run failed: {self.dry_run_error}", error=True)

    def _on_dry_finished(self, run: JobRun) -> None:
        if run in self._stopped_runs:
            self._stopped_runs.remove(run)
        if run is not self._dry_run:
            return
        self.dry_run_progress.hide()  # the line (and the table) say how it ended
        self._set_busy()
        self.completeChanged.emit()

    def dry_run_counts(self) -> dict[str, int]:
        """The dry run table as {label: number} (tests)."""
        return {
            item.text(0).strip(): int(item.text(1).replace(",", ""))
            for item in top_items(self.dry_run_table)
        }

    def validatePage(self) -> bool:
        return self.isComplete()

    def cleanupPage(self) -> None:
        """Back: a dry run of choices about to change is of no use any more."""
        self._stop_dry_run()
        super().cleanupPage()

    def _stop_dry_run(self) -> None:
        """Cancel a running dry run and drop its result; its thread ends at the
        next chunk or batch (the main thread does not wait for it)."""
        run, self._dry_run = self._dry_run, None
        if run is not None and run.is_running():
            run.cancel()
            self._stopped_runs.append(run)
        self.dry_run_progress.hide()
        self._set_busy()

    def abandon(self) -> None:
        self._stop_dry_run()
        self._check.discard()

    def threads_running(self) -> bool:
        runs = [r for r in (self._dry_run, *self._stopped_runs) if r is not None]
        return any(r.thread_running() for r in runs)

    def shutdown(self) -> None:
        """Cancel a dry run and wait for the threads (the wizard is closing)."""
        for run in [r for r in (self._dry_run, *self._stopped_runs) if r is not None]:
            run.stop(60_000)
        self._check.wait(60_000)
        self._check.discard()
