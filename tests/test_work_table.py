"""The batch's work table (``actions/_work.py``): keyed by (profile, part),
empty at the start of every batch (several batches share a transaction), and
on SQLite kept in its key's b-tree (``WITHOUT ROWID``: one b-tree to write
and one look-up per state).  Both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError

from bulkprofiles_gui.core.actions import _work as work
from bulkprofiles_gui.core.store import Store


def test_each_batch_starts_with_an_empty_keyed_work_table(store: Store) -> None:
    row = {"profile_id": 7, "part": 0, "state": "changed"}
    with store.engine.connect() as conn, conn.begin():
        table = work.start(conn)
        conn.execute(insert(table), [row, {**row, "part": 1}])
        work.start(conn)  # the next batch, in the same transaction
        assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0
        conn.execute(insert(table), [row])
        with pytest.raises(IntegrityError), conn.begin_nested():
            conn.execute(insert(table), [{**row, "state": "unchanged"}])
        states = conn.execute(select(table.c.state)).scalars().all()
        assert states == ["changed"]


def test_on_sqlite_the_work_table_has_no_rowid(sqlite_store: Store) -> None:
    with sqlite_store.engine.connect() as conn, conn.begin():
        work.start(conn)
        sql = conn.execute(
            text("SELECT sql FROM sqlite_temp_master WHERE name = 'batch_work'")
        ).scalar_one()
    assert sql.rstrip().upper().endswith("WITHOUT ROWID")
