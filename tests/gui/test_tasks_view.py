"""The Tasks view: newest first, filters, details (job document, counts by
reason), live progress of a running task, resuming an interrupted task, and
the CSV export, on a real demo store."""

from __future__ import annotations

import csv
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialog
from sqlalchemy import update

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.actions import ACTIONS
from bulkprofiles_gui.core.config import Settings
from bulkprofiles_gui.core.jobfile import Job
from bulkprofiles_gui.core.jobs import prepare_task, run_job, run_task
from bulkprofiles_gui.core.progress import JobState
from bulkprofiles_gui.core.store import Store
from bulkprofiles_gui.gui.views.tasks import TasksView, format_duration
from bulkprofiles_gui.gui.widgets.export_columns import ExportColumnsDialog

pytestmark = pytest.mark.usefixtures("qapp")

DEMO = "Demo customers"
BERLIN = {
    "combinator": "and",
    "not": False,
    "rules": [{"field": "city", "operator": "=", "value": "Berlin"}],
}


def job(action: dict[str, Any], rules: dict[str, Any] | None = None) -> Job:
    return Job(database=DEMO, rules=rules or BERLIN, action=action)


@pytest.fixture
def view(qtbot: Any, gui_store: Store) -> Iterator[TasksView]:
    widget = TasksView()
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    widget.set_store(gui_store)
    yield widget
    widget.shutdown()


def rows(view: TasksView) -> list[list[str]]:
    table = view.table
    return [
        [table.topLevelItem(i).text(c) for c in range(table.columnCount())]
        for i in range(table.topLevelItemCount())
    ]


def reload(qtbot: Any, view: TasksView, expected_rows: int) -> None:
    view.refresh()
    qtbot.waitUntil(lambda: view.table.topLevelItemCount() == expected_rows and not view.busy())


def test_lists_tasks_newest_first_with_their_columns(
    qtbot: Any, view: TasksView, gui_store: Store
) -> None:
    first = run_job(gui_store, job({"type": "global_unsubscribe"}), JobState())
    second = run_job(
        gui_store,
        job({"type": "promo_codes", "mode": "attach", "program": "Winter sale"}),
        JobState(),
        dry_run=True,
    )
    reload(qtbot, view, 2)
    assert list(view.COLUMNS) == [
        "Time",
        "Task",
        "Status",
        "Selected",
        "Changed",
        "Skipped",
        "Trigger events",
        "Operator",
    ]
    newest, oldest = rows(view)
    assert newest[1] == f"{ACTIONS['promo_codes'].LABEL}\n{DEMO} · Dry run"
    assert oldest[1] == f"{ACTIONS['global_unsubscribe'].LABEL}\n{DEMO}"
    assert oldest[2].split("\n")[0] == "Completed"
    assert oldest[3:7] == [
        f"{first.selected:,}",
        f"{first.changed:,}",
        f"{first.skipped_total:,}",
        f"{first.trigger_events:,}",
    ]
    assert newest[3] == f"{second.selected:,}"
    assert oldest[7] != ""  # the operator


def test_filters_by_status_and_type(qtbot: Any, view: TasksView, gui_store: Store) -> None:
    run_job(gui_store, job({"type": "global_unsubscribe"}), JobState())
    cancelled = JobState()
    cancelled.cancel()
    run_job(
        gui_store,
        job({"type": "promo_codes", "mode": "attach", "program": "Winter sale"}),
        cancelled,
    )
    reload(qtbot, view, 2)
    view.status_filter.setCurrentIndex(view.status_filter.findData("cancelled"))
    qtbot.waitUntil(lambda: view.table.topLevelItemCount() == 1 and not view.busy())
    assert rows(view)[0][2].startswith("Cancelled")
    view.status_filter.setCurrentIndex(0)
    view.type_filter.setCurrentIndex(view.type_filter.findData("global_unsubscribe"))
    qtbot.waitUntil(lambda: view.table.topLevelItemCount() == 1 and not view.busy())
    assert rows(view)[0][1].split("\n")[0] == ACTIONS["global_unsubscribe"].LABEL
    view.status_filter.setCurrentIndex(view.status_filter.findData("failed"))
    qtbot.waitUntil(lambda: view.table.topLevelItemCount() == 0 and not view.busy())


def test_details_show_the_job_document_and_counts_by_reason(
    qtbot: Any, view: TasksView, gui_store: Store
) -> None:
    the_job = job(
        {"type": "global_unsubscribe"},
        rules={"combinator": "and", "rules": [{"field": "age", "operator": ">=", "value": 0}]},
    )
    summary = run_job(gui_store, the_job, JobState())
    assert summary.skipped  # the demo has profiles already unsubscribed
    reload(qtbot, view, 1)
    view.show_task(summary.task_id)
    qtbot.waitUntil(lambda: view.selected_task_id() == summary.task_id)
    assert f"Task {summary.task_id}" in view.detail_title.text()
    document = view.job_text.toPlainText()
    assert Job.from_dict(__import__("json").loads(document)).to_dict() == the_job.to_dict()
    counts = {
        view.counts_table.topLevelItem(i).text(0): view.counts_table.topLevelItem(i).text(1)
        for i in range(view.counts_table.topLevelItemCount())
    }
    assert counts["Selected"] == f"{summary.selected:,}"
    assert counts["Changed"] == f"{summary.changed:,}"
    assert counts["Skipped: already globally unsubscribed"] == (
        f"{summary.skipped['already_unsubscribed']:,}"
    )
    assert not view.error_label.isVisible()


def test_a_running_task_is_followed_live(
    qtbot: Any, view: TasksView, gui_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = ACTIONS["global_unsubscribe"]
    original = module.apply_batch
    release = threading.Event()

    def held(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        release.wait(0.3)  # slow enough for the view's 1 s poll to see the task running
        return result

    monkeypatch.setattr(module, "apply_batch", held)
    task_id = prepare_task(
        gui_store,
        job(
            {"type": "global_unsubscribe"},
            rules={"combinator": "and", "rules": [{"field": "age", "operator": ">=", "value": 0}]},
        ),
    )
    runner = threading.Thread(
        target=run_task,
        args=(gui_store, task_id, JobState()),
        # a commit after every batch: the view follows what the store has committed
        kwargs={"settings": Settings(batch_size=20, commit_seconds=0)},
    )
    runner.start()
    try:
        view.refresh()
        qtbot.waitUntil(
            lambda: (
                view.selected_task() is not None
                and view.selected_task().status == "running"
                and 0 < view.progress_bar.value() < view.progress_bar.maximum()
            ),
            timeout=30_000,
        )
        assert view.poll_timer.isActive()
        first_value = view.progress_bar.value()
        qtbot.waitUntil(lambda: view.progress_bar.value() > first_value, timeout=30_000)
        assert view.table.currentItem().text(2).startswith("Running")
    finally:
        release.set()
        runner.join(60)
    qtbot.waitUntil(
        lambda: view.selected_task() is not None and view.selected_task().status == "completed",
        timeout=30_000,
    )
    qtbot.waitUntil(lambda: not view.poll_timer.isActive())


def test_resume_an_interrupted_task(qtbot: Any, view: TasksView, gui_store: Store) -> None:
    the_job = job(
        {"type": "global_unsubscribe"},
        rules={"combinator": "and", "rules": [{"field": "age", "operator": ">=", "value": 0}]},
    )
    task_id = prepare_task(gui_store, the_job)
    stop_after_first_batch = JobState()
    stop_after_first_batch.on_progress = lambda p: p.done > 0 and stop_after_first_batch.cancel()
    partial = run_task(gui_store, task_id, stop_after_first_batch, settings=Settings(batch_size=50))
    assert 0 < partial.processed < partial.selected
    with gui_store.begin() as conn:  # as if the process had been killed mid-run
        conn.execute(update(m.Task).where(m.Task.id == task_id).values(status="interrupted"))
    reload(qtbot, view, 1)
    assert rows(view)[0][2].startswith("Interrupted")
    assert view.resume_button.isEnabled()
    view.resume_button.click()
    assert not view.resume_button.isEnabled()
    qtbot.waitUntil(view.wait_for_resume, timeout=30_000)
    qtbot.waitUntil(
        lambda: view.selected_task() is not None and view.selected_task().status == "completed",
        timeout=30_000,
    )
    task = view.selected_task()
    assert task.processed == task.selected == partial.selected
    assert task.changed + task.skipped_total == task.selected
    assert not view.resume_button.isEnabled()


def test_export_csv_writes_every_profile_with_its_outcome(
    qtbot: Any, view: TasksView, gui_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = run_job(gui_store, job({"type": "global_unsubscribe"}), JobState())
    reload(qtbot, view, 1)
    target = tmp_path / "export.csv"
    messages: list[str] = []
    view.message.connect(messages.append)
    view.ask_csv_path = lambda _suggested: str(target)

    def no_profile_columns(dialog: ExportColumnsDialog) -> int:
        dialog.none_button.click()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ExportColumnsDialog, "exec", no_profile_columns)
    view.export_button.click()
    qtbot.waitUntil(lambda: any(m.startswith("Exported") for m in messages), timeout=30_000)
    assert messages[-1] == (
        f"Exported {summary.selected:,} profiles of task {summary.task_id} to {target}"
    )
    assert all(m.startswith("Exporting") for m in messages[:-1])  # progress lines
    with target.open(encoding="utf-8") as fh:
        lines = list(csv.reader(fh))
    assert lines[0] == ["profile_id", "outcome", "reason", "reason_text"]
    assert len(lines) - 1 == summary.selected
    assert sum(1 for line in lines[1:] if line[1] == "changed") == summary.changed


def test_durations_read_well() -> None:
    assert format_duration(None) == ""
    assert format_duration(4.4) == "4 s"
    assert format_duration(65) == "1 min 05 s"
    assert format_duration(3 * 3600 + 120) == "3 h 02 min"


def test_a_failed_task_shows_its_error_in_one_line(
    qtbot: Any, view: TasksView, gui_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise ValueError("the value is out of range")

    monkeypatch.setattr(ACTIONS["global_unsubscribe"], "apply_batch", broken)
    summary = run_job(gui_store, job({"type": "global_unsubscribe"}), JobState())
    assert summary.status == "failed"
    reload(qtbot, view, 1)
    assert rows(view)[0][2].startswith("Failed")
    assert view.error_label.text() == "Error: ValueError: the value is out of range"
    assert not view.resume_button.isEnabled()  # a failed task would fail again
    time.sleep(0)  # nothing left running: the guard checks


# --- issue 11: an empty view, the whole row on a small screen, numbers with separators ----


def test_an_empty_tasks_view_says_so(qtbot: Any, view: TasksView, gui_store: Store) -> None:
    reload(qtbot, view, 0)
    assert view.empty_label.isVisible() and not view.table.isVisible()
    assert "No tasks yet" in view.empty_label.text()
    run_job(gui_store, job({"type": "global_unsubscribe"}), JobState())
    reload(qtbot, view, 1)
    assert view.table.isVisible() and not view.empty_label.isVisible()
    view.status_filter.setCurrentIndex(view.status_filter.findData("failed"))
    qtbot.waitUntil(lambda: view.table.topLevelItemCount() == 0 and not view.busy())
    assert view.empty_label.isVisible()
    assert "No task matches these filters" in view.empty_label.text()


def test_every_column_and_the_full_type_fit_a_small_screen(
    qtbot: Any, view: TasksView, gui_store: Store
) -> None:
    """At the width the Tasks view has in a 1024-pixel window (the side bar
    takes 190): no horizontal scroll bar, the longest type unelided."""
    run_job(
        gui_store,
        job(
            {
                "type": "subscribe_from_resource",
                "source_resource": "Shop",
                "resource": "Newsletter",
                "channels": ["email"],
                "status": "subscribed",
                "include_unsafe": False,
            }
        ),
        JobState(),
        dry_run=True,
    )
    view.resize(1024 - 190, 600)
    reload(qtbot, view, 1)
    qtbot.wait(50)
    table = view.table
    assert not table.horizontalScrollBar().isVisible()
    header = table.header()
    assert header.sectionPosition(7) + header.sectionSize(7) <= table.viewport().width()
    label = ACTIONS["subscribe_from_resource"].LABEL
    needed = table.fontMetrics().horizontalAdvance(label)
    assert header.sectionSize(1) >= needed
    assert "Dry run" in table.topLevelItem(0).text(1)


def test_progress_bar_numbers_have_separators() -> None:
    from bulkprofiles_gui.gui.views.tasks import CountedProgressBar

    bar = CountedProgressBar()
    bar.setMaximum(20_000)
    bar.setValue(1_001)
    assert bar.text() == "1,001 of 20,000 profiles (5 %)"
