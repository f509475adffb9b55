"""The store: creation, typed columns, custom fields, and refusing what is not ours."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.fields import SYSTEM_FIELDS, FieldType
from bulkprofiles_gui.core.store import Store, StoreError, open_store


def test_new_store_has_system_fields_and_marker(store: Store) -> None:
    with store.begin() as conn:
        db_id = store.create_database(conn, "Customers")
        fields = store.fields(conn, db_id)
        marker = conn.execute(
            select(m.StoreMeta.value).where(m.StoreMeta.key == "marker")
        ).scalar_one()
    assert [f.key for f in fields] == [f.key for f in SYSTEM_FIELDS]
    assert marker == m.STORE_MARKER
    assert {f.key for f in fields if not f.editable} == {
        "id",
        "created_at",
        "updated_at",
        "last_interaction_at",
    }


def test_duplicate_database_name_is_refused(store: Store) -> None:
    with store.begin() as conn:
        store.create_database(conn, "Customers")
    with pytest.raises(StoreError, match="already exists"), store.begin() as conn:
        store.create_database(conn, "Customers")


def test_missing_database_name_lists_the_known_ones(store: Store) -> None:
    with store.begin() as conn:
        store.create_database(conn, "Customers")
        with pytest.raises(StoreError, match=r"no profile database named 'Nope'.*'Customers'"):
            store.database_id(conn, "Nope")


def test_custom_fields_compare_as_their_type(store: Store) -> None:
    """9 < 10 numerically and 2026-02-01 < 2026-10-01 as dates, on every backend."""
    with store.begin() as conn:
        db_id = store.create_database(conn, "Customers")
        age = store.add_custom_field(conn, db_id, "age", "Age", FieldType.INTEGER)
        score = store.add_custom_field(conn, db_id, "score", "Score", FieldType.FLOAT)
        seen = store.add_custom_field(conn, db_id, "seen_on", "Seen on", FieldType.DATE)
        fields = {f.key: f for f in store.fields(conn, db_id)}
        p = store.profiles
        age_c = store.field_column(fields["age"])
        score_c = store.field_column(fields["score"])
        seen_c = store.field_column(fields["seen_on"])
        conn.execute(
            insert(p),
            [
                {
                    "database_id": db_id,
                    age_c.name: 9,
                    score_c.name: 2.5,
                    seen_c.name: dt.date(2026, 2, 1),
                },
                {
                    "database_id": db_id,
                    age_c.name: 10,
                    score_c.name: 10.25,
                    seen_c.name: dt.date(2026, 10, 1),
                },
            ],
        )
        older = conn.execute(select(age_c).where(age_c > 9)).scalars().all()
        higher = conn.execute(select(score_c).where(score_c > 3)).scalars().all()
        later = conn.execute(select(seen_c).where(seen_c > dt.date(2026, 3, 1))).scalars().all()
    assert (age, score, seen) and older == [10]
    assert higher == [10.25]
    assert later == [dt.date(2026, 10, 1)]


def test_custom_columns_are_known_after_reopening(store_url: str) -> None:
    first = open_store(store_url, create=True)
    with first.begin() as conn:
        db_id = first.create_database(conn, "Customers")
        first.add_custom_field(
            conn, db_id, "loyalty", "Loyalty", FieldType.ENUM, ("bronze", "silver", "gold")
        )
        first.add_custom_field(conn, db_id, "tags", "Tags", FieldType.TAGS)
    first.close()
    again = open_store(store_url)
    try:
        with again.begin() as conn:
            fields = {f.key: f for f in again.fields(conn, db_id)}
        assert fields["loyalty"].options == ("bronze", "silver", "gold")
        assert fields["tags"].column_name is None  # list fields live in profile_list_values
        assert fields["loyalty"].column_name in again.profiles.c
    finally:
        again.close()


@pytest.mark.parametrize("key", ["1abc", "with space", "Caps", "drop;table", ""])
def test_bad_field_keys_are_refused(sqlite_store: Store, key: str) -> None:
    with sqlite_store.begin() as conn:
        db_id = sqlite_store.create_database(conn, "Customers")
        with pytest.raises(StoreError, match="field key"):
            sqlite_store.add_custom_field(conn, db_id, key, "X", FieldType.STRING)


def test_enum_field_needs_options(sqlite_store: Store) -> None:
    with sqlite_store.begin() as conn:
        db_id = sqlite_store.create_database(conn, "Customers")
        with pytest.raises(StoreError, match="needs a list of options"):
            sqlite_store.add_custom_field(conn, db_id, "level", "Level", FieldType.ENUM)


@pytest.mark.parametrize(
    "url, message",
    [
        ("not a url", "malformed store URL"),
        ("mysql://x@localhost/db", "unsupported store URL"),
        ("postgresql+psycopg://nobody@127.0.0.1:1/none", "cannot reach the store"),
    ],
)
def test_bad_urls_get_one_clear_message(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        open_store(url)


def test_sqlite_file_of_another_program_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (body TEXT)")
    con.commit()
    con.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="another program"):
        open_store(f"sqlite:///{path}", create=True)
    assert path.read_bytes() == before


def test_non_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(StoreError, match="not an SQLite file"):
        open_store(f"sqlite:///{path}")
    assert path.read_text() == "hello"


def test_missing_store_is_not_created_without_create(tmp_path: Path) -> None:
    path = tmp_path / "nope.sqlite3"
    with pytest.raises(StoreError, match="no store at"):
        open_store(f"sqlite:///{path}")
    assert not path.exists()


def test_sqlite_store_uses_wal_and_foreign_keys(sqlite_store: Store) -> None:
    with sqlite_store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
