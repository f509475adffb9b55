"""Revision 0006: the rows a task writes (frozen selection, journal, archive,
trigger events) carry no foreign key to ``tasks`` on PostgreSQL, where each
would be checked by a look-up query per inserted row, in a new store and in
one upgraded from revision 0005; on SQLite the keys stay.  (Jobs, journal
and revert on stores without the keys: every job test on PostgreSQL.)
"""

from __future__ import annotations

import pytest
from migration_helpers import engine_of, upgrade_to
from sqlalchemy import func, inspect, select

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.errors import TaskError
from bulkprofiles_gui.core.jobs import freeze_profile_ids
from bulkprofiles_gui.core.store import open_store

TABLES = sorted(model.__tablename__ for model in m.TASK_WRITTEN_TABLES)


def _keys_to_tasks(url: str) -> dict[str, list[tuple[str, ...]]]:
    """Per table of :data:`TABLES`: the columns of each foreign key to ``tasks``."""
    engine = engine_of(url)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            return {
                table: [
                    tuple(key["constrained_columns"])
                    for key in inspector.get_foreign_keys(table)
                    if key["referred_table"] == "tasks"
                ]
                for table in TABLES
            }
    finally:
        engine.dispose()


def _expected(url: str) -> dict[str, list[tuple[str, ...]]]:
    keys = [] if url.startswith("postgresql") else [("task_id",)]
    return {table: keys for table in TABLES}


def test_the_task_written_tables_are_the_tables_naming_a_task() -> None:
    """Every table with a ``task_id`` but ``tasks`` itself is in the list (a new
    one would otherwise keep a per-row check on PostgreSQL unnoticed)."""
    naming = sorted(
        table.name
        for table in m.Base.metadata.sorted_tables
        if "task_id" in table.c and table.name != "tasks"
    )
    assert naming == TABLES
    assert len(TABLES) == 9


def test_a_new_store_has_task_keys_on_sqlite_only(store_url: str) -> None:
    open_store(store_url, create=True).close()
    assert _keys_to_tasks(store_url) == _expected(store_url)


def test_a_store_of_revision_0005_loses_its_task_keys_on_postgresql_only(
    store_url: str,
) -> None:
    upgrade_to(store_url, "0005")
    assert _keys_to_tasks(store_url) == {table: [("task_id",)] for table in TABLES}

    store = open_store(store_url)
    try:
        assert store.upgrade is not None
    finally:
        store.close()
    assert _keys_to_tasks(store_url) == _expected(store_url)


def test_freezing_profiles_for_a_task_that_does_not_exist_fails_and_writes_nothing(
    store_url: str,
) -> None:
    """What the foreign key said on PostgreSQL before 0006, for the tools and
    tests that freeze an explicit list."""
    store = open_store(store_url, create=True)
    try:
        with pytest.raises(TaskError, match="task 999 does not exist"):
            freeze_profile_ids(store, 999, [1, 2, 3])
        with store.begin() as conn:
            rows = conn.execute(select(func.count()).select_from(m.TaskProfile)).scalar_one()
    finally:
        store.close()
    assert rows == 0
