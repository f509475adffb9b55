"""Benchmark: each update action through the job runner vs hand-written SQL.

    .venv/bin/python bench/bench_actions.py [--profiles 1000000] [--range 30]
        [--db postgresql+psycopg://user@host:port/postgres]
        [--dir /tmp/bulkprofiles-bench] [--reuse] [--only update_fields,...]
        [--repeat N] [--journal]

Makes (or with ``--reuse`` reuses) a demo store of N profiles (seed 7): an
SQLite file under ``--dir``, or with ``--db`` (a PostgreSQL server URL; its
role must be allowed to create databases) the database
``bpbench_demo_<N>`` on that server.  Then for every action in ``ACTIONS`` it
runs, each in its own process on a fresh copy of that store (a file copy; on
PostgreSQL ``CREATE DATABASE ... TEMPLATE``):

- the action as a job (``jobs.run_job``: validation, frozen selection,
  batches with outcomes and counters) on a ~``range`` % selection;
- the same change written by hand as a few set-based SQL statements (with
  temporary tables where a DBA would use them) on the same selection.

With ``--journal`` the job is also run without its journal
(``Settings.journal`` off) on a third copy, and the journalled job is then
reverted in the same process: a second table gives the journal's cost (job
with / without) and the revert's time against the job's.  ``--repeat N`` runs
each side N times, alternately (job, SQL, job, ...: the machine is shared),
and the tables give medians.  The load average is printed before and after.

It prints a Markdown table: wall time of each, their ratio, the ratio of the
processes' CPU time (on SQLite all the work is in the process, and CPU time
is what other work on a shared machine disturbs least; on PostgreSQL the
server does the work, so it says little there), peak memory
(``ru_maxrss`` of the process, so it includes Python, SQLAlchemy and SQLite's
page cache) and the longest gap between two progress reports of the job.
It also gives the time of the job's own bookkeeping statements, which the
hand SQL has no part in (``BOOKKEEPING``: the freeze into ``task_profiles``,
every write of its outcomes, the outcome counts and the journal), timed in
the process around each statement (on PostgreSQL that includes the server's
work), and the ratio of the rest of the job to the SQL.  The split is rough
both ways: a statement that also does the action's work counts whole (the
freeze also evaluates the selection, which the hand SQL does too; an action
classifying straight into ``task_profiles`` also looks things up there),
while commits, which write the bookkeeping's pages too, count as the rest.
This is a script, not a test; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bulkprofiles_gui.core import models as m  # noqa: E402
from bulkprofiles_gui.core.store import Store, open_store  # noqa: E402

DATABASE = "Demo customers"
UNSAFE = "('unsubscribed', 'complainer', 'hardbounced', 'invalid')"

EXAMPLES = ROOT / "examples"


def example_action(name: str) -> dict[str, Any]:
    """The action of ``examples/<name>.json`` (the selection is the benchmark's own)."""
    job = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    action: dict[str, Any] = job["action"]
    return action


#: The action of each job.  The example files' actions where they are the job
#: measured; update_fields is its own on purpose: three changes of three kinds
#: in one job (set a text, increment a number, add a tag: both the profiles
#: UPDATE and the list-values INSERT), where the example sets a city and adds a
#: tag.  The hand-written baselines below repeat these parameters.
JOBS: dict[str, dict[str, Any]] = {
    "update_fields": {
        "type": "update_fields",
        "changes": [
            {"field": "city", "op": "set", "value": "Berlin"},
            {"field": "bonus_points", "op": "increment", "value": 10},
            {"field": "tags", "op": "add", "value": ["bench"]},
        ],
    },
    "subscribe_from_fields": example_action("subscribe-from-fields-newsletter"),
    "subscribe_from_resource": example_action("subscribe-from-resource-sms-alerts"),
    "update_subscriptions": example_action("update-subscriptions-unsubscribe-bounced"),
    "promo_codes": example_action("promo-codes-attach-winter-sale"),
    "delete_profiles": example_action("delete-profiles-inactive"),
    "global_unsubscribe": example_action("global-unsubscribe-complainers"),
}


def selection_rules() -> dict[str, Any]:
    """A condition every profile meets (delete/unsubscribe need one); the range does the rest."""
    return {
        "combinator": "and",
        "not": False,
        "rules": [{"field": "id", "operator": ">", "value": 0}],
    }


def sel(alias: str = "p") -> str:
    """The same selection in hand-written SQL: database, range key, id > 0."""
    a = f"{alias}." if alias else ""
    return f"{a}database_id = :db AND ({a}id * 618033989) % 1000000000 < :hi AND {a}id > 0"


# -- hand-written SQL baselines ----------------------------------------------------
def _ids(conn: Connection) -> dict[str, Any]:
    db = conn.execute(
        select(m.ProfileDatabase.id).where(m.ProfileDatabase.name == DATABASE)
    ).scalar_one()
    fields = {
        k: (i, c)
        for k, i, c in conn.execute(
            select(m.Field.key, m.Field.id, m.Field.column_name).where(m.Field.database_id == db)
        )
    }
    resources = dict(conn.execute(select(m.Resource.name, m.Resource.id)).tuples().all())
    programs = dict(conn.execute(select(m.LoyaltyProgram.name, m.LoyaltyProgram.id)).tuples().all())
    return {"db": db, "fields": fields, "resources": resources, "programs": programs}


def _triggers(source: str, kind_filter: str) -> str:
    """INSERT the outbox rows for the profiles ``source`` yields (column ``id``)."""
    return (
        "INSERT INTO trigger_events (trigger_id, profile_id, created_at) "
        f"SELECT t.id, x.id, :now FROM ({source}) x JOIN triggers t ON t.active "
        f"AND (t.database_id IS NULL OR t.database_id = :db) AND {kind_filter}"
    )


def baseline(store: Store, conn: Connection, action: str, hi: int) -> int:
    """Run the hand-written statements; returns the number of profiles changed."""
    ids = _ids(conn)
    now = m.utcnow()
    params: dict[str, Any] = {"db": ids["db"], "hi": hi, "now": now}
    regexp = "~" if store.dialect == "postgresql" else "REGEXP"

    def run(sql: str, **extra: Any) -> int:
        return int(conn.execute(text(sql), {**params, **extra}).rowcount or 0)

    if action == "update_fields":
        city_f = ids["fields"]["city"][0]
        bonus_f, bonus_c = ids["fields"]["bonus_points"]
        tags_f = ids["fields"]["tags"][0]
        no_tag = (
            "NOT EXISTS (SELECT 1 FROM profile_list_values v WHERE v.profile_id = p.id "
            "AND v.field_id = :tags_f AND v.value = 'bench')"
        )
        run(
            "INSERT INTO trigger_events (trigger_id, profile_id, created_at) "
            "SELECT t.id, p.id, :now FROM profiles p JOIN triggers t ON t.active "
            "AND t.kind = 'field_updated' AND (t.database_id IS NULL OR t.database_id = :db) "
            f"WHERE {sel()} AND (t.field_id IS NULL OR t.field_id = :bonus_f "
            "OR (t.field_id = :city_f AND (p.city IS NULL OR p.city <> 'Berlin')) "
            f"OR (t.field_id = :tags_f AND {no_tag}))",
            bonus_f=bonus_f,
            city_f=city_f,
            tags_f=tags_f,
        )
        changed = run(
            f"UPDATE profiles SET city = 'Berlin', {bonus_c} = COALESCE({bonus_c}, 0) + 10, "
            f"updated_at = :now WHERE {sel('')}"
        )
        run(
            "INSERT INTO profile_list_values (profile_id, field_id, value) "
            f"SELECT p.id, :tags_f, 'bench' FROM profiles p WHERE {sel()} AND {no_tag}",
            tags_f=tags_f,
        )
        return changed
    if action == "subscribe_from_fields":
        r = ids["resources"]["Newsletter"]
        run(temp_table("elig", "id", "contact VARCHAR(255)"))
        run(
            "INSERT INTO elig (id, contact) SELECT p.id, p.email FROM profiles p "
            f"WHERE {sel()} AND p.email IS NOT NULL AND p.email <> '' "
            f"AND p.email {regexp} :re AND NOT EXISTS (SELECT 1 FROM subscriptions s "
            "WHERE s.profile_id = p.id AND s.resource_id = :r AND s.channel = 'email' "
            f"AND (s.status IN {UNSAFE} OR (s.status = 'subscribed' AND s.contact = p.email)))",
            r=r,
            re=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        )
        return _write_subscriptions(run, r, "email")
    if action == "subscribe_from_resource":
        a, b = ids["resources"]["Shop"], ids["resources"]["SMS alerts"]
        run(temp_table("elig", "id", "contact VARCHAR(255)"))
        run(
            "INSERT INTO elig (id, contact) SELECT p.id, src.contact FROM profiles p "
            "JOIN subscriptions src ON src.profile_id = p.id AND src.resource_id = :a "
            f"AND src.channel = 'sms' WHERE {sel()} AND src.status NOT IN {UNSAFE} "
            "AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.profile_id = p.id "
            f"AND s.resource_id = :b AND s.channel = 'sms' AND (s.status IN {UNSAFE} "
            "OR (s.status = 'subscribed' AND s.contact = src.contact)))",
            a=a,
            b=b,
        )
        return _write_subscriptions(run, b, "sms")
    if action == "update_subscriptions":
        r = ids["resources"]["Newsletter"]
        run(temp_table("elig", "id"))
        run(
            "INSERT INTO elig (id) SELECT s.profile_id FROM subscriptions s "
            f"JOIN profiles p ON p.id = s.profile_id WHERE {sel()} AND s.resource_id = :r "
            "AND s.channel = 'email' AND s.status <> 'unsubscribed'",
            r=r,
        )
        run(
            _triggers(
                "SELECT id FROM elig",
                "t.kind = 'subscription' AND (t.resource_id IS NULL OR t.resource_id = :r) "
                "AND (t.channel IS NULL OR t.channel = 'email')",
            ),
            r=r,
        )
        return run(
            "UPDATE subscriptions SET status = 'unsubscribed', updated_at = :now "
            "WHERE resource_id = :r AND channel = 'email' AND profile_id IN (SELECT id FROM elig)",
            r=r,
        )
    if action == "promo_codes":
        prog = ids["programs"]["Winter sale"]
        run(temp_table("elig", "rn", "id BIGINT"))
        run(
            "INSERT INTO elig (rn, id) SELECT row_number() OVER (ORDER BY p.id), p.id "
            f"FROM profiles p WHERE {sel()} AND NOT EXISTS (SELECT 1 FROM promo_codes c "
            "WHERE c.program_id = :prog AND c.profile_id = p.id)",
            prog=prog,
        )
        run(temp_table("assign", "code_id", "profile_id BIGINT"))
        run(
            "INSERT INTO assign (code_id, profile_id) SELECT f.id, e.id FROM "
            "(SELECT c.id, row_number() OVER (ORDER BY c.id) AS rn FROM promo_codes c "
            "WHERE c.program_id = :prog AND c.status = 'free') f JOIN elig e ON e.rn = f.rn",
            prog=prog,
        )
        changed = run(
            "UPDATE promo_codes SET status = 'attached', attached_at = :now, profile_id = "
            "(SELECT a.profile_id FROM assign a WHERE a.code_id = promo_codes.id) "
            "WHERE id IN (SELECT code_id FROM assign)"
        )
        run(
            _triggers(
                "SELECT profile_id AS id FROM assign",
                "t.kind = 'promo_attached' AND (t.program_id IS NULL OR t.program_id = :prog)",
            ),
            prog=prog,
        )
        return changed
    if action == "delete_profiles":
        from bulkprofiles_gui.core.actions.delete_profiles import inactivity_cutoff

        cut = dt.datetime.combine(inactivity_cutoff(now.date(), 4), dt.time())
        return run(
            f"DELETE FROM profiles WHERE {sel('')} AND created_at < :cut "
            "AND (last_interaction_at IS NULL OR last_interaction_at < :cut) "
            "AND NOT EXISTS (SELECT 1 FROM events e WHERE e.profile_id = profiles.id "
            "AND e.occurred_at >= :cut)",
            cut=cut,
        )
    if action == "global_unsubscribe":
        return run(
            "UPDATE profiles SET global_status = 'unsubscribed', updated_at = :now "
            f"WHERE {sel('')} AND global_status <> 'unsubscribed'"
        )
    raise SystemExit(f"no baseline for {action}")


def temp_table(name: str, key: str, *columns: str) -> str:
    """A temporary table keyed (indexed) by ``key``, as a DBA would make it."""
    rest = "".join(f", {c}" for c in columns)
    return f"CREATE TEMPORARY TABLE {name} ({key} BIGINT PRIMARY KEY{rest})"


def _write_subscriptions(run: Any, resource_id: int, channel: str) -> int:
    """Triggers, update of the existing, insert of the missing subscriptions for ``elig``."""
    run(
        _triggers(
            "SELECT id FROM elig",
            "t.kind = 'subscription' AND (t.resource_id IS NULL OR t.resource_id = :r) "
            "AND (t.channel IS NULL OR t.channel = :ch)",
        ),
        r=resource_id,
        ch=channel,
    )
    updated = run(
        "UPDATE subscriptions SET status = 'subscribed', updated_at = :now, contact = "
        "(SELECT e.contact FROM elig e WHERE e.id = subscriptions.profile_id) "
        "WHERE resource_id = :r AND channel = :ch AND profile_id IN (SELECT id FROM elig)",
        r=resource_id,
        ch=channel,
    )
    inserted = run(
        "INSERT INTO subscriptions (profile_id, resource_id, channel, contact, status, "
        "created_at, updated_at) SELECT e.id, CAST(:r AS INTEGER), CAST(:ch AS VARCHAR(16)), "
        "e.contact, 'subscribed', :now, :now "
        "FROM elig e WHERE NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.profile_id = e.id "
        "AND s.resource_id = :r AND s.channel = :ch)",
        r=resource_id,
        ch=channel,
    )
    return updated + inserted


# -- one case in its own process ---------------------------------------------------------
def run_case(mode: str, action: str, url: str, range_to: float, batch_size: int) -> dict[str, Any]:
    store = open_store(url)
    try:
        if mode == "sql":
            started, cpu = time.perf_counter(), time.process_time()
            with store.begin() as conn:
                changed = baseline(store, conn, action, round(range_to * 10_000_000))
            result: dict[str, Any] = {
                "seconds": time.perf_counter() - started,
                "cpu_seconds": time.process_time() - cpu,
                "changed": changed,
            }
        else:
            result = _run_action(store, action, range_to, batch_size, mode)
    finally:
        store.close()
    result.setdefault("peak_mb", peak_rss_mb())
    return result


def peak_rss_mb() -> float:
    """The process's peak resident memory (VmHWM; ru_maxrss would carry the
    parent's peak across exec on Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


#: The job's statements that keep its record rather than change the store:
#: they write the frozen selection or its outcomes (``task_profiles``), the
#: journal or the archive of deleted profiles, or count the frozen rows or the
#: outcomes (``task_profiles`` or the work table).
BOOKKEEPING = re.compile(
    r"^\s*(INSERT INTO|UPDATE) (task_profiles|journal_\w+|archived_\w+)\b"
    r"|^\s*SELECT\b.*\bFROM (task_profiles|batch_work)\b.*\bGROUP BY\b"
    r"|^\s*SELECT count\(\*\) AS \w+\s+FROM task_profiles\b",
    re.DOTALL,
)


class StatementClock:
    """Sums the time of the engine's statements that ``BOOKKEEPING`` matches."""

    def __init__(self, store: Store) -> None:
        self.seconds = 0.0
        self._started: float | None = None
        event.listen(store.engine, "before_cursor_execute", self._before)
        event.listen(store.engine, "after_cursor_execute", self._after)

    def _before(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self._started = time.perf_counter() if BOOKKEEPING.match(statement) else None

    def _after(self, *_args: Any) -> None:
        if self._started is not None:
            self.seconds += time.perf_counter() - self._started
            self._started = None


def _run_action(
    store: Store, action: str, range_to: float, batch_size: int, mode: str = "action"
) -> dict[str, Any]:
    """The job; mode ``nojournal`` without its journal, mode ``revert`` then
    reverted too (``revert_seconds``, ``restored``, ``conflicts``)."""
    from bulkprofiles_gui.core.config import Settings
    from bulkprofiles_gui.core.jobfile import Job
    from bulkprofiles_gui.core.jobs import run_job
    from bulkprofiles_gui.core.progress import JobState, Progress

    job = Job.from_dict(
        {
            "database": DATABASE,
            "rules": selection_rules(),
            "range": {"from": 0, "to": range_to},
            "action": JOBS[action],
        },
        require_action=True,
    )
    stamps: list[float] = []

    def on_progress(_p: Progress) -> None:
        stamps.append(time.perf_counter())

    settings = Settings(batch_size=batch_size, journal=mode != "nojournal")
    clock = StatementClock(store)
    started, cpu = time.perf_counter(), time.process_time()
    summary = run_job(store, job, JobState(on_progress=on_progress), settings=settings)
    seconds = time.perf_counter() - started
    bookkeeping = clock.seconds
    cpu_seconds = time.process_time() - cpu
    gaps = [b - a for a, b in zip([started, *stamps], [*stamps, started + seconds], strict=True)]
    job_peak = peak_rss_mb()  # before the revert, which may grow it
    reverted = _revert(store, summary.task_id, settings) if mode == "revert" else {}
    return {
        **reverted,
        "peak_mb": job_peak,
        "cpu_seconds": cpu_seconds,
        "seconds": seconds,
        "bookkeeping_seconds": bookkeeping,
        "status": summary.status,
        "error": summary.error,
        "selected": summary.selected,
        "changed": summary.changed,
        "skipped": summary.skipped,
        "trigger_events": summary.trigger_events,
        "reports": len(stamps),
        "max_gap": max(gaps),
        "max_gap_after_freeze": max(gaps[1:], default=0.0),
    }


def _revert(store: Store, task_id: int, settings: Any) -> dict[str, Any]:
    """Revert the task just run; its time and counts."""
    from bulkprofiles_gui.core.progress import JobState
    from bulkprofiles_gui.core.revert import revert_task

    started, cpu = time.perf_counter(), time.process_time()
    summary = revert_task(store, task_id, JobState(), settings=settings)
    return {
        "revert_seconds": time.perf_counter() - started,
        "revert_cpu_seconds": time.process_time() - cpu,
        "revert_status": summary.status,
        "revert_error": summary.error,
        "restored": summary.changed,
        "conflicts": summary.skipped.get("conflict", 0),
    }


# -- driver -------------------------------------------------------------------------------
def make_store(path: Path, profiles: int, reuse: bool) -> None:
    if reuse and path.exists():
        print(f"reusing {path}", file=sys.stderr)
        store = open_store(f"sqlite:///{path}")
        with store.begin() as conn:  # follow index changes of the schema since it was made
            for table in m.Base.metadata.sorted_tables:
                wanted = {index.name for index in table.indexes}
                for found in inspect(conn).get_indexes(table.name):
                    if found["name"] not in wanted:
                        conn.exec_driver_sql(f'DROP INDEX "{found["name"]}"')
                for index in table.indexes:
                    index.create(conn, checkfirst=True)
        store.close()
        return
    from bulkprofiles_gui.core.demo import generate_demo

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    store = open_store(f"sqlite:///{path}", create=True)
    generate_demo(store, profiles=profiles, seed=7, database_name=DATABASE)
    store.close()
    con = sqlite3.connect(path)  # fold the WAL into the file so a plain copy is whole
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    print(
        f"demo store of {profiles:,} profiles in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )


def fresh_copy(pristine: Path, target: Path) -> str:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(pristine, target)
    return f"sqlite:///{target}"


# -- PostgreSQL: the pristine store is a database, copies are made from it as a template
def pg_url(server: str, database: str) -> str:
    return make_url(server).set(database=database).render_as_string(hide_password=False)


def pg_admin(server: str) -> Any:
    """A connection to the server's maintenance database, outside transactions."""
    engine = create_engine(pg_url(server, "postgres"), isolation_level="AUTOCOMMIT")
    return engine


def pg_make_store(server: str, profiles: int, reuse: bool) -> str:
    """The pristine demo database ``bpbench_demo_<N>`` (made unless ``reuse``
    finds it); returns its name."""
    name = f"bpbench_demo_{profiles}"
    admin = pg_admin(server)
    try:
        with admin.connect() as conn:
            found = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).first()
            if found and reuse:
                print(f"reusing database {name}", file=sys.stderr)
                return name
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    from bulkprofiles_gui.core.demo import generate_demo

    started = time.perf_counter()
    store = open_store(pg_url(server, name), create=True)
    generate_demo(store, profiles=profiles, seed=7, database_name=DATABASE)
    store.close()
    print(
        f"demo database of {profiles:,} profiles in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    return name


#: The copy a case runs on: one per benchmark process, so that two people
#: benchmarking on the same server at once do not drop each other's copy.
PG_CASE = f"bpbench_case_{os.getpid()}"


def pg_fresh_copy(server: str, pristine: str, target: str = PG_CASE) -> str:
    """A new database ``target`` copied from ``pristine`` (its template); its URL."""
    admin = pg_admin(server)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{target}" TEMPLATE "{pristine}"'))
            conn.execute(text("CHECKPOINT"))  # the copy's writes are not the next run's cost
    finally:
        admin.dispose()
    return pg_url(server, target)


def pg_drop(server: str, target: str = PG_CASE) -> None:
    admin = pg_admin(server)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)'))
    finally:
        admin.dispose()


class Stores:
    """Where the pristine store is and how a fresh copy of it is made."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.server: str | None = args.db
        if self.server:
            self.pristine_db = pg_make_store(self.server, args.profiles, args.reuse)
            self.backend = "PostgreSQL"
        else:
            self.pristine = args.dir / f"demo-{args.profiles}.sqlite3"
            make_store(self.pristine, args.profiles, args.reuse)
            self.case = args.dir / "case.sqlite3"
            self.backend = "SQLite"

    def fresh(self) -> str:
        if self.server:
            return pg_fresh_copy(self.server, self.pristine_db)
        return fresh_copy(self.pristine, self.case)

    def clean(self) -> None:
        if self.server:
            pg_drop(self.server)
            return
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.case}{suffix}").unlink(missing_ok=True)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def spawn(mode: str, action: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--case",
            mode,
            action,
            "--url",
            url,
            "--range",
            str(args.range),
            "--batch",
            str(args.batch),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "?"}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--range", type=float, default=30.0, help="selection: 0..R %%")
    parser.add_argument(
        "--batch",
        type=int,
        default=50_000,
        help="the runner's largest batch (default: the product's, Settings.batch_size)",
    )
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bulkprofiles-bench"))
    parser.add_argument(
        "--db",
        help="a PostgreSQL server URL (any database on it): measure there instead of SQLite",
    )
    parser.add_argument("--reuse", action="store_true", help="reuse the demo store if present")
    parser.add_argument("--only", help="comma-separated action types")
    parser.add_argument(
        "--journal",
        action="store_true",
        help="also measure the journal: each job again without it, and a revert after it",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the job and the hand-written SQL (and with --journal the job "
        "without its journal) N times each, alternately, and report medians",
    )
    parser.add_argument("--case", nargs=2, metavar=("MODE", "ACTION"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case[0], args.case[1], args.url, args.range, args.batch)))
        return 0

    from bulkprofiles_gui.core.actions import ACTIONS

    stores = Stores(args)
    args.backend = stores.backend
    args.load_before = load()
    print(f"load average before: {args.load_before}", file=sys.stderr)
    wanted = args.only.split(",") if args.only else list(ACTIONS)
    rows = []
    bare_rows: list[tuple[str, list[dict[str, Any]], list[dict[str, Any]]]] = []
    for action in wanted:
        if action not in JOBS:
            print(f"skipping {action}: no benchmark job", file=sys.stderr)
            continue
        jobs, sqls, bares = [], [], []
        for _ in range(args.repeat):
            jobs.append(spawn("revert" if args.journal else "action", action, stores.fresh(), args))
            print(f"{action}: job {jobs[-1]}", file=sys.stderr)
            sqls.append(spawn("sql", action, stores.fresh(), args))
            print(f"{action}: sql {sqls[-1]}", file=sys.stderr)
            if args.journal:
                bares.append(spawn("nojournal", action, stores.fresh(), args))
                print(f"{action}: without journal {bares[-1]}", file=sys.stderr)
        if args.journal:
            bare_rows.append((action, jobs, bares))
        rows.append((action, median_run(jobs), median_run(sqls)))
    stores.clean()
    args.load_after = load()
    print(table(rows, args))
    if bare_rows:
        print()
        print(journal_table(bare_rows))
    return 0


def table(rows: list[tuple[str, dict[str, Any], dict[str, Any]]], args: argparse.Namespace) -> str:
    lines = [
        f"{args.profiles:,} demo profiles, {args.backend}, selection 0-{args.range:g} % "
        f"(range), batch up to {args.batch:,}, medians of {args.repeat} alternating runs; "
        f"CPU: {os.cpu_count()} cores (shared), load average before {args.load_before}, "
        f"after {args.load_after}",
        "",
        "| action | selected | changed (job / SQL) | job s | SQL s | ratio | CPU ratio "
        "| bookkeeping s | ratio without | peak MB job / SQL "
        "| longest progress gap s (after freeze) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for action, job, sql in rows:
        if "seconds" not in job or "seconds" not in sql:
            lines.append(f"| {action} | failed: {job.get('error') or sql.get('error')} |")
            continue
        ratio = job["seconds"] / sql["seconds"] if sql["seconds"] else float("inf")
        cpu = job["cpu_seconds"] / sql["cpu_seconds"] if sql["cpu_seconds"] else float("nan")
        kept = job.get("bookkeeping_seconds", 0.0)
        rest = (job["seconds"] - kept) / sql["seconds"] if sql["seconds"] else float("inf")
        lines.append(
            f"| {action} | {job['selected']:,} | {job['changed']:,} / {sql['changed']:,} "
            f"| {job['seconds']:.2f} | {sql['seconds']:.2f} | {ratio:.2f} | {cpu:.2f} "
            f"| {kept:.2f} | {rest:.2f} | {job['peak_mb']:.0f} / {sql['peak_mb']:.0f} "
            f"| {job['max_gap']:.2f} ({job['max_gap_after_freeze']:.2f}) |"
        )
    return "\n".join(lines)


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The first run with the median time of all (``--repeat``) and the
    highest peak memory; a failed run stands for all."""
    failed = [r for r in runs if "seconds" not in r]
    if failed:
        return failed[0]
    return {
        **runs[0],
        "seconds": statistics.median(r["seconds"] for r in runs),
        "cpu_seconds": statistics.median(r.get("cpu_seconds", 0.0) for r in runs),
        "bookkeeping_seconds": statistics.median(r.get("bookkeeping_seconds", 0.0) for r in runs),
        "peak_mb": max(r["peak_mb"] for r in runs),
    }


def _ratio(tops: list[float], bottoms: list[float]) -> float:
    """The median of the pairs' ratios (pairs ran one after the other)."""
    return statistics.median(t / b for t, b in zip(tops, bottoms, strict=False) if b)


def journal_table(rows: list[tuple[str, list[dict[str, Any]], list[dict[str, Any]]]]) -> str:
    """What the journal costs and what a revert takes (``--journal``): medians
    over the repeats; the ratios are medians of each pair's own ratio (a job
    and the run next to it saw about the same load), in wall time and, in
    brackets, in CPU time of the process (what other work on a shared
    machine disturbs least)."""
    lines = [
        "| action | changed | job s with journal | job s without | journal cost (CPU) "
        "| revert s | revert / job (CPU) | restored | conflicts | runs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for action, jobs, bares in rows:
        failed = [r for r in (*jobs, *bares) if "seconds" not in r] + [
            r for r in jobs if "revert_seconds" not in r
        ]
        if failed:
            why = failed[0].get("error") or failed[0].get("revert_error")
            lines.append(f"| {action} | failed: {why} |")
            continue
        job_s = [r["seconds"] for r in jobs]
        bare_s = [r["seconds"] for r in bares]
        revert_s = [r["revert_seconds"] for r in jobs]
        cost = _ratio([r["seconds"] for r in jobs], [r["seconds"] for r in bares])
        cpu_cost = _ratio([r["cpu_seconds"] for r in jobs], [r["cpu_seconds"] for r in bares])
        back = _ratio(revert_s, job_s)
        cpu_back = _ratio([r["revert_cpu_seconds"] for r in jobs], [r["cpu_seconds"] for r in jobs])
        last = jobs[-1]
        lines.append(
            f"| {action} | {last['changed']:,} | {statistics.median(job_s):.2f} "
            f"| {statistics.median(bare_s):.2f} | {cost:.2f} ({cpu_cost:.2f}) "
            f"| {statistics.median(revert_s):.2f} | {back:.2f} ({cpu_back:.2f}) "
            f"| {last['restored']:,} | {last['conflicts']:,} | {len(jobs)} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
