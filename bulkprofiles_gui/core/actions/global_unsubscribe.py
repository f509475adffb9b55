"""Global unsubscribe: set the global status "unsubscribed" (no message on any
channel, whatever the subscriptions say).

Conditions are mandatory (the runner refuses a job without one).  Profiles
already globally unsubscribed are skipped as ``already_unsubscribed``.  The
global status is not a profile field and no trigger kind is about it, so this
action records no trigger events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, exists, func, select, update

from .. import journal
from .. import models as m
from ..fields import Status
from .base import ActionContext, Batch, check_keys, classify, skip_when

TYPE = "global_unsubscribe"
LABEL = "Global unsubscribe"
DESCRIPTION = (
    'Set the global status "unsubscribed": no message goes out on any channel, '
    "whatever the subscriptions say. Conditions are required."
)
REQUIRES_CONDITIONS = True
DESTRUCTIVE = True


@dataclass(frozen=True)
class Params:
    pass


def parse(conn: Connection, ctx: ActionContext, raw: dict[str, Any]) -> Params:
    check_keys(raw, set())
    return Params()


def apply_batch(conn: Connection, ctx: ActionContext, params: Params, batch: Batch) -> None:
    p = ctx.store.profiles
    unsubscribed = p.c.global_status == Status.UNSUBSCRIBED.value
    classify(
        conn,
        batch,
        skip_when("already_unsubscribed", lambda pid: exists().where(p.c.id == pid, unsubscribed)),
    )
    if not ctx.dry_run:
        changed = batch.changed_ids()
        new_status = {"global_status": Status.UNSUBSCRIBED.value}
        journal.record_values(conn, ctx, changed, new_status)
        conn.execute(
            update(p).where(p.c.id.in_(changed)).values(**new_status, updated_at=m.utcnow())
        )


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
