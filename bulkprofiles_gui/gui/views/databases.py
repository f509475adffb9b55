"""Data -> Profile databases: name, profile count, fields, attached resources; and
managing them (new, rename, delete; add, relabel, remove fields; the Resources
and Loyalty programs dialogs).  Every store call runs in the background; a
refusal is one line in a message box, and the views reload after a change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core import manage
from ...core.catalog import DatabaseRow, list_databases
from ...core.store import FieldInfo, Store
from ..dialogs.base import ConfirmDialog, StoreDialog
from ..dialogs.database import AddFieldDialog, NewDatabaseDialog
from ..dialogs.programs import ProgramsDialog
from ..dialogs.resources import ResourcesDialog
from ..resources import icon
from .base import StoreView, make_table, operator_message, top_items

DEMO_BADGE = "DEMO"
_DEMO_BACKGROUND = QColor("#f2c14e")
_DEMO_FOREGROUND = QColor("#7a4d00")


def _list(store: Store) -> list[DatabaseRow]:
    with store.begin() as conn:
        return list_databases(store, conn)


def _fields(store: Store, database_id: int) -> list[FieldInfo]:
    with store.begin() as conn:
        return store.fields(conn, database_id)


def _rename_database(name: str, new_name: str) -> Callable[[Store], None]:
    def work(store: Store) -> None:
        with store.begin() as conn:
            manage.rename_database(store, conn, name, new_name)

    return work


def _contents(name: str) -> Callable[[Store], manage.DatabaseContents]:
    def work(store: Store) -> manage.DatabaseContents:
        with store.begin() as conn:
            return manage.database_contents(store, conn, name)

    return work


def _rename_label(database_id: int, key: str, label: str) -> Callable[[Store], None]:
    def work(store: Store) -> None:
        with store.begin() as conn:
            manage.rename_field_label(store, conn, database_id, key, label)

    return work


def _usage(database_id: int, key: str) -> Callable[[Store], manage.FieldUsage]:
    def work(store: Store) -> manage.FieldUsage:
        with store.begin() as conn:
            info = manage.field_info(store, conn, database_id, key)
            if info.is_system:  # refuse before asking
                raise manage.CatalogError(f"{key!r} is a system field and cannot be removed")
            return manage.field_usage(store, conn, database_id, key)

    return work


def removal_details(usage: manage.FieldUsage) -> str:
    """The confirmation's detail text for removing a field."""
    lines = [f"{usage.values:,} profile(s) hold a value in it; the values are lost."]
    lines += [f"It is {warning}." for warning in usage.warnings()]
    lines.append("This cannot be undone.")
    return "\n\n".join(lines)


class _NumberItem(QTreeWidgetItem):
    """Sorts numeric columns by number, the others by text (ignoring case).

    Not ``super().__lt__``: PySide6 dispatches that back to this override, an
    endless recursion as soon as two rows are compared by a text column."""

    def __lt__(self, other: QTreeWidgetItem) -> bool:
        column = self.treeWidget().sortColumn() if self.treeWidget() else 0
        mine = self.data(column, Qt.ItemDataRole.UserRole + 1)
        theirs = other.data(column, Qt.ItemDataRole.UserRole + 1)
        if isinstance(mine, int) and isinstance(theirs, int):
            return mine < theirs
        return self.text(column).casefold() < other.text(column).casefold()


class DatabasesView(StoreView):
    """The profile databases of the store; "Update profiles..." from the context menu."""

    update_requested = Signal(str)  # database name
    import_requested = Signal(str)  # database name ("" when none is selected)
    #: Databases, fields, resources or programs changed (the other views reload).
    catalog_changed = Signal()

    COLUMNS = ("Name", "Data", "Profiles", "Fields", "Attached resources")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Profile databases", parent)
        self.rows: list[DatabaseRow] = []
        self.fields: list[FieldInfo] = []
        #: Dialogs opened here (kept until the view goes, so their calls can end).
        self.dialogs: list[StoreDialog] = []
        self._select_after_load: str | None = None
        self.new_button = QPushButton("&New database…")
        self.new_button.clicked.connect(self.new_database)
        self.rename_button = QPushButton("Re&name…")
        self.rename_button.clicked.connect(self.rename_database)
        self.delete_button = QPushButton("&Delete…")
        self.delete_button.setObjectName("dangerButton")
        self.delete_button.clicked.connect(self.delete_database)
        self.resources_button = QPushButton("&Resources…")
        self.resources_button.clicked.connect(self.show_resources)
        self.programs_button = QPushButton("&Loyalty programs…")
        self.programs_button.clicked.connect(self.show_programs)
        self.update_button = QPushButton(icon("update"), "&Update profiles…")
        self.update_button.clicked.connect(self._on_update_clicked)
        self.import_button = QPushButton(icon("import"), "&Import profiles…")
        self.import_button.setToolTip("Import profiles from a CSV file into the selected database")
        self.import_button.clicked.connect(self._on_import_clicked)
        self.refresh_button = QPushButton(icon("refresh"), "")
        self.refresh_button.setToolTip("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        bar = QHBoxLayout()
        for button in (self.new_button, self.rename_button, self.delete_button):
            bar.addWidget(button)
        bar.addStretch(1)
        for button in (self.refresh_button, self.update_button):
            bar.addWidget(button)
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
        self.add_field_button = QPushButton("&Add field…")
        self.add_field_button.clicked.connect(self.add_field)
        self.rename_field_button = QPushButton("Rename &label…")
        self.rename_field_button.clicked.connect(self.rename_field_label)
        self.remove_field_button = QPushButton("Remo&ve field…")
        self.remove_field_button.setObjectName("dangerButton")
        self.remove_field_button.clicked.connect(self.remove_field)
        fields_bar = QHBoxLayout()
        fields_bar.addWidget(self.fields_title, 1)
        for button in (self.add_field_button, self.rename_field_button, self.remove_field_button):
            fields_bar.addWidget(button)
        self.fields_table = make_table(["Field", "Key", "Type", "Kind", "Editable"])
        self.fields_table.setObjectName("fieldsTable")
        self.fields_table.itemSelectionChanged.connect(self._update_buttons)
        self.fields_table.customContextMenuRequested.connect(self._on_fields_context_menu)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 6, 0, 0)
        lower_layout.addLayout(fields_bar)
        lower_layout.addWidget(self.fields_table)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)

        hint = QLabel(
            "Double-click a database to update its profiles; right-click a database or a "
            "field for more."
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        footer = QHBoxLayout()
        footer.addWidget(hint, 1)
        footer.addWidget(self.resources_button)
        footer.addWidget(self.programs_button)
        self.layout_.addLayout(bar)
        self.layout_.addWidget(splitter, 1)
        self.layout_.addLayout(footer)
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
        wanted = self._select_after_load or selected
        self._select_after_load = None
        if self.row_named(wanted or "") is None:
            wanted = self.rows[0].name if self.rows else None
        self.select_database(wanted)
        if not self.rows:
            self._on_fields_loaded([])
        self._update_buttons()

    def _load_fields(self, database_id: int) -> None:
        self.load("fields", lambda store: _fields(store, database_id), self._on_fields_loaded)

    @Slot(object)
    def _on_fields_loaded(self, fields: Any) -> None:
        selected = self.selected_field()
        selected_key = selected.key if selected else None
        self.fields = list(fields)
        self.fields_table.clear()
        for f in self.fields:
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
            item.setData(0, Qt.ItemDataRole.UserRole, f.key)
            self.fields_table.addTopLevelItem(item)
            if f.key == selected_key:
                self.fields_table.setCurrentItem(item)
        for column in range(4):
            self.fields_table.resizeColumnToContents(column)
        name = self.selected_database()
        self.fields_title.setText(f"Fields of {name}" if name else "Fields")
        self._update_buttons()

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

    def selected_field(self) -> FieldInfo | None:
        items = self.fields_table.selectedItems()
        key = items[0].data(0, Qt.ItemDataRole.UserRole) if items else None
        return next((f for f in self.fields if f.key == key), None)

    def select_field(self, key: str) -> None:
        for item in top_items(self.fields_table):
            if item.data(0, Qt.ItemDataRole.UserRole) == key:
                self.fields_table.setCurrentItem(item)
                return

    @Slot()
    def _update_buttons(self) -> None:
        has_database = self.selected_database() is not None
        field = self.selected_field()
        for button in (
            self.update_button,
            self.rename_button,
            self.delete_button,
            self.add_field_button,
        ):
            button.setEnabled(has_database)
        self.new_button.setEnabled(self.store is not None)
        self.rename_field_button.setEnabled(has_database and field is not None)
        self.remove_field_button.setEnabled(
            has_database and field is not None and not field.is_system
        )

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
        menu.addSeparator()
        menu.addAction("&New database…").triggered.connect(self.new_database)
        menu.addAction("Re&name…").triggered.connect(self.rename_database)
        menu.addAction("&Delete…").triggered.connect(self.delete_database)
        menu.addSeparator()
        menu.addAction("&Add field…").triggered.connect(self.add_field)
        menu.addSeparator()
        refresh = menu.addAction(icon("refresh"), "Re&fresh")
        refresh.triggered.connect(self.refresh)
        return menu

    @Slot(QPoint)
    def _on_fields_context_menu(self, pos: QPoint) -> None:
        item = self.fields_table.itemAt(pos)
        if item is not None:
            self.fields_table.setCurrentItem(item)
        self.fields_menu().exec(self.fields_table.viewport().mapToGlobal(pos))

    def fields_menu(self) -> QMenu:
        """The menu of the fields table."""
        menu = QMenu(self)
        menu.addAction("&Add field…").triggered.connect(self.add_field)
        field = self.selected_field()
        rename = menu.addAction("Rename &label…")
        rename.triggered.connect(self.rename_field_label)
        rename.setEnabled(field is not None)
        remove = menu.addAction("Remo&ve field…")
        remove.triggered.connect(self.remove_field)
        remove.setEnabled(field is not None and not field.is_system)
        return menu

    # -- managing the catalogue ------------------------------------------------------
    def _change(
        self, key: str, fn: Callable[[Store], Any], on_done: Callable[[Any], None], title: str
    ) -> None:
        """A store change in the background; a refusal shows as one line."""
        call = self.load(key, fn, on_done)
        if call is not None:
            call.error.connect(lambda exc: self.show_error(title, operator_message(exc)))

    def show_error(self, title: str, message: str) -> None:
        QMessageBox.warning(self, title, message)

    def ask_text(self, title: str, label: str, text: str) -> str | None:
        """A line of text from the operator (None when cancelled or unchanged)."""
        answer, ok = QInputDialog.getText(self, title, label, QLineEdit.EchoMode.Normal, text)
        answer = answer.strip()
        return answer if ok and answer and answer != text else None

    def after_change(self, select: str | None = None) -> None:
        """Reload after a change (selecting ``select``) and tell the window."""
        self._select_after_load = select
        self.refresh()
        self.catalog_changed.emit()

    def _keep(self, dialog: StoreDialog) -> StoreDialog:
        """Remember the dialog; closed ones whose calls have ended are released."""
        for old in self.dialogs:
            if not old.isVisible() and not old.busy():
                old.deleteLater()
        self.dialogs = [d for d in self.dialogs if d.isVisible() or d.busy()]
        self.dialogs.append(dialog)
        return dialog

    @Slot()
    def new_database(self) -> NewDatabaseDialog | None:
        if self.store is None:
            return None
        dialog = NewDatabaseDialog(self.store, self)
        dialog.changed.connect(lambda: self.after_change(select=dialog.database_name))
        self._keep(dialog)
        dialog.open()
        return dialog

    @Slot()
    def rename_database(self) -> None:
        name = self.selected_database()
        if name is None:
            return
        new_name = self.ask_text("Rename profile database", "New &name:", name)
        if new_name:
            self._change(
                "rename",
                _rename_database(name, new_name),
                lambda _r: self.after_change(select=new_name),
                "Rename profile database",
            )

    @Slot()
    def delete_database(self) -> None:
        """Count what the database holds, then ask, then delete it."""
        name = self.selected_database()
        if name is None:
            return
        self._change("delete", _contents(name), self._confirm_delete, "Delete profile database")

    def _confirm_delete(self, contents: manage.DatabaseContents) -> None:
        dialog = ConfirmDialog(
            self,
            "Delete profile database",
            f"Delete the profile database {contents.name!r} and everything in it?",
            f"It holds {contents.describe()}. This cannot be undone; its tasks stay in the "
            "history.",
            "Delete database",
        )
        if not dialog.confirmed():
            return

        def delete(store: Store) -> manage.DatabaseContents:
            return manage.delete_database(store, contents.name, expect_profiles=contents.profiles)

        self._change(
            "delete", delete, lambda removed: self._on_deleted(removed), "Delete profile database"
        )

    def _on_deleted(self, removed: manage.DatabaseContents) -> None:
        self.message.emit(f"Deleted profile database {removed.name!r}: {removed.describe()}.")
        self.after_change()

    def _database_row(self) -> DatabaseRow | None:
        name = self.selected_database()
        return self.row_named(name) if name else None

    @Slot()
    def add_field(self) -> AddFieldDialog | None:
        row = self._database_row()
        if row is None or self.store is None:
            return None
        dialog = AddFieldDialog(self.store, row.id, row.name, self)
        dialog.changed.connect(lambda: self._on_field_added(row.name, dialog))
        self._keep(dialog)
        dialog.open()
        return dialog

    def _on_field_added(self, database: str, dialog: AddFieldDialog) -> None:
        self.after_change(select=database)
        info = dialog.result_value
        if info is not None:
            self.message.emit(f"Added field {info.key!r} to {database!r}.")

    @Slot()
    def rename_field_label(self) -> None:
        row, field = self._database_row(), self.selected_field()
        if row is None or field is None:
            return
        label = self.ask_text("Rename field label", f"New label of {field.key!r}:", field.label)
        if label:
            self._change(
                "field",
                _rename_label(row.id, field.key, label),
                lambda _r: self._load_fields(row.id),
                "Rename field label",
            )

    @Slot()
    def remove_field(self) -> None:
        """Find what uses the field, ask naming it, then remove the field."""
        row, field = self._database_row(), self.selected_field()
        if row is None or field is None:
            return
        self._change(
            "field",
            _usage(row.id, field.key),
            lambda usage: self._confirm_remove(row, usage),
            "Remove field",
        )

    def _confirm_remove(self, row: DatabaseRow, usage: manage.FieldUsage) -> None:
        dialog = ConfirmDialog(
            self,
            "Remove field",
            f"Remove the field {usage.key!r} from {row.name!r}?",
            removal_details(usage),
            "Remove field",
        )
        if not dialog.confirmed():
            return

        def remove(store: Store) -> FieldInfo:
            return manage.remove_field(store, row.id, usage.key)

        self._change("field", remove, lambda _r: self.after_change(select=row.name), "Remove field")

    @Slot()
    def show_resources(self) -> ResourcesDialog | None:
        if self.store is None:
            return None
        dialog = ResourcesDialog(self.store, self)
        dialog.changed.connect(lambda: self.after_change())
        self._keep(dialog)
        dialog.open()
        return dialog

    @Slot()
    def show_programs(self) -> ProgramsDialog | None:
        if self.store is None:
            return None
        dialog = ProgramsDialog(self.store, self)
        dialog.changed.connect(lambda: self.after_change())
        self._keep(dialog)
        dialog.open()
        return dialog

    def wait_idle(self, msecs: int = 30_000) -> None:
        super().wait_idle(msecs)
        for dialog in self.dialogs:
            dialog.wait_idle(msecs)
