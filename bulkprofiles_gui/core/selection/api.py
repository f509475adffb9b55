"""Selections as SQL: validate, the id query, count, preview and row export.

Order of application (domain.md, "Selection"): the database, then the range
(a stable, evenly spread portion of the whole database), then the rules, then
the total limit (the first N matching profiles by id).

Range: key = (id * 618033989) % 10^9 (a Weyl sequence over ids, computed in
SQL on both backends); a range from a% to b% keeps a*10^7 <= key < b*10^7.
The same range always keeps the same profiles, disjoint ranges keep disjoint
profiles, and consecutive ids spread evenly (10-50 % of 1000 ids ~ 400).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, func, select, text

from .. import models as m
from ..limits import limit_problem, quote
from ..store import FieldInfo, Store
from .compiler import RuleCompiler
from .context import load_context
from .model import RuleError, RuleProblem, SelectionSpec

WEYL_MULTIPLIER = 618033989
WEYL_MODULUS = 1_000_000_000
#: One percent of the Weyl key space.
PERCENT = WEYL_MODULUS // 100
LIST_SEPARATOR = ";"


def range_key(id_column: Any) -> ColumnElement[Any]:
    """The stable, evenly spread position (0 .. 10^9-1) of a profile id."""
    return (id_column * WEYL_MULTIPLIER) % WEYL_MODULUS


def _range_bounds(spec: SelectionSpec) -> tuple[int, int]:
    return round(spec.range_from * PERCENT), round(spec.range_to * PERCENT)


def _spec_problems(spec: SelectionSpec) -> list[RuleProblem]:
    problems = []
    for name, value in (("range.from", spec.range_from), ("range.to", spec.range_to)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
            message = f"must be a number from 0 to 100, not {quote(value)}"
            problems.append(RuleProblem(name, message))
    if not problems and spec.range_from >= spec.range_to:
        problems.append(RuleProblem("range", "'from' must be less than 'to'"))
    limit_message = limit_problem(spec.limit)
    if limit_message:
        problems.append(RuleProblem("limit", limit_message))
    return problems


def _compile(
    store: Store, conn: Connection, spec: SelectionSpec
) -> tuple[list[ColumnElement[bool]], list[RuleProblem]]:
    """The WHERE conditions of the selection (before the limit), and its problems."""
    ctx = load_context(store, conn, spec.database_id, spec.now)
    compiler = RuleCompiler(store, ctx)
    rules_expr = compiler.compile_root(spec.rules)
    problems = _spec_problems(spec) + compiler.problems
    p = store.profiles
    where: list[ColumnElement[bool]] = [p.c.database_id == spec.database_id]
    if not problems:
        low, high = _range_bounds(spec)
        if low > 0:
            where.append(range_key(p.c.id) >= low)
        if high < WEYL_MODULUS:
            where.append(range_key(p.c.id) < high)
        if rules_expr is not None:
            where.append(rules_expr)
    return where, problems


def where_clause(store: Store, conn: Connection, spec: SelectionSpec) -> ColumnElement[bool]:
    """The selection's condition on ``store.profiles`` (range and rules, no limit)."""
    where, problems = _compile(store, conn, spec)
    if problems:
        raise RuleError(problems)
    return and_(*where)


def validate(store: Store, conn: Connection, spec: SelectionSpec) -> list[RuleProblem]:
    """Every problem of the spec (empty list = usable)."""
    return _compile(store, conn, spec)[1]


def check(store: Store, conn: Connection, spec: SelectionSpec) -> None:
    """Raise :class:`RuleError` naming every wrong node, if there is one."""
    problems = validate(store, conn, spec)
    if problems:
        raise RuleError(problems)


def selection_ids(store: Store, conn: Connection, spec: SelectionSpec) -> Select[Any]:
    """``SELECT profiles.id ... ORDER BY id [LIMIT n]``: usable as a subquery."""
    p = store.profiles
    query = select(p.c.id).where(where_clause(store, conn, spec)).order_by(p.c.id)
    if spec.limit:
        query = query.limit(spec.limit)
    return query


#: The least ``work_mem`` a count runs with on PostgreSQL.  A count that
#: combines index conditions builds a bitmap of the matching rows' pages; past
#: ``work_mem`` the bitmap turns lossy (whole pages instead of rows), and every
#: row of those pages is checked again.  At 10,000,000 profiles a bitmap of
#: every page of ``profiles`` takes about 13 MB, so 32 MB keeps any rule's
#: bitmap exact (PostgreSQL's default of 4 MB made the three-condition count
#: 1.4 times as long, see docs/scaling.md); a higher server setting is kept.
COUNT_WORK_MEM = "32MB"
_COUNT_SETTINGS = text(
    "SELECT CASE WHEN pg_size_bytes(current_setting('work_mem'))"
    " < pg_size_bytes(:work_mem) THEN set_config('work_mem', :work_mem, true) END"
)


def prepare_count(store: Store, conn: Connection) -> None:
    """Settings of ``conn``'s transaction for counting on PostgreSQL (they end
    with it; nothing on SQLite): at least :data:`COUNT_WORK_MEM` of
    ``work_mem``.  Right for any rule: it does not change a plan's shape,
    only what it costs to run.  (No JIT compilation either, which would cost
    50-110 ms per process of a count over millions of rows and is not won
    back by a count that reads heap pages: that is every store connection's,
    ``store._JIT_OFF_UNLESS_CHOSEN``.)"""
    if store.dialect == "postgresql":
        conn.execute(_COUNT_SETTINGS, {"work_mem": COUNT_WORK_MEM})


def count(store: Store, conn: Connection, spec: SelectionSpec) -> int:
    """How many profiles the selection holds (one COUNT in the database, with
    :func:`prepare_count`'s settings)."""
    p = store.profiles
    prepare_count(store, conn)
    matched = conn.execute(
        select(func.count()).select_from(p).where(where_clause(store, conn, spec))
    ).scalar_one()
    return min(int(matched), spec.limit) if spec.limit else int(matched)


def total(store: Store, conn: Connection, database_id: int) -> int:
    """All profiles of the database (the "M" of "N of M"), with
    :func:`prepare_count`'s settings."""
    p = store.profiles
    prepare_count(store, conn)
    return int(
        conn.execute(
            select(func.count()).select_from(p).where(p.c.database_id == database_id)
        ).scalar_one()
    )


def has_conditions(rules: Any) -> bool:
    """True if the tree holds at least one (enabled) condition anywhere.

    Walks the tree without recursion (a stored tree of any depth is safe); a
    disabled group hides its whole subtree."""
    if not isinstance(rules, dict):
        return False
    stack: list[Any] = [rules]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict) or node.get("disabled") is True:
            continue
        children = node.get("rules")
        if isinstance(children, list):
            stack.extend(children)
        elif "field" in node:
            return True
    return False


def selected_rows(
    store: Store, conn: Connection, spec: SelectionSpec, chunk: int = 2000, k: int | None = None
) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """Header (field keys, ``id`` first) and the selected profiles' rows by id.

    One streamed query (``yield_per``) for the scalar columns, and per chunk
    of ``chunk`` rows one query for their list values (joined with ``;`` in
    sorted order), so a million-row export never holds more than a chunk.
    ``k`` keeps only the first k rows (a preview).  Consume the rows before
    ``conn`` is closed.
    """
    fields = store.fields(conn, spec.database_id)
    p = store.profiles
    scalar = [f for f in fields if not f.type.is_list]
    query = select(p.c.id, *(store.field_column(f) for f in scalar))
    query = query.where(where_clause(store, conn, spec)).order_by(p.c.id)
    limits = [n for n in (spec.limit, k) if n]
    if limits or k == 0:
        query = query.limit(min(limits) if limits else 0)
    return [f.key for f in fields], _rows(conn, query, fields, chunk)


def _rows(
    conn: Connection, query: Select[Any], fields: list[FieldInfo], chunk: int
) -> Iterator[tuple[Any, ...]]:
    scalar_keys = [f.key for f in fields if not f.type.is_list]
    result = conn.execute(query, execution_options={"yield_per": chunk})
    for rows in result.partitions():
        lists = _list_values(conn, [r[0] for r in rows])
        for row in rows:
            by_key = dict(zip(scalar_keys, row[1:], strict=True))
            yield tuple(
                LIST_SEPARATOR.join(sorted(lists.get((row[0], f.id), ())))
                if f.type.is_list
                else by_key[f.key]
                for f in fields
            )


def _list_values(conn: Connection, ids: list[int]) -> dict[tuple[int, int], list[str]]:
    plv = m.ProfileListValue.__table__
    found: dict[tuple[int, int], list[str]] = {}
    for profile_id, field_id, value in conn.execute(
        select(plv.c.profile_id, plv.c.field_id, plv.c.value).where(plv.c.profile_id.in_(ids))
    ):
        found.setdefault((int(profile_id), int(field_id)), []).append(str(value))
    return found


def preview(
    store: Store, conn: Connection, spec: SelectionSpec, k: int = 50
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Header and the first ``k`` selected profiles (list fields joined with ``;``)."""
    header, rows = selected_rows(store, conn, spec, chunk=max(k, 1), k=k)
    return header, list(rows)


__all__ = [
    "check",
    "count",
    "has_conditions",
    "prepare_count",
    "preview",
    "range_key",
    "selected_rows",
    "selection_ids",
    "total",
    "validate",
    "where_clause",
]
