"""The wizard's first page: which profiles the job works on.

Database or saved segment, the rule builder, the range (a two-handle slider,
0-100 %) and the total limit (a slider tied to a spin box, 0 = none).  A live
"N of M profiles" count and a preview of the first profiles are recomputed in
the background after every edit (debounced); a newer edit discards the result
of an older computation, and the window never waits for one.

With a segment, the segment's own conditions always apply and the conditions
built here narrow it further (``core.selection.resolve_job_selection``); the
range and limit start from the segment's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)
from sqlalchemy import Connection

from ...core import catalog as core_catalog
from ...core import segments
from ...core.export import export_selection
from ...core.jobfile import Job, empty_rules
from ...core.selection import (
    RuleProblem,
    count,
    field_catalog,
    preview,
    resolve_job_selection,
    total,
)
from ...core.selection.catalog import PROFILE_FIELDS
from ...core.selection.compiler import RuleCompiler
from ...core.selection.context import SchemaContext, load_context
from ...core.selection.model import FieldChoice, SelectionSpec
from ...core.store import Store
from ..export_run import ExportRun, ask_csv_target
from ..resources import icon
from ..widgets.export_columns import ColumnChoice, ExportColumnsDialog
from ..widgets.rule_builder import RuleBuilder
from ..widgets.tone import set_tone
from ..worker import op_connection, ops
from .context import WizardContext
from .selection.count_preview import PreviewBox, count_text
from .selection.range_limit import LimitBox, RangeBox
from .selection.source_picker import SourceEntry, SourcePicker

#: Debounce of the live count after an edit (ms).
COUNT_DELAY_MS = 300
PREVIEW_ROWS = 50


def wait_for_background_calls(msecs: int = 30_000) -> bool:
    """Block until every background store op has finished (tests, shutdown)."""
    return ops.wait(msecs)


def background_calls_running() -> int:
    return ops.running()


# --- what the background calls return -----------------------------------------------------


@dataclass(frozen=True)
class DatabaseSchema:
    database_id: int
    catalog: list[FieldChoice]
    context: SchemaContext
    total: int


@dataclass(frozen=True)
class CountResult:
    generation: int
    selected: int
    header: list[str]
    rows: list[tuple[Any, ...]]


def load_sources(store: Store) -> list[SourceEntry]:
    """Every database, each followed by its saved segments."""
    with store.begin() as conn:
        databases = core_catalog.list_databases(store, conn)
        saved = _list_segments(store, conn)
    entries: list[SourceEntry] = []
    for db in databases:
        entries.append(SourceEntry(db.id, db.name, db.profiles))
        entries += [
            SourceEntry(
                db.id,
                db.name,
                db.profiles,
                seg.name,
                seg.range_from,
                seg.range_to,
                seg.limit,
                rules=seg.rules,
            )
            for seg in saved
            if seg.database_id == db.id
        ]
    return entries


def _list_segments(store: Store, conn: Connection) -> list[segments.SegmentInfo]:
    return segments.list_segments(store, conn)


def _create_segment(store: Store, conn: Connection, spec: SelectionSpec, name: str) -> None:
    segments.create_segment(
        store,
        conn,
        spec.database_id,
        name,
        rules=spec.rules,
        range_from=spec.range_from,
        range_to=spec.range_to,
        limit=spec.limit,
    )


def save_segment(store: Store, job: Job, name: str) -> None:
    """Save the selection ``job`` describes as segment ``name`` (a worker thread)."""
    with store.begin() as conn:
        spec = resolve_job_selection(store, conn, job)
        _create_segment(store, conn, spec, name)


def load_schema(store: Store, database_id: int) -> DatabaseSchema:
    with store.begin() as conn:
        return DatabaseSchema(
            database_id,
            field_catalog(store, conn, database_id),
            load_context(store, conn, database_id),
            total(store, conn, database_id),
        )


def count_selection(store: Store, job: Job, generation: int) -> CountResult:
    """N and the first profiles of the selection ``job`` describes; a newer
    edit stops it in the database (``op_connection``).  The "of M" is the
    database's size read with its schema (when the source is chosen), not
    counted again with every edit: that second count of the whole database
    cost 0.13-0.25 s per edit at 1,000,000 profiles and 0.7-1.2 s at
    10,000,000 on PostgreSQL."""
    with op_connection(store) as conn:
        spec = resolve_job_selection(store, conn, job)
        selected = count(store, conn, spec)
        header, rows = preview(store, conn, spec, k=PREVIEW_ROWS)
        return CountResult(generation, selected, header, rows)


class SelectionPage(QWizardPage):
    """Database/segment, rules, range and limit; sets ``ctx.database_*`` as it goes."""

    #: A count of the current selection landed (the operator may be on a later page).
    counted_now = Signal(object)  # int: a Qt int is 32 bits

    def __init__(self, ctx: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setTitle("Select profiles")
        self.setSubTitle(
            "Choose the profile database (or a saved segment) and the conditions "
            "profiles must meet. The count updates as you edit."
        )
        self._sources: list[SourceEntry] = []
        self._schema: DatabaseSchema | None = None
        self._pending_job: Job | None = None
        self._generation = 0
        self._count_call_generation = -1
        self._counted_generation = -1
        #: N of the count shown when it is that of the current selection, else None.
        self.selected_count: int | None = None
        self._sources_loading = False
        self._stopped = False
        self.export_run: ExportRun | None = None
        #: What the wizard was last told ``isComplete`` is (None: nothing yet).
        self._complete_shown: bool | None = None
        self._build()

    # --- layout ------------------------------------------------------------------------

    def _build(self) -> None:
        self.source_picker = SourcePicker()
        self.source_combo = self.source_picker.combo
        self.source_hint = self.source_picker.hint
        self.range_box = RangeBox()
        self.range_slider = self.range_box.slider
        self.limit_box = LimitBox()
        self.limit_slider = self.limit_box.slider
        self.limit_spin = self.limit_box.spin
        range_row = QHBoxLayout()
        range_row.addWidget(self.range_box, 3)
        range_row.addSpacing(12)
        range_row.addWidget(self._buddy("Total &limit:", self.limit_spin))
        range_row.addWidget(self.limit_box, 2)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow(self._buddy("&Profiles from:", self.source_combo), self.source_picker)
        form.addRow(self._buddy("&Range:", self.range_box.from_box), range_row)

        self.rule_builder = RuleBuilder()
        self.rules_scroll = QScrollArea()
        self.rules_scroll.setObjectName("rulesScroll")  # transparent: style.qss
        self.rules_scroll.setWidgetResizable(True)
        self.rules_scroll.setWidget(self.rule_builder)
        self.rules_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.rules_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the rules

        self.preview_box = PreviewBox(PREVIEW_ROWS)
        self.preview_table = self.preview_box.table

        self.count_label = QLabel("–")
        self.count_label.setObjectName("bigCount")
        self.count_status = QLabel()
        self.count_status.setObjectName("hint")
        self.save_segment_button = QPushButton("&Save as segment…")
        self.save_segment_button.setAutoDefault(False)
        self.save_message = QLabel()
        self.save_message.setWordWrap(True)
        count_row = QHBoxLayout()
        count_row.addWidget(self.count_label)
        count_row.addWidget(self.count_status, 1)
        count_row.addWidget(self.save_message)
        count_row.addWidget(self.save_segment_button)
        self._build_export(count_row)

        rules_box = QWidget()
        rules_layout = QVBoxLayout(rules_box)
        rules_layout.setContentsMargins(0, 0, 0, 0)
        rules_layout.addWidget(QLabel("Conditions:"))
        rules_layout.addWidget(self.rules_scroll)
        self.rules_box = rules_box

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(rules_box)
        splitter.addWidget(self.preview_box)
        # Half and half: on a small screen the preview keeps six rows or more.
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([1000, 1000])
        self.splitter = splitter
        # The rules take what they need up to half; the preview the rest.
        self._split_dragged = False
        splitter.splitterMoved.connect(self._on_split_dragged)
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.timeout.connect(self._fit_split)
        splitter.installEventFilter(self)
        self.rule_builder.installEventFilter(self)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(splitter, 1)
        layout.addLayout(count_row)

        self.count_timer = QTimer(self)
        self.count_timer.setSingleShot(True)
        self.count_timer.setInterval(COUNT_DELAY_MS)
        self.count_timer.timeout.connect(self._start_count)

        self.source_picker.changed.connect(self._on_source_changed)
        self.rule_builder.changed.connect(self._on_selection_edited)
        self.range_box.changed.connect(self._on_selection_edited)
        self.limit_box.changed.connect(self._on_selection_edited)
        self.save_segment_button.clicked.connect(self._save_as_segment)
        self.save_segment_button.setEnabled(False)

    def _update_complete(self) -> None:
        """``completeChanged`` only when ``isComplete`` flips: QWizard answers
        each one by hiding and showing all its contents (its anti-flicker
        widget), a repaint of the whole window that took 20-30 ms of the main
        thread on every edit of the rules."""
        complete = self.isComplete()
        if complete != self._complete_shown:
            self._complete_shown = complete
            self.completeChanged.emit()

    # --- the split between rules and preview ----------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The splitter resized or the rules' layout changed: fit the split again
        (once the events settle)."""
        if event.type() in (QEvent.Type.Resize, QEvent.Type.LayoutRequest):
            self._fit_timer.start(0)
        return super().eventFilter(watched, event)

    def _on_split_dragged(self, _pos: int, _index: int) -> None:
        self._split_dragged = True

    def _fit_split(self) -> None:
        """Short rules (a segment with no further condition, one or two rows)
        get the height they need and the preview the rest; longer rules get
        half, as before.  A split the operator dragged stays as it is."""
        if self._split_dragged:
            return
        sizes = self.splitter.sizes()
        total = sum(sizes)
        if total <= 0:
            return
        viewport = self.rules_scroll.viewport().width()
        content = self.rule_builder
        need = (
            content.heightForWidth(viewport)
            if content.hasHeightForWidth() and viewport > 0
            else content.sizeHint().height()
        )
        chrome = self.rules_box.sizeHint().height() - self.rules_scroll.sizeHint().height()
        rules = min(max(need + chrome + 2, self.rules_box.minimumSizeHint().height()), total // 2)
        if sizes[0] != rules:
            self.splitter.setSizes([rules, total - rules])

    @staticmethod
    def _buddy(text: str, widget: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(widget)
        return label

    # --- the wizard's interface ------------------------------------------------------------

    def initializePage(self) -> None:
        self._stopped = False
        if not self._sources and not self._sources_loading:
            self._load_sources()

    def isComplete(self) -> bool:
        return (
            self._schema is not None
            and self.current_source() is not None
            and self._pending_job is None
            and not self.rule_builder.problems()
            and self._range()[0] < self._range()[1]
        )

    def selection(self) -> dict[str, Any]:
        """The selection part of a job document."""
        source = self.current_source()
        low, high = self._range()
        return {
            "database": source.database_name if source else None,
            "segment": source.segment if source else None,
            "rules": self.rule_builder.rules(),
            "range": {"from": float(low), "to": float(high)},
            "limit": self.limit_spin.value(),
        }

    def load_job(self, job: Job) -> None:
        """Prefill from a job (file); applied once the databases are loaded."""
        self._pending_job = job
        if self._sources:
            self._apply_pending_source()
        elif not self._sources_loading:
            self._load_sources()
        self._update_complete()

    def write_draft(self) -> None:
        """Put the selection into the wizard's job draft (``ctx.draft``); not while
        a job opened from a file waits to be shown (the draft is that job)."""
        if self._pending_job is not None:
            return
        selection, draft = self.selection(), self.ctx.draft
        draft.database, draft.segment = selection["database"], selection["segment"]
        draft.rules = selection["rules"]
        draft.range_from = selection["range"]["from"]
        draft.range_to = selection["range"]["to"]
        draft.limit = selection["limit"]
        self.ctx.selected_count = self.selected_count

    def selection_job(self) -> Job:
        """The draft's selection as a job without an action (count, segment, export)."""
        self.write_draft()
        job = self.ctx.job()
        job.action, job.skip_triggers = None, False
        return job

    def current_source(self) -> SourceEntry | None:
        return self.source_picker.current()

    def shutdown(self, msecs: int = 30_000) -> bool:
        """Stop counting and wait for the page's background calls (wizard close, tests).

        No count starts afterwards, until the page is shown again (initializePage).
        """
        self._stopped = True
        self.count_timer.stop()
        exported = self._stop_export(msecs)
        return ops.wait(msecs, owner=self) and exported

    def abandon(self) -> None:
        """The wizard closed: no count starts, an export is cancelled (nothing
        is written), the loads still running are dropped; nothing waits."""
        self._stopped = True
        self.count_timer.stop()
        if self.export_run is not None and self.export_run.is_running():
            self.export_run.cancel()
        ops.abandon(owner=self)

    def threads_running(self) -> bool:
        exporting = self.export_run is not None and self.export_run.is_running()
        return exporting or ops.busy(self)

    def is_busy(self) -> bool:
        """True while a count, the catalog or the database list is being loaded."""
        return ops.busy(self) or self.count_timer.isActive()

    # --- database list ---------------------------------------------------------------------

    def _load_sources(self) -> None:
        self._sources_loading = True
        self.source_combo.setEnabled(False)
        ops.run(
            self.ctx.store,
            load_sources,
            self._on_sources,
            self._on_load_error,
            key=(self, "sources"),
        )

    @Slot(object)
    def _on_sources(self, sources: list[SourceEntry]) -> None:
        self._sources_loading = False
        keep = self.current_source()
        self._sources = sources
        self._fill_source_combo(sources)
        self.source_combo.setEnabled(True)
        if self._pending_job is not None:
            self._apply_pending_source()
        elif keep is not None:
            self._select_source(keep.database_name, keep.segment)
        elif self.ctx.database_name:
            self._select_source(self.ctx.database_name, self.ctx.segment_name)
        elif sources:
            self.source_combo.setCurrentIndex(0)

    def _fill_source_combo(self, sources: list[SourceEntry]) -> None:
        self.source_picker.fill(sources)

    def _select_source(self, database: str | None, segment: str | None) -> bool:
        return self.source_picker.select(database, segment)

    def _apply_pending_source(self) -> None:
        job = self._pending_job
        assert job is not None
        if not self._select_source(job.database, job.segment):
            what = f"segment “{job.segment}”" if job.segment else f"database “{job.database}”"
            self._pending_job = None
            self._show_count_problem(f"The job's {what} is not in this store.")
            self._update_complete()

    @Slot(str)
    def _on_load_error(self, line: str) -> None:
        self._sources_loading = False
        self.source_combo.setEnabled(True)
        self._show_count_problem(f"Cannot read the store: {line}")

    # --- one database ----------------------------------------------------------------------

    @Slot()
    def _on_source_changed(self) -> None:
        source = self.current_source()
        if source is None:
            return
        self.ctx.database_id = source.database_id
        self.ctx.database_name = source.database_name
        self.ctx.segment_name = source.segment
        self.rule_builder.set_empty_text(
            "No further conditions: every profile of the segment matches."
            if source.segment
            else None
        )
        if self._schema is not None and self._schema.database_id == source.database_id:
            if self._pending_job is not None:  # a job opened on the database shown
                self._on_schema(self._schema)
                return
            self._apply_segment_defaults(source)
            self._on_selection_edited()
            return
        self._schema = None
        self._generation += 1
        self.selected_count = None
        self.save_segment_button.setEnabled(False)
        self._update_export_button()
        self.count_label.setText("–")
        self.count_status.setText("Loading fields…")
        self._update_complete()
        db_id = source.database_id
        ops.run(
            self.ctx.store,
            lambda store: load_schema(store, db_id),
            self._on_schema,
            self._on_load_error,
            key=(self, "schema"),
        )

    @Slot(object)
    def _on_schema(self, schema: DatabaseSchema) -> None:
        source = self.current_source()
        if source is None or source.database_id != schema.database_id:
            return  # another database was chosen meanwhile
        self._schema = schema
        self.limit_box.set_total(schema.total)
        self.rule_builder.set_catalog(schema.catalog, self._validator(schema))
        self.source_picker.set_catalog(self.rule_builder)
        job, self._pending_job = self._pending_job, None
        if job is not None:
            self.rule_builder.set_rules(job.rules)
            self.range_box.set_value(job.range_from, job.range_to)
            self.limit_box.set_value(job.limit)  # as the job says: above the size is "all"
        else:
            self._apply_segment_defaults(source)
        self.save_segment_button.setEnabled(True)
        self._update_export_button()
        self._on_selection_edited()

    def _validator(self, schema: DatabaseSchema) -> Callable[[dict[str, Any]], list[RuleProblem]]:
        store = self.ctx.store

        def validate(rules: dict[str, Any]) -> list[RuleProblem]:
            compiler = RuleCompiler(store, schema.context)
            compiler.compile_root(rules)
            return compiler.problems

        return validate

    def _apply_segment_defaults(self, source: SourceEntry | None) -> None:
        """A segment brings its range and limit (its rules apply on their own)."""
        if source is None or source.segment is None:
            return
        self.range_box.set_value(source.range_from, source.range_to)
        self.limit_box.set_value(source.limit)
        self.rule_builder.set_rules(empty_rules())

    # --- live count ------------------------------------------------------------------------

    def _range(self) -> tuple[int, int]:
        return self.range_box.value()

    @Slot()
    def _on_selection_edited(self) -> None:
        self._update_complete()
        self.selected_count = None
        self.write_draft()
        if self._schema is None:
            return
        self._generation += 1
        problems = self.rule_builder.problems()
        if problems:
            self.count_timer.stop()
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            self._show_count_problem(
                f"Fix the marked condition to see the count — "
                f"{self.rule_builder.describe(problems[0])}{more}"
            )
            return
        if self._range()[0] >= self._range()[1]:
            self.count_timer.stop()
            self._show_count_problem("The range is empty: move the handles apart.")
            return
        self.count_status.setText("Counting…")
        self.count_timer.start()

    @Slot()
    def _start_count(self) -> None:
        """Count the current selection in the background.

        A count still running for an older selection is stopped in the
        database (``ops`` key ``count``, cancellable), so edits never pile up
        work on it; only the newest count's result arrives.
        """
        source = self.current_source()
        if source is None or self._schema is None or self._stopped:
            return
        job = self.selection_job()
        generation = self._generation
        self._count_call_generation = generation
        ops.run(
            self.ctx.store,
            lambda store: count_selection(store, job, generation),
            self._on_count,
            self._on_count_error,
            key=(self, "count"),
            cancellable=True,
        )

    @Slot(object)
    def _on_count(self, result: CountResult) -> None:
        if result.generation != self._generation:
            return  # stale: the selection changed since
        self._counted_generation = result.generation
        self.selected_count = self.ctx.selected_count = result.selected
        self.counted_now.emit(result.selected)
        total = self._schema.total if self._schema is not None else result.selected
        self.count_label.setText(count_text(result.selected, total))
        self.count_status.setText("")
        self._fill_preview(result.header, result.rows)

    @Slot(str)
    def _on_count_error(self, line: str) -> None:
        if self._count_call_generation != self._generation:
            return  # the error of a selection that is no longer shown
        self._counted_generation = self._generation
        self._show_count_problem(f"Cannot count: {line}")

    def _show_count_problem(self, message: str) -> None:
        self.count_label.setText("–")
        self.count_status.setText(message)
        self.preview_box.clear_rows()  # never a preview of another selection

    def _fill_preview(self, header: list[str], rows: list[tuple[Any, ...]]) -> None:
        labels = {c.key: c.label for c in self._schema.catalog} if self._schema else {}
        self.preview_box.fill(header, rows, labels)

    def counted(self) -> bool:
        """True when the count shown is that of the current selection."""
        return (
            self._schema is not None
            and self._counted_generation == self._generation
            and not self.count_timer.isActive()
        )

    # --- save as segment -------------------------------------------------------------------

    def ask_segment_name(self) -> str | None:
        """The name for a new segment (a dialog; tests replace this method)."""
        name, ok = QInputDialog.getText(self, "Save as segment", "Segment &name:")
        return name.strip() if ok else None

    @Slot()
    def _save_as_segment(self) -> None:
        source = self.current_source()
        if source is None or self.rule_builder.problems():
            self._show_save_message("Fix the marked conditions first.", error=True)
            return
        name = self.ask_segment_name()
        if not name:
            return
        job = self.selection_job()
        self.save_segment_button.setEnabled(False)
        ops.run(
            self.ctx.store,
            lambda store: save_segment(store, job, name),
            lambda _none: self._on_segment_saved(name),
            self._on_segment_not_saved,
            key=(self, "save"),
        )

    def _on_segment_saved(self, name: str) -> None:
        self.save_segment_button.setEnabled(True)
        self._show_save_message(f"Saved segment “{name}”.", error=False)
        self._load_sources()

    def _on_segment_not_saved(self, line: str) -> None:
        self.save_segment_button.setEnabled(True)
        self._show_save_message(f"Not saved: {line}", error=True)

    def _show_save_message(self, text: str, *, error: bool) -> None:
        set_tone(self.save_message, "error" if error else "ok")
        self.save_message.setText(text)

    # --- export to CSV ---------------------------------------------------------------------

    def _build_export(self, row: QHBoxLayout) -> None:
        self.export_status = QLabel()
        self.export_status.setObjectName("hint")
        self.export_button = QPushButton(icon("export"), "E&xport…")
        self.export_button.setAutoDefault(False)
        self.export_button.setToolTip("Write the selected profiles to a CSV file")
        self.export_button.clicked.connect(self._on_export_clicked)
        self.export_button.setEnabled(False)
        row.addWidget(self.export_status)
        row.addWidget(self.export_button)

    def _update_export_button(self) -> None:
        running = self.export_run is not None and self.export_run.is_running()
        self.export_button.setText("Cancel e&xport" if running else "E&xport…")
        self.export_button.setEnabled(running or self._schema is not None)

    @Slot()
    def _on_export_clicked(self) -> None:
        """Columns, then the file, then the export in the background (or cancel it)."""
        if self.export_run is not None and self.export_run.is_running():
            self.export_run.cancel()
            return
        source = self.current_source()
        if self._schema is None or source is None:
            return
        if self.rule_builder.problems():
            self.export_status.setText("Fix the marked conditions first.")
            return
        fields = [
            ColumnChoice(c.key, c.label, c.type)
            for c in self._schema.catalog
            if c.group == PROFILE_FIELDS
        ]
        columns = ExportColumnsDialog.ask(self, fields)
        if not columns:
            return
        target = ask_csv_target(self, "Export profiles", source.segment or source.database_name)
        if target:
            self.start_export(columns, target)

    def start_export(self, columns: list[str], target: str) -> ExportRun:
        """Export the current selection's ``columns`` to ``target`` in the background."""
        job, store = Job.from_dict(self.selection()), self.ctx.store
        run = ExportRun(
            lambda state: export_selection(store, job, target, columns, state=state),
            target,
            self,
            shown_as=Path(target).name,
        )
        self.export_status.setToolTip(target)
        run.progressed.connect(self.export_status.setText)
        run.finished.connect(self._on_export_finished)
        self.export_run = run.start()
        self._update_export_button()
        return run

    @Slot(str, object)
    def _on_export_finished(self, message: str, _rows: object) -> None:
        self.export_status.setText(message)
        self._update_export_button()

    def _stop_export(self, msecs: int) -> bool:
        """Cancel a running export (nothing is written) and wait for its thread."""
        if self.export_run is None:
            return True
        self.export_run.cancel()
        return self.export_run.wait(msecs)


def _first_line(exc: object) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


__all__ = [
    "SelectionPage",
    "background_calls_running",
    "wait_for_background_calls",
]
