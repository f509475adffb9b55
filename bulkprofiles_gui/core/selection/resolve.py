"""From a job document (database or saved segment, rules, range, limit) to a spec."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from .. import models as m
from ..jobfile import Job
from ..limits import quote
from ..store import Store, StoreError
from .api import has_conditions
from .model import SelectionSpec


def resolve_job_selection(store: Store, conn: Connection, job: Job) -> SelectionSpec:
    """The selection a job means.

    With ``job.segment`` the segment brings its database, rules, range and
    limit; the job's own rules are ANDed to the segment's, and the job's range
    and limit, when not the defaults (0-100 %, no limit), override the
    segment's.  ``job.database``, if given too, must be the segment's.
    Raises StoreError for an unknown database or segment (the spec is not
    validated here: call :func:`check`).
    """
    database_id = store.database_id(conn, job.database) if job.database else None
    if not job.segment:
        if database_id is None:
            raise StoreError("the job names no profile database and no segment")
        return SelectionSpec(
            database_id=database_id,
            rules=job.rules,
            range_from=job.range_from,
            range_to=job.range_to,
            limit=job.limit,
        )
    segment = _find_segment(conn, job.segment, database_id)
    rules: dict[str, Any] = segment.rules
    if has_conditions(job.rules):
        both = [segment.rules, job.rules] if has_conditions(segment.rules) else [job.rules]
        rules = {"combinator": "and", "not": False, "rules": both}
    custom_range = (job.range_from, job.range_to) != (0.0, 100.0)
    return SelectionSpec(
        database_id=segment.database_id,
        rules=rules,
        range_from=job.range_from if custom_range else segment.range_from,
        range_to=job.range_to if custom_range else segment.range_to,
        limit=job.limit or segment.limit,
    )


def _find_segment(conn: Connection, name: str, database_id: int | None) -> Any:
    seg = m.Segment.__table__
    query = select(seg).where(seg.c.name == name)
    if database_id is not None:
        query = query.where(seg.c.database_id == database_id)
    found = conn.execute(query).all()
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise StoreError(
            f"several databases have a segment named {quote(name)}; "
            "name the database in the job too"
        )
    names_query = select(seg.c.name).order_by(seg.c.name)
    if database_id is not None:
        names_query = names_query.where(seg.c.database_id == database_id)
    known = ", ".join(repr(n) for n in conn.execute(names_query).scalars()) or "none"
    where = " in this database" if database_id is not None else ""
    raise StoreError(f"no segment named {quote(name)}{where} (segments: {known})")
