"""The job runner: batches, progress, cancel, resume, failure, dry run (both backends)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from jobs_helpers import (
    INCREMENT,
    DisplayGone,
    Recorder,
    break_batch,
    build_world,
    column_values,
    data_digest,
    make_task,
    outcomes,
    settings,
    task_with_slow_freeze,
)
from sqlalchemy import delete, select, update

from bulkprofiles_gui.core import jobs
from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.jobs import TaskError, run_task
from bulkprofiles_gui.core.store import Store
from bulkprofiles_gui.core.tasks import get_task


def test_runs_in_batches_reporting_progress_after_each(store: Store) -> None:
    world = build_world(store, n=12)
    bonus = world.columns["bonus_points"]
    before = column_values(store, bonus)
    task_id = make_task(store, INCREMENT, world.profile_ids)
    rec = Recorder()

    summary = run_task(store, task_id, rec.state, settings=settings(batch_size=5))

    assert summary.status == "completed"
    assert (summary.selected, summary.processed, summary.changed) == (12, 12, 12)
    assert [(p.done, p.total) for p in rec.reports] == [(0, 12), (5, 12), (10, 12), (12, 12)]
    assert column_values(store, bonus) == {pid: v + 100 for pid, v in before.items()}
    assert set(outcomes(store, task_id).values()) == {"changed"}
    task = get_task(store, task_id)
    assert task.status == "completed" and task.finished_at is not None
    assert (task.selected, task.processed, task.changed) == (12, 12, 12)


def test_cancel_stops_between_batches_with_partial_counts(store: Store) -> None:
    world = build_world(store, n=12)
    bonus = world.columns["bonus_points"]
    before = column_values(store, bonus)
    task_id = make_task(store, INCREMENT, world.profile_ids)
    rec = Recorder(cancel_after=2)  # the start report, then the first batch

    summary = run_task(store, task_id, rec.state, settings=settings(batch_size=5))

    assert summary.status == "cancelled"
    assert (summary.processed, summary.changed) == (5, 5)
    after = column_values(store, bonus)
    first, rest = world.profile_ids[:5], world.profile_ids[5:]
    assert all(after[pid] == before[pid] + 100 for pid in first)
    assert all(after[pid] == before[pid] for pid in rest)
    assert [outcomes(store, task_id)[pid] for pid in rest] == [None] * len(rest)
    task = get_task(store, task_id)
    assert task.status == "cancelled" and task.changed == 5 and task.resumable


def test_resume_after_cancel_continues_without_repeating(store: Store) -> None:
    world = build_world(store, n=12)
    bonus = world.columns["bonus_points"]
    before = column_values(store, bonus)
    task_id = make_task(store, INCREMENT, world.profile_ids)
    run_task(store, task_id, Recorder(cancel_after=2).state, settings=settings(batch_size=5))

    summary = run_task(store, task_id, Recorder().state, settings=settings(batch_size=5))

    assert summary.status == "completed"
    assert (summary.processed, summary.changed) == (12, 12)
    assert column_values(store, bonus) == {pid: v + 100 for pid, v in before.items()}


def test_failure_inside_a_batch_rolls_it_back_and_marks_the_task_failed(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(store, n=12)
    bonus = world.columns["bonus_points"]
    before = column_values(store, bonus)
    task_id = make_task(store, INCREMENT, world.profile_ids)
    real = jobs._apply_batch
    # The second batch changes its profiles, then fails.
    break_batch(monkeypatch, 2, error=RuntimeError("disk on fire\nsecond line"))
    summary = run_task(
        store, task_id, Recorder().state, settings=settings(batch_size=5, commit_seconds=0)
    )

    assert summary.status == "failed"
    assert summary.error == "RuntimeError: disk on fire"
    assert (summary.processed, summary.changed) == (5, 5)
    after = column_values(store, bonus)
    assert all(after[pid] == before[pid] + 100 for pid in world.profile_ids[:5])
    assert all(after[pid] == before[pid] for pid in world.profile_ids[5:])  # rolled back
    task = get_task(store, task_id)
    assert task.status == "failed" and task.error == "RuntimeError: disk on fire"
    assert task.error_detail is not None and "Traceback" in task.error_detail
    assert not task.resumable  # what failed it (a bug, bad input) would fail it again

    monkeypatch.setattr(jobs, "_apply_batch", real)
    refused = re.escape("cannot be resumed: it failed (RuntimeError: disk on fire)")
    with pytest.raises(TaskError, match=refused):
        run_task(store, task_id, Recorder().state, settings=settings(batch_size=5))
    assert get_task(store, task_id).status == "failed"
    assert column_values(store, bonus) == after  # the refused resume changed nothing


def test_dry_run_counts_the_same_and_changes_nothing(store: Store) -> None:
    world = build_world(store, n=12)
    action = {
        "type": "update_fields",
        "changes": [{"field": "city", "op": "set", "value": "Berlin"}],
    }
    digest = data_digest(store)
    dry_id = make_task(store, action, world.profile_ids, dry_run=True)
    dry = run_task(store, dry_id, Recorder().state, settings=settings(batch_size=5))
    assert data_digest(store) == digest
    assert dry.dry_run and dry.status == "completed"

    real_id = make_task(store, action, world.profile_ids)
    real = run_task(store, real_id, Recorder().state, settings=settings(batch_size=5))
    assert (dry.changed, dry.skipped) == (real.changed, real.skipped) == (9, {"unchanged": 3})
    assert outcomes(store, dry_id) == outcomes(store, real_id)
    assert data_digest(store) != digest


def test_profile_deleted_after_freezing_is_skipped_as_gone(store: Store) -> None:
    world = build_world(store, n=6)
    task_id = make_task(store, INCREMENT, world.profile_ids)
    gone = world.profile_ids[3]
    with store.begin() as conn:
        conn.execute(delete(store.profiles).where(store.profiles.c.id == gone))

    summary = run_task(store, task_id, Recorder().state, settings=settings())

    assert summary.changed == 5 and summary.skipped == {"profile_gone": 1}
    assert outcomes(store, task_id)[gone] == "profile_gone"


def test_completed_task_cannot_run_again(store: Store) -> None:
    world = build_world(store, n=3)
    task_id = make_task(store, INCREMENT, world.profile_ids)
    run_task(store, task_id, Recorder().state, settings=settings())
    with pytest.raises(TaskError, match=f"task {task_id} cannot be started: it is completed"):
        run_task(store, task_id, Recorder().state, settings=settings())
    with pytest.raises(TaskError, match="no task with id 999"):
        run_task(store, 999, Recorder().state, settings=settings())


def test_task_running_in_a_live_process_is_not_started_twice(store: Store) -> None:
    """A task whose runner is alive (here: this test's parent, pid 1-like) stays running."""
    import os
    import socket

    world = build_world(store, n=3)
    task_id = make_task(store, INCREMENT, world.profile_ids)
    with store.begin() as conn:
        conn.execute(
            update(m.Task)
            .where(m.Task.id == task_id)
            .values(
                status="running",
                runner=f"{socket.gethostname()}:{os.getppid()}",
                heartbeat_at=m.utcnow(),
            )
        )
    with pytest.raises(TaskError, match="cannot be started: it is running"):
        run_task(store, task_id, Recorder().state, settings=settings())
    with store.begin() as conn:
        status = conn.execute(select(m.Task.status).where(m.Task.id == task_id)).scalar_one()
    assert status == "running"


def test_batches_shrink_when_slow(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch slower than the target halves the next one, so progress stays frequent."""
    from bulkprofiles_gui.core import jobs

    world = build_world(store, n=16)
    task_id = make_task(store, INCREMENT, world.profile_ids)
    monkeypatch.setattr(jobs, "TARGET_BATCH_SECONDS", 0.0)
    monkeypatch.setattr(jobs, "MIN_BATCH", 2)
    rec = Recorder()
    run_task(store, task_id, rec.state, settings=settings(batch_size=8))
    assert [p.done for p in rec.reports] == [0, 8, 12, 14, 16]


def test_progress_keeps_coming_while_the_selection_is_frozen(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Freezing is one statement; meanwhile "0 of 0" is reported every tick."""
    task_id = task_with_slow_freeze(store, monkeypatch)
    rec = Recorder()
    summary = run_task(store, task_id, rec.state, settings=settings())
    ticks = [p for p in rec.reports if p.total == 0]
    assert len(ticks) >= 2 and all(p.done == 0 for p in ticks)
    assert (summary.selected, summary.changed) == (4, 4)
    assert (rec.reports[-1].done, rec.reports[-1].total) == (4, 4)


def test_a_report_failing_while_freezing_costs_the_reports_not_the_task(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A progress report raising in the ticker (a window gone, a closed pipe)
    is the operator's display, not the job: the task completes, the error is
    in the log, no helper thread prints a traceback, and no report follows."""
    from bulkprofiles_gui.core.faults import log_path
    from bulkprofiles_gui.core.progress import JobState

    task_id = task_with_slow_freeze(store, monkeypatch)
    display = DisplayGone(monkeypatch)
    summary = run_task(store, task_id, JobState(on_progress=display), settings=settings())
    assert (summary.status, summary.error) == ("completed", None)
    assert (summary.selected, summary.changed) == (4, 4)
    assert len(display.calls) == 1 and display.calls[0].total == 0  # the failed tick: the last
    assert display.thread_errors == []
    assert DisplayGone.MESSAGE in log_path().read_text(encoding="utf-8")


def test_classify_gives_each_pending_row_of_the_batch_its_outcome(store: Store) -> None:
    from sqlalchemy import case, literal

    from bulkprofiles_gui.core.actions.base import Batch, classify, skip_when

    world = build_world(store, n=6)
    task_id = make_task(store, INCREMENT, world.profile_ids)
    ids = world.profile_ids

    def outcome(pid: Any) -> Any:
        return case(
            (pid.in_(ids[0:2]), literal("unchanged")),
            (pid.in_(ids[1:3]), literal("no_contact")),
            else_=literal("changed"),
        )

    with store.begin() as conn:
        classify(conn, Batch(task_id, 0, 4), outcome)  # positions 0..3 only
        classify(conn, Batch(task_id, 4, 6), skip_when("no_contact", lambda pid: pid == ids[5]))
        with pytest.raises(ValueError, match="unknown outcome 'bogus'"):
            skip_when("bogus", lambda pid: pid.in_(ids))
    got = outcomes(store, task_id)
    assert [got[pid] for pid in ids] == [
        "unchanged",
        "unchanged",  # first reason wins
        "no_contact",
        "changed",
        "changed",  # second batch: skip_when's condition does not hold
        "no_contact",
    ]


BAD_RULE = {"field": "x", "operator": "=", "value": 1}


@pytest.mark.parametrize(
    ("top", "error", "message"),
    [
        ({"database": "Nope"}, "StoreError", "no profile database named 'Nope'"),
        (
            {
                "rules": {
                    "combinator": "and",
                    "rules": [{"field": "x", "operator": "=", "value": 1}],
                }
            },
            "RuleError",
            "rules[0]",
        ),
        ({"action": {"type": "update_fields", "changes": []}}, "ActionError", "changes"),
    ],
)
def test_prepare_task_refuses_a_wrong_job_and_writes_nothing(
    store: Store, top: dict, error: str, message: str
) -> None:
    from jobs_helpers import job_for

    from bulkprofiles_gui.core.jobs import prepare_task

    build_world(store, n=3)
    digest = data_digest(store)
    raw = {"database": "Test customers", "action": INCREMENT, **top}
    job = job_for(raw.pop("action"), **raw)
    with pytest.raises(Exception) as caught:
        prepare_task(store, job, settings=settings())
    assert type(caught.value).__name__ == error and message in str(caught.value)
    with store.begin() as conn:
        assert conn.execute(select(m.Task.id)).first() is None
    assert data_digest(store) == digest
