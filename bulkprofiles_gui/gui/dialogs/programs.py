"""Data -> Loyalty programs…: the programs with their pools; New program…, and
Load codes… from a text or CSV file with the load's summary shown."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core import catalog, manage
from ...core.store import Store
from ..resources import icon
from ..ui_settings import ui_settings
from ..views.base import make_table, top_items
from .base import FormDialog, StoreDialog

EVERY_DATABASE = "Every database"
CODE_FILES = "Code files (*.txt *.csv);;All files (*)"


def _load(store: Store) -> list[catalog.ProgramInfo]:
    with store.begin() as conn:
        return catalog.all_loyalty_programs(store, conn)


def _database_names(store: Store) -> list[str]:
    with store.begin() as conn:
        return [d.name for d in catalog.list_databases(store, conn)]


def load_codes_call(program: str, path: str) -> Callable[[Store], manage.CodeLoadSummary]:
    def work(store: Store) -> manage.CodeLoadSummary:
        with store.begin() as conn:
            return manage.load_codes(store, conn, program, path)

    return work


class NewProgramDialog(FormDialog):
    """Name of a new loyalty program and the database it is for (or every one)."""

    def __init__(self, store: Store, databases: list[str], parent: QWidget | None = None) -> None:
        super().__init__(store, "New loyalty program", "Create program", parent)
        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(manage.MAX_NAME)
        self.name_edit.setPlaceholderText("e.g. Summer sale")
        self.database_combo = QComboBox()
        self.database_combo.addItem(EVERY_DATABASE, None)
        for name in databases:
            self.database_combo.addItem(name, name)
        self.form.addRow("&Name:", self.name_edit)
        self.form.addRow("&For:", self.database_combo)
        hint = QLabel("Its pool starts empty: load codes into it with Load codes….")
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        self.form.addRow(hint)
        self.resize(440, 200)

    def work(self) -> Callable[[Store], Any]:
        name = self.name_edit.text().strip()
        if not name:
            raise ValueError("A loyalty program needs a name.")
        database = self.database_combo.currentData()

        def create(store: Store) -> int:
            with store.begin() as conn:
                return manage.create_program(store, conn, name, database)

        return create


class ProgramsDialog(StoreDialog):
    """Loyalty programs and their pools of promo codes."""

    COLUMNS = ("Program", "For", "Codes", "Free", "Attached", "Activated")

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(store, "Loyalty programs", parent)
        self.programs: list[catalog.ProgramInfo] = []
        self.new_program_dialog: NewProgramDialog | None = None
        #: The summary of the last load (tests, the summary box).
        self.last_summary: manage.CodeLoadSummary | None = None
        self._loading_codes = False

        self.table = make_table(list(self.COLUMNS))
        self.table.setObjectName("programsTable")
        self.table.itemSelectionChanged.connect(self._update_buttons)
        header = self.table.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(self.COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.new_button = QPushButton("&New program…")
        self.new_button.clicked.connect(self.new_program)
        self.load_button = QPushButton(icon("open"), "&Load codes…")
        self.load_button.clicked.connect(self.load_codes)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.load_button)
        buttons.addStretch(1)
        self.summary_title = QLabel("Last load")
        self.summary_title.setObjectName("hint")
        self.summary_box = QPlainTextEdit()
        self.summary_box.setObjectName("codesSummary")
        self.summary_box.setReadOnly(True)
        self.summary_box.setPlaceholderText(
            "Load codes… reads a text file (one code a line) or a CSV file (its first column); "
            "repeated codes and codes already in the store are reported, never loaded twice."
        )
        self.summary_box.setMaximumHeight(130)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.summary_title)
        layout.addWidget(self.summary_box)
        layout.addWidget(close)
        self.resize(760, 480)
        self._update_buttons()
        self.reload()

    # -- the list ----------------------------------------------------------------------------
    def reload(self, select: str | None = None) -> None:
        wanted = select or self.selected_program()
        self.run(_load, lambda rows: self._on_loaded(rows, wanted), self.show_error)

    def _on_loaded(self, rows: Any, select: str | None) -> None:
        self.programs = list(rows)
        self.table.clear()
        for p in self.programs:
            item = QTreeWidgetItem(
                [
                    p.name,
                    p.database or EVERY_DATABASE,
                    f"{p.codes:,}",
                    f"{p.free:,}",
                    f"{p.attached:,}",
                    f"{p.activated:,}",
                ]
            )
            for column in range(2, 6):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight)
            self.table.addTopLevelItem(item)
        self.select_program(select or (self.programs[0].name if self.programs else None))
        self._update_buttons()

    def selected_program(self) -> str | None:
        items = self.table.selectedItems()
        return items[0].text(0) if items else None

    def select_program(self, name: str | None) -> None:
        for item in top_items(self.table):
            if item.text(0) == name:
                self.table.setCurrentItem(item)
                return

    @Slot()
    def _update_buttons(self) -> None:
        self.load_button.setEnabled(self.selected_program() is not None and not self._loading_codes)

    # -- new program -------------------------------------------------------------------------
    @Slot()
    def new_program(self) -> None:
        """Ask for the databases, then open New program… (returns at once)."""
        self.run(_database_names, self._open_new_program, self.show_error)

    def _open_new_program(self, databases: Any) -> None:
        dialog = NewProgramDialog(self.store, list(databases), self)
        dialog.changed.connect(lambda: self._on_program_created(dialog))
        self.new_program_dialog = dialog
        dialog.open()

    def _on_program_created(self, dialog: NewProgramDialog) -> None:
        self.changed.emit()
        self.reload(select=dialog.name_edit.text().strip())

    # -- codes -------------------------------------------------------------------------------
    def choose_codes_file(self) -> str | None:
        """The file to load (a file dialog; tests replace it)."""
        qs = ui_settings()
        start = str(qs.value("codes/last_dir", str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(self, "Load promo codes", start, CODE_FILES)
        if path:
            qs.setValue("codes/last_dir", str(Path(path).parent))
        return path or None

    @Slot()
    def load_codes(self) -> None:
        program = self.selected_program()
        if program is None:
            return
        path = self.choose_codes_file()
        if not path:
            return
        self._loading_codes = True
        self._update_buttons()
        self.summary_title.setText(f"Loading codes into {program} from {Path(path).name}…")
        self.summary_box.clear()
        self.run(load_codes_call(program, path), self._on_codes_loaded, self._on_codes_failed)

    def _on_codes_loaded(self, summary: Any) -> None:
        self.last_summary = summary
        self._loading_codes = False
        self.summary_title.setText("Last load")
        self.summary_box.setPlainText("\n".join(summary.lines()))
        self.changed.emit()
        self.reload(select=summary.program)

    def _on_codes_failed(self, message: str) -> None:
        self._loading_codes = False
        self.summary_title.setText("Last load")
        self.show_error(f"Nothing was loaded: {message}")
        self._update_buttons()

    def show_error(self, message: str) -> None:
        """One line in the summary box (a refused load, a list that could not be read)."""
        self.summary_box.setPlainText(message)
