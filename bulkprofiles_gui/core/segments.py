"""Saved segments: a named selection (rules + range + limit) over one database.

Rules are validated when a segment is saved (create and update), so a saved
segment always compiles against the schema it was saved for.  Names are
unique per database.  Every function takes the store and, optionally, an open
connection (``conn``): without one it runs in its own transaction.  Errors
are :class:`SegmentError` (a :class:`StoreError`, shown to the operator as one
line) or :class:`~bulkprofiles_gui.core.selection.RuleError` for bad rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, delete, insert, select, update

from . import models as m
from .limits import nul_problem, quote
from .selection import SelectionSpec, check
from .store import Store, StoreError

T = TypeVar("T")
MAX_NAME = 200


class SegmentError(StoreError):
    """A segment operation that cannot be done (duplicate or unknown name...)."""


@dataclass(frozen=True)
class SegmentInfo:
    id: int
    database_id: int
    database_name: str
    name: str
    rules: dict[str, Any]
    range_from: float
    range_to: float
    limit: int
    created_at: dt.datetime
    updated_at: dt.datetime

    def spec(self) -> SelectionSpec:
        """The segment's selection."""
        return SelectionSpec(
            self.database_id, self.rules, self.range_from, self.range_to, self.limit
        )


@contextmanager
def _connection(store: Store, conn: Connection | None) -> Iterator[Connection]:
    if conn is not None:
        yield conn
    else:
        with store.begin() as own:
            yield own


def _in_transaction(store: Store, conn: Connection | None, work: Callable[[Connection], T]) -> T:
    with _connection(store, conn) as active:
        return work(active)


def _query() -> Any:
    seg, db = m.Segment.__table__, m.ProfileDatabase.__table__
    return (
        select(seg, db.c.name.label("database_name"))
        .join(db, db.c.id == seg.c.database_id)
        .order_by(db.c.name, seg.c.name)
    )


def _info(row: Any) -> SegmentInfo:
    return SegmentInfo(
        id=row.id,
        database_id=row.database_id,
        database_name=row.database_name,
        name=row.name,
        rules=row.rules,
        range_from=float(row.range_from),
        range_to=float(row.range_to),
        limit=int(row.limit),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _clean_name(name: str) -> str:
    cleaned = name.strip() if isinstance(name, str) else ""
    if not cleaned:
        raise SegmentError("a segment needs a name")
    if len(cleaned) > MAX_NAME:
        raise SegmentError(f"a segment name has at most {MAX_NAME} characters")
    unusable = nul_problem(cleaned)
    if unusable:
        raise SegmentError(f"segment name {unusable}")
    return cleaned


def _ensure_free(conn: Connection, database_id: int, name: str, except_id: int | None) -> None:
    seg = m.Segment.__table__
    query = select(seg.c.id).where(seg.c.database_id == database_id, seg.c.name == name)
    if except_id is not None:
        query = query.where(seg.c.id != except_id)
    if conn.execute(query).first() is not None:
        raise SegmentError(f"this database already has a segment named {quote(name)}")


def list_segments(
    store: Store, conn: Connection | None = None, database_id: int | None = None
) -> list[SegmentInfo]:
    """Saved segments (of one database, or all), by database name then name."""

    def work(active: Connection) -> list[SegmentInfo]:
        query = _query()
        if database_id is not None:
            query = query.where(m.Segment.__table__.c.database_id == database_id)
        return [_info(row) for row in active.execute(query)]

    return _in_transaction(store, conn, work)


def get_segment(store: Store, conn: Connection | None, database_id: int, name: str) -> SegmentInfo:
    """The segment ``name`` of a database; SegmentError listing the known ones if none."""

    def work(active: Connection) -> SegmentInfo:
        seg = m.Segment.__table__
        row = active.execute(
            _query().where(seg.c.database_id == database_id, seg.c.name == name)
        ).first()
        if row is None:
            known = [s.name for s in list_segments(store, active, database_id)]
            listed = ", ".join(repr(n) for n in known) or "none"
            raise SegmentError(
                f"no segment named {quote(name)} in this database (segments: {listed})"
            )
        return _info(row)

    return _in_transaction(store, conn, work)


def _by_id(conn: Connection, segment_id: int) -> SegmentInfo:
    row = conn.execute(_query().where(m.Segment.__table__.c.id == segment_id)).first()
    if row is None:
        raise SegmentError(f"no segment with id {segment_id} (was it deleted?)")
    return _info(row)


def create_segment(
    store: Store,
    conn: Connection | None,
    database_id: int,
    name: str,
    *,
    rules: dict[str, Any],
    range_from: float = 0.0,
    range_to: float = 100.0,
    limit: int = 0,
) -> int:
    """Save a new segment after validating its rules; returns its id."""
    cleaned = _clean_name(name)

    def work(active: Connection) -> int:
        check(store, active, SelectionSpec(database_id, rules, range_from, range_to, limit))
        _ensure_free(active, database_id, cleaned, None)
        now = m.utcnow()
        return int(
            active.execute(
                insert(m.Segment)
                .values(
                    database_id=database_id,
                    name=cleaned,
                    rules=rules,
                    range_from=float(range_from),
                    range_to=float(range_to),
                    limit=limit,
                    created_at=now,
                    updated_at=now,
                )
                .returning(m.Segment.id)
            ).scalar_one()
        )

    return _in_transaction(store, conn, work)


def update_segment(
    store: Store,
    segment_id: int,
    *,
    rules: dict[str, Any],
    range_from: float = 0.0,
    range_to: float = 100.0,
    limit: int = 0,
    conn: Connection | None = None,
) -> None:
    """Replace a segment's rules, range and limit (validated first)."""

    def work(active: Connection) -> None:
        current = _by_id(active, segment_id)
        spec = SelectionSpec(current.database_id, rules, range_from, range_to, limit)
        check(store, active, spec)
        active.execute(
            update(m.Segment)
            .where(m.Segment.id == segment_id)
            .values(
                rules=rules,
                range_from=float(range_from),
                range_to=float(range_to),
                limit=limit,
                updated_at=m.utcnow(),
            )
        )

    _in_transaction(store, conn, work)


def rename_segment(
    store: Store, segment_id: int, new_name: str, *, conn: Connection | None = None
) -> None:
    """Rename a segment; SegmentError for an empty or taken name or an unknown segment."""
    cleaned = _clean_name(new_name)

    def work(active: Connection) -> None:
        current = _by_id(active, segment_id)
        _ensure_free(active, current.database_id, cleaned, segment_id)
        active.execute(
            update(m.Segment)
            .where(m.Segment.id == segment_id)
            .values(name=cleaned, updated_at=m.utcnow())
        )

    _in_transaction(store, conn, work)


def delete_segment(store: Store, segment_id: int, *, conn: Connection | None = None) -> None:
    """Delete a segment (its profiles are untouched); SegmentError if it does not exist."""

    def work(active: Connection) -> None:
        _by_id(active, segment_id)
        active.execute(delete(m.Segment).where(m.Segment.id == segment_id))

    _in_transaction(store, conn, work)
