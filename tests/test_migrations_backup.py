"""The copy of an SQLite store before an upgrade is made only when a pending
revision changes more than ``schema_version`` there: each revision says so
(``SQLITE_ONLY_VERSION``), a version-only one keeps its word, a store at 0003
or 0004 is upgraded to head without a copy and says nothing of one (command
line, window status bar, notice), a store at 0001 or 0002 still gets its copy.
Upgrades on both backends; the dumps of SQLite files where the point is SQLite.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from migration_helpers import engine_of, make_store_at, upgrade_to
from sqlalchemy import text

from bulkprofiles_gui.cli import main
from bulkprofiles_gui.core import migrations
from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.store import open_store

#: Each revision and whether it changes nothing on SQLite but ``schema_version``.
#: A new revision fails the first test until it is added here, after its
#: author has decided (and declared ``SQLITE_ONLY_VERSION`` in its module).
VERSION_ONLY_ON_SQLITE = {
    "0001": False,
    "0002": False,
    "0003": False,
    "0004": True,
    "0005": True,
    "0006": True,
}


def sqlite_path(url: str) -> Path | None:
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def copies_beside(path: Path) -> list[str]:
    """The names of the files next to ``path`` that look like copies of it."""
    return sorted(p.name for p in path.parent.iterdir() if ".bak" in p.name)


def dump(path: Path) -> set[str]:
    """Every statement that rebuilds the SQLite file: its schema and rows."""
    conn = sqlite3.connect(path)
    try:
        return set(conn.iterdump())
    finally:
        conn.close()


def profile_count(url: str) -> int:
    engine = engine_of(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM profiles")).scalar_one())
    finally:
        engine.dispose()


# -- what each revision declares -------------------------------------------------------


def test_every_revision_declares_whether_it_changes_only_the_version_on_sqlite() -> None:
    declared = {
        script.revision: getattr(script.module, "SQLITE_ONLY_VERSION", "not declared")
        for script in migrations.script_directory().walk_revisions()
    }
    assert declared == VERSION_ONLY_ON_SQLITE
    assert all(type(flag) is bool for flag in declared.values())


@pytest.mark.parametrize(
    ("revision", "target", "changes"),
    [
        (None, "head", True),
        ("0001", "head", True),
        ("0002", "head", True),
        ("0002", "0003", True),
        ("0003", "head", False),
        ("0003", "0004", False),
        ("0004", "head", False),
        ("0005", "head", False),
        ("0006", "head", False),
    ],
)
def test_changes_sqlite_asks_the_revisions_still_to_run(
    revision: str | None, target: str, changes: bool
) -> None:
    assert migrations.changes_sqlite(revision, target) is changes


@pytest.mark.parametrize(
    "revision", [r for r, only_version in VERSION_ONLY_ON_SQLITE.items() if only_version]
)
def test_a_version_only_revision_changes_nothing_else_in_an_sqlite_file(
    tmp_path: Path, revision: str
) -> None:
    """The flag is true: the file's dump (schema and rows) differs only in the
    two rows that name the revision."""
    path = tmp_path / "store.sqlite3"
    url = f"sqlite:///{path}"
    below = migrations.script_directory().get_revision(revision).down_revision
    assert isinstance(below, str)
    make_store_at(url, below)
    before = dump(path)

    upgrade_to(url, revision)
    after = dump(path)

    def version_rows(number: str) -> set[str]:
        return {
            f"INSERT INTO \"alembic_version\" VALUES('{number}');",
            f"INSERT INTO \"store_meta\" VALUES('schema_version','{int(number)}');",
        }

    assert before - after == version_rows(below)
    assert after - before == version_rows(revision)
    assert any(line.startswith('INSERT INTO "profiles"') for line in after)


# -- upgrading a store ---------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("revision", ["0003", "0004"])
def test_a_store_needing_only_version_only_revisions_is_upgraded_without_a_copy(
    store_url: str, revision: str
) -> None:
    make_store_at(store_url, revision)
    path = sqlite_path(store_url)
    copies = copies_beside(path) if path else []

    store = open_store(store_url)
    store.close()

    upgrade = store.upgrade
    assert upgrade is not None and upgrade.backup is None
    assert upgrade.notice == (
        f"upgraded the store from schema version {int(revision)} to {m.SCHEMA_VERSION}"
    )
    assert store.upgrade_notice == upgrade.notice
    assert upgrade.brief == f"Store upgraded to schema {m.SCHEMA_VERSION}"
    if path is not None:
        assert copies_beside(path) == copies == []
    assert profile_count(store_url) == 60
    reopened = open_store(store_url)
    reopened.close()
    assert reopened.upgrade is None


@pytest.mark.postgres
@pytest.mark.parametrize("revision", ["0001", "0002"])
def test_a_store_needing_a_revision_that_changes_tables_still_gets_its_copy(
    store_url: str, revision: str
) -> None:
    make_store_at(store_url, revision)

    store = open_store(store_url)
    store.close()

    upgrade = store.upgrade
    assert upgrade is not None
    head = m.SCHEMA_VERSION
    said = f"upgraded the store from schema version {int(revision)} to {head}"
    path = sqlite_path(store_url)
    if path is None:
        assert upgrade.backup is None
        assert upgrade.notice == said
        return
    copy = path.with_name(f"{path.name}.before-{m.SCHEMA_REVISION}.bak")
    assert upgrade.backup == copy
    assert copies_beside(path) == [copy.name]
    assert upgrade.notice == f"{said}; backup of the old store: {copy}"
    assert upgrade.brief == f"Store upgraded to schema {head}; backup: {copy.name}"
    saved = sqlite3.connect(copy)
    try:
        assert saved.execute("SELECT version_num FROM alembic_version").fetchall() == [(revision,)]
        assert saved.execute("SELECT count(*) FROM profiles").fetchone() == (60,)
    finally:
        saved.close()


@pytest.mark.postgres
def test_the_command_line_says_the_upgrade_without_a_copy_in_one_line(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    make_store_at(store_url, "0004")

    code = main(["info", "--db", store_url])

    out, err = capsys.readouterr()
    assert code == 0
    assert err == f"bulkprofiles: upgraded the store from schema version 4 to {m.SCHEMA_VERSION}\n"
    assert f"(schema version {m.SCHEMA_VERSION})" in out.splitlines()[0]
    path = sqlite_path(store_url)
    if path is not None:
        assert copies_beside(path) == []
