"""Data -> Profile databases: name, profile count, fields, attached resources."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core.catalog import DatabaseRow, list_databases
from ...core.store import FieldInfo, Store
from ..resources import icon
from .base import StoreView, make_table, top_items

DEMO_BADGE = "DEMO"
_DEMO_BACKGROUND = QColor("#f2c14e")
_DEMO_FOREGROUND = QColor("#7a4d00")


def _list(store: Store) -> list[DatabaseRow]:
    with store.begin() as conn:
        return list_databases(store, conn)


def _fields(store: Store, database_id: int) -> list[FieldInfo]:
    with store.begin() as conn:
        return store.fields(conn, database_id)


class _NumberItem(QTreeWidgetItem):
    """Sorts numeric columns by number, not by text."""

    def __lt__(self, other: QTreeWidgetItem) -> bool:
        column = self.treeWidget().sortColumn() if self.treeWidget() else 0
        mine = self.data(column, Qt.ItemDataRole.UserRole + 1)
        theirs = other.data(column, Qt.ItemDataRole.UserRole + 1)
        if isinstance(mine, int) and isinstance(theirs, int):
            return mine < theirs
        return super().__lt__(other)


class DatabasesView(StoreView):
    """The profile databases of the store; "Update profiles..." from the context menu."""

    update_requested = Signal(str)  # database name
    import_requested = Signal(str)  # database name ("" when none is selected)

    COLUMNS = ("Name", "Data", "Profiles", "Fields", "Attached resources")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Profile databases", parent)
        self.rows: list[DatabaseRow] = []
        hint = QLabel("Select a database and choose Update profiles… (or right-click it).")
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        self.update_button = QPushButton(icon("update"), "&Update profiles…")
        self.update_button.clicked.connect(self._on_update_clicked)
        self.import_button = QPushButton(icon("import"), "&Import profiles…")
        self.import_button.setToolTip("Import profiles from a CSV file into the selected database")
        self.import_button.clicked.connect(self._on_import_clicked)
        self.refresh_button = QPushButton(icon("refresh"), "Re&fresh")
        self.refresh_button.clicked.connect(self.refresh)
        bar = QHBoxLayout()
        bar.addWidget(hint, 1)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.update_button)
        bar.addWidget(self.import_button)

        self.table = make_table(list(self.COLUMNS))
        self.table.setObjectName("databasesTable")
        self.table.setSortingEnabled(True)
        self.table.customContextMenuRequested.connect(self._on_context_menu)
        self.table.itemSelectionChanged.connect(self._on_selection_changed)
        self.table.itemActivated.connect(lambda *_: self._on_update_clicked())
        header = self.table.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)

        self.fields_title = QLabel("Fields")
        self.fields_title.setObjectName("hint")
        self.fields_table = make_table(["Field", "Key", "Type", "Kind", "Editable"])
        self.fields_table.setObjectName("fieldsTable")
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 6, 0, 0)
        lower_layout.addWidget(self.fields_title)
        lower_layout.addWidget(self.fields_table)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)

        self.layout_.addLayout(bar)
        self.layout_.addWidget(splitter, 1)
        self._update_buttons()

    # -- loading -----------------------------------------------------------------
    def refresh(self) -> None:
        self.load("list", _list, self._on_loaded)

    @Slot(object)
    def _on_loaded(self, rows: Any) -> None:
        selected = self.selected_database()
        self.rows = list(rows)
        self.table.setSortingEnabled(False)
        self.table.clear()
        for row in self.rows:
            item = _NumberItem(
                [
                    row.name,
                    DEMO_BADGE if row.is_demo else "",
                    f"{row.profiles:,}",
                    str(row.fields),
                    ", ".join(row.resources) or "(none attached)",
                ]
            )
            item.setIcon(0, icon("database"))
            item.setData(0, Qt.ItemDataRole.UserRole, row.name)
            item.setData(2, Qt.ItemDataRole.UserRole + 1, row.profiles)
            item.setData(3, Qt.ItemDataRole.UserRole + 1, row.fields)
            for column in (2, 3):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight)
            if row.is_demo:
                item.setBackground(1, QBrush(_DEMO_BACKGROUND))
                item.setForeground(1, QBrush(_DEMO_FOREGROUND))
                font = item.font(1)
                font.setBold(True)
                item.setFont(1, font)
                item.setTextAlignment(1, Qt.AlignmentFlag.AlignCenter)
                item.setToolTip(1, "Demo data made by bulkprofiles for trying the tool")
            self.table.addTopLevelItem(item)
        self.table.setSortingEnabled(True)
        for column in range(len(self.COLUMNS) - 1):
            self.table.resizeColumnToContents(column)
        self.table.setColumnWidth(0, max(self.table.columnWidth(0) + 24, 220))
        self.select_database(selected or (self.rows[0].name if self.rows else None))
        self._update_buttons()

    def _load_fields(self, database_id: int) -> None:
        self.load("fields", lambda store: _fields(store, database_id), self._on_fields_loaded)

    @Slot(object)
    def _on_fields_loaded(self, fields: Any) -> None:
        self.fields_table.clear()
        for f in fields:
            item = QTreeWidgetItem(
                [
                    f.label,
                    f.key,
                    f.type.value,
                    "system" if f.is_system else "custom",
                    "yes" if f.editable else "no",
                ]
            )
            if f.options:
                item.setToolTip(2, "Options: " + ", ".join(f.options))
            self.fields_table.addTopLevelItem(item)
        for column in range(4):
            self.fields_table.resizeColumnToContents(column)
        name = self.selected_database()
        self.fields_title.setText(f"Fields of {name}" if name else "Fields")

    # -- selection -----------------------------------------------------------------
    def selected_database(self) -> str | None:
        items = self.table.selectedItems()
        return str(items[0].data(0, Qt.ItemDataRole.UserRole)) if items else None

    def select_database(self, name: str | None) -> None:
        for item in top_items(self.table):
            if item.data(0, Qt.ItemDataRole.UserRole) == name:
                self.table.setCurrentItem(item)
                return

    def row_named(self, name: str) -> DatabaseRow | None:
        return next((r for r in self.rows if r.name == name), None)

    @Slot()
    def _on_selection_changed(self) -> None:
        self._update_buttons()
        name = self.selected_database()
        row = self.row_named(name) if name else None
        if row is not None:
            self._load_fields(row.id)

    def _update_buttons(self) -> None:
        self.update_button.setEnabled(self.selected_database() is not None)

    # -- actions -------------------------------------------------------------------
    @Slot()
    def _on_update_clicked(self) -> None:
        name = self.selected_database()
        if name:
            self.update_requested.emit(name)

    @Slot()
    def _on_import_clicked(self) -> None:
        self.import_requested.emit(self.selected_database() or "")

    @Slot(QPoint)
    def _on_context_menu(self, pos: QPoint) -> None:
        item = self.table.itemAt(pos)
        if item is None:
            return
        self.table.setCurrentItem(item)
        menu = self.context_menu()
        menu.exec(self.table.viewport().mapToGlobal(pos))

    def context_menu(self) -> QMenu:
        """The menu of the selected database (a method so tests can trigger its actions)."""
        menu = QMenu(self)
        update = menu.addAction(icon("update"), "&Update profiles…")
        update.triggered.connect(self._on_update_clicked)
        menu.addAction(icon("import"), "&Import profiles…").triggered.connect(
            self._on_import_clicked
        )
        refresh = menu.addAction(icon("refresh"), "Re&fresh")
        refresh.triggered.connect(self.refresh)
        return menu
