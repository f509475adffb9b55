"""Revisions 0004 and 0005: ``profiles`` (``fillfactor`` 90) and
``task_profiles`` (45) keep room on their pages for updates in place on
PostgreSQL, on a new store and on an older store that ``open_store``
upgrades; SQLite stores are upgraded too, with only their ``schema_version``
changed.  On both backends; on PostgreSQL a job's outcome updates are then
all in place (HOT).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from conftest import pg_database_url
from migration_helpers import engine_of
from sqlalchemy import text

from bulkprofiles_gui.core import migrations
from bulkprofiles_gui.core import models as m
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
    engine = engine_of(store_url)
    try:
        with engine.begin() as conn:
            migrations.upgrade(conn, "0003")
    finally:
        engine.dispose()
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
    engine = engine_of(store_url)
    try:
        with engine.begin() as conn:
            migrations.upgrade(conn, "0004")
    finally:
        engine.dispose()
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
    assert _schema_version(store_url) == str(m.SCHEMA_VERSION) == "5"


def _task_profile_updates(url: str) -> tuple[int, int]:
    """(updates, of them in place) of ``task_profiles`` as the server's
    statistics have them, once the runner's connections have reported theirs
    (a backend sends its counts when idle or when it ends: waits up to 20 s)."""
    engine = engine_of(url)
    deadline = time.monotonic() + 20
    try:
        while True:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
                updated, hot = conn.execute(
                    text(
                        "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables"
                        " WHERE relname = 'task_profiles'"
                    )
                ).one()
            if updated >= 400 or time.monotonic() > deadline:
                return int(updated), int(hot)
            time.sleep(0.2)
    finally:
        engine.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from pg_database_url()


def test_a_jobs_outcome_updates_stay_on_their_pages_on_postgresql(pg_url: str) -> None:
    store = open_store(pg_url, create=True)
    try:
        generate_demo(store, profiles=400, seed=3)
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
    updated, hot = _task_profile_updates(pg_url)
    assert updated == 400  # every row's outcome written once
    assert hot == updated
