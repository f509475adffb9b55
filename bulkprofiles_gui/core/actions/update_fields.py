"""Update profile fields: set / clear any editable field, increment numbers,
add / remove tags.

Decisions (domain.md leaves them open):

- every *editable* field can be set or cleared (domain.md: "for each: set a
  new value ... or delete (clear) the value"); non-editable system fields
  (id, created_at, updated_at, last_interaction_at) are refused by name;
- ``increment`` only for integer and float fields, by a non-zero number (a
  whole one for integers); an empty value counts as 0, so incrementing an
  empty bonus by 10 gives 10;
- ``add`` / ``remove`` only for tags; phones (and tags) can be ``set`` to a
  new list, which replaces the old one, or cleared;
- a field appears once, except that one ``add`` and one ``remove`` of
  disjoint tags may be combined on the same tags field;
- a profile all of whose fields already hold the new values is skipped as
  ``unchanged``: its ``updated_at`` stays and no trigger starts for it;
- a profile an increment would take beyond its field's range (64-bit whole
  numbers, finite decimals) is skipped as ``out_of_range``, none of its
  fields changed: SQLite would store a rounded decimal or Infinity in the
  field, PostgreSQL fail the whole task;
- ``field_updated`` triggers: one with no field starts for every changed
  profile; one on a field starts only for the profiles whose *that* field
  changed (decided on the values before the update, in the same
  transaction).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    and_,
    case,
    delete,
    false,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    true,
    update,
)

from .. import journal
from .. import models as m
from ..fields import FieldType, FieldValueError, coerce_value, to_json_value
from ..limits import INT64_MAX, INT64_MIN, MAX_LIST_ITEM_CHARS, list_problem, quote, text_problem
from ..store import FieldInfo, Store
from . import _work as work
from .base import (
    CHANGED,
    ActionContext,
    ActionError,
    Batch,
    check_keys,
    probe,
)

TYPE = "update_fields"
LABEL = "Update profile fields"
DESCRIPTION = (
    "Set or clear the values of one or more fields; numbers can be incremented, "
    "tags added or removed."
)
REQUIRES_CONDITIONS = False
DESTRUCTIVE = False
#: Profiles deleted since the freeze are ``profile_gone`` in the work table's
#: fill (the profile's row is looked up there anyway).
SKIPS_GONE = True

OPS = ("set", "clear", "increment", "add", "remove")


@dataclass(frozen=True)
class Change:
    field: FieldInfo
    op: str
    #: The coerced value: a list of strings for list fields, None for clear.
    value: Any = None


@dataclass(frozen=True)
class Params:
    changes: tuple[Change, ...]


def ops_for(ftype: FieldType) -> tuple[str, ...]:
    """The update operations a field type offers (the wizard reads this too)."""
    if ftype is FieldType.TAGS:
        return ("set", "clear", "add", "remove")
    if ftype.is_numeric:
        return ("set", "clear", "increment")
    return ("set", "clear")


# -- parse ---------------------------------------------------------------------
def parse(conn: Connection, ctx: ActionContext, raw: dict[str, Any]) -> Params:
    check_keys(raw, {"changes"})
    items = raw.get("changes")
    if not isinstance(items, list) or not items:
        raise ActionError("job.action.changes: give at least one field change")
    fields = ctx.store.fields(conn, ctx.database_id)
    changes = tuple(
        _parse_change(item, f"job.action.changes[{i}]", fields, ctx.store)
        for i, item in enumerate(items)
    )
    _refuse_duplicates(changes)
    return Params(changes)


def _find_field(key: Any, where: str, fields: list[FieldInfo]) -> FieldInfo:
    if not isinstance(key, str) or not key.strip():
        raise ActionError(f"{where}.field: name a field")
    by_key = {f.key: f for f in fields}
    by_label = {f.label.casefold(): f for f in fields}
    found = by_key.get(key.strip()) or by_label.get(key.strip().casefold())
    if found is None:
        known = ", ".join(f.key for f in fields if f.editable)
        raise ActionError(
            f"{where}.field: no field {quote(key)} in this database (fields: {known})"
        )
    if not found.editable:
        raise ActionError(f"{where}.field: {quote(found.label)} ({found.key}) cannot be changed")
    return found


def _parse_change(item: Any, where: str, fields: list[FieldInfo], store: Store) -> Change:
    check_keys(item, {"field", "op", "value"}, where)
    info = _find_field(item.get("field"), where, fields)
    op = item.get("op")
    possible = ops_for(info.type)
    if op not in possible:
        raise ActionError(
            f"{where}.op: {quote(op)} is not possible for the {info.type.value} field "
            f"{quote(info.key)} (possible: {', '.join(possible)})"
        )
    raw = item.get("value")
    if op == "clear":
        if raw is not None:
            raise ActionError(f"{where}.value: 'clear' takes no value")
        return Change(info, op)
    if raw is None:
        hint = " (use op 'clear' to delete the value)" if op == "set" else ""
        raise ActionError(f"{where}.value: {quote(op)} needs a value{hint}")
    try:
        value = coerce_value(info.type, raw, info.options)
    except FieldValueError as exc:
        raise ActionError(f"{where}.value: {exc}") from None
    too_big = _size_problem(info, value, store)
    if too_big:
        raise ActionError(f"{where}.value: {too_big}")
    if info.type.is_list:
        value = list(dict.fromkeys(value))
        if op in ("add", "remove") and not value:
            raise ActionError(f"{where}.value: {quote(op)} needs at least one tag")
    if op == "increment" and value == 0:
        raise ActionError(f"{where}.value: incrementing by 0 changes nothing")
    return Change(info, op, value)


def _size_problem(info: FieldInfo, value: Any, store: Store) -> str | None:
    """Why a coerced value does not fit where it is stored: text longer than the
    field's column, a list of too many items or with a too long item (the
    limits of core/limits.py; 64-bit numbers are checked by coerce_value)."""
    if isinstance(value, str):
        length = getattr(store.field_column(info).type, "length", None)
        return text_problem(value, length, f"field {info.key!r}")
    if isinstance(value, list):
        return list_problem(value) or next(
            (
                problem
                for item in value
                if (problem := text_problem(item, MAX_LIST_ITEM_CHARS, f"an item of {info.key!r}"))
            ),
            None,
        )
    return None


def _refuse_duplicates(changes: tuple[Change, ...]) -> None:
    seen: dict[str, list[Change]] = {}
    for change in changes:
        seen.setdefault(change.field.key, []).append(change)
    for key, group in seen.items():
        if len(group) == 1:
            continue
        ops = sorted(c.op for c in group)
        if ops == ["add", "remove"]:
            common = set(group[0].value) & set(group[1].value)
            if not common:
                continue
            raise ActionError(
                f"job.action.changes: tag {quote(sorted(common)[0])} of {quote(key)} is both added "
                "and removed"
            )
        raise ActionError(f"job.action.changes: field {quote(key)} is changed more than once")


# -- apply ---------------------------------------------------------------------
def apply_batch(
    conn: Connection, ctx: ActionContext, params: Params, batch: Batch
) -> dict[str, int] | None:
    work.start(conn)
    watched = _watched_fields(conn, ctx, params)
    _fill_work(conn, ctx, params, batch, watched)
    counts = work.count_outcomes(conn, batch, work.set_outcomes(conn, batch))
    _record_triggers(conn, ctx)
    if ctx.dry_run:
        return counts
    changed = work.changed_ids()
    scalars = _new_scalars(ctx, params)
    lists = [c for c in params.changes if c.field.type.is_list]
    journal.record_values(conn, ctx, changed, scalars)
    for change in lists:  # every list change's items first: what it adds is new to them
        _journal_list(conn, ctx, change, changed)
    _update_scalars(conn, ctx, scalars, changed)
    for change in lists:
        _update_list(conn, change, changed)
    return counts


def _fill_work(
    conn: Connection,
    ctx: ActionContext,
    params: Params,
    batch: Batch,
    watched: dict[int, list[Change]],
) -> None:
    """The batch's pending profiles, each with a look-up of its row: part 0
    says whether the profile changes (``unchanged`` when every field already
    holds its new value, ``profile_gone`` when it was deleted since the
    freeze); one more part per field a ``field_updated`` trigger watches says
    whether *that* field changes (``ref_id``: the field's id)."""
    p = ctx.store.profiles
    tp, pending = work.pending_rows(batch)
    groups: list[tuple[int | None, list[Change]]] = [(None, list(params.changes))]
    groups += list(watched.items())
    beyond = [_out_of_range(ctx, c) for c in params.changes if c.op == "increment"]
    for part, (field_id, group) in enumerate(groups):
        # A key look-up of the profile's row per pending row, not a join: with
        # batches of tens of thousands PostgreSQL would hash-join the whole table.
        # No row: the profile was deleted since the freeze (SKIPS_GONE).
        noop = and_(*(_noop(ctx, c) for c in group))
        whens = [(noop, literal("unchanged"))]
        if beyond:  # in every part: no field of such a profile changes, no trigger
            whens.insert(0, (or_(*beyond), literal("out_of_range")))
        verdict = case(*whens, else_=literal(CHANGED))
        looked_up = select(verdict).where(p.c.id == tp.c.profile_id).scalar_subquery()
        state = func.coalesce(looked_up, literal("profile_gone"))
        rows = select(tp.c.profile_id, literal(part), state, literal(field_id, BigInteger))
        work.fill(conn, ["profile_id", "part", "state", "ref_id"], rows.where(*pending))


def _out_of_range(ctx: ActionContext, change: Change) -> ColumnElement[bool]:
    """True for a profile (correlated to ``store.profiles``) the increment
    would take beyond the field's range; the bound is worked out here so that
    the comparison itself cannot overflow."""
    column = func.coalesce(ctx.store.field_column(change.field), 0)
    top: float
    bottom: float
    if change.field.type == FieldType.INTEGER:
        top, bottom = INT64_MAX, INT64_MIN
    else:
        top, bottom = sys.float_info.max, -sys.float_info.max
    if change.value > 0:
        return column > top - change.value
    return column < bottom - change.value


def _items(ctx: ActionContext, change: Change) -> Any:
    lv = m.ProfileListValue
    return select(literal(1)).where(
        lv.profile_id == ctx.store.profiles.c.id, lv.field_id == change.field.id
    )


def _noop(ctx: ActionContext, change: Change) -> ColumnElement[bool]:
    """True for a profile (correlated to ``store.profiles``) the change would not alter."""
    lv = m.ProfileListValue
    if not change.field.type.is_list:
        column = ctx.store.field_column(change.field)
        if change.op == "clear":
            return column.is_(None)
        if change.op == "set":
            return column.is_not_distinct_from(change.value)
        return false()  # increment by a non-zero number always changes
    items = _items(ctx, change)
    if change.op == "clear" or (change.op == "set" and not change.value):
        return not_(probe(items))
    if change.op == "add":
        return and_(*(probe(items.where(lv.value == v)) for v in change.value))
    if change.op == "remove":
        return not_(probe(items.where(lv.value.in_(change.value))))
    # set a list: no item outside the new list, and every new item present
    return and_(
        not_(probe(items.where(lv.value.not_in(change.value)))),
        *(probe(items.where(lv.value == v)) for v in change.value),
    )


def _field_triggers(ctx: ActionContext) -> ColumnElement[bool]:
    t = m.Trigger
    return and_(
        t.kind == "field_updated",
        t.active.is_(True),
        or_(t.database_id.is_(None), t.database_id == ctx.database_id),
    )


def _watched_fields(
    conn: Connection, ctx: ActionContext, params: Params
) -> dict[int, list[Change]]:
    """The changes by field, of the fields an active ``field_updated`` trigger
    names (none when no trigger will be recorded)."""
    if ctx.skip_triggers or ctx.dry_run:
        return {}
    t = m.Trigger
    watched = set(conn.execute(select(t.field_id).where(_field_triggers(ctx)).distinct()).scalars())
    by_field: dict[int, list[Change]] = {}
    for change in params.changes:
        if change.field.id in watched:
            by_field.setdefault(change.field.id, []).append(change)
    return by_field


def _record_triggers(conn: Connection, ctx: ActionContext) -> None:
    """One INSERT of the outbox rows, from the work table (decided on the
    values before the update): a trigger with no field for every changed
    profile, one on a field for the profiles whose *that* field changes."""
    if ctx.skip_triggers or ctx.dry_run:
        return
    t, w = m.Trigger, work.WORK
    matches = or_(
        and_(t.field_id.is_(None), w.c.part == 0),
        and_(w.c.part > 0, t.field_id == w.c.ref_id),
    )
    source = select(t.id, w.c.profile_id, literal(ctx.task_id)).join_from(
        w, t, and_(_field_triggers(ctx), w.c.state == CHANGED, matches)
    )
    conn.execute(
        insert(m.TriggerEvent).from_select(["trigger_id", "profile_id", "task_id"], source)
    )


def _new_scalars(ctx: ActionContext, params: Params) -> dict[str, Any]:
    """The value each scalar change writes, by ``profiles`` column: a plain
    value, or an SQL expression over the profile's row (increment)."""
    values: dict[str, Any] = {}
    for change in params.changes:
        if change.field.type.is_list:
            continue
        column = ctx.store.field_column(change.field)
        if change.op == "clear":
            values[column.name] = None
        elif change.op == "set":
            values[column.name] = change.value
        else:
            values[column.name] = func.coalesce(column, 0) + change.value
    return values


def _update_scalars(
    conn: Connection, ctx: ActionContext, scalars: dict[str, Any], changed: Any
) -> None:
    """One UPDATE for every scalar change, bumping updated_at (also for list-only jobs)."""
    p = ctx.store.profiles
    values = {**scalars, "updated_at": m.utcnow()}
    conn.execute(update(p).where(p.c.id.in_(changed)).values(values))


def _update_list(conn: Connection, change: Change, changed: Any) -> None:
    lv = m.ProfileListValue
    mine = and_(lv.field_id == change.field.id, lv.profile_id.in_(changed))
    if change.op in ("set", "clear"):
        conn.execute(delete(lv).where(mine))
    elif change.op == "remove":
        conn.execute(delete(lv).where(mine, lv.value.in_(change.value)))
    for source in _new_items(change, changed):
        conn.execute(insert(lv).from_select(["profile_id", "field_id", "value"], source))


def _new_items(change: Change, changed: Any) -> list[Any]:
    """Per value a set or add writes: (profile id, field id, value) of the
    profiles that do not hold it (yet)."""
    lv = m.ProfileListValue
    ids = changed.subquery()
    id_col = next(iter(ids.c))
    field_id = change.field.id
    sources = []
    for value in change.value if change.op in ("set", "add") else []:
        already = probe(
            select(true()).where(
                lv.profile_id == id_col, lv.field_id == field_id, lv.value == value
            )
        )
        sources.append(select(id_col, literal(field_id), literal(value)).where(~already))
    return sources


def _journal_list(conn: Connection, ctx: ActionContext, change: Change, changed: Any) -> None:
    """Before the change: the items it takes away for good (a set keeps those of
    its new list) and the ones it adds, which the profile does not hold yet."""
    lv = m.ProfileListValue
    mine = and_(lv.field_id == change.field.id, lv.profile_id.in_(changed))
    taken: ColumnElement[bool] | None = None
    if change.op == "clear" or (change.op == "set" and not change.value):
        taken = mine
    elif change.op == "set":
        taken = and_(mine, lv.value.not_in(change.value))
    elif change.op == "remove":
        taken = and_(mine, lv.value.in_(change.value))
    field_id = change.field.id
    if taken is not None:
        gone = select(lv.profile_id, lv.field_id, lv.value).where(taken)
        journal.record_list_items(conn, ctx, gone, field_id, added=False)
    for source in _new_items(change, changed):
        journal.record_list_items(conn, ctx, source, field_id, added=True)


# -- describe ------------------------------------------------------------------
def _describe_change(change: Change) -> str:
    label = change.field.label
    value = change.value
    if change.op == "clear":
        return f"clear {label}"
    if change.op == "increment":
        if value > 0:
            return f"add {value} to {label}"
        return f"subtract {abs(value)} from {label}"
    if change.op in ("add", "remove"):
        direction = "to" if change.op == "add" else "from"
        return f"{change.op} {', '.join(value)} {direction} {label}"
    if isinstance(value, list):
        return f"set {label} to {', '.join(value) or '(empty)'}"
    return f"set {label} to {to_json_value(value)!r}"


def describe(params: Params) -> str:
    return "Update fields: " + "; ".join(_describe_change(c) for c in params.changes)
