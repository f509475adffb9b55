"""The store schema (SQLAlchemy 2.x typed declarative models).

Everything here works unchanged on SQLite and PostgreSQL.  Typed values live
in typed columns (``BigInteger``, ``Float``, ``Date``, ``DateTime``,
``Boolean``), so comparisons in SQL are numeric for numbers and chronological
for dates on both backends.

Custom profile fields are real columns ``cf_<field id>`` of ``profiles``,
added by :func:`bulkprofiles_gui.core.store.Store.add_custom_field`; the
declarative ``Profile`` model only knows the system columns, and
``Store.profiles`` is the ``Table`` with the custom columns of that store.
List-typed fields (phones, tags) keep one row per item in
``profile_list_values``.

Events and trigger events carry a plain ``profile_id`` (no foreign key) on
purpose: the action statistics of a deleted profile stay for reports.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    FromClause,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: The store schema's number, kept in ``store_meta`` (key ``schema_version``).
#: Bump it with each new revision of ``core/migrations/versions``.
SCHEMA_VERSION = 6
#: The Alembic revision of this schema (the migrations' head): ``open_store``
#: compares a store's ``alembic_version`` with it without importing Alembic.
SCHEMA_REVISION = f"{SCHEMA_VERSION:04d}"
#: Marks a database as a bulkprofiles store (see ``store_meta``).
STORE_MARKER = "bulkprofiles-store"


def utcnow() -> dt.datetime:
    """Naive UTC now: the store keeps every timestamp as naive UTC."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {
        int: Integer,
        str: String(255),
        dt.datetime: DateTime(),
        dt.date: Date(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class StoreMeta(Base):
    __tablename__ = "store_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ProfileDatabase(Base):
    __tablename__ = "profile_databases"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Field(Base):
    """One field of one profile database (system or custom)."""

    __tablename__ = "fields"
    __table_args__ = (UniqueConstraint("database_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    database_id: Mapped[int] = mapped_column(
        ForeignKey("profile_databases.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    #: The ``profiles`` column holding the value; NULL for list types.
    column_name: Mapped[str | None] = mapped_column(String(64))
    is_system: Mapped[bool] = mapped_column(Boolean, default=False)
    editable: Mapped[bool] = mapped_column(Boolean, default=True)
    options: Mapped[list[Any]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)


class Profile(Base):
    __tablename__ = "profiles"
    __table_args__ = (
        Index("ix_profiles_database_id_id", "database_id", "id"),
        Index("ix_profiles_database_city", "database_id", "city"),
        # Selection: "city ... and registered in ..." (the brief's first example)
        # counts through this index instead of fetching every row of the city.
        Index("ix_profiles_database_city_registered", "database_id", "city", "registered_at"),
        Index("ix_profiles_database_email", "database_id", "email"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    database_id: Mapped[int] = mapped_column(ForeignKey("profile_databases.id", ondelete="CASCADE"))
    email: Mapped[str | None]
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    birthday: Mapped[dt.date | None]
    gender: Mapped[str | None] = mapped_column(String(16))
    city: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(200))
    registered_at: Mapped[dt.datetime | None]
    global_status: Mapped[str] = mapped_column(String(16), default="subscribed")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_interaction_at: Mapped[dt.datetime | None]


#: How full inserts fill a page of ``profiles`` on PostgreSQL (percent): the
#: rest lets an update of unindexed columns (global status, ``updated_at``,
#: most custom fields) stay on its page without touching the indexes (a HOT
#: update).  Revision 0004 sets it on older stores; SQLite has no such setting.
PROFILES_FILLFACTOR = 90


def _fill_pages_to(table: FromClause, fillfactor: int) -> None:
    """A new store's ``table`` fills its pages to ``fillfactor`` percent on
    PostgreSQL (a storage parameter; SQLite has none)."""
    ddl = DDL(f"ALTER TABLE {table.description} SET (fillfactor = {fillfactor})")
    event.listen(table, "after_create", ddl.execute_if(dialect="postgresql"))


_fill_pages_to(Profile.__table__, PROFILES_FILLFACTOR)


class ProfileListValue(Base):
    """One item of a list-typed field (a phone, a tag) of one profile."""

    __tablename__ = "profile_list_values"
    __table_args__ = (Index("ix_profile_list_values_field_value", "field_id", "value"),)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True
    )
    field_id: Mapped[int] = mapped_column(
        ForeignKey("fields.id", ondelete="CASCADE"), primary_key=True
    )
    value: Mapped[str] = mapped_column(String(255), primary_key=True)


class Resource(Base):
    __tablename__ = "resources"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class ResourceChannel(Base):
    """A channel configured in a resource."""

    __tablename__ = "resource_channels"
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True
    )
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)


class ResourceDatabase(Base):
    """A resource attached to a profile database."""

    __tablename__ = "resource_databases"
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True
    )
    database_id: Mapped[int] = mapped_column(
        ForeignKey("profile_databases.id", ondelete="CASCADE"), primary_key=True
    )


class Subscription(Base):
    """(profile, resource, channel) -> contact and status; one per channel."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("profile_id", "resource_id", "channel"),
        Index("ix_subscriptions_resource_channel_status", "resource_id", "channel", "status"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    contact: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LoyaltyProgram(Base):
    __tablename__ = "loyalty_programs"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    database_id: Mapped[int | None] = mapped_column(
        ForeignKey("profile_databases.id", ondelete="SET NULL")
    )


class PromoCode(Base):
    """A code of a program's pool: free (no profile), attached, or activated."""

    __tablename__ = "promo_codes"
    __table_args__ = (
        Index("ix_promo_codes_program_profile", "program_id", "profile_id"),
        Index("ix_promo_codes_program_status", "program_id", "status", "id"),
        # The ON DELETE SET NULL of a deleted profile looks codes up by profile.
        Index("ix_promo_codes_profile", "profile_id"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("loyalty_programs.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="free")  # free|attached|activated
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id", ondelete="SET NULL"))
    attached_at: Mapped[dt.datetime | None]
    activated_at: Mapped[dt.datetime | None]


class Event(Base):
    """One interaction in a profile's action history."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_profile_time", "profile_id", "occurred_at"),
        Index("ix_events_type_time", "type", "occurred_at"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    profile_id: Mapped[int] = mapped_column(BigInteger)  # no FK: kept after deletion
    database_id: Mapped[int] = mapped_column(index=True)
    type: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(16))
    resource_id: Mapped[int | None]
    campaign: Mapped[str | None] = mapped_column(String(200))
    occurred_at: Mapped[dt.datetime]


class Segment(Base):
    """A saved selection (rules + range + limit) over one database."""

    __tablename__ = "segments"
    __table_args__ = (UniqueConstraint("database_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    database_id: Mapped[int] = mapped_column(
        ForeignKey("profile_databases.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    range_from: Mapped[float] = mapped_column(Float, default=0.0)
    range_to: Mapped[float] = mapped_column(Float, default=100.0)
    limit: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Trigger(Base):
    """A trigger campaign/scenario; ``kind`` says what starts it.

    kinds: ``subscription`` (added or status changed; optional resource and
    channel), ``field_updated`` (optional field), ``promo_attached``
    (optional program).  A NULL filter column matches anything.
    """

    __tablename__ = "triggers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    database_id: Mapped[int | None] = mapped_column(
        ForeignKey("profile_databases.id", ondelete="CASCADE")
    )
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    channel: Mapped[str | None] = mapped_column(String(16))
    field_id: Mapped[int | None] = mapped_column(ForeignKey("fields.id", ondelete="CASCADE"))
    program_id: Mapped[int | None] = mapped_column(
        ForeignKey("loyalty_programs.id", ondelete="CASCADE")
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class TriggerEvent(Base):
    """Outbox row: one trigger started for one profile by one task."""

    __tablename__ = "trigger_events"
    __table_args__ = (Index("ix_trigger_events_task", "task_id"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    trigger_id: Mapped[int] = mapped_column(ForeignKey("triggers.id", ondelete="CASCADE"))
    profile_id: Mapped[int] = mapped_column(BigInteger)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[dt.datetime | None]


class Task(Base):
    """One run of a bulk update: the operator's audit trail."""

    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    action_type: Mapped[str] = mapped_column(String(32))
    database_id: Mapped[int | None] = mapped_column(
        ForeignKey("profile_databases.id", ondelete="SET NULL")
    )
    database_name: Mapped[str] = mapped_column(String(200), default="")
    segment_name: Mapped[str | None] = mapped_column(String(200))
    job: Mapped[dict[str, Any]] = mapped_column(JSON)
    operator: Mapped[str] = mapped_column(String(200), default="")
    #: queued | running | completed | cancelled | failed | interrupted
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    selected: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    changed: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    trigger_events: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    #: Heartbeat of the process running it; a stale one means "interrupted".
    heartbeat_at: Mapped[dt.datetime | None]
    #: "host:pid" of the process running it, so a gone process shows as "interrupted".
    runner: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    #: A revert task: the task it reverts (see ``core/revert.py``).
    revert_of: Mapped[int | None] = mapped_column(index=True)
    #: What the task's journal holds (``core/journal.py``); NULL: it kept none.
    journal: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: When the journal (and the profiles the task deleted) was purged.
    journal_purged_at: Mapped[dt.datetime | None]


class TaskProfile(Base):
    """The frozen selection of a task, with each profile's outcome.

    ``outcome`` is NULL until the profile's batch commits, then ``changed``
    or the skip reason (``unsafe_status``, ``no_contact``, ...).
    """

    __tablename__ = "task_profiles"
    # No index on (task_id, outcome): every batch rewrites its rows' outcome, and
    # the primary key (task_id, position) already serves every per-task query.
    task_id: Mapped[int] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(BigInteger)
    outcome: Mapped[str | None] = mapped_column(String(32))


#: How full the freeze fills a page of ``task_profiles`` on PostgreSQL
#: (percent): each batch then writes its rows' outcome beside them on the same
#: page without touching the primary key (a HOT update; revision 0005 says
#: what it saves).  Keep ``outcome`` out of every index, or the room is wasted.
TASK_PROFILES_FILLFACTOR = 45
_fill_pages_to(TaskProfile.__table__, TASK_PROFILES_FILLFACTOR)


# -- the journal of tasks (core/journal.py) and the archive of deleted profiles -------
#: Journal tables are written per batch and read by (task, profile) prefix: on
#: SQLite their primary key is the table (no rowid b-tree beside it).
_JOURNAL_TABLE_ARGS: dict[str, Any] = {"sqlite_with_rowid": False}


def _journal_task() -> Mapped[int]:
    return mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)


class JournalValue(Base):
    """A scalar ``profiles`` column a task changed: its value before and the
    value the task wrote, in the slot of the column's type (the others NULL)."""

    __tablename__ = "journal_values"
    __table_args__ = (_JOURNAL_TABLE_ARGS,)
    task_id: Mapped[int] = _journal_task()
    profile_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    #: The ``profiles`` column (``city``, ``cf_12``, ``global_status``).
    column_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    old_int: Mapped[int | None] = mapped_column(BigInteger)
    new_int: Mapped[int | None] = mapped_column(BigInteger)
    old_float: Mapped[float | None] = mapped_column(Float)
    new_float: Mapped[float | None] = mapped_column(Float)
    old_text: Mapped[str | None] = mapped_column(Text)
    new_text: Mapped[str | None] = mapped_column(Text)
    old_date: Mapped[dt.date | None]
    new_date: Mapped[dt.date | None]
    old_time: Mapped[dt.datetime | None]
    new_time: Mapped[dt.datetime | None]
    old_bool: Mapped[bool | None] = mapped_column(Boolean)
    new_bool: Mapped[bool | None] = mapped_column(Boolean)


class JournalListItem(Base):
    """An item of a list field (phones, tags) a task added to a profile
    (``after`` true: there after the change, not before) or took away from it
    (false)."""

    __tablename__ = "journal_list_items"
    __table_args__ = (_JOURNAL_TABLE_ARGS,)
    task_id: Mapped[int] = _journal_task()
    profile_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    field_id: Mapped[int] = mapped_column(primary_key=True)
    after: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True)


class JournalSubscription(Base):
    """A subscription a task wrote: status and contact before (none if it
    ``created`` it) and the ones it wrote."""

    __tablename__ = "journal_subscriptions"
    __table_args__ = (_JOURNAL_TABLE_ARGS,)
    task_id: Mapped[int] = _journal_task()
    profile_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    resource_id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    created: Mapped[bool] = mapped_column(Boolean)
    old_status: Mapped[str | None] = mapped_column(String(16))
    old_contact: Mapped[str | None] = mapped_column(String(255))
    new_status: Mapped[str] = mapped_column(String(16))
    new_contact: Mapped[str | None] = mapped_column(String(255))


class JournalCode(Base):
    """A promo code a task attached, detached or unlinked from a deleted
    profile (``profile_id``: the profile of the task it is about)."""

    __tablename__ = "journal_codes"
    __table_args__ = (_JOURNAL_TABLE_ARGS,)
    task_id: Mapped[int] = _journal_task()
    profile_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    old_status: Mapped[str] = mapped_column(String(16))
    old_profile_id: Mapped[int | None] = mapped_column(BigInteger)
    old_attached_at: Mapped[dt.datetime | None]
    new_status: Mapped[str] = mapped_column(String(16))
    new_profile_id: Mapped[int | None] = mapped_column(BigInteger)
    new_attached_at: Mapped[dt.datetime | None]


class ArchivedProfile(Base):
    """A profile a task deleted, whole: the system columns of ``profiles``
    here, its custom columns ``cf_<id>`` added on first use (like
    ``profiles``' own, by ``core/journal.py``)."""

    __tablename__ = "archived_profiles"
    task_id: Mapped[int] = _journal_task()
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    database_id: Mapped[int]
    email: Mapped[str | None]
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    birthday: Mapped[dt.date | None]
    gender: Mapped[str | None] = mapped_column(String(16))
    city: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(200))
    registered_at: Mapped[dt.datetime | None]
    global_status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    last_interaction_at: Mapped[dt.datetime | None]


class ArchivedListValue(Base):
    """A list item (phone, tag) of an archived profile."""

    __tablename__ = "archived_list_values"
    __table_args__ = (_JOURNAL_TABLE_ARGS,)
    task_id: Mapped[int] = _journal_task()
    profile_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    field_id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True)


class ArchivedSubscription(Base):
    """A subscription of an archived profile, with its own id."""

    __tablename__ = "archived_subscriptions"
    __table_args__ = (_JOURNAL_TABLE_ARGS,)
    task_id: Mapped[int] = _journal_task()
    profile_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    resource_id: Mapped[int]
    channel: Mapped[str] = mapped_column(String(16))
    contact: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


#: Every table holding a task's journal or archive, purged together.
JOURNAL_TABLES = (
    JournalValue,
    JournalListItem,
    JournalSubscription,
    JournalCode,
    ArchivedListValue,
    ArchivedSubscription,
    ArchivedProfile,
)


#: The tables whose rows name the task that wrote them, written in bulk by
#: that task's runner (frozen selection, journal, archive, trigger events).
TASK_WRITTEN_TABLES = (TaskProfile, *JOURNAL_TABLES, TriggerEvent)


def _task_keys_on_sqlite_only() -> None:
    """The ``task_id`` foreign keys of :data:`TASK_WRITTEN_TABLES` exist on
    SQLite only (revision 0006 drops them on PostgreSQL).

    PostgreSQL checks a foreign key with a trigger that runs a look-up query
    for every inserted row: 0.8 s of a 1.3 s freeze of 300,000 profiles, and
    as much again for every journal or archive row, per row what the job's
    own SQL costs.  Those rows are written only by the runner of a task that
    exists (it claimed it first; ``jobs.freeze_profile_ids``, for tests and
    tools, checks), and bulkprofiles never deletes a task (the journal's
    purge deletes its rows itself), so the check can never fail and the
    ``ON DELETE`` never fires.  SQLite checks with a b-tree probe in the same
    process (12 ms per 300,000 rows): there the key stays.
    """
    for model in TASK_WRITTEN_TABLES:
        for key in Base.metadata.tables[model.__tablename__].foreign_key_constraints:
            if key.referred_table.name == "tasks":
                key.ddl_if(dialect="sqlite")


_task_keys_on_sqlite_only()
