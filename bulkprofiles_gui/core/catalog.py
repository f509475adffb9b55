"""Read-only look-ups of what a store holds, for the GUI's lists and choices.

The GUI never writes SQL of its own: the views and wizard pages fill their
tables and combo boxes from these functions (called off the main thread for
anything that counts profiles).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, case, func, select

from . import models as m
from .store import FieldInfo, Store


@dataclass(frozen=True)
class DatabaseRow:
    id: int
    name: str
    is_demo: bool
    profiles: int
    fields: int
    resources: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class ResourceInfo:
    id: int
    name: str
    channels: tuple[str, ...]
    #: Names of the profile databases the resource is attached to.
    databases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProgramInfo:
    id: int
    name: str
    free: int
    attached: int
    activated: int
    #: The program's profile database; None for a store-wide program.
    database: str | None = None

    @property
    def codes(self) -> int:
        return self.free + self.attached + self.activated


def _counts_by_database(conn: Connection, column: Any) -> dict[int, int]:
    rows = conn.execute(select(column, func.count()).group_by(column)).all()
    return {int(db_id): int(n) for db_id, n in rows}


def list_databases(store: Store, conn: Connection) -> list[DatabaseRow]:
    """Every profile database with its profile count, field count and resources."""
    counts = _counts_by_database(conn, m.Profile.database_id)
    field_counts = _counts_by_database(conn, m.Field.database_id)
    resources: dict[int, list[str]] = {}
    for db_id, name in conn.execute(
        select(m.ResourceDatabase.database_id, m.Resource.name)
        .join(m.Resource, m.Resource.id == m.ResourceDatabase.resource_id)
        .order_by(m.Resource.name)
    ):
        resources.setdefault(db_id, []).append(name)
    rows = conn.execute(
        select(
            m.ProfileDatabase.id,
            m.ProfileDatabase.name,
            m.ProfileDatabase.is_demo,
            m.ProfileDatabase.description,
        ).order_by(m.ProfileDatabase.name)
    ).all()
    return [
        DatabaseRow(
            id=db_id,
            name=name,
            is_demo=bool(is_demo),
            profiles=int(counts.get(db_id, 0)),
            fields=int(field_counts.get(db_id, 0)),
            resources=tuple(resources.get(db_id, ())),
            description=description or "",
        )
        for db_id, name, is_demo, description in rows
    ]


def _resources(conn: Connection, database_id: int | None) -> list[ResourceInfo]:
    query = select(m.Resource.id, m.Resource.name).order_by(m.Resource.name)
    if database_id is not None:
        query = query.join(
            m.ResourceDatabase, m.ResourceDatabase.resource_id == m.Resource.id
        ).where(m.ResourceDatabase.database_id == database_id)
    found = conn.execute(query).all()
    channels: dict[int, list[str]] = {}
    for res_id, channel in conn.execute(
        select(m.ResourceChannel.resource_id, m.ResourceChannel.channel).order_by(
            m.ResourceChannel.channel
        )
    ):
        channels.setdefault(res_id, []).append(channel)
    databases: dict[int, list[str]] = {}
    for res_id, db_name in conn.execute(
        select(m.ResourceDatabase.resource_id, m.ProfileDatabase.name)
        .join(m.ProfileDatabase, m.ProfileDatabase.id == m.ResourceDatabase.database_id)
        .order_by(m.ProfileDatabase.name)
    ):
        databases.setdefault(res_id, []).append(db_name)
    return [
        ResourceInfo(rid, name, tuple(channels.get(rid, ())), tuple(databases.get(rid, ())))
        for rid, name in found
    ]


def attached_resources(store: Store, conn: Connection, database_id: int) -> list[ResourceInfo]:
    """Resources attached to the database (the only ones an action may use)."""
    return _resources(conn, database_id)


def all_resources(store: Store, conn: Connection) -> list[ResourceInfo]:
    return _resources(conn, None)


def _programs(conn: Connection, database_id: int | None) -> list[ProgramInfo]:
    pc = m.PromoCode
    counts = (
        select(
            pc.program_id,
            func.sum(case((pc.status == "free", 1), else_=0)).label("free"),
            func.sum(case((pc.status == "attached", 1), else_=0)).label("attached"),
            func.sum(case((pc.status == "activated", 1), else_=0)).label("activated"),
        )
        .group_by(pc.program_id)
        .subquery()
    )
    query = (
        select(
            m.LoyaltyProgram.id,
            m.LoyaltyProgram.name,
            func.coalesce(counts.c.free, 0),
            func.coalesce(counts.c.attached, 0),
            func.coalesce(counts.c.activated, 0),
            m.ProfileDatabase.name,
        )
        .outerjoin(counts, counts.c.program_id == m.LoyaltyProgram.id)
        .outerjoin(m.ProfileDatabase, m.ProfileDatabase.id == m.LoyaltyProgram.database_id)
        .order_by(m.LoyaltyProgram.name)
    )
    if database_id is not None:
        query = query.where(
            (m.LoyaltyProgram.database_id.is_(None)) | (m.LoyaltyProgram.database_id == database_id)
        )
    return [
        ProgramInfo(int(a), str(b), int(c), int(d), int(e), None if db is None else str(db))
        for a, b, c, d, e, db in conn.execute(query).all()
    ]


def loyalty_programs(store: Store, conn: Connection, database_id: int) -> list[ProgramInfo]:
    """Programs usable with the database (its own and store-wide ones) with pool counts."""
    return _programs(conn, database_id)


def all_loyalty_programs(store: Store, conn: Connection) -> list[ProgramInfo]:
    """Every program of the store, with its database (None: store-wide) and pool counts."""
    return _programs(conn, None)


def editable_fields(store: Store, conn: Connection, database_id: int) -> list[FieldInfo]:
    """Fields an operator may update (identity and bookkeeping fields are not offered)."""
    return [f for f in store.fields(conn, database_id) if f.editable]
