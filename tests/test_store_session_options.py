"""Every PostgreSQL connection of a store runs without JIT compilation
(``store.POSTGRES_SESSION_OPTIONS``), whatever the server's default; options
given in the store URL come after it, so an explicit choice there wins."""

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


def _server_default(url: str, name: str) -> str:
    """``SHOW name`` on a plain connection (no options of ours)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.exec_driver_sql(f"SHOW {name}").scalar_one())
    finally:
        engine.dispose()


def _store_setting(url: str, name: str) -> str:
    store = open_store(url, create=True)
    try:
        with store.begin() as conn:
            return str(conn.exec_driver_sql(f"SHOW {name}").scalar_one())
    finally:
        store.close()


def test_a_store_connection_runs_without_jit_where_the_server_has_it_on(pg_url: str) -> None:
    assert _server_default(pg_url, "jit") == "on"  # PostgreSQL's default: what we turn off
    assert _store_setting(pg_url, "jit") == "off"


def test_options_of_the_url_are_kept_and_win(pg_url: str) -> None:
    options = quote("-c jit=on -c work_mem=7MB")
    url = f"{pg_url}?options={options}"
    assert _store_setting(url, "jit") == "on"
    assert _store_setting(url, "work_mem") == "7MB"
