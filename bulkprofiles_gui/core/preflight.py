"""What ``run`` and the wizard's review page say before a job starts.

*Nothing to do is not a run*: a job whose selection is empty, or whose action
would change none of the selected profiles by its own rules (a deletion where
every selected profile had an interaction since the cut-off, a global
unsubscribe where every one is unsubscribed already), is reported as such and
records no task.  An action module that skips profiles for reasons it can tell
before running offers ``count_effective(conn, ctx, params, profile_ids)``: the
number it would change, counted set-based with the same conditions its
``apply_batch`` classifies with.  Destructive jobs are confirmed with that
number, not with the number selected.

*Concurrency made visible*: the tasks running on the same profile database
(after :func:`~bulkprofiles_gui.core.tasks.mark_interrupted` has shown dead
runs as interrupted) are named, so the operator decides whether a second job
should start next to them.  Reading (counts, the Tasks view) goes on while a
job runs: PostgreSQL readers never wait for writers, and SQLite's WAL journal
lets readers see the last committed batch while the next one is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, select

from . import models as m
from . import selection
from .config import Settings
from .jobs import JobPlan, action_context
from .process import mark_interrupted
from .store import Store
from .tasks import kind_label


@dataclass(frozen=True)
class RunningTask:
    """A task running now on the database a job is about to change."""

    id: int
    action_label: str
    operator: str
    since: dt.datetime

    def describe(self) -> str:
        return (
            f"task {self.id} ({self.action_label}) by {self.operator or 'unknown'} "
            f"has been running on it since {self.since:%Y-%m-%d %H:%M} UTC"
        )


@dataclass(frozen=True)
class Preflight:
    """The numbers a job is confirmed with, and who else is working on its database."""

    selected: int
    #: Profiles the action would change (``selected`` for actions that cannot tell).
    effective: int
    running: tuple[RunningTask, ...] = ()

    @property
    def nothing_to_do(self) -> bool:
        return self.effective == 0

    def nothing_to_do_text(self, plan: JobPlan) -> str:
        """One line: why the job would change nothing (no task is recorded)."""
        where = repr(plan.database_name)
        if self.selected == 0:
            return f"the selection holds no profile of {where}"
        if plan.action.TYPE == "delete_profiles":
            return (
                f"none of the {self.selected:,} selected profiles of {where} would be "
                f"deleted: all had an interaction since {plan.params.cutoff.isoformat()}"
            )
        if plan.action.TYPE == "global_unsubscribe":
            return (
                f"none of the {self.selected:,} selected profiles of {where} would change: "
                "all are globally unsubscribed already"
            )
        return f"none of the {self.selected:,} selected profiles of {where} would change"


def count_effective(
    store: Store, conn: Connection, plan: JobPlan, settings: Settings
) -> int | None:
    """How many profiles the job's action would change now (see the module doc);
    None for an action that cannot tell before it runs."""
    counter = getattr(plan.action, "count_effective", None)
    if counter is None:
        return None
    ids = selection.selection_ids(store, conn, plan.spec)
    ctx = action_context(store, plan.database_id, settings)
    return int(counter(conn, ctx, plan.params, ids))


def running_tasks(store: Store, database_id: int) -> tuple[RunningTask, ...]:
    """The tasks running now on ``database_id`` (dead runs marked interrupted first)."""
    mark_interrupted(store)
    t = m.Task.__table__
    with store.begin() as conn:
        rows = conn.execute(
            select(t.c.id, t.c.action_type, t.c.operator, t.c.started_at, t.c.created_at)
            .where(t.c.database_id == database_id, t.c.status == "running")
            .order_by(t.c.id)
        ).all()
    return tuple(
        RunningTask(
            id=int(r.id),
            action_label=kind_label(r.action_type),
            operator=str(r.operator or ""),
            since=r.started_at or r.created_at,
        )
        for r in rows
    )


def preflight(store: Store, conn: Connection, plan: JobPlan, settings: Settings) -> Preflight:
    """Count the selection and what the action would change; name the running tasks.

    ``conn`` is the transaction the plan was made in (the counts see what it
    saw); the running tasks are read in their own, after dead runs are marked."""
    selected = int(selection.count(store, conn, plan.spec))
    effective = count_effective(store, conn, plan, settings) if selected else 0
    return Preflight(
        selected,
        selected if effective is None else effective,
        running_tasks(store, plan.database_id),
    )
