"""The batch's work table: what an action needs of each profile, computed once.

An action's batch used to classify its profiles with correlated look-ups and
then repeat the same look-ups in every write (the INSERT, the UPDATE, the
contact, the triggers): about ten per profile on PostgreSQL.  Instead, the
way a DBA would do it, one ``INSERT ... SELECT`` joins the batch's pending
rows of ``task_profiles`` to what the action needs (the profile's row, its
subscription, ...) into this indexed temporary table, and everything else
reads it by key:

- ``profile_id``, ``part``: the key; ``part`` is 0 for the profile's outcome
  and 1..n for the channels of a multi-channel action;
- ``state``: the outcome (``changed`` or a skip reason) of the profile (part
  0) or of one channel;
- ``contact``: the contact to write; ``ref_id``: the row to write into (the
  existing subscription, ``NULL`` when there is none).

The table belongs to the connection (``TEMPORARY``); every batch starts with
it empty (several batches share one transaction, so :func:`start` empties it;
on PostgreSQL it also empties itself at commit).  :func:`set_outcomes`
copies part 0's states into ``task_profiles`` with one key look-up per row.
:func:`lookup` joins a batch to a row it needs by key the way each backend
does best.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    FromClause,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    and_,
    delete,
    func,
    insert,
    select,
    true,
    update,
)

from .. import models as m
from ..store import Store
from .base import CHANGED, Batch, probe

WORK = Table(
    "batch_work",
    MetaData(),
    Column("profile_id", BigInteger, primary_key=True),
    Column("part", Integer, primary_key=True),
    Column("state", String(32), nullable=False),
    Column("contact", String(255)),
    Column("ref_id", BigInteger),
    prefixes=["TEMPORARY"],
)

_DDL = {
    "postgresql": (
        "CREATE TEMPORARY TABLE IF NOT EXISTS batch_work (profile_id BIGINT NOT NULL, "
        "part INTEGER NOT NULL, state VARCHAR(32) NOT NULL, contact VARCHAR(255), "
        "ref_id BIGINT, PRIMARY KEY (profile_id, part)) ON COMMIT DELETE ROWS"
    ),
    # WITHOUT ROWID: the rows live in the key's b-tree, so the fill writes one
    # b-tree instead of two and :func:`set_outcomes` finds a state in one
    # look-up (its 300,000 look-ups: 0.25 -> 0.21 s in the 1M benchmark).
    "sqlite": (
        "CREATE TEMPORARY TABLE IF NOT EXISTS batch_work (profile_id BIGINT NOT NULL, "
        "part INTEGER NOT NULL, state VARCHAR(32) NOT NULL, contact VARCHAR(255), "
        "ref_id BIGINT, PRIMARY KEY (profile_id, part)) WITHOUT ROWID"
    ),
}


def start(conn: Connection) -> Table:
    """The work table, empty, for this batch (made on first use of the connection;
    ``IF NOT EXISTS`` because a rolled-back batch on PostgreSQL takes the table
    made in it along)."""
    conn.exec_driver_sql(_DDL["postgresql" if conn.dialect.name == "postgresql" else "sqlite"])
    conn.execute(delete(WORK))  # the batch before may have been in this transaction
    return WORK


def pending_rows(batch: Batch) -> tuple[Any, list[ColumnElement[bool]]]:
    """``task_profiles`` and the conditions picking the batch's rows still without outcome."""
    tp = m.TaskProfile.__table__
    return tp, [
        tp.c.task_id == batch.task_id,
        tp.c.position >= batch.lo,
        tp.c.position < batch.hi,
        tp.c.outcome.is_(None),
    ]


def fill(conn: Connection, columns: list[str], source: Select[Any]) -> None:
    """``INSERT INTO batch_work (columns) <source>``."""
    conn.execute(insert(WORK).from_select(columns, source))


def set_outcomes(conn: Connection, batch: Batch) -> int:
    """Every pending row of the batch gets its profile's state (part 0) as
    outcome: one UPDATE with a primary-key look-up per row (no join the
    planner could turn into a nested loop over fresh rows).  Returns how many
    rows it updated (for :func:`count_outcomes`)."""
    tp = m.TaskProfile
    state = (
        select(WORK.c.state)
        .where(WORK.c.profile_id == tp.profile_id, WORK.c.part == 0)
        .scalar_subquery()
    )
    updated = conn.execute(
        update(tp)
        .where(batch.rows_where(), tp.outcome.is_(None))
        .values(outcome=state)
        .execution_options(synchronize_session=False)
    ).rowcount
    return max(int(updated or 0), 0)


def profile_gone(store: Store, profile_id: Any) -> ColumnElement[bool]:
    """The profile ``profile_id`` (a column of the fill) was deleted since the
    selection was frozen: a primary-key probe of ``profiles``.  An action whose
    fill gives such profiles the state ``profile_gone`` says so with
    ``SKIPS_GONE = True``, and the runner then leaves them to it instead of
    marking them in a pass of its own over ``task_profiles``."""
    p = store.profiles
    return ~probe(select(p.c.id).where(p.c.id == profile_id))


def count_outcomes(conn: Connection, batch: Batch, updated: int) -> dict[str, int] | None:
    """The batch's outcome counts from the work table (part 0: a few thousand
    rows of a temporary table), so the runner need not read ``task_profiles``
    again; an action's ``apply_batch`` returns them.  Only when they are all
    of the batch: every row of ``[lo, hi)`` was pending (``updated``, from
    :func:`set_outcomes`) and has exactly one state; otherwise None, and the
    runner counts ``task_profiles`` as before."""
    rows = conn.execute(
        select(WORK.c.state, func.count()).where(WORK.c.part == 0).group_by(WORK.c.state)
    ).all()
    counts = {str(state): int(n) for state, n in rows}
    if updated == batch.hi - batch.lo == sum(counts.values()):
        return counts
    return None


def changed(part: int = 0) -> ColumnElement[bool]:
    """The work rows of ``part`` whose state is ``changed``."""
    return and_(WORK.c.part == part, WORK.c.state == CHANGED)


def changed_ids(part: int = 0) -> Select[tuple[int]]:
    """The profile ids whose state (of ``part``) is ``changed``."""
    return select(WORK.c.profile_id).where(changed(part))


def contact_of(part: int = 0) -> Any:
    """A ``ContactFor`` reading the contact the work table holds for the profile."""

    def contact_for(pid: Any, _current: Any) -> ColumnElement[str]:
        return (
            select(WORK.c.contact)
            .where(WORK.c.profile_id == pid, WORK.c.part == part)
            .scalar_subquery()
        )

    return contact_for


def lookup(
    conn: Connection,
    left: Any,
    table: FromClause,
    on: Callable[[Any], ColumnElement[bool]],
    *,
    outer: bool = True,
) -> tuple[FromClause, Any]:
    """``left`` joined (``outer``: outer-joined) to the row of ``table`` that
    ``on(columns)`` picks by a unique key; returns the join and the row's
    columns.  A plain join on SQLite, whose joins are nested loops over the
    index.  On PostgreSQL a LATERAL look-up of one row: its planner would
    otherwise hash-join a batch of a few thousand profiles with *every* row
    of the resource's hundreds of thousands of subscriptions, each batch."""
    alias = table.alias()
    if conn.dialect.name != "postgresql":
        condition = on(alias.c)
        joined = left.outerjoin(alias, condition) if outer else left.join(alias, condition)
        return joined, alias.c
    row = select(alias).where(on(alias.c)).limit(1).lateral()
    joined = left.outerjoin(row, true()) if outer else left.join(row, true())
    return joined, row.c
