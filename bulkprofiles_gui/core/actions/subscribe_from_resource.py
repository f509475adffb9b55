"""Add subscription, source = resource.

For each chosen channel, takes the contact of the profile's subscription to
the *source* resource A and adds (or updates) the profile's subscription to
the *target* resource B with the chosen status.  Every channel must be
configured in both resources; both must be attached to the database.

Per channel, a profile's subscription to B changes unless (first wins):

1. it has no subscription to A on the channel;
2. the target status is ``subscribed``, "Include unsafe statuses" is off and
   its subscription to A has an unsafe status (``unsafe_source``);
3. same condition, and its existing subscription to B has an unsafe status
   (``unsafe_status``);
4. its subscription to B already has the status and A's contact (``unchanged``).

**Per-profile outcome with several channels**: a profile is ``changed`` when
its subscription changed on *at least one* channel.  Otherwise its skip
reason is the first of ``unsafe_source``, ``unsafe_status``, ``unchanged``
that holds on *any* channel, and ``no_source_subscription`` only when it has
no subscription to A on any chosen channel (``profile_gone`` when it was
deleted since the selection was frozen).  (So "retry the skipped ones with
Include unsafe statuses" finds every profile an unsafe status held back.)

Triggers: a ``subscription`` trigger naming a channel fires for the profiles
whose subscription changed on that channel; one naming no channel fires once
per changed profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, literal, select
from sqlalchemy.orm import aliased

from .. import models as m
from ..fields import UNSAFE_STATUSES
from ..limits import quote
from ..store import Store
from ..words import channel_word, status_word
from . import _subscriptions as subs
from . import _work as work
from ._params import optional_bool, parse_channel, parse_status, require_text
from .base import (
    CHANGED,
    ActionContext,
    ActionError,
    Batch,
    check_keys,
    insert_trigger_events,
)

TYPE = "subscribe_from_resource"
LABEL = "Add subscription from another resource"
DESCRIPTION = (
    "Subscribe the selected profiles to a resource, taking each channel's contact from "
    "their subscription to another resource."
)
REQUIRES_CONDITIONS = False
DESTRUCTIVE = False
#: Profiles deleted since the freeze are ``profile_gone`` in the work table's fill.
SKIPS_GONE = True

KEYS = frozenset({"source_resource", "resource", "channels", "status", "include_unsafe"})


@dataclass(frozen=True)
class Params:
    source: subs.ResourceRef
    resource: subs.ResourceRef
    targets: tuple[subs.Target, ...]  # one per channel, in the job's order

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(t.channel for t in self.targets)


def _parse_channels(raw: dict[str, Any]) -> tuple[str, ...]:
    value = raw.get("channels")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ActionError("job.action.channels: give a list of one or more channels")
    channels: list[str] = []
    for item in value:
        channel = parse_channel(item, "channels")
        if channel not in channels:
            channels.append(channel)
    return tuple(channels)


def parse(conn: Connection, ctx: ActionContext, raw: dict[str, Any]) -> Params:
    check_keys(raw, KEYS)
    source_name = require_text(raw, "source_resource", "resource to take the contacts from")
    source = subs.resolve_resource(conn, ctx, source_name, "source_resource")
    resource = subs.resolve_resource(
        conn, ctx, require_text(raw, "resource", "resource"), "resource"
    )
    if resource.id == source.id:
        raise ActionError("job.action.resource: must differ from job.action.source_resource")
    channels = _parse_channels(raw)
    for channel in channels:
        missing = [r.name for r in (source, resource) if channel not in r.channels]
        if missing:
            raise ActionError(
                f"job.action.channels: channel {quote(channel)} is not configured in both "
                "resources "
                f"(not in {', '.join(repr(n) for n in missing)})"
            )
    status = parse_status(raw)
    include_unsafe = optional_bool(raw, "include_unsafe")
    targets = tuple(subs.Target(resource.id, c, status, include_unsafe) for c in channels)
    return Params(source, resource, targets)


#: Per-channel states, best first: a profile's outcome is its best state over
#: the channels (module doc), so "changed" wins, "no source" only if alone.
RANKED = (CHANGED, "unsafe_source", "unsafe_status", "unchanged", "no_source_subscription")
RANK = {outcome: rank for rank, outcome in enumerate(RANKED)}


def _fill_channel(
    conn: Connection,
    ctx: ActionContext,
    params: Params,
    target: subs.Target,
    part: int,
    batch: Batch,
) -> None:
    """Work rows ``part`` (one channel): each pending profile with a
    subscription to the source on the channel, its target subscription
    outer-joined; the channel's state, the source's contact and the target
    subscription's id.  No row: no source subscription on the channel.  With
    one channel (``part`` 0) the channel's state is the profile's outcome:
    every pending profile gets a row, ``no_source_subscription`` without one."""
    alone = part == 0
    tp, pending = work.pending_rows(batch)
    subscriptions = m.Subscription.__table__

    def source_on(sub: Any) -> ColumnElement[bool]:
        return and_(
            sub.profile_id == tp.c.profile_id,
            sub.resource_id == params.source.id,
            sub.channel == target.channel,
        )

    def target_on(sub: Any) -> ColumnElement[bool]:
        # Not looked up for a profile without the source subscription (most of
        # a selection, usually): its outcome does not depend on it.
        on = subs.joins_target(target, sub, tp.c.profile_id)
        return and_(on, src.id.is_not(None)) if alone else on

    with_source, src = work.lookup(conn, tp, subscriptions, source_on, outer=alone)
    joined, existing = work.lookup(conn, with_source, subscriptions, target_on)
    whens: list[tuple[ColumnElement[bool], Any]] = []
    if alone:
        whens.append((src.id.is_(None), _no_source(ctx.store, tp.c.profile_id)))
    if target.blocks_unsafe:
        whens.append((src.status.in_(sorted(UNSAFE_STATUSES)), literal("unsafe_source")))
    whens += [
        (cond, literal(o)) for cond, o in subs.existing_outcomes(target, existing, src.contact)
    ]
    state = case(*whens, else_=literal(CHANGED))
    rows = select(tp.c.profile_id, literal(part), state, src.contact, existing.id)
    work.fill(
        conn,
        ["profile_id", "part", "state", "contact", "ref_id"],
        rows.select_from(joined).where(*pending),
    )


def _no_source(store: Store, profile_id: Any) -> ColumnElement[str]:
    """The outcome of a profile with no subscription to the source on any
    channel: ``profile_gone`` if it was deleted since the freeze (only these
    are looked up in ``profiles``: subscriptions go with their profile, by
    foreign key), else ``no_source_subscription``."""
    gone = work.profile_gone(store, profile_id)
    return case((gone, literal("profile_gone")), else_=literal("no_source_subscription"))


def _fill_outcomes(conn: Connection, ctx: ActionContext, batch: Batch) -> None:
    """Work rows 0: each pending profile's best state over its channels' rows."""
    w = aliased(work.WORK)
    tp, pending = work.pending_rows(batch)
    rank = case({o: r for o, r in RANK.items()}, value=w.c.state)
    best = (
        select(func.min(rank))
        .where(w.c.profile_id == tp.c.profile_id, w.c.part > 0)
        .scalar_subquery()
    )
    state = func.coalesce(
        case({r: literal(o) for o, r in RANK.items()}, value=best),
        _no_source(ctx.store, tp.c.profile_id),
    )
    work.fill(
        conn,
        ["profile_id", "part", "state"],
        select(tp.c.profile_id, literal(0), state).where(*pending),
    )


def apply_batch(
    conn: Connection, ctx: ActionContext, params: Params, batch: Batch
) -> dict[str, int] | None:
    work.start(conn)
    several = len(params.targets) > 1
    # One channel: its rows are the outcomes (part 0); several: part n per channel.
    parts = [(n if several else 0, t) for n, t in enumerate(params.targets, start=1)]
    for part, target in parts:
        _fill_channel(conn, ctx, params, target, part, batch)
    if several:
        _fill_outcomes(conn, ctx, batch)
    counts = work.count_outcomes(conn, batch, work.set_outcomes(conn, batch))
    for part, target in parts:
        # Profiles whose subscription changes on *this* channel (with several
        # channels a "changed" profile may have changed on another one only).
        channel_triggers = subs.channel_only_triggers(target.resource_id, target.channel)
        if subs.any_trigger(conn, ctx, channel_triggers):
            insert_trigger_events(conn, ctx, channel_triggers, work.changed_ids(part))
        if not ctx.dry_run:
            subs.write_from_work(conn, ctx, target, part)
    triggers = subs.subscription_triggers(params.resource.id, None)
    insert_trigger_events(conn, ctx, triggers, work.changed_ids())
    return counts


def describe(params: Params) -> str:
    target = params.targets[0]
    channels = ", ".join(channel_word(c) for c in params.channels)
    unsafe = ""
    if target.status == "subscribed":
        unsafe = " (unsafe statuses included)" if target.include_unsafe else " (unsafe skipped)"
    return (
        f"Subscribe to {params.resource.name} on {channels} with status "
        f"{status_word(target.status)}, "
        f"contacts from {params.source.name}{unsafe}"
    )
