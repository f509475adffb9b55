"""Reverting a task: give the profiles it changed their values before it.

A revert is a task of its own (``action_type`` ``revert``, ``revert_of`` the
task it reverts), run like a job: claimed, its selection frozen, then walked
in batches of one transaction each, with progress, cancel, resume and a place
in the history.  Its selection is the reverted task's profiles whose outcome
is ``changed`` (so a cancelled or interrupted task is reverted as far as it
got), in the same order.  Per batch:

1. *classify* every profile in one UPDATE of ``task_profiles``: ``conflict``
   when one of the values the task wrote (journal ``new_*``) is no longer
   what the profile has (a later task, an import, anything else changed it),
   ``profile_gone`` when the profile was deleted since (for a delete: when its
   id is taken again), else ``restored``;
2. unless a dry run: restore the journalled values of the ``restored``
   profiles, set-based, one statement per kind (deleted profiles first, with
   their list items and subscriptions, then columns, list fields,
   subscriptions, promo codes);
3. only when asked, start the triggers the restored values match (field
   triggers for the fields it changed back, subscription triggers for the
   statuses, promo triggers for codes given back to their holders).

The statements of steps 1-3 are in :mod:`.restore`.

A profile is restored whole or not at all: with a conflict on one of its
values, none of them is written, so a profile never ends half one state and
half the other.  Conflicts are counted in the revert's skip reasons and
listed in its outcomes (export them like any task's).

A task can be reverted once (a second attempt is refused with one line; an
unfinished revert is resumed instead), not while it runs, not when it is a
dry run, an import or a revert, and not after ``Settings.archive_days`` since
its last activity: its journal is purged then (:func:`revert_problem` says
why in each case).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    and_,
    except_,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import aliased

from . import journal
from . import models as m
from .actions.base import ActionContext, Batch, classify
from .config import Settings
from .errors import TaskError
from .importer.spec import IMPORT_TYPE
from .jobs import (
    INITIAL_BATCH,
    TaskRun,
    TaskSummary,
    action_context,
    claim_task,
    run_claimed,
    startable_task,
    summary_of,
)
from .outcomes import RESTORED
from .process import active_run, current_operator, mark_interrupted
from .progress import JobState
from .restore import RevertParams, outcome_of, record_triggers, restore
from .store import Store
from .tasks import REVERT_TYPE, TaskRow, get_task


class RevertError(TaskError):
    """A task that cannot be reverted; one line saying why."""


# -- can it be reverted? -------------------------------------------------------------------
def revert_problem(task: TaskRow, archive_days: int, now: dt.datetime | None = None) -> str | None:
    """Why ``task`` cannot be reverted (a phrase after "task N"), or None."""
    now = now or m.utcnow()
    if task.action_type == REVERT_TYPE:
        return "cannot be reverted: it is a revert itself (run the job again instead)"
    if task.action_type == IMPORT_TYPE:
        return "cannot be reverted: an import keeps no journal"
    if task.dry_run:
        return "cannot be reverted: a dry run changed nothing"
    if task.reverted_by is not None:
        if task.reverted_by_status in ("completed", "running", "queued"):
            return f"cannot be reverted again: task {task.reverted_by} reverts it"
        return (
            f"is being reverted by task {task.reverted_by} ({task.reverted_by_status}): "
            f"resume that one (bulkprofiles tasks resume {task.reverted_by})"
        )
    if task.status in ("running", "queued"):
        return f"cannot be reverted while it is {task.status}"
    if task.changed == 0:
        return "has nothing to revert: it changed no profile"
    expired = journal.is_expired(
        task.finished_at, task.heartbeat_at, task.created_at, archive_days, now
    )
    if task.journal_purged_at is not None or (task.journal and expired):
        return f"can no longer be reverted: its journal was purged after {archive_days} days"
    if not task.journal:
        return "cannot be reverted: it kept no journal (it ran before tasks kept one)"
    if task.database_id is None:
        return "cannot be reverted: its profile database no longer exists"
    return None


def revertible_task(store: Store, task_id: int, settings: Settings) -> TaskRow:
    """The task if it can be reverted now; RevertError (one line) otherwise."""
    task = get_task(store, task_id)
    problem = revert_problem(task, settings.archive_days)
    if problem:
        raise RevertError(f"task {task_id} {problem}")
    return task


# -- what a revert does, in words ---------------------------------------------------------
@dataclass(frozen=True)
class RevertPlan:
    """What reverting a task will restore, for the confirmation."""

    task: TaskRow
    #: One line per kind of value the journal holds.
    restores: tuple[str, ...]

    @property
    def profiles(self) -> int:
        return self.task.changed

    def headline(self) -> str:
        t = self.task
        return (
            f"Revert task {t.id} ({t.action_label} on {t.database_name!r}): "
            f"{self.profiles:,} profile(s) get back what they had before it"
        )

    def lines(self) -> list[str]:
        """The confirmation text: what is restored, and what is not touched."""
        return [
            self.headline() + ":",
            *(f"- {line}" for line in self.restores),
            "Profiles changed again since the task are left as they are and counted as conflicts.",
        ]


def plan_revert(store: Store, task_id: int, settings: Settings) -> RevertPlan:
    """What reverting ``task_id`` restores; RevertError if it cannot be reverted."""
    task = revertible_task(store, task_id, settings)
    with store.begin() as conn:
        return RevertPlan(task, tuple(_restores(conn, task)))


def _restores(conn: Connection, task: TaskRow) -> list[str]:
    spec = task.journal
    lines: list[str] = []
    if spec.get("archive"):
        lines.append(
            "the profiles it deleted come back, with their phones, tags and other list "
            "values, their subscriptions and their promo codes"
        )
    labels = _field_labels(conn, task.database_id, spec)
    if labels:
        lines.append("the values before the task of: " + ", ".join(labels))
    if "global_status" in spec.get("values", []):
        lines.append("the global status they had before the task")
    if spec.get("subscriptions"):
        lines.append(
            "the status and contact their subscriptions had before the task; "
            "subscriptions it added are removed"
        )
    if spec.get("codes") and not spec.get("archive"):
        lines.append(
            "promo codes it attached go back to the pool; codes it detached go back "
            "to their holders"
        )
    return lines


def _field_labels(conn: Connection, database_id: int | None, spec: dict[str, Any]) -> list[str]:
    """Labels of the fields whose columns or lists the journal holds."""
    f = m.Field
    columns = [c for c in spec.get("values", []) if c != "global_status"]
    lists = spec.get("lists", [])
    if not columns and not lists:
        return []
    rows = conn.execute(
        select(f.label)
        .where(f.database_id == database_id)
        .where(or_(f.column_name.in_(columns), f.id.in_(lists)))
        .order_by(f.position)
    ).scalars()
    return [str(label) for label in rows]


# -- starting one ----------------------------------------------------------------------------
def prepare_revert(
    store: Store,
    task_id: int,
    *,
    dry_run: bool = False,
    triggers: bool = False,
    operator: str | None = None,
    settings: Settings | None = None,
) -> int:
    """Insert the revert task of ``task_id`` (``queued``); returns its id.
    RevertError (nothing written) when the task cannot be reverted."""
    settings = settings or Settings.load()
    task = revertible_task(store, task_id, settings)
    with store.begin() as conn:
        again = conn.execute(_reverts_of(task_id).where(m.Task.status != "failed")).scalar()
        if again is not None and not dry_run:
            raise RevertError(f"task {task_id} cannot be reverted again: task {again} reverts it")
        return int(
            conn.execute(
                insert(m.Task)
                .values(
                    action_type=REVERT_TYPE,
                    database_id=task.database_id,
                    database_name=task.database_name,
                    segment_name=task.segment_name,
                    job={
                        "revert": {
                            "task": task_id,
                            "action": task.action_type,
                            "triggers": triggers,
                        }
                    },
                    revert_of=task_id,
                    operator=operator or current_operator(),
                    status="queued",
                    dry_run=dry_run,
                    skipped={},
                    created_at=m.utcnow(),
                )
                .returning(m.Task.id)
            ).scalar_one()
        )


def revert_task(
    store: Store,
    task_id: int,
    state: JobState,
    *,
    dry_run: bool = False,
    triggers: bool = False,
    operator: str | None = None,
    settings: Settings | None = None,
) -> TaskSummary:
    """:func:`prepare_revert` then :func:`run_revert_task`."""
    settings = settings or Settings.load()
    revert_id = prepare_revert(
        store, task_id, dry_run=dry_run, triggers=triggers, operator=operator, settings=settings
    )
    return run_revert_task(store, revert_id, state, settings=settings)


# -- running -----------------------------------------------------------------------------------
def run_revert_task(
    store: Store, task_id: int, state: JobState, *, settings: Settings | None = None
) -> TaskSummary:
    """Run (or resume) a revert task to its end, cancel or failure (module doc).

    TaskError if it cannot start; errors while running end it ``failed``."""
    settings = settings or Settings.load()
    mark_interrupted(store)
    with active_run(task_id):
        return run_claimed(store, _claim(store, task_id, settings), state, _freeze)


class _Reverter:
    """The revert as the job runner sees an action (``apply_batch``)."""

    @staticmethod
    def apply_batch(
        conn: Connection, ctx: ActionContext, params: RevertParams, batch: Batch
    ) -> None:
        classify(conn, batch, outcome_of(ctx, params))
        if ctx.dry_run:
            return
        restored = select(m.TaskProfile.profile_id).where(
            batch.rows_where(), m.TaskProfile.outcome == RESTORED
        )
        if params.triggers and not ctx.skip_triggers:
            record_triggers(conn, ctx, params, restored)
        restore(conn, ctx, params, restored)


def _claim(store: Store, task_id: int, settings: Settings) -> TaskRun:
    now = m.utcnow()
    store.refresh_schema()  # custom fields added since this store was opened
    with store.begin() as conn:
        row = startable_task(conn, task_id, REVERT_TYPE)
        doc = dict((row.job or {}).get("revert") or {})
        reverted = int(doc.get("task", row.revert_of or 0))
        target = conn.execute(select(m.Task.__table__).where(m.Task.id == reverted)).first()
        if target is None or not target.journal or target.journal_purged_at is not None:
            raise RevertError(
                f"task {task_id} cannot run: the journal of task {reverted} is gone (purged)"
            )
        claim_task(conn, row, now)
        triggers = bool(doc.get("triggers", False))
        ctx = action_context(
            store,
            row.database_id,
            settings,
            task_id=task_id,
            dry_run=row.dry_run,
            skip_triggers=not triggers,
            now=row.started_at or now,
        )
        params = _params(conn, store, reverted, dict(target.journal), triggers)
        summary = summary_of(row, "freezing")
    first = min(settings.batch_size, INITIAL_BATCH)
    return TaskRun(
        task_id,
        summary,
        _Reverter,
        params,
        ctx,
        first,
        settings.batch_size,
        now,
        done=RESTORED,
        gone_are_skipped=False,
        commit_seconds=settings.commit_seconds,
    )


def _params(
    conn: Connection, store: Store, reverted: int, spec: dict[str, Any], triggers: bool
) -> RevertParams:
    profiles = store.profiles.c
    columns = tuple(profiles[name] for name in spec.get("values", []) if name in profiles)
    known = set(conn.execute(select(m.Field.id)).scalars())
    lists = tuple(int(f) for f in spec.get("lists", []) if int(f) in known)
    archive = None
    if spec.get("archive"):
        archive = journal.archive_table(store, sorted(journal.archived_columns(conn)))
    return RevertParams(
        reverted,
        columns,
        lists,
        bool(spec.get("subscriptions")),
        bool(spec.get("codes")),
        archive,
        triggers,
    )


def _reverts_of(task_id: int) -> Select[tuple[int]]:
    """The reverts (not dry runs) of a task."""
    return select(m.Task.id).where(m.Task.revert_of == task_id, m.Task.dry_run.is_(False))


def _freeze(store: Store, run: TaskRun) -> None:
    """The revert's selection: the reverted task's changed profiles, in their
    order (profile id), but those an earlier revert that failed did restore."""
    params: RevertParams = run.params
    tp, done = aliased(m.TaskProfile), aliased(m.TaskProfile)
    changed = and_(tp.task_id == params.reverted, tp.outcome == "changed")
    # In the task's own order (a walk of its key), unless a failed revert came
    # first: then without the profiles it restored, in profile id order (the
    # order a task's selection is frozen in).
    rows: Any = select(tp.profile_id, tp.position.label("rank")).where(changed)
    with store.begin() as conn:
        earlier = _reverts_of(params.reverted).where(m.Task.id != run.task_id)
        if conn.execute(earlier.limit(1)).first() is not None:
            restored = select(done.profile_id).where(
                done.task_id.in_(earlier), done.outcome == RESTORED
            )
            left = except_(select(tp.profile_id).where(changed), restored).subquery()
            rows = select(left.c.profile_id, left.c.profile_id.label("rank"))
        ranked = rows.subquery()
        position = func.row_number().over(order_by=ranked.c.rank) - 1
        conn.execute(
            insert(m.TaskProfile).from_select(
                ["task_id", "position", "profile_id"],
                select(literal(run.task_id), position, ranked.c.profile_id),
            )
        )
        selected = conn.execute(
            select(func.count())
            .select_from(m.TaskProfile)
            .where(m.TaskProfile.task_id == run.task_id)
        ).scalar_one()
        conn.execute(
            update(m.Task)
            .where(m.Task.id == run.task_id)
            .values(selected=selected, started_at=run.ctx.now, heartbeat_at=m.utcnow())
        )
    run.summary.selected = int(selected)
    run.summary.status = "running"
