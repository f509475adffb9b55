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
no subscription to A on any chosen channel.  (So "retry the skipped ones with
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
from . import _subscriptions as subs
from ._params import optional_bool, parse_channel, parse_status, require_text
from .base import (
    CHANGED,
    ActionContext,
    ActionError,
    Batch,
    ProfileId,
    check_keys,
    classify,
    insert_trigger_events,
    record_trigger_events,
)

TYPE = "subscribe_from_resource"
LABEL = "Add subscription from another resource"
DESCRIPTION = (
    "Subscribe the selected profiles to a resource, taking each channel's contact from "
    "their subscription to another resource."
)
REQUIRES_CONDITIONS = False
DESTRUCTIVE = False

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


def _source_contact(params: Params, channel: str) -> subs.ContactFor:
    def contact_for(pid: ProfileId, _current: Any) -> ColumnElement[str]:
        src = aliased(m.Subscription)
        return (
            select(src.contact)
            .where(
                src.profile_id == pid, src.resource_id == params.source.id, src.channel == channel
            )
            .scalar_subquery()
        )

    return contact_for


#: Per-channel states, best first: a profile's outcome is its best state over
#: the channels (module doc), so "changed" wins, "no source" only if alone.
RANKED = (CHANGED, "unsafe_source", "unsafe_status", "unchanged", "no_source_subscription")
RANK = {outcome: rank for rank, outcome in enumerate(RANKED)}


def _channel_state(
    params: Params, target: subs.Target, pid: ProfileId, label: dict[str, Any]
) -> ColumnElement[Any]:
    """The profile's state on one channel, as ``label[state]`` (state from
    RANKED): one look-up of its source subscription with its target
    subscription outer-joined."""
    src = aliased(m.Subscription)
    existing = aliased(m.Subscription)
    whens: subs.Whens = []
    if target.blocks_unsafe:
        whens.append((src.status.in_(sorted(UNSAFE_STATUSES)), "unsafe_source"))
    whens += subs.existing_outcomes(target, existing, src.contact)
    state = (
        select(
            case(*((cond, literal(label[o])) for cond, o in whens), else_=literal(label[CHANGED]))
        )
        .select_from(src)
        .outerjoin(existing, subs.joins_target(target, existing, src.profile_id))
        .where(
            src.profile_id == pid,
            src.resource_id == params.source.id,
            src.channel == target.channel,
        )
        .scalar_subquery()
    )
    return func.coalesce(state, literal(label["no_source_subscription"]))


def _channel_rank(params: Params, target: subs.Target, pid: ProfileId) -> ColumnElement[int]:
    return _channel_state(params, target, pid, RANK)


def _outcome(params: Params, dialect: str) -> Any:
    """The outcome of a profile: its best state over the chosen channels."""
    least = func.min if dialect == "sqlite" else func.least

    def outcome(pid: ProfileId) -> ColumnElement[str]:
        if len(params.targets) == 1:
            return _channel_state(params, params.targets[0], pid, {o: o for o in RANKED})
        best = least(*(_channel_rank(params, t, pid) for t in params.targets))
        return case({rank: literal(o) for o, rank in RANK.items()}, value=best)

    return outcome


def apply_batch(conn: Connection, ctx: ActionContext, params: Params, batch: Batch) -> None:
    classify(conn, batch, _outcome(params, conn.dialect.name))
    tp = m.TaskProfile
    several = len(params.targets) > 1
    for target in params.targets:
        # Profiles whose subscription changes on *this* channel (with several
        # channels a "changed" profile may have changed on another one only).
        rows = tp.outcome == CHANGED
        if several:
            rows = and_(rows, _channel_rank(params, target, tp.profile_id) == RANK[CHANGED])
        channel_triggers = subs.channel_only_triggers(target.resource_id, target.channel)
        if subs.any_trigger(conn, ctx, channel_triggers):
            # Before this channel's write: the rows are about the state before it.
            changed_here = select(tp.profile_id).where(batch.rows_where(), rows)
            insert_trigger_events(conn, ctx, channel_triggers, changed_here)
        if not ctx.dry_run:
            contact_for = _source_contact(params, target.channel)
            subs.write_subscriptions(conn, ctx, target, batch, rows, contact_for)
    record_trigger_events(conn, ctx, batch, subs.subscription_triggers(params.resource.id, None))


def describe(params: Params) -> str:
    target = params.targets[0]
    channels = ", ".join(params.channels)
    unsafe = ""
    if target.status == "subscribed":
        unsafe = " (unsafe statuses included)" if target.include_unsafe else " (unsafe skipped)"
    return (
        f"Subscribe to {params.resource.name} on {channels} with status {target.status}, "
        f"contacts from {params.source.name}{unsafe}"
    )
