"""A batch whose action reads the store before its first write (the work
table's fill) still commits when another connection committed a write in
between: on SQLite the batch holds the write lock from its start, so it never
has to upgrade a read snapshot that went stale (SQLITE_BUSY_SNAPSHOT, which
no busy timeout waits out).  Both backends."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from jobs_helpers import INCREMENT, Recorder, build_world, column_values, make_task, settings
from sqlalchemy import Connection, update

from bulkprofiles_gui.core.actions import _work as work
from bulkprofiles_gui.core.jobs import run_task
from bulkprofiles_gui.core.store import Store


def test_a_write_committed_by_another_connection_during_a_batch_does_not_fail_it(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(store, n=12)
    selected, outside = world.profile_ids[:6], world.profile_ids[6]
    bonus = world.columns["bonus_points"]
    before = column_values(store, bonus)
    task_id = make_task(store, INCREMENT, selected)
    real = work.set_outcomes
    p = store.profiles
    writers: list[threading.Thread] = []

    def edit_elsewhere() -> None:
        with store.engine.connect() as other:
            other.execute(update(p).where(p.c.id == outside).values(city="Lisbon"))
            other.commit()

    def another_writer_commits_first(conn: Connection, *args: Any) -> int:
        # Between the batch's fill (a read of the store) and its first write
        # of task_profiles, another connection writes (the operator edits a
        # profile, another task's batch, ...).  It commits at once unless the
        # batch holds the write lock (SQLite): then it waits for the batch.
        writer = threading.Thread(target=edit_elsewhere)
        writer.start()
        writer.join(timeout=1.0)
        writers.append(writer)
        return real(conn, *args)

    monkeypatch.setattr(work, "set_outcomes", another_writer_commits_first)
    summary = run_task(store, task_id, Recorder().state, settings=settings(batch_size=100))
    for writer in writers:
        writer.join()

    assert (summary.status, summary.changed) == ("completed", 6)
    assert column_values(store, "city")[outside] == "Lisbon"  # the other write went in too
    after = column_values(store, bonus)
    assert all(after[pid] == before[pid] + 100 for pid in selected)
