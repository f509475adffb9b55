"""The shape every update action has (one module per action under this package).

A job freezes its selection into ``task_profiles`` (task_id, position,
profile_id, outcome=NULL) and then walks it in batches of positions
``[lo, hi)``.  For each batch the runner opens one transaction and calls the
action's ``apply_batch``, which works only with set-based statements:

1. *classify*: ``mark_outcome(conn, batch, reason, where)`` sets the skip
   reason on the batch's profiles that must not be touched (unsafe status, no
   contact, pool empty, unchanged, ...); first reason wins, since only rows
   whose outcome is still NULL are marked;
2. unless ``ctx.dry_run``: change the profiles of the batch whose outcome is
   still NULL (``batch.pending_ids()``) with UPDATE/INSERT ... SELECT/DELETE;
3. ``mark_outcome(conn, batch, CHANGED)`` for the rest; in a dry run these are
   the profiles that *would* change;
4. unless ``ctx.skip_triggers`` or ``ctx.dry_run``: ``record_trigger_events``
   for the changed profiles and the matching triggers.

``apply_batch`` returns the batch's outcome counts (``{outcome: profiles}``)
when it knows them for *every* row of the batch (an action on the work table
counts them there, ``_work.count_outcomes``), or ``None``: the runner then
counts them itself with one GROUP BY over the batch's ``task_profiles``.
Either way counts, the per-profile export and "retry the skipped ones" all
come from the same outcomes.  A module exposes::

    TYPE: str                 # the job's action.type
    LABEL: str                # shown in the wizard and the Tasks view
    DESCRIPTION: str          # the one-line explanation on the wizard page
    REQUIRES_CONDITIONS: bool # delete / global unsubscribe: never "all profiles"
    DESTRUCTIVE: bool         # ask for confirmation with the number of profiles
    SKIPS_GONE: bool          # its fill gives profiles deleted since the freeze
                              # profile_gone itself (the runner does not)
    def parse(conn, ctx, raw: dict) -> Params        # ActionError naming the key
        # raw is job.action as written in the job file, "type" included;
        # check_keys(raw, {...}) refuses unknown keys the same way everywhere
    def apply_batch(conn, ctx, params, batch) -> dict[str, int] | None
        # the batch's outcome counts, or None: "count task_profiles for me"
    def describe(params) -> str                       # plain-language summary
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    Connection,
    Exists,
    Select,
    case,
    exists,
    insert,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.orm import QueryableAttribute

from .. import models as m
from ..batch import ActionContext, Batch
from ..errors import OperatorError
from ..outcomes import CHANGED, SKIP_REASONS

#: A profile id column (of task_profiles, subscriptions, ...) a condition is about.
ProfileId = ColumnElement[int] | QueryableAttribute[int]
#: A condition on a profile id column (a correlated EXISTS and the like).
ProfileCondition = Callable[[ProfileId], ColumnElement[bool]]
#: The outcome (``changed`` or a skip reason) of a profile, as an SQL expression.
ProfileOutcome = Callable[[ProfileId], ColumnElement[str]]


def probe(query: Select[Any]) -> Exists:
    """``EXISTS (query)`` for a query correlated to one row of a batch (a
    profile's subscription, code, list item, event), checked row by row
    through the index of its key on every backend.

    A batch is a few thousand profiles of a table of millions.  Left to
    itself, PostgreSQL's planner turns such an ``EXISTS`` into a hash of
    every row the query could match (a hashed sub-plan inside a ``CASE``, a
    hash anti-join in a ``WHERE``) as soon as its statistics promise more
    than a few thousand outer rows, which they do once autovacuum has
    analysed ``task_profiles`` in the middle of a job: at 1,000,000
    profiles a work-table fill of 20,000 profiles then read and hashed all
    1,000,000 profile ids, 450 ms instead of 60 ms, and at 10,000,000 ten
    times that, every batch.  ``OFFSET 0`` keeps the sub-query from being
    flattened into a join or a hash (the known way to fence a sub-query off
    from PostgreSQL's planner), so each row costs one index probe whatever the
    statistics say; SQLite checks row by row anyway and ignores it.
    """
    return exists(query.offset(0))


class ActionError(OperatorError, ValueError):
    """Action parameters that do not fit the store; names the key, e.g.
    ``job.action.resource: no resource named 'Nope'``."""


def check_keys(raw: Any, allowed: set[str] | frozenset[str], where: str = "job.action") -> None:
    """ActionError for a non-object or an unknown key (``type`` is allowed in
    ``job.action`` itself)."""
    if not isinstance(raw, dict):
        raise ActionError(f"{where}: must be an object")
    implicit = {"type"} if where == "job.action" else set()
    unknown = sorted(set(raw) - set(allowed) - implicit)
    if unknown:
        names = ", ".join(sorted(allowed)) or "none"
        raise ActionError(f"{where}.{unknown[0]}: unknown key (allowed: {names})")


def mark_outcome(
    conn: Connection,
    batch: Batch,
    outcome: str,
    profile_ids: Select[Any] | None = None,
) -> int:
    """Set ``outcome`` on the batch's rows still without one (optionally only
    those whose profile id is in ``profile_ids``); returns how many."""
    if outcome != CHANGED and outcome not in SKIP_REASONS:
        raise ValueError(f"unknown outcome {outcome!r}")
    stmt = (
        update(m.TaskProfile)
        .where(batch.rows_where(), m.TaskProfile.outcome.is_(None))
        .values(outcome=outcome)
    )
    if profile_ids is not None:
        stmt = stmt.where(m.TaskProfile.profile_id.in_(profile_ids))
    return conn.execute(stmt.execution_options(synchronize_session=False)).rowcount


def classify(conn: Connection, batch: Batch, outcome: ProfileOutcome) -> None:
    """Give every pending row of the batch its outcome in ONE update.

    ``outcome(profile_id)`` is an SQL expression (a CASE over look-ups
    correlated to the row's own profile id) naming ``changed`` or a skip
    reason; an action using it then changes ``batch.changed_ids()``.  The
    look-ups are correlated rather than ``IN`` lists over the same batch: that
    would be a self-join of ``task_profiles``, which PostgreSQL (no statistics
    on freshly frozen rows) runs as a nested loop, quadratic in the batch."""
    tp = m.TaskProfile
    conn.execute(
        update(tp)
        .where(batch.rows_where(), tp.outcome.is_(None))
        .values(outcome=outcome(tp.profile_id))
        .execution_options(synchronize_session=False)
    )


def skip_when(
    reason: str, condition: ProfileCondition
) -> Callable[[ProfileId], ColumnElement[str]]:
    """The outcome ``reason`` where ``condition(profile_id)`` holds, else CHANGED."""
    if reason not in SKIP_REASONS:
        raise ValueError(f"unknown outcome {reason!r}")

    def outcome(profile_id: ProfileId) -> ColumnElement[str]:
        return case((condition(profile_id), literal(reason)), else_=literal(CHANGED))

    return outcome


def record_trigger_events(
    conn: Connection,
    ctx: ActionContext,
    batch: Batch,
    trigger_filter: ColumnElement[bool],
) -> int:
    """Insert one outbox row per (changed profile of the batch, active trigger
    matching ``trigger_filter``); none with skip_triggers or in a dry run."""
    return insert_trigger_events(conn, ctx, trigger_filter, batch.changed_ids())


def insert_trigger_events(
    conn: Connection,
    ctx: ActionContext,
    trigger_filter: ColumnElement[bool],
    profile_ids: Select[Any],
) -> int:
    """One outbox row per (profile in ``profile_ids``, active trigger of the
    database matching ``trigger_filter``); none with skip_triggers or in a dry
    run.  For actions that must decide per trigger which profiles count (e.g.
    a field trigger only for the profiles whose *that* field changed)."""
    if ctx.skip_triggers or ctx.dry_run:
        return 0
    t = m.Trigger
    triggers = (
        select(t.id)
        .where(t.active.is_(True), trigger_filter)
        .where((t.database_id.is_(None)) | (t.database_id == ctx.database_id))
        .subquery()
    )
    ids = profile_ids.subquery()
    id_col = next(iter(ids.c))
    source = (
        select(triggers.c.id, id_col, literal(ctx.task_id)).select_from(ids).join(triggers, true())
    )
    result = conn.execute(
        insert(m.TriggerEvent).from_select(["trigger_id", "profile_id", "task_id"], source)
    )
    return max(result.rowcount or 0, 0)


class Action(Protocol):
    TYPE: str
    LABEL: str
    DESCRIPTION: str
    REQUIRES_CONDITIONS: bool
    DESTRUCTIVE: bool
    #: True: the action's work-table fill gives the profiles deleted since the
    #: selection was frozen the outcome ``profile_gone`` (``_work.profile_gone``),
    #: so the runner does not mark them in a pass of its own over
    #: ``task_profiles`` first (``jobs._mark_gone``).  False: the runner does.
    SKIPS_GONE: bool

    def parse(self, conn: Connection, ctx: ActionContext, raw: dict[str, Any]) -> Any: ...

    def apply_batch(
        self, conn: Connection, ctx: ActionContext, params: Any, batch: Batch
    ) -> dict[str, int] | None:
        """Apply the action to the batch (module doc); its outcome counts when
        they cover every row of the batch, else None (the runner counts them)."""
        ...

    def describe(self, params: Any) -> str: ...
