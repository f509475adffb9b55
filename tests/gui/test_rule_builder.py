"""The rule builder, driven by clicks and keys on a real SQLite store's catalog.

The field list, operators and validation come from the core
(``core.selection.field_catalog`` and its rule compiler); the tests build
nested rules the way an operator does and compare ``rules()`` with the exact
react-querybuilder JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import insert

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.fields import FieldType
from bulkprofiles_gui.core.selection import RuleProblem, field_catalog
from bulkprofiles_gui.core.selection.compiler import RuleCompiler
from bulkprofiles_gui.core.selection.context import load_context
from bulkprofiles_gui.core.store import Store, open_store
from bulkprofiles_gui.gui.widgets.rule_builder import (
    ConditionRow,
    EventEditor,
    GroupWidget,
    RuleBuilder,
    SubscriptionEditor,
)
from bulkprofiles_gui.gui.widgets.value_editors import (
    ChoiceEditor,
    DateEditor,
    FieldSourceEditor,
    ListEditor,
    NumberEditor,
    TextEditor,
    editor_for,
)

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[tuple[Store, int]]:
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}", create=True)
    with store.begin() as conn:
        db = store.create_database(conn, "Shop customers")
        store.add_custom_field(conn, db, "bonus_points", "Bonus points", FieldType.INTEGER)
        store.add_custom_field(conn, db, "tags", "Tags", FieldType.TAGS)
        conn.execute(
            insert(m.Resource), [{"id": 1, "name": "Newsletter"}, {"id": 2, "name": "Shop"}]
        )
        conn.execute(
            insert(m.ResourceChannel),
            [
                {"resource_id": 1, "channel": "email"},
                {"resource_id": 2, "channel": "sms"},
                {"resource_id": 2, "channel": "push"},
            ],
        )
        conn.execute(
            insert(m.ResourceDatabase),
            [{"resource_id": 1, "database_id": db}, {"resource_id": 2, "database_id": db}],
        )
        conn.execute(
            insert(m.LoyaltyProgram), [{"id": 1, "name": "Winter sale", "database_id": db}]
        )
    try:
        yield store, db
    finally:
        store.close()


@pytest.fixture
def builder(qtbot: Any, shop: tuple[Store, int]) -> RuleBuilder:
    store, db = shop
    with store.begin() as conn:
        catalog = field_catalog(store, conn, db)
        context = load_context(store, conn, db)

    def validate(rules: dict[str, Any]) -> list[RuleProblem]:
        compiler = RuleCompiler(store, context)
        compiler.compile_root(rules)
        return compiler.problems

    widget = RuleBuilder(catalog, validate)
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    return widget


# --- helpers: what an operator does ---------------------------------------------------------


def pick(combo: Any, data: Any) -> None:
    """Choose the entry whose data is ``data`` with the keyboard's help: like a user would."""
    index = combo.findData(data)
    assert index >= 0, f"{data!r} is not offered"
    combo.setCurrentIndex(index)


def set_condition(qtbot: Any, row: ConditionRow, field: str, operator: str, text: str = "") -> None:
    pick(row.field_combo, field)
    pick(row.operator_combo, operator)
    if text:
        line = row.editor.focus_widgets()[0]
        line.clear()
        qtbot.keyClicks(line, text)


def value_editor(row: ConditionRow) -> Any:
    """The condition's value editor, behind the "a value / another field" switch if any."""
    editor = row.editor
    return editor.value_editor if isinstance(editor, FieldSourceEditor) else editor


def click(qtbot: Any, button: QWidget) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def toggle(qtbot: Any, check: QWidget) -> None:
    """Toggle a check box from the keyboard (Space), as a keyboard-only operator does."""
    check.setFocus()
    qtbot.keyClick(check, Qt.Key.Key_Space)


def last_row(group: GroupWidget) -> ConditionRow:
    node = group.children_[-1]
    assert isinstance(node, ConditionRow)
    return node


def last_group(group: GroupWidget) -> GroupWidget:
    node = group.children_[-1]
    assert isinstance(node, GroupWidget)
    return node


# --- tests -------------------------------------------------------------------------------------


def test_starts_as_an_empty_and_group(builder: RuleBuilder) -> None:
    assert builder.rules() == {"combinator": "and", "not": False, "rules": []}
    assert builder.problems() == []
    assert builder.root.empty_label.isVisible()


def test_fields_are_grouped_by_kind_with_headings(builder: RuleBuilder, qtbot: Any) -> None:
    click(qtbot, builder.root.add_condition_button)
    combo = last_row(builder.root).field_combo
    model = combo.model()
    headings = [
        model.item(i).text() for i in range(model.rowCount()) if not model.item(i).isEnabled()
    ]
    assert headings == [
        "Profile fields",
        "Global status",
        "Subscriptions",
        "Action history",
        "Promo codes",
    ]
    assert combo.findData("$subscription") > combo.findData("city")


def test_build_nested_rules_by_clicking(builder: RuleBuilder, qtbot: Any) -> None:
    root = builder.root
    click(qtbot, root.add_condition_button)
    set_condition(qtbot, last_row(root), "city", "in", "Berlin, Paris")

    click(qtbot, root.add_group_button)  # a group comes with one condition
    inner = last_group(root)
    click(qtbot, inner.or_button)
    set_condition(qtbot, last_row(inner), "bonus_points", ">=", "30")
    click(qtbot, inner.add_condition_button)
    set_condition(qtbot, last_row(inner), "registered_at", "inLastDays")
    last_row(inner).editor.set_value(90)

    click(qtbot, inner.add_group_button)
    deepest = last_group(inner)
    toggle(qtbot, deepest.not_check)
    set_condition(qtbot, last_row(deepest), "$subscription", "hasNo")
    sub = last_row(deepest).editor
    assert isinstance(sub, SubscriptionEditor)
    pick(sub.resource.combo, "Newsletter")
    pick(sub.channel.combo, "email")

    assert builder.rules() == {
        "combinator": "and",
        "not": False,
        "rules": [
            {"field": "city", "operator": "in", "value": ["Berlin", "Paris"]},
            {
                "combinator": "or",
                "not": False,
                "rules": [
                    {"field": "bonus_points", "operator": ">=", "value": 30},
                    {"field": "registered_at", "operator": "inLastDays", "value": 90},
                    {
                        "combinator": "and",
                        "not": True,
                        "rules": [
                            {
                                "field": "$subscription",
                                "operator": "hasNo",
                                "value": {"resource": "Newsletter", "channel": "email"},
                            }
                        ],
                    },
                ],
            },
        ],
    }
    assert builder.problems() == []


SAMPLE_RULES: dict[str, Any] = {
    "combinator": "or",
    "not": True,
    "rules": [
        {"field": "gender", "operator": "=", "value": "female"},
        {"field": "birthday", "operator": "between", "value": ["1980-01-01", "1990-12-31"]},
        {
            "combinator": "and",
            "not": False,
            "rules": [
                {"field": "tags", "operator": "hasTag", "value": "vip"},
                {"field": "email", "operator": "null", "value": None},
                {"field": "$status", "operator": "in", "value": ["subscribed", "unconfirmed"]},
                {
                    "field": "$event",
                    "operator": "had",
                    "value": {"type": "opened", "channel": "email", "lastDays": 30, "atLeast": 2},
                },
                {
                    "field": "$event",
                    "operator": "neverHad",
                    "value": {
                        "type": "purchase",
                        "resource": "Shop",
                        "from": "2026-01-01",
                        "to": "2026-03-31",
                        "atLeast": 1,
                    },
                },
                {"field": "$promo", "operator": "holdsNo", "value": {"program": "Winter sale"}},
                {
                    "field": "$subscription",
                    "operator": "has",
                    "value": {"resource": "Shop", "channel": "sms", "status": "subscribed"},
                },
                {"field": "registered_at", "operator": "after", "value": "2026-05-01T10:30:00"},
            ],
        },
    ],
}


def test_set_rules_round_trips(builder: RuleBuilder) -> None:
    builder.set_rules(SAMPLE_RULES)
    assert builder.rules() == SAMPLE_RULES
    assert builder.problems() == []
    builder.set_rules({"combinator": "and", "not": False, "rules": []})
    assert builder.rules()["rules"] == []


def test_subscription_channels_follow_the_resource(builder: RuleBuilder, qtbot: Any) -> None:
    click(qtbot, builder.root.add_condition_button)
    row = last_row(builder.root)
    set_condition(qtbot, row, "$subscription", "has")
    editor = row.editor
    assert isinstance(editor, SubscriptionEditor)
    pick(editor.resource.combo, "Shop")
    offered = [editor.channel.combo.itemData(i) for i in range(editor.channel.combo.count())]
    assert offered == [None, "push", "sms"]
    pick(editor.resource.combo, "Newsletter")
    offered = [editor.channel.combo.itemData(i) for i in range(editor.channel.combo.count())]
    assert offered == [None, "email"]


def test_operators_fit_the_field_type(builder: RuleBuilder, qtbot: Any) -> None:
    click(qtbot, builder.root.add_condition_button)
    row = last_row(builder.root)
    pick(row.field_combo, "bonus_points")
    ops = [row.operator_combo.itemData(i) for i in range(row.operator_combo.count())]
    assert "between" in ops and "contains" not in ops
    assert isinstance(value_editor(row), NumberEditor)
    pick(row.operator_combo, "between")
    assert row.editor.focus_widgets()[0] is not row.editor.focus_widgets()[1]
    pick(row.field_combo, "email")
    ops = [row.operator_combo.itemData(i) for i in range(row.operator_combo.count())]
    assert "contains" in ops and "between" not in ops
    assert isinstance(value_editor(row), TextEditor)
    pick(row.operator_combo, "notIn")
    assert isinstance(row.editor, ListEditor)
    pick(row.operator_combo, "null")
    assert row.editor is None


def test_operator_change_keeps_a_value_of_the_same_kind(builder: RuleBuilder, qtbot: Any) -> None:
    click(qtbot, builder.root.add_condition_button)
    row = last_row(builder.root)
    set_condition(qtbot, row, "city", "=", "Berlin")
    pick(row.operator_combo, "!=")
    assert builder.rules()["rules"][0] == {"field": "city", "operator": "!=", "value": "Berlin"}


def test_move_up_down_and_remove(builder: RuleBuilder, qtbot: Any) -> None:
    root = builder.root
    for city in ("A", "B", "C"):
        click(qtbot, root.add_condition_button)
        set_condition(qtbot, last_row(root), "city", "=", city)

    def cities() -> list[str]:
        return [r["value"] for r in builder.rules()["rules"]]

    first, _, third = root.children_
    assert first.move_up is not None and not first.move_up.isEnabled()
    click(qtbot, third.move_up)
    assert cities() == ["A", "C", "B"]
    click(qtbot, first.move_down)
    assert cities() == ["C", "A", "B"]
    assert third.move_up is not None and not third.move_up.isEnabled()
    click(qtbot, root.children_[1].remove)
    assert cities() == ["C", "B"]


def test_moving_a_group_keeps_its_rules(builder: RuleBuilder, qtbot: Any) -> None:
    builder.set_rules(
        {
            "combinator": "and",
            "not": False,
            "rules": [
                {"field": "city", "operator": "=", "value": "Berlin"},
                {
                    "combinator": "or",
                    "not": False,
                    "rules": [{"field": "country", "operator": "=", "value": "DE"}],
                },
            ],
        }
    )
    group = builder.root.children_[1]
    click(qtbot, group.move_up)
    assert builder.rules()["rules"][0] == {
        "combinator": "or",
        "not": False,
        "rules": [{"field": "country", "operator": "=", "value": "DE"}],
    }


def test_changed_fires_on_every_edit(builder: RuleBuilder, qtbot: Any) -> None:
    with qtbot.waitSignal(builder.changed, timeout=1000):
        click(qtbot, builder.root.add_condition_button)
    row = last_row(builder.root)
    with qtbot.waitSignal(builder.changed, timeout=1000):
        qtbot.keyClicks(row.editor.focus_widgets()[0], "x")
    with qtbot.waitSignal(builder.changed, timeout=1000):
        click(qtbot, builder.root.or_button)


def test_adding_a_condition_signals_once_with_the_new_row_in_the_rules(
    builder: RuleBuilder,
) -> None:
    """The row builds its editor and loads its value quietly: each step used to
    revalidate and signal a tree it was not part of yet (a recount each)."""
    seen: list[list[dict[str, Any]]] = []
    builder.changed.connect(lambda: seen.append(builder.rules()["rules"]))
    builder.root.add_condition({"field": "bonus_points", "operator": ">=", "value": 5})
    assert seen == [[{"field": "bonus_points", "operator": ">=", "value": 5}]]
    builder.root.add_condition({"field": "bonus_points", "operator": ">=", "value": "lots"})
    assert len(seen) == 2
    assert [p.path for p in builder.problems()] == ["rules[1]"]  # checked once it is in


def test_invalid_condition_is_marked_in_place_with_the_reason(
    builder: RuleBuilder, qtbot: Any
) -> None:
    click(qtbot, builder.root.add_condition_button)
    row = last_row(builder.root)
    set_condition(qtbot, row, "bonus_points", ">=", "lots")
    assert builder.problems() == [RuleProblem("rules[0]", "“lots” is not a whole number")]
    qtbot.waitUntil(row.problem_label.isVisible, timeout=1000)
    assert "“lots” is not a whole number" in row.problem_label.text()
    assert row.property("invalid") == "true"
    row.editor.focus_widgets()[0].clear()
    qtbot.keyClicks(row.editor.focus_widgets()[0], "12")
    assert builder.problems() == []
    assert row.problem_label.isHidden()


def test_problems_found_by_the_core_are_shown_too(builder: RuleBuilder, qtbot: Any) -> None:
    """An empty nested group passes every editor; the core's compiler refuses it."""
    click(qtbot, builder.root.add_group_button)
    group = last_group(builder.root)
    click(qtbot, group.children_[0].remove)
    problems = builder.problems()
    assert [p.path for p in problems] == ["rules[0]"]
    assert "empty group" in problems[0].message
    qtbot.waitUntil(group.problem_label.isVisible, timeout=1000)


def test_unknown_field_from_a_job_is_kept_and_reported(builder: RuleBuilder) -> None:
    rules = {
        "combinator": "and",
        "not": False,
        "rules": [{"field": "shoe_size", "operator": "=", "value": 42}],
    }
    builder.set_rules(rules)
    assert builder.rules() == rules
    assert builder.problems() == [
        RuleProblem("rules[0]", "Field “shoe_size” is not in this database")
    ]


def test_event_editor_periods(builder: RuleBuilder, qtbot: Any) -> None:
    click(qtbot, builder.root.add_condition_button)
    row = last_row(builder.root)
    set_condition(qtbot, row, "$event", "had")
    editor = row.editor
    assert isinstance(editor, EventEditor)
    pick(editor.type.combo, "clicked")
    pick(editor.period.combo, "any")
    assert builder.rules()["rules"][0]["value"] == {"type": "clicked", "atLeast": 1}
    pick(editor.period.combo, "dates")
    editor.dates.set_value(["2026-02-01", "2026-01-01"])
    assert builder.problems()[0].message == "The first date must not be after the second"


def test_tab_order_follows_the_tree(builder: RuleBuilder, qtbot: Any) -> None:
    """A condition added to an earlier group sits in the tab chain where it is shown."""
    root = builder.root
    click(qtbot, root.add_group_button)
    group = last_group(root)
    click(qtbot, root.add_condition_button)  # after the group
    later = last_row(root)
    click(qtbot, group.add_condition_button)  # added last, shown before `later`
    added = last_row(group)
    qtbot.waitUntil(later.field_combo.isVisible, timeout=1000)
    qtbot.waitUntil(added.field_combo.isVisible, timeout=1000)
    chain = builder.root.focus_widgets()
    assert chain.index(added.field_combo) < chain.index(later.field_combo)
    widget: QWidget = added.remove
    widget = widget.nextInFocusChain()
    while not (widget.focusPolicy() & Qt.FocusPolicy.TabFocus) or not widget.isVisible():
        widget = widget.nextInFocusChain()
    assert widget is later.field_combo


def test_buttons_have_mnemonics(builder: RuleBuilder) -> None:
    root = builder.root
    assert "&" in root.add_condition_button.text()
    assert "&" in root.add_group_button.text()
    assert "&" in root.not_check.text()


def test_value_editors_report_problems_in_plain_words() -> None:
    number = editor_for("integer")
    number.set_value("abc")
    assert number.problem() == "“abc” is not a whole number"
    email = editor_for(FieldType.EMAIL)
    email.set_value("nobody@")
    assert email.problem() == "“nobody@” is not an email address"
    phones = editor_for(FieldType.PHONES)
    phones.set_value(["+491701234567", "12"])
    assert phones.problem() == "“12” is not a phone number (+ and digits)"
    pair = editor_for("pair", item="float")
    pair.set_value([5, 1])
    assert pair.problem() == "The first value must not be greater than the second"
    days = editor_for("days")
    days.set_value(7)
    assert days.value() == 7 and days.problem() is None
    assert QApplication.instance() is not None


def test_jquery_querybuilder_rules_are_imported(builder: RuleBuilder) -> None:
    builder.set_rules(
        {
            "condition": "OR",
            "not": False,
            "rules": [
                {"id": "city", "field": "city", "operator": "equal", "value": "Berlin"},
                {"id": "bonus_points", "field": "bonus_points", "operator": "less", "value": 5},
            ],
        }
    )
    assert builder.rules() == {
        "combinator": "or",
        "not": False,
        "rules": [
            {"field": "city", "operator": "=", "value": "Berlin"},
            {"field": "bonus_points", "operator": "<", "value": 5},
        ],
    }


def test_disabled_rules_are_left_out(builder: RuleBuilder) -> None:
    builder.set_rules(
        {
            "combinator": "and",
            "rules": [
                {"field": "city", "operator": "=", "value": "Berlin", "disabled": True},
                {"field": "city", "operator": "=", "value": "Rome"},
            ],
        }
    )
    assert builder.rules()["rules"] == [{"field": "city", "operator": "=", "value": "Rome"}]


# --- issue 11: keyboard, words, narrow rows ------------------------------------------------


def mnemonics(widget: QWidget) -> list[str]:
    """The Alt+letter of every visible button and check box under ``widget``."""
    from PySide6.QtWidgets import QAbstractButton

    found = []
    for button in widget.findChildren(QAbstractButton):
        text = button.text().replace("&&", "")
        if button.isVisible() and "&" in text:
            found.append(text[text.index("&") + 1].lower())
    return found


def test_nested_groups_do_not_repeat_the_mnemonics(builder: RuleBuilder, qtbot: Any) -> None:
    click(qtbot, builder.root.add_group_button)
    click(qtbot, last_group(builder.root).add_group_button)
    found = mnemonics(builder)
    assert sorted(found) == ["c", "g", "o"]
    assert len(found) == len(set(found))


def test_tab_goes_from_and_to_or_in_every_group(builder: RuleBuilder, qtbot: Any) -> None:
    click(qtbot, builder.root.add_group_button)
    inner = last_group(builder.root)
    builder.activateWindow()
    qtbot.waitUntil(builder.isActiveWindow, timeout=2000)
    qtbot.waitUntil(inner.or_button.isVisible, timeout=2000)  # a new group shows on the next turn
    for group in (builder.root, inner):
        group.and_button.setFocus()
        qtbot.waitUntil(group.and_button.hasFocus, timeout=2000)
        qtbot.keyClick(group.and_button, Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is group.or_button
        qtbot.keyClick(group.or_button, Qt.Key.Key_Space)
        assert group.or_button.isChecked() and not group.and_button.isChecked()
    assert builder.rules()["combinator"] == "or"
    assert builder.rules()["rules"][0]["combinator"] == "or"
    builder.root.or_button.setFocus()
    qtbot.keyClick(builder.root.or_button, Qt.Key.Key_Backtab)
    assert QApplication.focusWidget() is builder.root.and_button
    qtbot.keyClick(builder.root.and_button, Qt.Key.Key_Space)
    assert builder.rules()["combinator"] == "and"


def test_statuses_and_event_types_read_as_words(builder: RuleBuilder, qtbot: Any) -> None:
    click(qtbot, builder.root.add_condition_button)
    row = last_row(builder.root)
    pick(row.field_combo, "$status")
    pick(row.operator_combo, "=")
    combo = row.editor.focus_widgets()[0]
    texts = [combo.itemText(i) for i in range(combo.count())]
    assert "Hard bounced" in texts and "Subscribed" in texts and "hardbounced" not in texts
    combo.setCurrentIndex(texts.index("Hard bounced"))
    assert builder.rules()["rules"][0]["value"] == "hardbounced"
    pick(row.field_combo, "$event")
    assert isinstance(row.editor, EventEditor)
    types = [row.editor.type.combo.itemText(i) for i in range(row.editor.type.combo.count())]
    assert "Form submitted" in types and "form_submitted" not in types
    assert "Message bounced" in types
    assert row.editor.period.value() == "any"  # "at any time" first
    pick(row.field_combo, "$subscription")
    assert isinstance(row.editor, SubscriptionEditor)
    statuses = [row.editor.status.combo.itemText(i) for i in range(row.editor.status.combo.count())]
    assert "Hard bounced" in statuses and "Unconfirmed" in statuses


def test_narrow_rows_wrap_their_editor_and_keep_the_buttons(
    builder: RuleBuilder, qtbot: Any
) -> None:
    click(qtbot, builder.root.add_group_button)
    inner = last_group(builder.root)
    row = last_row(inner)
    pick(row.field_combo, "$event")
    builder.resize(1200, 700)
    qtbot.waitUntil(lambda: not row.wrapped, timeout=2000)
    builder.resize(620, 700)
    qtbot.waitUntil(lambda: row.wrapped, timeout=2000)
    right = builder.mapFromGlobal(row.remove.mapToGlobal(row.remove.rect().bottomRight()))
    assert right.x() <= builder.width()
    group_right = inner.add_group_button.mapTo(builder, inner.add_group_button.rect().topRight())
    assert group_right.x() <= builder.width()
    assert builder.minimumSizeHint().width() <= 620


@pytest.mark.parametrize(
    ("condition", "reason"),
    [
        (
            {"field": "birthday", "operator": "=", "value": "2026-02-30"},
            "“2026-02-30” is not a date",
        ),
        (
            {"field": "birthday", "operator": "between", "value": ["1990-01-01", "1990-02-31"]},
            "To: “1990-02-31” is not a date",
        ),
        ({"field": "birthday", "operator": "between", "value": "1990-01-01"}, "is not two values"),
        (
            {"field": "registered_at", "operator": ">=", "value": "2026-13-01T10:00:00"},
            "“2026-13-01T10:00:00” is not a date-time",
        ),
        (
            {
                "field": "$event",
                "operator": "had",
                "value": {"type": "opened", "lastDays": 0, "atLeast": 1},
            },
            "“0” is not a number of days from 1 to 36,500",
        ),
        (
            {"field": "$event", "operator": "had", "value": {"type": "opened", "atLeast": 0}},
            "“at least 0” is not a count",
        ),
        (
            {"field": "$subscription", "operator": "has", "value": "Newsletter"},
            "is not a condition",
        ),
        ({"field": "$promo", "operator": "holds", "value": ["Winter sale"]}, "is not a condition"),
    ],
)
def test_a_value_from_a_job_no_editor_can_show_is_kept_and_reported(
    builder: RuleBuilder, condition: dict[str, Any], reason: str
) -> None:
    """Never the widget's default in its place (today's date for a 30 February):
    the window would otherwise run a job the command line refuses."""
    rules = {"combinator": "and", "not": False, "rules": [condition]}
    builder.set_rules(rules)
    assert builder.rules() == rules
    problems = builder.problems()
    assert len(problems) == 1 and reason in problems[0].message, problems


def test_a_refused_value_goes_once_the_operator_edits_the_editor(builder: RuleBuilder) -> None:
    rules = {
        "combinator": "and",
        "not": False,
        "rules": [{"field": "birthday", "operator": "=", "value": "2026-02-30"}],
    }
    builder.set_rules(rules)
    editor = value_editor(last_row(builder.root))
    assert isinstance(editor, DateEditor)
    editor.edit.setDate(QDate(2026, 2, 28))
    assert builder.rules()["rules"][0]["value"] == "2026-02-28"
    assert builder.problems() == []


def test_a_date_time_keeps_its_seconds(builder: RuleBuilder) -> None:
    rules = {
        "combinator": "and",
        "not": False,
        "rules": [{"field": "registered_at", "operator": ">=", "value": "2026-03-01T10:30:45"}],
    }
    builder.set_rules(rules)
    assert builder.rules() == rules


def test_yes_or_no_keeps_a_value_that_is_neither() -> None:
    boolean = editor_for("boolean")
    boolean.set_value("maybe")
    assert boolean.value() == "maybe"
    assert boolean.problem() == "“maybe” is not yes or no"
    boolean.set_value("true")
    assert boolean.value() is True and boolean.problem() is None
    boolean.set_value("maybe")
    assert isinstance(boolean, ChoiceEditor)
    boolean.combo.setCurrentIndex(1)  # the operator picks No
    assert boolean.value() is False and boolean.problem() is None
