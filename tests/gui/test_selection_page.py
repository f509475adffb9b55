"""The selection page on a real SQLite store: database/segment, rules, range,
limit, the live count (computed in the background) and "Save as segment...".

Counts shown by the page are compared with ``core.selection.count`` of the
same selection.  Every test waits for the page's background calls and checks
that no QThread of the page is still running when it ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard, QWizardPage
from sqlalchemy import insert

from bulkprofiles_gui.core import segments
from bulkprofiles_gui.core.config import Settings
from bulkprofiles_gui.core.fields import FieldType
from bulkprofiles_gui.core.jobfile import Job, empty_rules
from bulkprofiles_gui.core.selection import SelectionSpec, count
from bulkprofiles_gui.core.store import Store, open_store
from bulkprofiles_gui.gui.widgets.rule_builder import ConditionRow, RuleBuilder
from bulkprofiles_gui.gui.wizard import selection_page as sp
from bulkprofiles_gui.gui.wizard.context import WizardContext
from bulkprofiles_gui.gui.wizard.selection_page import SelectionPage, SourceEntry

pytestmark = pytest.mark.usefixtures("qapp")

CITIES = ("Berlin", "Paris", "Rome", "Madrid")
SHOP_PROFILES = 200


@pytest.fixture
def shop_store(tmp_path: Path) -> Iterator[Store]:
    """ "Shop customers" (200 profiles, cities in turn, bonus points 0..199) with a
    saved segment "Parisians" (30-80 %, limit 25); "Other" with 5 profiles."""
    opened = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}", create=True)
    with opened.begin() as conn:
        shop = opened.create_database(conn, "Shop customers")
        opened.add_custom_field(conn, shop, "bonus_points", "Bonus points", FieldType.INTEGER)
        column = next(f for f in opened.fields(conn, shop) if f.key == "bonus_points")
        bonus = opened.field_column(column).name
        conn.execute(
            insert(opened.profiles),
            [
                {"database_id": shop, "city": CITIES[i % 4], "first_name": f"P{i}", bonus: i}
                for i in range(SHOP_PROFILES)
            ],
        )
        other = opened.create_database(conn, "Other")
        conn.execute(insert(opened.profiles), [{"database_id": other, "city": "Oslo"}] * 5)
        segments.create_segment(
            opened,
            conn,
            shop,
            "Parisians",
            rules={
                "combinator": "and",
                "not": False,
                "rules": [{"field": "city", "operator": "=", "value": "Paris"}],
            },
            range_from=30,
            range_to=80,
            limit=25,
        )
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def ctx(shop_store: Store) -> WizardContext:
    return WizardContext(shop_store, Settings())


@pytest.fixture
def wizard(qtbot: Any, ctx: WizardContext) -> Iterator[QWizard]:
    """The page in a real QWizard (with a next page, so Next can be checked)."""
    wiz = QWizard()
    wiz.addPage(SelectionPage(ctx))
    wiz.addPage(QWizardPage())
    wiz.resize(1280, 800)
    qtbot.addWidget(wiz)
    try:
        yield wiz
    finally:
        page = wiz.page(wiz.pageIds()[0])
        assert isinstance(page, SelectionPage)
        assert page.shutdown(30_000)  # also stops a debounced count that has not started
        assert sp.background_calls_running() == 0


@pytest.fixture
def page(wizard: QWizard) -> SelectionPage:
    found = wizard.page(wizard.pageIds()[0])
    assert isinstance(found, SelectionPage)
    return found


def shown(qtbot: Any, wizard: QWizard, page: SelectionPage) -> SelectionPage:
    """Open the wizard on the page and wait for the first count."""
    wizard.show()
    wait_counted(qtbot, page)
    return page


def wait_counted(qtbot: Any, page: SelectionPage) -> None:
    qtbot.waitUntil(page.counted, timeout=15_000)


def core_count(
    store: Store, database: str, rules: dict[str, Any], low: float, high: float, limit: int
) -> int:
    with store.begin() as conn:
        spec = SelectionSpec(store.database_id(conn, database), rules, low, high, limit)
        return count(store, conn, spec)


def choose_source(page: SelectionPage, database: str, segment: str | None = None) -> None:
    for index in range(page.source_combo.count()):
        entry = page.source_combo.itemData(index)
        if entry.database_name == database and entry.segment == segment:
            page.source_combo.setCurrentIndex(index)
            return
    raise AssertionError(f"{database}/{segment} not offered")


def add_condition(
    qtbot: Any, page: SelectionPage, field: str, operator: str, text: str
) -> ConditionRow:
    root = page.rule_builder.root
    qtbot.mouseClick(root.add_condition_button, Qt.MouseButton.LeftButton)
    row = root.children_[-1]
    assert isinstance(row, ConditionRow)
    row.field_combo.setCurrentIndex(row.field_combo.findData(field))
    row.operator_combo.setCurrentIndex(row.operator_combo.findData(operator))
    qtbot.keyClicks(row.editor.focus_widgets()[0], text)
    return row


# --- tests -------------------------------------------------------------------------------------


def test_lists_databases_each_followed_by_its_segments(
    qtbot: Any, wizard: QWizard, page: SelectionPage
) -> None:
    shown(qtbot, wizard, page)
    entries = [page.source_combo.itemData(i) for i in range(page.source_combo.count())]
    assert [(e.database_name, e.segment) for e in entries] == [
        ("Other", None),
        ("Shop customers", None),
        ("Shop customers", "Parisians"),
    ]
    assert "200 profiles" in page.source_combo.itemText(1)


def test_whole_database_count_preview_and_context(
    qtbot: Any, wizard: QWizard, page: SelectionPage, ctx: WizardContext
) -> None:
    shown(qtbot, wizard, page)
    choose_source(page, "Shop customers")
    wait_counted(qtbot, page)
    assert page.count_label.text() == f"{SHOP_PROFILES} of {SHOP_PROFILES} profiles"
    assert page.preview_box.row_count() == 50
    headers = page.preview_box.header_labels()
    assert "City" in headers and "Bonus points" in headers
    assert ctx.database_name == "Shop customers" and ctx.segment_name is None
    assert ctx.database_id is not None
    assert page.isComplete()
    assert page.limit_slider.maximum() == SHOP_PROFILES  # the spin box takes more: "all"


def test_rules_range_and_limit_give_the_core_count(
    qtbot: Any, wizard: QWizard, page: SelectionPage, shop_store: Store
) -> None:
    shown(qtbot, wizard, page)
    choose_source(page, "Shop customers")
    wait_counted(qtbot, page)
    add_condition(qtbot, page, "city", "in", "Berlin, Rome")
    add_condition(qtbot, page, "bonus_points", ">=", "20")
    rules = page.rule_builder.rules()
    assert rules["rules"] == [
        {"field": "city", "operator": "in", "value": ["Berlin", "Rome"]},
        {"field": "bonus_points", "operator": ">=", "value": 20},
    ]

    page.range_slider.setValue((10, 60))
    wait_counted(qtbot, page)
    expected = core_count(shop_store, "Shop customers", rules, 10, 60, 0)
    assert 0 < expected < SHOP_PROFILES
    assert page.count_label.text() == f"{expected} of {SHOP_PROFILES} profiles"

    page.limit_spin.setValue(7)
    assert page.limit_slider.value() == 7
    wait_counted(qtbot, page)
    assert core_count(shop_store, "Shop customers", rules, 10, 60, 7) == 7
    assert page.count_label.text() == f"7 of {SHOP_PROFILES} profiles"
    assert page.selected_count == 7
    page.limit_spin.setValue(8)
    assert page.selected_count is None  # until the new count arrives
    wait_counted(qtbot, page)
    assert page.selected_count == 8
    page.limit_spin.setValue(7)
    wait_counted(qtbot, page)
    assert page.preview_box.row_count() == 7

    page.limit_slider.setValue(0)
    assert page.limit_spin.value() == 0 and page.limit_spin.text() == "no limit"
    wait_counted(qtbot, page)
    assert page.count_label.text() == f"{expected} of {SHOP_PROFILES} profiles"
    assert page.selection() == {
        "database": "Shop customers",
        "segment": None,
        "rules": rules,
        "range": {"from": 10.0, "to": 60.0},
        "limit": 0,
    }


def test_invalid_condition_blocks_next_and_shows_the_reason(
    qtbot: Any, wizard: QWizard, page: SelectionPage
) -> None:
    shown(qtbot, wizard, page)
    choose_source(page, "Shop customers")
    wait_counted(qtbot, page)
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    assert next_button.isEnabled()
    row = add_condition(qtbot, page, "bonus_points", ">=", "many")
    assert not page.isComplete()
    assert not next_button.isEnabled()
    qtbot.waitUntil(row.problem_label.isVisible, timeout=1000)
    assert "“many” is not a whole number" in row.problem_label.text()
    assert "Fix the marked condition" in page.count_status.text()
    row.editor.focus_widgets()[0].clear()
    qtbot.keyClicks(row.editor.focus_widgets()[0], "150")
    assert page.isComplete() and next_button.isEnabled()
    wait_counted(qtbot, page)
    assert page.count_label.text() == f"50 of {SHOP_PROFILES} profiles"


def test_edits_are_debounced_into_one_count(
    qtbot: Any, wizard: QWizard, page: SelectionPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown(qtbot, wizard, page)
    choose_source(page, "Shop customers")
    wait_counted(qtbot, page)
    calls: list[int] = []
    real = sp.count_selection

    def counting(store: Store, job: Job, generation: int) -> sp.CountResult:
        calls.append(generation)
        return real(store, job, generation)

    monkeypatch.setattr(sp, "count_selection", counting)
    for low in (5, 10, 15, 20, 25):
        page.range_slider.setValue((low, 100))
    wait_counted(qtbot, page)
    assert len(calls) == 1
    assert page.selection()["range"] == {"from": 25.0, "to": 100.0}


def test_edits_count_the_selection_not_the_whole_database_again(
    qtbot: Any, wizard: QWizard, page: SelectionPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The "of M" comes with the database's schema: an edit counts only the
    selection (a second count of every profile cost up to 1.2 s per edit at
    10,000,000 profiles)."""
    totals: list[int] = []
    real = sp.total

    def counting_total(store: Store, conn: Any, database_id: int) -> int:
        totals.append(database_id)
        return real(store, conn, database_id)

    monkeypatch.setattr(sp, "total", counting_total)
    shown(qtbot, wizard, page)
    choose_source(page, "Shop customers")
    wait_counted(qtbot, page)
    assert totals and totals[-1] == page.current_source().database_id  # with its schema
    counted = len(totals)
    for low in (10, 40):
        page.range_slider.setValue((low, 100))
        wait_counted(qtbot, page)
    assert len(totals) == counted
    assert page.count_label.text().endswith(f" of {SHOP_PROFILES} profiles")


def test_a_stale_count_is_discarded(
    qtbot: Any, wizard: QWizard, page: SelectionPage, shop_store: Store
) -> None:
    """Two counts in flight: only the newer one's result is shown."""
    shown(qtbot, wizard, page)
    choose_source(page, "Shop customers")
    wait_counted(qtbot, page)
    page.range_slider.setValue((0, 50))
    page.count_timer.stop()
    page._start_count()  # the older count starts now ...
    add_condition(qtbot, page, "city", "=", "Madrid")  # ... and is overtaken by an edit
    wait_counted(qtbot, page)
    rules = page.rule_builder.rules()
    expected = core_count(shop_store, "Shop customers", rules, 0, 50, 0)
    assert page.count_label.text() == f"{expected} of {SHOP_PROFILES} profiles"
    assert expected != core_count(shop_store, "Shop customers", {"rules": []}, 0, 50, 0)


def test_choosing_a_segment_applies_its_conditions_range_and_limit(
    qtbot: Any, wizard: QWizard, page: SelectionPage, ctx: WizardContext, shop_store: Store
) -> None:
    shown(qtbot, wizard, page)
    choose_source(page, "Shop customers", "Parisians")
    wait_counted(qtbot, page)
    assert ctx.segment_name == "Parisians"
    assert page.range_slider.value() == (30, 80)
    assert page.limit_spin.value() == 25
    assert "Parisians" in page.source_hint.text()
    paris = {
        "combinator": "and",
        "not": False,
        "rules": [{"field": "city", "operator": "=", "value": "Paris"}],
    }
    expected = core_count(shop_store, "Shop customers", paris, 30, 80, 25)
    assert page.count_label.text() == f"{expected} of {SHOP_PROFILES} profiles"
    selection = page.selection()
    assert selection["segment"] == "Parisians" and selection["database"] == "Shop customers"


def test_save_as_segment(
    qtbot: Any, wizard: QWizard, page: SelectionPage, shop_store: Store
) -> None:
    shown(qtbot, wizard, page)
    choose_source(page, "Shop customers")
    wait_counted(qtbot, page)
    add_condition(qtbot, page, "city", "=", "Rome")
    page.range_slider.setValue((0, 90))
    page.limit_spin.setValue(12)
    page.ask_segment_name = lambda: "Romans"  # type: ignore[method-assign]
    qtbot.mouseClick(page.save_segment_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.save_message.text() != "", timeout=10_000)
    assert page.save_message.text() == "Saved segment “Romans”."
    with shop_store.begin() as conn:
        saved = {s.name: s for s in segments.list_segments(shop_store, conn)}
    assert saved["Romans"].rules == page.rule_builder.rules()
    assert (saved["Romans"].range_from, saved["Romans"].range_to, saved["Romans"].limit) == (
        0.0,
        90.0,
        12,
    )

    def offered() -> list[SourceEntry]:
        return [page.source_combo.itemData(i) for i in range(page.source_combo.count())]

    qtbot.waitUntil(lambda: any(e.segment == "Romans" for e in offered()), timeout=10_000)
    assert page.current_source() == offered()[1]  # still the database

    qtbot.mouseClick(page.save_segment_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.save_message.text().startswith("Not"), timeout=10_000)
    assert page.save_message.text() == (
        "Not saved: this database already has a segment named 'Romans'"
    )


def test_load_job_prefills_the_page(
    qtbot: Any, wizard: QWizard, page: SelectionPage, shop_store: Store
) -> None:
    rules = {
        "combinator": "or",
        "not": False,
        "rules": [
            {"field": "city", "operator": "=", "value": "Berlin"},
            {
                "combinator": "and",
                "not": True,
                "rules": [{"field": "bonus_points", "operator": "between", "value": [10, 90]}],
            },
        ],
    }
    page.load_job(Job(database="Shop customers", rules=rules, range_from=20, range_to=70, limit=9))
    assert not page.isComplete()  # until the database's fields are loaded
    shown(qtbot, wizard, page)
    assert page.selection() == {
        "database": "Shop customers",
        "segment": None,
        "rules": rules,
        "range": {"from": 20.0, "to": 70.0},
        "limit": 9,
    }
    assert page.isComplete()
    expected = core_count(shop_store, "Shop customers", rules, 20, 70, 9)
    assert page.count_label.text() == f"{expected} of {SHOP_PROFILES} profiles"


def test_a_job_naming_an_unknown_database_says_so(
    qtbot: Any, wizard: QWizard, page: SelectionPage
) -> None:
    page.load_job(Job(database="Gone"))
    wizard.show()
    qtbot.waitUntil(lambda: "not in this store" in page.count_status.text(), timeout=10_000)
    assert "“Gone”" in page.count_status.text()


def test_switching_database_reloads_fields_and_limit(
    qtbot: Any, wizard: QWizard, page: SelectionPage, ctx: WizardContext
) -> None:
    shown(qtbot, wizard, page)
    choose_source(page, "Shop customers")
    wait_counted(qtbot, page)
    choose_source(page, "Other")
    wait_counted(qtbot, page)
    assert page.count_label.text() == "5 of 5 profiles"
    assert page.limit_slider.maximum() == 5
    assert ctx.database_name == "Other"
    keys = {c.key for c in page.rule_builder.catalog()}
    assert "bonus_points" not in keys and "city" in keys


def test_demo_store_counts_on_every_backend(qtbot: Any, demo_store: Store) -> None:
    """The background count and preview on SQLite and PostgreSQL (the demo database)."""
    page = SelectionPage(WizardContext(demo_store, Settings()))
    qtbot.addWidget(page)
    try:
        page.initializePage()
        wait_counted(qtbot, page)
        assert page.count_label.text() == "400 of 400 profiles"
        add_condition(qtbot, page, "$status", "in", "subscribed, unconfirmed")
        page.range_slider.setValue((25, 75))
        wait_counted(qtbot, page)
        rules = page.rule_builder.rules()
        expected = core_count(demo_store, "Demo customers", rules, 25, 75, 0)
        assert 0 < expected < 200
        assert page.count_label.text() == f"{expected} of 400 profiles"
        assert page.preview_box.row_count() == min(expected, 50)
    finally:
        page.shutdown()
    assert sp.background_calls_running() == 0


def next_tab_stop(widget: Any) -> Any:
    """Where Tab goes from ``widget`` (Qt's rule: a visible, enabled tab-focus widget
    that does not hand its focus to another)."""
    found = widget.nextInFocusChain()
    while (
        not (found.focusPolicy() & Qt.FocusPolicy.TabFocus)
        or not found.isVisible()
        or not found.isEnabled()
        or found.focusProxy() is not None
    ):
        found = found.nextInFocusChain()
    return found


def test_tab_order_follows_the_page(qtbot: Any, wizard: QWizard, page: SelectionPage) -> None:
    """Keyboard-only use: source, range (from, to, slider), limit, then the rules."""
    shown(qtbot, wizard, page)
    choose_source(page, "Shop customers")
    wait_counted(qtbot, page)
    row = add_condition(qtbot, page, "city", "=", "Rome")
    qtbot.waitUntil(row.remove.isVisible, timeout=1000)
    assert next_tab_stop(page.source_combo) is page.range_box.from_box
    assert next_tab_stop(page.range_box.from_box) is page.range_box.to_box
    assert next_tab_stop(page.range_box.to_box) is page.range_slider
    assert next_tab_stop(page.range_slider) is page.limit_spin
    assert next_tab_stop(page.limit_spin) is page.limit_slider
    assert next_tab_stop(page.limit_slider) is page.rule_builder.root.and_button
    assert next_tab_stop(row.remove) is page.preview_table
    assert next_tab_stop(page.preview_table) is page.save_segment_button


# --- issue 11: the limit keeps what is typed, the range from the keyboard, a segment's rules ---


def type_into(qtbot: Any, box: Any, text: str) -> None:
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, text)


def test_limit_above_the_database_size_is_kept_and_says_whole_selection(
    qtbot: Any, wizard: QWizard, page: SelectionPage
) -> None:
    shown(qtbot, wizard, page)
    choose_source(page, "Shop customers")
    wait_counted(qtbot, page)
    type_into(qtbot, page.limit_spin, "999999")
    assert page.limit_spin.value() == 999_999  # not silently lowered to 200
    qtbot.keyClick(page.limit_spin, Qt.Key.Key_Tab)  # leaving the box shows it formatted
    assert page.limit_spin.text() == "999,999"
    assert page.limit_box.note.isVisible()
    assert "whole selection" in page.limit_box.note.text()
    assert f"{SHOP_PROFILES:,} profiles of the database" in page.limit_box.note.toolTip()
    assert page.limit_slider.value() == SHOP_PROFILES
    assert page.selection()["limit"] == 999_999
    wait_counted(qtbot, page)
    assert page.count_label.text() == "200 of 200 profiles"
    type_into(qtbot, page.limit_spin, "12")
    assert not page.limit_box.note.isVisible()
    wait_counted(qtbot, page)
    assert page.count_label.text() == "12 of 200 profiles"


def test_job_limit_above_the_size_is_loaded_as_typed(
    qtbot: Any, wizard: QWizard, page: SelectionPage
) -> None:
    page.load_job(Job(database="Shop customers", limit=5000))
    shown(qtbot, wizard, page)
    assert page.limit_spin.value() == 5000
    assert page.limit_box.note.isVisible()


def test_range_boxes_and_slider_follow_each_other_and_the_keyboard(
    qtbot: Any, wizard: QWizard, page: SelectionPage
) -> None:
    shown(qtbot, wizard, page)
    choose_source(page, "Shop customers")
    wait_counted(qtbot, page)
    type_into(qtbot, page.range_box.from_box, "20")
    type_into(qtbot, page.range_box.to_box, "70")
    assert page.range_slider.value() == (20, 70)
    assert page.selection()["range"] == {"from": 20.0, "to": 70.0}
    slider = page.range_slider
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_Right)
    assert slider.value() == (21, 70) and page.range_box.from_box.value() == 21
    qtbot.keyClick(slider, Qt.Key.Key_PageDown)
    assert slider.value() == (11, 70)
    qtbot.keyClick(slider, Qt.Key.Key_Space)  # now the "to" handle
    qtbot.keyClick(slider, Qt.Key.Key_PageUp)
    qtbot.keyClick(slider, Qt.Key.Key_Left)
    assert slider.value() == (11, 79)
    assert page.range_box.value() == (11, 79)
    qtbot.keyClick(slider, Qt.Key.Key_End)
    assert slider.value() == (11, 100)
    wait_counted(qtbot, page)
    expected = core_count(page.ctx.store, "Shop customers", empty_rules(), 11, 100, 0)
    assert page.count_label.text() == f"{expected} of 200 profiles"


def test_segment_source_shows_its_own_conditions_read_only(
    qtbot: Any, wizard: QWizard, page: SelectionPage
) -> None:
    shown(qtbot, wizard, page)
    assert page.source_picker.findChildren(RuleBuilder) == []  # made for the first segment
    choose_source(page, "Shop customers", "Parisians")
    wait_counted(qtbot, page)
    shown_rules = page.source_picker.segment_rules
    assert page.source_picker.findChildren(RuleBuilder) == [shown_rules]
    assert shown_rules.isVisible() and not shown_rules.isEnabled()
    assert shown_rules.rules()["rules"] == [{"field": "city", "operator": "=", "value": "Paris"}]
    assert not shown_rules.root.add_condition_button.isVisible()  # read-only: no edit buttons
    assert not shown_rules.root.children_[0].remove.isVisible()
    empty = page.rule_builder.root.empty_label
    assert empty.isVisible() and "every profile of the segment" in empty.text()
    assert "range matches" not in empty.text()
    choose_source(page, "Shop customers")
    wait_counted(qtbot, page)
    assert not shown_rules.isVisible()
    assert "range matches" in empty.text()


def test_preview_numbers_have_separators_and_ids_do_not() -> None:
    from bulkprofiles_gui.gui.wizard.selection.count_preview import cell_text, count_text

    assert cell_text(12345, "bonus_points") == "12,345"
    assert cell_text(1234.5, "average_check") == "1,234.5"
    assert cell_text(12345, "id") == "12345"
    assert cell_text(True, "vip") == "True"
    assert count_text(1234, 200000) == "1,234 of 200,000 profiles"


def test_preview_table_shows_the_rows_as_text_and_sizes_columns_by_their_longest_text(
    qtbot: Any,
) -> None:
    from bulkprofiles_gui.gui.wizard.selection.count_preview import (
        COLUMN_WIDTH_MAX,
        PreviewBox,
    )

    box = PreviewBox(50)
    qtbot.addWidget(box)
    header = ["id", "notes", "city", "bonus_points"]
    rows = [(7, "x" * 400, "Berlin", 12345), (12345, "short", None, 5)]
    box.fill(header, rows, {"city": "City", "bonus_points": "Bonus points"})
    model = box.table.model()
    assert box.row_count() == 2 and model.columnCount() == 4
    assert box.header_labels() == ["id", "notes", "City", "Bonus points"]  # label or key
    shown = [[model.index(r, c).data() for c in range(4)] for r in range(2)]
    assert shown == [["7", "x" * 400, "Berlin", "12,345"], ["12345", "short", "", "5"]]
    assert model.headerData(3, Qt.Orientation.Horizontal) == "Bonus points"
    metrics = box.table.fontMetrics()
    assert box.table.columnWidth(0) >= metrics.horizontalAdvance("12345")
    assert box.table.columnWidth(2) >= metrics.horizontalAdvance("Berlin")
    assert box.table.columnWidth(1) == COLUMN_WIDTH_MAX  # a long note does not take the page
    box.clear_rows()  # as setRowCount(0) did: the columns stay
    assert box.row_count() == 0 and box.header_labels() == ["id", "notes", "City", "Bonus points"]


def test_complete_changed_only_when_next_flips(
    qtbot: Any, wizard: QWizard, page: SelectionPage
) -> None:
    """QWizard repaints its whole window on each completeChanged (it hides and
    shows its contents): an edit that leaves the page complete tells it nothing,
    one that makes it incomplete (or complete again) does, and Next follows."""
    shown(qtbot, wizard, page)
    choose_source(page, "Shop customers")
    wait_counted(qtbot, page)
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    told: list[bool] = []
    page.completeChanged.connect(lambda: told.append(page.isComplete()))
    row = page.rule_builder.root.add_condition({"field": "city", "operator": "=", "value": "Paris"})
    page.range_box.set_value(10, 90)
    assert told == [] and next_button.isEnabled()
    row.editor.set_value("")  # a condition without its value: the page cannot go on
    assert told == [False] and not next_button.isEnabled()
    row.editor.set_value("Berlin")
    assert told == [False, True] and next_button.isEnabled()
    wait_counted(qtbot, page)
