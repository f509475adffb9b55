"""Every PostgreSQL connection of a store runs without JIT compilation when
the server's defaults or configuration would have it on
(``store._JIT_OFF_UNLESS_CHOSEN``); a choice made for the client (the URL's
``options``, ``PGOPTIONS``), the role or the database stays, and so do the
client's other settings."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from conftest import pg_database_url
from sqlalchemy import create_engine

from bulkprofiles_gui.core.store import open_store


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from pg_database_url()


def _plain_setting(url: str, name: str) -> str:
    """``SHOW name`` on a plain connection (nothing of ours)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            return str(conn.exec_driver_sql(f"SHOW {name}").scalar_one())
    finally:
        engine.dispose()


def _store_setting(url: str, name: str) -> str:
    store = open_store(url, create=True)
    try:
        with store.begin() as conn:
            setting = str(conn.exec_driver_sql(f"SHOW {name}").scalar_one())
        with store.begin() as conn:  # the pool's next use: the session keeps it
            assert str(conn.exec_driver_sql(f"SHOW {name}").scalar_one()) == setting
        return setting
    finally:
        store.close()


def test_a_store_connection_runs_without_jit_where_the_server_has_it_on(pg_url: str) -> None:
    assert _plain_setting(pg_url, "jit") == "on"  # PostgreSQL's default: what we turn off
    assert _store_setting(pg_url, "jit") == "off"


def test_options_of_the_url_are_kept(pg_url: str) -> None:
    url = f"{pg_url}?options={quote('-c jit=on -c work_mem=7MB')}"
    assert _store_setting(url, "jit") == "on"
    assert _store_setting(url, "work_mem") == "7MB"


def test_pgoptions_of_the_environment_are_kept(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGOPTIONS", "-c jit=on -c statement_timeout=123s")
    assert _store_setting(pg_url, "jit") == "on"
    assert _store_setting(pg_url, "statement_timeout") == "123s"
    monkeypatch.setenv("PGOPTIONS", "-c statement_timeout=45s")
    assert _store_setting(pg_url, "jit") == "off"
    assert _store_setting(pg_url, "statement_timeout") == "45s"


def test_a_database_setting_is_kept(pg_url: str) -> None:
    name = pg_url.rsplit("/", 1)[1]
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET jit = on')
    finally:
        admin.dispose()
    assert _store_setting(pg_url, "jit") == "on"
