"""Add subscription, source = profile fields.

Subscribes the selected profiles to a resource (attached to the database) on
one channel with the chosen status, taking the contact from a profile field:
an email field for ``email``; the Phones field for ``sms``, ``whatsapp`` and
``viber``; an additional (custom text) field for the other channels.

Per profile, first reason wins:

1. ``no_contact``: the field is empty (no email, no phone, blank text);
2. ``invalid_contact``: the contact does not fit the channel (an email that
   is not an address; no phone of the profile matches ``+<7-15 digits>``);
3. ``unsafe_status``: the target status is ``subscribed``, the existing
   subscription to the resource/channel has an unsafe status, and "Include
   unsafe statuses" is off;
4. ``unchanged``: the existing subscription already has the status and the
   contact;
5. otherwise the subscription is inserted, or its status, contact and
   ``updated_at`` are updated (``changed``), and the ``subscription``
   triggers of the resource/channel fire.

A profile with several phones keeps the phone its subscription already uses
while that is still one of its valid phones; otherwise (and for a new
subscription) it is subscribed with its *smallest valid phone* in text order
(e.g. ``+33...`` before ``+49...``), so the choice is the same on every
backend and every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, Connection, case, func, literal, or_, select
from sqlalchemy.orm import aliased

from .. import models as m
from ..fields import EMAIL_RE, PHONE_CHANNELS, PHONE_RE, Channel, FieldType
from ..limits import quote
from ..store import FieldInfo
from ..words import channel_word, status_word
from . import _subscriptions as subs
from . import _work as work
from ._params import optional_bool, parse_channel, parse_status, require_text
from .base import (
    CHANGED,
    ActionContext,
    ActionError,
    Batch,
    ProfileId,
    check_keys,
    insert_trigger_events,
    probe,
)

TYPE = "subscribe_from_fields"
LABEL = "Add subscription from profile fields"
DESCRIPTION = (
    "Subscribe the selected profiles to a resource on one channel, taking the contact "
    "(email, phone or other id) from a profile field."
)
REQUIRES_CONDITIONS = False
DESTRUCTIVE = False
#: Profiles deleted since the freeze are ``profile_gone`` in the work table's
#: fill (the profile's row is looked up there anyway).
SKIPS_GONE = True

KEYS = frozenset({"resource", "channel", "status", "source_field", "include_unsafe"})


@dataclass(frozen=True)
class ContactField:
    """The profile field a contact comes from, as SQL over a ``profiles`` row."""

    field_id: int
    label: str
    type: FieldType
    column_name: str | None
    store_profiles: Any  # the store's profiles Table (with custom columns)

    def _valid_phone(self, pid: Any, current: Any) -> ColumnElement[Any]:
        """The phone to subscribe: ``current`` (the subscription's contact) while
        it is still one of the profile's valid phones, else the smallest valid
        phone of the profile (NULL if it has none)."""
        valid = PHONE_RE.pattern
        plv = aliased(m.ProfileListValue)
        smallest = (
            select(func.min(plv.value))
            .where(
                plv.profile_id == pid,
                plv.field_id == self.field_id,
                plv.value.regexp_match(valid),
            )
            .scalar_subquery()
        )
        if current is None:
            return smallest
        kept = aliased(m.ProfileListValue)
        still_valid = (
            select(kept.value)
            .where(
                kept.profile_id == pid,
                kept.field_id == self.field_id,
                kept.value == current,
                kept.value.regexp_match(valid),
            )
            .scalar_subquery()
        )
        return func.coalesce(still_valid, smallest)

    def value(self, p: Any, current: Any = None) -> ColumnElement[Any]:
        """The contact of the profile row ``p`` (for phones see ``_valid_phone``)."""
        if self.type is FieldType.PHONES:
            return self._valid_phone(p.c.id, current)
        return p.c[self.column_name]

    def missing(self, p: Any) -> ColumnElement[bool]:
        """The field of the profile row ``p`` holds nothing (no item, NULL or blank)."""
        if self.type is FieldType.PHONES:
            plv = aliased(m.ProfileListValue)
            return ~probe(
                select(plv.profile_id).where(
                    plv.profile_id == p.c.id,
                    plv.field_id == self.field_id,
                    func.trim(plv.value) != "",
                )
            )
        col = p.c[self.column_name]
        return or_(col.is_(None), func.trim(col) == "")

    def invalid(self, p: Any) -> ColumnElement[bool] | None:
        """The value does not fit the channel (None: any non-blank text fits)."""
        if self.type is FieldType.PHONES:
            return self.value(p).is_(None)
        if self.type is FieldType.EMAIL:
            return ~p.c[self.column_name].regexp_match(EMAIL_RE.pattern)
        return None

    def contact_for(self, pid: ProfileId, current: Any) -> ColumnElement[str]:
        """The contact written into the subscription of profile ``pid``."""
        if self.type is FieldType.PHONES:
            return self._valid_phone(pid, current)
        p = self.store_profiles
        return select(p.c[self.column_name]).where(p.c.id == pid).scalar_subquery()


@dataclass(frozen=True)
class Params:
    resource: str
    target: subs.Target
    contact: ContactField


def _find_field(fields: list[FieldInfo], name: str) -> FieldInfo:
    for info in fields:
        if info.key == name:
            return info
    for info in fields:
        if info.label == name:
            return info
    raise ActionError(f"job.action.source_field: no field named {quote(name)} in the database")


def _check_field_fits(info: FieldInfo, channel: str) -> None:
    if channel == Channel.EMAIL:
        fits, needed = info.type is FieldType.EMAIL, "an email field"
    elif channel in PHONE_CHANNELS:
        fits, needed = info.type is FieldType.PHONES, "the Phones field"
    else:
        fits = info.type is FieldType.STRING and not info.is_system
        needed = "an additional text field"
    if not fits:
        raise ActionError(
            f"job.action.source_field: field {quote(info.key)} cannot hold the contact for channel "
            f"{quote(channel)} (use {needed})"
        )


def _default_source(channel: str) -> str | None:
    if channel == Channel.EMAIL:
        return "email"
    if channel in PHONE_CHANNELS:
        return "phones"
    return None


def parse(conn: Connection, ctx: ActionContext, raw: dict[str, Any]) -> Params:
    check_keys(raw, KEYS)
    resource = subs.resolve_resource(
        conn, ctx, require_text(raw, "resource", "resource"), "resource"
    )
    channel = parse_channel(raw.get("channel"), "channel")
    subs.require_configured(resource, channel)
    status = parse_status(raw)
    include_unsafe = optional_bool(raw, "include_unsafe")
    source_name = raw.get("source_field", _default_source(channel))
    if not isinstance(source_name, str) or not source_name.strip():
        raise ActionError("job.action.source_field: name the field that holds the contact")
    info = _find_field(ctx.store.fields(conn, ctx.database_id), source_name.strip())
    _check_field_fits(info, channel)
    contact = ContactField(info.id, info.label, info.type, info.column_name, ctx.store.profiles)
    target = subs.Target(resource.id, channel, status, include_unsafe)
    return Params(resource.name, target, contact)


def outcome_of(params: Params) -> Any:
    """The outcome of a profile (module doc) as a correlated look-up of its row
    and its existing subscription (the import's subscriptions use it; a job's
    batch computes it once into the work table, :func:`_fill_work`)."""
    target, contact = params.target, params.contact

    def outcome(pid: ProfileId) -> ColumnElement[str]:
        p = contact.store_profiles
        existing = aliased(m.Subscription)
        whens: subs.Whens = [(contact.missing(p), "no_contact")]
        invalid = contact.invalid(p)
        if invalid is not None:
            whens.append((invalid, "invalid_contact"))
        whens += subs.existing_outcomes(target, existing, contact.value(p, existing.contact))
        state = (
            select(case(*whens, else_=literal(CHANGED)))
            .select_from(p)
            .outerjoin(existing, subs.joins_target(target, existing, p.c.id))
            .where(p.c.id == pid)
            .scalar_subquery()
        )
        return func.coalesce(state, "profile_gone")

    return outcome


def _fill_work(conn: Connection, params: Params, batch: Batch) -> None:
    """Each pending profile of the batch joined to its row and (outer) to its
    subscription to the target: the outcome (module doc), the contact to
    write and the subscription's id, in one statement."""
    target, contact = params.target, params.contact
    tp, pending = work.pending_rows(batch)
    with_profile, row = work.lookup(
        conn, tp, contact.store_profiles, lambda prof: prof.id == tp.c.profile_id
    )
    p = SimpleNamespace(c=row)  # the profile's row, as ContactField reads one
    joined, existing = work.lookup(
        conn,
        with_profile,
        m.Subscription.__table__,
        lambda sub: subs.joins_target(target, sub, tp.c.profile_id),
    )
    value = contact.value(p, existing.contact)
    whens: subs.Whens = [(p.c.id.is_(None), "profile_gone"), (contact.missing(p), "no_contact")]
    invalid = contact.invalid(p)
    if invalid is not None:
        whens.append((invalid, "invalid_contact"))
    whens += subs.existing_outcomes(target, existing, value)
    state = case(*((cond, literal(o)) for cond, o in whens), else_=literal(CHANGED))
    source = select(tp.c.profile_id, literal(0), state, value, existing.id).select_from(joined)
    work.fill(conn, ["profile_id", "part", "state", "contact", "ref_id"], source.where(*pending))


def apply_batch(
    conn: Connection, ctx: ActionContext, params: Params, batch: Batch
) -> dict[str, int] | None:
    target = params.target
    work.start(conn)
    _fill_work(conn, params, batch)
    counts = work.count_outcomes(conn, batch, work.set_outcomes(conn, batch))
    if not ctx.dry_run:
        subs.write_from_work(conn, ctx, target)
    triggers = subs.subscription_triggers(target.resource_id, target.channel)
    insert_trigger_events(conn, ctx, triggers, work.changed_ids())
    return counts


def describe(params: Params) -> str:
    target = params.target
    unsafe = (
        " (unsafe statuses skipped)"
        if target.blocks_unsafe
        else " (unsafe statuses included)"
        if target.include_unsafe and target.status == "subscribed"
        else ""
    )
    return (
        f"Subscribe to {params.resource} / {channel_word(target.channel)} with status "
        f"{status_word(target.status)}, "
        f"contact from {params.contact.label}{unsafe}"
    )
