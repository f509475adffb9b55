"""Resume after a killed process: kill -9 a runner in the middle of a batch's
transaction, then resume; no profile is processed twice and the end state
equals an uninterrupted run (both backends)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jobs_helpers import (
    Recorder,
    build_world,
    column_values,
    make_task,
    outcomes,
    settings,
    trigger_events,
)
from sqlalchemy import select

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.jobs import run_task
from bulkprofiles_gui.core.process import mark_interrupted
from bulkprofiles_gui.core.store import Store, open_store
from bulkprofiles_gui.core.tasks import get_task

N = 40
BATCH = 4
ACTION = {
    "type": "update_fields",
    "changes": [
        {"field": "bonus_points", "op": "increment", "value": 100},
        {"field": "city", "op": "set", "value": "Berlin"},
        {"field": "tags", "op": "add", "value": ["resumed"]},
    ],
}

#: The runner process: announces each batch from inside its open transaction
#: (after the action applied it, before the commit) and then dawdles there.
CHILD = textwrap.dedent(
    """
    import sys, time
    from bulkprofiles_gui.core.actions import update_fields
    from bulkprofiles_gui.core.config import Settings
    from bulkprofiles_gui.core.jobs import run_task
    from bulkprofiles_gui.core.progress import JobState
    from bulkprofiles_gui.core.store import open_store

    real = update_fields.apply_batch

    def slow_batch(conn, ctx, params, batch):
        real(conn, ctx, params, batch)
        print("in-batch", batch.lo, flush=True)
        time.sleep(0.3)

    update_fields.apply_batch = slow_batch
    store = open_store(sys.argv[1])
    settings = Settings(batch_size=int(sys.argv[3]), commit_seconds=0)  # a commit per batch
    run_task(store, int(sys.argv[2]), JobState(), settings=settings)
    print("finished", flush=True)
    """
)


def _state(store: Store, world: Any) -> dict[str, Any]:
    """Everything the job changes, keyed by profile position (ids may differ)."""
    index = {pid: i for i, pid in enumerate(world.profile_ids)}
    bonus = column_values(store, world.columns["bonus_points"])
    city = column_values(store, "city")
    lv = m.ProfileListValue
    with store.begin() as conn:
        tags = sorted(
            (index[int(pid)], v)
            for pid, v in conn.execute(
                select(lv.profile_id, lv.value).where(lv.field_id == world.fields["tags"])
            )
        )
    return {
        "bonus": [bonus[pid] for pid in world.profile_ids],
        "city": [city[pid] for pid in world.profile_ids],
        "tags": tags,
        "triggers": sorted((name, index[pid]) for name, pid in trigger_events(store)),
    }


@pytest.fixture
def second_store(store: Store, tmp_path: Path) -> Iterator[Store]:
    """A second empty store on the same backend as ``store``."""
    if store.dialect == "sqlite":
        other = open_store(f"sqlite:///{tmp_path / 'copy.sqlite3'}", create=True)
        yield other
        other.close()
    else:
        from conftest import pg_database_url

        urls = pg_database_url()
        url = next(urls)
        other = open_store(url, create=True)
        try:
            yield other
        finally:
            other.close()
            next(urls, None)


def test_resume_after_kill_9_repeats_nothing(store: Store, second_store: Store) -> None:
    world = build_world(store, n=N)
    task_id = make_task(store, ACTION, world.profile_ids)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, store.url, str(task_id), str(BATCH)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    assert child.stdout is not None
    seen = 0
    for line in child.stdout:
        if line.startswith("in-batch"):
            seen += 1
            if seen == 4:  # three batches committed, the fourth open
                os.kill(child.pid, signal.SIGKILL)
                break
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    assert get_task(store, task_id).status == "interrupted"  # listing marks it
    assert mark_interrupted(store) == []  # already marked
    task = get_task(store, task_id)
    assert task.processed == 3 * BATCH and task.changed == 3 * BATCH and task.resumable
    assert sum(1 for o in outcomes(store, task_id).values() if o is not None) == 3 * BATCH

    summary = run_task(store, task_id, Recorder().state, settings=settings(batch_size=BATCH))

    assert (summary.status, summary.processed, summary.changed) == ("completed", N, N)
    assert set(outcomes(store, task_id).values()) == {"changed"}
    resumed = _state(store, world)
    assert resumed["bonus"] == [i + 100 for i in range(N)]  # each profile exactly once

    other_world = build_world(second_store, n=N)
    other_task = make_task(second_store, ACTION, other_world.profile_ids)
    straight = run_task(
        second_store, other_task, Recorder().state, settings=settings(batch_size=BATCH)
    )
    assert (straight.changed, straight.skipped, straight.trigger_events) == (
        summary.changed,
        summary.skipped,
        summary.trigger_events,
    )
    assert _state(second_store, other_world) == resumed
