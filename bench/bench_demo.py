"""Time the demo generator: rows per second for N profiles (default 1,000,000).

    .venv/bin/python bench/bench_demo.py [--profiles N] [--seed S] [--db URL] [--keep]

Without ``--db`` it writes a new SQLite store in a temporary folder (removed
afterwards unless ``--keep``).  It prints the wall and CPU time of each stage
(profiles with their list values, subscriptions and events; the index
rebuild; promo codes and the commit; the planner statistics), the rows
written and rows/s, the peak memory of this process and of the helper process
that makes the rows, and the load average before and after, since the machine
may be shared.  Targets (issue 13): 1,000,000 profiles in at most 60 s on
either backend, 10,000,000 on PostgreSQL in at most 10 minutes, client memory
under 400 MB.  This is a script, not a test.  For PostgreSQL, ``--db`` names
an empty database (``createdb``); the demo goes into it.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from bulkprofiles_gui.core.demo import generate_demo
from bulkprofiles_gui.core.store import open_store


class StageClock:
    """Records wall and CPU time at each change of stage reported by the generator."""

    def __init__(self) -> None:
        self.stages: list[tuple[str, float, float]] = []
        self._stage = ""
        self._wall = time.perf_counter()
        self._cpu = time.process_time()

    def __call__(self, stage: str, _done: int, _total: int) -> None:
        if stage != self._stage:
            self.switch(stage)

    def switch(self, stage: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        if self._stage:
            self.stages.append((self._stage, wall - self._wall, cpu - self._cpu))
        self._stage, self._wall, self._cpu = stage, wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", help="store URL (default: a new SQLite file in a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary store")
    args = parser.parse_args()

    folder: Path | None = None
    url = args.db
    if not url:
        folder = Path(tempfile.mkdtemp(prefix="bench-demo-"))
        url = f"sqlite:///{folder / 'demo.sqlite3'}"
    load_before = os.getloadavg()
    store = open_store(url, create=True)
    clock = StageClock()
    try:
        clock.switch("setup")
        started, cpu_started = time.perf_counter(), time.process_time()
        summary = generate_demo(store, profiles=args.profiles, seed=args.seed, progress=clock)
        clock.switch("")
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    finally:
        store.close()
        if folder is not None and not args.keep:
            shutil.rmtree(folder, ignore_errors=True)

    print(f"store: {store.display_url}  profiles: {args.profiles:,}  seed: {args.seed}")
    print(f"{'stage':<28}{'wall s':>9}{'cpu s':>9}")
    for stage, stage_wall, stage_cpu in clock.stages:
        label = {"promo codes": "promo codes, triggers, commit"}.get(stage, stage)
        print(f"{label:<28}{stage_wall:>9.1f}{stage_cpu:>9.1f}")
    print(f"{'total':<28}{wall:>9.1f}{cpu:>9.1f}")
    print(
        f"rows: {summary.rows:,} (profiles {summary.profiles:,}, list values "
        f"{summary.list_values:,}, subscriptions {summary.subscriptions:,}, events "
        f"{summary.events:,}, promo codes {summary.promo_codes:,})"
    )
    print(f"rate: {summary.rows / wall:,.0f} rows/s, {summary.profiles / wall:,.0f} profiles/s")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    helper = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory: {own:,.0f} MB this process, {helper:,.0f} MB the row maker")
    before = ", ".join(f"{x:.1f}" for x in load_before)
    after = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average (1, 5, 15 min): {before} before, {after} after, {os.cpu_count()} CPUs")
    if folder is not None and args.keep:
        print(f"kept: {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
