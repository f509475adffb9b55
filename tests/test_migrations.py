"""Schema migrations: an older store is upgraded by ``open_store`` (with a backup
of an SQLite file first), keeps every row and its custom-field columns, and says
so once; a store of a newer bulkprofiles is refused untouched.  On both backends.

An "old store" is what bulkprofiles made before Alembic (``migration_helpers``).
The window's notice is tested in ``tests/gui/test_store_upgrade_notice.py``.
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import pg_database_url
from migration_helpers import LUCKY, engine_of, fill_old_store, make_old_store, upgrade_to
from sqlalchemy import func, inspect, select, text, update

from bulkprofiles_gui.cli import main
from bulkprofiles_gui.core import migrations
from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.store import StoreError, open_store

#: What revision 0002 adds to (or removes from) an old store.
LATE_INDEXES = {
    "profiles": "ix_profiles_database_city_registered",
    "promo_codes": "ix_promo_codes_profile",
}
DROPPED_INDEX = ("task_profiles", "ix_task_profiles_task_outcome")


# -- making and reading stores ---------------------------------------------------------


def table_columns(url: str) -> dict[str, list[str]]:
    engine = engine_of(url)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            return {
                table: [c["name"] for c in inspector.get_columns(table)]
                for table in inspector.get_table_names()
                if table not in ("alembic_version", "store_meta")
            }
    finally:
        engine.dispose()


def digest(url: str, columns: dict[str, list[str]]) -> dict[str, tuple[int, str]]:
    """(row count, sha256 of every row in primary-key order) of each table, over
    the given columns (those the store had before an upgrade)."""
    engine = engine_of(url)
    result = {}
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            for table, names in columns.items():
                key = ", ".join(inspector.get_pk_constraint(table)["constrained_columns"])
                cols = ", ".join(f'"{n}"' for n in names)
                rows = conn.execute(text(f'SELECT {cols} FROM "{table}" ORDER BY {key}')).all()
                sha = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
                result[table] = (len(rows), sha)
    finally:
        engine.dispose()
    return result


def schema_facts(url: str) -> dict[str, Any]:
    """Revision, schema_version, index names by table, columns of tasks."""
    engine = engine_of(url)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            tables = inspector.get_table_names()
            revisions = (
                conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
                if "alembic_version" in tables
                else None
            )
            version = conn.execute(
                select(m.StoreMeta.value).where(m.StoreMeta.key == "schema_version")
            ).scalar_one()
            return {
                "revisions": revisions,
                "schema_version": version,
                "indexes": {t: {ix["name"] for ix in inspector.get_indexes(t)} for t in tables},
                "task_columns": {c["name"] for c in inspector.get_columns("tasks")},
            }
    finally:
        engine.dispose()


def sqlite_path(url: str) -> Path | None:
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def folder_listing(url: str) -> list[str]:
    path = sqlite_path(url)
    return sorted(p.name for p in path.parent.iterdir()) if path else []


def set_version(url: str, *, revision: str | None, version: str) -> None:
    engine = engine_of(url)
    try:
        with engine.begin() as conn:
            if revision is None:
                conn.execute(text("DROP TABLE alembic_version"))
            else:
                conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
            conn.execute(
                update(m.StoreMeta).where(m.StoreMeta.key == "schema_version").values(value=version)
            )
    finally:
        engine.dispose()


@pytest.fixture
def old_store_url(store_url: str) -> str:
    """A filled store as made before Alembic, on each backend."""
    make_old_store(store_url)
    fill_old_store(store_url)
    return store_url


# -- the migrations themselves -----------------------------------------------------------


def test_the_schema_constants_name_the_migrations_head() -> None:
    assert migrations.head_revision() == m.SCHEMA_REVISION == f"{m.SCHEMA_VERSION:04d}"
    assert migrations.is_known(migrations.BASELINE)
    assert not migrations.is_known("0099")


@pytest.fixture
def twin_url(store_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty store location on the backend of ``store_url``."""
    if store_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'twin.sqlite3'}"
    else:
        yield from pg_database_url()


def _full_schema(url: str) -> dict[str, Any]:
    engine = engine_of(url)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            return {
                table: {
                    "columns": {
                        (c["name"], str(c["type"]), c["nullable"])
                        for c in inspector.get_columns(table)
                    },
                    "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
                    "indexes": {
                        (ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
                        for ix in inspector.get_indexes(table)
                    },
                    "foreign_keys": {
                        (
                            tuple(fk["constrained_columns"]),
                            fk["referred_table"],
                            tuple(fk["referred_columns"]),
                            fk["options"].get("ondelete"),
                        )
                        for fk in inspector.get_foreign_keys(table)
                    },
                    "unique": {
                        tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)
                    },
                }
                for table in inspector.get_table_names()
            }
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_migrations_from_nothing_build_the_schema_of_the_models(
    store_url: str, twin_url: str
) -> None:
    """The chain 0001 -> head gives what ``models`` creates for a new store, so a
    change of the models without its revision fails here."""
    upgrade_to(store_url)
    open_store(twin_url, create=True).close()
    assert _full_schema(store_url) == _full_schema(twin_url)
    assert (
        schema_facts(store_url)["revisions"]
        == schema_facts(twin_url)["revisions"]
        == [m.SCHEMA_REVISION]
    )
    assert schema_facts(store_url)["schema_version"] == str(m.SCHEMA_VERSION)


# -- upgrading an old store --------------------------------------------------------------


@pytest.mark.postgres
def test_an_old_store_is_upgraded_keeping_every_row(old_store_url: str) -> None:
    url = old_store_url
    columns = table_columns(url)
    before = digest(url, columns)
    facts = schema_facts(url)
    assert facts["revisions"] is None and facts["schema_version"] == "1"
    assert not set(LATE_INDEXES.values()) & set().union(*facts["indexes"].values())
    assert "runner" not in facts["task_columns"]
    listing = folder_listing(url)

    store = open_store(url)
    try:
        notice = store.upgrade_notice
        with store.begin() as conn:
            fields = {
                f.key: f for f in store.fields(conn, store.database_id(conn, "Demo customers"))
            }
            lucky = store.field_column(fields[LUCKY])
            wrong = conn.execute(
                select(func.count()).where(lucky.is_distinct_from(store.profiles.c.id % 97))
            ).scalar_one()
    finally:
        store.close()

    assert wrong == 0  # every profile kept its custom value
    after = schema_facts(url)
    assert after["revisions"] == [m.SCHEMA_REVISION]
    assert after["schema_version"] == str(m.SCHEMA_VERSION)
    for table, index in LATE_INDEXES.items():
        assert index in after["indexes"][table]
    assert DROPPED_INDEX[1] not in after["indexes"][DROPPED_INDEX[0]]
    assert "runner" in after["task_columns"]
    # 0003: the journal of tasks, and the columns that link a revert to its task
    assert {"revert_of", "journal", "journal_purged_at"} <= after["task_columns"]
    assert {t.__tablename__ for t in m.JOURNAL_TABLES} <= set(after["indexes"])
    assert digest(url, columns) == before
    assert before["profiles"][0] == 200 and before["task_profiles"][0] == 200
    assert notice is not None and "\n" not in notice
    assert notice.startswith(f"upgraded the store from schema version 1 to {m.SCHEMA_VERSION}")

    path = sqlite_path(url)
    if path is None:
        assert notice == f"upgraded the store from schema version 1 to {m.SCHEMA_VERSION}"
    else:
        backup = path.with_name(f"{path.name}.before-{m.SCHEMA_REVISION}.bak")
        assert notice.endswith(f"; backup of the old store: {backup}")
        sqlite_files = {f"{path.name}-wal", f"{path.name}-shm"}
        assert set(folder_listing(url)) - set(listing) - sqlite_files == {backup.name}
        old_url = f"sqlite:///{backup}"
        old = schema_facts(old_url)
        assert old["revisions"] is None and old["schema_version"] == "1"
        assert LATE_INDEXES["profiles"] not in old["indexes"]["profiles"]
        assert digest(old_url, columns) == before

    again_listing = folder_listing(url)
    reopened = open_store(url)
    reopened.close()
    assert reopened.upgrade_notice is None
    assert [n for n in folder_listing(url) if n.endswith(".bak")] == [
        n for n in again_listing if n.endswith(".bak")
    ]
    assert schema_facts(url)["revisions"] == [m.SCHEMA_REVISION]


@pytest.mark.postgres
def test_a_store_made_just_before_alembic_has_the_late_indexes_already(store_url: str) -> None:
    """The models gained the late indexes before Alembic came: the upgrade of
    such a store (today's schema, no alembic_version) must not trip over them."""
    open_store(store_url, create=True).close()
    set_version(store_url, revision=None, version="1")
    store = open_store(store_url)
    store.close()
    assert store.upgrade_notice is not None
    assert store.upgrade_notice.startswith(
        f"upgraded the store from schema version 1 to {m.SCHEMA_VERSION}"
    )
    facts = schema_facts(store_url)
    assert facts["revisions"] == [m.SCHEMA_REVISION]
    assert LATE_INDEXES["profiles"] in facts["indexes"]["profiles"]


@pytest.mark.postgres
def test_a_failed_upgrade_changes_nothing(old_store_url: str) -> None:
    """All the migrations run in one transaction: a damaged store (no
    promo_codes table) makes the second step fail, and the first step's
    index is rolled back with it."""
    url = old_store_url
    engine = engine_of(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE promo_codes"))
    finally:
        engine.dispose()
    columns = table_columns(url)
    before = digest(url, columns)

    with pytest.raises(StoreError) as caught:
        open_store(url)

    message = str(caught.value)
    assert "\n" not in message
    assert "from schema version 1 (revision none, made before migrations) failed" in message
    assert "nothing was changed" in message
    facts = schema_facts(url)
    assert facts["revisions"] is None and facts["schema_version"] == "1"
    assert LATE_INDEXES["profiles"] not in facts["indexes"]["profiles"]
    assert digest(url, columns) == before


# -- a newer store ---------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("revision", "version", "named"),
    [
        ("0099", "99", "schema version 99 (revision 0099)"),
        ("9f1c2d3e4b5a", "2", "schema version 2 (revision 9f1c2d3e4b5a)"),
        (None, "99", "schema version 99 (revision none, made before migrations)"),
    ],
)
def test_a_store_of_a_newer_version_is_refused_untouched(
    store_url: str, revision: str | None, version: str, named: str
) -> None:
    store = open_store(store_url, create=True)
    with store.begin() as conn:
        store.create_database(conn, "Customers")
    store.close()
    set_version(store_url, revision=revision, version=version)
    columns = table_columns(store_url)
    before = digest(store_url, columns)
    facts = schema_facts(store_url)
    path = sqlite_path(store_url)
    file_bytes = path.read_bytes() if path else None
    listing = folder_listing(store_url)

    with pytest.raises(StoreError) as caught:
        open_store(store_url)

    message = str(caught.value)
    assert "\n" not in message
    assert f"has {named}, made by a newer bulkprofiles" in message
    assert (
        f"this one knows up to schema version {m.SCHEMA_VERSION} (revision {m.SCHEMA_REVISION})"
        in message
    )
    assert schema_facts(store_url) == facts
    assert digest(store_url, columns) == before
    assert folder_listing(store_url) == listing
    if path is not None:
        assert path.read_bytes() == file_bytes


# -- what the operator sees ------------------------------------------------------------


@pytest.mark.postgres
def test_the_command_line_prints_the_notice_once_on_stderr(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    make_old_store(store_url)

    code = main(["info", "--db", store_url])
    out, err = capsys.readouterr()
    assert code == 0
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(
        f"bulkprofiles: upgraded the store from schema version 1 to {m.SCHEMA_VERSION}"
    )
    assert f"(schema version {m.SCHEMA_VERSION})" in out.splitlines()[0]

    code = main(["info", "--db", store_url])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert f"(schema version {m.SCHEMA_VERSION})" in out.splitlines()[0]


def test_opening_an_up_to_date_store_does_not_import_alembic(tmp_path: Path) -> None:
    """The start-up path: one cheap version check, no Alembic."""
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    open_store(url, create=True).close()
    probe = (
        "import sys\n"
        "from bulkprofiles_gui.core.store import open_store\n"
        f"open_store({url!r}).close()\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'alembic'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_the_backup_is_a_copy_of_the_file_including_its_wal(tmp_path: Path) -> None:
    """Rows still in the WAL (not checkpointed into the file) are in the copy."""
    path = tmp_path / "store.sqlite3"
    url = f"sqlite:///{path}"
    make_old_store(url)
    holder = sqlite3.connect(path)  # keeps the WAL from being checkpointed at close
    try:
        holder.execute("PRAGMA journal_mode=WAL")
        holder.execute("PRAGMA wal_autocheckpoint=0")
        holder.execute("INSERT INTO resources (name) VALUES ('Only in the WAL')")
        holder.commit()
        assert Path(f"{path}-wal").stat().st_size > 0
        store = open_store(url)
        store.close()
    finally:
        holder.close()
    backup = sqlite3.connect(path.with_name(f"{path.name}.before-{m.SCHEMA_REVISION}.bak"))
    try:
        names = [r[0] for r in backup.execute("SELECT name FROM resources")]
    finally:
        backup.close()
    assert names == ["Only in the WAL"]
