"""Running an import as a task: read and check the file, then merge it in batches.

1. :func:`prepare_import` checks everything (file, header, mapping, match key,
   subscription) and, in one transaction, creates the custom fields "create
   fields" asks for (not in a dry run), the staging tables and the task
   (``queued``); on any error nothing is written.
2. :func:`run_import_task` claims the task and
   - *stages* the file: records are read in chunks of :data:`STAGE_CHUNK`,
     every cell is converted by its field type (a row with one bad cell is
     rejected whole, with line, column, value and reason), and each chunk is
     committed with its rejects (so a resume continues after the last
     committed chunk); memory stays flat whatever the file's size;
   - marks repeated match keys (the later row wins, or all are rejected),
     sets the task's total and ``started_at`` (the selection is "frozen");
   - *merges* rows ``[lo, hi)`` per transaction: look up the matching
     profile (one indexed look-up per row, set-based), classify (added,
     updated, not found, already exists, ambiguous), then insert and update
     ``profiles``, replace list items, subscribe, record trigger events and
     ``task_profiles``, and advance the task's counters;
   - writes the rejects CSV and, once completed, drops the staging tables.

Cancel is polled between chunks and batches; an interrupted or cancelled
import resumes where its last committed chunk or batch ended, after checking
that the file's size and modification time are unchanged.
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Index,
    MetaData,
    Select,
    Table,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)

from .. import models as m
from ..actions import _subscriptions as subs
from ..actions import subscribe_from_fields
from ..actions.base import ActionContext, ActionError, insert_trigger_events, probe
from ..config import Settings
from ..csvcells import escape_text, unescape_text
from ..errors import TaskError
from ..faults import end_failed_task, log_dir, log_exception
from ..fields import FieldValueError
from ..jobs import (
    TaskSummary,
    action_context,
    claim_task,
    queue_task,
    run_connection,
    startable_task,
    summary_of,
)
from ..process import active_run, mark_interrupted, runner_id
from ..progress import JobState, keep_reporting
from ..store import FieldInfo, Store
from . import stage as st
from .csvfile import CsvReader, ImportFileError, Record, has_undecodable
from .plan import ColumnPlan, ImportPlan, file_stamp, plan_import, spec_with_plan
from .spec import IMPORT_TYPE, ImportSpec, ImportSpecError

STAGE_CHUNK = 10_000
#: Key of the PostgreSQL advisory lock the merge batches of one database take.
IMPORT_LOCK = 0x1B9F
#: ``--rejects -``: the rows not imported go to standard output.
STDOUT = "-"
ADDED = "added"
UPDATED = "updated"
UNCHANGED = "unchanged"
#: Outcomes of rows that were not imported, with the words of the rejects file.
NOT_IMPORTED = {
    "rejected": "invalid value",
    "duplicate_in_file": "the same match key appears on another line of the file",
    "not_found": "no profile matches (mode: update existing only)",
    "already_exists": "a profile already matches (mode: add new only)",
    "ambiguous_match": "matches more than one profile",
    "no_match_key": "the match key is empty (the row could not be found again)",
}


@dataclass
class ImportSummary:
    """What an import did (or, in a dry run, would do)."""

    task_id: int
    status: str
    dry_run: bool
    rows: int = 0
    processed: int = 0
    added: int = 0
    updated: int = 0
    #: Matched profiles that already had every imported value (nothing written).
    unchanged: int = 0
    not_imported: dict[str, int] = field(default_factory=dict)
    subscriptions: dict[str, int] = field(default_factory=dict)
    trigger_events: int = 0
    new_fields: list[str] = field(default_factory=list)
    rejects_file: str | None = None
    #: Why the rejects are not in the file the import named (and where they are).
    rejects_problem: str | None = None
    error: str | None = None

    @property
    def not_imported_total(self) -> int:
        return sum(self.not_imported.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "status": self.status,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "processed": self.processed,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "not_imported": dict(self.not_imported),
            "subscriptions": dict(self.subscriptions),
            "trigger_events": self.trigger_events,
            "new_fields": list(self.new_fields),
            "rejects_file": self.rejects_file,
            "rejects_problem": self.rejects_problem,
            "error": self.error,
        }


# -- preparing ---------------------------------------------------------------------
def prepare_import(
    store: Store,
    spec: ImportSpec,
    *,
    dry_run: bool = False,
    operator: str | None = None,
    settings: Settings | None = None,
) -> int:
    """Check the import and insert its task (``queued``); returns the task id.

    Raises ImportFileError (and StoreError / ActionError) with one line;
    nothing is written then."""
    settings = settings or Settings.load()
    try:
        with store.begin() as conn:
            plan = check_import(store, conn, spec, settings)
            job = spec_with_plan(plan)
            if not dry_run:
                created = _create_fields(store, conn, plan)
                job["mapping"].update(created)
                job["new_fields"] = {}
                job["created_fields"] = created
                plan = plan_import(store, conn, ImportSpec.from_dict(job))
            if not dry_run:
                _ensure_match_index(store, conn, plan)
            task_id = _insert_task(conn, plan, job, dry_run, operator)
            st.create(conn, st.stage_tables(task_id, plan))
            return task_id
    except BaseException:
        store.refresh_schema()  # forget columns of fields whose creation rolled back
        raise


def _create_fields(store: Store, conn: Connection, plan: ImportPlan) -> dict[str, str]:
    created: dict[str, str] = {}
    for c in plan.new_fields:
        store.add_custom_field(conn, plan.database_id, c.field.key, c.field.label, c.field.type)
        created[c.name] = c.field.key
    return created


#: Matching by email ignores case (``_comparable``): ``lower(email)`` is looked
#: up through this index, made by the first real import matched by email, as a
#: custom match field's is (an expression index: SQLAlchemy's SQLite reflection
#: skips it with a warning, see ``demo/load.py``).
EMAIL_MATCH_INDEX = "ix_profiles_email_lower"


def _match_index_name(info: FieldInfo) -> str | None:
    """The store index a real import gives its match field (None: it has one anyway)."""
    if info.key == "email":
        return EMAIL_MATCH_INDEX
    if info.is_system or info.column_name is None:
        return None
    return f"ix_profiles_database_{info.column_name}"


def _ensure_match_index(store: Store, conn: Connection, plan: ImportPlan) -> None:
    """Matching by a custom field (or by email, ignoring case) looks it up once
    per row: give it an index."""
    info = plan.match.field
    name = _match_index_name(info)
    if name == EMAIL_MATCH_INDEX:
        conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON profiles (lower(email))")
    elif name is not None and info.column_name is not None:
        Index(name, store.profiles.c.database_id, store.profiles.c[info.column_name]).create(
            conn, checkfirst=True
        )


def _has_index(conn: Connection, name: str) -> bool:
    if conn.dialect.name == "postgresql":
        found = conn.exec_driver_sql("SELECT to_regclass(%(n)s) IS NOT NULL", {"n": name})
    else:
        found = conn.exec_driver_sql(
            "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)
        )
    return bool(found.scalar())


def check_import(
    store: Store, conn: Connection, spec: ImportSpec, settings: Settings | None = None
) -> ImportPlan:
    """Everything :func:`prepare_import` checks, writing nothing: the plan."""
    plan = plan_import(store, conn, spec)
    _check_subscription(store, conn, plan, settings or Settings.load())
    _check_rejects_file(spec)
    return plan


def _check_rejects_file(spec: ImportSpec) -> None:
    reason = rejects_file_problem(spec)
    if reason:
        raise ImportSpecError(f"--rejects {spec.rejects}: {reason}")


def rejects_file_problem(spec: ImportSpec) -> str | None:
    """Why the rejects file could not be written at the end (None: it can).

    Tried for real, with a temporary file in its folder (as the end writes it
    before renaming it over the file): a permission check says yes to root,
    and to folders like /proc that refuse every new file."""
    if not spec.rejects or spec.rejects == STDOUT:
        return None
    target = Path(spec.rejects).resolve()
    if target == Path(spec.file).resolve():
        return "that is the file being imported"
    if not target.parent.is_dir():
        return f"no folder {target.parent}"
    if target.is_dir():
        return "that is a folder"
    try:
        fd, probe_file = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        return f"cannot be written ({exc.strerror or exc})"
    os.close(fd)
    Path(probe_file).unlink(missing_ok=True)
    return None


def _check_subscription(
    store: Store, conn: Connection, plan: ImportPlan, settings: Settings
) -> None:
    """The subscription's resource, channel and status, checked as the
    subscribe-from-fields action checks them (errors say "subscribe: ...")."""
    if plan.spec.subscribe is None:
        return
    ctx = action_context(store, plan.database_id, settings, dry_run=True)
    try:
        subscribe_from_fields.parse(conn, ctx, plan.spec.subscribe.action())
    except ActionError as exc:
        reason = str(exc).split(": ", 1)[-1]
        raise ImportSpecError(f"subscribe: {reason}") from None


def _insert_task(
    conn: Connection, plan: ImportPlan, job: dict[str, Any], dry_run: bool, operator: str | None
) -> int:
    return queue_task(
        conn,
        action_type=IMPORT_TYPE,
        database_id=plan.database_id,
        database_name=plan.spec.database,
        job=job,
        dry_run=dry_run,
        operator=operator,
    )


# -- running -------------------------------------------------------------------------
@dataclass
class _Import:
    """What one run of an import task keeps between chunks and batches."""

    task_id: int
    plan: ImportPlan
    tables: st.StageTables
    ctx: ActionContext
    summary: TaskSummary
    subscribe: Any = None  # subscribe_from_fields.Params
    #: A dry run's key table of its match field (``_dry_run_keys``), made by the merge.
    keys: Table | None = None


def run_import(
    store: Store,
    spec: ImportSpec,
    state: JobState,
    *,
    dry_run: bool = False,
    operator: str | None = None,
    settings: Settings | None = None,
) -> ImportSummary:
    """:func:`prepare_import` then :func:`run_import_task`."""
    settings = settings or Settings.load()
    task_id = prepare_import(store, spec, dry_run=dry_run, operator=operator, settings=settings)
    run_import_task(store, task_id, state, settings=settings)
    return import_summary(store, task_id)


def run_import_task(
    store: Store, task_id: int, state: JobState, *, settings: Settings | None = None
) -> TaskSummary:
    """Run (or resume) an import task to its end, cancel or failure (module doc).

    TaskError if it cannot start (unknown, completed, running elsewhere, file
    changed).  Errors while running end the task ``failed`` with one line."""
    settings = settings or Settings.load()
    mark_interrupted(store)
    with active_run(task_id):
        run = _claim(store, task_id, settings)
        try:
            status = "completed"
            with run_connection(store, temp_on_disk=True) as conn:
                if run.summary.status == "staging":
                    state.phase = STAGING
                    done = _stage_file(conn, run, state)
                    if state.is_cancelled():
                        status = "cancelled"
                    else:
                        with keep_reporting(lambda: state.report(done, done), TICK_SECONDS):
                            _freeze(conn, run)
                if status == "completed":
                    state.phase = MERGING
                    status = _merge(conn, run, state)
            ended = (run.summary.processed, run.summary.selected)
            with keep_reporting(lambda: state.report(*ended), TICK_SECONDS):
                _finish(store, run, status, None)
        except KeyboardInterrupt:
            _finish(store, run, "interrupted", "interrupted by the operator (Ctrl-C)")
            raise
        except ImportFileError as exc:
            _finish(store, run, "failed", str(exc))
        except Exception as exc:
            _end_on_error(store, run, exc)
        return run.summary


def _end_on_error(store: Store, run: _Import, exc: Exception) -> None:
    """``failed``, or for a failure of the store ``interrupted`` (resumable
    after the last committed chunk or batch) and a StoreFault raised."""

    def finish(status: str, error: str | None) -> None:
        if status == "interrupted":  # the store failed: record only the status
            _record_status(store, run, status, error)
        else:
            _finish(store, run, status, error)

    done = (run.summary.processed, run.summary.selected)
    end_failed_task(run.task_id, exc, finish, store.display_url, done)


def _claim(store: Store, task_id: int, settings: Settings) -> _Import:
    now = m.utcnow()
    store.refresh_schema()  # (not inside the transaction: it takes a connection of its own)
    with store.begin() as conn:
        row = startable_task(conn, task_id, IMPORT_TYPE)
        spec = ImportSpec.from_dict(row.job)
        if (spec.file_size, spec.file_mtime_ns) != _stamp_or_none(spec.file):
            raise TaskError(
                f"task {task_id}: {spec.file} changed or is gone since the import started; "
                "start a new import"
            )
        plan = plan_import(store, conn, spec)
        tables = st.stage_tables(task_id, plan)
        lost = _staging_lost(conn, row, tables)
        if lost:  # ends the task failed (committed with this transaction)
            conn.execute(
                update(m.Task).where(m.Task.id == task_id).values(status="failed", error=LOST)
            )
            st.drop(conn, tables)
        else:
            claim_task(conn, row, now)
            ctx = action_context(
                store,
                row.database_id,
                settings,
                task_id=task_id,
                dry_run=row.dry_run,
                skip_triggers=spec.skip_triggers,
                now=row.started_at or now,
            )
            run = _Import(task_id, plan, tables, ctx, summary_of(row, "staging"))
            if spec.subscribe is not None:
                run.subscribe = subscribe_from_fields.parse(conn, ctx, spec.subscribe.action())
    if lost:
        raise TaskError(f"task {task_id}: {LOST}")
    return run


#: Why an import cannot go on after a crash of the PostgreSQL server.
LOST = (
    "its staged rows were lost when the PostgreSQL server restarted after a crash; "
    "import the file again (the rows already imported come out unchanged)"
)


def _staging_lost(conn: Connection, row: Any, tables: st.StageTables) -> bool:
    """The staged rows of a frozen, unfinished import are gone: PostgreSQL
    empties UNLOGGED tables when it recovers from a crash."""
    if row.started_at is None or row.processed >= row.selected:
        return False
    return all(
        conn.execute(select(t.c.row).limit(1)).first() is None
        for t in (tables.rows, tables.rejects)
    )


def _stamp_or_none(path: str) -> tuple[int, int] | None:
    try:
        return file_stamp(path)
    except OSError:
        return None


# -- staging -------------------------------------------------------------------------
def _staged_upto(conn: Connection, tables: st.StageTables) -> int:
    """The index of the first record not yet staged (rows and rejects alike)."""
    last = max(
        conn.execute(select(func.coalesce(func.max(t.c.row), -1))).scalar_one()
        for t in (tables.rows, tables.rejects)
    )
    return int(last) + 1


def _count_lines(path: Path) -> int:
    """Physical lines of the file (an estimate of its records, for progress)."""
    n = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            n += chunk.count(b"\n")
    return n


def _stage_file(conn: Connection, run: _Import, state: JobState) -> int:
    """Stage the records not staged yet; returns how many are staged in all."""
    plan = run.plan
    with conn.begin():
        start = _staged_upto(conn, run.tables)
    estimate = max(_count_lines(Path(plan.spec.file)) - 1, start)
    state.report(start, estimate)
    with CsvReader(plan.spec.file, plan.fmt) as reader:
        chunk: list[Record] = []
        done = start
        for record in reader.records(start):
            chunk.append(record)
            if len(chunk) >= STAGE_CHUNK:
                _stage_chunk(conn, run, chunk)
                done += len(chunk)
                chunk = []
                state.report(done, max(estimate, done))
                if state.is_cancelled():
                    return done
        _stage_chunk(conn, run, chunk)
        done += len(chunk)
        state.report(done, done)
    return done


def _stage_chunk(conn: Connection, run: _Import, records: list[Record]) -> None:
    """Convert one chunk and commit its rows, items and rejects together."""
    if not records:
        return
    plan = run.plan
    rows, items, rejects = _convert(plan, records)
    tables = run.tables
    row_names = ["row", "line", *_stage_value_names(plan)]
    with conn.begin():
        st.bulk_insert(conn, tables.rows, row_names, rows)
        st.bulk_insert(conn, tables.items, ["row", "col", "value"], items)
        st.bulk_insert(conn, tables.rejects, ["row", "line", "col", "value", "reason"], rejects)
        conn.execute(update(m.Task).where(m.Task.id == run.task_id).values(heartbeat_at=m.utcnow()))


def _stage_value_names(plan: ImportPlan) -> list[str]:
    """The staged columns in the order :func:`_convert` yields them: scalar
    values, then the "given" flags of list columns, then the phone key."""
    names = [st.value_column(c.index) for c in plan.scalar_columns]
    names += [st.given_column(c.index) for c in plan.list_columns]
    if plan.match.is_list:
        names.append("phone_key")
    return names


REJECT_TEXT = 200


def _convert(
    plan: ImportPlan, records: list[Record]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Rows, list items and rejects of a chunk; a row with one bad cell is rejected whole.

    The hot loop converts a whole row in two comprehensions; only a row that
    fails is converted again cell by cell to name the bad cell."""
    width = len(plan.header)
    scalars = [(c.index, c.convert) for c in plan.scalar_columns]
    lists = [(c.index, c.convert) for c in plan.list_columns]
    phone_match = plan.match.is_list
    match_list = next((n for n, c in enumerate(plan.list_columns) if c is plan.match), -1)
    rows: list[tuple[Any, ...]] = []
    items: list[tuple[Any, ...]] = []
    rejects: list[tuple[Any, ...]] = []
    for record in records:
        cells = record.cells
        joined = "".join(cells)
        problem = _row_problem(plan, cells, joined, width)
        if problem is not None:
            rejects.append((record.index, record.line, None, None, problem))
            continue
        if "'" in joined:  # a cell our export escaped for spreadsheets
            cells = [unescape_text(c) for c in cells]
        try:
            values = [convert(cells[i]) for i, convert in scalars]
            listed = [convert(cells[i]) for i, convert in lists]
        except FieldValueError:
            rejects.append(_bad_cell(plan, record, cells))
            continue
        values.extend(bool(found) for found in listed)
        if phone_match:
            phones = listed[match_list]
            values.append(phones[0] if phones else None)
        rows.append((record.index, record.line, *values))
        for (i, _convert_list), found in zip(lists, listed, strict=True):
            items.extend((record.index, i, v) for v in found)
    return rows, items, rejects


def _row_problem(plan: ImportPlan, cells: list[str], joined: str, width: int) -> str | None:
    if len(cells) != width:
        return f"the row has {len(cells)} cells, the header {width}"
    if "\x00" in joined:
        return "a cell holds a NUL character (\\x00), which no text may hold"
    if not joined.isascii() and has_undecodable(cells):
        return f"not {plan.fmt.encoding} text (choose the file's encoding)"
    return None


def _bad_cell(plan: ImportPlan, record: Record, cells: list[str]) -> tuple[Any, ...]:
    """The reject of a row: its first cell that does not convert."""
    for c in plan.columns:
        cell = cells[c.index]
        try:
            c.convert(cell)
        except FieldValueError as exc:
            return (record.index, record.line, c.name, cell[:REJECT_TEXT], str(exc))
    raise AssertionError("a row that failed converts cleanly")


# -- freezing: duplicates and the total ------------------------------------------------
def _freeze(conn: Connection, run: _Import) -> None:
    """Mark repeated keys, set the total: then the merge starts."""
    with conn.begin():
        st.analyze(conn, run.tables)
        duplicates = _mark_duplicates(conn, run)
        total = _staged_upto(conn, run.tables)
        rejected = conn.execute(select(func.count()).select_from(run.tables.rejects)).scalar_one()
        skipped = {"rejected": int(rejected), "duplicate_in_file": int(duplicates)}
        skipped = {k: v for k, v in skipped.items() if v}
        conn.execute(
            update(m.Task)
            .where(m.Task.id == run.task_id)
            .values(
                selected=total, started_at=run.ctx.now, skipped=skipped, heartbeat_at=m.utcnow()
            )
        )
    run.summary.selected = total
    run.summary.skipped = skipped
    run.summary.status = "running"


def _comparable(run: _Import, key: Any) -> Any:
    """A match key as it is compared: an email ignoring case (one person, one
    profile: ``ANN@Example.com`` is ``ann@example.com``; the audit's upsert added
    a second profile and subscribed one mailbox twice), any other as is."""
    return func.lower(key) if run.plan.match.field.key == "email" else key


def _mark_duplicates(conn: Connection, run: _Import) -> int:
    """Rows whose match key another row repeats: all but the last (policy
    "last") or all of them ("reject").  One grouping of the keys finds the
    repeated ones (usually none), so only their rows are touched."""
    rows = run.tables.rows
    key = _comparable(run, st.match_key(run.tables, run.plan))
    grouped = rows.alias("grouped")
    grouped_key = _comparable(run, grouped.c[st.match_key(run.tables, run.plan).name])
    repeated = (
        select(grouped_key.label("k"), func.max(grouped.c.row).label("last"))
        .where(grouped_key.is_not(None))
        .group_by(grouped_key)
        .having(func.count() > 1)
        .subquery("repeated")
    )
    clash = key == repeated.c.k
    if run.plan.spec.duplicates == "last":
        clash = and_(clash, rows.c.row < repeated.c.last)
    return int(conn.execute(update(rows).where(clash).values(outcome="duplicate_in_file")).rowcount)


# -- merging -------------------------------------------------------------------------
def _merge(conn: Connection, run: _Import, state: JobState) -> str:
    """Merge rows ``[lo, hi)`` per transaction; the batch size adapts (from
    :data:`FIRST_BATCH` up to :data:`MAX_BATCH`) so a batch takes about
    :data:`TARGET_BATCH_SECONDS` and progress comes at least once a second.
    Returns "completed" or "cancelled"."""
    summary = run.summary
    size = FIRST_BATCH
    growth = _Growth(_profile_count(conn, run))
    with conn.begin():  # once per run: its connection holds the table
        run.keys = _dry_run_keys(conn, run)
    _report(state, summary)
    while summary.processed < summary.selected:
        if state.is_cancelled():
            return "cancelled"
        lo = summary.processed
        hi = min(lo + size, summary.selected)
        started = time.monotonic()
        changed_before = summary.changed
        with conn.begin():
            _merge_batch(conn, run, lo, hi)
        if growth.grew(summary.changed - changed_before):
            _analyze_profiles(conn)
        size = _next_size(size, time.monotonic() - started)
        _report(state, summary)
    return "completed"


@dataclass
class _Growth:
    """When ``profiles`` has grown enough that the planner must see it again.

    An import into an empty database fills a table the planner believes
    empty: PostgreSQL then hashes the whole table for each batch's look-up
    (quadratic over the import).  Statistics are refreshed each time the
    profiles written since the last refresh exceed half of what there was."""

    rows: int
    since: int = 0

    def grew(self, written: int) -> bool:
        self.since += written
        if self.since <= max(ANALYZE_AFTER, self.rows // 2):
            return False
        self.rows += self.since
        self.since = 0
        return True


ANALYZE_AFTER = 10_000


def _profile_count(conn: Connection, run: _Import) -> int:
    with conn.begin():
        return int(
            conn.execute(
                select(func.count())
                .select_from(m.Profile)
                .where(m.Profile.database_id == run.ctx.database_id)
            ).scalar_one()
        )


def _analyze_profiles(conn: Connection) -> None:
    with conn.begin():
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA analysis_limit=1000")
        conn.exec_driver_sql("ANALYZE profiles")


#: How often progress is repeated while one long step (freezing, the end) runs.
TICK_SECONDS = 0.5
#: The steps of an import as its progress names them (``Progress.phase``):
#: reading and checking the file into the staging tables, then merging them.
STAGING, MERGING = "staging", "merging"


def step_words(phase: str, *, dry_run: bool = False) -> str:
    """What an import is doing in the step ``phase``, in the operator's words
    (the window's running line, the command line's progress); a dry run's
    merge only works every row out."""
    if phase == MERGING:
        return "working out every row" if dry_run else "importing"
    return "reading and checking the file"


FIRST_BATCH = 2_000
MAX_BATCH = 50_000
TARGET_BATCH_SECONDS = 0.5


def _next_size(size: int, seconds: float) -> int:
    if seconds > TARGET_BATCH_SECONDS:
        return max(FIRST_BATCH // 4, size // 2)
    if seconds < TARGET_BATCH_SECONDS / 2:
        return min(MAX_BATCH, size * 2)
    return size


def _report(state: JobState, summary: TaskSummary) -> None:
    state.report(summary.processed, summary.selected, summary.changed, summary.skipped_total)


def _in_batch(rows: Any, lo: int, hi: int) -> ColumnElement[bool]:
    return and_(rows.c.row >= lo, rows.c.row < hi)


def _merge_batch(conn: Connection, run: _Import, lo: int, hi: int) -> None:
    rows = run.tables.rows
    batch = _in_batch(rows, lo, hi)
    # A first write takes SQLite's write lock before ids are handed out; on
    # PostgreSQL the batches of two imports into one database take turns, or
    # both would find a new email missing and add it twice.
    conn.execute(update(m.Task).where(m.Task.id == run.task_id).values(heartbeat_at=m.utcnow()))
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(IMPORT_LOCK, run.ctx.database_id)))
    _classify(conn, run, lo, hi)
    events = 0
    if not run.ctx.dry_run:
        before = conn.execute(select(func.coalesce(func.max(m.TriggerEvent.id), 0))).scalar_one()
        _insert_profiles(conn, run, batch)
        _update_profiles(conn, run, batch)
        _replace_items(conn, run, batch)
        _record_task_profiles(conn, run, batch)
        _subscribe(conn, run, batch)
        _field_triggers(conn, run, batch)
        events = conn.execute(
            select(func.count())
            .select_from(m.TriggerEvent)
            .where(m.TriggerEvent.id > before, m.TriggerEvent.task_id == run.task_id)
        ).scalar_one()
    _advance(conn, run, lo, hi, batch, int(events))


def _looked_up(run: _Import, lo: int, hi: int, dialect: str) -> Any:
    """The batch's pending rows with the smallest and largest id of the
    database's profiles whose match field equals the row's key.

    Neither as scalar sub-selects (PostgreSQL inlines those once per use, and
    turns a lone min/max into a walk of the ``(database_id, id)`` index
    filtering on the key) nor, on PostgreSQL, as a plain join (once the
    statistics show a large table it hashes all of ``profiles`` for every
    batch): a LATERAL look-up per row through the key's index there, and a
    grouped outer join on SQLite (which looks up through the index anyway)."""
    pending = run.tables.rows.alias("pending")
    key = pending.c[st.match_key(run.tables, run.plan).name]
    pending_rows = (_in_batch(pending, lo, hi), pending.c.outcome.is_(None))
    compared = _comparable(run, key)
    if dialect == "postgresql":
        match = _match_of(run, compared).lateral("match")
        return (
            select(pending.c.row, key.label("k"), match.c.low, match.c.high)
            .select_from(pending.join(match, true()))
            .where(*pending_rows)
            .subquery("looked")
        )
    joined, ids = _joined_to_matches(run, pending, compared)
    return (
        select(
            pending.c.row,
            key.label("k"),
            func.min(ids).label("low"),
            func.max(ids).label("high"),
        )
        .select_from(joined)
        .where(*pending_rows)
        .group_by(pending.c.row, key)
        .subquery("looked")
    )


#: A dry run matched by a custom field looks keys up here: a temporary table of
#: the database's (key, id), made in one pass and indexed.  The real run gives
#: the field an index of the store (``_ensure_match_index``); a dry run makes
#: no DDL on the store (a CREATE INDEX locks out writers while it builds), and
#: without an index each row was a scan of profiles: 20,500 rows at 175,693
#: profiles took 717 s against 7 s for the real run.
DRY_RUN_KEYS = "import_match_keys"


def _dry_run_keys(conn: Connection, run: _Import) -> Table | None:
    """The dry run's key table, made now on ``conn``, or None: no dry run, a
    match field with an index anyway, or the index a real run made is there."""
    info = run.plan.match.field
    index = _match_index_name(info)
    if not run.ctx.dry_run or index is None or not info.column_name or _has_index(conn, index):
        return None
    column = run.ctx.store.profiles.c[info.column_name]
    quote = conn.dialect.identifier_preparer.quote
    key = quote(column.name)
    if index == EMAIL_MATCH_INDEX:
        key = f"lower({key})"
    where = "pg_temp." if conn.dialect.name == "postgresql" else "temp."
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {where}{DRY_RUN_KEYS}")
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {DRY_RUN_KEYS} AS SELECT {key} AS k, id "
        f"FROM profiles WHERE database_id = {int(run.ctx.database_id)} "
        f"AND {quote(column.name)} IS NOT NULL"
    )
    conn.exec_driver_sql(f"CREATE INDEX {DRY_RUN_KEYS}_k ON {DRY_RUN_KEYS} (k, id)")
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"ANALYZE {DRY_RUN_KEYS}")
    return Table(DRY_RUN_KEYS, MetaData(), Column("k", column.type), Column("id", BigInteger))


def _joined_to_matches(run: _Import, pending: Any, key: Any) -> tuple[Any, Any]:
    """``pending`` outer-joined to the database's profiles whose match field is
    ``key`` (as ``_comparable`` compares it), and the column of their ids (SQLite)."""
    if run.keys is not None:
        keys = run.keys
        return pending.outerjoin(keys, keys.c.k == key), keys.c.id
    info = run.plan.match.field
    mp = run.ctx.store.profiles.alias("mp")
    if info.type.is_list:
        lv = m.ProfileListValue.__table__.alias("lv")
        found = (
            select(lv.c.profile_id.label("id"), lv.c.value.label("key"))
            .join(mp, mp.c.id == lv.c.profile_id)
            .where(lv.c.field_id == info.id, mp.c.database_id == run.ctx.database_id)
            .subquery("found")
        )
        return pending.outerjoin(found, found.c.key == key), found.c.id
    plain = mp.c[info.column_name or "id"]
    column = _comparable(run, plain)
    database: ColumnElement[Any] = mp.c.database_id
    if column is not plain:
        # lower(email), joined directly (through a sub-select SQLite does not see
        # its expression index); "+ 0" keeps it from walking the index of
        # (database_id, email) for the database alone: 20,000 rows at 200,000
        # profiles took 8.5 minutes that way, 3.0 s through the index.
        database = database + 0
    on = and_(column == key, database == run.ctx.database_id)
    return pending.outerjoin(mp, on), mp.c.id


def _match_of(run: _Import, key: Any) -> Select[Any]:
    """How many of the database's profiles have ``key`` in their match field,
    and the smallest and largest of their ids (one row, correlated to ``key``).
    The count(*) keeps PostgreSQL from turning min/max into index walks."""
    if run.keys is not None:
        ids = run.keys.c.id
        return select(
            func.count().label("n"), func.min(ids).label("low"), func.max(ids).label("high")
        ).where(run.keys.c.k == key)
    info = run.plan.match.field
    mp = run.ctx.store.profiles.alias("mp")
    if info.type.is_list:
        lv = m.ProfileListValue.__table__.alias("lv")
        return (
            select(
                func.count().label("n"),
                func.min(lv.c.profile_id).label("low"),
                func.max(lv.c.profile_id).label("high"),
            )
            .select_from(lv.join(mp, mp.c.id == lv.c.profile_id))
            .where(lv.c.field_id == info.id, lv.c.value == key)
            .where(mp.c.database_id == run.ctx.database_id)
        )
    column = _comparable(run, mp.c[info.column_name or "id"])
    return select(
        func.count().label("n"), func.min(mp.c.id).label("low"), func.max(mp.c.id).label("high")
    ).where(mp.c.database_id == run.ctx.database_id, column == key)


def _classify(conn: Connection, run: _Import, lo: int, hi: int) -> None:
    """ONE update of the batch's pending rows: the matching profile, the
    outcome (added, updated, or why not), and the id of a profile to add (from
    the sequence on PostgreSQL; on SQLite after the largest id, the write lock
    being held, leaving gaps for the rows that add nothing)."""
    rows, mode = run.tables.rows, run.plan.spec.mode
    looked = _looked_up(run, lo, hi, conn.dialect.name)
    found = looked.c.low.is_not(None)
    whens: list[tuple[ColumnElement[bool], Any]] = []
    # A row without a key cannot be found again: importing the file twice would
    # add it twice.  It is not imported, in every mode.
    whens.append((looked.c.k.is_(None), literal("no_match_key")))
    whens.append((and_(found, looked.c.high != looked.c.low), literal("ambiguous_match")))
    if mode == "update":
        whens.append((~found, literal("not_found")))
    if mode == "add":
        whens.append((found, literal("already_exists")))
    whens.append((found, literal(UPDATED)))
    values: dict[str, Any] = {
        "profile_id": looked.c.low,
        "other_id": looked.c.high,
        "outcome": case(*whens, else_=literal(ADDED)),
    }
    if mode != "update" and not run.ctx.dry_run:
        values["new_id"] = case((~found, _new_id(conn, rows, lo)), else_=None)
    conn.execute(
        update(rows).where(rows.c.row == looked.c.row, _in_batch(rows, lo, hi)).values(values)
    )
    _mark_unchanged(conn, run, lo, hi)


def _mark_unchanged(conn: Connection, run: _Import, lo: int, hi: int) -> None:
    """Matched rows whose every imported value the profile already has become
    ``unchanged``: nothing is written for them and no field trigger starts
    (importing the same file twice changes nothing the second time)."""
    rows, items = run.tables.rows, run.tables.items
    clears = run.plan.spec.empty_clears
    p = run.ctx.store.profiles.alias("cur")
    same: list[ColumnElement[bool]] = []
    for c in _written_columns(run):
        new = rows.c[st.value_column(c.index)]
        if c.new:  # a field a dry run would create: no profile has a value yet
            same.append(new.is_(None))
            continue
        equal = new.is_not_distinct_from(p.c[c.field.column_name or ""])
        same.append(equal if clears else or_(new.is_(None), equal))
    profile_same = probe(select(p.c.id).where(p.c.id == rows.c.profile_id, *same))
    conditions = [profile_same, *(_same_items(run, c, rows, items) for c in run.plan.list_columns)]
    conn.execute(
        update(rows)
        .where(_in_batch(rows, lo, hi), rows.c.outcome == UPDATED, *conditions)
        .values(outcome=UNCHANGED)
    )


def _same_items(run: _Import, c: ColumnPlan, rows: Any, items: Any) -> ColumnElement[bool]:
    """The profile's items of a list field are the row's (or the cell was empty
    and empty cells keep the value)."""
    lv = m.ProfileListValue.__table__.alias("have")
    mine = items.alias("mine")
    have = lv.c.profile_id == rows.c.profile_id, lv.c.field_id == c.field.id
    row_items = mine.c.row == rows.c.row, mine.c.col == c.index
    # Correlated by name: two levels down SQLAlchemy does not correlate on its
    # own, and the inner queries got a FROM of every staged row of their own
    # (a scan per item, 20,000 unchanged rows took 21 s; and a profile holding
    # another row's phone counted as holding this row's).
    has_it = select(lv.c.value).where(*have, lv.c.value == mine.c.value).correlate(rows, mine)
    missing = select(mine.c.value).where(*row_items, ~probe(has_it)).correlate(rows)
    gave_it = select(mine.c.value).where(*row_items, mine.c.value == lv.c.value).correlate(rows, lv)
    extra = select(lv.c.value).where(*have, ~probe(gave_it)).correlate(rows)
    equal = and_(~probe(missing), ~probe(extra))
    given = rows.c[st.given_column(c.index)]
    return equal if run.plan.spec.empty_clears else or_(given.is_(False), equal)


def _new_id(conn: Connection, rows: Any, lo: int) -> Any:
    if conn.dialect.name == "postgresql":
        return func.nextval(func.pg_get_serial_sequence("profiles", "id"))
    base = conn.execute(select(func.coalesce(func.max(m.Profile.id), 0))).scalar_one()
    return rows.c.row - lo + int(base) + 1


def _written_columns(run: _Import) -> list[ColumnPlan]:
    """Scalar columns whose values are written (``id`` only matches)."""
    return [c for c in run.plan.scalar_columns if c.field.key != "id"]


def _insert_profiles(conn: Connection, run: _Import, batch: ColumnElement[bool]) -> None:
    rows, p, now = run.tables.rows, run.ctx.store.profiles, run.ctx.now
    columns = _written_columns(run)
    names = ["id", "database_id", "global_status", "created_at", "updated_at"]
    source = [
        rows.c.new_id,
        literal(run.ctx.database_id),
        literal("subscribed"),
        literal(now, p.c.created_at.type),
        literal(now, p.c.updated_at.type),
    ]
    for c in columns:
        names.append(c.field.column_name or "")
        source.append(rows.c[st.value_column(c.index)])
    conn.execute(
        insert(p).from_select(names, select(*source).where(batch, rows.c.outcome == ADDED))
    )


def _update_profiles(conn: Connection, run: _Import, batch: ColumnElement[bool]) -> None:
    rows, p = run.tables.rows, run.ctx.store.profiles
    values: dict[Any, Any] = {p.c.updated_at: run.ctx.now}
    for c in _written_columns(run):
        target = p.c[c.field.column_name or ""]
        new = rows.c[st.value_column(c.index)]
        values[target] = new if run.plan.spec.empty_clears else func.coalesce(new, target)
    conn.execute(
        update(p)
        .where(p.c.id == rows.c.profile_id, batch, rows.c.outcome == UPDATED)
        .values(values)
    )


def _profile_id(rows: Any) -> ColumnElement[int]:
    return func.coalesce(rows.c.profile_id, rows.c.new_id)


def _replace_items(conn: Connection, run: _Import, batch: ColumnElement[bool]) -> None:
    """List columns replace the profile's items (an empty cell keeps them, unless
    "empty cells clear the value")."""
    rows, items = run.tables.rows, run.tables.items
    lv = m.ProfileListValue
    imported = rows.c.outcome.in_((ADDED, UPDATED))
    for c in run.plan.list_columns:
        given = rows.c[st.given_column(c.index)]
        replaced = and_(batch, rows.c.outcome == UPDATED)
        if not run.plan.spec.empty_clears:
            replaced = and_(replaced, given.is_(True))
        conn.execute(
            delete(lv).where(
                lv.field_id == c.field.id,
                lv.profile_id.in_(select(rows.c.profile_id).where(replaced)),
            )
        )
        source = (
            select(_profile_id(rows), literal(c.field.id), items.c.value)
            .select_from(items.join(rows, rows.c.row == items.c.row))
            .where(batch, imported, items.c.col == c.index)
        )
        conn.execute(insert(lv).from_select(["profile_id", "field_id", "value"], source))


def _record_task_profiles(conn: Connection, run: _Import, batch: ColumnElement[bool]) -> None:
    rows = run.tables.rows
    source = select(literal(run.task_id), rows.c.row, _profile_id(rows), rows.c.outcome).where(
        batch, rows.c.outcome.in_((ADDED, UPDATED, UNCHANGED, "already_exists"))
    )
    conn.execute(
        insert(m.TaskProfile).from_select(["task_id", "position", "profile_id", "outcome"], source)
    )


def _subscribe(conn: Connection, run: _Import, batch: ColumnElement[bool]) -> None:
    """Subscribe the batch's imported profiles (the subscribe_from_fields rules)."""
    params = run.subscribe
    if params is None:
        return
    rows = run.tables.rows
    imported = and_(batch, rows.c.outcome.in_((ADDED, UPDATED, UNCHANGED)))
    outcome = subscribe_from_fields.outcome_of(params)
    conn.execute(update(rows).where(imported).values(sub_outcome=outcome(_profile_id(rows))))
    changed = select(_profile_id(rows)).where(imported, rows.c.sub_outcome == "changed")
    subs.write_subscriptions_for(conn, run.ctx, params.target, changed, params.contact.contact_for)
    target = params.target
    trigger = subs.subscription_triggers(target.resource_id, target.channel)
    insert_trigger_events(conn, run.ctx, trigger, changed)


def _field_triggers(conn: Connection, run: _Import, batch: ColumnElement[bool]) -> None:
    """``field_updated`` triggers for the updated profiles (a trigger naming a
    field only when a column of that field was imported)."""
    rows = run.tables.rows
    t = m.Trigger
    fields = [c.field.id for c in run.plan.columns if c.field.key != "id"]
    kind = and_(t.kind == "field_updated", or_(t.field_id.is_(None), t.field_id.in_(fields)))
    updated = select(rows.c.profile_id).where(batch, rows.c.outcome == UPDATED)
    insert_trigger_events(conn, run.ctx, kind, updated)


def _advance(
    conn: Connection, run: _Import, lo: int, hi: int, batch: ColumnElement[bool], events: int
) -> None:
    rows = run.tables.rows
    counts: dict[Any, Any] = dict(
        conn.execute(
            select(rows.c.outcome, func.count())
            .where(batch, rows.c.outcome != "duplicate_in_file")
            .group_by(rows.c.outcome)
        )
        .tuples()
        .all()
    )
    summary = run.summary
    changed = summary.changed + int(counts.pop(ADDED, 0)) + int(counts.pop(UPDATED, 0))
    skipped = dict(summary.skipped)
    for reason, n in counts.items():
        skipped[str(reason)] = skipped.get(str(reason), 0) + int(n)
    advanced = conn.execute(
        update(m.Task)
        .where(m.Task.id == run.task_id, m.Task.processed == lo, m.Task.runner == runner_id())
        .values(
            processed=hi,
            changed=changed,
            skipped=skipped,
            trigger_events=summary.trigger_events + events,
            heartbeat_at=m.utcnow(),
        )
    ).rowcount
    if advanced != 1:
        raise TaskError(f"task {run.task_id} was taken over by another process")
    summary.processed, summary.changed, summary.skipped = hi, changed, skipped
    summary.trigger_events += events


# -- the end -------------------------------------------------------------------------
def _finish(store: Store, run: _Import, status: str, error: str | None) -> None:
    kept = _keep_rejects(store, run)
    _remember_outcomes(store, run, kept)
    _record_status(store, run, status, error)
    if status in ("completed", "failed"):  # a failed import cannot be resumed
        with store.begin() as conn:
            st.drop(conn, run.tables)
        if not run.ctx.dry_run:
            store.analyze()  # the planner's picture of profiles after a bulk load


def _record_status(store: Store, run: _Import, status: str, error: str | None) -> None:
    values: dict[str, Any] = {"status": status, "error": error, "heartbeat_at": m.utcnow()}
    if status != "interrupted":
        values["finished_at"] = m.utcnow()
    with store.begin() as conn:
        conn.execute(update(m.Task).where(m.Task.id == run.task_id).values(**values))
    run.summary.status = status
    run.summary.error = error.splitlines()[0] if error else None


def _remember_outcomes(store: Store, run: _Import, kept: dict[str, str | None]) -> None:
    """Keep added/updated and the subscription outcomes in the task's document
    (``result``): the staging tables that hold them are dropped next."""
    rows = run.tables.rows
    with store.begin() as conn:
        outcomes: dict[Any, Any] = dict(
            conn.execute(select(rows.c.outcome, func.count()).group_by(rows.c.outcome))
            .tuples()
            .all()
        )
        subs_counts: dict[Any, Any] = dict(
            conn.execute(
                select(rows.c.sub_outcome, func.count())
                .where(rows.c.sub_outcome.is_not(None))
                .group_by(rows.c.sub_outcome)
            )
            .tuples()
            .all()
        )
        job = conn.execute(select(m.Task.job).where(m.Task.id == run.task_id)).scalar_one()
        job = dict(job)
        job["result"] = {
            ADDED: int(outcomes.get(ADDED, 0)),
            UPDATED: int(outcomes.get(UPDATED, 0)),
            "subscriptions": {str(k): int(v) for k, v in subs_counts.items()},
            **kept,
        }
        conn.execute(update(m.Task).where(m.Task.id == run.task_id).values(job=job))


def _reject_rows(conn: Connection, run: _Import) -> Iterator[tuple[Any, ...]]:
    """line, column, value, reason of every row not imported, in file order."""
    rejects, rows = run.tables.rejects, run.tables.rows
    plan = run.plan
    key = st.match_key(run.tables, plan)
    skipped = rows.c.outcome.in_(tuple(k for k in NOT_IMPORTED if k != "rejected"))
    first = select(rejects.c.row, rejects.c.line, rejects.c.col, rejects.c.value, rejects.c.reason)
    second = select(
        rows.c.row,
        rows.c.line,
        literal(plan.match.name),
        key,
        rows.c.outcome,
    ).where(skipped)
    merged = first.union_all(second).subquery()
    result = conn.execution_options(yield_per=5000).execute(
        select(merged.c[1], merged.c[2], merged.c[3], merged.c[4]).order_by(merged.c[0])
    )
    for line, col, value, reason in result:
        yield line, col or "", "" if value is None else str(value), NOT_IMPORTED.get(reason, reason)


def _keep_rejects(store: Store, run: _Import) -> dict[str, str | None]:
    """Write the rows not imported before their staging tables go.  When the
    file named cannot be written now (the disk filled up since the check),
    they go to the log folder instead; only if that fails too are they lost.
    Returns where they went and why, for the task's result (empty: as asked).
    The job document (the spec a resume reads) keeps the file the operator named."""
    target = run.plan.spec.rejects
    try:
        _write_rejects(store, run, target)
        return {}
    except Exception as exc:  # whatever it was, the rows must go somewhere
        log_exception(exc, f"writing the rejects of task {run.task_id} to {target}")
        reason = f"could not write {target}: {getattr(exc, 'strerror', None) or exc}"
    fallback = str(log_dir() / f"rejects-of-task-{run.task_id}.csv")
    try:
        _write_rejects(store, run, fallback)
        note = f"{reason}; written to {fallback} instead"
    except Exception as again:
        log_exception(again, f"writing the rejects of task {run.task_id} to {fallback}")
        fallback, note = "", f"{reason}; the rows not imported were not kept (see the log)"
    return {"rejects_file": fallback or None, "rejects_problem": note}


def _write_rejects(store: Store, run: _Import, target: str | None) -> None:
    """The rows not imported as CSV: to the file named (replaced whole at the
    end, never half-written), or to standard output for ``-``."""
    if not target:
        return
    if target == STDOUT:
        with store.engine.connect() as conn:
            _write_reject_csv(sys.stdout, conn, run)
        sys.stdout.flush()
        return
    path = Path(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with (
            os.fdopen(fd, "w", encoding="utf-8", newline="") as out,
            store.engine.connect() as conn,
        ):
            _write_reject_csv(out, conn, run)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_reject_csv(out: TextIO, conn: Connection, run: _Import) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["line", "column", "value", "reason"])
    for line, column, value, reason in _reject_rows(conn, run):
        writer.writerow([line, escape_text(column), escape_text(value), reason])


def import_summary(store: Store, task_id: int) -> ImportSummary:
    """The summary of an import task from its record (and staging tables if kept)."""
    with store.begin() as conn:
        row = conn.execute(select(m.Task.__table__).where(m.Task.id == task_id)).first()
    if row is None or row.action_type != IMPORT_TYPE:
        raise TaskError(f"no import task with id {task_id}")
    job = dict(row.job or {})
    result = job.get("result") or {}
    skipped = {str(k): int(v) for k, v in (row.skipped or {}).items()}
    unchanged = skipped.pop(UNCHANGED, 0)
    return ImportSummary(
        task_id=task_id,
        status=row.status,
        dry_run=bool(row.dry_run),
        rows=row.selected,
        processed=row.processed,
        added=int(result.get(ADDED, 0)),
        updated=int(result.get(UPDATED, 0)),
        unchanged=unchanged,
        not_imported=skipped,
        subscriptions=dict(result.get("subscriptions") or {}),
        trigger_events=row.trigger_events,
        new_fields=sorted(job.get("new_fields") or job.get("created_fields") or {}),
        rejects_file=result.get("rejects_file", job.get("rejects")),
        rejects_problem=result.get("rejects_problem"),
        error=(row.error or "").splitlines()[0] if row.error else None,
    )
