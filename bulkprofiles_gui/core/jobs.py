"""The job runner: validate a job, freeze its selection, apply its action in batches.

A run is a *task* row (``tasks``) plus its frozen selection (``task_profiles``):

1. :func:`prepare_task` validates everything (selection, action parameters,
   mandatory conditions) and inserts the task as ``queued``; on any error it
   raises and writes nothing.
2. :func:`run_task` claims the task (``running``, this process as runner),
   freezes the selection with one ``INSERT ... SELECT`` (position =
   ``row_number()`` over profile id, so range and limit mean what the
   operator saw), then walks positions ``[lo, hi)``.  Each batch applies
   the action set-based, counts the batch's outcomes (the action returns
   them, or one ``GROUP BY`` of ``task_profiles``) and advances the task's
   counters; one transaction runs batches for about
   :data:`~.config.COMMIT_SECONDS` and commits them together, so a crash
   leaves either all of them or none.
   Cancel is polled between batches (what is done is committed).  A task
   whose process died stays ``running`` until
   :func:`bulkprofiles_gui.core.process.mark_interrupted` shows it as
   ``interrupted``; running it again resumes at ``tasks.processed``, the end
   of its last commit.

The first batch has :data:`INITIAL_BATCH` profiles; each next one is sized
from the pace of the one before to take :data:`TARGET_BATCH_SECONDS` (growing
by half or shrinking to half at most at a time, up to ``Settings.batch_size``),
so progress, reported after every batch and repeated during a commit, arrives at least
once a second even when an action is slow per profile.  Commits are rarer
than batches because each costs about the same whatever it commits (on
SQLite it writes every index page its batches dirtied), so committing every
small batch would dominate.
While the selection is being frozen (before the total is known) progress is
reported as ``0 of 0`` twice a second.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, Row, func, insert, literal, select, update

from . import models as m
from . import selection
from .actions import get_action
from .actions.base import Action, ActionContext, ActionError, Batch, probe
from .config import COMMIT_SECONDS, Settings
from .errors import TaskError, first_line
from .faults import end_failed_task
from .jobfile import Job, JobFileError
from .outcomes import CHANGED, TaskSummary
from .process import active_run, current_operator, mark_interrupted, runner_id
from .progress import JobState, keep_reporting
from .selection import SelectionSpec
from .store import Store

#: Statuses a task can be (re)started from; "running" is claimed by one process.
#: A failed task is not among them: what failed it would fail a resume again.
STARTABLE = ("queued", "interrupted", "cancelled")
#: What a batch should take: the longest gap between progress reports stays
#: under a second when the next batch is up to 1.6 times slower than this
#: one's pace promised.  Not less: every commit costs about the same whatever
#: the batch's size (on SQLite it writes every index page the batch dirtied,
#: and a 30 % selection dirties pages all over the city indexes; each batch
#: also builds its statements again), so at 0.45 s a 1,000,000-profile
#: update_fields on a busy machine spent a third of its CPU time in ~2x as
#: many commits and statement builds.
TARGET_BATCH_SECONDS = 0.6
MIN_BATCH = 100
#: The first batch of a run: small, so the first progress comes soon even when
#: the action is slow per profile; later ones are sized by their pace (_adapt_batch_size).
INITIAL_BATCH = 1000


@dataclass
class JobPlan:
    """A validated job: what the review page and ``run`` show before starting."""

    database_id: int
    database_name: str
    segment_name: str | None
    action: Action
    params: Any
    spec: SelectionSpec

    @property
    def destructive(self) -> bool:
        return self.action.DESTRUCTIVE

    def describe(self) -> str:
        return self.action.describe(self.params)


# -- validation ------------------------------------------------------------------
def action_context(
    store: Store,
    database_id: int,
    settings: Settings,
    *,
    task_id: int = 0,
    dry_run: bool = False,
    skip_triggers: bool = False,
    now: dt.datetime | None = None,
) -> ActionContext:
    return ActionContext(
        store=store,
        database_id=database_id,
        settings=settings,
        now=now or m.utcnow(),
        task_id=task_id,
        dry_run=dry_run,
        skip_triggers=skip_triggers,
        journal=settings.journal,
    )


def plan_job(
    store: Store,
    conn: Connection,
    job: Job,
    settings: Settings,
    *,
    now: dt.datetime | None = None,
) -> JobPlan:
    """Validate the whole job; ActionError / RuleError / StoreError naming the key."""
    if job.action is None:
        raise JobFileError("job.action: missing (what should the job do?)")
    action = get_action(job.action.get("type"))
    spec = selection.resolve_job_selection(store, conn, job)
    if action.REQUIRES_CONDITIONS and not selection.has_conditions(spec.rules):
        raise ActionError(
            f"job.rules: '{action.LABEL}' needs at least one condition; "
            "it is never applied to all profiles of a database"
        )
    selection.check(store, conn, spec)
    ctx = action_context(store, spec.database_id, settings, now=now)
    params = action.parse(conn, ctx, job.action)
    name = conn.execute(
        select(m.ProfileDatabase.name).where(m.ProfileDatabase.id == spec.database_id)
    ).scalar_one()
    return JobPlan(spec.database_id, name, job.segment, action, params, spec)


def count_selection(store: Store, conn: Connection, plan: JobPlan) -> int:
    """How many profiles the job would select now (for the confirmation)."""
    return int(selection.count(store, conn, plan.spec))


def prepare_task(
    store: Store,
    job: Job,
    *,
    dry_run: bool = False,
    operator: str | None = None,
    settings: Settings | None = None,
) -> int:
    """Validate ``job`` and insert its task (``queued``); returns the task id.

    Raises ActionError / RuleError / StoreError / JobFileError; nothing is
    written then.
    """
    settings = settings or Settings.load()
    with store.begin() as conn:
        plan = plan_job(store, conn, job, settings)
        return insert_task(conn, job, plan, dry_run=dry_run, operator=operator)


def insert_task(
    conn: Connection,
    job: Job,
    plan: JobPlan,
    *,
    dry_run: bool = False,
    operator: str | None = None,
) -> int:
    """The task row of a validated job (status ``queued``)."""
    return queue_task(
        conn,
        action_type=plan.action.TYPE,
        database_id=plan.database_id,
        database_name=plan.database_name,
        segment_name=plan.segment_name,
        job=job.to_dict(),
        dry_run=dry_run,
        operator=operator,
    )


def queue_task(
    conn: Connection,
    *,
    action_type: str,
    database_id: int,
    database_name: str,
    job: dict[str, Any],
    segment_name: str | None = None,
    dry_run: bool = False,
    operator: str | None = None,
) -> int:
    """Insert a task of any kind (update, import, revert) as ``queued``; its id."""
    return int(
        conn.execute(
            insert(m.Task)
            .values(
                action_type=action_type,
                database_id=database_id,
                database_name=database_name,
                segment_name=segment_name,
                job=job,
                operator=operator or current_operator(),
                status="queued",
                dry_run=dry_run,
                skipped={},
                created_at=m.utcnow(),
            )
            .returning(m.Task.id)
        ).scalar_one()
    )


# -- running -----------------------------------------------------------------------
@dataclass
class TaskRun:
    """What one run of a task keeps between batches.

    ``action`` is an action module (:class:`~.actions.base.Action`), or with
    ``gone_are_skipped`` False anything with the same ``apply_batch`` (a
    revert: ``core/revert.py``); ``done`` is the outcome it gives the
    profiles it changes (counted as ``changed``), and ``gone_are_skipped``
    whether profiles deleted since the freeze are skipped before it runs
    (by the runner, unless the action's ``SKIPS_GONE`` says it does that)."""

    task_id: int
    summary: TaskSummary
    action: Any
    params: Any
    ctx: ActionContext
    batch_size: int
    max_batch: int
    now: dt.datetime
    done: str = CHANGED
    gone_are_skipped: bool = True
    #: How long a transaction goes on with more batches (``Settings.commit_seconds``).
    commit_seconds: float = COMMIT_SECONDS


def run_job(
    store: Store,
    job: Job,
    state: JobState,
    *,
    dry_run: bool = False,
    operator: str | None = None,
    settings: Settings | None = None,
) -> TaskSummary:
    """:func:`prepare_task` then :func:`run_task`."""
    settings = settings or Settings.load()
    task_id = prepare_task(store, job, dry_run=dry_run, operator=operator, settings=settings)
    return run_task(store, task_id, state, settings=settings)


def run_task(
    store: Store,
    task_id: int,
    state: JobState,
    *,
    settings: Settings | None = None,
) -> TaskSummary:
    """Run (or resume) a task to its end, cancel, or failure; see the module doc.

    Raises TaskError if the task does not exist or cannot be started (already
    completed or failed, or running in another live process).  A failure of
    the store while running leaves the task ``interrupted`` (resumable) and
    raises a :class:`~.faults.StoreFault`; other errors do not raise: the task
    ends ``failed`` with its error text, and so does the returned summary.  A
    KeyboardInterrupt leaves the task ``interrupted`` and is re-raised.
    """
    settings = settings or Settings.load()
    mark_interrupted(store)
    with active_run(task_id):
        return run_claimed(store, _claim(store, task_id, settings), state, _freeze)


def run_claimed(
    store: Store, run: TaskRun, state: JobState, freeze: Callable[[Store, TaskRun], None]
) -> TaskSummary:
    """A claimed run to its end: ``freeze`` its selection unless that is done
    (reporting "0 of 0" meanwhile), then its batches; how it ends is
    :func:`run_task`'s (a revert runs through here too, with its own freeze)."""
    try:
        if run.summary.status == "freezing":
            with keep_reporting(lambda: state.report(0, 0), TICK_SECONDS):
                freeze(store, run)
        state.report(run.summary.processed, run.summary.selected, run.summary.changed)
        run_batches(store, run, state)
    except KeyboardInterrupt:
        finish_run(store, run, "interrupted", "interrupted by the operator (Ctrl-C)")
        raise
    except Exception as exc:
        end_run_on_error(store, run, exc)
    return run.summary


def end_run_on_error(store: Store, run: TaskRun, exc: Exception) -> None:
    """``failed``, or for a failure of the store ``interrupted`` and a StoreFault
    raised (:func:`.faults.end_failed_task`)."""

    def finish(status: str, error: str | None) -> None:
        finish_run(store, run, status, error)

    done = (run.summary.processed, run.summary.selected)
    end_failed_task(run.task_id, exc, finish, store.display_url, done)


#: How often progress is repeated while one long statement (freezing) runs.
TICK_SECONDS = 0.5
#: The same while a commit runs: short, since the next batch's report comes
#: at most a batch's time after the last tick.
COMMIT_TICK_SECONDS = 0.25


def startable_task(conn: Connection, task_id: int, kind: str | None = None) -> Row[Any]:
    """The task's row if it can be (re)started; TaskError saying why not.
    ``kind`` limits it to tasks of that ``action_type`` (e.g. imports)."""
    row = conn.execute(select(m.Task.__table__).where(m.Task.id == task_id)).first()
    if row is None or (kind is not None and row.action_type != kind):
        raise TaskError(f"no task with id {task_id}")
    if row.status == "failed":
        reason = (row.error or "").strip().splitlines()[:1]
        why = f" ({reason[0]})" if reason else ""
        raise TaskError(f"task {task_id} cannot be resumed: it failed{why}")
    if row.status not in STARTABLE:
        why = "it is running" if row.status == "running" else f"it is {row.status}"
        raise TaskError(f"task {task_id} cannot be started: {why}")
    if row.database_id is None:
        raise TaskError(f"task {task_id}: its profile database no longer exists")
    reverted_by = conn.execute(
        select(m.Task.id).where(m.Task.revert_of == task_id, m.Task.dry_run.is_(False)).limit(1)
    ).scalar()
    if reverted_by is not None:
        raise TaskError(f"task {task_id} cannot be started: task {reverted_by} reverts it")
    return row


def claim_task(conn: Connection, row: Row[Any], now: dt.datetime) -> None:
    """Mark the task running in this process (TaskError if another got there first)."""
    claimed = conn.execute(
        update(m.Task)
        .where(m.Task.id == row.id, m.Task.status == row.status)
        .values(status="running", runner=runner_id(), heartbeat_at=now, finished_at=None)
    ).rowcount
    if claimed != 1:
        raise TaskError(f"task {row.id} was started by another process")


def summary_of(row: Row[Any], first_status: str) -> TaskSummary:
    """The counters of a task's row; ``first_status`` while nothing is frozen yet."""
    return TaskSummary(
        task_id=row.id,
        status="running" if row.started_at is not None else first_status,
        selected=row.selected,
        processed=row.processed,
        changed=row.changed,
        skipped={str(k): int(v) for k, v in (row.skipped or {}).items()},
        trigger_events=row.trigger_events,
        dry_run=row.dry_run,
    )


def _claim(store: Store, task_id: int, settings: Settings) -> TaskRun:
    """Mark the task running in this process; TaskError if it cannot start."""
    now = m.utcnow()
    with store.begin() as conn:
        row = startable_task(conn, task_id)
        job = Job.from_dict(row.job, require_action=True)
        assert job.action is not None
        action = get_action(job.action.get("type"))
        claim_task(conn, row, now)
        ctx = action_context(
            store,
            row.database_id,
            settings,
            task_id=task_id,
            dry_run=row.dry_run,
            skip_triggers=job.skip_triggers,
            now=row.started_at or now,
        )
        summary = summary_of(row, "freezing")
    first = min(settings.batch_size, INITIAL_BATCH)
    run = TaskRun(
        task_id,
        summary,
        action,
        None,
        ctx,
        first,
        settings.batch_size,
        now,
        commit_seconds=settings.commit_seconds,
    )
    try:
        with store.begin() as conn:
            run.params = action.parse(conn, ctx, job.action)
    except Exception as exc:
        end_run_on_error(store, run, exc)  # a failure of the store raises here
        raise TaskError(f"task {task_id} failed: {first_line(exc)}") from None
    return run


def _freeze(store: Store, run: TaskRun) -> None:
    """Insert the selection as it is now into task_profiles (one statement)."""
    job = _task_job(store, run.task_id)
    with store.begin() as conn:
        spec = selection.resolve_job_selection(store, conn, job)
        ids = selection.selection_ids(store, conn, spec).subquery()
        id_col = next(iter(ids.c))
        position = func.row_number().over(order_by=id_col) - 1
        conn.execute(
            insert(m.TaskProfile).from_select(
                ["task_id", "position", "profile_id"],
                select(literal(run.task_id), position, id_col),
            )
        )
        _mark_frozen(conn, run)


def freeze_profile_ids(store: Store, task_id: int, profile_ids: list[int]) -> None:
    """Freeze an explicit list of profile ids (in id order) as the task's selection.

    For tests and tools that already know the profiles; the runner itself
    freezes through the selection engine.  TaskError for a task that does not
    exist (on PostgreSQL no foreign key would say so: ``models.TASK_WRITTEN_TABLES``)."""
    rows = [
        {"task_id": task_id, "position": pos, "profile_id": pid}
        for pos, pid in enumerate(sorted(profile_ids))
    ]
    with store.begin() as conn:
        found = conn.execute(
            update(m.Task)
            .where(m.Task.id == task_id)
            .values(selected=len(rows), started_at=m.utcnow())
        ).rowcount
        if found != 1:
            raise TaskError(f"task {task_id} does not exist")
        if rows:
            conn.execute(insert(m.TaskProfile), rows)


def _mark_frozen(conn: Connection, run: TaskRun) -> None:
    selected = conn.execute(
        select(func.count()).select_from(m.TaskProfile).where(m.TaskProfile.task_id == run.task_id)
    ).scalar_one()
    conn.execute(
        update(m.Task)
        .where(m.Task.id == run.task_id)
        .values(selected=selected, started_at=run.ctx.now, heartbeat_at=m.utcnow())
    )
    run.summary.selected = int(selected)
    run.summary.status = "running"


def _task_job(store: Store, task_id: int) -> Job:
    with store.begin() as conn:
        raw = conn.execute(select(m.Task.job).where(m.Task.id == task_id)).scalar_one()
    return Job.from_dict(raw, require_action=True)


def run_batches(store: Store, run: TaskRun, state: JobState) -> None:
    """Apply the run's action to the rest of the frozen selection, in
    transactions of several batches (:func:`_run_commit_unit`), until done
    (``completed``) or cancelled."""
    with run_connection(store) as conn:
        while run.summary.processed < run.summary.selected:
            if state.is_cancelled():
                finish_run(store, run, "cancelled", None)
                return
            _run_commit_unit(conn, run, state)
    finish_run(store, run, "completed", None)


def _run_commit_unit(conn: Connection, run: TaskRun, state: JobState) -> None:
    """One transaction: batches until it has run ``Settings.commit_seconds``
    (:data:`~.config.COMMIT_SECONDS`), the selection is done or the operator
    cancels, then one commit.  Progress is reported after every batch, so it
    comes as often as batches end (about :data:`TARGET_BATCH_SECONDS`), and
    repeated while the commit runs (on SQLite it writes every page the
    batches dirtied, and now and then a checkpoint: up to a second or more),
    while the commits, whose cost hardly depends on how much they commit, are
    a few times rarer than batches.  A failure rolls the whole unit back, and
    ``run.summary`` goes back to what was committed: a resumed task starts
    at the last commit."""
    committed = run.summary
    opened = time.monotonic()
    transaction = conn.begin()
    try:
        while True:
            lo = run.summary.processed
            hi = min(lo + run.batch_size, run.summary.selected)
            started = time.monotonic()
            run.summary = _apply_batch(conn, run, Batch(run.task_id, lo, hi))
            ended = time.monotonic()
            _adapt_batch_size(run, ended - started)
            _report(state, run.summary)
            if run.summary.processed >= run.summary.selected or state.is_cancelled():
                break
            if ended - opened >= run.commit_seconds:
                break
        done = run.summary
        with keep_reporting(lambda: _report(state, done), COMMIT_TICK_SECONDS) as ticks:
            transaction.commit()
            committed = done  # an error from here on leaves the counters at this commit
        if ticks[0]:  # a long commit: the next batch's wait starts from here
            _report(state, done)
    except BaseException:
        if transaction.is_active:
            transaction.rollback()
        run.summary = committed
        raise


def _report(state: JobState, summary: TaskSummary) -> None:
    state.report(summary.processed, summary.selected, summary.changed, summary.skipped_total)


#: WAL pages an SQLite run lets accumulate before a checkpoint (about 80 MB);
#: SQLite's default of 1000 pages would checkpoint after nearly every batch.
RUN_WAL_PAGES = 20_000


@contextmanager
def run_connection(store: Store, *, temp_on_disk: bool = False) -> Iterator[Connection]:
    """One connection for all the batches of a run.  On SQLite it checkpoints
    the WAL every :data:`RUN_WAL_PAGES` pages instead of after almost every
    batch, and once at the end; durability is the same (the WAL is on disk).
    ``temp_on_disk`` keeps SQLite's sorts and temporary b-trees (index builds,
    large GROUP BYs of an import) in temporary files instead of memory, so
    the process's memory does not grow with the data."""
    with store.engine.connect() as conn:
        sqlite = store.dialect == "sqlite"
        if sqlite:
            sqlite_pragma(conn, f"wal_autocheckpoint={RUN_WAL_PAGES}")
            if temp_on_disk:
                sqlite_pragma(conn, "temp_store=FILE")
        try:
            yield conn
        finally:
            if sqlite:
                sqlite_pragma(conn, "wal_autocheckpoint=1000")
                sqlite_pragma(conn, "wal_checkpoint(PASSIVE)")
                if temp_on_disk:
                    sqlite_pragma(conn, "temp_store=MEMORY")


def sqlite_pragma(conn: Connection, pragma: str) -> None:
    """Run a PRAGMA outside any transaction; a failure only costs speed."""
    if conn.in_transaction():
        conn.rollback()
    with suppress(Exception):  # a tuning knob, never worth failing a job for
        conn.connection.driver_connection.execute(f"PRAGMA {pragma}")  # type: ignore[union-attr]


def _apply_batch(conn: Connection, run: TaskRun, batch: Batch) -> TaskSummary:
    """Inside the batch's transaction: apply, count outcomes, advance the task;
    returns the task's counters as they are once the transaction commits."""
    summary = run.summary
    if conn.dialect.name == "sqlite":
        _take_write_lock(conn, run.task_id)
    before = conn.execute(select(func.coalesce(func.max(m.TriggerEvent.id), 0))).scalar_one()
    if run.gone_are_skipped and not run.action.SKIPS_GONE:
        _mark_gone(conn, run.ctx.store, batch)
    applied = run.action.apply_batch(conn, run.ctx, run.params, batch)
    # The action's counts of the whole batch, or None: count task_profiles.
    counts = applied or _outcome_counts(conn, batch)
    events = conn.execute(
        select(func.count())
        .select_from(m.TriggerEvent)
        .where(m.TriggerEvent.id > before, m.TriggerEvent.task_id == run.task_id)
    ).scalar_one()
    changed = summary.changed + counts.pop(run.done, 0)
    skipped = dict(summary.skipped)
    for reason, n in counts.items():
        skipped[reason] = skipped.get(reason, 0) + n
    advanced = conn.execute(
        update(m.Task)
        .where(
            m.Task.id == run.task_id,
            m.Task.processed == batch.lo,
            m.Task.runner == runner_id(),
        )
        .values(
            processed=batch.hi,
            changed=changed,
            skipped=skipped,
            trigger_events=summary.trigger_events + int(events),
            heartbeat_at=m.utcnow(),
        )
    ).rowcount
    if advanced != 1:
        raise TaskError(f"task {run.task_id} was taken over by another process")
    return replace(
        summary,
        processed=batch.hi,
        changed=changed,
        skipped=skipped,
        trigger_events=summary.trigger_events + int(events),
    )


def _take_write_lock(conn: Connection, task_id: int) -> None:
    """SQLite: the batch's first statement writes (the task's heartbeat), so
    its transaction holds the write lock from the start.  An action that
    reads the store before it writes (a work table's fill, now that
    ``SKIPS_GONE`` actions have no ``_mark_gone`` UPDATE first) would
    otherwise have to upgrade a read snapshot, and a write another connection
    committed meanwhile makes that fail at once (SQLITE_BUSY_SNAPSHOT, which
    no busy timeout waits out): the task would stop with "database is locked"."""
    conn.execute(update(m.Task).where(m.Task.id == task_id).values(heartbeat_at=m.utcnow()))


def _mark_gone(conn: Connection, store: Store, batch: Batch) -> None:
    """Profiles deleted since the selection was frozen: skipped as ``profile_gone``.
    Not for actions with ``SKIPS_GONE``: their work table's fill gives those
    profiles that outcome in the pass it makes anyway (``_work.profile_gone``),
    so ``task_profiles`` is read and written once per batch, not twice."""
    tp, p = m.TaskProfile, store.profiles
    conn.execute(
        update(tp)
        .where(batch.rows_where(), tp.outcome.is_(None))
        .where(~probe(select(p.c.id).where(p.c.id == tp.profile_id)))
        .values(outcome="profile_gone")
    )


def _outcome_counts(conn: Connection, batch: Batch) -> dict[str, int]:
    """The batch's outcomes from ``task_profiles`` (RuntimeError if a row has
    none), for an action whose ``apply_batch`` returned no counts of its own
    (the actions on the work table return theirs: ``_work.count_outcomes``)."""
    tp = m.TaskProfile
    rows = conn.execute(
        select(tp.outcome, func.count()).where(batch.rows_where()).group_by(tp.outcome)
    ).all()
    missing = sum(int(n) for outcome, n in rows if outcome is None)
    if missing:
        raise RuntimeError(
            f"the action left {missing} profile(s) of positions {batch.lo}-{batch.hi} "
            "without an outcome"
        )
    return {str(outcome): int(n) for outcome, n in rows}


def _adapt_batch_size(run: TaskRun, seconds: float) -> None:
    """The next batch's size: this one's pace times :data:`TARGET_BATCH_SECONDS`,
    at most 1.5 times or half this one's (a fast batch on a shared machine is
    no promise for the next), from :data:`MIN_BATCH` to the run's maximum."""
    factor = TARGET_BATCH_SECONDS / seconds if seconds > 0 else 1.5
    factor = min(1.5, max(0.5, factor))
    run.batch_size = min(run.max_batch, max(MIN_BATCH, int(run.batch_size * factor)))


def finish_run(store: Store, run: TaskRun, status: str, error: str | None) -> None:
    values: dict[str, Any] = {"status": status, "error": error, "heartbeat_at": m.utcnow()}
    if status != "interrupted":
        values["finished_at"] = m.utcnow()
    with store.begin() as conn:
        conn.execute(update(m.Task).where(m.Task.id == run.task_id).values(**values))
    run.summary.status = status
    run.summary.error = error.splitlines()[0] if error else None
