"""Small helpers the action modules share: parameter checks and batch sub-selects.

Parameter helpers raise :class:`ActionError` naming the key
(``job.action.<key>: ...``).  ``classify`` sets the outcome of every pending
row of a batch in one UPDATE from a CASE expression; ``mark_where`` marks the
pending rows for which a condition on their own profile id holds.  Both put
the condition on the UPDATE's own rows: an ``IN`` list over the same batch
would be a self-join of ``task_profiles``, which PostgreSQL (no statistics on
the freshly frozen rows) runs as a quadratic nested loop.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from .. import models as m
from ..fields import CHANNELS, STATUSES
from ..limits import name_problem, quote
from .base import CHANGED, SKIP_REASONS, ActionError, Batch, ProfileCondition


def require_text(raw: dict[str, Any], key: str, what: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ActionError(f"job.action.{key}: name the {what}")
    too_long = name_problem(value)
    if too_long:
        raise ActionError(f"job.action.{key}: {too_long}")
    return value.strip()


def optional_bool(raw: dict[str, Any], key: str, default: bool = False) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise ActionError(f"job.action.{key}: must be true or false")
    return value


def parse_status(raw: dict[str, Any], key: str = "status") -> str:
    value = raw.get(key)
    if value not in STATUSES:
        statuses = ", ".join(STATUSES)
        raise ActionError(f"job.action.{key}: {quote(value)} is not a status ({statuses})")
    return str(value)


def parse_channel(value: Any, key: str) -> str:
    if value not in CHANNELS:
        channels = ", ".join(CHANNELS)
        raise ActionError(f"job.action.{key}: {quote(value)} is not a channel ({channels})")
    return str(value)


def mark_where(conn: Connection, batch: Batch, outcome: str, condition: ProfileCondition) -> int:
    """Like :func:`base.mark_outcome`, with the condition applied to each row's
    own profile id (a correlated EXISTS) instead of an ``IN`` list over the
    batch: PostgreSQL plans a self-join of fresh, unanalysed ``task_profiles``
    rows as a nested loop, quadratic in the batch size."""
    if outcome != CHANGED and outcome not in SKIP_REASONS:
        raise ValueError(f"unknown outcome {quote(outcome)}")
    tp = m.TaskProfile
    result = conn.execute(
        update(tp)
        .where(batch.rows_where(), tp.outcome.is_(None), condition(tp.profile_id))
        .values(outcome=outcome)
    )
    return int(result.rowcount or 0)


def database_name(conn: Connection, database_id: int) -> str:
    name = conn.execute(
        select(m.ProfileDatabase.name).where(m.ProfileDatabase.id == database_id)
    ).scalar_one_or_none()
    return str(name) if name is not None else f"#{database_id}"
