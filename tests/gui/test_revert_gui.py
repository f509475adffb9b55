"""Reverting a task from the Tasks view (pytest-qt, real widgets, a real demo
store): the dialog says what is restored, its dry run counts and changes
nothing, Revert runs in the background and leaves the store as it was before
the job; Cancel stops a revert and Resume finishes it; a task past the
archive period says it can no longer be reverted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from revert_helpers import store_state
from sqlalchemy import update

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.config import Settings
from bulkprofiles_gui.core.jobfile import Job
from bulkprofiles_gui.core.jobs import run_job
from bulkprofiles_gui.core.progress import JobState, Progress
from bulkprofiles_gui.core.store import Store
from bulkprofiles_gui.core.tasks import get_task
from bulkprofiles_gui.gui.dialogs.revert import RevertDialog
from bulkprofiles_gui.gui.main_window import open_and_prepare
from bulkprofiles_gui.gui.views.tasks import TasksView

pytestmark = pytest.mark.usefixtures("qapp")

DEMO = "Demo customers"
EVERYONE = {
    "combinator": "and",
    "not": False,
    "rules": [{"field": "id", "operator": ">", "value": 0}],
}
SET_CITY = {"type": "update_fields", "changes": [{"field": "city", "op": "set", "value": "Lyon"}]}


@pytest.fixture
def view(qtbot: Any, gui_store: Store) -> Iterator[TasksView]:
    widget = TasksView()
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    widget.set_store(gui_store)
    yield widget
    widget.shutdown()


def run(store: Store, action: dict[str, Any] = SET_CITY) -> int:
    summary = run_job(store, Job(database=DEMO, rules=EVERYONE, action=action), JobState())
    assert summary.status == "completed" and summary.changed > 0
    return summary.task_id


def select(qtbot: Any, view: TasksView, task_id: int) -> None:
    view.refresh()
    qtbot.waitUntil(lambda: not view.busy() and view.select_task(task_id))
    qtbot.waitUntil(lambda: view.selected_task_id() == task_id)


def open_dialog(qtbot: Any, view: TasksView) -> RevertDialog:
    assert view.revert_button.isEnabled()
    view.revert_button.click()
    dialog = view.revert_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.plan is not None and not dialog.busy())
    return dialog


def test_revert_a_task_from_the_tasks_view(qtbot: Any, view: TasksView, gui_store: Store) -> None:
    before = store_state(gui_store)
    task_id = run(gui_store)
    changed = get_task(gui_store, task_id).changed
    after_job = store_state(gui_store)
    select(qtbot, view, task_id)
    assert view.revert_label.isHidden()

    dialog = open_dialog(qtbot, view)
    assert dialog.headline.text() == (
        f"Revert task {task_id} (Update profile fields on 'Demo customers'): "
        f"{changed:,} profile(s) get back what they had before it:"
    )
    assert dialog.restores.text() == "•  the values before the task of: City"
    assert not dialog.triggers
    dialog.dry_button.click()
    qtbot.waitUntil(lambda: not dialog.busy() and dialog.revert_button.isEnabled())
    assert dialog.dry_result.text() == (
        f"Dry run (task {task_id + 1}, nothing changed): {changed:,} profile(s) would be "
        "restored, 0 conflict(s)."
    )
    assert store_state(gui_store) == after_job

    dialog.revert_button.click()
    qtbot.waitUntil(view.wait_for_resume, timeout=30_000)
    revert_id = task_id + 2
    qtbot.waitUntil(
        lambda: view.selected_task_id() == revert_id and view.selected_task().status == "completed",
        timeout=30_000,
    )
    assert store_state(gui_store) == before
    assert view.detail_title.text() == (
        f"Task {revert_id}: Revert of task {task_id} on Demo customers — completed"
    )
    assert view.revert_label.text() == f"Reverts task {task_id}."
    counts = view.counts_table
    labels = [counts.topLevelItem(i).text(0) for i in range(counts.topLevelItemCount())]
    assert "Restored" in labels

    select(qtbot, view, task_id)
    assert not view.revert_button.isEnabled()
    assert view.revert_button.toolTip() == (
        f"Task {task_id} cannot be reverted again: task {revert_id} reverts it"
    )
    assert view.revert_label.text() == f"Reverted by task {revert_id} (completed)."


def test_cancel_stops_a_revert_and_resume_finishes_it(
    qtbot: Any, view: TasksView, gui_store: Store
) -> None:
    before = store_state(gui_store)
    task_id = run(gui_store)
    view.settings = Settings(batch_size=1)  # many small batches: time to cancel
    select(qtbot, view, task_id)

    def cancel_once_started(progress: Progress) -> None:
        if progress.done > 0:
            view.cancel_run()

    view.run_progressed.connect(cancel_once_started)
    view.start_revert(task_id)
    assert view.cancel_button.isEnabled() and not view.revert_button.isEnabled()
    qtbot.waitUntil(lambda: not view.run_active(), timeout=30_000)  # delivering progress
    revert_id = task_id + 1
    qtbot.waitUntil(
        lambda: view.selected_task_id() == revert_id and view.selected_task().status == "cancelled",
        timeout=30_000,
    )
    view.run_progressed.disconnect(cancel_once_started)
    stopped = view.selected_task()
    assert 0 < stopped.processed < stopped.selected
    assert not view.cancel_button.isEnabled()
    assert view.resume_button.isEnabled()

    view.resume_button.click()
    qtbot.waitUntil(view.wait_for_resume, timeout=60_000)
    qtbot.waitUntil(
        lambda: view.selected_task() is not None and view.selected_task().status == "completed",
        timeout=60_000,
    )
    assert store_state(gui_store) == before


def test_a_task_past_the_archive_period_says_it_can_no_longer_be_reverted(
    qtbot: Any, view: TasksView, gui_store: Store
) -> None:
    task_id = run(gui_store, {"type": "global_unsubscribe"})
    with gui_store.begin() as conn:
        conn.execute(
            update(m.Task)
            .where(m.Task.id == task_id)
            .values(finished_at=m.utcnow() - dt.timedelta(days=45))
        )
    select(qtbot, view, task_id)

    assert not view.revert_button.isEnabled()
    why = "can no longer be reverted: its journal was purged after 30 days"
    assert view.revert_button.toolTip() == f"Task {task_id} {why}"
    assert view.revert_label.text() == f"This task {why}."
    assert view.revert_label.isVisible()


def test_opening_a_store_in_the_window_purges_old_journals(gui_store: Store) -> None:
    task_id = run(gui_store, {"type": "global_unsubscribe"})
    with gui_store.begin() as conn:
        conn.execute(
            update(m.Task)
            .where(m.Task.id == task_id)
            .values(finished_at=m.utcnow() - dt.timedelta(days=8))
        )
    opened = open_and_prepare(gui_store.url, make_demo=False, archive_days=7)
    opened.close()
    assert get_task(gui_store, task_id).journal_purged_at is not None
