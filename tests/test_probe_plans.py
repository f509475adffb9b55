"""``actions.base.probe``: an ``EXISTS`` that a batch checks row by row.

It answers exactly what ``EXISTS`` answers (both backends), and on
PostgreSQL it keeps the planner from hashing the whole probed table when the
statistics promise many outer rows: what happened to the work-table fills
once autovacuum had analysed ``task_profiles`` in the middle of a job (at
1,000,000 profiles a fill of 20,000 profiles hashed every profile id: 450 ms
instead of 60 ms, every batch).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, Select, case, delete, exists, literal, select

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.actions.base import probe
from bulkprofiles_gui.core.demo import DEFAULT_DATABASE_NAME, generate_demo
from bulkprofiles_gui.core.jobs import freeze_profile_ids, queue_task
from bulkprofiles_gui.core.store import Store

PROFILES = 3000


def _frozen_task(store: Store) -> tuple[int, list[int]]:
    """A task holding every demo profile, three of them deleted since; the
    planner's statistics of ``task_profiles`` include its rows (as after
    autovacuum's ANALYZE in the middle of a job)."""
    generate_demo(store, profiles=PROFILES, seed=3)
    with store.begin() as conn:
        db = store.database_id(conn, DEFAULT_DATABASE_NAME)
        ids = [int(i) for i in conn.execute(select(m.Profile.id).order_by(m.Profile.id)).scalars()]
        task_id = queue_task(
            conn, action_type="update_fields", database_id=db, database_name="x", job={}
        )
    freeze_profile_ids(store, task_id, ids)
    gone = ids[10:13]
    with store.begin() as conn:
        conn.execute(delete(m.Profile).where(m.Profile.id.in_(gone)))
        conn.exec_driver_sql("ANALYZE task_profiles")
        conn.exec_driver_sql("ANALYZE profiles")
    return task_id, gone


def _profile_row(tp: Any) -> Select[Any]:
    p = m.Profile
    return select(p.id).where(p.id == tp.c.profile_id)


def _outcomes(task_id: int, check: Any) -> Select[Any]:
    """Per frozen profile: 'gone' or 'here', the profile looked up by ``check``
    inside a CASE (where a hashed sub-plan would go)."""
    tp = m.TaskProfile.__table__
    state = case((~check(_profile_row(tp)), literal("gone")), else_=literal("here"))
    return select(tp.c.profile_id, state).where(tp.c.task_id == task_id)


def _gone_rows(task_id: int, check: Any) -> Select[Any]:
    """The frozen profiles no longer in ``profiles``, as a WHERE (an anti-join)."""
    tp = m.TaskProfile.__table__
    return select(tp.c.profile_id).where(tp.c.task_id == task_id, ~check(_profile_row(tp)))


def _plain(query: Select[Any]) -> Any:
    return exists(query)


def _plan(conn: Connection, query: Select[Any]) -> str:
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    return "\n".join(str(r[0]) for r in conn.exec_driver_sql(f"EXPLAIN (VERBOSE) {compiled}"))


def test_a_probe_answers_what_exists_answers(store: Store) -> None:
    task_id, gone = _frozen_task(store)
    with store.begin() as conn:
        fenced = dict(conn.execute(_outcomes(task_id, probe)).all())
        plain = dict(conn.execute(_outcomes(task_id, _plain)).all())
        fenced_gone = sorted(conn.execute(_gone_rows(task_id, probe)).scalars())
        plain_gone = sorted(conn.execute(_gone_rows(task_id, _plain)).scalars())
    assert fenced == plain
    assert sorted(pid for pid, state in fenced.items() if state == "gone") == gone
    assert fenced_gone == plain_gone == gone
    assert len(fenced) == PROFILES


def test_on_postgresql_a_probe_looks_each_row_up_where_exists_hashes_the_table(
    store: Store,
) -> None:
    if store.dialect != "postgresql":
        pytest.skip("SQLite checks every EXISTS row by row: nothing to keep it from")
    task_id, _gone = _frozen_task(store)
    with store.begin() as conn:
        plain_case = _plan(conn, _outcomes(task_id, _plain))
        fenced_case = _plan(conn, _outcomes(task_id, probe))
        plain_where = _plan(conn, _gone_rows(task_id, _plain))
        fenced_where = _plan(conn, _gone_rows(task_id, probe))
    # Left to itself the planner hashes all profiles (the premise).
    assert "hashed SubPlan" in plain_case, plain_case
    assert "Hash" in plain_where and "Anti Join" in plain_where, plain_where
    # A probe: one look-up by primary key per frozen row, no hash, no join.
    for plan in (fenced_case, fenced_where):
        assert "Hash" not in plan and "Join" not in plan, plan
        assert "SubPlan" in plan and "profiles_pkey" in plan, plan
        assert "Seq Scan on profiles" not in plan, plan


def test_a_probe_is_offset_zero_only_on_the_sub_query() -> None:
    """What keeps PostgreSQL from flattening it: ``OFFSET 0`` in the sub-query
    (and nothing else changed: the same columns and conditions)."""
    tp = m.TaskProfile.__table__
    sql = str(probe(_profile_row(tp)).compile())
    assert "OFFSET" in sql and sql.count("SELECT") == 1
