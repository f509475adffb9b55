"""Saved connections and their passwords, the same for the window and every
command (``core/credentials.py``); what is kept readable by its owner only.

The password of a saved connection is in the keyring and nowhere else: not in
the settings file, task records, job documents, the log, error lines or
``info``.  The settings file, a new SQLite store (with its WAL and
shared-memory files) and the log are readable by their owner only.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from conftest import pg_database_url
from file_keyring import FileKeyring
from sqlalchemy import select

from bulkprofiles_gui.cli import main
from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.config import DEFAULT_CONNECTION, Settings, settings_path
from bulkprofiles_gui.core.credentials import (
    connection_url,
    forget_connection,
    load_password,
    remember_connection,
    resolve_store_url,
    save_password,
)
from bulkprofiles_gui.core.demo import generate_demo
from bulkprofiles_gui.core.faults import log_exception, log_path
from bulkprofiles_gui.core.store import open_store

SECRET = "Sesame-7f3a"


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FileKeyring]:
    monkeypatch.setenv("TEST_KEYRING_FILE", str(tmp_path / "keyring.json"))
    previous = keyring.get_keyring()
    backend = FileKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_saved_connection_keeps_its_password_in_the_keyring_only(
    file_keyring: FileKeyring,
) -> None:
    settings = Settings()
    url = f"postgresql+psycopg://clerk:{SECRET}@db.example.com:5432/shop"
    assert remember_connection(settings, "Shop", url) is None
    settings.default_connection = "Shop"
    settings.save()

    text = settings_path().read_text(encoding="utf-8")
    assert SECRET not in text
    assert json.loads(text)["connections"]["Shop"] == (
        "postgresql+psycopg://clerk@db.example.com:5432/shop"
    )
    assert _mode(settings_path()) == 0o600
    assert file_keyring.get_password("bulkprofiles", "Shop") == SECRET

    loaded = Settings.load()
    assert loaded.resolve_url() == url  # the default connection, password filled in
    assert loaded.resolve_url("Shop") == url  # --db NAME
    assert loaded.resolve_url("postgresql+psycopg://clerk@db.example.com:5432/shop") == url
    assert resolve_store_url(loaded) == (url, "Shop")
    other = "postgresql+psycopg://other@elsewhere/x"
    assert loaded.resolve_url(other) == other  # not a saved connection: as given

    forget_connection(loaded, "Shop")
    assert loaded.default_connection == DEFAULT_CONNECTION and "Shop" not in loaded.connections
    assert file_keyring.get_password("bulkprofiles", "Shop") is None


def test_the_environment_url_of_a_saved_connection_gets_its_password(
    file_keyring: FileKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings()
    remember_connection(settings, "Shop", f"postgresql+psycopg://clerk:{SECRET}@db/shop")
    monkeypatch.setenv("BULKPROFILES_DB_URL", "postgresql+psycopg://clerk@db/shop")
    assert settings.resolve_url() == f"postgresql+psycopg://clerk:{SECRET}@db/shop"


def test_without_a_keyring_the_password_is_kept_for_this_process_only() -> None:
    from keyring.backends.fail import Keyring as NoKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    try:
        note = save_password("Laptop", SECRET)
        assert note is not None and "session only" in note
        assert load_password("Laptop") == SECRET
        settings = Settings(connections={"Laptop": "postgresql+psycopg://me@localhost/shop"})
        assert (
            connection_url(settings, "Laptop") == f"postgresql+psycopg://me:{SECRET}@localhost/shop"
        )
    finally:
        forget_connection(Settings(), "Laptop")
        keyring.set_keyring(previous)
    assert load_password("Laptop") is None


def test_a_new_sqlite_store_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "new" / "store.sqlite3"
    store = open_store(f"sqlite:///{path}", create=True)
    try:
        with store.begin() as conn:  # a write: the WAL and shared-memory files exist now
            store.create_database(conn, "Customers")
        made = [p for p in path.parent.iterdir() if p.name.startswith("store.sqlite3")]
        assert {p.name for p in made} >= {"store.sqlite3", "store.sqlite3-wal"}
        assert {p.name: _mode(p) for p in made} == {p.name: 0o600 for p in made}
    finally:
        store.close()


def test_the_log_hides_passwords_and_is_the_owners_only() -> None:
    try:
        raise RuntimeError(f"could not reach postgresql+psycopg://clerk:{SECRET}@db:5432/shop")
    except RuntimeError as exc:
        path = log_exception(exc, f"opening postgresql://clerk:{SECRET}@db/shop")
    assert path == log_path()
    text = path.read_text(encoding="utf-8")
    assert SECRET not in text and "clerk:***@db" in text and "Traceback" in text
    assert _mode(path) == 0o600


@pytest.fixture
def pg_url_with_password() -> Iterator[str]:
    """A store on the test server, its URL with a password (the test server
    trusts local connections, so any password is accepted and must be hidden)."""
    urls = pg_database_url()
    url = next(urls)
    store = open_store(url, create=True)
    try:
        generate_demo(store, profiles=200, seed=4)
    finally:
        store.close()
    yield url.replace("postgresql+psycopg://postgres@", f"postgresql+psycopg://postgres:{SECRET}@")
    next(urls, None)


def test_no_password_in_tasks_jobs_info_or_errors(
    pg_url_with_password: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = pg_url_with_password
    job = tmp_path / "job.json"
    job.write_text(
        json.dumps(
            {
                "database": "Demo customers",
                "limit": 20,
                "action": {
                    "type": "update_fields",
                    "changes": [{"field": "city", "op": "set", "value": "Oslo"}],
                },
            }
        ),
        encoding="utf-8",
    )
    assert main(["run", str(job), "--db", url]) == 0
    assert main(["info", "--db", url]) == 0
    assert main(["info", "--json", "--db", url]) == 0
    assert main(["tasks", "show", "1", "--json", "--db", url]) == 0
    assert main(["info", "--db", url.rsplit("/", 1)[0] + "/no_such_database"]) == 2
    out, err = capsys.readouterr()
    assert "postgres:***@" in out  # info names the store, without its password
    assert "bulkprofiles: error:" in err
    assert SECRET not in out and SECRET not in err

    store = open_store(url)
    try:
        with store.begin() as conn:
            rows = conn.execute(select(m.Task.__table__)).all()
    finally:
        store.close()
    assert rows and all(SECRET not in repr(tuple(r)) for r in rows)  # task records and jobs


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://clerk:{SECRET}@db:notaport/shop",  # make_url: ValueError
        f"clerk:{SECRET}@db/shop",  # no scheme
        f"postgresql://clerk:{SECRET}@[::1/shop",
        f"mysql://clerk:{SECRET}@db/shop",  # not a backend of ours
    ],
)
def test_a_wrong_url_with_a_password_is_one_line_without_it(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["info", "--db", url]) == 2
    err = capsys.readouterr().err
    (line,) = err.splitlines()
    assert line.startswith("bulkprofiles: error: ") and "clerk:***@" in line
    assert SECRET not in err
