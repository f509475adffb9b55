"""Update subscription: change the status of existing subscriptions to a
resource on a channel (e.g. unsubscribe all inactive clients).

Per profile, first reason wins: ``profile_gone`` (deleted since the
selection was frozen); ``no_subscription`` (nothing to update on that
resource/channel); ``unsafe_status`` (target ``subscribed``, existing
status unsafe, "Include unsafe statuses" off); ``unchanged`` (already has the
status).  The others get the new status and ``updated_at``; the contact is
kept.  ``subscription`` triggers of the resource/channel fire for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, case, literal, select

from .. import models as m
from ..words import channel_word, status_word
from . import _subscriptions as subs
from . import _work as work
from ._params import optional_bool, parse_channel, parse_status, require_text
from .base import (
    CHANGED,
    ActionContext,
    Batch,
    check_keys,
    insert_trigger_events,
)

TYPE = "update_subscriptions"
LABEL = "Update subscription status"
DESCRIPTION = (
    "Change the status of the selected profiles' existing subscriptions to a resource on "
    "one channel."
)
REQUIRES_CONDITIONS = False
DESTRUCTIVE = False
#: Profiles deleted since the freeze are ``profile_gone`` in the work table's fill.
SKIPS_GONE = True

KEYS = frozenset({"resource", "channel", "status", "include_unsafe"})


@dataclass(frozen=True)
class Params:
    resource: str
    target: subs.Target


def parse(conn: Connection, ctx: ActionContext, raw: dict[str, Any]) -> Params:
    check_keys(raw, KEYS)
    resource = subs.resolve_resource(
        conn, ctx, require_text(raw, "resource", "resource"), "resource"
    )
    channel = parse_channel(raw.get("channel"), "channel")
    subs.require_configured(resource, channel)
    status = parse_status(raw)
    include_unsafe = optional_bool(raw, "include_unsafe")
    return Params(resource.name, subs.Target(resource.id, channel, status, include_unsafe))


def _fill_work(conn: Connection, ctx: ActionContext, target: subs.Target, batch: Batch) -> None:
    """Each pending profile of the batch with its subscription to the target
    outer-joined: the outcome (module doc) and the subscription's id.  Only a
    profile without the subscription is looked up in ``profiles`` (gone or
    not): subscriptions go with their profile (foreign key, ``ON DELETE
    CASCADE``), so one that has it still exists."""
    tp, pending = work.pending_rows(batch)
    joined, existing = work.lookup(
        conn,
        tp,
        m.Subscription.__table__,
        lambda sub: subs.joins_target(target, sub, tp.c.profile_id),
    )
    gone = work.profile_gone(ctx.store, tp.c.profile_id)
    missing = case((gone, literal("profile_gone")), else_=literal("no_subscription"))
    state = case(
        (existing.id.is_(None), missing),
        *subs.existing_outcomes(target, existing),
        else_=literal(CHANGED),
    )
    source = (
        select(tp.c.profile_id, literal(0), state, existing.id).select_from(joined).where(*pending)
    )
    work.fill(conn, ["profile_id", "part", "state", "ref_id"], source)


def apply_batch(
    conn: Connection, ctx: ActionContext, params: Params, batch: Batch
) -> dict[str, int] | None:
    target = params.target
    work.start(conn)
    _fill_work(conn, ctx, target, batch)
    counts = work.count_outcomes(conn, batch, work.set_outcomes(conn, batch))
    if not ctx.dry_run:
        subs.set_status_from_work(conn, ctx, target, batch)
    triggers = subs.subscription_triggers(target.resource_id, target.channel)
    insert_trigger_events(conn, ctx, triggers, work.changed_ids())
    return counts


def describe(params: Params) -> str:
    target = params.target
    unsafe = ""
    if target.status == "subscribed":
        unsafe = " (unsafe statuses included)" if target.include_unsafe else " (unsafe skipped)"
    return (
        f"Set status {status_word(target.status)} on subscriptions to {params.resource} / "
        f"{channel_word(target.channel)}{unsafe}"
    )
