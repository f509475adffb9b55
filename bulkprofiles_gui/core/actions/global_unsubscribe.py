"""Global unsubscribe: set the global status "unsubscribed" (no message on any
channel, whatever the subscriptions say).

Conditions are mandatory (the runner refuses a job without one).  Profiles
already globally unsubscribed are skipped as ``already_unsubscribed``.  The
global status is not a profile field and no trigger kind is about it, so this
action records no trigger events.

A batch is one pass (``_work.py``): the pending profiles joined to their row
into the work table with their outcome; ``task_profiles``, the journal and the
UPDATE read the changed ones from it by key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, case, func, literal, select, update

from .. import journal
from .. import models as m
from ..fields import Status
from . import _work as work
from .base import CHANGED, ActionContext, Batch, check_keys

TYPE = "global_unsubscribe"
LABEL = "Global unsubscribe"
DESCRIPTION = (
    'Set the global status "unsubscribed": no message goes out on any channel, '
    "whatever the subscriptions say. Conditions are required."
)
REQUIRES_CONDITIONS = True
DESTRUCTIVE = True
#: Profiles deleted since the freeze are ``profile_gone`` in the work table's fill.
SKIPS_GONE = True


@dataclass(frozen=True)
class Params:
    pass


def parse(conn: Connection, ctx: ActionContext, raw: dict[str, Any]) -> Params:
    check_keys(raw, set())
    return Params()


def _fill_work(conn: Connection, ctx: ActionContext, batch: Batch) -> None:
    """Each pending profile of the batch joined to its row: its outcome."""
    tp, pending = work.pending_rows(batch)
    joined, row = work.lookup(conn, tp, ctx.store.profiles, lambda prof: prof.id == tp.c.profile_id)
    state = case(
        (row.id.is_(None), literal("profile_gone")),
        (row.global_status == Status.UNSUBSCRIBED.value, literal("already_unsubscribed")),
        else_=literal(CHANGED),
    )
    source = select(tp.c.profile_id, literal(0), state).select_from(joined).where(*pending)
    work.fill(conn, ["profile_id", "part", "state"], source)


def apply_batch(
    conn: Connection, ctx: ActionContext, params: Params, batch: Batch
) -> dict[str, int] | None:
    work.start(conn)
    _fill_work(conn, ctx, batch)
    counts = work.count_outcomes(conn, batch, work.set_outcomes(conn, batch))
    if not ctx.dry_run:
        p = ctx.store.profiles
        changed = work.changed_ids()
        new_status = {"global_status": Status.UNSUBSCRIBED.value}
        journal.record_values(conn, ctx, changed, new_status)
        conn.execute(
            update(p).where(p.c.id.in_(changed)).values(**new_status, updated_at=m.utcnow())
        )
    return counts


def describe(params: Params) -> str:
    return 'Set the global status of the selected profiles to "Unsubscribed"'


def count_effective(
    conn: Connection, ctx: ActionContext, params: Params, profile_ids: Select[Any]
) -> int:
    """How many of ``profile_ids`` this action would unsubscribe: those not
    globally unsubscribed already (the ``already_unsubscribed`` rule of
    :func:`apply_batch`), counted in one statement."""
    p = ctx.store.profiles
    return int(
        conn.execute(
            select(func.count())
            .select_from(p)
            .where(
                p.c.id.in_(profile_ids),
                p.c.global_status != Status.UNSUBSCRIBED.value,
            )
        ).scalar_one()
    )
