"""The SQL of a revert (:mod:`.revert`): which profiles changed since the
task (conflicts), writing the journalled values back, and the triggers a
revert starts when asked.  Every statement is set-based over one batch of
the revert's selection; the profile ids come from its ``task_profiles``.

What "changed since" means, per kind of journal (``journal.py``):

- a column: its value is not the one the task wrote (``new_*``);
- a list field: an item the task added is gone, or one it took away is back
  (other items are none of its business: kept, and no conflict);
- a subscription: gone, or its status or contact not the ones the task wrote;
- a promo code: gone, or its status, holder or attach time not the ones the
  task wrote; or, to give a detached code back, its holder got another code
  of the program since;
- a deleted profile: its id is taken again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Table,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.orm import aliased

from . import journal
from . import models as m
from .actions.base import ActionContext, probe
from .outcomes import RESTORED

CONFLICT = "conflict"


@dataclass(frozen=True)
class RevertParams:
    """What a revert's batches need: the reverted task and its journal, as
    far as the store still has what it names."""

    reverted: int
    #: Journalled ``profiles`` columns that still exist.
    columns: tuple[Any, ...]
    #: Journalled list fields that still exist.
    list_fields: tuple[int, ...]
    subscriptions: bool
    codes: bool
    #: ``archived_profiles`` with the columns ``profiles`` still has (a delete).
    archive: Table | None
    triggers: bool


# -- classify ---------------------------------------------------------------------------------
def outcome_of(ctx: ActionContext, params: RevertParams) -> Any:
    """The revert outcome of a profile (module doc): one sub-select of the
    profile's row (none: ``profile_gone``) whose CASE looks up what the task
    wrote, correlated to that row."""
    p = ctx.store.profiles

    def outcome(pid: Any) -> ColumnElement[str]:
        if params.archive is not None:
            present = probe(select(p.c.id).where(p.c.id == pid))
            changed = [present, *_changed_since(params, pid)]  # present: its id is taken again
            return case((or_(*changed), literal(CONFLICT)), else_=literal(RESTORED))
        changed = [*_columns_changed(ctx, params), *_changed_since(params, p.c.id)]
        state: Any = literal(RESTORED)
        if changed:
            state = case((or_(*changed), literal(CONFLICT)), else_=literal(RESTORED))
        row = select(state).where(p.c.id == pid).scalar_subquery()
        return func.coalesce(row, literal("profile_gone"))

    return outcome


def _changed_since(params: RevertParams, pid: Any) -> list[ColumnElement[bool]]:
    """Conditions: one of the list items, subscriptions or codes the task
    wrote for profile ``pid`` is not as it left it."""
    t = params.reverted
    found: list[ColumnElement[bool]] = []
    for field_id in params.list_fields:
        found.append(_list_changed(t, field_id, pid))
    if params.subscriptions:
        js, s = aliased(m.JournalSubscription), aliased(m.Subscription)
        found.append(
            probe(
                select(true())
                .select_from(js)
                .outerjoin(s, _same_subscription(s, js))
                .where(
                    js.task_id == t,
                    js.profile_id == pid,
                    or_(
                        s.id.is_(None),
                        s.status != js.new_status,
                        s.contact.is_distinct_from(js.new_contact),
                    ),
                )
            )
        )
    if params.codes:
        found.append(_codes_changed(t, pid))
    return found


def _columns_changed(ctx: ActionContext, params: RevertParams) -> list[ColumnElement[bool]]:
    """Per journalled column, over the ``profiles`` row of the enclosing
    select: its value is not the one the task wrote (one key look-up)."""
    return [
        column.is_distinct_from(_journalled(ctx, params, column, "new"))
        for column in params.columns
    ]


def _journalled(ctx: ActionContext, params: RevertParams, column: Any, which: str) -> Any:
    """The ``old`` or ``new`` value of ``column`` in the journal, for the
    ``profiles`` row of the enclosing statement."""
    jv = aliased(m.JournalValue)
    return (
        select(getattr(jv, f"{which}_{journal.slot_of(column)}"))
        .where(
            jv.task_id == params.reverted,
            jv.profile_id == ctx.store.profiles.c.id,
            jv.column_name == column.name,
        )
        .scalar_subquery()
    )


def _list_changed(task_id: int, field_id: int, pid: Any) -> ColumnElement[bool]:
    """An item the task added to the list field is gone, or one it took away
    is back (items nobody journalled are left alone, and are no conflict)."""

    def journalled(added: bool, still_there: bool) -> ColumnElement[bool]:
        item, now = aliased(m.JournalListItem), aliased(m.ProfileListValue)
        # Two levels down from the profile id: correlated explicitly (automatic
        # correlation only reaches the select right around a sub-select).
        held = probe(
            select(true())
            .where(now.profile_id == pid, now.field_id == field_id, now.value == item.value)
            .correlate_except(now)
        )
        return probe(
            select(true()).where(
                item.task_id == task_id,
                item.profile_id == pid,
                item.field_id == field_id,
                item.after.is_(added),
                held if still_there else ~held,
            )
        )

    return or_(journalled(added=True, still_there=False), journalled(added=False, still_there=True))


def _codes_changed(task_id: int, pid: Any) -> ColumnElement[bool]:
    """A code the task wrote is not as it left it, or (to give a detached code
    back) its holder got another code of the program since."""
    jc, c, other = aliased(m.JournalCode), aliased(m.PromoCode), aliased(m.PromoCode)
    holds_another = probe(
        select(true()).where(
            other.program_id == c.program_id,
            other.profile_id == jc.old_profile_id,
            other.status == "attached",
            other.id != c.id,
        )
    )
    return probe(
        select(true())
        .select_from(jc)
        .outerjoin(c, c.id == jc.code_id)
        .where(
            jc.task_id == task_id,
            jc.profile_id == pid,
            or_(
                c.id.is_(None),
                c.status != jc.new_status,
                c.profile_id.is_distinct_from(jc.new_profile_id),
                c.attached_at.is_distinct_from(jc.new_attached_at),
                and_(jc.old_status == "attached", jc.old_profile_id.is_not(None), holds_another),
            ),
        )
    )


def _same_subscription(s: Any, js: Any) -> ColumnElement[bool]:
    return and_(
        s.profile_id == js.profile_id, s.resource_id == js.resource_id, s.channel == js.channel
    )


# -- restore ------------------------------------------------------------------------------------
def restore(
    conn: Connection, ctx: ActionContext, params: RevertParams, restored: Select[Any]
) -> None:
    """Write the journalled values back for the ``restored`` profiles."""
    if params.archive is not None:
        _restore_archive(conn, ctx, params, restored)
    if params.columns:
        _restore_columns(conn, ctx, params, restored)
    for field_id in params.list_fields:
        _restore_list(conn, params.reverted, field_id, restored)
    if params.subscriptions:
        _restore_subscriptions(conn, ctx, params.reverted, restored)
    if params.codes:
        jc, pc = m.JournalCode, m.PromoCode
        conn.execute(
            update(pc)
            .where(jc.task_id == params.reverted, jc.code_id == pc.id, jc.profile_id.in_(restored))
            .values(
                status=jc.old_status, profile_id=jc.old_profile_id, attached_at=jc.old_attached_at
            )
        )


def _restore_columns(
    conn: Connection, ctx: ActionContext, params: RevertParams, restored: Any
) -> None:
    """Every journalled column back in ONE update of the profiles (each
    rewrite of a row costs, and an indexed column's index too), each value a
    key look-up in the journal.  A task journals all its columns for the same
    profiles (``journal.record_values``), so every restored profile has them.
    (Not UPDATE ... FROM: SQLite materialises that join first, 60 % slower.)"""
    p = ctx.store.profiles
    values: dict[str, Any] = {"updated_at": ctx.now}
    for column in params.columns:
        values[column.name] = _journalled(ctx, params, column, "old")
    conn.execute(update(p).where(p.c.id.in_(restored)).values(values))


def _restore_list(conn: Connection, task_id: int, field_id: int, restored: Any) -> None:
    """The items the task added go, those it took away come back."""
    lv, jl = m.ProfileListValue, m.JournalListItem
    of_task = and_(jl.task_id == task_id, jl.field_id == field_id)
    added = select(jl.profile_id, jl.field_id, jl.value).where(
        of_task, jl.after.is_(True), jl.profile_id.in_(restored)
    )
    # Driven by the journal's rows (a key look-up each), not by every item of
    # the restored profiles.
    conn.execute(delete(lv).where(tuple_(lv.profile_id, lv.field_id, lv.value).in_(added)))
    present = aliased(m.ProfileListValue)
    conn.execute(
        insert(lv).from_select(
            ["profile_id", "field_id", "value"],
            select(jl.profile_id, jl.field_id, jl.value).where(
                of_task,
                jl.after.is_(False),
                jl.profile_id.in_(restored),
                ~probe(
                    select(true()).where(
                        present.profile_id == jl.profile_id,
                        present.field_id == field_id,
                        present.value == jl.value,
                    )
                ),
            ),
        )
    )


def _restore_subscriptions(
    conn: Connection, ctx: ActionContext, task_id: int, restored: Any
) -> None:
    """Subscriptions the task created go; the others get their status and contact back."""
    s, js = m.Subscription, m.JournalSubscription
    created = aliased(m.JournalSubscription)
    conn.execute(
        delete(s).where(
            s.profile_id.in_(restored),
            probe(
                select(true()).where(
                    created.task_id == task_id,
                    created.created.is_(True),
                    _same_subscription(s, created),
                )
            ),
        )
    )
    conn.execute(
        update(s)
        .where(
            js.task_id == task_id,
            js.created.is_(False),
            _same_subscription(s, js),
            s.profile_id.in_(restored),
        )
        .values(status=js.old_status, contact=js.old_contact, updated_at=ctx.now)
    )


def _restore_archive(
    conn: Connection, ctx: ActionContext, params: RevertParams, restored: Any
) -> None:
    """Deleted profiles come back whole, with their own ids: the row (the
    columns ``profiles`` still has), list items of fields that still exist,
    subscriptions to resources that still exist.  Their codes follow in
    :func:`_restore` (``journal_codes``)."""
    archive = params.archive
    assert archive is not None
    t = params.reverted
    names = [c.name for c in archive.c if c.name != "task_id"]
    conn.execute(
        insert(ctx.store.profiles).from_select(
            names,
            select(*(archive.c[n] for n in names)).where(
                archive.c.task_id == t, archive.c.id.in_(restored)
            ),
        )
    )
    alv = m.ArchivedListValue
    conn.execute(
        insert(m.ProfileListValue).from_select(
            ["profile_id", "field_id", "value"],
            select(alv.profile_id, alv.field_id, alv.value).where(
                alv.task_id == t,
                alv.profile_id.in_(restored),
                exists(select(true()).where(m.Field.id == alv.field_id)),
            ),
        )
    )
    a = m.ArchivedSubscription
    columns = ["id", "profile_id", "resource_id", "channel", "contact", "status"]
    columns += ["created_at", "updated_at"]
    conn.execute(
        insert(m.Subscription).from_select(
            columns,
            select(*(getattr(a, c) for c in columns)).where(
                a.task_id == t,
                a.profile_id.in_(restored),
                exists(select(true()).where(m.Resource.id == a.resource_id)),
            ),
        )
    )


# -- triggers (only when asked) -------------------------------------------------------------
def record_triggers(
    conn: Connection, ctx: ActionContext, params: RevertParams, restored: Any
) -> None:
    """The triggers the restored values match, as the actions start them: a
    field trigger for the profiles whose field changes back (one naming no
    field for every restored profile with a field change), subscription
    triggers for statuses or contacts changed back, promo triggers for codes
    given back to their holders.  Before the restore (the journal says it all)."""
    t = m.Trigger
    active = and_(
        t.active.is_(True), or_(t.database_id.is_(None), t.database_id == ctx.database_id)
    )
    field_sources = _field_trigger_sources(ctx, params, restored)
    if field_sources:
        _insert_events(conn, ctx, field_sources, and_(active, t.kind == "field_updated"))
    if params.subscriptions:
        js = m.JournalSubscription
        source = select(t.id, js.profile_id).where(
            active,
            t.kind == "subscription",
            or_(t.resource_id.is_(None), t.resource_id == js.resource_id),
            or_(t.channel.is_(None), t.channel == js.channel),
            js.task_id == params.reverted,
            js.created.is_(False),
            js.profile_id.in_(restored),
            or_(js.old_status != js.new_status, js.old_contact.is_distinct_from(js.new_contact)),
        )
        _insert_events(conn, ctx, [source], true())
    if params.codes and params.archive is None:
        jc, pc = m.JournalCode, m.PromoCode
        given_back = select(t.id, jc.old_profile_id).where(
            active,
            t.kind == "promo_attached",
            jc.task_id == params.reverted,
            jc.profile_id.in_(restored),
            jc.code_id == pc.id,
            or_(t.program_id.is_(None), t.program_id == pc.program_id),
            jc.old_status == "attached",
            jc.old_profile_id.is_not(None),
            jc.new_profile_id.is_(None),
        )
        _insert_events(conn, ctx, [given_back], true())


def _field_trigger_sources(
    ctx: ActionContext, params: RevertParams, restored: Any
) -> list[Select[Any]]:
    """(trigger, profile) selects for ``field_updated`` triggers: per field
    whose value changes back, and for the triggers naming no field."""
    t, f = m.Trigger, m.Field
    sources: list[Select[Any]] = []
    changes_back: list[ColumnElement[bool]] = []
    for column in params.columns:
        jv = aliased(m.JournalValue)
        slot = journal.slot_of(column)
        differs = probe(
            select(true()).where(
                jv.task_id == params.reverted,
                jv.profile_id == m.TaskProfile.profile_id,
                jv.column_name == column.name,
                getattr(jv, f"old_{slot}").is_distinct_from(getattr(jv, f"new_{slot}")),
            )
        )
        of_column = (
            select(f.id)
            .where(f.database_id == ctx.database_id, f.column_name == column.name)
            .scalar_subquery()
        )
        changes_back.append(differs)
        sources.append(_per_field(restored, differs, t.field_id == of_column))
    for field_id in params.list_fields:
        items_differ = _list_items_differ(params.reverted, field_id)
        changes_back.append(items_differ)
        sources.append(_per_field(restored, items_differ, t.field_id == field_id))
    if changes_back:
        sources.append(_per_field(restored, or_(*changes_back), t.field_id.is_(None)))
    return sources


def _per_field(restored: Any, differs: Any, which: ColumnElement[bool]) -> Select[Any]:
    """(trigger id, profile id) of the ``restored`` profiles for which
    ``differs`` holds (correlated to ``task_profiles.profile_id``)."""
    ids = restored.where(differs).subquery()
    return select(m.Trigger.id, ids.c.profile_id).select_from(ids).join(m.Trigger, which)


def _list_items_differ(task_id: int, field_id: int) -> ColumnElement[bool]:
    """The task added or took away items of the field (for the profile of the
    current ``task_profiles`` row)."""
    item = aliased(m.JournalListItem)
    return probe(
        select(true()).where(
            item.task_id == task_id,
            item.profile_id == m.TaskProfile.profile_id,
            item.field_id == field_id,
        )
    )


def _insert_events(
    conn: Connection, ctx: ActionContext, sources: list[Select[Any]], extra: ColumnElement[bool]
) -> None:
    """One outbox row per distinct (trigger, profile) of ``sources``."""
    for source in sources:
        rows = source.where(extra).distinct().subquery()
        trigger_id, profile_id = list(rows.c)
        conn.execute(
            insert(m.TriggerEvent).from_select(
                ["trigger_id", "profile_id", "task_id"],
                select(trigger_id, profile_id, literal(ctx.task_id)),
            )
        )
