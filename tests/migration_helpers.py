"""Old stores for the migration tests: what bulkprofiles made before Alembic.

That is the first schema (revision 0001's DDL), ``schema_version`` 1 in
``store_meta`` and no ``alembic_version`` table, filled through a ``Store``
opened without ``open_store`` (which would upgrade it).
"""

from __future__ import annotations

from sqlalchemy import Engine, insert, text, update

from bulkprofiles_gui.core import migrations
from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.demo import generate_demo
from bulkprofiles_gui.core.fields import FieldType
from bulkprofiles_gui.core.store import Store, make_engine

#: The custom field ``fill_old_store`` adds: ``profiles.id % 97`` in every profile.
LUCKY = "lucky_number"


def engine_of(url: str) -> Engine:
    """A plain engine (the store's own settings), not an opened ``Store``."""
    return make_engine(url)


def make_old_store(url: str) -> None:
    """An empty location -> a store as bulkprofiles made it before Alembic."""
    engine = engine_of(url)
    try:
        with engine.begin() as conn:
            migrations.upgrade(conn, migrations.BASELINE)
            conn.execute(text("DROP TABLE alembic_version"))
    finally:
        engine.dispose()


def fill_old_store(url: str) -> None:
    """A small demo, a custom field with a value in every profile, and a task."""
    store = Store(make_engine(url), url)
    try:
        store.refresh_schema()
        summary = generate_demo(store, profiles=200, seed=3)
        with store.begin() as conn:
            field_id = store.add_custom_field(
                conn, summary.database_id, LUCKY, "Lucky number", FieldType.INTEGER
            )
            lucky = store.profiles.c[f"cf_{field_id}"]
            conn.execute(update(store.profiles).values({lucky: store.profiles.c.id % 97}))
            task_id = conn.execute(
                insert(m.Task)
                .values(action_type="update_fields", job={}, database_name="Demo customers")
                .returning(m.Task.id)
            ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO task_profiles (task_id, position, profile_id, outcome) "
                    "SELECT :task, id, id, 'changed' FROM profiles"
                ),
                {"task": task_id},
            )
    finally:
        store.close()


def upgrade_to(url: str, revision: str = "head") -> None:
    """Run the migrations on the store location ``url`` up to ``revision``
    (from nothing, or from where it stands), in one transaction."""
    engine = engine_of(url)
    try:
        with engine.begin() as conn:
            migrations.upgrade(conn, revision)
    finally:
        engine.dispose()


def make_store_at(url: str, revision: str, *, profiles: int = 60) -> None:
    """An empty location -> a store at ``revision`` (run from nothing by the
    migrations) holding a small demo, not upgraded further."""
    upgrade_to(url, revision)
    store = Store(make_engine(url), url)  # not open_store: it would upgrade it
    try:
        store.refresh_schema()
        generate_demo(store, profiles=profiles, seed=2)
    finally:
        store.close()
