"""Update profile fields: pick a field, "Add this field", then for each row
choose the operation (set / clear, increment for numbers, add / remove for
tags) and a value in an editor that fits the field type."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ....core import catalog
from ....core.actions.update_fields import ops_for
from ....core.fields import FieldType
from ....core.store import FieldInfo, Store
from ...widgets.value_editors import ValueEditor, editor_for
from ..context import WizardContext
from .base import ActionPage, ChoiceCombo, paragraph

#: How each operation reads in the row's combo box.
OP_LABELS: dict[str, str] = {
    "set": "Set to",
    "clear": "Clear the value",
    "increment": "Increase by",
    "add": "Add tags",
    "remove": "Remove tags",
}

#: Column widths of the rows (and of the field picker above them), so that
#: labels, operations, values and buttons line up.
ROW_LABEL_WIDTH = 170
OP_WIDTH = 170
EDITOR_WIDTH = 360
ROW_SPACING = 10


def editor_kind(info: FieldInfo, op: str | None) -> str | None:
    """Which value editor an operation on a field needs (None: no value)."""
    if op in ("clear", None):
        return None
    if op == "increment":
        return "integer" if info.type is FieldType.INTEGER else "float"
    if op in ("add", "remove"):
        return "tags"
    return info.type.value


def fields_in_rules(rules: Any) -> list[str]:
    """The profile fields the conditions use, in their order (reserved ``$`` ones left out)."""
    found: list[str] = []
    stack = [rules]
    while stack:
        node = stack.pop(0)
        if not isinstance(node, dict):
            continue
        if isinstance(node.get("rules"), list):
            stack = [*node["rules"], *stack]
            continue
        key = node.get("field")
        if isinstance(key, str) and not key.startswith("$") and key not in found:
            found.append(key)
    return found


def field_choices(fields: list[FieldInfo], used: list[str]) -> list[tuple[str, str]]:
    """The field combo's entries: the fields of the conditions first (the usual
    update: "set city where city is empty"), then every other field."""
    by_key = {f.key: f for f in fields}
    first = [(f"{by_key[k].label}  (in the conditions)", k) for k in used if k in by_key]
    return first + [(f.label, f.key) for f in fields if f.key not in used]


class ChangeRow(QWidget):
    """One field change: label, operation, value editor, remove button."""

    changed = Signal()
    remove_requested = Signal(object)

    def __init__(self, info: FieldInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info = info
        self.editor: ValueEditor | None = None
        self.field_label = QLabel()
        self.field_label.setFixedWidth(ROW_LABEL_WIDTH)
        self.set_label_text(info.label)
        self.op_combo = QComboBox()
        for op in ops_for(info.type):
            self.op_combo.addItem(OP_LABELS[op], op)
        self.op_combo.setFixedWidth(OP_WIDTH)
        self.cleared_label = QLabel("the value is deleted")
        self.cleared_label.setObjectName("hint")
        self.remove_button = QToolButton()
        self.remove_button.setText("Remove")
        self.remove_button.setToolTip(f"Remove the change of {info.label}")
        self.remove_button.setAccessibleName(f"Remove {info.label}")
        editor_slot = QWidget()
        editor_slot.setFixedWidth(EDITOR_WIDTH)
        self._editor_box = QHBoxLayout(editor_slot)
        self._editor_box.setContentsMargins(0, 0, 0, 0)
        self._editor_box.addStretch(0)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(ROW_SPACING)
        layout.addWidget(self.field_label)
        layout.addWidget(self.op_combo)
        layout.addWidget(editor_slot)
        layout.addWidget(self.remove_button)
        layout.addStretch(1)
        self.op_combo.currentIndexChanged.connect(self._op_changed)
        self.remove_button.clicked.connect(lambda: self.remove_requested.emit(self))
        self._op_changed()

    def set_label_text(self, text: str) -> None:
        """Show ``text`` in the label column, elided when too long (full text in the tip)."""
        metrics = self.field_label.fontMetrics()
        self.field_label.setText(
            metrics.elidedText(text, Qt.TextElideMode.ElideRight, ROW_LABEL_WIDTH - 4)
        )
        self._label_tip = f"{text} ({self.info.key}, {self.info.type.value})"
        self.field_label.setToolTip(self._label_tip)

    def mark_problem(self, problem: str | None) -> None:
        """Mark the row in place: red label, the reason in its tool tip."""
        self.field_label.setStyleSheet("color: #a12622;" if problem else "")
        self.field_label.setToolTip(problem or self._label_tip)

    def op(self) -> str | None:
        data = self.op_combo.currentData()
        return None if data is None else str(data)

    def _op_changed(self) -> None:
        previous = self.editor.value() if self.editor is not None else None
        previous_kind = getattr(self, "_kind", None)
        self._kind = editor_kind(self.info, self.op())
        if self.editor is not None:
            self._editor_box.removeWidget(self.editor)
            self.editor.deleteLater()
            self.editor = None
        self._editor_box.removeWidget(self.cleared_label)
        self.cleared_label.hide()
        if self._kind is None:
            self._editor_box.insertWidget(0, self.cleared_label)
            self.cleared_label.show()
        else:
            self.editor = editor_for(self._kind, self.info.options)
            if previous is not None and previous_kind == self._kind:
                self.editor.set_value(previous)
            self.editor.changed.connect(self.changed)
            inner = self.editor.focusProxy()
            if inner is not None and inner.maximumWidth() < EDITOR_WIDTH:
                self.editor.setMaximumWidth(inner.maximumWidth())  # e.g. a short number box
            self._editor_box.insertWidget(0, self.editor, 1)
            chain = [self.op_combo, *self.editor.focus_widgets(), self.remove_button]
            for first, second in pairwise(chain):
                QWidget.setTabOrder(first, second)
        self.changed.emit()

    def change(self) -> dict[str, Any]:
        """This row as one item of the action's ``changes``."""
        op = self.op()
        if op is None:
            op = self.op_combo.currentText().split(" (", 1)[0]
        item: dict[str, Any] = {"field": self.info.key, "op": op}
        if self.editor is not None:
            item["value"] = self.editor.value()
        return item

    def set_change(self, item: dict[str, Any]) -> None:
        """Restore from a ``changes`` item; an op that does not fit the field
        stays visible as unavailable (and is reported by ``problem``)."""
        op = item.get("op")
        index = self.op_combo.findData(op)
        if index < 0:
            self.op_combo.addItem(f"{op} (not possible here)", None)
            index = self.op_combo.count() - 1
        self.op_combo.setCurrentIndex(index)
        if self.editor is not None and "value" in item:
            self.editor.set_value(item["value"])

    def problem(self) -> str | None:
        if self.op() is None:
            return (
                f"{self.info.label}: “{self.change()['op']}” is not possible for a "
                f"{self.info.type.value} field: choose another operation."
            )
        if self.editor is None:
            return None
        reason = self.editor.problem()
        if reason is None and self.op() == "increment" and self.editor.value() == 0:
            reason = "increasing by 0 changes nothing"
        return f"{self.info.label}: {reason}" if reason else None


class MissingFieldRow(ChangeRow):
    """A change from a job file of a field the database does not offer: kept
    visible (and in ``action()``) until the operator removes it."""

    def __init__(self, item: dict[str, Any], parent: QWidget | None = None) -> None:
        key = str(item.get("field"))
        placeholder = FieldInfo(-1, -1, key, key, FieldType.STRING, None, False, False, ())
        self._item = dict(item)
        super().__init__(placeholder, parent)
        self.set_label_text(f"{key} (not available)")
        self.op_combo.clear()
        self.op_combo.addItem(str(item.get("op")), item.get("op"))
        self.op_combo.setEnabled(False)

    def _op_changed(self) -> None:
        self.changed.emit()

    def change(self) -> dict[str, Any]:
        return dict(self._item)

    def problem(self) -> str | None:
        return (
            f"The field “{self.info.key}” is not in this database or cannot be changed: "
            "remove its row."
        )


class UpdateFieldsPage(ActionPage):
    ACTION_TYPE = "update_fields"
    BODY_GROWS = True

    def __init__(self, ctx: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self._fields: dict[str, FieldInfo] = {}
        self.rows: list[ChangeRow] = []
        self.field_combo = ChoiceCombo()
        self.field_combo.setFixedWidth(OP_WIDTH + ROW_SPACING + EDITOR_WIDTH)
        self.field_combo.setToolTip("All fields of the database that may be changed")
        self.add_button = QPushButton("&Add this field")
        field_label = QLabel("Fie&ld:")
        field_label.setFixedWidth(ROW_LABEL_WIDTH)
        field_label.setBuddy(self.field_combo)
        picker = QHBoxLayout()
        picker.setSpacing(ROW_SPACING)
        picker.addWidget(field_label)
        picker.addWidget(self.field_combo)
        picker.addWidget(self.add_button)
        picker.addStretch(1)
        self.empty_label = paragraph("No field to change yet: pick one above and add it.", "hint")
        self._rows_box = QVBoxLayout()
        self._rows_box.setSpacing(8)
        self._rows_box.addWidget(self.empty_label)
        rows_widget = QWidget()
        rows_widget.setObjectName("changeRows")
        outer = QVBoxLayout(rows_widget)
        outer.setContentsMargins(0, 0, 0, 4)
        outer.addLayout(self._rows_box)
        outer.addStretch(1)
        self.rows_area = QScrollArea()
        self.rows_area.setWidgetResizable(True)
        self.rows_area.setFrameShape(QFrame.Shape.NoFrame)
        self.rows_area.setWidget(rows_widget)
        self.rows_area.setMinimumHeight(160)
        self.rows_area.setStyleSheet("QScrollArea, QWidget#changeRows { background: transparent; }")
        self.rows_area.viewport().setAutoFillBackground(False)
        heading = QLabel("<b>Changes</b>")
        self.body.addLayout(picker)
        self.body.addSpacing(6)
        self.body.addWidget(heading)
        self.body.addWidget(self.rows_area, 1)
        self.field_combo.currentIndexChanged.connect(self._update_add_button)
        self.add_button.clicked.connect(self.add_chosen_field)

    # -- choices ------------------------------------------------------------
    @staticmethod
    def fetch_choices(store: Store, database_id: int) -> list[FieldInfo]:
        with store.begin() as conn:
            return list(catalog.editable_fields(store, conn, database_id))

    def fill_choices(self, data: Any) -> None:
        fields: list[FieldInfo] = data
        self._fields = {f.key: f for f in fields}
        self.field_combo.set_choices(
            field_choices(fields, fields_in_rules(self.ctx.draft.rules)),
            "This database has no field to change",
        )

    def _update_add_button(self) -> None:
        key = self.field_combo.current_value()
        taken = key is not None and any(row.info.key == key for row in self.rows)
        self.add_button.setEnabled(key is not None and not taken)
        self.add_button.setToolTip(
            "This field is already in the list" if taken else "Add a change of this field"
        )

    # -- rows -----------------------------------------------------------------
    def add_chosen_field(self) -> ChangeRow | None:
        info = self._fields.get(self.field_combo.current_value() or "")
        if info is None or any(row.info.key == info.key for row in self.rows):
            return None
        row = self._add_row(info)
        if row.editor is not None:
            row.editor.setFocus()
        else:
            row.op_combo.setFocus()
        return row

    def _add_row(self, info: FieldInfo) -> ChangeRow:
        return self._append(ChangeRow(info))

    def _append(self, row: ChangeRow) -> ChangeRow:
        row.changed.connect(self.refresh_state)
        row.remove_requested.connect(self._remove_row)
        self.rows.append(row)
        self._rows_box.addWidget(row)
        self.empty_label.hide()
        self._update_add_button()
        self.refresh_state()
        return row

    def _remove_row(self, row: ChangeRow) -> None:
        if row not in self.rows:
            return
        self.rows.remove(row)
        self._rows_box.removeWidget(row)
        row.deleteLater()
        self.empty_label.setVisible(not self.rows)
        self._update_add_button()
        self.refresh_state()

    def clear_rows(self) -> None:
        for row in list(self.rows):
            self._remove_row(row)

    # -- the action -------------------------------------------------------
    def action(self) -> dict[str, Any]:
        return {"type": self.ACTION_TYPE, "changes": [row.change() for row in self.rows]}

    def apply_action(self, action: dict[str, Any]) -> None:
        self.clear_rows()
        changes = action.get("changes")
        for item in changes if isinstance(changes, list) else []:
            if not isinstance(item, dict):
                continue
            key = item.get("field")
            info = self._fields.get(key) if isinstance(key, str) else None
            if info is None:
                self._append(MissingFieldRow(item))
            else:
                self._add_row(info).set_change(item)
        self.refresh_state()

    def problems(self) -> list[str]:
        found = super().problems()
        if found:
            return found
        if not self.rows:
            return ["Add at least one field to change."]
        found = [p for p in (row.problem() for row in self.rows) if p]
        found += self._duplicates()
        return found

    def refresh_state(self) -> None:
        for row in self.rows:
            row.mark_problem(row.problem())
        super().refresh_state()
        if not self.rows and self.ctx.database_id is not None:
            self.problem_label.hide()  # an empty list is no error: the hint above says what to do

    def _duplicates(self) -> list[str]:
        ops: dict[str, list[str]] = {}
        for row in self.rows:
            ops.setdefault(row.info.key, []).append(row.op() or "")
        return [
            f"{self._fields[key].label if key in self._fields else key} is changed more than once."
            for key, used in ops.items()
            if len(used) > 1 and sorted(used) != ["add", "remove"]
        ]
