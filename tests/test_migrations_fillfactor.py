"""Revision 0004: ``profiles`` keeps room on its pages for updates in place
(``fillfactor`` 90 on PostgreSQL), on a new store and on a store of revision
0003 that ``open_store`` upgrades; SQLite stores are upgraded too, with only
their ``schema_version`` changed.  On both backends.
"""

from __future__ import annotations

from migration_helpers import engine_of
from sqlalchemy import text

from bulkprofiles_gui.core import migrations
from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.demo import generate_demo
from bulkprofiles_gui.core.store import open_store


def _fillfactor(url: str) -> str | None:
    """The ``fillfactor`` storage parameter of ``profiles`` (None: the default)."""
    engine = engine_of(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name != "postgresql":
                return None
            options = conn.execute(
                text("SELECT reloptions FROM pg_class WHERE relname = 'profiles'")
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


def _expected(url: str) -> str | None:
    return str(m.PROFILES_FILLFACTOR) if url.startswith("postgresql") else None


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
    assert _schema_version(store_url) == str(m.SCHEMA_VERSION) == "4"
