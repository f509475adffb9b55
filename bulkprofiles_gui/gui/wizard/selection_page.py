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

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)
from sqlalchemy import Connection
from superqt import QLabeledRangeSlider

from ...core import catalog as core_catalog
from ...core import segments
from ...core.export import export_selection
from ...core.jobfile import Job, empty_rules
from ...core.selection import (
    RuleError,
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
from ..worker import BackgroundCall
from .context import WizardContext

#: Debounce of the live count after an edit (ms).
COUNT_DELAY_MS = 300
PREVIEW_ROWS = 50

_ACTIVE_CALLS: set[BackgroundCall] = set()


def _run_in_background(
    fn: Callable[[], Any], done: Callable[[Any], None], error: Callable[[Any], None]
) -> BackgroundCall:
    """Start ``fn`` in a QThread; the call is kept alive until its thread ends,
    even if the page that asked for it goes away first."""
    call = BackgroundCall(fn)
    call.done.connect(done)
    call.error.connect(error)
    _ACTIVE_CALLS.add(call)
    call.finished.connect(lambda: _ACTIVE_CALLS.discard(call))
    return call.start()


def wait_for_background_calls(msecs: int = 30_000) -> bool:
    """Block until every count/preview/catalog call has finished (tests, shutdown)."""
    for call in list(_ACTIVE_CALLS):
        call.discard()
        if not call.wait(msecs):
            return False
    return True


def background_calls_running() -> int:
    return sum(1 for call in _ACTIVE_CALLS if call.is_running())


# --- what the background calls return -----------------------------------------------------


@dataclass(frozen=True)
class SourceEntry:
    """One entry of the database/segment combo."""

    database_id: int
    database_name: str
    profiles: int
    segment: str | None = None
    #: The segment's own range and limit (the page starts from them).
    range_from: float = 0.0
    range_to: float = 100.0
    limit: int = 0


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
    total: int
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
                db.id, db.name, db.profiles, seg.name, seg.range_from, seg.range_to, seg.limit
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


def load_schema(store: Store, database_id: int) -> DatabaseSchema:
    with store.begin() as conn:
        return DatabaseSchema(
            database_id,
            field_catalog(store, conn, database_id),
            load_context(store, conn, database_id),
            total(store, conn, database_id),
        )


def count_selection(store: Store, job: Job, generation: int) -> CountResult:
    """N of M and the first profiles of the selection ``job`` describes."""
    with store.begin() as conn:
        spec = resolve_job_selection(store, conn, job)
        selected = count(store, conn, spec)
        header, rows = preview(store, conn, spec, k=PREVIEW_ROWS)
        return CountResult(generation, selected, total(store, conn, spec.database_id), header, rows)


class SelectionPage(QWizardPage):
    """Database/segment, rules, range and limit; sets ``ctx.database_*`` as it goes."""

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
        #: The one count running (a newer edit waits for it rather than piling up queries).
        self._count_call: BackgroundCall | None = None
        self._count_call_generation = -1
        self._count_again = False
        self._counted_generation = -1
        #: N of the count shown when it is that of the current selection, else None.
        self.selected_count: int | None = None
        self._sources_loading = False
        self._stopped = False
        self.export_run: ExportRun | None = None
        self._build()

    # --- layout ------------------------------------------------------------------------

    def _build(self) -> None:
        self.source_combo = QComboBox()
        self.source_combo.setMinimumContentsLength(36)
        self.source_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.source_combo.setPlaceholderText("Loading databases…")
        self.source_hint = QLabel()
        self.source_hint.setObjectName("hint")
        self.source_hint.setWordWrap(True)
        source_row = QHBoxLayout()
        source_row.addWidget(self.source_combo)
        source_row.addWidget(self.source_hint, 1)

        self.range_slider = QLabeledRangeSlider(Qt.Orientation.Horizontal)
        self.range_slider.setRange(0, 100)
        self.range_slider.setValue((0, 100))
        self.range_slider.setEdgeLabelMode(QLabeledRangeSlider.EdgeLabelMode.NoLabel)
        # Room for the handle labels at 0 and 100, which are centred over the handles.
        self.range_slider.setContentsMargins(10, 0, 14, 0)
        self.range_slider.setToolTip(
            "A stable, evenly spread portion of the whole database, taken before the rules"
        )
        self.range_slider.setMinimumWidth(320)
        self.limit_slider = QSlider(Qt.Orientation.Horizontal)
        self.limit_slider.setRange(0, 0)
        self.limit_slider.setMinimumWidth(200)
        self.limit_spin = QSpinBox()
        self.limit_spin.setRange(0, 0)
        self.limit_spin.setSpecialValueText("no limit")
        self.limit_spin.setGroupSeparatorShown(True)
        self.limit_spin.setMinimumWidth(120)
        self.limit_spin.setAccelerated(True)
        limit_row = QHBoxLayout()
        limit_row.setContentsMargins(10, 0, 0, 0)  # the range slider's handle margin
        limit_row.addWidget(self.limit_slider, 1)
        limit_row.addWidget(self.limit_spin)
        range_row = QHBoxLayout()
        range_row.addWidget(self.range_slider, 1)
        range_row.addWidget(QLabel("%"), 0, Qt.AlignmentFlag.AlignBottom)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow(self._buddy("&Profiles from:", self.source_combo), source_row)
        form.addRow(self._buddy("&Range:", self.range_slider), range_row)
        form.addRow(self._buddy("Total &limit:", self.limit_spin), limit_row)

        self.rule_builder = RuleBuilder()
        self.rules_scroll = QScrollArea()
        self.rules_scroll.setWidgetResizable(True)
        self.rules_scroll.setWidget(self.rule_builder)
        self.rules_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.rules_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the rules

        self.preview_table = QTableWidget(0, 0)
        self.preview_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview_table.setAlternatingRowColors(True)
        self.preview_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.preview_table.verticalHeader().setVisible(False)
        self.preview_table.verticalHeader().setDefaultSectionSize(
            self.preview_table.fontMetrics().height() + 8
        )
        self.preview_table.setWordWrap(False)
        self.preview_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.Interactive
        )
        self.preview_table.horizontalHeader().setStretchLastSection(True)
        self.preview_table.setAccessibleName(f"Preview of the first {PREVIEW_ROWS} profiles")
        preview_box = QWidget()
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.setContentsMargins(0, 0, 0, 0)
        preview_caption = QLabel(f"Pre&view (first {PREVIEW_ROWS} profiles):")
        preview_caption.setBuddy(self.preview_table)
        preview_layout.addWidget(preview_caption)
        preview_layout.addWidget(self.preview_table)

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

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(rules_box)
        splitter.addWidget(preview_box)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([420, 200])
        self.splitter = splitter

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(splitter, 1)
        layout.addLayout(count_row)

        self.count_timer = QTimer(self)
        self.count_timer.setSingleShot(True)
        self.count_timer.setInterval(COUNT_DELAY_MS)
        self.count_timer.timeout.connect(self._start_count)

        self.source_combo.currentIndexChanged.connect(self._on_source_changed)
        self.rule_builder.changed.connect(self._on_selection_edited)
        self.range_slider.valueChanged.connect(self._on_selection_edited)
        self.limit_slider.valueChanged.connect(self.limit_spin.setValue)
        self.limit_spin.valueChanged.connect(self.limit_slider.setValue)
        self.limit_spin.valueChanged.connect(self._on_selection_edited)
        self.save_segment_button.clicked.connect(self._save_as_segment)
        self.save_segment_button.setEnabled(False)

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
        self.completeChanged.emit()

    def current_source(self) -> SourceEntry | None:
        data = self.source_combo.currentData()
        return data if isinstance(data, SourceEntry) else None

    def shutdown(self, msecs: int = 30_000) -> bool:
        """Stop counting and wait for the page's background calls (wizard close, tests).

        No count starts afterwards, until the page is shown again (initializePage).
        """
        self._stopped = True
        self.count_timer.stop()
        self._count_again = False
        exported = self._stop_export(msecs)
        return wait_for_background_calls(msecs) and exported

    def is_busy(self) -> bool:
        """True while a count, the catalog or the database list is being loaded."""
        return background_calls_running() > 0 or self.count_timer.isActive()

    # --- database list ---------------------------------------------------------------------

    def _load_sources(self) -> None:
        self._sources_loading = True
        self.source_combo.setEnabled(False)
        store = self.ctx.store
        _run_in_background(lambda: load_sources(store), self._on_sources, self._on_load_error)

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
        model = QStandardItemModel(self.source_combo)
        for entry in sources:
            if entry.segment is None:
                item = QStandardItem(f"{entry.database_name}  ({entry.profiles:,} profiles)")
            else:
                item = QStandardItem(f"      Segment: {entry.segment}")
            item.setData(entry, Qt.ItemDataRole.UserRole)
            model.appendRow(item)
        self.source_combo.blockSignals(True)
        self.source_combo.setModel(model)
        self.source_combo.setCurrentIndex(-1)
        self.source_combo.blockSignals(False)
        if not sources:
            self.source_combo.setPlaceholderText("No profile database in this store")

    def _select_source(self, database: str | None, segment: str | None) -> bool:
        for index in range(self.source_combo.count()):
            entry = self.source_combo.itemData(index)
            if not isinstance(entry, SourceEntry) or entry.segment != segment:
                continue
            if database is None or entry.database_name == database:
                if index == self.source_combo.currentIndex():
                    self._on_source_changed()
                else:
                    self.source_combo.setCurrentIndex(index)
                return True
        return False

    def _apply_pending_source(self) -> None:
        job = self._pending_job
        assert job is not None
        if not self._select_source(job.database, job.segment):
            what = f"segment “{job.segment}”" if job.segment else f"database “{job.database}”"
            self._pending_job = None
            self._show_count_problem(f"The job's {what} is not in this store.")
            self.completeChanged.emit()

    @Slot(object)
    def _on_load_error(self, exc: object) -> None:
        self._sources_loading = False
        self.source_combo.setEnabled(True)
        self._show_count_problem(f"Cannot read the store: {_first_line(exc)}")

    # --- one database ----------------------------------------------------------------------

    @Slot()
    def _on_source_changed(self) -> None:
        source = self.current_source()
        if source is None:
            return
        self.ctx.database_id = source.database_id
        self.ctx.database_name = source.database_name
        self.ctx.segment_name = source.segment
        self.source_hint.setText(
            f"The conditions of segment “{source.segment}” apply; "
            "the conditions below narrow it further."
            if source.segment
            else ""
        )
        if self._schema is not None and self._schema.database_id == source.database_id:
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
        self.completeChanged.emit()
        store, db_id = self.ctx.store, source.database_id
        _run_in_background(lambda: load_schema(store, db_id), self._on_schema, self._on_load_error)

    @Slot(object)
    def _on_schema(self, schema: DatabaseSchema) -> None:
        source = self.current_source()
        if source is None or source.database_id != schema.database_id:
            return  # another database was chosen meanwhile
        self._schema = schema
        self.limit_spin.setMaximum(schema.total)
        self.limit_slider.setMaximum(schema.total)
        self.limit_slider.setPageStep(max(1, schema.total // 20))
        self.rule_builder.set_catalog(schema.catalog, self._validator(schema))
        job, self._pending_job = self._pending_job, None
        if job is not None:
            self.rule_builder.set_rules(job.rules)
            self.range_slider.setValue((round(job.range_from), round(job.range_to)))
            self.limit_spin.setValue(min(job.limit, schema.total))
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
        self.range_slider.setValue((round(source.range_from), round(source.range_to)))
        self.limit_spin.setValue(source.limit)
        self.rule_builder.set_rules(empty_rules())

    # --- live count ------------------------------------------------------------------------

    def _range(self) -> tuple[int, int]:
        low, high = self.range_slider.value()
        return int(low), int(high)

    @Slot()
    def _on_selection_edited(self) -> None:
        self.completeChanged.emit()
        self.selected_count = None
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
        """Count the current selection, or, while a count runs, once it has finished.

        A query cannot be interrupted; letting every edit start its own would
        pile up work on the database, so there is at most one at a time and
        the results of older selections are dropped (``generation``).
        """
        source = self.current_source()
        if source is None or self._schema is None or self._stopped:
            return
        if self._count_call is not None:
            self._count_again = True
            return
        selection = self.selection()
        job = Job(
            database=selection["database"],
            segment=selection["segment"],
            rules=selection["rules"],
            range_from=selection["range"]["from"],
            range_to=selection["range"]["to"],
            limit=selection["limit"],
        )
        store, generation = self.ctx.store, self._generation
        self._count_call_generation = generation
        self._count_call = _run_in_background(
            lambda: count_selection(store, job, generation), self._on_count, self._on_count_error
        )
        self._count_call.finished.connect(self._on_count_finished)

    @Slot()
    def _on_count_finished(self) -> None:
        self._count_call = None
        if self._count_again:
            self._count_again = False
            stale = self._count_call_generation != self._generation
            if stale and not self.count_timer.isActive() and not self.rule_builder.problems():
                self._start_count()

    @Slot(object)
    def _on_count(self, result: CountResult) -> None:
        if result.generation != self._generation:
            return  # stale: the selection changed since
        self._counted_generation = result.generation
        self.selected_count = result.selected
        self.count_label.setText(f"{result.selected:,} of {result.total:,} profiles")
        self.count_status.setText("")
        self._fill_preview(result.header, result.rows)

    @Slot(object)
    def _on_count_error(self, exc: object) -> None:
        if self._count_call_generation != self._generation:
            return  # the error of a selection that is no longer shown
        self._counted_generation = self._generation
        if isinstance(exc, RuleError):
            self._show_count_problem(_first_line(exc))
        else:
            self._show_count_problem(f"Cannot count: {_first_line(exc)}")

    def _show_count_problem(self, message: str) -> None:
        self.count_label.setText("–")
        self.count_status.setText(message)
        self.preview_table.setRowCount(0)  # never a preview of another selection

    def _fill_preview(self, header: list[str], rows: list[tuple[Any, ...]]) -> None:
        table = self.preview_table
        table.setUpdatesEnabled(False)
        table.clear()
        table.setColumnCount(len(header))
        labels = {c.key: c.label for c in self._schema.catalog} if self._schema else {}
        table.setHorizontalHeaderLabels([labels.get(key, key) for key in header])
        table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                table.setItem(r, c, QTableWidgetItem(_cell_text(value)))
        table.resizeColumnsToContents()
        for c in range(table.columnCount()):
            table.setColumnWidth(c, min(table.columnWidth(c), 260))
        table.setUpdatesEnabled(True)

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
        selection = self.selection()
        job = Job(
            database=selection["database"],
            segment=selection["segment"],
            rules=selection["rules"],
            range_from=selection["range"]["from"],
            range_to=selection["range"]["to"],
            limit=selection["limit"],
        )
        try:
            with self.ctx.store.begin() as conn:
                spec = resolve_job_selection(self.ctx.store, conn, job)
                _create_segment(self.ctx.store, conn, spec, name)
        except Exception as exc:  # shown to the operator as one line, nothing saved
            self._show_save_message(f"Not saved: {_first_line(exc)}", error=True)
            return
        self._show_save_message(f"Saved segment “{name}”.", error=False)
        self._load_sources()

    def _show_save_message(self, text: str, *, error: bool) -> None:
        self.save_message.setObjectName("error" if error else "hint")
        self.save_message.setStyleSheet("color: #a12622;" if error else "color: #2e6b30;")
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


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _first_line(exc: object) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


__all__ = [
    "SelectionPage",
    "background_calls_running",
    "wait_for_background_calls",
]
