"""What the three subscription actions share: resource look-up, the unsafe-status
rule, writing subscriptions set-based, and subscription triggers.

**Unsafe statuses rule** (domain.md): when the target status is
``subscribed`` and "Include unsafe statuses" is off, a profile whose existing
subscription (same resource and channel) has an unsafe status (unsubscribed,
complainer, hardbounced, invalid) is not updated (skip ``unsafe_status``).
:meth:`Target.blocks_unsafe` says when the rule applies and
:func:`existing_outcomes` turns it into SQL; every action uses them rather
than repeating the condition.

Each action computes a batch in *one* pass into the batch's work table
(``_work``): the pending profiles joined to their contact and their
existing subscription to the target (outer-joined), a CASE naming the
outcome, the contact to write and the existing subscription's id.  The writes
(:func:`write_from_work`, :func:`set_status_from_work`) and the triggers then
read that table by key instead of looking everything up again.  Contacts
are given as a function of a profile id column returning a scalar
sub-select (a key look-up into the work table).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    DateTime,
    Integer,
    Select,
    String,
    and_,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import aliased

from .. import journal
from .. import models as m
from ..fields import UNSAFE_STATUSES, Status
from ..limits import quote
from . import _work as work
from ._params import database_name
from .base import ActionContext, ActionError, Batch, ProfileCondition, ProfileId, probe

#: A correlated scalar sub-select giving the contact to write for a profile id
#: (or NULL), given the contact its subscription has now (None when inserting).
ContactFor = Callable[[ProfileId, Any], ColumnElement[str]]
#: CASE branches: (condition, outcome), first match wins.
Whens = list[tuple[ColumnElement[bool], str]]


@dataclass(frozen=True)
class ResourceRef:
    id: int
    name: str
    channels: tuple[str, ...]


@dataclass(frozen=True)
class Target:
    """The subscription an action writes: resource, channel and new status."""

    resource_id: int
    channel: str
    status: str
    include_unsafe: bool

    @property
    def blocks_unsafe(self) -> bool:
        """True when the unsafe-status rule holds back unsafe subscriptions."""
        return self.status == Status.SUBSCRIBED and not self.include_unsafe


def resolve_resource(conn: Connection, ctx: ActionContext, name: str, key: str) -> ResourceRef:
    """The resource named ``name``, attached to the job's database."""
    found = conn.execute(
        select(m.Resource.id, m.Resource.name).where(m.Resource.name == name)
    ).first()
    if found is None:
        raise ActionError(f"job.action.{key}: no resource named {quote(name)}")
    rid = int(found[0])
    attached = conn.execute(
        select(m.ResourceDatabase.resource_id).where(
            m.ResourceDatabase.resource_id == rid,
            m.ResourceDatabase.database_id == ctx.database_id,
        )
    ).first()
    if attached is None:
        db_name = database_name(conn, ctx.database_id)
        raise ActionError(
            f"job.action.{key}: resource {quote(name)} is not attached to database {quote(db_name)}"
        )
    channels = conn.execute(
        select(m.ResourceChannel.channel)
        .where(m.ResourceChannel.resource_id == rid)
        .order_by(m.ResourceChannel.channel)
    ).scalars()
    return ResourceRef(rid, str(found[1]), tuple(channels))


def require_configured(resource: ResourceRef, channel: str, key: str = "channel") -> None:
    if channel not in resource.channels:
        configured = ", ".join(resource.channels) or "none"
        raise ActionError(
            f"job.action.{key}: channel {quote(channel)} is not configured in resource "
            f"{quote(resource.name)} (configured: {configured})"
        )


def existing_outcomes(target: Target, existing: Any, contact: Any = None) -> Whens:
    """CASE branches for the profile's existing subscription to the target.

    ``existing`` is an alias of ``subscriptions`` outer-joined on the target's
    resource/channel (its columns are NULL when there is none, and then no
    branch matches): ``unsafe_status`` under the unsafe-status rule, then
    ``unchanged`` when it already has the status (and ``contact``, if given).
    """
    whens: Whens = []
    if target.blocks_unsafe:
        whens.append((existing.status.in_(sorted(UNSAFE_STATUSES)), "unsafe_status"))
    same: ColumnElement[bool] = existing.status == target.status
    if contact is not None:
        same = and_(same, existing.contact == contact)
    whens.append((same, "unchanged"))
    return whens


def joins_target(target: Target, existing: Any, profile_id: Any) -> ColumnElement[bool]:
    """ON clause: ``existing`` is ``profile_id``'s subscription to the target."""
    return and_(
        existing.profile_id == profile_id,
        existing.resource_id == target.resource_id,
        existing.channel == target.channel,
    )


def subscription_exists(resource_id: int, channel: str) -> ProfileCondition:
    """Condition: the profile has a subscription to resource/channel."""

    def condition(pid: ProfileId) -> ColumnElement[bool]:
        sub = aliased(m.Subscription)
        return probe(
            select(sub.id).where(
                sub.profile_id == pid, sub.resource_id == resource_id, sub.channel == channel
            )
        )

    return condition


def write_subscriptions_for(
    conn: Connection,
    ctx: ActionContext,
    target: Target,
    profile_ids: Select[Any],
    contact_for: ContactFor,
) -> None:
    """Subscribe the profiles ``profile_ids`` selects (a one-column select) to
    the target: update the existing subscriptions (status, contact,
    updated_at), insert the missing ones.  Two set-based statements."""
    sub = m.Subscription
    conn.execute(
        update(sub)
        .where(
            sub.resource_id == target.resource_id,
            sub.channel == target.channel,
            sub.profile_id.in_(profile_ids),
        )
        .values(
            status=target.status,
            contact=contact_for(sub.profile_id, sub.contact),
            updated_at=ctx.now,
        )
    )
    ids = profile_ids.subquery()
    pid = next(iter(ids.c))
    missing = select(
        pid,
        literal(target.resource_id, Integer),
        literal(target.channel, String),
        contact_for(pid, None),
        literal(target.status, String),
        literal(ctx.now, DateTime),
        literal(ctx.now, DateTime),
    ).where(~subscription_exists(target.resource_id, target.channel)(pid))
    columns = ["profile_id", "resource_id", "channel", "contact", "status"]
    conn.execute(insert(sub).from_select([*columns, "created_at", "updated_at"], missing))


def subscription_triggers(resource_id: int, channel: str | None) -> ColumnElement[bool]:
    """Triggers of kind ``subscription`` for the resource (or any resource) and
    the channel (or any channel).  With ``channel=None``: only the triggers
    that name no channel."""
    t = m.Trigger
    resource_ok = or_(t.resource_id.is_(None), t.resource_id == resource_id)
    channel_ok: ColumnElement[bool]
    if channel is None:
        channel_ok = t.channel.is_(None)
    else:
        channel_ok = or_(t.channel.is_(None), t.channel == channel)
    return and_(t.kind == "subscription", resource_ok, channel_ok)


def channel_only_triggers(resource_id: int, channel: str) -> ColumnElement[bool]:
    """Triggers of kind ``subscription`` naming exactly ``channel`` (and the
    resource or any): the multi-channel action fires these per channel."""
    t = m.Trigger
    resource_ok = or_(t.resource_id.is_(None), t.resource_id == resource_id)
    return and_(t.kind == "subscription", resource_ok, t.channel == channel)


def any_trigger(conn: Connection, ctx: ActionContext, trigger_filter: ColumnElement[bool]) -> bool:
    """Whether an active trigger of the database matches (and triggers are on)."""
    if ctx.skip_triggers or ctx.dry_run:
        return False
    t = m.Trigger
    found = conn.execute(
        select(t.id)
        .where(t.active.is_(True), trigger_filter)
        .where(or_(t.database_id.is_(None), t.database_id == ctx.database_id))
        .limit(1)
    ).first()
    return found is not None


def write_from_work(conn: Connection, ctx: ActionContext, target: Target, part: int = 0) -> None:
    """Subscribe the work table's ``changed`` profiles of ``part`` to the
    target, journalled first: update the existing subscription (its id is
    the row's ``ref_id``) with status, the row's contact and ``updated_at``,
    insert the missing ones.  Three set-based statements driven by the
    batch's few thousand work rows."""
    w = work.WORK
    journal.record_subscriptions(
        conn,
        ctx,
        work.changed_ids(part),
        resource_id=target.resource_id,
        channel=target.channel,
        status=target.status,
        contact_for=work.contact_of(part),
    )
    sub = m.Subscription
    conn.execute(
        update(sub)
        .where(sub.id == w.c.ref_id, work.changed(part))
        .values(status=target.status, contact=w.c.contact, updated_at=ctx.now)
    )
    new = select(
        w.c.profile_id,
        literal(target.resource_id, Integer),
        literal(target.channel, String),
        w.c.contact,
        literal(target.status, String),
        literal(ctx.now, DateTime),
        literal(ctx.now, DateTime),
    ).where(work.changed(part), w.c.ref_id.is_(None))
    columns = ["profile_id", "resource_id", "channel", "contact", "status"]
    conn.execute(insert(sub).from_select([*columns, "created_at", "updated_at"], new))


def set_status_from_work(
    conn: Connection, ctx: ActionContext, target: Target, batch: Batch
) -> None:
    """Set the target status on the existing subscriptions (``ref_id``) of the
    work table's ``changed`` profiles, journalled first; the contact stays.
    The journal takes the profiles from ``task_profiles`` (the same ones, the
    outcomes are copied): SQLite, which has no statistics of the work table,
    would drive its join from every subscription of the resource."""
    journal.record_subscriptions(
        conn,
        ctx,
        batch.changed_ids(),
        resource_id=target.resource_id,
        channel=target.channel,
        status=target.status,
    )
    sub = m.Subscription
    w = work.WORK
    changed_refs = select(w.c.ref_id).where(work.changed(), w.c.ref_id.is_not(None))
    conn.execute(
        update(sub).where(sub.id.in_(changed_refs)).values(status=target.status, updated_at=ctx.now)
    )
