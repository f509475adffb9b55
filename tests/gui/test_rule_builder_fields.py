"""The rule builder's "another field" value: a condition compares a field with
another field of a comparable type (react-querybuilder's ``"valueSource":
"field"``), driven on real widgets over a real SQLite store's catalog, and
checked by the core's validator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from bulkprofiles_gui.core.fields import FieldType
from bulkprofiles_gui.core.selection import RuleProblem, field_catalog
from bulkprofiles_gui.core.selection.compiler import RuleCompiler
from bulkprofiles_gui.core.selection.context import load_context
from bulkprofiles_gui.core.store import open_store
from bulkprofiles_gui.gui.widgets.rule_builder import ConditionRow, RuleBuilder
from bulkprofiles_gui.gui.widgets.value_editors import (
    FieldPairEditor,
    FieldSourceEditor,
    ListEditor,
    NumberEditor,
)

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def builder(qtbot: Any, tmp_path: Path) -> Iterator[RuleBuilder]:
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}", create=True)
    with store.begin() as conn:
        db = store.create_database(conn, "Shop customers")
        for key, label, ftype in (
            ("bonus_points", "Bonus points", FieldType.INTEGER),
            ("target_points", "Target points", FieldType.INTEGER),
            ("average_check", "Average check", FieldType.FLOAT),
            ("vip", "VIP", FieldType.BOOLEAN),
            ("tags", "Tags", FieldType.TAGS),
        ):
            store.add_custom_field(conn, db, key, label, ftype)
        catalog = field_catalog(store, conn, db)
        context = load_context(store, conn, db)

    def validate(rules: dict[str, Any]) -> list[RuleProblem]:
        compiler = RuleCompiler(store, context)
        compiler.compile_root(rules)
        return compiler.problems

    widget = RuleBuilder(catalog, validate)
    qtbot.addWidget(widget)
    widget.resize(1200, 500)
    widget.show()
    try:
        yield widget
    finally:
        store.close()


def pick(combo: Any, data: Any) -> None:
    index = combo.findData(data)
    assert index >= 0, f"{data!r} is not offered"
    combo.setCurrentIndex(index)


def new_row(qtbot: Any, builder: RuleBuilder, field: str, operator: str) -> ConditionRow:
    qtbot.mouseClick(builder.root.add_condition_button, Qt.MouseButton.LeftButton)
    row = builder.root.children_[-1]
    assert isinstance(row, ConditionRow)
    pick(row.field_combo, field)
    pick(row.operator_combo, operator)
    return row


def switch(row: ConditionRow) -> FieldSourceEditor:
    editor = row.editor
    assert isinstance(editor, FieldSourceEditor)
    return editor


def offered(combo: Any) -> list[Any]:
    return [combo.itemData(i) for i in range(combo.count())]


def test_another_field_offers_the_comparable_fields_and_writes_value_source(
    qtbot: Any, builder: RuleBuilder
) -> None:
    row = new_row(qtbot, builder, "bonus_points", ">=")
    editor = switch(row)
    assert editor.value_source() == "value" and isinstance(editor.value_editor, NumberEditor)
    assert offered(editor.source) == ["value", "field"]
    assert editor.source.itemText(1) == "another field"
    # from the keyboard: the switch is the last stop of the value, Down picks "another field"
    editor.source.setFocus()
    qtbot.keyClick(editor.source, Qt.Key.Key_Down)
    assert editor.value_source() == "field"
    assert not editor.field_editor.isHidden() and editor.value_editor.isHidden()
    fields = offered(editor.field_editor.combo)  # type: ignore[attr-defined]
    assert fields == ["id", "target_points", "average_check"]  # numbers, not itself
    pick(editor.field_editor.combo, "target_points")  # type: ignore[attr-defined]
    assert builder.rules()["rules"] == [
        {
            "field": "bonus_points",
            "operator": ">=",
            "value": "target_points",
            "valueSource": "field",
        }
    ]
    assert builder.problems() == []


def test_text_and_date_fields_offer_fields_of_their_kind(qtbot: Any, builder: RuleBuilder) -> None:
    city = switch(new_row(qtbot, builder, "city", "="))
    city.set_value_source("field")
    texts = offered(city.field_editor.combo)  # type: ignore[attr-defined]
    assert {"first_name", "email", "gender", "country"} <= set(texts)
    assert "city" not in texts and "bonus_points" not in texts
    born = switch(new_row(qtbot, builder, "birthday", "before"))
    born.set_value_source("field")
    dates = offered(born.field_editor.combo)  # type: ignore[attr-defined]
    assert dates == ["registered_at", "created_at", "updated_at", "last_interaction_at"]
    vip = switch(new_row(qtbot, builder, "vip", "="))
    vip.set_value_source("field")
    assert vip.problem() == "No other field of a comparable type"
    assert "No other field" in builder.describe(builder.problems()[0])


def test_between_two_fields(qtbot: Any, builder: RuleBuilder) -> None:
    row = new_row(qtbot, builder, "average_check", "between")
    editor = switch(row)
    editor.set_value_source("field")
    pair = editor.field_editor
    assert isinstance(pair, FieldPairEditor)
    pick(pair.low.combo, "bonus_points")  # type: ignore[attr-defined]
    pick(pair.high.combo, "target_points")  # type: ignore[attr-defined]
    assert builder.rules()["rules"][0] == {
        "field": "average_check",
        "operator": "between",
        "value": ["bonus_points", "target_points"],
        "valueSource": "field",
    }
    assert builder.problems() == []


def test_operators_that_cannot_take_a_field_have_no_switch(
    qtbot: Any, builder: RuleBuilder
) -> None:
    row = new_row(qtbot, builder, "bonus_points", "in")
    assert isinstance(row.editor, ListEditor)
    pick(row.field_combo, "tags")
    assert not isinstance(row.editor, FieldSourceEditor)


def test_operator_change_keeps_the_other_field(qtbot: Any, builder: RuleBuilder) -> None:
    row = new_row(qtbot, builder, "bonus_points", "<")
    editor = switch(row)
    editor.set_value_source("field")
    pick(editor.field_editor.combo, "target_points")  # type: ignore[attr-defined]
    pick(row.operator_combo, "!=")
    assert builder.rules()["rules"][0] == {
        "field": "bonus_points",
        "operator": "!=",
        "value": "target_points",
        "valueSource": "field",
    }
    pick(row.operator_combo, "notIn")  # a list of values: the field is not typed in as text
    assert builder.rules()["rules"][0]["value"] == []
    assert "valueSource" not in builder.rules()["rules"][0]


def test_loaded_field_comparisons_show_and_save_as_they_were(builder: RuleBuilder) -> None:
    pasted = {
        "combinator": "and",
        "not": False,
        "rules": [
            {
                "field": "bonusPoints",
                "operator": "<",
                "value": "Target points",
                "valueSource": "field",
            },
            {
                "field": "birthday",
                "operator": "<=",
                "value": "registered_at",
                "valueSource": "field",
            },
            {"field": "first_name", "operator": "=", "value": "Ann"},
        ],
    }
    builder.set_rules(pasted)
    first = builder.root.children_[0]
    assert isinstance(first, ConditionRow)
    assert switch(first).value_source() == "field"
    assert switch(first).field_editor.focus_widgets()[0].currentText() == "Target points"  # type: ignore[attr-defined]
    assert builder.rules()["rules"] == [
        {
            "field": "bonus_points",
            "operator": "<",
            "value": "target_points",
            "valueSource": "field",
        },
        {"field": "birthday", "operator": "<=", "value": "registered_at", "valueSource": "field"},
        {"field": "first_name", "operator": "=", "value": "Ann"},
    ]
    assert builder.problems() == []


def test_a_field_comparison_that_cannot_be_shown_is_not_turned_into_a_value(
    builder: RuleBuilder,
) -> None:
    builder.set_rules(
        {
            "combinator": "and",
            "rules": [
                {"field": "city", "operator": "in", "value": "country", "valueSource": "field"},
                {"field": "town", "operator": "=", "value": "city", "valueSource": "field"},
            ],
        }
    )
    saved = builder.rules()["rules"]
    assert saved[0] == {"field": "city", "operator": "in", "value": []}
    assert saved[1] == {"field": "town", "operator": "=", "value": "city", "valueSource": "field"}
    assert [p.path for p in builder.problems()] == ["rules[0]", "rules[1]"]


def test_the_value_stays_first_in_the_tab_chain(qtbot: Any, builder: RuleBuilder) -> None:
    row = new_row(qtbot, builder, "bonus_points", "=")
    editor = switch(row)
    stops = editor.focus_widgets()
    assert stops[0] is editor.value_editor.focus_widgets()[0] and stops[-1] is editor.source
    QApplication.processEvents()
    stops[0].setFocus()
    qtbot.keyClick(stops[0], Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is editor.source


def test_between_fields_written_as_one_text_load_as_those_two_fields(
    builder: RuleBuilder,
) -> None:
    """react-querybuilder (and the compiler) also write a between's two values as
    ``"from,to"``; the window must show those two fields, never its first two."""
    builder.set_rules(
        {
            "combinator": "and",
            "rules": [
                {
                    "field": "average_check",
                    "operator": "between",
                    "value": "targetPoints, bonus_points",
                    "valueSource": "field",
                },
                {"field": "bonus_points", "operator": "between", "value": "10,20"},
            ],
        }
    )
    saved = builder.rules()["rules"]
    assert saved[0]["value"] == ["target_points", "bonus_points"]
    assert saved[1]["value"] == [10, 20]
    assert builder.problems() == []


def test_a_between_of_fields_it_cannot_read_asks_for_the_fields(builder: RuleBuilder) -> None:
    builder.set_rules(
        {
            "combinator": "and",
            "rules": [
                {
                    "field": "average_check",
                    "operator": "between",
                    "value": "bonus_points",
                    "valueSource": "field",
                }
            ],
        }
    )
    assert builder.rules()["rules"][0]["value"] == [None, None]
    assert [p.path for p in builder.problems()] == ["rules[0]"]


def test_an_ambiguous_field_name_says_which_fields_it_matches(qtbot: Any, tmp_path: Path) -> None:
    """``nickName`` means ``nick_name`` or ``nickname``: the row says so, as the
    core does, instead of "not in this database"."""
    store = open_store(f"sqlite:///{tmp_path / 'twins.sqlite3'}", create=True)
    with store.begin() as conn:
        db = store.create_database(conn, "Twins")
        store.add_custom_field(conn, db, "nick_name", "Nick name", FieldType.STRING)
        store.add_custom_field(conn, db, "nickname", "Nickname", FieldType.STRING)
        catalog = field_catalog(store, conn, db)
    store.close()
    widget = RuleBuilder(catalog, lambda rules: [])
    qtbot.addWidget(widget)
    widget.set_rules(
        {
            "combinator": "and",
            "rules": [
                {"field": "nickName", "operator": "=", "value": "x"},
                {
                    "field": "first_name",
                    "operator": "=",
                    "value": "Nick-Name",
                    "valueSource": "field",
                },
            ],
        }
    )
    row = widget.root.children_[0]
    assert isinstance(row, ConditionRow)
    assert row.field_combo.currentText() == "nickName (two fields)"
    words = [widget.describe(p) for p in widget.problems()]
    assert len(words) == 2, words
    assert "'nickName' matches both 'nick_name' and 'nickname'; use the exact key" in words[0]
    assert "'Nick-Name' matches both 'nick_name' and 'nickname'; use the exact key" in words[1]
