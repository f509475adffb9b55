"""Several batches per transaction (``Settings.commit_seconds``): batches of
one commit unit share its transaction, progress still comes after every
batch, a unit commits once its time is up, and a failure rolls the whole unit
back (the task then stands at the last commit).  Both backends."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from jobs_helpers import (
    INCREMENT,
    Recorder,
    break_batch,
    build_world,
    column_values,
    make_task,
    settings,
)
from sqlalchemy import create_engine, event, select

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.actions import update_fields
from bulkprofiles_gui.core.config import COMMIT_SECONDS
from bulkprofiles_gui.core.jobs import run_task
from bulkprofiles_gui.core.store import Store
from bulkprofiles_gui.core.tasks import get_task


class CommittedProgress:
    """Wraps update_fields.apply_batch: before each batch, reads the task's
    ``processed`` as another connection sees it (what is committed)."""

    def __init__(self, store: Store, task_id: int, pause: float = 0.0) -> None:
        self.engine = create_engine(store.url)
        self.task_id = task_id
        self.pause = pause
        self.seen: list[tuple[int, int]] = []  # (batch.lo, committed processed)
        self.real = update_fields.apply_batch

    def apply_batch(self, conn: Any, ctx: Any, params: Any, batch: Any) -> Any:
        with self.engine.connect() as other:
            committed = other.execute(
                select(m.Task.processed).where(m.Task.id == self.task_id)
            ).scalar_one()
        self.seen.append((batch.lo, int(committed)))
        time.sleep(self.pause)
        return self.real(conn, ctx, params, batch)


@pytest.fixture
def watch(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    made: list[CommittedProgress] = []

    def start(store: Store, task_id: int, pause: float = 0.0) -> CommittedProgress:
        watcher = CommittedProgress(store, task_id, pause)
        monkeypatch.setattr(update_fields, "apply_batch", watcher.apply_batch)
        made.append(watcher)
        return watcher

    yield start
    for watcher in made:
        watcher.engine.dispose()


def test_batches_share_one_transaction_and_report_progress_each(store: Store, watch: Any) -> None:
    world = build_world(store, n=12)
    bonus = world.columns["bonus_points"]
    before = column_values(store, bonus)
    task_id = make_task(store, INCREMENT, world.profile_ids)
    watcher = watch(store, task_id)
    rec = Recorder()

    summary = run_task(store, task_id, rec.state, settings=settings(batch_size=5))

    assert COMMIT_SECONDS >= 1  # three small batches take far less: one unit
    assert watcher.seen == [(0, 0), (5, 0), (10, 0)]  # nothing committed in between
    assert [(p.done, p.total) for p in rec.reports] == [(0, 12), (5, 12), (10, 12), (12, 12)]
    assert (summary.status, summary.processed, summary.changed) == ("completed", 12, 12)
    assert column_values(store, bonus) == {pid: v + 100 for pid, v in before.items()}
    task = get_task(store, task_id)
    assert (task.status, task.processed, task.changed) == ("completed", 12, 12)


def test_with_commit_seconds_zero_every_batch_commits(store: Store, watch: Any) -> None:
    world = build_world(store, n=12)
    task_id = make_task(store, INCREMENT, world.profile_ids)
    watcher = watch(store, task_id)

    run_task(store, task_id, Recorder().state, settings=settings(batch_size=5, commit_seconds=0))

    assert watcher.seen == [(0, 0), (5, 5), (10, 10)]


def test_a_unit_commits_once_its_time_is_up(store: Store, watch: Any) -> None:
    world = build_world(store, n=40)
    task_id = make_task(store, INCREMENT, world.profile_ids)
    watcher = watch(store, task_id, pause=0.1)  # each batch takes at least 0.1 s
    rec = Recorder()

    summary = run_task(
        store, task_id, rec.state, settings=settings(batch_size=5, commit_seconds=0.35)
    )

    assert summary.status == "completed" and summary.processed == 40
    los = [lo for lo, _ in watcher.seen]
    assert los == list(range(0, 40, 5))
    committed = [c for _, c in watcher.seen]
    assert committed == sorted(committed) and set(committed) <= set(los)
    # batches shared a transaction (a batch began with its predecessor uncommitted) ...
    assert any(c < lo for lo, c in watcher.seen)
    # ... and a unit committed once 0.35 s were up (at most four batches of 0.1 s)
    assert max(lo - c for lo, c in watcher.seen) <= 20
    assert any(c > 0 for c in committed)
    assert [p.done for p in rec.reports] == [0, *range(5, 40, 5), 40]  # after every batch


def test_a_failure_rolls_back_every_batch_of_its_unit(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(store, n=12)
    bonus = world.columns["bonus_points"]
    before = column_values(store, bonus)
    task_id = make_task(store, INCREMENT, world.profile_ids)
    calls = break_batch(monkeypatch, 2, error=RuntimeError("disk on fire"))
    rec = Recorder()
    summary = run_task(store, task_id, rec.state, settings=settings(batch_size=5))

    assert calls == [0, 5]
    assert (5, 12) in [(p.done, p.total) for p in rec.reports]  # the first batch was shown
    assert summary.status == "failed"
    assert (summary.processed, summary.changed) == (0, 0)  # back to the last commit
    assert column_values(store, bonus) == before  # both batches rolled back
    task = get_task(store, task_id)
    assert (task.status, task.processed, task.changed) == ("failed", 0, 0)


def test_progress_is_repeated_while_a_slow_commit_runs(store: Store) -> None:
    world = build_world(store, n=12)
    task_id = make_task(store, INCREMENT, world.profile_ids)
    rec = Recorder()

    def slow_disk(_conn: Any) -> None:  # every commit of the store takes 0.6 s more
        time.sleep(0.6)

    event.listen(store.engine, "commit", slow_disk)
    try:
        summary = run_task(store, task_id, rec.state, settings=settings(batch_size=5))
    finally:
        event.remove(store.engine, "commit", slow_disk)

    assert summary.status == "completed"
    done = [p.done for p in rec.reports]
    assert done[:3] == [0, 5, 10]  # the start, then a report after every batch
    # the last batch's report, repeated every 0.25 s while its commit ran, and
    # once more when it ended
    assert done[3:] == [12] * len(done[3:]) and len(done[3:]) >= 3
