"""The visual rule builder: nested AND/OR groups of conditions.

The tree of widgets *is* the rule tree: a :class:`GroupWidget` holds
:class:`ConditionRow` and nested :class:`GroupWidget` children, and
:meth:`RuleBuilder.rules` reads react-querybuilder JSON off it.  The fields,
their operators and value kinds come from the core's field catalog
(``core.selection.field_catalog``: a list of ``FieldChoice``), so the builder
offers nothing the rule compiler would reject.

Problems are found in two places: each value editor knows what is wrong with
its own value, and the optional ``validator`` (the core's ``validate``, bound
to the store by the page) checks the whole tree.  Both are shown in place,
under the condition or group they concern, and listed by :meth:`problems`.
Paths are the core's: ``rules[1].rules[0]``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QResizeEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core.limits import rules_problem
from ...core.selection.catalog import catalog_key, comparable_fields, field_name_problem
from ...core.selection.jquery import import_jquery_rules
from ...core.selection.model import FieldChoice, OperatorChoice, RuleError, RuleProblem
from .reserved_editors import (
    EventEditor,
    PromoEditor,
    SubscriptionEditor,
    hbox,
    tool_button,
    value_editor_for,
)
from .value_editors import (
    ValueEditor,
    carry_value,
    kept_rule_value,
    load_rule_value,
    rule_value,
    with_field_source,
)

Validator = Callable[[dict[str, Any]], Sequence[RuleProblem]]

#: Indent of a value editor on a line of its own (under the field).
WRAP_INDENT = 24
EMPTY_TEXT = "No conditions: every profile of the range matches."
EMPTY_GROUP_TEXT = "No conditions in this group yet."

#: Order of the field groups in the field combo (others follow in catalog order).
GROUP_ORDER = ("Profile fields", "Global status", "Subscriptions", "Action history", "Promo codes")


# --- the tree -----------------------------------------------------------------------------


class _Node(QFrame):
    """What a condition row and a group share: a place in a parent group."""

    def __init__(self, builder: RuleBuilder, parent_group: GroupWidget | None) -> None:
        super().__init__()
        self.builder = builder
        self.parent_group = parent_group
        self.problem_label = QLabel()
        self.problem_label.setObjectName("error")
        self.problem_label.setWordWrap(True)
        self.problem_label.hide()
        self.move_up = self.move_down = self.remove = None  # type: QToolButton | None

    def _add_move_buttons(self, layout: QHBoxLayout, what: str) -> None:
        self.move_up = tool_button(self, QStyle.StandardPixmap.SP_ArrowUp, f"Move {what} up")
        self.move_down = tool_button(self, QStyle.StandardPixmap.SP_ArrowDown, f"Move {what} down")
        self.remove = tool_button(
            self, QStyle.StandardPixmap.SP_DialogCloseButton, f"Remove {what}"
        )
        for button in (self.move_up, self.move_down, self.remove):
            layout.addWidget(button)
        self.move_up.clicked.connect(lambda: self._move(-1))
        self.move_down.clicked.connect(lambda: self._move(+1))
        self.remove.clicked.connect(self._remove)

    def _move(self, step: int) -> None:
        if self.parent_group is not None:
            self.parent_group.move_child(self, step)

    def _remove(self) -> None:
        if self.parent_group is not None:
            self.parent_group.remove_child(self)

    def show_problem(self, message: str | None) -> None:
        self.problem_label.setText(f"⚠ {message}" if message else "")
        self.problem_label.setVisible(bool(message))
        invalid = "true" if message else "false"
        if self.property("invalid") != invalid:  # re-polishing is the costly part of an edit
            self.setProperty("invalid", invalid)
            self.style().unpolish(self)
            self.style().polish(self)

    def to_json(self) -> dict[str, Any]:
        raise NotImplementedError

    def focus_widgets(self) -> list[QWidget]:
        raise NotImplementedError


class ConditionRow(_Node):
    """One condition: field, operator, value, and its problem underneath."""

    def __init__(
        self, builder: RuleBuilder, parent_group: GroupWidget, rule: dict[str, Any] | None = None
    ) -> None:
        super().__init__(builder, parent_group)
        self.setObjectName("ruleRow")
        self.editor: ValueEditor | None = None
        self._unknown_value: dict[str, Any] = {"value": None}
        self.field_combo = QComboBox()
        self.field_combo.setAccessibleName("Field")
        self._fixed_width(self.field_combo, 17)
        self.field_combo.setMaxVisibleItems(24)
        self.operator_combo = QComboBox()
        self.operator_combo.setAccessibleName("Operator")
        self._fixed_width(self.operator_combo, 19)
        self.field_combo.setToolTip("Type the first letters of a field to pick it")
        #: The value editor's place: beside the operator, or on a line of its own
        #: when the row is too narrow for both (``_fit``).
        self.editor_box = QWidget()
        self.editor_slot = hbox(self.editor_box)
        self.editor_slot.addStretch(1)
        self._line = hbox()
        self._line.addWidget(self.field_combo)
        self._line.addWidget(self.operator_combo)
        self._line.addWidget(self.editor_box, 1)
        self._line.addStretch(0)  # wrapped, the combos keep their width
        self._add_move_buttons(self._line, "condition")
        self._second_line = hbox()
        self._second_line.setContentsMargins(WRAP_INDENT, 0, 0, 0)
        self.wrapped = False
        self._place_editor_box(wrapped=False)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 2, 2, 2)
        outer.setSpacing(2)
        outer.addLayout(self._line)
        outer.addLayout(self._second_line)
        outer.addWidget(self.problem_label)
        self._fill_fields()
        if rule is None:
            self._fill_operators()
        else:
            self._select(rule)
        with builder.quiet():  # the builder hears of the row once, when it is added
            self._replace_editor(keep_value=False)
            if rule is not None and self.editor is not None and "value" in rule:
                load_rule_value(self.editor, rule)
        self.field_combo.currentIndexChanged.connect(self._on_field_changed)
        self.operator_combo.currentIndexChanged.connect(self._on_operator_changed)

    # wrapping

    def one_line_width(self) -> int:
        """The width the row needs to show its editor beside the operator."""
        buttons = [b for b in (self.move_up, self.move_down, self.remove) if b is not None]
        widths = [self.field_combo.sizeHint().width(), self.operator_combo.sizeHint().width()]
        widths += [b.sizeHint().width() for b in buttons]
        editor = self.editor.minimumSizeHint().width() if self.editor is not None else 0
        spacing = self._line.spacing() * (len(widths) + 1)
        layout = self.layout()
        margins = layout.contentsMargins() if layout is not None else None
        extra = margins.left() + margins.right() if margins is not None else 0
        return sum(widths) + max(editor, 40) + spacing + extra

    def _place_editor_box(self, wrapped: bool) -> None:
        """Beside the operator (its minimum width not counted, so the row can
        shrink), or on the second line (counted: nothing is cut off)."""
        self.wrapped = wrapped
        if wrapped:
            self._line.removeWidget(self.editor_box)
            self._second_line.addWidget(self.editor_box, 1)
            policy = QSizePolicy.Policy.Preferred
        else:
            self._second_line.removeWidget(self.editor_box)
            self._line.insertWidget(2, self.editor_box, 1)
            policy = QSizePolicy.Policy.Ignored
        self.editor_box.setSizePolicy(policy, QSizePolicy.Policy.Preferred)

    def _fit(self) -> None:
        wrap = self.width() < self.one_line_width()
        if wrap != self.wrapped:
            self._place_editor_box(wrap)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    @staticmethod
    def _fixed_width(combo: QComboBox, chars: int) -> None:
        """Same width in every row, so the columns line up; the pop-up may be wider."""
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(chars)
        combo.view().setMinimumWidth(combo.fontMetrics().averageCharWidth() * (chars + 12))

    # fields and operators

    def _fill_fields(self) -> None:
        model = QStandardItemModel(self.field_combo)
        heading_font = QFont(self.font())
        heading_font.setBold(True)
        for group, choices in self.builder.grouped_catalog():
            heading = QStandardItem(group)
            heading.setFlags(Qt.ItemFlag.NoItemFlags)
            heading.setFont(heading_font)
            model.appendRow(heading)
            for choice in choices:
                item = QStandardItem(choice.label)
                item.setData(choice.key, Qt.ItemDataRole.UserRole)
                model.appendRow(item)
        self.field_combo.setModel(model)
        first = next((i for i in range(model.rowCount()) if model.item(i).isEnabled()), -1)
        self.field_combo.setCurrentIndex(first)

    def field_choice(self) -> FieldChoice | None:
        return self.builder.choice(self.field_combo.currentData())

    def operator_choice(self) -> OperatorChoice | None:
        choice = self.field_choice()
        name = self.operator_combo.currentData()
        if choice is None:
            return None
        return next((op for op in choice.operators if op.name == name), None)

    def _fill_operators(self) -> None:
        """The operators of the chosen field, the first one selected (no signals)."""
        choice = self.field_choice()
        self.operator_combo.blockSignals(True)
        self.operator_combo.clear()
        for op in choice.operators if choice else ():
            self.operator_combo.addItem(op.label, op.name)
        self.operator_combo.setCurrentIndex(0 if self.operator_combo.count() else -1)
        self.operator_combo.blockSignals(False)

    def _on_field_changed(self) -> None:
        self._fill_operators()
        self._replace_editor(keep_value=False)

    def _on_operator_changed(self) -> None:
        self._replace_editor(keep_value=True)

    def _replace_editor(self, keep_value: bool) -> None:
        choice, op = self.field_choice(), self.operator_choice()
        old = self.editor
        old_kind = old.property("valueKind") if old is not None else None
        new = value_editor_for(choice, op) if choice and op else None
        if new is not None and choice and op:
            fields = comparable_fields(self.builder.catalog(), choice, op.name)
            new = with_field_source(new, op, fields)
        if new is not None:
            new.setProperty("valueKind", op.value_kind if op else None)
            if keep_value and old is not None and old_kind == new.property("valueKind"):
                carry_value(old, new)
            new.changed.connect(self.builder.on_edit)
            self.editor_slot.insertWidget(0, new)
        if old is not None:
            old.hide()
            old.setParent(None)
            old.deleteLater()
        self.editor = new
        self._fit()
        self.builder.on_structure_changed()

    # JSON

    def to_json(self) -> dict[str, Any]:
        key = self.field_combo.currentData()
        if self.field_choice() is None:  # kept as loaded: a field not in this database
            return {
                "field": key,
                "operator": self.operator_combo.currentData(),
                **self._unknown_value,
            }
        return {
            "field": key,
            "operator": self.operator_combo.currentData(),
            **rule_value(self.editor),
        }

    def _select(self, rule: dict[str, Any]) -> None:
        """Choose the rule's field and operator (no signals; unknown ones are kept, marked)."""
        keys = [c.key for c in self.builder.catalog()]
        key = catalog_key(keys, rule.get("field"))
        operator = rule.get("operator")
        self.field_combo.blockSignals(True)
        index = self.field_combo.findData(key)
        if index < 0:
            why = "two fields" if field_name_problem(keys, key) else "not in this database"
            self.field_combo.addItem(f"{key} ({why})", key)
            index = self.field_combo.count() - 1
        self.field_combo.setCurrentIndex(index)
        self.field_combo.blockSignals(False)
        self._fill_operators()
        choice = self.field_choice()
        self.operator_combo.blockSignals(True)
        if choice is None:
            self.operator_combo.addItem(str(operator), operator)
            self._unknown_value = kept_rule_value(rule)
            op_index = self.operator_combo.count() - 1
        else:
            op_index = self.operator_combo.findData(operator)
            if op_index < 0:
                op_index = self.operator_combo.findData(self.builder.canonical(choice, operator))
            if op_index < 0:
                self.operator_combo.addItem(f"{operator} (not offered)", operator)
                op_index = self.operator_combo.count() - 1
        self.operator_combo.setCurrentIndex(op_index)
        self.operator_combo.blockSignals(False)

    def local_problem(self) -> str | None:
        if self.field_choice() is None:
            name = self.field_combo.currentData()
            keys = [c.key for c in self.builder.catalog()]
            ambiguous = field_name_problem(keys, name)  # the compiler's line
            if ambiguous:
                return ambiguous[0].upper() + ambiguous[1:]
            return f"Field “{name}” is not in this database"
        if self.operator_choice() is None:
            return f"“{self.operator_combo.currentData()}” is not offered for this field"
        return self.editor.problem() if self.editor is not None else None

    def focus_widgets(self) -> list[QWidget]:
        widgets: list[QWidget] = [self.field_combo, self.operator_combo]
        if self.editor is not None:
            widgets += self.editor.focus_widgets()
        return [*widgets, self.move_up, self.move_down, self.remove]  # type: ignore[list-item]


class GroupWidget(_Node):
    """A group: AND/OR switch, NOT toggle, its children, add buttons."""

    def __init__(self, builder: RuleBuilder, parent_group: GroupWidget | None, depth: int) -> None:
        super().__init__(builder, parent_group)
        self.setObjectName("ruleGroup")
        self.setProperty("depth", str(depth % 4))
        self.level = depth
        self.children_: list[_Node] = []

        self.and_button = self._combinator_button("AND", "All conditions must hold")
        self.or_button = self._combinator_button("OR", "At least one condition must hold")
        # Exclusive by hand: Qt leaves the unchecked button of an exclusive
        # QButtonGroup out of the Tab chain, and OR must be reachable by Tab.
        self.and_button.setChecked(True)
        self.and_button.clicked.connect(lambda: self.set_combinator("and"))
        self.or_button.clicked.connect(lambda: self.set_combinator("or"))
        # Alt+O, Alt+C, Alt+G belong to the top group only: a page has each once.
        amp = "&" if depth == 0 else ""
        self.not_check = QCheckBox(f"N{amp}ot")
        self.not_check.setToolTip("Select the profiles this group does NOT select")
        self.add_condition_button = QPushButton(f"Add {amp}condition")
        self.add_group_button = QPushButton(f"Add {amp}group")
        for button in (self.add_condition_button, self.add_group_button):
            button.setAutoDefault(False)

        header = hbox()
        header.addWidget(self.and_button)
        header.addWidget(self.or_button)
        header.addSpacing(8)
        header.addWidget(self.not_check)
        header.addStretch(1)
        header.addWidget(self.add_condition_button)
        header.addWidget(self.add_group_button)
        if parent_group is not None:
            self._add_move_buttons(header, "group")

        self.empty_label = QLabel(EMPTY_TEXT if depth == 0 else EMPTY_GROUP_TEXT)
        self.empty_label.setObjectName("emptyGroup")
        self.body = QVBoxLayout()
        self.body.setContentsMargins(12, 0, 0, 0)
        self.body.setSpacing(4)
        self.body.addWidget(self.empty_label)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 6, 8, 8)
        outer.setSpacing(6)
        outer.addLayout(header)
        outer.addWidget(self.problem_label)
        outer.addLayout(self.body)

        self.and_button.toggled.connect(self.builder.on_edit)
        self.not_check.toggled.connect(self.builder.on_edit)
        self.add_condition_button.clicked.connect(self._add_condition_clicked)
        self.add_group_button.clicked.connect(self._add_group_clicked)

    def set_combinator(self, combinator: str) -> None:
        """AND or OR: exactly one of the two buttons is down."""
        is_or = combinator == "or"
        self.or_button.setChecked(is_or)
        self.and_button.setChecked(not is_or)

    def _combinator_button(self, text: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setObjectName("combinator")
        button.setText(text)
        button.setToolTip(tip)
        button.setCheckable(True)
        button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        return button

    # structure

    def add_condition(self, rule: dict[str, Any] | None = None) -> ConditionRow:
        row = ConditionRow(self.builder, self, rule)
        self._append(row)
        return row

    def add_group(self) -> GroupWidget:
        group = GroupWidget(self.builder, self, self.level + 1)
        self._append(group)
        return group

    def _add_condition_clicked(self) -> None:
        self.add_condition().field_combo.setFocus()

    def _add_group_clicked(self) -> None:
        group = self.add_group()
        group.add_condition()
        group.and_button.setFocus()

    def _append(self, node: _Node) -> None:
        self.children_.append(node)
        self.body.addWidget(node)
        self._children_changed()

    def move_child(self, node: _Node, step: int) -> None:
        index = self.children_.index(node)
        target = index + step
        if not 0 <= target < len(self.children_):
            return
        focused = self.focusWidget()
        self.children_.insert(target, self.children_.pop(index))
        self.body.removeWidget(node)
        self.body.insertWidget(target + 1, node)  # +1: the "no conditions" label comes first
        self._children_changed()
        if focused is not None:
            focused.setFocus()

    def remove_child(self, node: _Node) -> None:
        index = self.children_.index(node)
        self.children_.pop(index)
        self.body.removeWidget(node)
        node.hide()
        node.setParent(None)
        node.deleteLater()
        self._children_changed()
        if self.children_:
            self.children_[min(index, len(self.children_) - 1)].focus_widgets()[0].setFocus()
        else:
            self.add_condition_button.setFocus()

    def clear(self) -> None:
        for node in self.children_:
            self.body.removeWidget(node)
            node.hide()
            node.setParent(None)
            node.deleteLater()
        self.children_.clear()

    def _children_changed(self) -> None:
        self.empty_label.setVisible(not self.children_)
        for i, node in enumerate(self.children_):
            if node.move_up is not None and node.move_down is not None:
                node.move_up.setEnabled(i > 0)
                node.move_down.setEnabled(i < len(self.children_) - 1)
        self.builder.on_structure_changed()

    # JSON

    def to_json(self) -> dict[str, Any]:
        return {
            "combinator": "or" if self.or_button.isChecked() else "and",
            "not": self.not_check.isChecked(),
            "rules": [node.to_json() for node in self.children_],
        }

    def load(self, group: dict[str, Any]) -> None:
        self.clear()
        is_or = str(group.get("combinator", "and")).lower() == "or"
        self.set_combinator("or" if is_or else "and")
        self.not_check.setChecked(bool(group.get("not", False)))
        for rule in group.get("rules", []) or []:
            if isinstance(rule, dict) and rule.get("disabled") is True:
                continue
            if isinstance(rule, dict) and "rules" in rule:
                self.add_group().load(rule)
            elif isinstance(rule, dict):
                self.add_condition(rule)
        self._children_changed()

    def focus_widgets(self) -> list[QWidget]:
        widgets: list[QWidget] = [
            self.and_button,
            self.or_button,
            self.not_check,
            self.add_condition_button,
            self.add_group_button,
        ]
        if self.move_up is not None:
            widgets += [self.move_up, self.move_down, self.remove]  # type: ignore[list-item]
        for node in self.children_:
            widgets += node.focus_widgets()
        return widgets

    def walk(self, path: str = "") -> list[tuple[str, _Node]]:
        """Every node under this group with its core-style path."""
        found: list[tuple[str, _Node]] = [(path, self)]
        for i, node in enumerate(self.children_):
            child = f"{path}.rules[{i}]" if path else f"rules[{i}]"
            if isinstance(node, GroupWidget):
                found += node.walk(child)
            else:
                found.append((child, node))
        return found


class RuleBuilder(QWidget):
    """The rule tree editor; ``changed`` fires after every edit."""

    changed = Signal()

    def __init__(
        self,
        catalog: Sequence[FieldChoice] = (),
        validator: Validator | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._catalog: list[FieldChoice] = list(catalog)
        self._validator = validator
        self._problems: list[RuleProblem] = []
        self._loading = False
        self._read_only = False
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.root = GroupWidget(self, None, 0)
        self._layout.addWidget(self.root)
        self._layout.addStretch(1)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self._revalidate()

    # catalog

    def set_catalog(self, catalog: Sequence[FieldChoice], validator: Validator | None) -> None:
        """New fields (another database): the rules are kept where they still fit."""
        rules = self.rules()
        self._catalog = list(catalog)
        self._validator = validator
        self.set_rules(rules)

    def catalog(self) -> list[FieldChoice]:
        return list(self._catalog)

    def grouped_catalog(self) -> list[tuple[str, list[FieldChoice]]]:
        groups: dict[str, list[FieldChoice]] = {}
        for choice in self._catalog:
            groups.setdefault(choice.group, []).append(choice)
        ordered = [g for g in GROUP_ORDER if g in groups]
        ordered += [g for g in groups if g not in GROUP_ORDER]
        return [(g, groups[g]) for g in ordered]

    def choice(self, key: Any) -> FieldChoice | None:
        return next((c for c in self._catalog if c.key == key), None)

    @staticmethod
    def canonical(choice: FieldChoice, operator: Any) -> Any:
        from ...core.selection.operators import canonical_operator

        return canonical_operator(choice.type, str(operator))

    # rules

    def rules(self) -> dict[str, Any]:
        """The tree as react-querybuilder JSON."""
        return self.root.to_json()

    def set_rules(self, rules: dict[str, Any] | None) -> None:
        """Show ``rules`` (react-querybuilder JSON; jQuery QueryBuilder's shape is
        converted, RuleError if it cannot be).  Disabled rules are left out: the
        compiler ignores them anyway."""
        if isinstance(rules, dict) and "condition" in rules and "combinator" not in rules:
            rules = import_jquery_rules(rules)
        too_big = rules_problem(rules)
        if too_big:  # the builder's load is recursive: see core/limits.py
            raise RuleError([RuleProblem("", too_big)])
        self._loading = True
        self.setUpdatesEnabled(False)
        try:
            self.root.load(rules or {"combinator": "and", "not": False, "rules": []})
        finally:
            self._loading = False
            self.setUpdatesEnabled(True)
        self.on_structure_changed()

    def set_empty_text(self, text: str | None) -> None:
        """What the empty top group says (None: the default, about the range)."""
        self.root.empty_label.setText(text or EMPTY_TEXT)

    def has_conditions(self) -> bool:
        return bool(self.root.children_)

    def problems(self) -> list[RuleProblem]:
        """Every invalid condition or group, with its path and the reason."""
        return list(self._problems)

    def describe(self, problem: RuleProblem) -> str:
        """The problem in the operator's words: "Birthday: <reason>" or "Group: <reason>"."""
        node = dict(self.root.walk()).get(problem.path)
        if isinstance(node, ConditionRow):
            choice = node.field_choice()
            what = choice.label if choice else str(node.field_combo.currentData())
        elif isinstance(node, GroupWidget):
            what = "Group"
        else:
            what = problem.path or "Rules"
        return f"{what}: {problem.message}"

    def node_at(self, path: str) -> QWidget | None:
        """The condition row or group widget at a core-style path."""
        return dict(self.root.walk()).get(path)

    # reactions

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """No revalidation and no ``changed`` meanwhile (a row building itself:
        each step would revalidate and recount a tree it is not yet part of)."""
        was_loading, self._loading = self._loading, True
        try:
            yield
        finally:
            self._loading = was_loading

    def on_edit(self) -> None:
        if self._loading:
            return
        self._revalidate()
        self.changed.emit()

    def set_read_only(self, read_only: bool) -> None:
        """Show the rules without the buttons that change them (a segment's own rules)."""
        self._read_only = read_only
        self.setEnabled(not read_only)
        self._hide_edit_buttons()

    def _hide_edit_buttons(self) -> None:
        for _path, node in self.root.walk():
            buttons: list[QWidget | None] = [node.move_up, node.move_down, node.remove]
            if isinstance(node, GroupWidget):
                buttons += [node.add_condition_button, node.add_group_button]
            for button in buttons:
                if button is not None:
                    button.setVisible(not self._read_only)

    def on_structure_changed(self) -> None:
        if self._loading:
            return
        if self._read_only:
            self._hide_edit_buttons()
        self._update_tab_order()
        self._revalidate()
        self.changed.emit()

    def _revalidate(self) -> None:
        nodes = self.root.walk()
        found: dict[str, str] = {}
        for path, node in nodes:
            if isinstance(node, ConditionRow):
                reason = node.local_problem()
                if reason:
                    found[path] = reason
        if not found and self._validator is not None:
            for problem in self._validator(self.rules()):
                found.setdefault(problem.path, problem.message)
        by_path = dict(nodes)
        problems: list[RuleProblem] = []
        for path, node in nodes:
            message = self._message_for(path, found, by_path)
            node.show_problem(message)
            if message:
                problems.append(RuleProblem(path, message))
        # Problems the validator reports on paths we cannot place (deeper keys) go on the root.
        stray = [p for p in found if p not in by_path and self._owner(p, by_path) is None]
        for path in stray:
            problems.append(RuleProblem(path, found[path]))
        self._problems = problems

    @staticmethod
    def _owner(path: str, by_path: dict[str, _Node]) -> str | None:
        while path:
            if path in by_path:
                return path
            path = path.rsplit(".", 1)[0] if "." in path else ""
        return None

    def _message_for(
        self, path: str, found: dict[str, str], by_path: dict[str, _Node]
    ) -> str | None:
        """The reason shown under ``path``: its own, or one reported deeper inside a condition."""
        if path in found:
            return found[path]
        if isinstance(by_path.get(path), ConditionRow):
            for key, message in found.items():
                if key.startswith(path + ".") and self._owner(key, by_path) == path:
                    return message
        return None

    def _update_tab_order(self) -> None:
        chain = [w for w in self.root.focus_widgets() if w is not None]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)


#: The reserved-field editors live in ``reserved_editors``; their names stay importable here.
__all__ = [
    "ConditionRow",
    "EventEditor",
    "GroupWidget",
    "PromoEditor",
    "RuleBuilder",
    "SubscriptionEditor",
    "value_editor_for",
]
