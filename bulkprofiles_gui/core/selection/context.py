"""What a rule may name in one database: its fields, resources and programs."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, or_, select

from .. import models as m
from ..limits import quote
from ..store import FieldInfo, Store, StoreError

_SEPARATORS = re.compile(r"[\s_\-]+")


def normalized_name(name: str) -> str:
    """The form field names are matched in: no case, no spaces, ``_`` or ``-``
    (``firstName``, ``First name`` and ``first_name`` are all ``firstname``)."""
    return _SEPARATORS.sub("", name).casefold()


class AmbiguousFieldName(ValueError):
    """A rule's field name that matches two fields once case and separators are ignored."""


def keys_named(keys: Iterable[str], name: str) -> list[str]:
    """The keys ``name`` means: ``[name]`` when it is one of them, else every
    key equal to it ignoring case, spaces, ``_`` and ``-`` (none, one or, for
    an ambiguous name, several)."""
    keys = list(keys)
    if name in keys:
        return [name]
    wanted = normalized_name(name)
    return [key for key in keys if normalized_name(key) == wanted]


def ambiguous_name_message(name: str, matches: Sequence[str]) -> str:
    """The one line that refuses a field name matching several keys."""
    return (
        f"field name {quote(name)} matches both {quote(matches[0])} and "
        f"{quote(matches[1])}; use the exact key"
    )


def field_named(fields: dict[str, FieldInfo], name: str) -> FieldInfo | None:
    """The field a rule means by ``name``: the field with that key, else the one
    whose key equals it ignoring case, spaces, ``_`` and ``-``; None if none.

    Rules pasted from other tools name fields the way those tools do
    (react-querybuilder's examples use ``firstName``); keys here are
    lower-case with ``_``.  Raises :class:`AmbiguousFieldName` naming both
    fields when two keys match: the rule must then use the exact key.
    """
    matches = keys_named(fields, name)
    if len(matches) > 1:
        raise AmbiguousFieldName(ambiguous_name_message(name, matches))
    return fields[matches[0]] if matches else None


@dataclass(frozen=True)
class ResourceInfo:
    id: int
    name: str
    channels: frozenset[str]


@dataclass(frozen=True)
class SchemaContext:
    """The names a rule over ``database_id`` may use, loaded once per compile."""

    database_id: int
    fields: dict[str, FieldInfo]
    #: Resources attached to the database, by name.
    resources: dict[str, ResourceInfo]
    #: Loyalty programs of the database (or of no database in particular), by name.
    programs: dict[str, int]
    now: dt.datetime


def load_context(
    store: Store, conn: Connection, database_id: int, now: dt.datetime | None = None
) -> SchemaContext:
    """Load the schema of ``database_id``; StoreError if the database does not exist.

    The names are read once per store and kept until the catalogue changes
    (``Store.cached``): a count or preview then costs its SQL only.  The
    dictionaries are shared by every context of the database: read-only."""
    fields, resources, programs = store.cached(
        conn, ("selection.context", database_id), lambda: _load_names(store, conn, database_id)
    )
    return SchemaContext(
        database_id=database_id,
        fields=fields,
        resources=resources,
        programs=programs,
        now=now or m.utcnow(),
    )


def _load_names(
    store: Store, conn: Connection, database_id: int
) -> tuple[dict[str, FieldInfo], dict[str, ResourceInfo], dict[str, int]]:
    exists = conn.execute(
        select(m.ProfileDatabase.id).where(m.ProfileDatabase.id == database_id)
    ).first()
    if exists is None:
        raise StoreError(f"no profile database with id {database_id}")
    fields = {f.key: f for f in store.fields(conn, database_id)}
    channel_rows = conn.execute(
        select(m.Resource.id, m.Resource.name, m.ResourceChannel.channel)
        .join(m.ResourceDatabase, m.ResourceDatabase.resource_id == m.Resource.id)
        .outerjoin(m.ResourceChannel, m.ResourceChannel.resource_id == m.Resource.id)
        .where(m.ResourceDatabase.database_id == database_id)
    ).all()
    channels: dict[tuple[int, str], set[str]] = {}
    for res_id, name, channel in channel_rows:
        bucket = channels.setdefault((int(res_id), str(name)), set())
        if channel is not None:
            bucket.add(str(channel))
    resources = {
        name: ResourceInfo(res_id, name, frozenset(chs)) for (res_id, name), chs in channels.items()
    }
    programs = {
        str(name): int(pid)
        for pid, name in conn.execute(
            select(m.LoyaltyProgram.id, m.LoyaltyProgram.name).where(
                or_(
                    m.LoyaltyProgram.database_id == database_id,
                    m.LoyaltyProgram.database_id.is_(None),
                )
            )
        )
    }
    return fields, resources, programs
