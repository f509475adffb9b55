"""The import wizard's review page: the import in plain words, and a dry run.

When the page opens the whole import is checked again in a worker thread
(``plan_import``: the file may have changed since the mapping page, and the
rejects folder must be writable); its mapping lines come from
``describe_plan``.  **Dry run** runs the import with ``dry_run=True`` in a
worker thread (a task of its own, no profile changed) and shows what would be
added, updated and not imported by reason.  It is the commit page: Next is
"Import".
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
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
    plan_import,
    run_import,
)
from ...core.progress import JobState
from ...core.store import Store
from ...core.words import status_word
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
    if spec.rejects:
        folder = Path(spec.rejects).parent
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            raise ImportSpecError(f"{spec.rejects}: the folder does not exist or is not writable")
    encoding = ENCODING_NAMES.get(plan.fmt.encoding, plan.fmt.encoding)
    file_text = (
        f"{spec.file} ({encoding}, {plan.fmt.delimiter_name}-separated, {len(plan.header)} columns)"
    )
    return ReviewFacts(describe_plan(plan), file_text, plan.match.field.label)


def dry_run_import(
    store: Store, spec: ImportSpec, state: JobState, settings: Settings
) -> ImportSummary:
    return run_import(store, spec, state, dry_run=True, settings=settings)


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
        self._check = LatestCall()
        self._dry_run = LatestCall()
        self._dry_state: JobState | None = None
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
        buttons = QHBoxLayout()
        buttons.addWidget(self.dry_run_button)
        buttons.addStretch(1)
        self.dry_run_status = line_label("hint")
        self.dry_run_table = counts_table("Outcome of the dry run", "Rows")
        self.dry_run_table.setObjectName("dryRunTable")
        self.dry_run_table.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem_label)
        layout.addSpacing(6)
        layout.addLayout(buttons)
        layout.addWidget(self.dry_run_status)
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
        self.dry_run_table.hide()
        self.dry_run_status.setText("")
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
        self.dry_run_button.setEnabled(ready and not self._dry_run.pending)

    def is_checking(self) -> bool:
        return self._check.pending

    def is_dry_running(self) -> bool:
        return self._dry_run.pending

    def isComplete(self) -> bool:
        return self.facts is not None and self.problem is None and not self._dry_run.pending

    # -- dry run ----------------------------------------------------------------------------
    @Slot()
    def start_dry_run(self) -> None:
        if self.facts is None:
            return
        spec = self.spec()
        store, settings = self.ctx.store, self.ctx.settings
        state = self._dry_state = JobState()
        self.dry_run_summary = None
        self.dry_run_error = None
        self.dry_run_table.hide()
        show_line(
            self.dry_run_status, "Dry run: reading the file and working out every row…", error=False
        )
        self._dry_run.start(
            lambda: dry_run_import(store, spec, state, settings),
            self._on_dry_run,
            self._on_dry_failed,
        )
        self._set_busy()
        self.completeChanged.emit()

    @Slot(object)
    def _on_dry_run(self, summary: Any) -> None:
        self.dry_run_summary = summary
        self._set_busy()
        self.completeChanged.emit()
        if summary.status != "completed":
            self.dry_run_error = summary.error or summary.status
            show_line(self.dry_run_status, f"The dry run failed: {self.dry_run_error}", error=True)
            return
        text = f"Dry run (task {summary.task_id}): nothing was changed. Import would do this now."
        if summary.rejects_file and summary.not_imported_total:
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

    @Slot(object)
    def _on_dry_failed(self, exc: object) -> None:
        self.dry_run_error = message_of(exc)
        show_line(self.dry_run_status, f"The dry run failed: {self.dry_run_error}", error=True)
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
        if self._dry_state is not None:
            self._dry_state.cancel()
        self._dry_state = None
        self._dry_run.discard()

    def shutdown(self) -> None:
        """Cancel a dry run and wait for the threads (the wizard is closing)."""
        if self._dry_state is not None:
            self._dry_state.cancel()
        for call in (self._check, self._dry_run):
            call.wait(60_000)
            call.discard()
