"""The journal of a task: what each batch changed and the values before, so
that the task can be reverted (:mod:`.revert`).

The actions call these helpers inside the batch's transaction, *before* they
change anything, with the profiles they are about to change (usually
``batch.changed_ids()``): each is one ``INSERT ... SELECT`` of the values as
they are and of the values the action is about to write (the same SQL
expressions the action's own UPDATE uses).  The revert restores the values
before only where the value now is still the one the task wrote; anything
changed since is a conflict, left as it is.

What a journal can hold, by table (``models``):

- ``journal_values``: scalar ``profiles`` columns (fields, the global status),
  typed: the column's type picks the ``old_*``/``new_*`` pair (:func:`slot_of`);
- ``journal_list_items``: the items of a list field (phones, tags) the task
  added and those it took away (a later, unrelated item is none of its
  business: the revert keeps it);
- ``journal_subscriptions``: status and contact of a subscription before (none
  when the task created it) and after;
- ``journal_codes``: status, holder and attach time of a promo code before and
  after;
- ``archived_profiles`` / ``archived_list_values`` / ``archived_subscriptions``:
  the profiles a task deleted, whole (with ``journal_codes`` for their codes).

Each helper also notes on the task row (``tasks.journal``) what its journal
holds, e.g. ``{"values": ["city"], "lists": [7], "subscriptions": true}``: the
revert reads that instead of scanning the journal.  Nothing is written in a
dry run or when ``ActionContext.journal`` is off (the benchmarks' switch).

Journals and archives are kept ``Settings.archive_days`` days after a task's
last activity; :func:`purge_expired` deletes older ones (the window and the
command line call it when they open a store).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    and_,
    delete,
    exists,
    func,
    insert,
    inspect,
    literal,
    null,
    select,
    text,
    true,
    update,
)
from sqlalchemy.orm import aliased

from . import models as m
from .batch import ActionContext
from .store import Store

#: The ``old_*``/``new_*`` pair of ``journal_values`` that holds a column's values.
SLOTS = ("int", "float", "text", "date", "time", "bool")
#: ``ctx.scratch`` keys of this module.
_SPEC = "journal.spec"
_ARCHIVE = "journal.archive_table"
#: Statuses a task's journal can no longer matter for (nothing runs it).
_IDLE = ("completed", "cancelled", "failed", "interrupted")


def slot_of(column: Column[Any]) -> str:
    """The journal slot of a ``profiles`` column, by its SQL type."""
    kind = column.type
    if isinstance(kind, Boolean):
        return "bool"
    if isinstance(kind, Integer):
        return "int"
    if isinstance(kind, Float):
        return "float"
    if isinstance(kind, DateTime):
        return "time"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, String):
        return "text"
    raise TypeError(f"no journal slot for column {column.name} of type {kind}")


def is_kept(ctx: ActionContext) -> bool:
    """Whether this run writes a journal (not in a dry run, not when switched off)."""
    return ctx.journal and not ctx.dry_run


# -- what a journal holds (tasks.journal) ----------------------------------------------
def _note(conn: Connection, ctx: ActionContext, kind: str, item: str | int | None = None) -> None:
    """Add ``kind`` (and ``item`` of it) to the task's journal spec; one UPDATE
    of the task row when the spec grows (a few times per run)."""
    spec: dict[str, Any] | None = ctx.scratch.get(_SPEC)
    if spec is None:
        stored = conn.execute(select(m.Task.journal).where(m.Task.id == ctx.task_id)).scalar()
        spec = dict(stored or {})
        ctx.scratch[_SPEC] = spec
    if item is None:
        if spec.get(kind) is True:
            return
        spec[kind] = True
    else:
        items = list(spec.get(kind, []))
        if item in items:
            return
        spec[kind] = sorted([*items, item], key=str)
    conn.execute(update(m.Task).where(m.Task.id == ctx.task_id).values(journal=dict(spec)))


# -- recording -------------------------------------------------------------------------
def record_values(
    conn: Connection,
    ctx: ActionContext,
    profile_ids: Select[Any],
    new_values: Mapping[str, Any],
) -> None:
    """Journal scalar ``profiles`` columns of ``profile_ids`` before an UPDATE
    that writes ``new_values`` (column name -> SQL expression over the
    ``store.profiles`` row, or a plain value).  One INSERT per column.

    A task journals all its columns in this one call per batch, so every
    profile of the task has a row for every column of ``tasks.journal``:
    the revert writes them back in one UPDATE that joins them all."""
    if not is_kept(ctx):
        return
    p = ctx.store.profiles
    jv = m.JournalValue
    for name, new in new_values.items():
        column = p.c[name]
        slot = slot_of(column)
        written = new if isinstance(new, ColumnElement) else literal(new, column.type)
        source = select(literal(ctx.task_id), p.c.id, literal(name, String), column, written).where(
            p.c.id.in_(profile_ids)
        )
        targets = ["task_id", "profile_id", "column_name", f"old_{slot}", f"new_{slot}"]
        conn.execute(insert(jv).from_select(targets, source))
        _note(conn, ctx, "values", name)


def record_list_items(
    conn: Connection, ctx: ActionContext, items: Select[Any], field_id: int, *, added: bool
) -> None:
    """Journal items of a list field (phones, tags) a change is about to add
    (``added``: the profile does not hold them yet) or to take away for good:
    ``items`` selects (profile id, field id, value), before the change."""
    if not is_kept(ctx):
        return
    rows = items.subquery()
    profile_id, field, value = list(rows.c)
    source = select(literal(ctx.task_id), profile_id, field, literal(added, Boolean), value)
    targets = ["task_id", "profile_id", "field_id", "after", "value"]
    conn.execute(insert(m.JournalListItem).from_select(targets, source))
    _note(conn, ctx, "lists", field_id)


def record_subscriptions(
    conn: Connection,
    ctx: ActionContext,
    profile_ids: Select[Any],
    *,
    resource_id: int,
    channel: str,
    status: str,
    contact_for: Any = None,
) -> None:
    """Journal the subscriptions to resource/channel of ``profile_ids`` before
    the action writes ``status`` into them.  With ``contact_for`` (the
    action's ``ContactFor``) the missing subscriptions are about to be
    created and the contact rewritten; without it only existing
    subscriptions change, keeping their contact."""
    if not is_kept(ctx):
        return
    ids = profile_ids.subquery()
    pid = next(iter(ids.c))
    sub = aliased(m.Subscription)
    on = and_(sub.profile_id == pid, sub.resource_id == resource_id, sub.channel == channel)
    if contact_for is None:
        joined = ids.join(sub, on)
        new_contact: Any = sub.contact
    else:
        joined = ids.outerjoin(sub, on)
        new_contact = contact_for(pid, sub.contact)
    source = select(
        literal(ctx.task_id),
        pid,
        literal(resource_id),
        literal(channel, String),
        sub.id.is_(None),
        sub.status,
        sub.contact,
        literal(status, String),
        new_contact,
    ).select_from(joined)
    targets = [
        "task_id",
        "profile_id",
        "resource_id",
        "channel",
        "created",
        "old_status",
        "old_contact",
        "new_status",
        "new_contact",
    ]
    conn.execute(insert(m.JournalSubscription).from_select(targets, source))
    _note(conn, ctx, "subscriptions")


def record_codes(
    conn: Connection,
    ctx: ActionContext,
    where: ColumnElement[bool],
    *,
    new: tuple[Any, Any, Any],
    old: tuple[Any, Any, Any] | None = None,
) -> None:
    """Journal the promo codes ``where`` selects (a condition on
    ``models.PromoCode``): their (status, profile, attach time) ``old`` (by
    default: as they are now) and ``new`` (what the action writes), for the
    profile that holds them now."""
    if not is_kept(ctx):
        return
    pc = m.PromoCode
    before = old or (pc.status, pc.profile_id, pc.attached_at)
    source = select(literal(ctx.task_id), pc.profile_id, pc.id, *before, *new).where(where)
    targets = [
        "task_id",
        "profile_id",
        "code_id",
        "old_status",
        "old_profile_id",
        "old_attached_at",
        "new_status",
        "new_profile_id",
        "new_attached_at",
    ]
    conn.execute(insert(m.JournalCode).from_select(targets, source))
    _note(conn, ctx, "codes")


def archive_profiles(conn: Connection, ctx: ActionContext, profile_ids: Select[Any]) -> None:
    """Move copies of whole profiles into the archive before they are deleted:
    the row with every custom column, its list items, its subscriptions (with
    their ids), and its promo codes in ``journal_codes`` (the delete unlinks
    them).  Events stay where they are (no foreign key): nothing to keep."""
    if not is_kept(ctx):
        return
    p = ctx.store.profiles
    table = _archive_table(conn, ctx)
    task = literal(ctx.task_id)
    names = [c.name for c in p.c]
    conn.execute(
        insert(table).from_select(
            ["task_id", *names], select(task, *p.c).where(p.c.id.in_(profile_ids))
        )
    )
    lv = m.ProfileListValue
    conn.execute(
        insert(m.ArchivedListValue).from_select(
            ["task_id", "profile_id", "field_id", "value"],
            select(task, lv.profile_id, lv.field_id, lv.value).where(
                lv.profile_id.in_(profile_ids)
            ),
        )
    )
    sub = m.Subscription
    columns = ["profile_id", "id", "resource_id", "channel", "contact", "status"]
    columns += ["created_at", "updated_at"]
    conn.execute(
        insert(m.ArchivedSubscription).from_select(
            ["task_id", *columns],
            select(task, *(getattr(sub, c) for c in columns)).where(
                sub.profile_id.in_(profile_ids)
            ),
        )
    )
    pc = m.PromoCode
    record_codes(conn, ctx, pc.profile_id.in_(profile_ids), new=(pc.status, null(), pc.attached_at))
    _note(conn, ctx, "archive")


def archive_table(store: Store, columns: list[str] | None = None) -> Table:
    """``archived_profiles`` with the columns of ``store.profiles`` (or only
    ``columns`` of them), for building statements."""
    keep = [c for c in store.profiles.c if columns is None or c.name in columns]
    return Table(
        m.ArchivedProfile.__tablename__,
        MetaData(),
        Column("task_id", Integer, primary_key=True),
        *(Column(c.name, c.type, primary_key=c.name == "id") for c in keep),
    )


def archived_columns(conn: Connection) -> set[str]:
    """The columns ``archived_profiles`` has in the store (custom ones included)."""
    return {c["name"] for c in inspect(conn).get_columns(m.ArchivedProfile.__tablename__)}


def _archive_table(conn: Connection, ctx: ActionContext) -> Table:
    """``archived_profiles`` with a column for every column of ``profiles``:
    the custom columns it lacks are added first (once per run)."""
    table: Table | None = ctx.scratch.get(_ARCHIVE)
    if table is not None:
        return table
    have = archived_columns(conn)
    for column in ctx.store.profiles.c:
        if column.name not in have:
            ddl_type = column.type.compile(dialect=conn.dialect)
            quoted = conn.dialect.identifier_preparer.quote(column.name)
            name = m.ArchivedProfile.__tablename__
            conn.execute(text(f"ALTER TABLE {name} ADD COLUMN {quoted} {ddl_type}"))
    table = archive_table(ctx.store)
    ctx.scratch[_ARCHIVE] = table
    return table


# -- purging ---------------------------------------------------------------------------
def last_activity(task: Any = m.Task) -> ColumnElement[dt.datetime]:
    """When a task last did something: its end, else its last heartbeat, else
    its creation.  Its journal is kept ``archive_days`` after that."""
    return func.coalesce(task.finished_at, task.heartbeat_at, task.created_at)


def is_expired(
    finished_at: dt.datetime | None,
    heartbeat_at: dt.datetime | None,
    created_at: dt.datetime,
    archive_days: int,
    now: dt.datetime,
) -> bool:
    """:func:`last_activity` in Python: is a task's journal past its archive period?"""
    last = finished_at or heartbeat_at or created_at
    return now - last > dt.timedelta(days=archive_days)


def purge_expired(store: Store, archive_days: int, now: dt.datetime | None = None) -> list[int]:
    """Delete the journals and archived profiles of the tasks whose last
    activity is more than ``archive_days`` ago (they can no longer be
    reverted) and stamp ``journal_purged_at``; returns their ids.  Not while
    a revert of the task runs (it reads the journal).  One small look-up when
    there is nothing to purge."""
    now = now or m.utcnow()
    cutoff = now - dt.timedelta(days=archive_days)
    t = m.Task
    reverting = aliased(m.Task)
    being_reverted = exists(
        select(reverting.id).where(
            reverting.revert_of == t.id, reverting.status.in_(("running", "queued"))
        )
    )
    with store.begin() as conn:
        expired = [
            int(task_id)
            for task_id in conn.execute(
                select(t.id).where(
                    t.journal.is_not(None),
                    t.journal_purged_at.is_(None),
                    t.status.in_(_IDLE),
                    last_activity() < cutoff,
                    ~being_reverted,
                )
            ).scalars()
        ]
        if not expired:
            return []
        for model in m.JOURNAL_TABLES:
            conn.execute(delete(model).where(model.task_id.in_(expired)))
        conn.execute(update(t).where(t.id.in_(expired)).values(journal_purged_at=now))
    return expired


# -- reading (for the revert) -----------------------------------------------------------
def has_journal_rows(conn: Connection, task_id: int) -> bool:
    """Whether any journal table holds a row of the task (a cheap probe)."""
    for model in m.JOURNAL_TABLES:
        found = conn.execute(select(true()).where(model.task_id == task_id).limit(1)).first()
        if found is not None:
            return True
    return False


def spec_of(raw: Any) -> dict[str, Any]:
    """A task's ``journal`` column as a dict (empty when it kept none)."""
    return dict(raw) if isinstance(raw, dict) else {}
