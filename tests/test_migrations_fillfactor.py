"""Revisions 0004 and 0005: ``profiles`` (``fillfactor`` 90) and
``task_profiles`` (45) keep room on their pages for updates in place on
PostgreSQL, on a new store and on an older store that ``open_store``
upgrades; SQLite stores are upgraded too, with only their ``schema_version``
changed.  On both backends; on PostgreSQL a job's outcome updates are then
all in place (HOT).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import pg_database_url
from migration_helpers import engine_of, upgrade_to
from sqlalchemy import Connection, inspect, text

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.actions import update_fields
from bulkprofiles_gui.core.actions.base import ActionContext, Batch
from bulkprofiles_gui.core.config import Settings
from bulkprofiles_gui.core.demo import DEFAULT_DATABASE_NAME, generate_demo
from bulkprofiles_gui.core.jobfile import Job
from bulkprofiles_gui.core.jobs import run_job
from bulkprofiles_gui.core.progress import JobState
from bulkprofiles_gui.core.store import open_store


def _fillfactor(url: str, table: str = "profiles") -> str | None:
    """The ``fillfactor`` storage parameter of ``table`` (None: the default)."""
    engine = engine_of(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name != "postgresql":
                return None
            options = conn.execute(
                text("SELECT reloptions FROM pg_class WHERE relname = :table"), {"table": table}
            ).scalar_one()
    finally:
        engine.dispose()
    found = [o.split("=", 1)[1] for o in options or () if o.startswith("fillfactor=")]
    return found[0] if found else None


def _schema_version(url: str) -> str:
    engine = engine_of(url)
    try:
        with engine.connect() as conn:
            return str(
                conn.execute(
                    text("SELECT value FROM store_meta WHERE key = 'schema_version'")
                ).scalar_one()
            )
    finally:
        engine.dispose()


def _expected(url: str, fillfactor: int = m.PROFILES_FILLFACTOR) -> str | None:
    return str(fillfactor) if url.startswith("postgresql") else None


def test_a_new_store_fills_profile_pages_to_the_models_fillfactor(store_url: str) -> None:
    open_store(store_url, create=True).close()
    assert _fillfactor(store_url) == _expected(store_url)
    assert m.PROFILES_FILLFACTOR == 90


def test_a_store_of_revision_0003_is_upgraded_to_the_fillfactor_keeping_its_profiles(
    store_url: str,
) -> None:
    upgrade_to(store_url, "0003")
    assert _fillfactor(store_url) is None
    assert _schema_version(store_url) == "3"

    store = open_store(store_url)
    try:
        assert store.upgrade is not None
        generate_demo(store, profiles=60, seed=2)
        with store.begin() as conn:
            profiles = conn.execute(text("SELECT count(*) FROM profiles")).scalar_one()
    finally:
        store.close()
    assert profiles == 60
    assert _fillfactor(store_url) == _expected(store_url)
    assert _schema_version(store_url) == str(m.SCHEMA_VERSION)


def test_a_new_store_fills_task_profile_pages_to_the_models_fillfactor(store_url: str) -> None:
    open_store(store_url, create=True).close()
    assert _fillfactor(store_url, "task_profiles") == _expected(store_url, 45)
    assert m.TASK_PROFILES_FILLFACTOR == 45


def test_a_store_of_revision_0004_is_upgraded_to_the_task_profiles_fillfactor(
    store_url: str,
) -> None:
    upgrade_to(store_url, "0004")
    assert _fillfactor(store_url, "task_profiles") is None
    assert _fillfactor(store_url) == _expected(store_url)
    assert _schema_version(store_url) == "4"

    store = open_store(store_url)
    try:
        assert store.upgrade is not None
    finally:
        store.close()
    assert _fillfactor(store_url, "task_profiles") == _expected(store_url, 45)
    assert _fillfactor(store_url) == _expected(store_url)
    assert _schema_version(store_url) == str(m.SCHEMA_VERSION) == "6"


#: A row of ``task_profiles`` seen from inside a batch: where its version was
#: before the action and where it is after, each as (page, item) of a ``ctid``.
Moved = tuple[tuple[int, int], tuple[int, int]]


def _versions(conn: Connection, batch: Batch) -> dict[int, tuple[int, int]]:
    """Each row of the batch: where its current version is, as (page, item)
    of its ``ctid``."""
    rows = conn.execute(
        text(
            "SELECT position, ctid::text FROM task_profiles"
            " WHERE task_id = :task AND position >= :lo AND position < :hi"
        ),
        {"task": batch.task_id, "lo": batch.lo, "hi": batch.hi},
    ).all()
    found: dict[int, tuple[int, int]] = {}
    for position, ctid in rows:
        page, item = ctid.strip("()").split(",")
        found[int(position)] = (int(page), int(item))
    return found


@pytest.fixture
def watched_batches(monkeypatch: pytest.MonkeyPatch) -> list[dict[int, Moved]]:
    """update_fields' batches seen from inside their own transaction: each
    row's version before and after the action (its outcome's update).  Not
    the server's statistics, which a backend reports late (when idle for a
    while, or when it ends) and, before PostgreSQL 15, over a channel that
    may drop them: a test reading them waits, and can miss them."""
    seen: list[dict[int, Moved]] = []
    real = update_fields.apply_batch

    def watched(
        conn: Connection, ctx: ActionContext, params: Any, batch: Batch
    ) -> dict[str, int] | None:
        before = _versions(conn, batch)
        counts = real(conn, ctx, params, batch)
        after = _versions(conn, batch)
        seen.append({pos: (before[pos], after[pos]) for pos in before})
        return counts

    monkeypatch.setattr(update_fields, "apply_batch", watched)
    return seen


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from pg_database_url()


def test_a_jobs_outcome_updates_stay_on_their_pages_on_postgresql(
    pg_url: str, watched_batches: list[dict[int, Moved]]
) -> None:
    """Each row's outcome is written as a new version on the row's own page:
    with ``outcome`` in no index, that is an update in place (HOT)."""
    store = open_store(pg_url, create=True)
    try:
        generate_demo(store, profiles=400, seed=3)
        with store.begin() as conn:
            found = inspect(conn)
            indexed: set[str | None] = set(
                found.get_pk_constraint("task_profiles")["constrained_columns"]
            )
            indexed |= {c for ix in found.get_indexes("task_profiles") for c in ix["column_names"]}
        job = Job.from_dict(
            {
                "database": DEFAULT_DATABASE_NAME,
                "rules": {"combinator": "and", "not": False, "rules": []},
                "action": {
                    "type": "update_fields",
                    "changes": [{"field": "city", "op": "set", "value": "Berlin"}],
                },
            },
            require_action=True,
        )
        summary = run_job(store, job, JobState(), settings=Settings(batch_size=50))
    finally:
        store.close()
    assert summary.status == "completed"
    assert summary.selected == 400
    assert "outcome" not in indexed
    rows = {pos: moved for batch in watched_batches for pos, moved in batch.items()}
    assert len(rows) == sum(len(batch) for batch in watched_batches) == 400
    rewritten = [pos for pos, (before, after) in rows.items() if after != before]
    assert len(rewritten) == 400  # every row's outcome written: a new version
    left_page = [pos for pos, (before, after) in rows.items() if after[0] != before[0]]
    assert left_page == []
