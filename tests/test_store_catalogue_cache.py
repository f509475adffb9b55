"""The store's catalogue cache: a count reads the catalogue once, and sees every change.

``Store.cached`` keeps the field catalogue (and what selections compile
against) per store; a change of the catalogue through any store, in this
process or another, writes a new version that the next use notices.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, update

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core import selection
from bulkprofiles_gui.core.fields import FieldType
from bulkprofiles_gui.core.store import Store, open_store

RULES = {"combinator": "and", "not": False, "rules": [{"field": "id", "operator": ">", "value": 0}]}


@contextmanager
def statements(store: Store) -> Iterator[list[str]]:
    """The SQL statements the store's engine runs inside the block."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.append(sql)

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", record)


def _database(store: Store) -> int:
    with store.begin() as conn:
        return store.create_database(conn, "Shop")


def _keys(store: Store, database_id: int) -> list[str]:
    with store.begin() as conn:
        return [f.key for f in store.fields(conn, database_id)]


def test_a_second_count_reads_one_version_row_instead_of_the_catalogue(store: Store) -> None:
    db = _database(store)
    spec = selection.SelectionSpec(db, RULES, 0, 100, 0)
    with store.begin() as conn:
        selection.count(store, conn, spec)
    with statements(store) as seen, store.begin() as conn:
        assert selection.count(store, conn, spec) == 0
    catalogue_reads = [s for s in seen if "FROM fields" in s or "FROM resources" in s]
    assert catalogue_reads == []
    assert len([s for s in seen if "store_meta" in s]) == 1


def test_a_field_added_through_another_store_is_seen(store: Store) -> None:
    db = _database(store)
    assert "bonus" not in _keys(store, db)
    other = open_store(store.url)
    try:
        with other.begin() as conn:
            other.add_custom_field(conn, db, "bonus", "Bonus", FieldType.INTEGER)
    finally:
        other.close()
    assert "bonus" in _keys(store, db)


def test_a_renamed_field_shows_its_new_label(store: Store) -> None:
    db = _database(store)
    with store.begin() as conn:
        store.fields(conn, db)
        conn.execute(
            update(m.Field)
            .where(m.Field.database_id == db, m.Field.key == "city")
            .values(label="Town")
        )
    with store.begin() as conn:
        labels = {f.key: f.label for f in store.fields(conn, db)}
    assert labels["city"] == "Town"


def test_a_field_whose_creation_rolled_back_is_forgotten(store: Store) -> None:
    db = _database(store)
    with store.engine.connect() as conn, conn.begin() as transaction:
        store.add_custom_field(conn, db, "gone", "Gone", FieldType.TAGS)
        assert "gone" in [f.key for f in store.fields(conn, db)]
        transaction.rollback()
    assert "gone" not in _keys(store, db)


def test_the_cached_list_is_the_callers_own(store: Store) -> None:
    db = _database(store)
    with store.begin() as conn:
        store.fields(conn, db).clear()
    assert "email" in _keys(store, db)
