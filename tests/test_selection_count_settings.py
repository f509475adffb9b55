"""The transaction settings a count runs with (``selection.prepare_count``).

On PostgreSQL a count runs with at least ``COUNT_WORK_MEM`` of ``work_mem``
(an exact bitmap for any rule at 10,000,000 profiles, see docs/scaling.md);
a higher ``work_mem`` is kept, and the setting ends with the count's
transaction (and without JIT compilation: that is the connection's).  On
SQLite nothing is set.  Either way the count is the same.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, func, select

from bulkprofiles_gui.core import selection
from bulkprofiles_gui.core.demo import DEFAULT_DATABASE_NAME, generate_demo
from bulkprofiles_gui.core.selection.api import COUNT_WORK_MEM
from bulkprofiles_gui.core.store import Store

NOW = dt.datetime(2026, 7, 1, 12, 0)
RULES = {
    "combinator": "and",
    "not": False,
    "rules": [
        {"field": "city", "operator": "in", "value": ["Berlin", "Paris"]},
        {"field": "age", "operator": ">=", "value": 30},
        {"field": "registered_at", "operator": "inLastDays", "value": 365},
    ],
}


def _spec(store: Store) -> selection.SelectionSpec:
    with store.begin() as conn:
        db = store.database_id(conn, DEFAULT_DATABASE_NAME)
    return selection.SelectionSpec(db, RULES, 0.0, 100.0, 0, now=NOW)


def _show(conn: Connection, name: str) -> str:
    return str(conn.exec_driver_sql(f"SHOW {name}").scalar_one())


def test_a_count_is_the_same_with_its_settings_on_both_backends(store: Store) -> None:
    generate_demo(store, profiles=300, seed=1, now=NOW)
    spec = _spec(store)
    with store.begin() as conn:
        plain = conn.execute(
            select(func.count())
            .select_from(store.profiles)
            .where(selection.where_clause(store, conn, spec))
        ).scalar_one()
        counted = selection.count(store, conn, spec)
        every = selection.total(store, conn, spec.database_id)
    assert counted == plain
    assert 0 < counted < every == 300


def test_a_count_on_postgresql_runs_without_jit_and_with_an_exact_bitmap_work_mem(
    store: Store,
) -> None:
    generate_demo(store, profiles=50, seed=1, now=NOW)
    spec = _spec(store)
    if store.dialect != "postgresql":
        with store.begin() as conn:
            selection.count(store, conn, spec)  # sets nothing, fails nothing
        return
    with store.begin() as conn:
        server_work_mem = _show(conn, "work_mem")
        conn.exec_driver_sql("SET LOCAL work_mem = '4MB'")  # PostgreSQL's default
        selection.count(store, conn, spec)
        assert _show(conn, "jit") == "off"  # every store connection's (test_store_session_options)
        assert _show(conn, "work_mem") == COUNT_WORK_MEM
    with store.begin() as conn:
        assert _show(conn, "work_mem") == server_work_mem  # the count's setting ended with it
        conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
        selection.total(store, conn, spec.database_id)
        assert _show(conn, "jit") == "off"
        assert _show(conn, "work_mem") == "256MB"  # more than the floor is kept
