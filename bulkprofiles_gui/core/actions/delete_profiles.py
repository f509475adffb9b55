"""Delete profiles by conditions.

Conditions are mandatory (``REQUIRES_CONDITIONS``: the runner refuses a job
without any, so this never means "all profiles").  Only profiles with no
interaction on or after the *cut-off* are deleted: the first day of the
current month minus N months, N = ``delete_min_inactive_months`` from the
configuration file (default 4), so on 1 May and on 31 May alike the cut-off
is 1 January.  :func:`inactivity_cutoff` computes it; the wizard shows it.

An interaction on or after the cut-off is any of: an event in the profile's
action history, the profile's creation, or its ``last_interaction_at``
stamp.  Such profiles are skipped as ``recently_active``.

What stays and what goes: the profile's subscriptions and list values
(phones, tags) go with it (foreign-key cascade); its events and trigger
events stay (no foreign key: the action statistics remain in reports); its
promo codes become unlinked (``profile_id`` set to NULL) and keep their
status, so an attached or activated code is not handed out again.  Deleting
starts no trigger.  The deleted profiles go whole (row, list items,
subscriptions, the links of their codes) into the task's archive first
(``journal.archive_profiles``), kept for a revert ``archive_days`` days.

A batch is one pass (``_work.py``): the pending profiles joined to their row
(and their events since the cut-off) into the work table with their outcome;
``task_profiles``, the archive and the DELETE read the changed ones from it
by key.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    delete,
    func,
    literal,
    not_,
    or_,
    select,
)

from .. import journal
from .. import models as m
from . import _work as work
from .base import CHANGED, ActionContext, Batch, check_keys, probe

TYPE = "delete_profiles"
LABEL = "Delete profiles by conditions"
DESCRIPTION = (
    "Delete the selected profiles that had no interaction since the cut-off date; their "
    "action statistics stay in reports."
)
REQUIRES_CONDITIONS = True
DESTRUCTIVE = True
#: Profiles deleted since the freeze are ``profile_gone`` in the work table's fill.
SKIPS_GONE = True


def inactivity_cutoff(today: dt.date, months: int) -> dt.date:
    """The first day of ``today``'s month minus ``months`` months.

    >>> inactivity_cutoff(dt.date(2026, 5, 1), 4), inactivity_cutoff(dt.date(2026, 5, 31), 4)
    (datetime.date(2026, 1, 1), datetime.date(2026, 1, 1))
    """
    if months < 0:
        raise ValueError("months must be >= 0")
    index = today.year * 12 + (today.month - 1) - months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Params:
    months: int
    cutoff: dt.date

    @property
    def cutoff_at(self) -> dt.datetime:
        return dt.datetime.combine(self.cutoff, dt.time())


def parse(conn: Connection, ctx: ActionContext, raw: dict[str, Any]) -> Params:
    check_keys(raw, frozenset())
    months = ctx.settings.delete_min_inactive_months
    return Params(months, inactivity_cutoff(ctx.now.date(), months))


def _recently_active(row: Any, since: dt.datetime) -> ColumnElement[bool]:
    """The profile whose ``profiles`` columns are ``row`` had an interaction on
    or after ``since``: created, stamped or an event in its history.  Never
    NULL (a profile never stamped is not active by its stamp), so that its
    negation counts the same profiles the batch deletes."""
    event = probe(
        select(m.Event.id).where(m.Event.profile_id == row.id, m.Event.occurred_at >= since)
    )
    return or_(
        _on_or_after(row.created_at, since), _on_or_after(row.last_interaction_at, since), event
    )


def _on_or_after(column: Any, since: dt.datetime) -> ColumnElement[bool]:
    """``column >= since``, false (not NULL) where the column is NULL."""
    return and_(column.is_not(None), column >= since)


def _fill_work(conn: Connection, ctx: ActionContext, params: Params, batch: Batch) -> None:
    """Each pending profile of the batch joined to its row: its outcome."""
    tp, pending = work.pending_rows(batch)
    joined, row = work.lookup(conn, tp, ctx.store.profiles, lambda prof: prof.id == tp.c.profile_id)
    state = case(
        (row.id.is_(None), literal("profile_gone")),
        (_recently_active(row, params.cutoff_at), literal("recently_active")),
        else_=literal(CHANGED),
    )
    source = select(tp.c.profile_id, literal(0), state).select_from(joined).where(*pending)
    work.fill(conn, ["profile_id", "part", "state"], source)


def apply_batch(
    conn: Connection, ctx: ActionContext, params: Params, batch: Batch
) -> dict[str, int] | None:
    work.start(conn)
    _fill_work(conn, ctx, params, batch)
    counts = work.count_outcomes(conn, batch, work.set_outcomes(conn, batch))
    if not ctx.dry_run:
        profiles = ctx.store.profiles
        journal.archive_profiles(conn, ctx, work.changed_ids())
        conn.execute(delete(profiles).where(profiles.c.id.in_(work.changed_ids())))
    return counts


def describe(params: Params) -> str:
    return (
        f"Delete the profiles with no interaction since {params.cutoff.isoformat()} "
        f"({params.months} months before the start of the current month)"
    )


def count_effective(
    conn: Connection, ctx: ActionContext, params: Params, profile_ids: Select[Any]
) -> int:
    """How many of ``profile_ids`` this action would delete: those with no
    interaction since the cut-off (the ``recently_active`` rule of
    :func:`apply_batch`, the same condition), counted in one statement."""
    candidate = ctx.store.profiles.alias("candidate")
    active = _recently_active(candidate.c, params.cutoff_at)
    return int(
        conn.execute(
            select(func.count())
            .select_from(candidate)
            .where(candidate.c.id.in_(profile_ids), not_(active))
        ).scalar_one()
    )
