"""Small helpers the action modules share: parameter checks and batch sub-selects.

Parameter helpers raise :class:`ActionError` naming the key
(``job.action.<key>: ...``).  ``batch_ids`` builds the "profile ids of this
batch that satisfy a condition" sub-select over an *alias* of
``task_profiles``, so it can be handed to :func:`base.mark_outcome` (whose
UPDATE targets ``task_profiles`` itself and would otherwise swallow the
sub-select by correlation).  ``classify`` sets the outcome of every pending
row of a batch in one UPDATE from a CASE expression.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, select, update
from sqlalchemy.orm import QueryableAttribute, aliased

from .. import models as m
from ..fields import CHANNELS, STATUSES
from .base import ActionError, Batch

#: A profile id column (of task_profiles, subscriptions, ...) a condition is about.
ProfileId = ColumnElement[int] | QueryableAttribute[int]
#: A condition on a profile id column (a correlated EXISTS and the like).
ProfileCondition = Callable[[ProfileId], ColumnElement[bool]]


def require_text(raw: dict[str, Any], key: str, what: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ActionError(f"job.action.{key}: name the {what}")
    return value.strip()


def optional_bool(raw: dict[str, Any], key: str, default: bool = False) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise ActionError(f"job.action.{key}: must be true or false")
    return value


def parse_status(raw: dict[str, Any], key: str = "status") -> str:
    value = raw.get(key)
    if value not in STATUSES:
        raise ActionError(f"job.action.{key}: {value!r} is not a status ({', '.join(STATUSES)})")
    return str(value)


def parse_channel(value: Any, key: str) -> str:
    if value not in CHANNELS:
        raise ActionError(f"job.action.{key}: {value!r} is not a channel ({', '.join(CHANNELS)})")
    return str(value)


def batch_ids(
    batch: Batch, *conditions: ProfileCondition, pending: bool = True
) -> Select[tuple[int]]:
    """Profile ids of ``batch`` (only those without an outcome when ``pending``)
    for which every condition holds."""
    tpa = aliased(m.TaskProfile)
    query = select(tpa.profile_id).where(
        tpa.task_id == batch.task_id, tpa.position >= batch.lo, tpa.position < batch.hi
    )
    if pending:
        query = query.where(tpa.outcome.is_(None))
    for condition in conditions:
        query = query.where(condition(tpa.profile_id))
    return query


def classify(
    conn: Connection, batch: Batch, outcome: Callable[[ProfileId], ColumnElement[str]]
) -> None:
    """Give every pending row of the batch its outcome in one UPDATE.

    ``outcome(profile_id)`` is an SQL expression (a CASE over correlated
    look-ups) naming ``changed`` or a skip reason for the profile; one pass
    over the batch instead of one :func:`base.mark_outcome` per reason."""
    tp = m.TaskProfile
    conn.execute(
        update(tp)
        .where(batch.rows_where(), tp.outcome.is_(None))
        .values(outcome=outcome(tp.profile_id))
    )


def database_name(conn: Connection, database_id: int) -> str:
    name = conn.execute(
        select(m.ProfileDatabase.name).where(m.ProfileDatabase.id == database_id)
    ).scalar_one_or_none()
    return str(name) if name is not None else f"#{database_id}"
