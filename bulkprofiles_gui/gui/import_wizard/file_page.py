"""The import wizard's first page: the CSV file, the database, encoding and delimiter.

The file is read in a worker thread (:func:`inspect_file`: ``sniff``, the
header check and ``preview``) whenever the path, the encoding or the
delimiter changes; the page shows what was detected and the first rows, or
the one line of the ImportFileError, and is complete only for a file that
read cleanly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from ...core.catalog import list_databases
from ...core.importer import preview, sniff
from ...core.importer.plan import check_header
from ...core.store import Store
from ..resources import icon
from ..ui_settings import ui_settings
from ..wizard.actions.base import FORM_FIELD_WIDTH
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

PREVIEW_ROWS = 20
#: Debounce of the file analysis after typing in the path (ms).
TYPING_DELAY_MS = 350
DETECT = ""
ENCODINGS: list[tuple[str, str]] = [
    ("Detect (UTF-8, with or without BOM)", DETECT),
    ("UTF-8", "utf-8"),
    ("Windows-1252 (cp1252)", "cp1252"),
    ("Latin-1 (ISO-8859-1)", "latin-1"),
    ("Latin-9 (ISO-8859-15)", "iso-8859-15"),
    ("UTF-16", "utf-16"),
]
DELIMITERS: list[tuple[str, str]] = [
    ("Detect", DETECT),
    ("Comma  ,", "comma"),
    ("Semicolon  ;", "semicolon"),
    ("Tab", "tab"),
]
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1",
    "iso-8859-15": "Latin-9",
}
LAST_DIR_KEY = "import/last_dir"
PREVIEW_COLUMN_WIDTH = 220


def inspect_file(path: str, encoding: str | None, delimiter: str | None) -> FileFacts:
    """Encoding, delimiter, header and first rows of the file (worker thread)."""
    fmt = sniff(path, encoding=encoding, delimiter=delimiter)
    header, rows = preview(path, fmt, rows=PREVIEW_ROWS)
    check_header(Path(path), header)
    return FileFacts(path, encoding, delimiter, fmt, header, rows)


def database_names(store: Store) -> list[str]:
    with store.begin() as conn:
        return [row.name for row in list_databases(store, conn)]


def format_text(facts: FileFacts) -> str:
    encoding = ENCODING_NAMES.get(facts.fmt.encoding, facts.fmt.encoding)
    how = "detected" if not facts.encoding and not facts.delimiter else "as chosen"
    shown = len(facts.rows)
    rows = f"the first {shown} rows" if shown >= PREVIEW_ROWS else f"all {shown} rows"
    return (
        f"{encoding}, {facts.fmt.delimiter_name}-separated ({how}); "
        f"{len(facts.header)} columns. Below: {rows}."
    )


class FilePage(QWizardPage):
    """CSV file (Browse…), target database, encoding, delimiter; what was detected."""

    def __init__(self, ctx: ImportContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.facts: FileFacts | None = None
        self.problem: str | None = None
        self.databases: list[str] | None = None
        self._inspect = LatestCall()
        self._databases_call = LatestCall()
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(TYPING_DELAY_MS)
        self._typing.timeout.connect(self.inspect)
        self.setTitle("Import profiles: the file")
        self.setSubTitle(
            "Choose a CSV file with a header line and the profile database to import into."
        )
        self._build()

    # -- layout ---------------------------------------------------------------------
    def _build(self) -> None:
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("Path of the CSV file")
        self.path_edit.setClearButtonEnabled(True)
        self.path_edit.textChanged.connect(self._on_path_typed)
        self.browse_button = QPushButton(icon("open"), "&Browse…")
        self.browse_button.clicked.connect(self._on_browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse_button)
        self.database_combo = QComboBox()
        self.database_combo.setMinimumContentsLength(24)
        self.database_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.database_combo.currentIndexChanged.connect(self._on_database_changed)
        self.encoding_combo = choice_combo(ENCODINGS)
        self.delimiter_combo = choice_combo(DELIMITERS)
        for combo in (self.encoding_combo, self.delimiter_combo):
            combo.currentIndexChanged.connect(self.inspect)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        self._add_row(form, "CSV &file:", path_row, self.path_edit)
        self._add_row(form, "Import &into:", self.database_combo)
        self._add_row(form, "&Encoding:", self.encoding_combo)
        self._add_row(form, "&Delimiter:", self.delimiter_combo)
        for combo in (self.database_combo, self.encoding_combo, self.delimiter_combo):
            combo.setFixedWidth(FORM_FIELD_WIDTH)
        self.detected_label = line_label("hint")
        self.error_label = line_label("error")
        self.error_label.hide()
        self.preview_table = QTableWidget()
        self.preview_table.setObjectName("previewTable")
        self.preview_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview_table.setAlternatingRowColors(True)
        self.preview_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.preview_table.verticalHeader().setDefaultSectionSize(24)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addSpacing(4)
        layout.addWidget(self.error_label)
        layout.addWidget(self.detected_label)
        layout.addWidget(self.preview_table, 1)

    @staticmethod
    def _add_row(form: QFormLayout, text: str, field: Any, buddy: QWidget | None = None) -> None:
        label = QLabel(text)
        label.setBuddy(buddy if buddy is not None else field)
        form.addRow(label, field)

    # -- the interface of the wizard -------------------------------------------------
    def path(self) -> str:
        return self.path_edit.text().strip()

    def set_path(self, path: str) -> None:
        self.path_edit.setText(path)
        self.inspect()

    def database(self) -> str | None:
        name = self.database_combo.currentData()
        return str(name) if name else None

    def chosen_format(self) -> tuple[str | None, str | None]:
        encoding = self.encoding_combo.currentData() or None
        delimiter = self.delimiter_combo.currentData() or None
        return encoding, delimiter

    def is_busy(self) -> bool:
        return self._inspect.pending or self._databases_call.pending

    def isComplete(self) -> bool:
        current = (self.path(), *self.chosen_format())
        return (
            self.facts is not None
            and self.facts.key == current
            and self.problem is None
            and self.database() is not None
            and not self._inspect.pending
        )

    def validatePage(self) -> bool:
        if not self.isComplete():
            return False
        self.ctx.file = self.facts
        self.ctx.database_name = self.database()
        return True

    # -- opening ---------------------------------------------------------------------
    def initializePage(self) -> None:
        if self.databases is None and not self._databases_call.pending:
            store = self.ctx.store
            self._databases_call.start(
                lambda: database_names(store), self._on_databases, self._on_databases_failed
            )

    @Slot(object)
    def _on_databases(self, names: Any) -> None:
        self.databases = list(names)
        self.database_combo.blockSignals(True)
        self.database_combo.clear()
        for name in self.databases:
            self.database_combo.addItem(icon("database"), name, name)
        if not self.databases:
            self.database_combo.addItem("No profile database in this store", "")
        wanted = self.ctx.database_name
        if not (wanted and select_data(self.database_combo, wanted)):
            self.database_combo.setCurrentIndex(0)
        self.database_combo.blockSignals(False)
        self._on_database_changed()

    @Slot(object)
    def _on_databases_failed(self, exc: object) -> None:
        self.databases = []
        self.database_combo.clear()
        self.database_combo.addItem("The databases cannot be read", "")
        self._show_problem(f"The databases cannot be read: {message_of(exc)}")

    @Slot()
    def _on_database_changed(self) -> None:
        self.ctx.database_name = self.database()
        self.completeChanged.emit()

    # -- the file ---------------------------------------------------------------------
    def ask_open_path(self, start: str) -> str | None:
        """The CSV file to import (a dialog; tests replace this method)."""
        path, _ = QFileDialog.getOpenFileName(
            self, "Import profiles", start, "CSV files (*.csv *.txt *.tsv);;All files (*)"
        )
        return path or None

    @Slot()
    def _on_browse(self) -> None:
        start = self.path() or str(ui_settings().value(LAST_DIR_KEY, str(Path.home())))
        path = self.ask_open_path(start)
        if path:
            ui_settings().setValue(LAST_DIR_KEY, str(Path(path).parent))
            self.set_path(path)

    @Slot()
    def _on_path_typed(self) -> None:
        self.facts = None
        self.completeChanged.emit()
        self._typing.start()

    @Slot()
    def inspect(self) -> None:
        """Read the file as chosen now (worker thread); the newest answer wins."""
        self._typing.stop()
        path = self.path()
        encoding, delimiter = self.chosen_format()
        self.facts = None
        if not path:
            self._inspect.discard()
            self._show_problem(None)
            self.detected_label.setText("Choose a CSV file: its first rows show here.")
            self._fill_preview([], [])
            self.completeChanged.emit()
            return
        self.detected_label.setText("Reading the file…")
        self._inspect.start(
            lambda: inspect_file(path, encoding, delimiter), self._on_inspected, self._on_failed
        )
        self.completeChanged.emit()

    @Slot(object)
    def _on_inspected(self, facts: Any) -> None:
        self.facts = facts
        self._show_problem(None)
        self.detected_label.setText(format_text(facts))
        self._fill_preview(facts.header, facts.rows)
        self.completeChanged.emit()

    @Slot(object)
    def _on_failed(self, exc: object) -> None:
        self.facts = None
        self._show_problem(message_of(exc))
        self.detected_label.setText("")
        self._fill_preview([], [])
        self.completeChanged.emit()

    def _show_problem(self, text: str | None) -> None:
        self.problem = text
        show_line(self.error_label, text or "", error=True)

    def _fill_preview(self, header: list[str], rows: list[list[str]]) -> None:
        table = self.preview_table
        table.clear()
        table.setColumnCount(len(header))
        table.setRowCount(len(rows))
        table.setHorizontalHeaderLabels(header)
        for r, cells in enumerate(rows):
            for c, cell in enumerate(cells[: len(header)]):
                item = QTableWidgetItem(cell)
                if len(cell) > 40:
                    item.setToolTip(cell)
                table.setItem(r, c, item)
        table.resizeColumnsToContents()
        for c in range(len(header)):
            if table.columnWidth(c) > PREVIEW_COLUMN_WIDTH:
                table.setColumnWidth(c, PREVIEW_COLUMN_WIDTH)

    def preview_cells(self) -> list[list[str]]:
        """The preview table's text, row by row (tests, screenshots)."""
        table = self.preview_table
        cells: list[list[str]] = []
        for r in range(table.rowCount()):
            items = (table.item(r, c) for c in range(table.columnCount()))
            cells.append([item.text() if item is not None else "" for item in items])
        return cells

    def abandon(self) -> None:
        self._typing.stop()
        for call in (self._inspect, self._databases_call):
            call.discard()

    def shutdown(self) -> None:
        self._typing.stop()
        for call in (self._inspect, self._databases_call):
            call.wait()
            call.discard()
