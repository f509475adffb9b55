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

from sqlalchemy import Connection, exists, update

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
        conn.execute(
            update(p)
            .where(p.c.id.in_(batch.changed_ids()))
            .values(global_status=Status.UNSUBSCRIBED.value, updated_at=m.utcnow())
        )


def describe(params: Params) -> str:
    return 'Set the global status of the selected profiles to "unsubscribed"'
