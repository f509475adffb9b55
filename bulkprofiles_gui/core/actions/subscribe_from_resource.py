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

from sqlalchemy import ColumnElement, Connection, and_, or_, select
from sqlalchemy.orm import aliased

from .. import models as m
from ..fields import UNSAFE_STATUSES
from . import _subscriptions as subs
from ._params import (
    ProfileCondition,
    ProfileId,
    batch_ids,
    optional_bool,
    parse_channel,
    parse_status,
    require_text,
)
from .base import (
    CHANGED,
    ActionContext,
    ActionError,
    Batch,
    check_keys,
    insert_trigger_events,
    mark_outcome,
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
                f"job.action.channels: channel {channel!r} is not configured in both resources "
                f"(not in {', '.join(repr(n) for n in missing)})"
            )
    status = parse_status(raw)
    include_unsafe = optional_bool(raw, "include_unsafe")
    targets = tuple(subs.Target(resource.id, c, status, include_unsafe) for c in channels)
    return Params(source, resource, targets)


def _source_contact(params: Params, channel: str) -> subs.ContactFor:
    def contact_for(pid: ProfileId) -> ColumnElement[str]:
        src = aliased(m.Subscription)
        return (
            select(src.contact)
            .where(
                src.profile_id == pid, src.resource_id == params.source.id, src.channel == channel
            )
            .scalar_subquery()
        )

    return contact_for


def _has_source(params: Params, channel: str) -> ProfileCondition:
    return subs.subscription_exists(params.source.id, channel)


def _unsafe_source(params: Params, channel: str) -> ProfileCondition:
    return subs.subscription_exists(params.source.id, channel, statuses=UNSAFE_STATUSES)


def _changing(params: Params, target: subs.Target) -> ProfileCondition:
    """Condition: the profile's subscription to the target changes on this channel."""
    has_source = _has_source(params, target.channel)
    unsafe_source = _unsafe_source(params, target.channel)
    unsafe_existing = subs.unsafe_existing(target)
    unchanged = subs.unchanged(target, _source_contact(params, target.channel))

    def condition(pid: ProfileId) -> ColumnElement[bool]:
        parts = [has_source(pid), ~unchanged(pid)]
        if target.blocks_unsafe:
            parts += [~unsafe_source(pid), ~unsafe_existing(pid)]
        return and_(*parts)

    return condition


def _on_any_channel(params: Params, build: Any) -> ProfileCondition:
    """Condition: ``build(target)`` holds for the profile on at least one channel."""
    conditions = [build(t) for t in params.targets]

    def condition(pid: ProfileId) -> ColumnElement[bool]:
        return or_(*(c(pid) for c in conditions))

    return condition


def apply_batch(conn: Connection, ctx: ActionContext, params: Params, batch: Batch) -> None:
    tp = m.TaskProfile
    for target in params.targets:
        changing = _changing(params, target)
        changing_ids = batch_ids(batch, changing, pending=False)
        # Channel-specific triggers first: the condition is about the state
        # before this channel's write.
        insert_trigger_events(
            conn, ctx, subs.channel_only_triggers(target.resource_id, target.channel), changing_ids
        )
        mark_outcome(conn, batch, CHANGED, changing_ids)
        if not ctx.dry_run:
            contact_for = _source_contact(params, target.channel)
            subs.write_subscriptions(conn, ctx, target, batch, changing(tp.profile_id), contact_for)
    _mark_skipped(conn, params, batch)
    record_trigger_events(conn, ctx, batch, subs.subscription_triggers(params.resource.id, None))


def _mark_skipped(conn: Connection, params: Params, batch: Batch) -> None:
    """Skip reasons for the profiles that changed on no channel (module doc)."""
    blocks_unsafe = params.targets[0].blocks_unsafe
    if blocks_unsafe:
        unsafe_source = _on_any_channel(params, lambda t: _unsafe_source(params, t.channel))
        mark_outcome(conn, batch, "unsafe_source", batch_ids(batch, unsafe_source))

        def unsafe_existing(t: subs.Target) -> ProfileCondition:
            has_source, unsafe = _has_source(params, t.channel), subs.unsafe_existing(t)
            return lambda pid: and_(has_source(pid), unsafe(pid))

        unsafe_status = _on_any_channel(params, unsafe_existing)
        mark_outcome(conn, batch, "unsafe_status", batch_ids(batch, unsafe_status))
    unchanged = _on_any_channel(
        params, lambda t: subs.unchanged(t, _source_contact(params, t.channel))
    )
    mark_outcome(conn, batch, "unchanged", batch_ids(batch, unchanged))
    # What is left has no subscription to the source on any chosen channel.
    mark_outcome(conn, batch, "no_source_subscription")


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
