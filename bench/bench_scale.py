"""Scale: counts and every update action at 1,000,000 and 10,000,000 profiles.

    .venv/bin/python bench/bench_scale.py --db URL_1M --db URL_10M [--share 3] [--batch 5000]
        [--repeat 5] [--only update_fields,...] [--first-slice K] [--counts-only]

Each ``--db`` names a store holding the demo database (seed 1, made with
``bench/bench_demo.py --db URL --profiles N``), typically a PostgreSQL
database each.  For every store, each case runs in its own process (so the
peak memory is the case's own: ``VmHWM``):

- **count**: the three-condition rule of ``bench_select.py`` (city in two
  cities AND age >= 30 AND registered in the last 365 days) through
  ``selection.count`` (compile + execute, as the wizard does), the median of
  ``--repeat`` counts, and the same count written by hand;
- **every update action** as a job (``jobs.run_job``: frozen selection,
  batches with outcomes, counters, triggers and the journal) with the actions
  of ``bench_actions.py``, each on its own slice of the database: action *i*
  selects the range ``i*share .. (i+1)*share`` % (disjoint ranges never
  overlap; ``--first-slice K`` starts at slice K, for a second run), so the
  actions change disjoint profiles, their order does not matter, and each
  store gives the same share to each action: ten times the profiles, ten
  times the selection.

It prints a Markdown table per kind: the figures at each store and, for two
stores, the ratio of times against the ratio of selections (linear growth:
about equal).  **The actions change the databases**: run it on throwaway
copies (``CREATE DATABASE ... TEMPLATE``) or on demo databases made for it.
This is a script, not a test; nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_actions import JOBS, peak_rss_mb, selection_rules  # noqa: E402

from bulkprofiles_gui.core import selection  # noqa: E402
from bulkprofiles_gui.core.demo import DEFAULT_DATABASE_NAME  # noqa: E402
from bulkprofiles_gui.core.store import Store, open_store  # noqa: E402

#: The reference time of the counted rule (that of bench_select.py).
NOW = dt.datetime(2026, 7, 1, 12, 0)
THREE_CONDITIONS = {
    "combinator": "and",
    "not": False,
    "rules": [
        {"field": "city", "operator": "in", "value": ["Berlin", "Paris"]},
        {"field": "age", "operator": ">=", "value": 30},
        {"field": "registered_at", "operator": "inLastDays", "value": 365},
    ],
}


def _median_seconds(call: Any, repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def count_case(store: Store, repeat: int, explain: bool = False) -> dict[str, Any]:
    """The three-condition count, ours (compile + execute) and by hand, and the
    database's total (the wizard's "of M"); medians, and with ``explain`` the plan."""
    with store.begin() as conn:
        db = store.database_id(conn, DEFAULT_DATABASE_NAME)
        fields = {f.key: f for f in store.fields(conn, db)}
        profiles = selection.total(store, conn, db)
    spec = selection.SelectionSpec(db, THREE_CONDITIONS, 0.0, 100.0, 0, now=NOW)

    def ours() -> int:
        with store.begin() as conn:
            return selection.count(store, conn, spec)

    hand_sql = (
        "SELECT count(*) FROM profiles WHERE database_id = :db"
        f" AND city IN ('Berlin', 'Paris') AND {fields['age'].column_name} >= 30"
        " AND registered_at >= :since AND registered_at <= :now"
    )
    params = {"db": db, "since": NOW - dt.timedelta(days=365), "now": NOW}

    def hand() -> int:
        with store.begin() as conn:
            return int(conn.execute(text(hand_sql), params).scalar_one())

    def all_of_database() -> int:
        """The "M" of "N of M": the wizard counts it with every count."""
        with store.begin() as conn:
            return selection.total(store, conn, db)

    ours()  # the first count warms the caches, as the wizard's first count would
    ours_s, ours_n = _median_seconds(ours, repeat)
    hand_s, hand_n = _median_seconds(hand, repeat)
    total_s, _ = _median_seconds(all_of_database, repeat)
    result = {
        "profiles": profiles,
        "count": ours_n,
        "hand_count": hand_n,
        "seconds": ours_s,
        "hand_seconds": hand_s,
        "total_seconds": total_s,
    }
    if explain and store.dialect == "postgresql":
        result["plan"] = count_plan(store, spec)
    return result


def count_plan(store: Store, spec: selection.SelectionSpec) -> str:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of our count, as ``selection.count`` runs it
    (same transaction settings): where its pages come from."""
    from sqlalchemy import func, select

    with store.begin() as conn:
        query = select(func.count()).select_from(store.profiles)
        query = query.where(selection.where_clause(store, conn, spec))
        selection.prepare_count(store, conn)
        compiled = query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
        rows = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS, SETTINGS) {compiled}").all()
    return "\n".join(str(r[0]) for r in rows)


def action_case(store: Store, action: str, index: int, share: float, batch: int) -> dict[str, Any]:
    """The action as a job on its slice ``index*share .. (index+1)*share`` % of the database."""
    from bulkprofiles_gui.core.config import Settings
    from bulkprofiles_gui.core.jobfile import Job
    from bulkprofiles_gui.core.jobs import run_job
    from bulkprofiles_gui.core.progress import JobState, Progress

    job = Job.from_dict(
        {
            "database": DEFAULT_DATABASE_NAME,
            "rules": selection_rules(),
            "range": {"from": index * share, "to": (index + 1) * share},
            "action": JOBS[action],
        },
        require_action=True,
    )
    stamps: list[float] = []

    def on_progress(_p: Progress) -> None:
        stamps.append(time.perf_counter())

    started = time.perf_counter()
    summary = run_job(
        store, job, JobState(on_progress=on_progress), settings=Settings(batch_size=batch)
    )
    seconds = time.perf_counter() - started
    gaps = [b - a for a, b in zip([started, *stamps], [*stamps, started + seconds], strict=True)]
    return {
        "seconds": seconds,
        "status": str(summary.status),
        "selected": summary.selected,
        "changed": summary.changed,
        "max_gap": max(gaps),
    }


def run_in_process(url: str, kind: str, args: argparse.Namespace, index: int = 0) -> dict[str, Any]:
    """One case in a new process; its result is the last line of its output (JSON)."""
    command = [
        sys.executable,
        __file__,
        "--case",
        kind,
        str(index),
        "--url",
        url,
        "--share",
        str(args.share),
        "--batch",
        str(args.batch),
        "--repeat",
        str(args.repeat),
        *(["--explain"] if args.explain else []),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def one_case(args: argparse.Namespace) -> int:
    kind, index = args.case[0], int(args.case[1])
    store = open_store(args.url)
    try:
        if kind == "count":
            result = count_case(store, args.repeat, args.explain)
        else:
            result = action_case(store, kind, index, args.share, args.batch)
    finally:
        store.close()
    result["peak_mb"] = peak_rss_mb()
    print(json.dumps(result))
    return 0


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append", default=[], help="store URL (repeatable)")
    parser.add_argument("--share", type=float, default=3.0, help="%% of the database per action")
    parser.add_argument(
        "--first-slice",
        type=int,
        default=0,
        help="slice of the first action (a second run on the same stores takes fresh profiles)",
    )
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5, help="counts per median")
    parser.add_argument("--only", help="comma-separated action types")
    parser.add_argument("--counts-only", action="store_true")
    parser.add_argument(
        "--explain", action="store_true", help="print the count's EXPLAIN (ANALYZE, BUFFERS)"
    )
    parser.add_argument("--case", nargs=2, metavar=("KIND", "INDEX"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        return one_case(args)
    if not args.db:
        parser.error("give at least one --db URL")

    print(f"load average before (1, 5, 15 min): {_load()} on {os.cpu_count()} CPUs", flush=True)
    counts = [run_in_process(url, "count", args) for url in args.db]
    print(
        "\n| store | profiles | count | ours s | hand SQL s | ratio | all of the database s"
        " | peak MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for url, c in zip(args.db, counts, strict=True):
        if "error" in c:
            print(f"| {url} | error: {c['error']} |")
            continue
        print(
            f"| {url.rsplit('/', 1)[-1]} | {c['profiles']:,} | {c['count']:,} | {c['seconds']:.3f}"
            f" | {c['hand_seconds']:.3f} | {c['seconds'] / c['hand_seconds']:.2f}"
            f" | {c['total_seconds']:.3f} | {c['peak_mb']:.0f} |",
            flush=True,
        )
    for url, c in zip(args.db, counts, strict=True):
        if c.get("plan"):
            print(f"\nplan of the count on {url.rsplit('/', 1)[-1]}:\n{c['plan']}", flush=True)
    print(f"load average after the counts: {_load()}", flush=True)
    if args.counts_only:
        return 0

    actions = list(JOBS)
    wanted = set(args.only.split(",")) if args.only else set(actions)
    names = [url.rsplit("/", 1)[-1] for url in args.db]
    head = " | ".join(f"{n}: selected / changed / job s / peak MB / gap s" for n in names)
    ratio = " | time ratio / selection ratio" if len(args.db) == 2 else ""
    print(f"\n| action | {head}{ratio} |")
    print("|---|" + "---:|" * (len(names) + (1 if ratio else 0)))
    for index, action in enumerate(actions):
        if action not in wanted:
            continue
        slice_ = args.first_slice + index
        results = [run_in_process(url, action, args, slice_) for url in args.db]
        cells = []
        for r in results:
            if "error" in r:
                cells.append(f"error: {r['error']}")
            else:
                cells.append(
                    f"{r['selected']:,} / {r['changed']:,} / {r['seconds']:.2f}"
                    f" / {r['peak_mb']:.0f} / {r['max_gap']:.2f}"
                )
        tail = ""
        if ratio and all("error" not in r for r in results):
            small, large = results
            tail = (
                f" | {large['seconds'] / small['seconds']:.1f}"
                f" / {large['selected'] / max(small['selected'], 1):.1f}"
            )
        print(f"| {action} | " + " | ".join(cells) + tail + " |", flush=True)
    print(f"\nload average after (1, 5, 15 min): {_load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
