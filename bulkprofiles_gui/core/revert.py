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
    ColumnElement,
    Connection,
    Select,
    Table,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import aliased

from . import journal
from . import models as m
from .actions.base import RESTORED, ActionContext, Batch, classify
from .config import Settings
from .importer.spec import IMPORT_TYPE
from .jobs import (
    INITIAL_BATCH,
    TaskError,
    TaskRun,
    TaskSummary,
    action_context,
    active_run,
    claim_task,
    current_operator,
    end_run_on_error,
    finish_run,
    run_batches,
    startable_task,
    summary_of,
)
from .progress import JobState
from .store import Store
from .tasks import REVERT_TYPE, TaskRow, get_task

CONFLICT = "conflict"


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
        again = conn.execute(
            select(m.Task.id).where(m.Task.revert_of == task_id, m.Task.dry_run.is_(False))
        ).scalar()
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
@dataclass(frozen=True)
class RevertParams:
    """What a revert's batches need: the reverted task and its journal, as
    far as the store still has what it names."""

    reverted: int
    #: Journalled ``profiles`` columns that still exist.
    columns: tuple[Any, ...]
    #: Journalled list fields that still exist.
    list_fields: tuple[int, ...]
    subscriptions: bool
    codes: bool
    #: ``archived_profiles`` with the columns ``profiles`` still has (a delete).
    archive: Table | None
    triggers: bool


def run_revert_task(
    store: Store, task_id: int, state: JobState, *, settings: Settings | None = None
) -> TaskSummary:
    """Run (or resume) a revert task to its end, cancel or failure (module doc).

    TaskError if it cannot start; errors while running end it ``failed``."""
    from .tasks import mark_interrupted

    settings = settings or Settings.load()
    mark_interrupted(store)
    with active_run(task_id):
        run = _claim(store, task_id, settings)
        try:
            if run.summary.status == "freezing":
                _freeze(store, run)
            state.report(run.summary.processed, run.summary.selected, run.summary.changed)
            run_batches(store, run, state)
        except KeyboardInterrupt:
            finish_run(store, run, "interrupted", "interrupted by the operator (Ctrl-C)")
            raise
        except Exception as exc:
            end_run_on_error(store, run, exc)
        return run.summary


class _Reverter:
    """The revert as the job runner sees an action (``apply_batch``)."""

    @staticmethod
    def apply_batch(
        conn: Connection, ctx: ActionContext, params: RevertParams, batch: Batch
    ) -> None:
        classify(conn, batch, _outcome(ctx, params))
        if ctx.dry_run:
            return
        restored = select(m.TaskProfile.profile_id).where(
            batch.rows_where(), m.TaskProfile.outcome == RESTORED
        )
        if params.triggers and not ctx.skip_triggers:
            _record_triggers(conn, ctx, params, restored)
        _restore(conn, ctx, params, restored)


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


def _freeze(store: Store, run: TaskRun) -> None:
    """The revert's selection: the reverted task's changed profiles, in its order."""
    params: RevertParams = run.params
    tp = aliased(m.TaskProfile)
    position = func.row_number().over(order_by=tp.position) - 1
    with store.begin() as conn:
        conn.execute(
            insert(m.TaskProfile).from_select(
                ["task_id", "position", "profile_id"],
                select(literal(run.task_id), position, tp.profile_id).where(
                    tp.task_id == params.reverted, tp.outcome == "changed"
                ),
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


# -- classify ---------------------------------------------------------------------------------
def _outcome(ctx: ActionContext, params: RevertParams) -> Any:
    """The revert outcome of a profile (module doc) as a CASE over correlated look-ups."""
    p = ctx.store.profiles

    def outcome(pid: Any) -> ColumnElement[str]:
        present = exists(select(p.c.id).where(p.c.id == pid))
        whens: list[tuple[ColumnElement[bool], str]] = []
        if params.archive is not None:
            whens.append((present, CONFLICT))  # its id is taken again
        else:
            whens.append((~present, "profile_gone"))
        changed_since = _changed_since(ctx, params, pid)
        if changed_since:
            whens.append((or_(*changed_since), CONFLICT))
        return case(*((cond, literal(o)) for cond, o in whens), else_=literal(RESTORED))

    return outcome


def _changed_since(ctx: ActionContext, params: RevertParams, pid: Any) -> list[ColumnElement[bool]]:
    """Conditions: one of the values the task wrote for profile ``pid`` is not
    there any more."""
    t = params.reverted
    found: list[ColumnElement[bool]] = []
    if params.columns:
        found.append(_columns_changed(ctx, params, pid))
    for field_id in params.list_fields:
        found.append(_list_changed(t, field_id, pid))
    if params.subscriptions:
        js, s = aliased(m.JournalSubscription), aliased(m.Subscription)
        found.append(
            exists(
                select(true())
                .select_from(js)
                .outerjoin(s, _same_subscription(s, js))
                .where(
                    js.task_id == t,
                    js.profile_id == pid,
                    or_(
                        s.id.is_(None),
                        s.status != js.new_status,
                        s.contact.is_distinct_from(js.new_contact),
                    ),
                )
            )
        )
    if params.codes:
        found.append(_codes_changed(t, pid))
    return found


def _columns_changed(ctx: ActionContext, params: RevertParams, pid: Any) -> ColumnElement[bool]:
    p = ctx.store.profiles
    jv = aliased(m.JournalValue)
    differs = [
        and_(
            jv.column_name == column.name,
            column.is_distinct_from(getattr(jv, f"new_{journal.slot_of(column)}")),
        )
        for column in params.columns
    ]
    return exists(
        select(true())
        .select_from(jv)
        .join(p, p.c.id == jv.profile_id)
        .where(jv.task_id == params.reverted, jv.profile_id == pid, or_(*differs))
    )


def _list_changed(task_id: int, field_id: int, pid: Any) -> ColumnElement[bool]:
    """The profile's items of the list field are not the ones the task left."""
    cur, after = aliased(m.ProfileListValue), aliased(m.JournalListItem)
    # Two levels down from the profile id: correlated explicitly (automatic
    # correlation only reaches the select right around a sub-select).
    in_after = exists(
        select(true())
        .where(
            after.task_id == task_id,
            after.profile_id == pid,
            after.field_id == field_id,
            after.after.is_(True),
            after.value == cur.value,
        )
        .correlate_except(after)
    )
    extra = exists(
        select(true())
        .select_from(cur)
        .where(cur.profile_id == pid, cur.field_id == field_id, ~in_after)
    )
    cur2, left = aliased(m.ProfileListValue), aliased(m.JournalListItem)
    still_there = exists(
        select(true())
        .where(cur2.profile_id == pid, cur2.field_id == field_id, cur2.value == left.value)
        .correlate_except(cur2)
    )
    missing = exists(
        select(true())
        .select_from(left)
        .where(
            left.task_id == task_id,
            left.profile_id == pid,
            left.field_id == field_id,
            left.after.is_(True),
            ~still_there,
        )
    )
    return or_(extra, missing)


def _codes_changed(task_id: int, pid: Any) -> ColumnElement[bool]:
    """A code the task wrote is not as it left it, or (to give a detached code
    back) its holder got another code of the program since."""
    jc, c, other = aliased(m.JournalCode), aliased(m.PromoCode), aliased(m.PromoCode)
    holds_another = exists(
        select(true()).where(
            other.program_id == c.program_id,
            other.profile_id == jc.old_profile_id,
            other.status == "attached",
            other.id != c.id,
        )
    )
    return exists(
        select(true())
        .select_from(jc)
        .outerjoin(c, c.id == jc.code_id)
        .where(
            jc.task_id == task_id,
            jc.profile_id == pid,
            or_(
                c.id.is_(None),
                c.status != jc.new_status,
                c.profile_id.is_distinct_from(jc.new_profile_id),
                c.attached_at.is_distinct_from(jc.new_attached_at),
                and_(jc.old_status == "attached", jc.old_profile_id.is_not(None), holds_another),
            ),
        )
    )


def _same_subscription(s: Any, js: Any) -> ColumnElement[bool]:
    return and_(
        s.profile_id == js.profile_id, s.resource_id == js.resource_id, s.channel == js.channel
    )


# -- restore ------------------------------------------------------------------------------------
def _restore(
    conn: Connection, ctx: ActionContext, params: RevertParams, restored: Select[Any]
) -> None:
    """Write the journalled values back for the ``restored`` profiles."""
    if params.archive is not None:
        _restore_archive(conn, ctx, params, restored)
    if params.columns:
        _restore_columns(conn, ctx, params, restored)
    for field_id in params.list_fields:
        _restore_list(conn, params.reverted, field_id, restored)
    if params.subscriptions:
        _restore_subscriptions(conn, ctx, params.reverted, restored)
    if params.codes:
        jc, pc = m.JournalCode, m.PromoCode
        conn.execute(
            update(pc)
            .where(jc.task_id == params.reverted, jc.code_id == pc.id, jc.profile_id.in_(restored))
            .values(
                status=jc.old_status, profile_id=jc.old_profile_id, attached_at=jc.old_attached_at
            )
        )


def _restore_columns(
    conn: Connection, ctx: ActionContext, params: RevertParams, restored: Any
) -> None:
    """Every journalled column back in ONE update of the profiles (each
    rewrite of a row costs, and an indexed column's index too): one alias of
    ``journal_values`` per column, joined on the profile.  A task journals
    all its columns for the same profiles (``journal.record_values``)."""
    p = ctx.store.profiles
    values: dict[str, Any] = {"updated_at": ctx.now}
    joins: list[ColumnElement[bool]] = []
    for column in params.columns:
        jv = aliased(m.JournalValue)
        values[column.name] = getattr(jv, f"old_{journal.slot_of(column)}")
        joins += [
            jv.task_id == params.reverted,
            jv.column_name == column.name,
            jv.profile_id == p.c.id,
        ]
    conn.execute(update(p).where(*joins, p.c.id.in_(restored)).values(values))


def _restore_list(conn: Connection, task_id: int, field_id: int, restored: Any) -> None:
    """The items before: those the task added go, those it removed come back."""
    lv, jl = m.ProfileListValue, m.JournalListItem
    before = and_(jl.task_id == task_id, jl.field_id == field_id, jl.after.is_(False))
    conn.execute(
        delete(lv).where(
            lv.field_id == field_id,
            lv.profile_id.in_(restored),
            ~exists(
                select(true()).where(before, jl.profile_id == lv.profile_id, jl.value == lv.value)
            ),
        )
    )
    present = aliased(m.ProfileListValue)
    conn.execute(
        insert(lv).from_select(
            ["profile_id", "field_id", "value"],
            select(jl.profile_id, jl.field_id, jl.value).where(
                before,
                jl.profile_id.in_(restored),
                ~exists(
                    select(true()).where(
                        present.profile_id == jl.profile_id,
                        present.field_id == field_id,
                        present.value == jl.value,
                    )
                ),
            ),
        )
    )


def _restore_subscriptions(
    conn: Connection, ctx: ActionContext, task_id: int, restored: Any
) -> None:
    """Subscriptions the task created go; the others get their status and contact back."""
    s, js = m.Subscription, m.JournalSubscription
    created = aliased(m.JournalSubscription)
    conn.execute(
        delete(s).where(
            s.profile_id.in_(restored),
            exists(
                select(true()).where(
                    created.task_id == task_id,
                    created.created.is_(True),
                    _same_subscription(s, created),
                )
            ),
        )
    )
    conn.execute(
        update(s)
        .where(
            js.task_id == task_id,
            js.created.is_(False),
            _same_subscription(s, js),
            s.profile_id.in_(restored),
        )
        .values(status=js.old_status, contact=js.old_contact, updated_at=ctx.now)
    )


def _restore_archive(
    conn: Connection, ctx: ActionContext, params: RevertParams, restored: Any
) -> None:
    """Deleted profiles come back whole, with their own ids: the row (the
    columns ``profiles`` still has), list items of fields that still exist,
    subscriptions to resources that still exist.  Their codes follow in
    :func:`_restore` (``journal_codes``)."""
    archive = params.archive
    assert archive is not None
    t = params.reverted
    names = [c.name for c in archive.c if c.name != "task_id"]
    conn.execute(
        insert(ctx.store.profiles).from_select(
            names,
            select(*(archive.c[n] for n in names)).where(
                archive.c.task_id == t, archive.c.id.in_(restored)
            ),
        )
    )
    alv = m.ArchivedListValue
    conn.execute(
        insert(m.ProfileListValue).from_select(
            ["profile_id", "field_id", "value"],
            select(alv.profile_id, alv.field_id, alv.value).where(
                alv.task_id == t,
                alv.profile_id.in_(restored),
                exists(select(true()).where(m.Field.id == alv.field_id)),
            ),
        )
    )
    a = m.ArchivedSubscription
    columns = ["id", "profile_id", "resource_id", "channel", "contact", "status"]
    columns += ["created_at", "updated_at"]
    conn.execute(
        insert(m.Subscription).from_select(
            columns,
            select(*(getattr(a, c) for c in columns)).where(
                a.task_id == t,
                a.profile_id.in_(restored),
                exists(select(true()).where(m.Resource.id == a.resource_id)),
            ),
        )
    )


# -- triggers (only when asked) -------------------------------------------------------------
def _record_triggers(
    conn: Connection, ctx: ActionContext, params: RevertParams, restored: Any
) -> None:
    """The triggers the restored values match, as the actions start them: a
    field trigger for the profiles whose field changes back (one naming no
    field for every restored profile with a field change), subscription
    triggers for statuses or contacts changed back, promo triggers for codes
    given back to their holders.  Before the restore (the journal says it all)."""
    t = m.Trigger
    active = and_(
        t.active.is_(True), or_(t.database_id.is_(None), t.database_id == ctx.database_id)
    )
    field_sources = _field_trigger_sources(ctx, params, restored)
    if field_sources:
        _insert_events(conn, ctx, field_sources, and_(active, t.kind == "field_updated"))
    if params.subscriptions:
        js = m.JournalSubscription
        source = select(t.id, js.profile_id).where(
            active,
            t.kind == "subscription",
            or_(t.resource_id.is_(None), t.resource_id == js.resource_id),
            or_(t.channel.is_(None), t.channel == js.channel),
            js.task_id == params.reverted,
            js.created.is_(False),
            js.profile_id.in_(restored),
            or_(js.old_status != js.new_status, js.old_contact.is_distinct_from(js.new_contact)),
        )
        _insert_events(conn, ctx, [source], true())
    if params.codes and params.archive is None:
        jc, pc = m.JournalCode, m.PromoCode
        given_back = select(t.id, jc.old_profile_id).where(
            active,
            t.kind == "promo_attached",
            jc.task_id == params.reverted,
            jc.profile_id.in_(restored),
            jc.code_id == pc.id,
            or_(t.program_id.is_(None), t.program_id == pc.program_id),
            jc.old_status == "attached",
            jc.old_profile_id.is_not(None),
            jc.new_profile_id.is_(None),
        )
        _insert_events(conn, ctx, [given_back], true())


def _field_trigger_sources(
    ctx: ActionContext, params: RevertParams, restored: Any
) -> list[Select[Any]]:
    """(trigger, profile) selects for ``field_updated`` triggers: per field
    whose value changes back, and for the triggers naming no field."""
    t, f = m.Trigger, m.Field
    sources: list[Select[Any]] = []
    changes_back: list[ColumnElement[bool]] = []
    for column in params.columns:
        jv = aliased(m.JournalValue)
        slot = journal.slot_of(column)
        differs = exists(
            select(true()).where(
                jv.task_id == params.reverted,
                jv.profile_id == m.TaskProfile.profile_id,
                jv.column_name == column.name,
                getattr(jv, f"old_{slot}").is_distinct_from(getattr(jv, f"new_{slot}")),
            )
        )
        of_column = (
            select(f.id)
            .where(f.database_id == ctx.database_id, f.column_name == column.name)
            .scalar_subquery()
        )
        changes_back.append(differs)
        sources.append(_per_field(restored, differs, t.field_id == of_column))
    for field_id in params.list_fields:
        items_differ = _list_items_differ(params.reverted, field_id)
        changes_back.append(items_differ)
        sources.append(_per_field(restored, items_differ, t.field_id == field_id))
    if changes_back:
        sources.append(_per_field(restored, or_(*changes_back), t.field_id.is_(None)))
    return sources


def _per_field(restored: Any, differs: Any, which: ColumnElement[bool]) -> Select[Any]:
    """(trigger id, profile id) of the ``restored`` profiles for which
    ``differs`` holds (correlated to ``task_profiles.profile_id``)."""
    ids = restored.where(differs).subquery()
    return select(m.Trigger.id, ids.c.profile_id).select_from(ids).join(m.Trigger, which)


def _list_items_differ(task_id: int, field_id: int) -> ColumnElement[bool]:
    """The journal's items of the field before and after differ (for the
    profile of the current ``task_profiles`` row)."""
    a, b = aliased(m.JournalListItem), aliased(m.JournalListItem)
    pid = m.TaskProfile.profile_id
    one_sided = exists(
        select(true()).where(
            a.task_id == task_id,
            a.profile_id == pid,
            a.field_id == field_id,
            ~exists(
                select(true())
                .where(
                    b.task_id == task_id,
                    b.profile_id == pid,
                    b.field_id == field_id,
                    b.after != a.after,
                    b.value == a.value,
                )
                .correlate_except(b)
            ),
        )
    )
    return one_sided


def _insert_events(
    conn: Connection, ctx: ActionContext, sources: list[Select[Any]], extra: ColumnElement[bool]
) -> None:
    """One outbox row per distinct (trigger, profile) of ``sources``."""
    for source in sources:
        rows = source.where(extra).distinct().subquery()
        trigger_id, profile_id = list(rows.c)
        conn.execute(
            insert(m.TriggerEvent).from_select(
                ["trigger_id", "profile_id", "task_id"],
                select(trigger_id, profile_id, literal(ctx.task_id)),
            )
        )
