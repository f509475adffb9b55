"""The import wizard's mapping page: which column fills which field, and how.

One row per column of the file: its name, its first values, the field it
fills ("— skip —", a new field, or one of the database's importable fields;
preset by ``auto_mapping``) and, for a new field, its key and type (the
inferred type preset).  Below: match by, mode, duplicates, empty cells.

The database's fields and the inferred types are read in a worker thread
when the page opens (:func:`read_mapping_facts`); every change is checked by
``plan_import`` in a worker thread (debounced), and the page is complete only
when the newest check passed.  A column the operator sets to "— skip —"
stays skipped even with "Create fields for unmapped columns" ticked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from ...core.fields import FieldType
from ...core.importer import (
    DUPLICATES,
    MODES,
    ImportPlan,
    ImportSpec,
    auto_mapping,
    plan_import,
    preview,
)
from ...core.importer.mapping import INFER_ROWS, NOT_IMPORTABLE, infer_column_type, key_for_column
from ...core.importer.spec import DEFAULT_DUPLICATES, DEFAULT_MATCH, DEFAULT_MODE
from ...core.store import FieldInfo, Store
from .common import (
    FileFacts,
    ImportContext,
    LatestCall,
    choice_combo,
    line_label,
    message_of,
    select_data,
    show_line,
)

SKIP = ""
NEW_FIELD = "+new"
SKIP_TEXT = "— skip —"
NEW_FIELD_TEXT = "+ new field"
#: Debounce of the check after a change (ms).
CHECK_DELAY_MS = 200
SAMPLE_VALUES = 3
#: Types a new field can have (an enum needs options: made beforehand).
NEW_FIELD_TYPES = [t for t in FieldType if t is not FieldType.ENUM]
#: Match keys that are no field of their own type.
SYSTEM_MATCH_KEYS = ("id", "email", "phones")
UNMATCHABLE_TYPES = (FieldType.TAGS, FieldType.BOOLEAN)
#: The words of the duplicates choice (``DUPLICATES`` holds the longer ones).
DUPLICATE_CHOICES = {
    "last": "The later row wins (default)",
    "reject": "Reject every row of a repeated key",
}


class Col:
    """Columns of the mapping table."""

    NAME, VALUES, FIELD, KEY, TYPE = range(5)
    TITLES = ("Column", "First values", "Imported into", "New field", "Type")


@dataclass(frozen=True)
class MappingFacts:
    """What the page needs about a file and a database (read in a worker thread)."""

    database: str
    file_key: tuple[str, str | None, str | None]
    header: list[str]
    fields: list[FieldInfo]
    auto: dict[str, str | None]
    inferred: dict[str, str]
    samples: dict[str, list[str]]


def read_mapping_facts(store: Store, database: str, facts: FileFacts) -> MappingFacts:
    """Importable fields, automatic mapping, inferred types and first values."""
    with store.begin() as conn:
        database_id = store.database_id(conn, database)
        fields = [f for f in store.fields(conn, database_id) if f.key not in NOT_IMPORTABLE]
    header, rows = preview(facts.path, facts.fmt, rows=INFER_ROWS)
    values: dict[str, list[str]] = {name: [] for name in header}
    for cells in rows:
        for name, cell in zip(header, cells, strict=False):
            values[name].append(cell)
    inferred = {name: infer_column_type(name, values[name]).value for name in header}
    samples = {name: _first_values(values[name]) for name in header}
    return MappingFacts(
        database, facts.key, header, fields, auto_mapping(header, fields), inferred, samples
    )


def _first_values(values: list[str]) -> list[str]:
    seen = dict.fromkeys(v.strip() for v in values if v.strip())
    return list(seen)[:SAMPLE_VALUES]


def field_text(info: FieldInfo) -> str:
    return info.label if info.label == info.key else f"{info.label} ({info.key})"


def match_fields(fields: list[FieldInfo]) -> list[FieldInfo]:
    """Fields that can find existing profiles: id, email, phones, custom fields."""
    system = [f for key in SYSTEM_MATCH_KEYS for f in fields if f.key == key]
    custom = [f for f in fields if not f.is_system and f.type not in UNMATCHABLE_TYPES]
    return system + custom


@dataclass
class ColumnRow:
    """The widgets of one column's row."""

    index: int
    name: str
    field_combo: QComboBox
    key_item: QTableWidgetItem
    #: The type of the new field (the inferred one until the operator picks another).
    new_type: str
    #: Shown only while the column is to become a new field.
    type_combo: QComboBox | None = None
    #: True once the operator chose this row's field himself.
    chosen: bool = False


class MappingPage(QWizardPage):
    """The column → field table and the matching options, checked by ``plan_import``."""

    def __init__(self, ctx: ImportContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.facts: MappingFacts | None = None
        self.rows: list[ColumnRow] = []
        self.plan: ImportPlan | None = None
        self.problem: str | None = None
        self._filling = False
        self._generation = 0
        self._checked_generation = -1
        self._load = LatestCall()
        self._check = LatestCall()
        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self._start_check)
        self.setTitle("Import profiles: columns and fields")
        self.setSubTitle("Choose the field each column fills, and how rows find existing profiles.")
        self._build()

    # -- layout ------------------------------------------------------------------------
    def _build(self) -> None:
        self.table = QTableWidget(0, len(Col.TITLES))
        self.table.setObjectName("mappingTable")
        self.table.setHorizontalHeaderLabels(list(Col.TITLES))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(32)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(Col.VALUES, QHeaderView.ResizeMode.Stretch)
        for column, width in ((Col.NAME, 150), (Col.FIELD, 230), (Col.KEY, 150), (Col.TYPE, 100)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            self.table.setColumnWidth(column, width)
        self.create_fields_check = QCheckBox("&Create fields for unmapped columns")
        self.create_fields_check.setToolTip(
            "Columns no field matches become new custom fields of the database, with the "
            "type inferred from their values; set a column to “— skip —” to leave it out."
        )
        self.create_fields_check.toggled.connect(self._on_create_fields_toggled)
        self.match_combo = QComboBox()
        self.mode_combo = choice_combo([(text.capitalize(), key) for key, text in MODES.items()])
        self.duplicates_combo = choice_combo(
            [(DUPLICATE_CHOICES.get(key, text), key) for key, text in DUPLICATES.items()]
        )
        self.duplicates_combo.setToolTip(
            "Rows of the file that share a match key: "
            + "; ".join(f"{DUPLICATE_CHOICES.get(k, k)}: {t}" for k, t in DUPLICATES.items())
        )
        self.empty_clears_check = QCheckBox("&Empty cells clear the value")
        self.empty_clears_check.setToolTip(
            "Off: an empty cell leaves the profile's value as it is. On: it clears it."
        )
        select_data(self.mode_combo, DEFAULT_MODE)
        select_data(self.duplicates_combo, DEFAULT_DUPLICATES)
        for combo in (self.match_combo, self.mode_combo, self.duplicates_combo):
            combo.setMinimumWidth(330)
            combo.currentIndexChanged.connect(self.changed)
        self.empty_clears_check.toggled.connect(self.changed)
        options = QFormLayout()
        options.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        options.setHorizontalSpacing(12)
        options.setVerticalSpacing(6)
        for text, widget in (
            ("&Match by:", self.match_combo),
            ("M&ode:", self.mode_combo),
            ("&Duplicates:", self.duplicates_combo),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            options.addRow(label, widget)
        checks = QVBoxLayout()
        checks.setSpacing(6)
        checks.addWidget(self.create_fields_check)
        checks.addWidget(self.empty_clears_check)
        checks.addStretch(1)
        below = QHBoxLayout()
        below.addLayout(options)
        below.addSpacing(24)
        below.addLayout(checks)
        below.addStretch(1)
        self.status_label = line_label("hint")
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(below)
        layout.addWidget(self.status_label)

    # -- opening -------------------------------------------------------------------------
    def initializePage(self) -> None:
        file, database = self.ctx.file, self.ctx.database_name
        if file is None or database is None:
            return
        facts = self.facts
        if facts is not None and facts.database == database and facts.file_key == file.key:
            self.changed()  # same file and database: keep the operator's choices
            return
        self.facts = None
        self.plan = None
        self._fill_rows([])
        show_line(self.status_label, "Reading the fields and the file…", error=False)
        store = self.ctx.store
        self._load.start(
            lambda: read_mapping_facts(store, database, file), self._on_loaded, self._on_failed
        )
        self.completeChanged.emit()

    @Slot(object)
    def _on_loaded(self, facts: Any) -> None:
        self.facts = facts
        self._filling = True
        try:
            self._fill_match(facts.fields)
            self._fill_rows(facts.header)
        finally:
            self._filling = False
        self.changed()

    @Slot(object)
    def _on_failed(self, exc: object) -> None:
        self._set_problem(message_of(exc))

    def _fill_match(self, fields: list[FieldInfo]) -> None:
        previous = self.match_combo.currentData() or DEFAULT_MATCH
        self.match_combo.clear()
        for info in match_fields(fields):
            self.match_combo.addItem(field_text(info), info.key)
        if not select_data(self.match_combo, previous):
            self.match_combo.setCurrentIndex(0)

    def _fill_rows(self, header: list[str]) -> None:
        self.rows = []
        self.table.setRowCount(len(header))
        facts = self.facts
        for r, name in enumerate(header):
            name_item = QTableWidgetItem(name)
            name_item.setToolTip(name)
            samples = facts.samples.get(name, []) if facts else []
            values_item = QTableWidgetItem(", ".join(samples) if samples else "(empty)")
            values_item.setToolTip("\n".join(samples))
            if not samples:
                values_item.setForeground(Qt.GlobalColor.gray)
            key_item = QTableWidgetItem("")
            inferred = facts.inferred.get(name) if facts else None
            row = ColumnRow(
                r, name, self._field_combo(), key_item, inferred or FieldType.STRING.value
            )
            self.table.setItem(r, Col.NAME, name_item)
            self.table.setItem(r, Col.VALUES, values_item)
            self.table.setCellWidget(r, Col.FIELD, row.field_combo)
            self.table.setItem(r, Col.KEY, key_item)
            self.table.setItem(r, Col.TYPE, QTableWidgetItem(""))
            row.field_combo.currentIndexChanged.connect(lambda _i, row=row: self._on_row(row))
            # Picking the shown item again ("— skip —" on a skipped column) is a choice too.
            row.field_combo.activated.connect(lambda _i, row=row: setattr(row, "chosen", True))
            self.rows.append(row)
            auto = facts.auto.get(name) if facts else None
            select_data(row.field_combo, auto or self._unmapped_choice())
            self._show_new_field(row)

    def _field_combo(self) -> QComboBox:
        combo = QComboBox()
        combo.addItem(SKIP_TEXT, SKIP)
        if self.create_fields_check.isChecked():
            combo.addItem(NEW_FIELD_TEXT, NEW_FIELD)
        for info in self.facts.fields if self.facts else []:
            combo.addItem(field_text(info), info.key)
        combo.setMaxVisibleItems(16)
        return combo

    def _type_combo(self, row: ColumnRow) -> QComboBox:
        combo = QComboBox()
        for ftype in NEW_FIELD_TYPES:
            combo.addItem(ftype.value, ftype.value)
        select_data(combo, row.new_type)
        inferred = self.facts.inferred.get(row.name) if self.facts else None
        if inferred:
            combo.setToolTip(f"Inferred from the column's values: {inferred}")

        def chosen(_index: int) -> None:
            row.new_type = str(combo.currentData())
            self.changed()

        combo.currentIndexChanged.connect(chosen)
        return combo

    def _unmapped_choice(self) -> str:
        return NEW_FIELD if self.create_fields_check.isChecked() else SKIP

    # -- changes ---------------------------------------------------------------------------
    def _on_row(self, row: ColumnRow) -> None:
        if not self._filling:
            row.chosen = True
        self._show_new_field(row)
        self.changed()

    def _show_new_field(self, row: ColumnRow) -> None:
        new = row.field_combo.currentData() == NEW_FIELD
        if new and row.type_combo is None:
            row.type_combo = self._type_combo(row)
            self.table.setCellWidget(row.index, Col.TYPE, row.type_combo)
        elif not new and row.type_combo is not None:
            self.table.removeCellWidget(row.index, Col.TYPE)  # deletes the combo
            row.type_combo = None
        if not new:
            row.key_item.setText("")
        elif not row.key_item.text():
            row.key_item.setText(key_for_column(row.name))

    @Slot(bool)
    def _on_create_fields_toggled(self, on: bool) -> None:
        """Add or take away the "new field" choice; unmapped columns follow it
        unless the operator chose "— skip —" for them."""
        self._filling = True
        try:
            for row in self.rows:
                combo = row.field_combo
                current = combo.currentData()
                if on:
                    combo.insertItem(1, NEW_FIELD_TEXT, NEW_FIELD)
                    if current == SKIP and not row.chosen:
                        select_data(combo, NEW_FIELD)
                else:
                    if current == NEW_FIELD:
                        select_data(combo, SKIP)
                    combo.removeItem(combo.findData(NEW_FIELD))
                self._show_new_field(row)
        finally:
            self._filling = False
        self.changed()

    @Slot()
    def changed(self) -> None:
        """Something changed: check again shortly (the newest check counts)."""
        self._generation += 1
        self.plan = None
        self._check_timer.start()
        self.completeChanged.emit()

    # -- the choices as an import document ------------------------------------------------
    def mapping(self) -> dict[str, str | None]:
        return {
            row.name: (row.field_combo.currentData() or None)
            if row.field_combo.currentData() != NEW_FIELD
            else None
            for row in self.rows
        }

    def new_fields(self) -> dict[str, str]:
        return {
            row.name: row.new_type
            for row in self.rows
            if row.field_combo.currentData() == NEW_FIELD
        }

    def spec(self) -> ImportSpec:
        """The import as chosen up to this page (file, database, mapping, matching)."""
        file = self.ctx.file
        assert file is not None and self.ctx.database_name is not None
        new_fields = self.new_fields()
        return ImportSpec(
            file=file.path,
            database=self.ctx.database_name,
            mapping=self.mapping(),
            match=str(self.match_combo.currentData() or DEFAULT_MATCH),
            mode=str(self.mode_combo.currentData()),
            create_fields=bool(new_fields),
            empty_clears=self.empty_clears_check.isChecked(),
            duplicates=str(self.duplicates_combo.currentData()),
            encoding=file.fmt.encoding,
            delimiter=file.fmt.delimiter,
            new_fields=new_fields,
        )

    def set_choice(self, column: str, value: str) -> None:
        """Choose the field of ``column`` (a key, ``SKIP`` or ``NEW_FIELD``), as the
        operator does in its combo box (tests, screenshots)."""
        row = next(r for r in self.rows if r.name == column)
        index = row.field_combo.findData(value)
        if index < 0:
            raise KeyError(f"{value!r} is not offered for column {column!r}")
        row.field_combo.setCurrentIndex(index)
        row.field_combo.activated.emit(index)

    def choice(self, column: str) -> str:
        row = next(r for r in self.rows if r.name == column)
        return str(row.field_combo.currentData())

    def new_field_key(self, column: str) -> str:
        row = next(r for r in self.rows if r.name == column)
        return row.key_item.text()

    # -- checking ---------------------------------------------------------------------------
    @Slot()
    def _start_check(self) -> None:
        if self.facts is None or self.ctx.file is None:
            return
        spec = self.spec()
        generation = self._generation
        store = self.ctx.store

        def check() -> ImportPlan:
            with store.begin() as conn:
                return plan_import(store, conn, spec)

        show_line(self.status_label, "Checking the mapping…", error=False)
        self._check.start(
            check,
            lambda plan: self._on_checked(generation, plan),
            lambda exc: self._on_check_failed(generation, exc),
        )

    def _on_checked(self, generation: int, plan: ImportPlan) -> None:
        if generation != self._generation:
            return
        self.plan = plan
        self._checked_generation = generation
        self.problem = None
        keys = {c.name: c.field.key for c in plan.new_fields}
        for row in self.rows:
            if row.name in keys:
                row.key_item.setText(keys[row.name])
        mapped = len(plan.columns) - len(plan.new_fields)
        parts = [f"{mapped} column{'s' * (mapped != 1)} mapped"]
        if plan.new_fields:
            n = len(plan.new_fields)
            parts.append(f"{n} new field{'s' * (n != 1)}")
        if plan.skipped_columns:
            parts.append(f"{len(plan.skipped_columns)} skipped")
        text = f"Ready: {', '.join(parts)}; profiles are matched by {plan.match.field.label}."
        show_line(self.status_label, text, error=False)
        self.completeChanged.emit()

    def _on_check_failed(self, generation: int, exc: object) -> None:
        if generation != self._generation:
            return
        self._checked_generation = generation
        self._set_problem(message_of(exc))

    def _set_problem(self, text: str) -> None:
        self.problem = text
        self.plan = None
        show_line(self.status_label, text, error=True)
        self.completeChanged.emit()

    def is_checking(self) -> bool:
        return self._load.pending or self._check.pending or self._check_timer.isActive()

    def isComplete(self) -> bool:
        return (
            self.plan is not None
            and self._checked_generation == self._generation
            and not self.is_checking()
        )

    def abandon(self) -> None:
        self._check_timer.stop()
        for call in (self._load, self._check):
            call.discard()

    def shutdown(self) -> None:
        self._check_timer.stop()
        for call in (self._load, self._check):
            call.wait()
            call.discard()
