"""The "Update profiles" wizard driven end to end with qtbot, for every action type.

Each run starts from the main window (the context menu of the database),
builds nested rules in the rule builder by clicking, moves the range slider,
sets the total limit, picks the action, fills its page, runs the job from
the review page, and finds the task in the Tasks view.  The effects are
checked in the store itself.  Also: cancel, failing jobs (a readable
message, never a traceback), invalid rules blocking Next, a job saved and
reopened, and (by the conftest's guard) no QThread outliving its test.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QWidget, QWizard
from sqlalchemy import func, select

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.actions import ACTIONS
from bulkprofiles_gui.core.actions.base import ActionError
from bulkprofiles_gui.core.jobfile import Job
from bulkprofiles_gui.core.selection import SelectionSpec, count
from bulkprofiles_gui.core.store import Store, open_store
from bulkprofiles_gui.gui.app import start_main_window
from bulkprofiles_gui.gui.main_window import MainWindow, View
from bulkprofiles_gui.gui.widgets.rule_builder import ConditionRow, GroupWidget
from bulkprofiles_gui.gui.wizard import run_page as run_page_module
from bulkprofiles_gui.gui.wizard.wizard import ACTION_PAGE_IDS, PageId, UpdateWizard

pytestmark = pytest.mark.usefixtures("qapp")

GUI_DEMO_DATABASE = "Demo customers"  # the conftest's gui_store / demo_store database
LIMIT = 150
RANGE = (5, 95)


# -- helpers: what an operator does -----------------------------------------------------
def click(qtbot: Any, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def pick(combo: Any, data: Any) -> None:
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


def last_row(group: GroupWidget) -> ConditionRow:
    node = group.children_[-1]
    assert isinstance(node, ConditionRow)
    return node


def last_group(group: GroupWidget) -> GroupWidget:
    node = group.children_[-1]
    assert isinstance(node, GroupWidget)
    return node


def next_enabled(wizard: UpdateWizard) -> bool:
    button = wizard.button(QWizard.WizardButton.NextButton)
    commit = wizard.button(QWizard.WizardButton.CommitButton)
    return (button.isVisible() and button.isEnabled()) or (
        commit.isVisible() and commit.isEnabled()
    )


def go_next(qtbot: Any, wizard: UpdateWizard) -> None:
    qtbot.waitUntil(lambda: next_enabled(wizard), timeout=30_000)
    before = wizard.currentId()
    wizard.next()
    assert wizard.currentId() != before, "Next did not move on"


# -- fixtures -----------------------------------------------------------------------------
def open_window(qtbot: Any, url: str) -> MainWindow:
    window = start_main_window(url)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.store is not None, timeout=60_000)
    qtbot.waitUntil(lambda: window.databases_view.selected_database() is not None)
    return window


@pytest.fixture
def window(qtbot: Any, gui_store_url: str) -> Iterator[MainWindow]:
    win = open_window(qtbot, gui_store_url)
    yield win
    win.close()
    win.shutdown()


@pytest.fixture
def check_store(gui_store_url: str) -> Iterator[Store]:
    """A second connection to the same store, for checking effects."""
    opened = open_store(gui_store_url)
    yield opened
    opened.close()


def open_wizard_from_context_menu(qtbot: Any, window: MainWindow) -> UpdateWizard:
    window.show_view(View.DATABASES)
    window.databases_view.select_database(GUI_DEMO_DATABASE)
    menu = window.databases_view.context_menu()
    update_action = next(a for a in menu.actions() if "Update profiles" in a.text())
    update_action.trigger()
    wizard = window.wizard
    assert wizard is not None
    qtbot.waitUntil(lambda: wizard.selection_page.counted(), timeout=30_000)
    assert wizard.selection_page.current_source().database_name == GUI_DEMO_DATABASE
    return wizard


def build_nested_rules(qtbot: Any, wizard: UpdateWizard) -> dict[str, Any]:
    """age >= 18 AND (city in [...] OR NOT (has no Newsletter email subscription))."""
    root = wizard.selection_page.rule_builder.root
    click(qtbot, root.add_condition_button)
    set_condition(qtbot, last_row(root), "age", ">=", "18")
    click(qtbot, root.add_group_button)
    inner = last_group(root)
    click(qtbot, inner.or_button)
    set_condition(qtbot, last_row(inner), "city", "in", "Berlin, Paris, Hamburg, Cologne")
    click(qtbot, inner.add_group_button)
    deepest = last_group(inner)
    deepest.not_check.setFocus()
    qtbot.keyClick(deepest.not_check, Qt.Key.Key_Space)
    set_condition(qtbot, last_row(deepest), "$subscription", "hasNo")
    sub = last_row(deepest).editor
    pick(sub.resource.combo, "Newsletter")
    pick(sub.channel.combo, "email")
    rules = wizard.selection_page.rule_builder.rules()
    assert rules["rules"][1]["combinator"] == "or"
    assert rules["rules"][1]["rules"][1]["not"] is True
    return rules


def set_range_and_limit(qtbot: Any, wizard: UpdateWizard) -> None:
    page = wizard.selection_page
    page.range_slider.setValue(RANGE)
    page.limit_spin.setFocus()
    page.limit_spin.selectAll()
    qtbot.keyClicks(page.limit_spin, str(LIMIT))
    assert page.limit_spin.value() == LIMIT
    qtbot.waitUntil(lambda: page.counted(), timeout=30_000)


def shown_count(wizard: UpdateWizard) -> int:
    match = re.match(r"([\d,]+) of", wizard.selection_page.count_label.text())
    assert match, wizard.selection_page.count_label.text()
    return int(match.group(1).replace(",", ""))


def choose_action(qtbot: Any, wizard: UpdateWizard, action_type: str) -> None:
    assert wizard.currentId() == PageId.ACTION
    button = wizard.action_choice_page.buttons[action_type]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(8, button.height() // 2))
    assert wizard.action_choice_page.action_type() == action_type
    go_next(qtbot, wizard)
    assert wizard.currentId() == ACTION_PAGE_IDS[action_type]
    page = wizard.action_page(action_type)
    qtbot.waitUntil(lambda: not page.is_loading(), timeout=30_000)  # choices read in a QThread


def run_from_review(qtbot: Any, wizard: UpdateWizard, confirmations: list[tuple[str, int]]) -> Any:
    review = wizard.review_page
    assert wizard.currentId() == PageId.REVIEW
    review.confirm_destructive = lambda label, n: confirmations.append((label, n)) or True
    qtbot.waitUntil(lambda: review.facts is not None or review.problem is not None)
    assert review.problem is None, review.problem
    go_next(qtbot, wizard)
    assert wizard.currentId() == PageId.RUN
    run = wizard.run_page
    qtbot.waitUntil(run.isComplete, timeout=60_000)
    assert run.error is None, run.error
    assert run.summary is not None
    return run.summary


def task_profile_ids(store: Store, task_id: int, outcome: str = "changed") -> list[int]:
    tp = m.TaskProfile
    with store.begin() as conn:
        return list(
            conn.execute(
                select(tp.profile_id).where(tp.task_id == task_id, tp.outcome == outcome)
            ).scalars()
        )


# -- the seven action types -------------------------------------------------------------
ACTIONS_UNDER_TEST: dict[str, dict[str, Any]] = {
    "update_fields": {
        "type": "update_fields",
        "changes": [
            {"field": "city", "op": "set", "value": "Lisbon"},
            {"field": "bonus_points", "op": "increment", "value": 10},
        ],
    },
    "subscribe_from_fields": {
        "type": "subscribe_from_fields",
        "resource": "SMS alerts",
        "channel": "sms",
        "status": "subscribed",
        "source_field": "phones",
        "include_unsafe": False,
    },
    "subscribe_from_resource": {
        "type": "subscribe_from_resource",
        "source_resource": "Shop",
        "resource": "SMS alerts",
        "channels": ["sms"],
        "status": "subscribed",
        "include_unsafe": False,
    },
    "update_subscriptions": {
        "type": "update_subscriptions",
        "resource": "Newsletter",
        "channel": "email",
        "status": "unsubscribed",
        "include_unsafe": False,
    },
    "promo_codes": {"type": "promo_codes", "mode": "attach", "program": "Winter sale"},
    "delete_profiles": {"type": "delete_profiles"},
    "global_unsubscribe": {"type": "global_unsubscribe"},
}


def check_effect(store: Store, action_type: str, summary: Any) -> None:
    """The store shows what the task says it changed."""
    changed = task_profile_ids(store, summary.task_id)
    assert len(changed) == summary.changed
    p = store.profiles
    with store.begin() as conn:
        if action_type == "update_fields":
            cities = set(conn.execute(select(p.c.city).where(p.c.id.in_(changed))).scalars())
            assert cities <= {"Lisbon"}
        elif action_type in ("subscribe_from_fields", "subscribe_from_resource"):
            subscribed = conn.execute(
                select(func.count())
                .select_from(m.Subscription)
                .join(m.Resource, m.Resource.id == m.Subscription.resource_id)
                .where(
                    m.Resource.name == "SMS alerts",
                    m.Subscription.channel == "sms",
                    m.Subscription.status == "subscribed",
                    m.Subscription.profile_id.in_(changed),
                )
            ).scalar_one()
            assert subscribed == len(changed)
        elif action_type == "update_subscriptions":
            statuses = set(
                conn.execute(
                    select(m.Subscription.status)
                    .join(m.Resource, m.Resource.id == m.Subscription.resource_id)
                    .where(
                        m.Resource.name == "Newsletter",
                        m.Subscription.channel == "email",
                        m.Subscription.profile_id.in_(changed),
                    )
                ).scalars()
            )
            assert statuses <= {"unsubscribed"}
        elif action_type == "promo_codes":
            holders = conn.execute(
                select(func.count(func.distinct(m.PromoCode.profile_id))).where(
                    m.PromoCode.profile_id.in_(changed)
                )
            ).scalar_one()
            assert holders == len(changed)
            assert summary.skipped.get("pool_empty", 0) + summary.changed > 0
        elif action_type == "delete_profiles":
            left = conn.execute(
                select(func.count()).select_from(p).where(p.c.id.in_(changed))
            ).scalar_one()
            assert left == 0
        elif action_type == "global_unsubscribe":
            statuses = set(
                conn.execute(select(p.c.global_status).where(p.c.id.in_(changed))).scalars()
            )
            assert statuses <= {"unsubscribed"}
            assert summary.changed > 0


@pytest.mark.parametrize("action_type", list(ACTIONS_UNDER_TEST))
def test_wizard_runs_every_action_type_end_to_end(
    qtbot: Any, window: MainWindow, check_store: Store, action_type: str
) -> None:
    wizard = open_wizard_from_context_menu(qtbot, window)
    rules = build_nested_rules(qtbot, wizard)
    set_range_and_limit(qtbot, wizard)
    selected = shown_count(wizard)
    with check_store.begin() as conn:
        db_id = check_store.database_id(conn, GUI_DEMO_DATABASE)
        expected = count(check_store, conn, SelectionSpec(db_id, rules, *RANGE, LIMIT))
    assert selected == expected
    assert 0 < selected <= LIMIT
    go_next(qtbot, wizard)

    choose_action(qtbot, wizard, action_type)
    page = wizard.action_page(action_type)
    if action_type == "update_subscriptions":  # by its widgets, as an operator would
        pick(page.target.resource_combo, "Newsletter")
        pick(page.target.channel_combo, "email")
        pick(page.status_combo, "unsubscribed")
    else:
        page.load_action(ACTIONS_UNDER_TEST[action_type])
    qtbot.waitUntil(page.isComplete)
    assert page.action() == ACTIONS_UNDER_TEST[action_type]
    go_next(qtbot, wizard)

    confirmations: list[tuple[str, int]] = []
    assert wizard.job().to_dict() == {
        "database": GUI_DEMO_DATABASE,
        "segment": None,
        "rules": rules,
        "range": {"from": float(RANGE[0]), "to": float(RANGE[1])},
        "limit": LIMIT,
        "skip_triggers": False,
        "action": ACTIONS_UNDER_TEST[action_type],
    }
    summary = run_from_review(qtbot, wizard, confirmations)

    assert summary.status == "completed"
    assert summary.selected == selected
    assert summary.processed == selected
    assert summary.changed + summary.skipped_total == selected
    counts = wizard.run_page.outcome_counts()
    assert counts["Selected"] == selected
    assert counts["Changed"] == summary.changed
    if ACTIONS[action_type].DESTRUCTIVE:  # confirmed with what it deletes / unsubscribes
        assert confirmations == [(ACTIONS[action_type].LABEL, summary.changed)]
    else:
        assert confirmations == []
    check_effect(check_store, action_type, summary)

    click(qtbot, wizard.run_page.show_task_button)
    assert window.current_view() is View.TASKS
    tasks = window.tasks_view
    qtbot.waitUntil(lambda: tasks.selected_task_id() == summary.task_id, timeout=30_000)
    row = tasks.table.currentItem()
    assert row.text(2).startswith("Completed")
    assert row.text(3) == f"{selected:,}"
    assert row.text(4) == f"{summary.changed:,}"
    assert ACTIONS[action_type].LABEL in row.text(1)


def test_wizard_on_postgresql_runs_global_unsubscribe(qtbot: Any, demo_store: Store) -> None:
    """The same path on the parametrised demo store (SQLite and PostgreSQL)."""
    window = open_window(qtbot, demo_store.url)
    try:
        wizard = open_wizard_from_context_menu(qtbot, window)
        build_nested_rules(qtbot, wizard)
        set_range_and_limit(qtbot, wizard)
        selected = shown_count(wizard)
        go_next(qtbot, wizard)
        choose_action(qtbot, wizard, "global_unsubscribe")
        go_next(qtbot, wizard)
        confirmations: list[tuple[str, int]] = []
        summary = run_from_review(qtbot, wizard, confirmations)
        assert summary.status == "completed"
        assert summary.selected == selected
        assert confirmations == [(ACTIONS["global_unsubscribe"].LABEL, summary.changed)]
        check_effect(demo_store, "global_unsubscribe", summary)
    finally:
        window.close()
        window.shutdown()


# -- cancel, failures, invalid rules ------------------------------------------------------
def _slow_down(monkeypatch: pytest.MonkeyPatch, action_type: str, seconds: float) -> None:
    module = ACTIONS[action_type]
    original = module.apply_batch

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(seconds)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, "apply_batch", slow)


def _to_review(qtbot: Any, window: MainWindow, action_type: str, action: dict[str, Any]) -> Any:
    wizard = open_wizard_from_context_menu(qtbot, window)
    root = wizard.selection_page.rule_builder.root
    click(qtbot, root.add_condition_button)
    set_condition(qtbot, last_row(root), "age", ">=", "0")
    qtbot.waitUntil(lambda: wizard.selection_page.counted(), timeout=30_000)
    go_next(qtbot, wizard)
    choose_action(qtbot, wizard, action_type)
    wizard.action_page(action_type).load_action(action)
    go_next(qtbot, wizard)
    wizard.review_page.confirm_destructive = lambda *_: True
    qtbot.waitUntil(lambda: wizard.review_page.facts is not None)
    return wizard


def test_cancel_stops_the_job_after_the_current_batch(
    qtbot: Any, window: MainWindow, check_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.settings.batch_size = 10
    _slow_down(monkeypatch, "global_unsubscribe", 0.05)
    wizard = _to_review(qtbot, window, "global_unsubscribe", {"type": "global_unsubscribe"})
    go_next(qtbot, wizard)
    run = wizard.run_page
    qtbot.waitUntil(lambda: run.progress_bar.value() > 0, timeout=30_000)
    assert run.is_running()
    assert "profiles/s" in run.rate_label.text()
    assert run.left_label.text() != "–"
    click(qtbot, run.cancel_button)
    qtbot.waitUntil(run.isComplete, timeout=30_000)
    summary = run.summary
    assert summary.status == "cancelled"
    assert 0 < summary.processed < summary.selected
    assert run.outcome_counts()["Not processed"] == summary.selected - summary.processed
    assert "Cancelled" in run.status_label.text()
    assert len(task_profile_ids(check_store, summary.task_id)) == summary.changed


def test_closing_the_wizard_while_running_asks_and_cancels(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.settings.batch_size = 10
    _slow_down(monkeypatch, "global_unsubscribe", 0.05)
    wizard = _to_review(qtbot, window, "global_unsubscribe", {"type": "global_unsubscribe"})
    go_next(qtbot, wizard)
    qtbot.waitUntil(lambda: wizard.run_page.progress_bar.value() > 0, timeout=30_000)
    asked: list[bool] = []
    wizard.ask_cancel_running_job = lambda: asked.append(True) or True
    wizard.reject()
    assert asked == [True]
    assert not wizard.run_page.thread_running()  # reject() waited for the worker
    qtbot.waitUntil(lambda: wizard.run_page.summary is not None)
    assert wizard.run_page.summary.status == "cancelled"


def test_a_job_failing_while_running_shows_one_readable_line(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(ACTIONS["global_unsubscribe"], "apply_batch", broken)
    wizard = _to_review(qtbot, window, "global_unsubscribe", {"type": "global_unsubscribe"})
    go_next(qtbot, wizard)
    run = wizard.run_page
    qtbot.waitUntil(run.isComplete, timeout=30_000)
    assert run.summary.status == "failed"
    assert run.error_label.isVisible()
    text = run.error_label.text()
    assert text == "Error: RuntimeError: the disk is on fire"
    assert "Traceback" not in text
    assert run.show_task_button.isEnabled()
    click(qtbot, run.show_task_button)
    tasks = window.tasks_view
    qtbot.waitUntil(lambda: tasks.selected_task_id() == run.summary.task_id, timeout=30_000)
    assert tasks.table.currentItem().text(2).startswith("Failed")
    assert tasks.error_label.text() == "Error: RuntimeError: the disk is on fire"


def test_a_job_refused_at_start_shows_the_reason(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> int:
        raise ActionError("job.action.resource: no resource named 'Gone'")

    monkeypatch.setattr(run_page_module, "prepare_task", refuse)
    wizard = _to_review(qtbot, window, "global_unsubscribe", {"type": "global_unsubscribe"})
    go_next(qtbot, wizard)
    run = wizard.run_page
    qtbot.waitUntil(run.isComplete, timeout=30_000)
    assert run.error == "job.action.resource: no resource named 'Gone'"
    assert run.error_label.text() == "Error: job.action.resource: no resource named 'Gone'"
    assert run.status_label.text() == "The job did not start."
    assert not run.show_task_button.isEnabled()


def test_invalid_rules_block_next_until_fixed(qtbot: Any, window: MainWindow) -> None:
    wizard = open_wizard_from_context_menu(qtbot, window)
    assert next_enabled(wizard)
    root = wizard.selection_page.rule_builder.root
    click(qtbot, root.add_condition_button)
    set_condition(qtbot, last_row(root), "age", ">=", "old")
    qtbot.waitUntil(lambda: not next_enabled(wizard))
    assert wizard.selection_page.rule_builder.problems()
    assert not wizard.selection_page.isComplete()
    set_condition(qtbot, last_row(root), "age", ">=", "30")
    qtbot.waitUntil(lambda: next_enabled(wizard))
    qtbot.waitUntil(lambda: wizard.selection_page.counted(), timeout=30_000)


def test_delete_without_conditions_cannot_go_on(qtbot: Any, window: MainWindow) -> None:
    wizard = open_wizard_from_context_menu(qtbot, window)
    go_next(qtbot, wizard)
    choose_action(qtbot, wizard, "delete_profiles")
    assert not wizard.action_page("delete_profiles").isComplete()
    assert not next_enabled(wizard)


# -- dry run, save and reopen a job -----------------------------------------------------
def test_dry_run_shows_counts_and_changes_nothing(
    qtbot: Any, window: MainWindow, check_store: Store
) -> None:
    wizard = _to_review(qtbot, window, "global_unsubscribe", {"type": "global_unsubscribe"})
    review = wizard.review_page
    p = check_store.profiles
    with check_store.begin() as conn:
        before = conn.execute(
            select(func.count()).select_from(p).where(p.c.global_status == "unsubscribed")
        ).scalar_one()
    qtbot.waitUntil(review.dry_run_button.isEnabled)
    click(qtbot, review.dry_run_button)
    qtbot.waitUntil(lambda: review.dry_run_summary is not None, timeout=30_000)
    summary = review.dry_run_summary
    assert summary.dry_run and summary.status == "completed"
    assert summary.selected == review.facts.selected
    assert review.dry_run_table.isVisibleTo(wizard)
    table = review.dry_run_table
    rows = [table.topLevelItem(i) for i in range(table.topLevelItemCount())]
    counts = {row.text(0): row.text(1) for row in rows if row is not None}
    assert counts["Would change"] == f"{summary.changed:,}"
    with check_store.begin() as conn:
        after = conn.execute(
            select(func.count()).select_from(p).where(p.c.global_status == "unsubscribed")
        ).scalar_one()
    assert after == before
    qtbot.waitUntil(review.isComplete)


def test_a_dry_run_of_the_job_left_by_back_is_not_shown_for_the_next_one(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Audit: Back in the middle of a dry run, another action, Next: the old
    dry run's counts appeared under the new action.  It is cancelled now."""
    window.settings.batch_size = 10
    module = ACTIONS["global_unsubscribe"]
    slow_batch = module.apply_batch

    def apply_batch(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.05)
        return slow_batch(*args, **kwargs)

    monkeypatch.setattr(module, "apply_batch", apply_batch)
    wizard = _to_review(qtbot, window, "global_unsubscribe", {"type": "global_unsubscribe"})
    review = wizard.review_page
    qtbot.waitUntil(review.dry_run_button.isEnabled)
    click(qtbot, review.dry_run_button)
    qtbot.waitUntil(review.dry_running)
    abandoned = review._dry_run
    assert abandoned is not None
    wizard.back()
    wizard.back()
    choose_action(qtbot, wizard, "update_fields")
    wizard.action_page("update_fields").load_action(ACTIONS_UNDER_TEST["update_fields"])
    go_next(qtbot, wizard)
    qtbot.waitUntil(lambda: review.facts is not None, timeout=30_000)
    qtbot.waitUntil(lambda: not abandoned.is_running(), timeout=60_000)
    qtbot.wait(100)
    assert abandoned.is_cancelled()
    assert review.dry_run_summary is None
    assert review.dry_run_status.text() == ""
    assert not review.dry_run_table.isVisibleTo(wizard)


def test_a_count_that_lands_on_the_promo_page_updates_its_pool_warning(
    qtbot: Any, window: MainWindow
) -> None:
    wizard = open_wizard_from_context_menu(qtbot, window)
    go_next(qtbot, wizard)
    choose_action(qtbot, wizard, "promo_codes")
    page = wizard.action_page("promo_codes")
    page.load_action({"type": "promo_codes", "mode": "attach", "program": "Winter sale"})
    qtbot.waitUntil(lambda: "will be reported" in page.pool_warning.text(), timeout=30_000)
    wizard.back()
    wizard.back()
    root = wizard.selection_page.rule_builder.root
    click(qtbot, root.add_condition_button)
    set_condition(qtbot, last_row(root), "id", "<=", "10")
    go_next(qtbot, wizard)
    go_next(qtbot, wizard)
    assert wizard.currentId() == ACTION_PAGE_IDS["promo_codes"]
    qtbot.waitUntil(lambda: wizard.selection_page.counted(), timeout=30_000)
    assert wizard.selection_page.selected_count == 10
    assert page.pool_warning.text() == ""


def test_saved_job_reopens_the_wizard_prefilled(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    action = ACTIONS_UNDER_TEST["update_subscriptions"]
    wizard = _to_review(qtbot, window, "update_subscriptions", action)
    wizard.review_page.skip_triggers_check.setChecked(True)
    path = tmp_path / "job.json"
    wizard.review_page.ask_save_path = lambda _suggested: str(path)
    click(qtbot, wizard.review_page.save_button)
    saved = Job.load(path, require_action=True)
    assert saved.to_dict() == wizard.job().to_dict()
    assert saved.skip_triggers is True
    wizard.reject()
    qtbot.waitUntil(lambda: window.wizard is None)

    reopened = window.open_job_path(str(path))
    assert reopened is not None
    qtbot.waitUntil(lambda: reopened.selection_page.counted(), timeout=30_000)
    assert reopened.action_type() == "update_subscriptions"
    go_next(qtbot, reopened)
    go_next(qtbot, reopened)
    assert reopened.currentId() == ACTION_PAGE_IDS["update_subscriptions"]
    assert reopened.job().to_dict() == saved.to_dict()


def test_a_segment_context_menu_opens_the_wizard_on_the_segment(
    qtbot: Any, window: MainWindow
) -> None:
    window.show_view(View.SEGMENTS)
    segments = window.segments_view
    qtbot.waitUntil(lambda: segments.table.topLevelItemCount() > 0)
    segments.select_segment(GUI_DEMO_DATABASE, "Berlin customers")
    menu = segments.context_menu()
    next(a for a in menu.actions() if "Update profiles" in a.text()).trigger()
    wizard = window.wizard
    assert wizard is not None
    qtbot.waitUntil(lambda: wizard.selection_page.counted(), timeout=30_000)
    assert wizard.selection_page.selection()["segment"] == "Berlin customers"
    wizard.reject()


def test_a_wizard_run_leaves_a_completed_task(
    qtbot: Any, window: MainWindow, check_store: Store
) -> None:
    """The task of a run ends completed with a finish time (nothing left running)."""
    wizard = _to_review(qtbot, window, "global_unsubscribe", {"type": "global_unsubscribe"})
    go_next(qtbot, wizard)
    qtbot.waitUntil(wizard.run_page.isComplete, timeout=30_000)
    task_id = wizard.run_page.summary.task_id
    with check_store.begin() as conn:
        row = conn.execute(select(m.Task.__table__).where(m.Task.id == task_id)).one()
    assert row.status == "completed"
    assert row.finished_at is not None


def test_closing_the_main_window_during_a_run_asks_once_and_cancels(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.settings.batch_size = 10
    _slow_down(monkeypatch, "global_unsubscribe", 0.05)
    wizard = _to_review(qtbot, window, "global_unsubscribe", {"type": "global_unsubscribe"})
    go_next(qtbot, wizard)
    qtbot.waitUntil(lambda: wizard.run_page.progress_bar.value() > 0, timeout=30_000)
    asked: list[str] = []
    wizard.ask_cancel_running_job = lambda: asked.append("no") is None and False
    window.close()
    assert asked == ["no"]
    assert window.isVisible() and wizard.isVisible()  # the operator said no: nothing closes
    wizard.ask_cancel_running_job = lambda: asked.append("yes") is None
    window.close()
    assert asked == ["no", "yes"]
    assert not window.isVisible()
    assert not wizard.run_page.thread_running()
