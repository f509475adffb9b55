"""New database… and Add field… (Databases view, Data menu)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QRegularExpression, Slot
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPlainTextEdit, QWidget

from ...core import manage
from ...core.fields import FieldType
from ...core.store import Store
from .base import FormDialog

#: What each field type is, in the operator's words (the type name follows in brackets).
TYPE_WORDS: dict[FieldType, str] = {
    FieldType.STRING: "Text (one line)",
    FieldType.INTEGER: "Whole number",
    FieldType.FLOAT: "Number",
    FieldType.BOOLEAN: "Yes / no",
    FieldType.DATE: "Date",
    FieldType.DATETIME: "Date and time",
    FieldType.ENUM: "One of a list",
    FieldType.EMAIL: "Email address",
    FieldType.IP: "IP address",
    FieldType.TAGS: "Tags (a list of words)",
    FieldType.PHONES: "Phone numbers (a list)",
}


def _create_database(name: str, description: str) -> Callable[[Store], int]:
    def work(store: Store) -> int:
        with store.begin() as conn:
            return manage.create_database(store, conn, name, description)

    return work


class NewDatabaseDialog(FormDialog):
    """Name and description of a new, empty profile database."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(store, "New profile database", "Create database", parent)
        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(manage.MAX_NAME)
        self.name_edit.setPlaceholderText("e.g. Web shop customers")
        self.description_edit = QPlainTextEdit()
        self.description_edit.setPlaceholderText("What the database holds (optional)")
        self.description_edit.setFixedHeight(80)
        self.form.addRow("&Name:", self.name_edit)
        self.form.addRow("&Description:", self.description_edit)
        hint = QLabel("It starts empty, with the system fields; add custom fields afterwards.")
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        self.form.addRow(hint)
        self.resize(480, 240)

    def work(self) -> Callable[[Store], Any]:
        name = self.name_edit.text().strip()
        if not name:
            raise ValueError("A profile database needs a name.")
        return _create_database(name, self.description_edit.toPlainText())

    @property
    def database_name(self) -> str:
        return self.name_edit.text().strip()


def _add_field(
    database_id: int, key: str, ftype: FieldType, label: str, options: list[str]
) -> Callable[[Store], Any]:
    def work(store: Store) -> Any:
        with store.begin() as conn:
            return manage.add_field(
                store, conn, database_id, key, ftype, label=label, options=options
            )

    return work


class AddFieldDialog(FormDialog):
    """Key, label, type (and the options of an enum) of a new custom field."""

    def __init__(
        self, store: Store, database_id: int, database_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(store, f"Add field to {database_name}", "Add field", parent)
        self.database_id = database_id
        self._label_edited = False
        self.key_edit = QLineEdit()
        self.key_edit.setMaxLength(63)
        self.key_edit.setPlaceholderText("e.g. favourite_shop")
        self.key_edit.setValidator(
            QRegularExpressionValidator(QRegularExpression("[a-z][a-z0-9_]*"), self.key_edit)
        )
        self.key_edit.textEdited.connect(self._on_key_edited)
        self.label_edit = QLineEdit()
        self.label_edit.setMaxLength(manage.MAX_NAME)
        self.label_edit.textEdited.connect(self._on_label_edited)
        self.type_combo = QComboBox()
        for ftype, words in TYPE_WORDS.items():
            self.type_combo.addItem(f"{words} ({ftype.value})", ftype.value)
        self.type_combo.currentIndexChanged.connect(self._on_type_changed)
        self.options_edit = QLineEdit()
        self.options_edit.setPlaceholderText("comma-separated, e.g. gold, silver, bronze")
        database = QLabel(database_name)
        self.form.addRow("Database:", database)
        self.form.addRow("&Key:", self.key_edit)
        self.form.addRow("&Label:", self.label_edit)
        self.form.addRow("&Type:", self.type_combo)
        self.form.addRow("&Options:", self.options_edit)
        hint = QLabel(
            "The key is what rules and job files name (a-z, 0-9 and _); the label is what "
            "the window shows and can be changed later."
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        self.form.addRow(hint)
        self._on_type_changed()
        self.resize(520, 320)

    def field_type(self) -> FieldType:
        return FieldType(self.type_combo.currentData())

    def set_field_type(self, ftype: FieldType) -> None:
        self.type_combo.setCurrentIndex(self.type_combo.findData(ftype.value))

    @Slot(str)
    def _on_key_edited(self, key: str) -> None:
        if not self._label_edited:
            self.label_edit.setText(manage.label_from_key(key))

    @Slot(str)
    def _on_label_edited(self, label: str) -> None:
        self._label_edited = bool(label)

    @Slot()
    def _on_type_changed(self) -> None:
        is_enum = self.field_type() is FieldType.ENUM
        self.options_edit.setEnabled(is_enum)
        if not is_enum:
            self.options_edit.clear()

    def work(self) -> Callable[[Store], Any]:
        key = self.key_edit.text().strip()
        if not key:
            raise ValueError("A field needs a key.")
        options = [o.strip() for o in self.options_edit.text().split(",") if o.strip()]
        label = self.label_edit.text().strip() or manage.label_from_key(key)
        return _add_field(self.database_id, key, self.field_type(), label, options)
