"""Tasks: the operator's audit trail of runs (listing, detail, export, retry).

Every run of a job is one ``tasks`` row (see :mod:`bulkprofiles_gui.core.jobs`).
A task left ``running`` by a process that is gone (killed, crashed, machine
rebooted) is shown as ``interrupted`` by :func:`.process.mark_interrupted`,
which the listings call; it can then be resumed with ``jobs.run_task``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, func, select

from . import models as m
from .actions import ACTIONS
from .errors import TaskError
from .importer.spec import IMPORT_LABEL, IMPORT_TYPE
from .jobfile import Job, rule_group
from .outcomes import NOT_PROCESSED, SKIPPED, TaskSummary, outcome_filter, reason_text
from .process import mark_interrupted
from .store import Store

#: A task that reverts another one (``core/revert.py``).
REVERT_TYPE = "revert"
#: Labels of the task kinds that are not update actions.
ACTION_LABELS = {IMPORT_TYPE: IMPORT_LABEL, REVERT_TYPE: "Revert a task"}


@dataclass(kw_only=True)
class TaskRow(TaskSummary):
    """A task as the Tasks view and ``bulkprofiles tasks`` show it: its
    counters (:class:`.outcomes.TaskSummary`, the same as a run reports) and
    what the history says about it."""

    action_type: str
    action_label: str
    database_name: str
    segment_name: str | None
    operator: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    error_detail: str | None  # the whole text (traceback of an unexpected error)
    job: dict[str, Any] = field(default_factory=dict)
    database_id: int | None = None
    heartbeat_at: dt.datetime | None = None
    #: A revert: the task it reverts.
    revert_of: int | None = None
    #: The revert (not a dry run) of this task, if one was started, and its status.
    reverted_by: int | None = None
    reverted_by_status: str | None = None
    #: What the task's journal holds (empty: it kept none) and when it was purged.
    journal: dict[str, Any] = field(default_factory=dict)
    journal_purged_at: dt.datetime | None = None

    @property
    def id(self) -> int:
        return self.task_id

    @property
    def duration(self) -> float | None:
        """Seconds from start to end (to now while running)."""
        if self.started_at is None:
            return None
        end = self.finished_at or m.utcnow()
        return max((end - self.started_at).total_seconds(), 0.0)

    @property
    def resumable(self) -> bool:
        """Interrupted, or cancelled with profiles left.  An interrupted task
        with none left is too: its process ended before recording the end (an
        import's end also writes the rejects and drops its staging tables).
        A failed task is not: what failed it (bad input, a bug) would again."""
        return (
            self.status in ("interrupted", "cancelled")
            and (
                self.processed < self.selected
                or self.started_at is None
                or self.status == "interrupted"
            )
            and self.reverted_by is None
        )

    def skipped_words(self) -> dict[str, int]:
        """Skip counts keyed by the words the operator reads."""
        return {reason_text(k): v for k, v in self.skipped.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "action": self.action_type,
            "action_label": self.action_label,
            "database": self.database_name,
            "segment": self.segment_name,
            "operator": self.operator,
            "status": self.status,
            "dry_run": self.dry_run,
            "selected": self.selected,
            "processed": self.processed,
            "changed": self.changed,
            "skipped": dict(self.skipped),
            "trigger_events": self.trigger_events,
            "created_at": _iso(self.created_at),
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "duration_seconds": self.duration,
            "error": self.error,
            "job": self.job,
            "revert_of": self.revert_of,
            "reverted_by": self.reverted_by,
        }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def kind_label(action_type: str) -> str:
    """What a task of ``action_type`` does, in the operator's words."""
    action = ACTIONS.get(action_type)
    return action.LABEL if action else ACTION_LABELS.get(action_type, action_type)


def _label(r: Row[Any]) -> str:
    if r.action_type == REVERT_TYPE:
        return f"Revert of task {r.revert_of}"
    return kind_label(r.action_type)


def _task_rows() -> Any:
    """The columns of ``tasks`` plus the task's revert (not a dry run, not a
    failed one: a new revert goes on where that stopped), if any."""
    t = m.Task.__table__
    rev = m.Task.__table__.alias("rev")
    revert = (
        select(rev.c.id, rev.c.status)
        .where(rev.c.revert_of == t.c.id, rev.c.dry_run.is_(False), rev.c.status != "failed")
        .order_by(rev.c.id)
        .limit(1)
    )
    return select(
        t,
        revert.with_only_columns(rev.c.id).scalar_subquery().label("reverted_by"),
        revert.with_only_columns(rev.c.status).scalar_subquery().label("reverted_by_status"),
    )


def _row(r: Row[Any]) -> TaskRow:
    label = _label(r)
    error = r.error
    return TaskRow(
        task_id=r.id,
        action_type=r.action_type,
        action_label=label,
        database_name=r.database_name,
        segment_name=r.segment_name,
        operator=r.operator,
        status=r.status,
        dry_run=bool(r.dry_run),
        selected=r.selected,
        processed=r.processed,
        changed=r.changed,
        skipped={str(k): int(v) for k, v in (r.skipped or {}).items()},
        trigger_events=r.trigger_events,
        created_at=r.created_at,
        started_at=r.started_at,
        finished_at=r.finished_at,
        error=error.splitlines()[0] if error else None,
        error_detail=error,
        job=dict(r.job or {}),
        database_id=r.database_id,
        heartbeat_at=r.heartbeat_at,
        revert_of=r.revert_of,
        reverted_by=r.reverted_by,
        reverted_by_status=r.reverted_by_status,
        journal=dict(r.journal or {}),
        journal_purged_at=r.journal_purged_at,
    )


def list_tasks(
    store: Store,
    *,
    status: str | None = None,
    action_type: str | None = None,
    limit: int = 500,
) -> list[TaskRow]:
    """Newest first; marks dead runs interrupted before reading."""
    mark_interrupted(store)
    t = m.Task.__table__
    stmt = _task_rows().order_by(t.c.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(t.c.status == status)
    if action_type:
        stmt = stmt.where(t.c.action_type == action_type)
    with store.begin() as conn:
        return [_row(r) for r in conn.execute(stmt).all()]


def get_task(store: Store, task_id: int) -> TaskRow:
    """One task; TaskError if there is none."""
    mark_interrupted(store)
    t = m.Task.__table__
    with store.begin() as conn:
        r = conn.execute(_task_rows().where(t.c.id == task_id)).first()
    if r is None:
        raise TaskError(f"no task with id {task_id}")
    return _row(r)


def count_outcomes(store: Store, task_id: int, outcomes: tuple[str, ...] | list[str]) -> int:
    tp = m.TaskProfile
    with store.begin() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(tp).where(outcome_filter(task_id, outcomes))
            ).scalar_one()
        )


#: The reserved selection rule that picks a task's profiles by outcome
#: (compiled by the selection engine with :func:`outcome_filter`).
TASK_RULE_FIELD = "$task"
TASK_RULE_OPERATOR = "outcomeIn"


def retry_job(
    store: Store,
    task_id: int,
    outcomes: tuple[str, ...] | list[str] = (SKIPPED, NOT_PROCESSED),
) -> Job:
    """A new job with the task's action whose selection is exactly the task's
    profiles with one of ``outcomes`` (e.g. "retry the skipped ones").

    The selection is a ``$task`` rule evaluated in the database, so a retry of
    any size stays one small job document.  Profiles deleted since are left out
    by the selection itself.  TaskError if there is none to retry."""
    task = get_task(store, task_id)
    if task.action_type == REVERT_TYPE:
        raise TaskError(f"task {task_id} is a revert: it cannot be retried")
    if task.action_type == IMPORT_TYPE:
        raise TaskError(
            f"task {task_id} is an import: to import the rows it did not take, "
            "correct and import its rejects file"
        )
    if count_outcomes(store, task_id, outcomes) == 0:
        raise TaskError(f"task {task_id} has no profiles with those outcomes to retry")
    original = Job.from_dict(task.job, require_action=True)
    rule = {
        "field": TASK_RULE_FIELD,
        "operator": TASK_RULE_OPERATOR,
        "value": {"task": task_id, "outcomes": list(outcomes)},
    }
    return Job(
        database=task.database_name,
        segment=None,
        rules=rule_group([rule]),
        range_from=0.0,
        range_to=100.0,
        limit=0,
        skip_triggers=original.skip_triggers,
        action=original.action,
    )
