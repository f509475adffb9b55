"""Count latency of selections vs the hand-written SQL of the same rule.

    .venv/bin/python bench/bench_select.py [--db URL] [--profiles 1000000] [--repeat 5]

Without ``--db`` it uses (and on first run creates, with the demo generator,
seed 1) ``bench/out/select_<N>.sqlite3``.  For each rule it prints the median
of ``--repeat`` counts through ``selection.count`` (compile + execute) and of
the same count written by hand as SQL text, with the ratio, and checks that the
two counts agree.  The three are run alternately (ours, our SQL alone, by
hand, ours, ...), so a busy moment of a shared machine falls on all of them;
the load average is printed before and after.  Targets: a three-condition
rule counts in under 0.3 s at 1,000,000 profiles on SQLite (issue 3); a
count costs at most 1.5x the hand-written SQL plus 20 ms (issue 13: the
"overhead" column is what compiling and the catalogue cost beyond our SQL).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bulkprofiles_gui.core import selection  # noqa: E402
from bulkprofiles_gui.core.demo import DEFAULT_DATABASE_NAME, generate_demo  # noqa: E402
from bulkprofiles_gui.core.store import Store, open_store  # noqa: E402

NOW = dt.datetime(2026, 7, 1, 12, 0)


def _group(*rules: dict[str, Any], combinator: str = "and", negate: bool = False) -> dict:
    return {"combinator": combinator, "not": negate, "rules": list(rules)}


def _r(field: str, operator: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


class Names:
    """Column names / ids the hand-written SQL needs (from the schema, as a DBA would)."""

    def __init__(self, store: Store, database_id: int) -> None:
        with store.begin() as conn:
            self.fields = {f.key: f for f in store.fields(conn, database_id)}
            self.resources = dict(
                conn.execute(text("SELECT name, id FROM resources")).tuples().all()
            )
        self.db = database_id

    def col(self, key: str) -> str:
        return str(self.fields[key].column_name)

    def fid(self, key: str) -> int:
        return self.fields[key].id


#: (name, rules, range, limit, hand-written SQL (count), its parameters)
Case = tuple[str, dict[str, Any], tuple[float, float], int, str, dict[str, Any]]


def cases(n: Names) -> list[Case]:
    since_365 = NOW - dt.timedelta(days=365)
    since_30 = NOW - dt.timedelta(days=30)
    base = "SELECT count(*) FROM profiles WHERE database_id = :db"
    return [
        (
            "fixed cost: id < 50 AND city = Berlin AND age >= 30 (instant SQL)",
            _group(_r("id", "<", 50), _r("city", "=", "Berlin"), _r("age", ">=", 30)),
            (0, 100),
            0,
            f"{base} AND id < 50 AND city = 'Berlin' AND {n.col('age')} >= 30",
            {},
        ),
        (
            "city = Berlin",
            _group(_r("city", "=", "Berlin")),
            (0, 100),
            0,
            f"{base} AND city = 'Berlin'",
            {},
        ),
        (
            "3 conditions: city in (2) AND age >= 30 AND registered in last 365 d",
            _group(
                _r("city", "in", ["Berlin", "Paris"]),
                _r("age", ">=", 30),
                _r("registered_at", "inLastDays", 365),
            ),
            (0, 100),
            0,
            f"{base} AND city IN ('Berlin', 'Paris') AND {n.col('age')} >= 30"
            " AND registered_at >= :since AND registered_at <= :now",
            {"since": since_365, "now": NOW},
        ),
        (
            "3 conditions OR: vip OR level in (gold, platinum) OR bonus > 3000",
            _group(
                _r("vip", "=", True),
                _r("loyalty_level", "in", ["gold", "platinum"]),
                _r("bonus_points", ">", 3000),
                combinator="or",
            ),
            (0, 100),
            0,
            f"{base} AND ({n.col('vip')} = true OR {n.col('loyalty_level')} IN"
            f" ('gold', 'platinum') OR {n.col('bonus_points')} > 3000)",
            {},
        ),
        (
            "NOT group + negatives: email doesNotContain gmail AND NOT(city = Berlin)",
            _group(
                _r("email", "doesNotContain", "gmail"),
                _group(_r("city", "=", "Berlin"), negate=True),
            ),
            (0, 100),
            0,
            f"{base} AND (email IS NULL OR lower(email) NOT LIKE '%gmail%')"
            " AND (city IS NULL OR city <> 'Berlin')",
            {},
        ),
        (
            "tag: hasTag vip",
            _group(_r("tags", "hasTag", "vip")),
            (0, 100),
            0,
            f"{base} AND id IN (SELECT profile_id FROM profile_list_values"
            f" WHERE field_id = {n.fid('tags')} AND value = 'vip')",
            {},
        ),
        (
            "subscription: Newsletter email subscribed",
            _group(
                _r(
                    "$subscription",
                    "has",
                    {"resource": "Newsletter", "channel": "email", "status": "subscribed"},
                )
            ),
            (0, 100),
            0,
            f"{base} AND id IN (SELECT profile_id FROM subscriptions WHERE resource_id ="
            f" {n.resources['Newsletter']} AND channel = 'email' AND status = 'subscribed')",
            {},
        ),
        (
            "event: opened >= 2 times in last 30 d",
            _group(_r("$event", "had", {"type": "opened", "lastDays": 30, "atLeast": 2})),
            (0, 100),
            0,
            f"{base} AND id IN (SELECT profile_id FROM events WHERE type = 'opened'"
            " AND occurred_at >= :since AND occurred_at <= :now"
            " GROUP BY profile_id HAVING count(*) >= 2)",
            {"since": since_30, "now": NOW},
        ),
        (
            "range 10-50 % + 3 conditions + limit 10000",
            _group(
                _r("city", "in", ["Berlin", "Paris"]),
                _r("age", ">=", 30),
                _r("registered_at", "inLastDays", 365),
            ),
            (10, 50),
            10000,
            "SELECT min(count(*), 10000) FROM profiles WHERE database_id = :db"
            " AND (id * 618033989) % 1000000000 >= 100000000"
            " AND (id * 618033989) % 1000000000 < 500000000"
            f" AND city IN ('Berlin', 'Paris') AND {n.col('age')} >= 30"
            " AND registered_at >= :since AND registered_at <= :now",
            {"since": since_365, "now": NOW},
        ),
    ]


def _alternating_medians(runs: list[Callable[[], int]], repeat: int) -> list[tuple[float, int]]:
    """Each of ``runs`` once to warm the caches (as an operator's second click
    would), then all of them in turn ``repeat`` times: (median seconds, result)."""
    results = [run() for run in runs]
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(repeat):
        for i, run in enumerate(runs):
            started = time.perf_counter()
            results[i] = run()
            times[i].append(time.perf_counter() - started)
    return [(statistics.median(t), r) for t, r in zip(times, results, strict=True)]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def open_bench_store(args: argparse.Namespace) -> Store:
    if args.db:
        store = open_store(args.db)
    else:
        path = ROOT / "bench" / "out" / f"select_{args.profiles}.sqlite3"
        fresh = not path.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        store = open_store(f"sqlite:///{path}", create=fresh)
        if fresh:
            print(f"making {args.profiles:,} demo profiles in {path} ...", flush=True)
            started = time.perf_counter()
            generate_demo(store, profiles=args.profiles, seed=1, now=NOW)
            print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    prepare(store)
    return store


def prepare(store: Store) -> None:
    """The model's indexes (a store made before an index was added lacks it),
    and planner statistics, as a DBA would gather them after a bulk load:
    without them SQLite walks the (database_id, id) index even when the
    database is the whole table, about 1.5x slower than a plain scan."""
    with store.begin() as conn:
        for index in store.profiles.indexes:
            index.create(conn, checkfirst=True)
        if store.dialect == "sqlite":
            has_stats = conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'"
            ).first()
            if not has_stats:
                conn.exec_driver_sql("ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="store URL holding the demo database (default: make one)")
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    store = open_bench_store(args)
    try:
        with store.begin() as conn:
            db = store.database_id(conn, DEFAULT_DATABASE_NAME)
            all_profiles = selection.total(store, conn, db)
        names = Names(store, db)
        print(f"store {store.display_url} ({store.dialect}), {all_profiles:,} profiles")
        print(f"load average before: {load()}; medians of {args.repeat} alternating runs")
        print(
            f"{'rule':<72} {'count':>9} {'total s':>8} {'SQL s':>8} {'hand s':>8}"
            f" {'SQL/hand':>8} {'total/hand':>10} {'overhead ms':>11} {'target':>6}"
        )
        worst = 0.0
        for name, rules, (lo, hi), limit, sql, params in cases(names):
            spec = selection.SelectionSpec(db, rules, lo, hi, limit, now=NOW)
            if store.dialect != "sqlite":
                sql = sql.replace("min(count(*), 10000)", "least(count(*), 10000)")
            with store.begin() as conn:
                compiled = select(func.count()).select_from(store.profiles)
                compiled = compiled.where(selection.where_clause(store, conn, spec))

            def ours(spec: selection.SelectionSpec = spec) -> int:
                """What the wizard does: compile (schema look-ups) and count."""
                with store.begin() as conn:
                    return selection.count(store, conn, spec)

            def ours_sql(query: Any = compiled, limit: int = limit) -> int:
                """Only our statement's execution, compiled beforehand."""
                with store.begin() as conn:
                    matched = int(conn.execute(query).scalar_one())
                return min(matched, limit) if limit else matched

            def hand(sql: str = sql, params: dict[str, Any] = params) -> int:
                with store.begin() as conn:
                    return int(conn.execute(text(sql), {"db": db, **params}).scalar_one())

            measured = _alternating_medians([ours, ours_sql, hand], args.repeat)
            (total_s, ours_n), (sql_s, _), (hand_s, hand_n) = measured
            agree = "" if ours_n == hand_n else f"  MISMATCH (hand: {hand_n})"
            worst = max(worst, sql_s / hand_s)
            met = "met" if total_s <= 1.5 * hand_s + 0.020 else "missed"
            print(
                f"{name:<72} {ours_n:>9,} {total_s:>8.3f} {sql_s:>8.3f} {hand_s:>8.3f}"
                f" {sql_s / hand_s:>8.2f} {total_s / hand_s:>10.2f}"
                f" {(total_s - sql_s) * 1000:>11.1f} {met:>6}{agree}",
                flush=True,
            )
        print(f"worst SQL/hand ratio: {worst:.2f}; load average after: {load()}")
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
