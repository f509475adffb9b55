"""Promo codes: attach a free code of a loyalty program to each selected
profile, or detach the program's codes from them.

**Attach**: one code per profile.  A profile that already holds a code of the
program (attached or activated) keeps it (``already_holds_code``).  The
others get the free codes in a fixed order: the batch's pending profiles are
numbered by their position in the frozen selection, the program's free codes
by id (lowest first), and profile *n* gets code *n* (one UPDATE ... FROM; the
pairs come from the numbered profiles in a temporary table joined by number
to the numbered codes on SQLite, and from two ordered arrays unnested side by
side on PostgreSQL).  When the pool runs dry
the remaining profiles are skipped as ``pool_empty``: counted in the task,
never silently ignored; the task still completes.  ``promo_attached`` triggers of the
program (or of any program) fire for the profiles that got a code.

**Detach**: the program's *attached* codes of the profile become free again
(no profile, no attach time).  Activated (redeemed) codes stay with their
profile: they are history, not a pool.  A profile with no code of the program
is skipped as ``no_code``, one with only activated codes as
``code_activated``.  Detaching starts no trigger.

A real run marks ``changed`` the profiles that hold a code after the UPDATE
and ``pool_empty`` the rest, so a code taken meanwhile by another task is
never promised twice.  A dry run cannot take codes: it numbers the pending
profiles against the free codes left, minus those its earlier batches would
have used (kept in ``ctx.scratch``), to report the same outcomes.  Once no
free code is left a batch is one pass (``already_holds_code`` or
``pool_empty``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Integer,
    MetaData,
    Table,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import aliased

from .. import journal
from .. import models as m
from ..limits import quote
from ._params import database_name, mark_where, require_text
from .base import (
    CHANGED,
    ActionContext,
    ActionError,
    Batch,
    ProfileCondition,
    ProfileId,
    check_keys,
    classify,
    mark_outcome,
    record_trigger_events,
)

TYPE = "promo_codes"
LABEL = "Attach or detach promo codes"
DESCRIPTION = (
    "Attach a free promo code of a loyalty program to each selected profile (one per "
    "profile), or detach the program's codes from them."
)
REQUIRES_CONDITIONS = False
DESTRUCTIVE = False

KEYS = frozenset({"mode", "program"})
MODES = ("attach", "detach")


@dataclass(frozen=True)
class Params:
    mode: str
    program_id: int
    program: str


def parse(conn: Connection, ctx: ActionContext, raw: dict[str, Any]) -> Params:
    check_keys(raw, KEYS)
    mode = raw.get("mode")
    if mode not in MODES:
        raise ActionError(f"job.action.mode: {quote(mode)} is not one of: {', '.join(MODES)}")
    name = require_text(raw, "program", "loyalty program")
    found = conn.execute(
        select(m.LoyaltyProgram.id, m.LoyaltyProgram.database_id).where(
            m.LoyaltyProgram.name == name
        )
    ).first()
    if found is None:
        raise ActionError(f"job.action.program: no loyalty program named {quote(name)}")
    program_id, owner = int(found[0]), found[1]
    if owner is not None and owner != ctx.database_id:
        raise ActionError(
            f"job.action.program: loyalty program {quote(name)} belongs to database "
            f"{quote(database_name(conn, owner))}, "
            f"not {quote(database_name(conn, ctx.database_id))}"
        )
    return Params(str(mode), program_id, name)


def _holds_code(program_id: int, *statuses: str) -> ProfileCondition:
    """Condition: the profile holds a code of the program (with one of ``statuses``)."""

    def condition(pid: ProfileId) -> ColumnElement[bool]:
        pc = aliased(m.PromoCode)
        query = select(pc.id).where(pc.program_id == program_id, pc.profile_id == pid)
        if statuses:
            query = query.where(pc.status.in_(statuses))
        return exists(query)

    return condition


def _pending_rows(batch: Batch) -> tuple[Any, list[ColumnElement[bool]]]:
    """An alias of ``task_profiles`` and the conditions picking the batch's pending rows."""
    tpa = aliased(m.TaskProfile)
    return tpa, [
        tpa.task_id == batch.task_id,
        tpa.position >= batch.lo,
        tpa.position < batch.hi,
        tpa.outcome.is_(None),
    ]


def _first_free(program_id: int, limit: int) -> Any:
    """The ids of the program's first ``limit`` free codes (lowest id first)."""
    pca = aliased(m.PromoCode)
    return (
        select(pca.id.label("code_id"))
        .where(pca.program_id == program_id, pca.status == "free")
        .order_by(pca.id)
        .limit(limit)
        .subquery("first_free")
    )


def _count_free(conn: Connection, program_id: int, at_most: int) -> int:
    """Free codes of the program, counted up to ``at_most`` (a batch never needs more)."""
    first = _first_free(program_id, at_most)
    return int(conn.execute(select(func.count()).select_from(first)).scalar_one())


#: Pending profiles of the current batch numbered 1..n (SQLite only; a temporary
#: table of the connection, emptied and refilled per batch).
_NUMBERED_PENDING = Table(
    "promo_numbered_pending",
    MetaData(),
    Column("rn", Integer, primary_key=True),
    Column("profile_id", BigInteger, nullable=False),
    prefixes=["TEMPORARY"],
)


def _pairs_sqlite(conn: Connection, batch: Batch, free_ids: Any) -> Any:
    """(code_id, profile_id): pending profile n by position, free code n by id.

    The pending profiles are numbered into a temporary table keyed by their
    number, so pairing is one primary-key look-up per code.  Numbered
    sub-selects joined directly (or a correlated look-up into one) are
    recomputed per row by SQLite: quadratic in the batch, 0.4 s per batch of
    5,000 at 1,000,000 profiles against 0.02 s this way."""
    numbered = _NUMBERED_PENDING
    numbered.create(conn, checkfirst=True)
    conn.execute(delete(numbered))
    tpa, pending_where = _pending_rows(batch)
    conn.execute(
        insert(numbered).from_select(
            ["rn", "profile_id"],
            select(func.row_number().over(order_by=tpa.position), tpa.profile_id).where(
                *pending_where
            ),
        )
    )
    free = select(
        free_ids.c.code_id, func.row_number().over(order_by=free_ids.c.code_id).label("rn")
    ).subquery("free")
    return (
        select(free.c.code_id, numbered.c.profile_id)
        .join(numbered, numbered.c.rn == free.c.rn)
        .subquery("assign")
    )


def _pairs_postgresql(batch: Batch, free_ids: Any) -> Any:
    """The same pairs on PostgreSQL: two ordered arrays unnested side by side
    (no join, so no plan can turn it quadratic on fresh, unanalysed rows)."""
    tpa, pending_where = _pending_rows(batch)
    profiles = (
        select(func.array_agg(aggregate_order_by(tpa.profile_id, tpa.position)))
        .where(*pending_where)
        .scalar_subquery()
    )
    codes = select(
        func.array_agg(aggregate_order_by(free_ids.c.code_id, free_ids.c.code_id))
    ).scalar_subquery()
    return select(
        func.unnest(codes).label("code_id"), func.unnest(profiles).label("profile_id")
    ).subquery("assign")


def _assign_codes(conn: Connection, ctx: ActionContext, params: Params, batch: Batch) -> None:
    """Give pending profile n (by position) free code n (by id), set-based."""
    free_ids = _first_free(params.program_id, batch.hi - batch.lo)
    if conn.dialect.name == "postgresql":
        assign = _pairs_postgresql(batch, free_ids)
    else:
        assign = _pairs_sqlite(conn, batch, free_ids)
    pc = m.PromoCode
    conn.execute(
        update(pc)
        .where(
            pc.id == assign.c.code_id,
            pc.status == "free",
            assign.c.code_id.is_not(None),
            assign.c.profile_id.is_not(None),
        )
        .values(status="attached", profile_id=assign.c.profile_id, attached_at=ctx.now)
    )


def _attach(conn: Connection, ctx: ActionContext, params: Params, batch: Batch) -> None:
    holds = _holds_code(params.program_id)
    # Codes an earlier batch of this dry run would have used (0 in a real run).
    used_key = f"promo_codes.used.{params.program_id}"
    used = int(ctx.scratch.get(used_key, 0))
    free = _count_free(conn, params.program_id, batch.hi - batch.lo + used)
    available = max(free - used, 0)
    if available == 0:
        # Pool dry: one pass, nothing to attach and no trigger to start.
        classify(conn, batch, _holds_or(holds, "pool_empty"))
        return
    mark_where(conn, batch, "already_holds_code", holds)
    if ctx.dry_run:
        ctx.scratch[used_key] = used + _count_would_attach(conn, batch, available)
        return
    _assign_codes(conn, ctx, params, batch)
    # Outcomes from what really happened: a profile that got no code (pool
    # dry, or a code taken meanwhile by another task) is pool_empty.
    classify(
        conn,
        batch,
        lambda pid: case((holds(pid), literal(CHANGED)), else_=literal("pool_empty")),
    )
    _journal_attached(conn, ctx, params, batch)
    t = m.Trigger
    program_ok = or_(t.program_id.is_(None), t.program_id == params.program_id)
    record_trigger_events(conn, ctx, batch, and_(t.kind == "promo_attached", program_ok))


def _journal_attached(conn: Connection, ctx: ActionContext, params: Params, batch: Batch) -> None:
    """Journal the codes just attached (after the UPDATE: which code a profile
    gets is decided by it).  A changed profile held no code of the program
    before, so its codes of the program are the ones this batch gave it, each
    taken free, with no holder and no attach time (a free code has neither)."""
    pc = m.PromoCode
    journal.record_codes(
        conn,
        ctx,
        and_(pc.program_id == params.program_id, pc.profile_id.in_(batch.changed_ids())),
        old=(literal("free"), null(), null()),
        new=(pc.status, pc.profile_id, pc.attached_at),
    )


def _holds_or(holds: ProfileCondition, otherwise: str) -> Any:
    def outcome(pid: ProfileId) -> ColumnElement[str]:
        return case((holds(pid), literal("already_holds_code")), else_=literal(otherwise))

    return outcome


def _count_would_attach(conn: Connection, batch: Batch, available: int) -> int:
    """Dry run: the first ``available`` pending profiles (by position) would
    get a code, the others are pool_empty; returns how many would get one."""
    tpa, pending_where = _pending_rows(batch)
    first_without = conn.execute(
        select(tpa.position).where(*pending_where).order_by(tpa.position).offset(available).limit(1)
    ).scalar_one_or_none()
    if first_without is not None:
        tp = m.TaskProfile
        mark_where(conn, batch, "pool_empty", lambda _pid: tp.position >= first_without)
    return mark_outcome(conn, batch, CHANGED)


def _detach(conn: Connection, ctx: ActionContext, params: Params, batch: Batch) -> None:
    holds_any = _holds_code(params.program_id)
    holds_attached = _holds_code(params.program_id, "attached")

    def outcome(pid: ProfileId) -> ColumnElement[str]:
        return case(
            (~holds_any(pid), literal("no_code")),
            (~holds_attached(pid), literal("code_activated")),
            else_=literal(CHANGED),
        )

    classify(conn, batch, outcome)
    if not ctx.dry_run:
        pc = m.PromoCode
        detached = and_(
            pc.program_id == params.program_id,
            pc.status == "attached",
            pc.profile_id.in_(batch.changed_ids()),
        )
        journal.record_codes(conn, ctx, detached, new=(literal("free"), null(), null()))
        conn.execute(
            update(pc).where(detached).values(status="free", profile_id=None, attached_at=None)
        )


def apply_batch(conn: Connection, ctx: ActionContext, params: Params, batch: Batch) -> None:
    if params.mode == "attach":
        _attach(conn, ctx, params, batch)
    else:
        _detach(conn, ctx, params, batch)


def describe(params: Params) -> str:
    if params.mode == "attach":
        return f"Attach one free promo code of {params.program} to each profile"
    return f"Detach the promo codes of {params.program} (activated codes stay)"
