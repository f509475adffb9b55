"""How a commit unit (several batches in one transaction, ``Settings.commit_seconds``)
ends when it does not simply run out of time: a cancel commits the batches
done, a Ctrl-C rolls them back (the task resumes from the last commit), a
failure of the store in its third batch leaves the task interrupted at the
last commit (and the fault says so), and a progress report failing after
the unit's commit (a closed pipe) stops the reports, not the run.
Both backends."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from jobs_helpers import (
    INCREMENT,
    INCREMENT_AND_TAG,
    Recorder,
    break_batch,
    build_world,
    column_values,
    make_task,
    settings,
)
from sqlalchemy import event

from bulkprofiles_gui.core.faults import StoreFault, log_path
from bulkprofiles_gui.core.jobs import run_task
from bulkprofiles_gui.core.progress import JobState, Progress
from bulkprofiles_gui.core.store import Store
from bulkprofiles_gui.core.tasks import get_task


def test_a_cancel_in_a_unit_commits_the_batches_done(store: Store) -> None:
    world = build_world(store, n=12)
    bonus = world.columns["bonus_points"]
    before = column_values(store, bonus)
    task_id = make_task(store, INCREMENT, world.profile_ids)
    rec = Recorder(cancel_after=2)  # the start, then the first batch's report

    summary = run_task(store, task_id, rec.state, settings=settings(batch_size=5))

    assert (summary.status, summary.processed, summary.changed) == ("cancelled", 5, 5)
    task = get_task(store, task_id)
    assert (task.status, task.processed, task.changed) == ("cancelled", 5, 5)
    after = column_values(store, bonus)
    assert [after[p] - before[p] for p in world.profile_ids] == [100] * 5 + [0] * 7


class CtrlCAt:
    """Progress whose ``n``-th report meets a Ctrl-C (the second one: stop at once)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.seen = 0
        self.state = JobState(on_progress=self._on)

    def _on(self, _progress: Progress) -> None:
        self.seen += 1
        if self.seen == self.n:
            raise KeyboardInterrupt


def test_a_ctrl_c_in_a_unit_rolls_it_back_and_the_resume_ends_as_a_straight_run(
    store: Store,
) -> None:
    world = build_world(store, n=12)
    bonus = world.columns["bonus_points"]
    before = column_values(store, bonus)
    task_id = make_task(store, INCREMENT, world.profile_ids)

    with pytest.raises(KeyboardInterrupt):  # after the second batch, inside the unit
        run_task(store, task_id, CtrlCAt(3).state, settings=settings(batch_size=5))

    task = get_task(store, task_id)
    assert (task.status, task.processed, task.changed) == ("interrupted", 0, 0)
    assert task.resumable and column_values(store, bonus) == before
    summary = run_task(store, task_id, Recorder().state, settings=settings(batch_size=5))
    assert (summary.status, summary.processed, summary.changed) == ("completed", 12, 12)
    assert column_values(store, bonus) == {pid: v + 100 for pid, v in before.items()}


def _break_the_store(conn: Any) -> None:
    """A real fault of the store under the run's own connection."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_terminate_backend(pg_backend_pid())")
    else:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
        conn.exec_driver_sql(f"PRAGMA max_page_count={pages}")  # the disk is full


def test_a_store_fault_in_a_unit_leaves_the_task_at_its_last_commit(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(store, n=300)
    bonus = world.columns["bonus_points"]
    before = column_values(store, bonus)
    task_id = make_task(store, INCREMENT_AND_TAG, world.profile_ids)
    calls = break_batch(monkeypatch, 3, before=_break_the_store)
    with pytest.raises(StoreFault) as raised:
        run_task(store, task_id, Recorder().state, settings=settings(batch_size=100))

    assert calls == [0, 100, 200]
    assert str(raised.value).startswith(f"task {task_id} interrupted: ")
    assert raised.value.done == (0, 300)  # the unit's first two batches were not committed
    monkeypatch.undo()
    store.engine.dispose()  # the fault is gone: fresh connections
    task = get_task(store, task_id)
    assert (task.processed, task.changed) == (0, 0) and task.resumable
    assert column_values(store, bonus) == before
    summary = run_task(store, task_id, Recorder().state, settings=settings(batch_size=100))
    assert (summary.status, summary.processed, summary.changed) == ("completed", 300, 300)
    assert column_values(store, bonus) == {pid: v + 100 for pid, v in before.items()}


class BreaksAfterATick:
    """Progress that raises ``error`` at the first report of the main thread
    after one of the commit's ticker: a closed stderr pipe, or the operator's
    Ctrl-C."""

    def __init__(self, error: BaseException) -> None:
        self.error = error
        self.ticked = False
        self.broke = False
        self.state = JobState(on_progress=self._on)

    def _on(self, _progress: Progress) -> None:
        if threading.current_thread() is not threading.main_thread():
            self.ticked = True
        elif self.ticked:
            self.broke = True
            raise self.error


@contextmanager
def slow_commits(store: Store, seconds: float = 0.6) -> Iterator[None]:
    """Every commit takes ``seconds`` more (a slow disk): the commit ticks."""

    def slow_disk(_conn: Any) -> None:
        time.sleep(seconds)

    event.listen(store.engine, "commit", slow_disk)
    try:
        yield
    finally:
        event.remove(store.engine, "commit", slow_disk)


def test_a_report_failing_after_a_commit_stops_the_reports_not_the_run(store: Store) -> None:
    """The report after a long commit fails (its ticker reported, then the
    main thread's report meets a closed pipe): the unit stays committed, the
    run completes with the counters of the task's row, and the error is in
    the log."""
    world = build_world(store, n=12)
    task_id = make_task(store, INCREMENT, world.profile_ids)
    progress = BreaksAfterATick(BrokenPipeError(32, "Broken pipe"))

    with slow_commits(store):
        summary = run_task(store, task_id, progress.state, settings=settings(batch_size=5))

    task = get_task(store, task_id)
    assert progress.ticked and progress.broke
    assert (task.status, task.processed, task.changed) == ("completed", 12, 12)
    assert (summary.status, summary.processed, summary.changed) == ("completed", 12, 12)
    assert "BrokenPipeError" in log_path().read_text(encoding="utf-8")


def test_a_ctrl_c_right_after_a_commit_keeps_the_unit_and_the_resume_adds_nothing(
    store: Store,
) -> None:
    """A report's own errors no longer end a run; the operator's interrupt
    does, and the unit just committed stays."""
    world = build_world(store, n=12)
    bonus = world.columns["bonus_points"]
    before = column_values(store, bonus)
    task_id = make_task(store, INCREMENT, world.profile_ids)
    progress = BreaksAfterATick(KeyboardInterrupt())

    with slow_commits(store), pytest.raises(KeyboardInterrupt):
        run_task(store, task_id, progress.state, settings=settings(batch_size=5))

    task = get_task(store, task_id)
    assert progress.broke
    assert (task.status, task.processed, task.changed) == ("interrupted", 12, 12)
    summary = run_task(store, task_id, Recorder().state, settings=settings(batch_size=5))
    assert (summary.status, summary.processed, summary.changed) == ("completed", 12, 12)
    assert column_values(store, bonus) == {pid: v + 100 for pid, v in before.items()}
