"""Failures of the store in the window: one readable line, never a traceback,
the details in the log; a task the failure interrupted is offered for resume.

- The disk fills up in the middle of a wizard's job: the run page says the
  task was interrupted and can be resumed; the Tasks view resumes it.
- A read-only store: the wizard's job does not start (one line); the Tasks
  view's Resume says the same in a message box.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fault_helpers import read_only_sqlite
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import func, select

from bulkprofiles_gui.core import jobs
from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.config import Settings
from bulkprofiles_gui.core.faults import log_path
from bulkprofiles_gui.core.jobfile import Job
from bulkprofiles_gui.core.jobs import prepare_task, run_task
from bulkprofiles_gui.core.progress import JobState
from bulkprofiles_gui.core.store import open_store
from bulkprofiles_gui.gui.main_window import MainWindow, View
from bulkprofiles_gui.gui.views.tasks import TasksView

from .test_wizard_end_to_end import _to_review, click, go_next, open_window

pytestmark = pytest.mark.usefixtures("qapp")

DEMO = "Demo customers"
LONG_TAG = "t" * 200
TAG_EVERYONE = {
    "type": "update_fields",
    "changes": [{"field": "tags", "op": "add", "value": [LONG_TAG]}],
}


@pytest.fixture
def window(qtbot: Any, gui_store_url: str) -> Iterator[MainWindow]:
    win = open_window(qtbot, gui_store_url)
    yield win
    win.close()
    win.shutdown()


def _disk_full_in_second_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """From the second batch on, the batch's connection may not grow the file
    by one page: SQLite's own "database or disk is full"."""
    real = jobs._apply_batch
    calls: list[int] = []

    def second_is_full(conn: Any, run: Any, batch: Any) -> Any:
        calls.append(batch.lo)
        if len(calls) == 2:
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
            conn.exec_driver_sql(f"PRAGMA max_page_count={pages}")
        return real(conn, run, batch)

    monkeypatch.setattr(jobs, "_apply_batch", second_is_full)


def test_a_full_disk_mid_job_interrupts_the_task_and_the_tasks_view_resumes_it(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.settings.batch_size = 100
    window.settings.commit_seconds = 0  # the first batch commits alone
    _disk_full_in_second_batch(monkeypatch)
    wizard = _to_review(qtbot, window, "update_fields", TAG_EVERYONE)
    go_next(qtbot, wizard)
    run = wizard.run_page
    qtbot.waitUntil(run.isComplete, timeout=30_000)

    task_id = run.task_id
    assert run.status_label.text() == (
        f"Task {task_id}: interrupted; it can be resumed from the Tasks view."
    )
    assert run.error_label.text().startswith(f"Error: task {task_id} interrupted: ")
    assert "the disk of the store is full (database or disk is full); free some space" in (
        run.error_label.text()
    )
    assert run.error_label.text().endswith(
        f"; it can be resumed from the Tasks view (details in {log_path()})"
    )
    assert "Traceback" not in run.error_label.text()
    assert run.progress_bar.format().startswith("100 of ")  # the batch that committed
    assert "Traceback" in log_path().read_text(encoding="utf-8")

    monkeypatch.undo()
    assert window.store is not None
    window.store.engine.dispose()  # space again: new connections
    wizard.accept()
    window.show_view(View.TASKS)
    tasks = window.tasks_view
    tasks.refresh()
    qtbot.waitUntil(lambda: tasks.select_task(task_id), timeout=30_000)
    qtbot.waitUntil(lambda: tasks.resume_button.isEnabled(), timeout=30_000)
    assert tasks.selected_task().status == "interrupted"
    click(qtbot, tasks.resume_button)
    qtbot.waitUntil(tasks.wait_for_resume, timeout=30_000)
    qtbot.waitUntil(
        lambda: tasks.selected_task() is not None and tasks.selected_task().status == "completed",
        timeout=30_000,
    )
    task = tasks.selected_task()
    assert task.processed == task.selected and task.changed == task.selected
    with window.store.begin() as conn:
        tagged = conn.execute(
            select(func.count())
            .select_from(m.ProfileListValue)
            .where(m.ProfileListValue.value == LONG_TAG)
        ).scalar_one()
    assert tagged == task.selected  # every profile once


@pytest.fixture
def cancelled_task_store(gui_store_url: str) -> tuple[Path, int]:
    """The store with a cancelled (resumable) task, closed."""
    store = open_store(gui_store_url)
    try:
        rules = {"combinator": "and", "rules": [{"field": "age", "operator": ">=", "value": 0}]}
        task_id = prepare_task(store, Job(database=DEMO, rules=rules, action=TAG_EVERYONE))
        state = JobState()
        state.on_progress = lambda p: p.done > 0 and state.cancel()
        partial = run_task(store, task_id, state, settings=Settings(batch_size=100))
        assert partial.status == "cancelled"
    finally:
        store.close()
    return Path(gui_store_url.removeprefix("sqlite:///")), task_id


def test_a_read_only_store_says_so_in_one_line(
    qtbot: Any, cancelled_task_store: tuple[Path, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, task_id = cancelled_task_store
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a, **k: told.append(text))
    with read_only_sqlite(path) as url:
        window = open_window(qtbot, url)
        try:
            wizard = _to_review(qtbot, window, "update_fields", TAG_EVERYONE)
            go_next(qtbot, wizard)
            run = wizard.run_page
            qtbot.waitUntil(run.isComplete, timeout=30_000)
            assert run.status_label.text() == "The job did not start."
            text = run.error_label.text()
            assert text.startswith("Error: ") and "the store is read-only" in text
            assert text.endswith(f"(details in {log_path()})") and "Traceback" not in text
            wizard.accept()

            window.show_view(View.TASKS)
            tasks: TasksView = window.tasks_view
            qtbot.waitUntil(lambda: tasks.select_task(task_id), timeout=30_000)
            qtbot.waitUntil(lambda: tasks.resume_button.isEnabled(), timeout=30_000)
            click(qtbot, tasks.resume_button)
            qtbot.waitUntil(lambda: bool(told), timeout=30_000)
            tasks.wait_for_resume()
        finally:
            window.close()
            window.shutdown()
    (line,) = told
    assert "the store is read-only (attempt to write a readonly database)" in line
    assert "\n" not in line and "Traceback" not in line
