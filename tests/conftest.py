"""Shared fixtures.

``store`` runs a test on every backend: a real SQLite file, and a fresh
database on the real PostgreSQL server named by ``BULKPROFILES_TEST_PG_URL``
(scripts/pg.sh starts one; without it the PostgreSQL variants are skipped,
except under CI where a missing server is an error).  ``sqlite_store`` is for
tests that are about behaviour above the SQL layer.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bulkprofiles_gui.core.store import Store, open_store

PG_URL = os.environ.get("BULKPROFILES_TEST_PG_URL")


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Settings, the embedded store and the log never touch the real user directories."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("BULKPROFILES_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("BULKPROFILES_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("BULKPROFILES_LOG_DIR", str(home / "log"))
    monkeypatch.delenv("BULKPROFILES_DB_URL", raising=False)


def pg_database_url() -> Iterator[str]:
    """Yields the URL of a new database on the test server, dropped afterwards."""
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must run the store tests on PostgreSQL: BULKPROFILES_TEST_PG_URL unset")
        pytest.skip("no PostgreSQL server (run scripts/test.sh, which starts one)")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty store location on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite3'}"
    else:
        yield from pg_database_url()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A new, empty store on each backend."""
    opened = open_store(store_url, create=True)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}", create=True)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def demo_store(store: Store) -> Store:
    """The ``store`` fixture (both backends) holding a small demo database.

    400 profiles, seed 1, named "Demo customers" (``DEMO_DATABASE``), made by
    ``bulkprofiles_gui.core.demo.generate_demo`` relative to the current time.
    """
    from bulkprofiles_gui.core.demo import generate_demo

    generate_demo(store, profiles=400, seed=1, database_name=DEMO_DATABASE)
    return store


DEMO_DATABASE = "Demo customers"
