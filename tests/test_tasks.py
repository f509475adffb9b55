"""Tasks: listing, detail, interrupted detection, CSV export, retry (both backends)."""

from __future__ import annotations

import csv
import datetime as dt
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from jobs_helpers import Recorder, build_world, make_task, outcomes, settings
from sqlalchemy import update

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.errors import TaskError
from bulkprofiles_gui.core.export import export_task
from bulkprofiles_gui.core.jobs import run_job, run_task
from bulkprofiles_gui.core.outcomes import TaskSummary, outcome_rows, reason_text
from bulkprofiles_gui.core.process import mark_interrupted
from bulkprofiles_gui.core.store import Store
from bulkprofiles_gui.core.tasks import get_task, list_tasks, retry_job

SET_BERLIN = {
    "type": "update_fields",
    "changes": [{"field": "city", "op": "set", "value": "Berlin"}],
}
UNSUBSCRIBE = {"type": "global_unsubscribe"}


def _set_running(store: Store, task_id: int, runner: str, heartbeat: dt.datetime) -> None:
    with store.begin() as conn:
        conn.execute(
            update(m.Task)
            .where(m.Task.id == task_id)
            .values(status="running", runner=runner, heartbeat_at=heartbeat)
        )


def test_list_newest_first_with_filters(store: Store) -> None:
    world = build_world(store, n=8)
    first = make_task(store, SET_BERLIN, world.profile_ids)
    run_task(store, first, Recorder().state, settings=settings())
    second = make_task(store, UNSUBSCRIBE, world.profile_ids[:3])
    third = make_task(store, SET_BERLIN, world.profile_ids, dry_run=True)

    assert [t.id for t in list_tasks(store)] == [third, second, first]
    assert [t.id for t in list_tasks(store, status="completed")] == [first]
    assert [t.id for t in list_tasks(store, action_type="global_unsubscribe")] == [second]
    assert [t.id for t in list_tasks(store, limit=1)] == [third]
    row = list_tasks(store)[1]
    assert (row.action_label, row.status, row.operator, row.database_name) == (
        "Global unsubscribe",
        "queued",
        "tester",
        "Test customers",
    )
    assert list_tasks(store)[0].dry_run


def test_detail_has_job_counts_reasons_times(store: Store) -> None:
    world = build_world(store, n=8)
    task_id = make_task(store, SET_BERLIN, world.profile_ids)
    run_task(store, task_id, Recorder().state, settings=settings())
    task = get_task(store, task_id)
    assert task.job["action"] == SET_BERLIN
    assert (task.selected, task.processed, task.changed, task.skipped) == (
        8,
        8,
        6,
        {"unchanged": 2},
    )
    assert task.skipped_words() == {"already had the new value": 2}
    assert task.trigger_events == 12  # any_field + city for each changed profile
    assert task.started_at and task.finished_at and task.duration is not None
    assert task.duration >= 0 and not task.resumable and task.error is None
    data = task.to_dict()
    assert data["status"] == "completed" and data["skipped"] == {"unchanged": 2}
    with pytest.raises(TaskError, match="no task with id 12345"):
        get_task(store, 12345)


def test_a_task_of_the_history_reports_the_same_outcome_table_as_its_run(store: Store) -> None:
    """One summary type: the history's row of a task is the TaskSummary its run
    returned, plus the history's columns, so the window and the command line
    show one table of outcomes for both."""
    world = build_world(store, n=8)
    task_id = make_task(store, SET_BERLIN, world.profile_ids)
    summary = run_task(
        store, task_id, Recorder(cancel_after=2).state, settings=settings(batch_size=4)
    )
    task = get_task(store, task_id)
    assert isinstance(task, TaskSummary) and task.id == task.task_id == task_id
    assert outcome_rows(task) == outcome_rows(summary)
    assert [(r.flat_label, r.count) for r in outcome_rows(task)] == [
        ("Selected", 8),
        ("Processed", 4),
        ("Changed", summary.changed),
        ("Skipped", summary.skipped_total),
        *[(f"Skipped: {reason_text(k)}", n) for k, n in summary.skipped.items()],
        ("Not processed", 4),
        ("Trigger events", summary.trigger_events),
    ]


def test_running_task_with_stale_heartbeat_is_interrupted(store: Store) -> None:
    world = build_world(store, n=2)
    stale = make_task(store, SET_BERLIN, world.profile_ids)
    fresh = make_task(store, SET_BERLIN, world.profile_ids)
    _set_running(store, stale, "elsewhere:1", m.utcnow() - dt.timedelta(minutes=30))
    _set_running(store, fresh, "elsewhere:1", m.utcnow())

    assert mark_interrupted(store) == [stale]
    assert get_task(store, stale).status == "interrupted"
    assert get_task(store, fresh).status == "running"


def test_running_task_whose_process_is_gone_is_interrupted_at_once(store: Store) -> None:
    world = build_world(store, n=2)
    gone_pid = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    dead = make_task(store, SET_BERLIN, world.profile_ids)
    alive = make_task(store, SET_BERLIN, world.profile_ids)
    mine = make_task(store, SET_BERLIN, world.profile_ids)
    host = socket.gethostname()
    _set_running(store, dead, f"{host}:{gone_pid}", m.utcnow())
    _set_running(store, alive, f"{host}:{os.getppid()}", m.utcnow())
    _set_running(store, mine, f"{host}:{os.getpid()}", m.utcnow())  # not running here

    assert sorted(mark_interrupted(store)) == sorted([dead, mine])
    assert [t.status for t in list_tasks(store)] == ["interrupted", "running", "interrupted"]


def test_export_csv_has_every_profile_with_outcome_and_reason(store: Store, tmp_path: Path) -> None:
    world = build_world(store, n=12)
    task_id = make_task(store, SET_BERLIN, world.profile_ids)
    run_task(store, task_id, Recorder(cancel_after=2).state, settings=settings(batch_size=5))
    path = tmp_path / "task.csv"

    assert export_task(store, task_id, path) == 12

    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["profile_id"]) for r in rows] == world.profile_ids
    first = rows[0]
    assert (first["outcome"], first["reason"], first["reason_text"]) == (
        "skipped",
        "unchanged",
        "already had the new value",
    )
    assert rows[1]["outcome"] == "changed" and rows[1]["reason"] == ""
    assert {r["outcome"] for r in rows[5:]} == {"not_processed"}


def test_retry_job_selects_exactly_the_chosen_outcomes(store: Store) -> None:
    world = build_world(store, n=12)
    task_id = make_task(store, SET_BERLIN, world.profile_ids)
    run_task(store, task_id, Recorder(cancel_after=2).state, settings=settings(batch_size=5))
    skipped = [pid for pid, o in outcomes(store, task_id).items() if o == "unchanged"]
    pending = [pid for pid, o in outcomes(store, task_id).items() if o is None]

    job = retry_job(store, task_id, ("not_processed",))
    assert job.action == SET_BERLIN and job.database == "Test customers"
    # the selection is evaluated in the database, not a list of ids in the document
    assert job.rules["rules"] == [
        {
            "field": "$task",
            "operator": "outcomeIn",
            "value": {"task": task_id, "outcomes": ["not_processed"]},
        }
    ]
    summary = run_job(store, job, Recorder().state, settings=settings())
    assert summary.selected == len(pending) == 7
    assert sorted(outcomes(store, summary.task_id)) == sorted(pending)

    again = run_job(
        store, retry_job(store, task_id, ["unchanged"]), Recorder().state, settings=settings()
    )
    assert sorted(outcomes(store, again.task_id)) == sorted(skipped)
    with pytest.raises(TaskError, match="unknown outcome 'bogus'"):
        retry_job(store, task_id, ("bogus",))
    done = run_job(
        store, retry_job(store, task_id, ("changed",)), Recorder().state, settings=settings()
    )
    with pytest.raises(TaskError, match="no profiles with those outcomes"):
        retry_job(store, done.task_id, ("not_processed",))
