"""Promo codes: attach a free code of a loyalty program to each selected
profile, or detach the program's codes from them.

**Attach**: one code per profile.  A profile that already holds a code of the
program (attached or activated) keeps it (``already_holds_code``).  The
others get the free codes in a fixed order: the batch's pending profiles
without a code are numbered by their position in the frozen selection, the
program's free codes by id (lowest first), and profile *n* gets code *n*.
When the pool runs dry the remaining profiles are skipped as ``pool_empty``:
counted in the task, never silently ignored; the task still completes.
``promo_attached`` triggers of the program (or of any program) fire for the
profiles that got a code.

**Detach**: the program's *attached* codes of the profile become free again
(no profile, no attach time).  Activated (redeemed) codes stay with their
profile: they are history, not a pool.  A profile with no code of the program
is skipped as ``no_code``, one with only activated codes as
``code_activated``.  Detaching starts no trigger.

A batch is one pass (``_work.py``): one ``INSERT ... SELECT`` puts each
pending profile into the work table with its outcome and, for attach, the id
of the code it gets (``ref_id``: the profiles without a code numbered by
position, joined by number to the free codes the batch may use, numbered by
id into a small keyed temporary table first); the UPDATE of the codes,
``task_profiles``, the journal and the triggers read it by key.  A real run marks ``changed`` only
the profiles whose code the UPDATE really took (a code taken meanwhile by
another task makes its profile ``pool_empty``), so no code is promised twice.
A batch that finds no free code left writes nothing: its outcomes
(``already_holds_code`` or ``pool_empty``) are one UPDATE of ``task_profiles``.
A dry run cannot take codes: it skips the free codes its earlier batches
would have used (kept in ``ctx.scratch``) and reports the same outcomes.
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
    func,
    insert,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.orm import aliased

from .. import journal
from .. import models as m
from ..limits import quote
from . import _work as work
from ._params import database_name, require_text
from .base import (
    CHANGED,
    ActionContext,
    ActionError,
    Batch,
    ProfileId,
    check_keys,
    classify,
    insert_trigger_events,
    probe,
)

TYPE = "promo_codes"
LABEL = "Attach or detach promo codes"
DESCRIPTION = (
    "Attach a free promo code of a loyalty program to each selected profile (one per "
    "profile), or detach the program's codes from them."
)
REQUIRES_CONDITIONS = False
DESTRUCTIVE = False
#: Profiles deleted since the freeze are the runner's to mark ``profile_gone``
#: before the batch: neither fill looks up the profile's row.
SKIPS_GONE = False

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


def _holds_code(program_id: int, pid: Any, *statuses: str) -> ColumnElement[bool]:
    """The profile ``pid`` holds a code of the program (with one of ``statuses``)."""
    pc = aliased(m.PromoCode)
    query = select(pc.id).where(pc.program_id == program_id, pc.profile_id == pid)
    if statuses:
        query = query.where(pc.status.in_(statuses))
    return probe(query)


#: The free codes a batch may hand out, numbered 1..n by id: a temporary table
#: of the connection, keyed by the number, so that pairing profile n with
#: code n is one primary-key look-up per profile (a join of two numbered
#: sub-selects is a scan of one per row of the other on SQLite: quadratic).
FREE = Table(
    "promo_free_codes",
    MetaData(),
    Column("rn", Integer, primary_key=True),
    Column("code_id", BigInteger, nullable=False),
    prefixes=["TEMPORARY"],
)

_FREE_DDL = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS promo_free_codes "
    "(rn INTEGER PRIMARY KEY, code_id BIGINT NOT NULL)"
)


def _number_free_codes(conn: Connection, program_id: int, skip: int, limit: int) -> int:
    """Fill :data:`FREE` with the program's free codes after the first ``skip``
    of them (lowest id first), at most ``limit`` (a batch never needs more);
    returns how many."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(_FREE_DDL + " ON COMMIT DELETE ROWS")
    else:
        conn.exec_driver_sql(_FREE_DDL)
    conn.execute(delete(FREE))  # the batch before may have been in this transaction
    pc = m.PromoCode
    first = (
        select(pc.id.label("code_id"))
        .where(pc.program_id == program_id, pc.status == "free")
        .order_by(pc.id)
        .offset(skip)
        .limit(limit)
        .subquery("first_free")
    )
    rn = func.row_number().over(order_by=first.c.code_id)
    conn.execute(insert(FREE).from_select(["rn", "code_id"], select(rn, first.c.code_id)))
    # Counted, not the INSERT's rowcount: psycopg reports -1 for this one.
    return int(conn.execute(select(func.count()).select_from(FREE)).scalar_one())


def _fill_attach(conn: Connection, params: Params, batch: Batch) -> None:
    """Each pending profile with its outcome and the code it gets: those
    without a code of the program numbered by position, paired by number with
    the free codes numbered in :data:`FREE`."""
    tp, pending = work.pending_rows(batch)
    holds = _holds_code(params.program_id, tp.c.profile_id)
    rows = (
        select(tp.c.profile_id, tp.c.position, holds.label("holds"))
        .where(*pending)
        .subquery("pending")
    )
    number = func.row_number().over(partition_by=rows.c.holds, order_by=rows.c.position)
    ranked = select(rows.c.profile_id, rows.c.holds, number.label("rn")).subquery("ranked")
    state = case(
        (ranked.c.holds, literal("already_holds_code")),
        (FREE.c.code_id.is_(None), literal("pool_empty")),
        else_=literal(CHANGED),
    )
    joined = ranked.outerjoin(FREE, and_(FREE.c.rn == ranked.c.rn, ~ranked.c.holds))
    source = select(ranked.c.profile_id, literal(0), state, FREE.c.code_id).select_from(joined)
    work.fill(conn, ["profile_id", "part", "state", "ref_id"], source)


def _classify_pool_dry(conn: Connection, params: Params, batch: Batch) -> None:
    """No free code left for the batch, so nothing to write: its outcomes go
    straight into ``task_profiles`` in one UPDATE.  A work table would only
    add a pass: in the 1,000,000-profile benchmark on SQLite (the pool dry
    after 40,000 of 300,000 profiles) the batches after it took about 0.6 s
    of CPU through the work table against 0.2 s this way, of a job of 2 s."""

    def outcome(pid: ProfileId) -> ColumnElement[str]:
        holds = _holds_code(params.program_id, pid)
        return case((holds, literal("already_holds_code")), else_=literal("pool_empty"))

    classify(conn, batch, outcome)


def _take_codes(conn: Connection, ctx: ActionContext) -> None:
    """Give each profile marked ``changed`` its code (``ref_id``), if it is
    still free; a profile whose code another task took meanwhile becomes
    ``pool_empty`` (checked only when fewer codes were taken than promised)."""
    pc, w = m.PromoCode, work.WORK
    taken = conn.execute(
        update(pc)
        .where(pc.id == w.c.ref_id, work.changed(), pc.status == "free")
        .values(status="attached", profile_id=w.c.profile_id, attached_at=ctx.now)
    ).rowcount
    promised = conn.execute(select(func.count()).where(work.changed())).scalar_one()
    if taken == promised:
        return
    got_it = probe(select(pc.id).where(pc.id == w.c.ref_id, pc.profile_id == w.c.profile_id))
    conn.execute(update(w).where(work.changed(), ~got_it).values(state="pool_empty"))


def _codes_given() -> ColumnElement[bool]:
    """The codes the batch gave (by id, from the work table)."""
    return m.PromoCode.id.in_(select(work.WORK.c.ref_id).where(work.changed()))


def _would_have_used(conn: Connection, batch: Batch) -> int:
    """A dry run resumed after a cancel or an interrupt: the codes its earlier
    runs' batches would have used, one per profile they marked ``changed``
    (``ctx.scratch`` starts empty with every run)."""
    tp = m.TaskProfile
    return int(
        conn.execute(
            select(func.count()).where(tp.task_id == batch.task_id, tp.outcome == CHANGED)
        ).scalar_one()
    )


def _attach(conn: Connection, ctx: ActionContext, params: Params, batch: Batch) -> None:
    # Codes an earlier batch of this dry run would have used (0 in a real run).
    used_key = f"promo_codes.used.{params.program_id}"
    if ctx.dry_run and used_key not in ctx.scratch:
        ctx.scratch[used_key] = _would_have_used(conn, batch)
    used = int(ctx.scratch.get(used_key, 0))
    if _number_free_codes(conn, params.program_id, used, batch.hi - batch.lo) == 0:
        _classify_pool_dry(conn, params, batch)
        return
    work.start(conn)
    _fill_attach(conn, params, batch)
    if ctx.dry_run:
        would = conn.execute(select(func.count()).where(work.changed())).scalar_one()
        ctx.scratch[used_key] = used + int(would)
    else:
        _take_codes(conn, ctx)
    work.set_outcomes(conn, batch)
    if ctx.dry_run:
        return
    # A changed profile held no code of the program before: the code it got
    # was free, with no holder and no attach time (a free code has neither).
    pc = m.PromoCode
    journal.record_codes(
        conn,
        ctx,
        _codes_given(),
        old=(literal("free"), null(), null()),
        new=(pc.status, pc.profile_id, pc.attached_at),
    )
    t = m.Trigger
    program_ok = or_(t.program_id.is_(None), t.program_id == params.program_id)
    insert_trigger_events(
        conn, ctx, and_(t.kind == "promo_attached", program_ok), work.changed_ids()
    )


def _fill_detach(conn: Connection, params: Params, batch: Batch) -> None:
    """Each pending profile with its outcome (module doc)."""
    tp, pending = work.pending_rows(batch)
    pid = tp.c.profile_id
    state = case(
        (~_holds_code(params.program_id, pid), literal("no_code")),
        (~_holds_code(params.program_id, pid, "attached"), literal("code_activated")),
        else_=literal(CHANGED),
    )
    work.fill(conn, ["profile_id", "part", "state"], select(pid, literal(0), state).where(*pending))


def _detach(conn: Connection, ctx: ActionContext, params: Params, batch: Batch) -> None:
    work.start(conn)
    _fill_detach(conn, params, batch)
    work.set_outcomes(conn, batch)
    if not ctx.dry_run:
        pc = m.PromoCode
        detached = and_(
            pc.program_id == params.program_id,
            pc.status == "attached",
            pc.profile_id.in_(work.changed_ids()),
        )
        journal.record_codes(conn, ctx, detached, new=(literal("free"), null(), null()))
        conn.execute(
            update(pc).where(detached).values(status="free", profile_id=None, attached_at=None)
        )


def apply_batch(conn: Connection, ctx: ActionContext, params: Params, batch: Batch) -> None:
    """Returns no counts (None): the runner counts the batch's outcomes in
    ``task_profiles`` (a batch whose pool is dry has no work table)."""
    if params.mode == "attach":
        _attach(conn, ctx, params, batch)
    else:
        _detach(conn, ctx, params, batch)


def describe(params: Params) -> str:
    if params.mode == "attach":
        return f"Attach one free promo code of {params.program} to each profile"
    return f"Detach the promo codes of {params.program} (activated codes stay)"
