"""Managing the store's catalogue: profile databases, custom fields, resources and
loyalty programs (create, rename, remove, attach; promo codes loaded from a file).

The command line (``bulkprofiles db|fields|resources|programs``) and the window
(Databases view, Data menu, Resources and Loyalty programs dialogs) are faces on
these functions.  Most take an open connection (``store, conn, ...``) and change
nothing on error; the two that change the ``profiles`` table's columns
(:func:`delete_database`, :func:`remove_field`) own their transaction, because
``store.refresh_schema`` must read the committed schema.  Every refusal is a
:class:`CatalogError` (a StoreError): one line naming the database, field,
resource or program.

What deleting a profile database removes, set-based: its profiles with their
subscriptions and list values (phones, tags), its custom fields (their columns
are dropped), segments, triggers (with their trigger events), resource
attachments, its own loyalty programs with their codes, and its events.  Unlike
the events of a deleted *profile* (kept: the database still reports on them),
the events of a deleted database go with it: no report can show them any more,
and SQLite may hand the database's and profiles' ids to new ones, which would
then inherit that history.  Codes of store-wide programs held by its profiles
are unlinked and keep their status (as ``delete_profiles`` does).  Tasks stay
in the history with the name they ran under; they can no longer be resumed.

Renames follow through where names are references: a renamed database is the
database of its tasks that can still run; a renamed resource is renamed in the
rules of segments and in the jobs of tasks that can still run.  Finished tasks
keep the names they ran under.
"""

from __future__ import annotations

import contextlib
import csv
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    text,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError

from . import models as m
from .demo import mark_demo_offered
from .fields import CHANNELS, FIELD_KEY_RE, FieldType
from .importer.stage import bulk_insert
from .limits import nul_problem, quote, rule_nodes
from .process import mark_interrupted
from .selection.context import normalized_name
from .store import FieldInfo, Store, StoreError

#: Longest name of a database, resource or program, and of a field label (the columns).
MAX_NAME = 200
#: Longest promo code (``promo_codes.code``) and enum option (the value column).
MAX_CODE = 64
MAX_OPTION = 255
#: How many examples a code load report names per kind of problem.
EXAMPLES = 5
#: Codes read from the file per insert into the load's temporary table.
CODE_CHUNK = 10_000
#: Task statuses from which a task can still run (``jobs.STARTABLE``).
RUNNABLE = ("queued", "interrupted", "failed", "cancelled")
#: First lines of a codes file taken as a header (compared lower-case, spaces as ``_``).
CODE_HEADERS = frozenset(
    {"code", "codes", "promo_code", "promo_codes", "promocode", "promocodes", "coupon"}
    | {"coupon_code", "coupon_codes", "voucher", "voucher_code", "voucher_codes"}
)


class CatalogError(StoreError):
    """A catalogue change that cannot be made; one line naming the thing."""


# -- shared checks ------------------------------------------------------------------
def _clean_name(value: Any, what: str) -> str:
    cleaned = value.strip() if isinstance(value, str) else ""
    if not cleaned:
        raise CatalogError(f"a {what} needs a name")
    if len(cleaned) > MAX_NAME:
        raise CatalogError(
            f"{what} name {quote(cleaned)} is too long ({len(cleaned)} characters, "
            f"at most {MAX_NAME})"
        )
    if nul_problem(cleaned):
        raise CatalogError(f"{what} name {nul_problem(cleaned)}")
    return cleaned


def _known(names: Iterable[str]) -> str:
    return ", ".join(repr(n) for n in names) or "none"


def _taken(conn: Connection, column: Any, name: str) -> bool:
    return conn.execute(select(literal(1)).where(column == name)).first() is not None


def _running_task(conn: Connection, database_id: int) -> int | None:
    """A task of the database that is running now (call ``mark_interrupted`` first)."""
    found = conn.execute(
        select(m.Task.id)
        .where(m.Task.database_id == database_id, m.Task.status == "running")
        .order_by(m.Task.id)
    ).first()
    return None if found is None else int(found[0])


def _mark_dead_runs(store: Store) -> None:
    """Show runs whose process is gone as interrupted, so they block nothing."""
    mark_interrupted(store)


def _database_name(conn: Connection, database_id: int) -> str:
    name = conn.execute(
        select(m.ProfileDatabase.name).where(m.ProfileDatabase.id == database_id)
    ).scalar_one_or_none()
    if name is None:
        raise CatalogError(f"no profile database with id {database_id}")
    return str(name)


# -- profile databases ----------------------------------------------------------------
@dataclass(frozen=True)
class DatabaseContents:
    """What deleting a profile database removes (the confirmation shows it)."""

    name: str
    profiles: int
    segments: int
    programs: int
    events: int

    def describe(self) -> str:
        parts = [f"{self.profiles:,} profile(s)", f"{self.segments:,} segment(s)"]
        if self.programs:
            parts.append(f"{self.programs:,} loyalty program(s) with their codes")
        parts.append(f"{self.events:,} event(s)")
        return ", ".join(parts)


def create_database(store: Store, conn: Connection, name: str, description: str = "") -> int:
    """A new, empty profile database with the system fields; returns its id."""
    cleaned = _clean_name(name, "profile database")
    if _taken(conn, m.ProfileDatabase.name, cleaned):
        raise CatalogError(f"a profile database named {quote(cleaned)} already exists")
    return store.create_database(conn, cleaned, description=(description or "").strip())


def rename_database(store: Store, conn: Connection, name: str, new_name: str) -> None:
    """Rename a database; its tasks that can still run follow the new name."""
    database_id = store.database_id(conn, name)
    cleaned = _clean_name(new_name, "profile database")
    if cleaned == name:
        return
    if _taken(conn, m.ProfileDatabase.name, cleaned):
        raise CatalogError(f"a profile database named {quote(cleaned)} already exists")
    conn.execute(
        update(m.ProfileDatabase).where(m.ProfileDatabase.id == database_id).values(name=cleaned)
    )

    def rename(job: dict[str, Any]) -> bool:
        if job.get("database") != name:
            return False
        job["database"] = cleaned
        return True

    _rewrite_runnable_jobs(conn, rename, database_id=database_id, database_name=cleaned)


def database_contents(store: Store, conn: Connection, name: str) -> DatabaseContents:
    """How many profiles, segments, programs and events the database holds."""
    database_id = store.database_id(conn, name)

    def count(model: Any, column: Any) -> int:
        return int(
            conn.execute(
                select(func.count()).select_from(model).where(column == database_id)
            ).scalar_one()
        )

    return DatabaseContents(
        name=name,
        profiles=count(m.Profile, m.Profile.database_id),
        segments=count(m.Segment, m.Segment.database_id),
        programs=count(m.LoyaltyProgram, m.LoyaltyProgram.database_id),
        events=count(m.Event, m.Event.database_id),
    )


def delete_database(
    store: Store, name: str, *, expect_profiles: int | None = None
) -> DatabaseContents:
    """Delete a profile database and everything hanging off it (module doc).

    Refused while a task of the database is running, and, with
    ``expect_profiles`` (the number the operator confirmed), when the database
    holds a different number of profiles by now.  Returns what was removed."""
    _mark_dead_runs(store)
    with store.begin() as conn:
        database_id = store.database_id(conn, name)
        running = _running_task(conn, database_id)
        if running is not None:
            raise CatalogError(
                f"profile database {quote(name)} cannot be deleted while its task {running} is "
                "running (cancel it or wait for it to end)"
            )
        contents = database_contents(store, conn, name)
        if expect_profiles is not None and contents.profiles != expect_profiles:
            raise CatalogError(
                f"profile database {quote(name)} now holds {contents.profiles:,} profiles, not "
                f"{expect_profiles:,} as confirmed; nothing was deleted"
            )
        columns = _custom_columns(conn, database_id)
        _delete_database_rows(conn, database_id)
        mark_demo_offered(conn)
        for column_name in columns:
            _drop_profiles_column(conn, column_name)
    store.refresh_schema()
    return contents


def _custom_columns(conn: Connection, database_id: int) -> list[str]:
    return [
        str(c)
        for c in conn.execute(
            select(m.Field.column_name).where(
                m.Field.database_id == database_id,
                m.Field.is_system.is_(False),
                m.Field.column_name.is_not(None),
            )
        ).scalars()
    ]


def _delete_database_rows(conn: Connection, database_id: int) -> None:
    """Set-based deletes, children first (the FK cascades would go row by row)."""
    profile_ids = select(m.Profile.id).where(m.Profile.database_id == database_id)
    own_programs = select(m.LoyaltyProgram.id).where(m.LoyaltyProgram.database_id == database_id)
    conn.execute(delete(m.Subscription).where(m.Subscription.profile_id.in_(profile_ids)))
    conn.execute(delete(m.ProfileListValue).where(m.ProfileListValue.profile_id.in_(profile_ids)))
    conn.execute(delete(m.PromoCode).where(m.PromoCode.program_id.in_(own_programs)))
    conn.execute(
        update(m.PromoCode).where(m.PromoCode.profile_id.in_(profile_ids)).values(profile_id=None)
    )
    conn.execute(delete(m.Event).where(m.Event.database_id == database_id))
    conn.execute(delete(m.LoyaltyProgram).where(m.LoyaltyProgram.database_id == database_id))
    conn.execute(delete(m.Profile).where(m.Profile.database_id == database_id))
    # fields, segments, triggers (and their trigger events), attachments: FK cascades;
    # tasks keep their history (database_id SET NULL, so they cannot be resumed).
    conn.execute(delete(m.ProfileDatabase).where(m.ProfileDatabase.id == database_id))


def _drop_profiles_column(conn: Connection, column_name: str) -> None:
    """``ALTER TABLE profiles DROP COLUMN`` (SQLite 3.35+, PostgreSQL); the name
    comes from the ``fields`` table, never from the operator."""
    if conn.dialect.name == "sqlite" and sqlite3.sqlite_version_info < (3, 35):
        raise CatalogError(
            "removing a field needs SQLite 3.35 or newer "
            f"(this Python has {sqlite3.sqlite_version})"
        )
    quoted = conn.dialect.identifier_preparer.quote(column_name)
    conn.execute(text(f"ALTER TABLE profiles DROP COLUMN {quoted}"))


# -- fields -------------------------------------------------------------------------------
@dataclass(frozen=True)
class TaskUse:
    """A task that could still run and names the field in its rules or action."""

    id: int
    status: str
    action_type: str


@dataclass(frozen=True)
class FieldUsage:
    """Where a field is used; shown before the field is removed."""

    key: str
    #: Profiles of the database with a value in the field.
    values: int
    segments: tuple[str, ...] = ()
    tasks: tuple[TaskUse, ...] = ()
    #: Triggers started by updates of this field (deleted with it).
    triggers: tuple[str, ...] = ()

    @property
    def used(self) -> bool:
        return bool(self.segments or self.tasks or self.triggers)

    def warnings(self) -> list[str]:
        """One line per kind of use, for the confirmation."""
        lines = []
        if self.segments:
            lines.append(
                f"used by segment(s) {_known(self.segments)}: they will no longer be valid"
            )
        if self.tasks:
            listed = ", ".join(f"{t.id} ({t.action_type}, {t.status})" for t in self.tasks)
            lines.append(f"used by task(s) that could still run: {listed}: they will fail")
        if self.triggers:
            lines.append(f"starts trigger(s) {_known(self.triggers)}: they will be deleted")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "values": self.values,
            "segments": list(self.segments),
            "tasks": [
                {"id": t.id, "status": t.status, "action": t.action_type} for t in self.tasks
            ],
            "triggers": list(self.triggers),
        }


def parse_field_type(value: str) -> FieldType:
    """The field type named ``value``; CatalogError naming the types otherwise."""
    try:
        return FieldType(value.strip().lower())
    except ValueError:
        known = ", ".join(t.value for t in FieldType)
        raise CatalogError(f"unknown field type {quote(value)} (types: {known})") from None


def label_from_key(key: str) -> str:
    """The default label of a field: its key in words (``bonus_points`` -> Bonus points)."""
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def field_info(store: Store, conn: Connection, database_id: int, key: str) -> FieldInfo:
    """The field ``key`` of the database; CatalogError naming its fields otherwise."""
    fields = store.fields(conn, database_id)
    found = next((f for f in fields if f.key == key), None)
    if found is None:
        name = _database_name(conn, database_id)
        raise CatalogError(
            f"profile database {quote(name)} has no field {quote(key)} (fields: "
            f"{', '.join(f.key for f in fields)})"
        )
    return found


def _clean_label(label: Any) -> str:
    cleaned = label.strip() if isinstance(label, str) else ""
    if not cleaned:
        raise CatalogError("a field needs a label")
    if len(cleaned) > MAX_NAME:
        raise CatalogError(f"field label {quote(cleaned)} is longer than {MAX_NAME} characters")
    return cleaned


def _clean_options(ftype: FieldType, options: Sequence[str]) -> tuple[str, ...]:
    cleaned = tuple(o.strip() for o in options if o.strip())
    if ftype is not FieldType.ENUM:
        if cleaned:
            raise CatalogError(f"options are for enum fields only, not {ftype.value} fields")
        return ()
    if not cleaned:
        raise CatalogError("an enum field needs a list of options (e.g. --options a,b,c)")
    repeated = sorted({o for o in cleaned if cleaned.count(o) > 1})
    if repeated:
        raise CatalogError(f"option {quote(repeated[0])} is listed more than once")
    long = next((o for o in cleaned if len(o) > MAX_OPTION), None)
    if long is not None:
        raise CatalogError(f"option {quote(long)} is longer than {MAX_OPTION} characters")
    return cleaned


def add_field(
    store: Store,
    conn: Connection,
    database_id: int,
    key: str,
    ftype: FieldType,
    *,
    label: str | None = None,
    options: Sequence[str] = (),
) -> FieldInfo:
    """Add a custom field (a ``profiles`` column, or list rows for tags/phones).

    The label defaults to the key in words; an enum needs its options and only
    an enum takes options."""
    name = _database_name(conn, database_id)
    key = key.strip() if isinstance(key, str) else ""
    if not FIELD_KEY_RE.match(key):
        raise CatalogError(
            f"field key {quote(key)} must start with a letter a-z and hold only a-z, 0-9 and _ "
            "(at most 63 characters)"
        )
    if any(f.key == key for f in store.fields(conn, database_id)):
        raise CatalogError(f"profile database {quote(name)} already has a field {quote(key)}")
    cleaned_label = _clean_label(label_from_key(key) if label is None else label)
    cleaned_options = _clean_options(ftype, options)
    store.add_custom_field(conn, database_id, key, cleaned_label, ftype, cleaned_options)
    return field_info(store, conn, database_id, key)


def rename_field_label(
    store: Store, conn: Connection, database_id: int, key: str, label: str
) -> None:
    """Change what the operator reads; the key (what jobs and rules name) stays."""
    info = field_info(store, conn, database_id, key)
    conn.execute(update(m.Field).where(m.Field.id == info.id).values(label=_clean_label(label)))


def field_usage(store: Store, conn: Connection, database_id: int, key: str) -> FieldUsage:
    """The segments, runnable tasks and triggers of the database that use the
    field, and how many profiles have a value in it."""
    info = field_info(store, conn, database_id, key)
    segments = tuple(
        name
        for name, rules in conn.execute(
            select(m.Segment.name, m.Segment.rules)
            .where(m.Segment.database_id == database_id)
            .order_by(m.Segment.name)
        )
        if _rules_name_field(rules, key)
    )
    tasks = tuple(
        TaskUse(int(task_id), str(status), str(action_type))
        for task_id, status, action_type, job in conn.execute(
            select(m.Task.id, m.Task.status, m.Task.action_type, m.Task.job)
            .where(m.Task.database_id == database_id, m.Task.status.in_(RUNNABLE))
            .order_by(m.Task.id)
        )
        if _job_names_field(job or {}, key)
    )
    triggers = tuple(
        str(n)
        for n in conn.execute(
            select(m.Trigger.name).where(m.Trigger.field_id == info.id).order_by(m.Trigger.name)
        ).scalars()
    )
    return FieldUsage(key, _values(store, conn, database_id, info), segments, tasks, triggers)


def _values(store: Store, conn: Connection, database_id: int, info: FieldInfo) -> int:
    if info.column_name is None:
        lv = m.ProfileListValue
        query = select(func.count(func.distinct(lv.profile_id))).where(lv.field_id == info.id)
    else:
        p = store.profiles
        query = (
            select(func.count())
            .select_from(p)
            .where(p.c.database_id == database_id, store.field_column(info).is_not(None))
        )
    return int(conn.execute(query).scalar_one())


def _rules_name_field(node: Any, key: str) -> bool:
    """True if a rule tree (react-querybuilder or jQuery shape, any depth: walked
    without recursion) has a condition on ``key``, or compares a field with it
    (``valueSource: "field"``); names count as the compiler reads them, ignoring
    case and separators (``firstName`` is ``first_name``)."""
    wanted = normalized_name(key)
    return any(wanted in _names_in_rule(child) for child, _depth in rule_nodes(node))


def _names_in_rule(rule: dict[str, Any]) -> set[str]:
    """The field names one condition uses, normalised: its field and, when it
    compares with fields, the value's field or fields (between: a list or "a,b")."""
    names: list[Any] = [rule.get("field")]
    if rule.get("valueSource") == "field":
        value = rule.get("value")
        if isinstance(value, str):
            names.extend(part.strip() for part in value.split(","))
        elif isinstance(value, list):
            names.extend(value)
    return {normalized_name(name) for name in names if isinstance(name, str)}


def _action_names_field(action: Any, key: str) -> bool:
    """``update_fields`` changes name fields by ``field``; ``subscribe_from_fields``
    takes the contact from ``source_field``."""
    if not isinstance(action, dict):
        return False
    if action.get("source_field") == key:
        return True
    changes = action.get("changes")
    return isinstance(changes, list) and any(
        isinstance(c, dict) and c.get("field") == key for c in changes
    )


def _job_names_field(job: dict[str, Any], key: str) -> bool:
    """The job's rules or action name the field, or (an import) its columns
    map to it or it is the match key."""
    mapping = job.get("mapping")
    if isinstance(mapping, dict) and (key in mapping.values() or job.get("match") == key):
        return True
    return _rules_name_field(job.get("rules"), key) or _action_names_field(job.get("action"), key)


def remove_field(store: Store, database_id: int, key: str) -> FieldInfo:
    """Remove a custom field: its column is dropped (or its list rows deleted),
    its triggers go with it.  System fields are refused, and so is a database
    with a running task.  Returns the removed field."""
    _mark_dead_runs(store)
    with store.begin() as conn:
        info = field_info(store, conn, database_id, key)
        name = _database_name(conn, database_id)
        if info.is_system:
            raise CatalogError(
                f"{quote(key)} is a system field of {quote(name)} and cannot be removed"
            )
        running = _running_task(conn, database_id)
        if running is not None:
            raise CatalogError(
                f"field {quote(key)} of {quote(name)} cannot be removed while task {running} "
                "of the database is running"
            )
        conn.execute(delete(m.ProfileListValue).where(m.ProfileListValue.field_id == info.id))
        conn.execute(delete(m.Field).where(m.Field.id == info.id))  # triggers: FK cascade
        if info.column_name is not None:
            _drop_profiles_column(conn, info.column_name)
    store.refresh_schema()
    return info


# -- resources ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ChannelChange:
    """What setting a resource's channels changed."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    #: Subscriptions on the removed channels (they stay in the store).
    subscriptions_kept: int


def parse_channels(values: str | Iterable[str]) -> tuple[str, ...]:
    """Channel names (a comma-separated text or a list) in their standard order."""
    items = values.split(",") if isinstance(values, str) else list(values)
    wanted = {v.strip().lower() for v in items if v.strip()}
    unknown = sorted(wanted - set(CHANNELS))
    if unknown:
        raise CatalogError(f"unknown channel {quote(unknown[0])} (channels: {', '.join(CHANNELS)})")
    if not wanted:
        raise CatalogError(f"a resource needs at least one channel ({', '.join(CHANNELS)})")
    return tuple(c for c in CHANNELS if c in wanted)


def resource_id(conn: Connection, name: str) -> int:
    """The id of the resource ``name``; CatalogError naming the known ones otherwise."""
    found = conn.execute(select(m.Resource.id).where(m.Resource.name == name)).scalar_one_or_none()
    if found is None:
        names = conn.execute(select(m.Resource.name).order_by(m.Resource.name)).scalars()
        raise CatalogError(f"no resource named {quote(name)} (resources: {_known(names)})")
    return int(found)


def create_resource(
    store: Store,
    conn: Connection,
    name: str,
    channels: str | Iterable[str],
    attach: Iterable[str] = (),
) -> int:
    """A new resource with its channels, attached to the named databases."""
    cleaned = _clean_name(name, "resource")
    chosen = parse_channels(channels)
    if _taken(conn, m.Resource.name, cleaned):
        raise CatalogError(f"a resource named {quote(cleaned)} already exists")
    new_id = int(
        conn.execute(insert(m.Resource).values(name=cleaned).returning(m.Resource.id)).scalar_one()
    )
    conn.execute(insert(m.ResourceChannel), [{"resource_id": new_id, "channel": c} for c in chosen])
    for database in dict.fromkeys(attach):
        attach_resource(store, conn, cleaned, database)
    return new_id


def rename_resource(store: Store, conn: Connection, name: str, new_name: str) -> None:
    """Rename a resource, and with it the references of segments' rules and of
    the jobs of tasks that can still run."""
    res_id = resource_id(conn, name)
    cleaned = _clean_name(new_name, "resource")
    if cleaned == name:
        return
    if _taken(conn, m.Resource.name, cleaned):
        raise CatalogError(f"a resource named {quote(cleaned)} already exists")
    conn.execute(update(m.Resource).where(m.Resource.id == res_id).values(name=cleaned))
    for seg_id, rules in conn.execute(select(m.Segment.id, m.Segment.rules)).all():
        if _rename_resource_in_rules(rules, name, cleaned):
            conn.execute(update(m.Segment).where(m.Segment.id == seg_id).values(rules=rules))

    def rename(job: dict[str, Any]) -> bool:
        in_rules = _rename_resource_in_rules(job.get("rules"), name, cleaned)
        action = job.get("action")
        in_action = False
        if isinstance(action, dict):
            for slot in ("resource", "source_resource"):
                if action.get(slot) == name:
                    action[slot] = cleaned
                    in_action = True
        return in_rules or in_action

    _rewrite_runnable_jobs(conn, rename)


def _rename_resource_in_rules(node: Any, old: str, new: str) -> bool:
    """Rename the resource of ``$subscription`` / ``$event`` conditions in place."""
    changed = False
    for child, _depth in rule_nodes(node):  # no recursion: safe at any depth
        value = child.get("value")
        reserved = child.get("field") in ("$subscription", "$event")
        if reserved and isinstance(value, dict) and value.get("resource") == old:
            value["resource"] = new
            changed = True
    return changed


def set_resource_channels(
    store: Store, conn: Connection, name: str, channels: str | Iterable[str]
) -> ChannelChange:
    """Configure exactly ``channels``; subscriptions on a removed channel stay."""
    res_id = resource_id(conn, name)
    wanted = parse_channels(channels)
    rc = m.ResourceChannel
    have = set(conn.execute(select(rc.channel).where(rc.resource_id == res_id)).scalars())
    added = tuple(c for c in wanted if c not in have)
    removed = tuple(c for c in CHANNELS if c in have and c not in wanted)
    kept = 0
    if removed:
        conn.execute(delete(rc).where(rc.resource_id == res_id, rc.channel.in_(removed)))
        kept = int(
            conn.execute(
                select(func.count())
                .select_from(m.Subscription)
                .where(m.Subscription.resource_id == res_id, m.Subscription.channel.in_(removed))
            ).scalar_one()
        )
    if added:
        conn.execute(insert(rc), [{"resource_id": res_id, "channel": c} for c in added])
    return ChannelChange(added, removed, kept)


def _attached(conn: Connection, res_id: int, database_id: int) -> bool:
    rd = m.ResourceDatabase
    query = select(literal(1)).where(rd.resource_id == res_id, rd.database_id == database_id)
    return conn.execute(query).first() is not None


def attach_resource(store: Store, conn: Connection, resource: str, database: str) -> None:
    """Let the database's jobs use the resource."""
    res_id = resource_id(conn, resource)
    database_id = store.database_id(conn, database)
    if _attached(conn, res_id, database_id):
        raise CatalogError(f"resource {quote(resource)} is already attached to {quote(database)}")
    conn.execute(insert(m.ResourceDatabase).values(resource_id=res_id, database_id=database_id))


def detach_resource(store: Store, conn: Connection, resource: str, database: str) -> None:
    """The database's jobs can no longer use the resource (its subscriptions stay)."""
    res_id = resource_id(conn, resource)
    database_id = store.database_id(conn, database)
    if not _attached(conn, res_id, database_id):
        raise CatalogError(f"resource {quote(resource)} is not attached to {quote(database)}")
    rd = m.ResourceDatabase
    conn.execute(delete(rd).where(rd.resource_id == res_id, rd.database_id == database_id))


# -- jobs of tasks that can still run ----------------------------------------------------------
def _rewrite_runnable_jobs(
    conn: Connection,
    rewrite: Callable[[dict[str, Any]], bool],
    *,
    database_id: int | None = None,
    database_name: str | None = None,
) -> None:
    """Apply ``rewrite`` (True if it changed the job) to the job of every task
    that can still run (few rows: tasks, not profiles)."""
    query = select(m.Task.id, m.Task.job).where(m.Task.status.in_(RUNNABLE))
    if database_id is not None:
        query = query.where(m.Task.database_id == database_id)
    for task_id, job in conn.execute(query).all():
        job = dict(job or {})
        if rewrite(job):
            values: dict[str, Any] = {"job": job}
            if database_name is not None:
                values["database_name"] = database_name
            conn.execute(update(m.Task).where(m.Task.id == task_id).values(**values))


# -- loyalty programs and their codes ---------------------------------------------------------
@dataclass(frozen=True)
class CodeLoadSummary:
    """What loading a codes file did; nothing is ever loaded twice."""

    program: str
    loaded: int
    duplicates_in_file: int
    already_in_store: int
    invalid: int
    header_skipped: bool = False
    duplicate_examples: tuple[str, ...] = ()
    existing_examples: tuple[str, ...] = ()
    #: e.g. "line 7: 80 characters (at most 64)"
    invalid_examples: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """The report as the operator reads it."""
        out = [f"Loaded {self.loaded:,} new code(s) into {quote(self.program)}."]
        for count, what, examples in (
            (
                self.duplicates_in_file,
                "repeated in the file (loaded once)",
                self.duplicate_examples,
            ),
            (self.already_in_store, "already in the store (not loaded)", self.existing_examples),
            (self.invalid, f"longer than {MAX_CODE} characters (not loaded)", ()),
        ):
            if count:
                listed = f", e.g. {', '.join(examples)}" if examples else ""
                out.append(f"  {count:,} {what}{listed}")
        out += [f"    {example}" for example in self.invalid_examples]
        if self.header_skipped:
            out.append("  The first line was taken as a header and skipped.")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "program": self.program,
            "loaded": self.loaded,
            "duplicates_in_file": self.duplicates_in_file,
            "already_in_store": self.already_in_store,
            "invalid": self.invalid,
            "header_skipped": self.header_skipped,
            "duplicate_examples": list(self.duplicate_examples),
            "existing_examples": list(self.existing_examples),
            "invalid_examples": list(self.invalid_examples),
        }


def program_id(conn: Connection, name: str) -> int:
    """The id of the loyalty program ``name``; CatalogError naming the known ones."""
    lp = m.LoyaltyProgram
    found = conn.execute(select(lp.id).where(lp.name == name)).scalar_one_or_none()
    if found is None:
        names = conn.execute(select(lp.name).order_by(lp.name)).scalars()
        raise CatalogError(f"no loyalty program named {quote(name)} (programs: {_known(names)})")
    return int(found)


def create_program(store: Store, conn: Connection, name: str, database: str | None = None) -> int:
    """A new loyalty program with an empty pool, for one database or (None) every one."""
    cleaned = _clean_name(name, "loyalty program")
    database_id = store.database_id(conn, database) if database else None
    if _taken(conn, m.LoyaltyProgram.name, cleaned):
        raise CatalogError(f"a loyalty program named {quote(cleaned)} already exists")
    return int(
        conn.execute(
            insert(m.LoyaltyProgram)
            .values(name=cleaned, database_id=database_id)
            .returning(m.LoyaltyProgram.id)
        ).scalar_one()
    )


@dataclass
class _FileCodes:
    """The codes of a file as they stream past: valid ones in chunks, the rest counted."""

    invalid: int = 0
    invalid_examples: list[str] = field(default_factory=list)
    header_skipped: bool = False


def _records(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, first value) of every line; a .csv file is read as CSV
    (delimiter sniffed: comma, semicolon, tab or |), any other file one code a line."""
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        if path.suffix.lower() != ".csv":
            for number, line in enumerate(fh, start=1):
                yield number, line.rstrip("\r\n")
            return
        sample = fh.read(8192)
        fh.seek(0)
        dialect: Any = csv.excel
        with contextlib.suppress(csv.Error):
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        reader = csv.reader(fh, dialect)
        for row in reader:
            yield reader.line_num, row[0] if row else ""


def _is_header(value: str) -> bool:
    return re.sub(r"[\s\-]+", "_", value.strip().lower()) in CODE_HEADERS


def _code_chunks(path: Path, found: _FileCodes) -> Iterator[list[tuple[int, str]]]:
    """Chunks of (line, code) of the valid codes; blank lines are skipped, a
    header as the first non-blank line too; too long codes are counted."""
    chunk: list[tuple[int, str]] = []
    first = True
    for number, raw in _records(path):
        code = raw.strip()
        if not code:
            continue
        if first:
            first = False
            if _is_header(code):
                found.header_skipped = True
                continue
        if len(code) > MAX_CODE:
            found.invalid += 1
            if len(found.invalid_examples) < EXAMPLES:
                found.invalid_examples.append(
                    f"line {number}: {len(code)} characters (at most {MAX_CODE})"
                )
            continue
        chunk.append((number, code))
        if len(chunk) >= CODE_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _load_table() -> Table:
    return Table(
        "promo_code_load",
        MetaData(),
        Column("line", Integer, nullable=False),
        Column("code", String(MAX_CODE), nullable=False),
        prefixes=["TEMPORARY"],
    )


def _read_into(conn: Connection, table: Table, path: Path, found: _FileCodes) -> None:
    try:
        for chunk in _code_chunks(path, found):
            bulk_insert(conn, table, ("line", "code"), chunk)
    except FileNotFoundError:
        raise CatalogError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CatalogError(f"{path} is a folder, not a codes file") from None
    except UnicodeDecodeError:
        raise CatalogError(f"{path} is not UTF-8 text") from None
    except csv.Error as exc:
        raise CatalogError(f"{path} cannot be read as CSV: {exc}") from None
    except OSError as exc:
        raise CatalogError(f"{path} cannot be read: {exc.strerror or exc}") from None


def load_codes(store: Store, conn: Connection, program: str, path: str | Path) -> CodeLoadSummary:
    """Load the codes of a text or CSV file into the program's pool as free codes.

    One code per line (a CSV: its first column); blank lines are ignored, codes
    trimmed, a header like ``code`` on the first line skipped.  The file streams
    in chunks into a temporary table and one ``INSERT ... SELECT`` adds the codes
    that are new to the store, once each, in file order; repeats, codes already
    in the store and codes longer than 64 characters are counted and reported.
    The chunks go in as ``COPY`` on PostgreSQL and one ``executemany`` on SQLite
    (the importer's :func:`~.importer.stage.bulk_insert`)."""
    pid = program_id(conn, program)
    source = Path(path)
    table = _load_table()
    table.create(conn, checkfirst=True)
    conn.execute(delete(table))
    found = _FileCodes()
    _read_into(conn, table, source, found)
    Index("ix_promo_code_load_code", table.c.code).create(conn)
    summary = _insert_new_codes(conn, table, pid, program, found)
    table.drop(conn)  # on an error the caller's rollback takes it away
    return summary


def _first_codes(conn: Connection, table: Table, condition: Any, having: Any = None) -> list[str]:
    query = select(table.c.code).where(condition).group_by(table.c.code)
    if having is not None:
        query = query.having(having)
    query = query.order_by(func.min(table.c.line)).limit(EXAMPLES)
    return [str(c) for c in conn.execute(query).scalars()]


def _insert_new_codes(
    conn: Connection, table: Table, pid: int, program: str, found: _FileCodes
) -> CodeLoadSummary:
    t, pc = table, m.PromoCode
    lines, distinct = conn.execute(
        select(func.count(), func.count(func.distinct(t.c.code))).select_from(t)
    ).one()
    in_store = exists(select(pc.id).where(pc.code == t.c.code))
    existing = int(
        conn.execute(select(func.count(func.distinct(t.c.code))).where(in_store)).scalar_one()
    )
    summary = CodeLoadSummary(
        program=program,
        loaded=int(distinct) - existing,
        duplicates_in_file=int(lines) - int(distinct),
        already_in_store=existing,
        invalid=found.invalid,
        header_skipped=found.header_skipped,
        duplicate_examples=tuple(_first_codes(conn, t, true(), func.count() > 1)),
        existing_examples=tuple(_first_codes(conn, t, in_store)),
        invalid_examples=tuple(found.invalid_examples),
    )
    new_codes = (
        select(literal(pid), t.c.code, literal("free"))
        .where(~in_store)
        .group_by(t.c.code)
        .order_by(func.min(t.c.line))
    )
    try:
        conn.execute(insert(pc).from_select(["program_id", "code", "status"], new_codes))
    except IntegrityError:
        raise CatalogError(
            f"some codes were added to the store by someone else during the load into "
            f"{quote(program)}; nothing was loaded, load the file again"
        ) from None
    return summary
