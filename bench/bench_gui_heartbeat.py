"""Benchmark: does the GUI main thread stall while the operator works on 1,000,000 profiles?

    .venv/bin/python bench/bench_gui_heartbeat.py [--profiles 1000000]
        [--store PATH] [--copy-of PATH] [--db URL] [--job-range 30] [--repeat 1]

Makes (or reuses, with ``--store`` naming an existing file) a demo store of N
profiles in an SQLite file; ``--copy-of`` starts from a copy of another demo
store file instead of generating one (build the 1M store once, reuse copies);
``--db`` uses an existing store by URL instead (a PostgreSQL demo made by
``bench_demo.py``: nothing is made, copied or removed, and the job's update
stays in it).
Then, offscreen, it drives the real update wizard and Tasks view while a
QTimer on the main thread ticks every 10 ms, and reports per scenario the
largest gap between two ticks (the longest the window could not answer),
the median gap, and for the selection edits the time from the edit to the
new count shown (the count's 300 ms debounce included).  Scenarios:

* ``open``: the wizard opens and shows its first count (database list,
  fields, count and preview of the whole database);
* ``edit: <kind>``: one condition of each kind of rule (text, list, number,
  date, boolean, tag, global status, subscription, event, promo code)
  replaces the one before, as the operator does it (remove the row, add the
  new one: two events), then the count refreshes;
* ``refresh: range`` / ``refresh: limit``: the range or the limit is moved;
* ``dry run``, ``job`` (an update of the fields of ``--job-range`` % of the
  database, cancelled half way) and ``resume`` (the rest, from the Tasks view;
  skipped when the job ended before half way, as on a store of a few
  thousand profiles, where the selection is one batch).

``--repeat N`` opens the wizard and runs every edit and refresh N times
(the job scenarios once) and reports per scenario the median of the N
largest gaps, with the worst of them beside it: on a loaded machine one
run's largest gap is mostly where the scheduler happened to stall it.

This is a script, not a test; nothing is asserted.  The issue's goal: no gap
above 100 ms.  Load on the machine disturbs the figures: it is printed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="bulkprofiles-heartbeat-"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["BULKPROFILES_CONFIG_DIR"] = str(TMP / "config")
os.environ["BULKPROFILES_DATA_DIR"] = str(TMP / "data")

from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer  # noqa: E402

DATABASE = "Demo customers"
TICK_MS = 10
GOAL_MS = 100


def group(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"combinator": "and", "not": False, "rules": list(rules)}


def rule(field: str, operator: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


#: One condition of each kind of rule the builder offers.
EDITS: list[tuple[str, dict[str, Any]]] = [
    ("text =", rule("city", "=", "Berlin")),
    ("list in", rule("city", "in", ["Berlin", "Paris"])),
    ("number >=", rule("age", ">=", 30)),
    ("date in last N days", rule("registered_at", "inLastDays", 365)),
    ("boolean", rule("vip", "=", True)),
    ("tag", rule("tags", "hasTag", "vip")),
    ("global status", rule("$status", "=", "subscribed")),
    (
        "subscription",
        rule("$subscription", "has", {"resource": "Newsletter", "channel": "email"}),
    ),
    ("event", rule("$event", "had", {"type": "opened", "lastDays": 30, "atLeast": 2})),
    ("promo code", rule("$promo", "holds", {"program": "Winter sale"})),
]
JOB_ACTION = {
    "type": "update_fields",
    "changes": [{"field": "city", "op": "set", "value": "Heartbeat"}],
}


def prepare_store(args: argparse.Namespace) -> str:
    if args.db:
        return str(args.db)
    path = Path(args.store) if args.store else TMP / f"heartbeat_{args.profiles}.sqlite3"
    if args.copy_of:
        print(f"copying {args.copy_of} -> {path}", flush=True)
        shutil.copyfile(args.copy_of, path)
    elif not path.exists():
        from bulkprofiles_gui.core.demo import generate_demo
        from bulkprofiles_gui.core.store import open_store

        print(f"generating a demo store of {args.profiles:,} profiles in {path} ...", flush=True)
        started = time.perf_counter()
        store = open_store(f"sqlite:///{path}", create=True)
        try:
            generate_demo(store, profiles=args.profiles, seed=1, database_name=DATABASE)
        finally:
            store.close()
        print(f"  made in {time.perf_counter() - started:.1f} s")
    return f"sqlite:///{path}"


class Heartbeat:
    """Records the time between QTimer ticks on the main thread."""

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.gaps = []
        self.clock.start()
        self.timer.start()

    def stop(self) -> list[float]:
        self.timer.stop()
        self.gaps.append(float(self.clock.elapsed()))  # the stretch after the last tick
        return self.gaps

    def _tick(self) -> None:
        self.gaps.append(float(self.clock.restart()))


def wait_until(condition: Callable[[], bool], timeout_s: float = 600.0) -> float:
    """Run the event loop until ``condition()``; the seconds it took."""
    started = time.perf_counter()
    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(2)

    def check() -> None:
        if condition() or time.perf_counter() - started > timeout_s:
            loop.quit()

    poll.timeout.connect(check)
    poll.start()
    if not condition():
        loop.exec()
    poll.stop()
    if not condition():
        raise TimeoutError("the scenario did not finish in time")
    return time.perf_counter() - started


class Bench:
    """The wizard and the Tasks view on one store, and one row per scenario."""

    def __init__(self, url: str, job_range: float) -> None:
        from bulkprofiles_gui.core.config import Settings
        from bulkprofiles_gui.core.store import open_store

        self.store = open_store(url)
        self.settings = Settings()
        self.job_range = job_range
        self.heartbeat = Heartbeat()
        self.rows: list[tuple[str, float, float, float | None]] = []
        self.wizard: Any = None

    def measure(self, name: str, act: Callable[[], None], done: Callable[[], bool]) -> float:
        """Start the heartbeat, ``act``, wait for ``done``: one row."""
        self.heartbeat.start()
        started = time.perf_counter()
        act()
        wait_until(done)
        took = time.perf_counter() - started
        gaps = self.heartbeat.stop()
        self.rows.append((name, max(gaps), statistics.median(gaps), took))
        print(f"  {name:<28} largest gap {max(gaps):6.1f} ms   {took:6.2f} s", flush=True)
        return took

    # -- the scenarios ---------------------------------------------------------------
    def open_wizard(self) -> None:
        from bulkprofiles_gui.gui.wizard.context import WizardContext
        from bulkprofiles_gui.gui.wizard.wizard import UpdateWizard

        if self.wizard is not None:  # --repeat: the one before goes first
            self.wizard.shutdown()
            self.wizard.close()
            self.wizard.deleteLater()
            self.wizard = None

        def act() -> None:
            self.wizard = UpdateWizard(WizardContext(self.store, self.settings))
            self.wizard.resize(1280, 800)
            self.wizard.show()

        self.measure("open: first count", act, lambda: self._counted())

    def _counted(self) -> bool:
        page = self.wizard.selection_page
        return bool(page.counted() and page.selected_count is not None)

    def edit(self, name: str, condition: dict[str, Any]) -> None:
        """As an operator edits: the previous condition is removed (one event), the
        new one added (the next event); the new count is waited for."""
        page = self.wizard.selection_page
        root = page.rule_builder.root
        added: list[object] = []

        def add() -> None:
            added.append(root.add_condition(condition))

        def act() -> None:
            for child in list(root.children_):
                root.remove_child(child)
            QTimer.singleShot(0, add)

        def new_count_shown() -> bool:
            return bool(added) and page.rule_builder.rules()["rules"] != [] and self._counted()

        self.measure(f"edit: {name}", act, new_count_shown)

    def refresh_range(self) -> None:
        page = self.wizard.selection_page
        self.measure(
            "refresh: range 0-50 %", lambda: page.range_box.set_value(0, 50), self._counted
        )
        page.range_box.set_value(0, 100)
        wait_until(self._counted)

    def refresh_limit(self) -> None:
        page = self.wizard.selection_page
        self.measure(
            "refresh: limit 10,000", lambda: page.limit_box.set_value(10_000), self._counted
        )
        page.limit_box.set_value(0)
        wait_until(self._counted)

    def to_review(self) -> None:
        """The job's selection (id > 0 in the first ``job_range`` %) and action."""
        from bulkprofiles_gui.gui.wizard.wizard import PageId

        page = self.wizard.selection_page
        page.rule_builder.set_rules(group(rule("id", ">", 0)))
        page.range_box.set_value(0, self.job_range)
        wait_until(self._counted)
        self.wizard.next()
        self.wizard.action_choice_page.set_action_type("update_fields")
        self.wizard.next()
        action_page = self.wizard.action_page("update_fields")
        wait_until(lambda: not action_page.is_loading())
        action_page.load_action(JOB_ACTION)
        wait_until(action_page.isComplete)
        self.wizard.next()
        assert self.wizard.currentId() == PageId.REVIEW
        review = self.wizard.review_page
        wait_until(lambda: review.facts is not None or review.problem is not None)
        if review.problem:
            raise RuntimeError(review.problem)

    def dry_run(self) -> None:
        review = self.wizard.review_page
        self.measure(
            "dry run",
            review.start_dry_run,
            lambda: review.dry_run_summary is not None and not review.dry_running(),
        )

    def job(self) -> int | None:
        """Run, and cancel once half the selection is done (the resume does the rest).

        The task's id, or None when the job finished before it could be
        cancelled (a small store: the selection fits one batch), so there is
        nothing to resume."""
        run_page = self.wizard.run_page

        def cancel_half_way(progress: Any) -> None:
            if progress.total and progress.done >= progress.total // 2:
                run_page.cancel()

        def act() -> None:
            self.wizard.next()  # Run
            assert run_page.run is not None
            run_page.run.progressed.connect(cancel_half_way)

        self.measure("job (cancelled half way)", act, lambda: run_page.finished)
        assert run_page.summary is not None, run_page.error
        print(
            f"    task {run_page.summary.task_id}: {run_page.summary.status}, "
            f"{run_page.summary.processed:,} of {run_page.summary.selected:,} processed"
        )
        if run_page.summary.status != "cancelled":
            print("    nothing left to resume: the resume scenario is skipped")
            return None
        return int(run_page.summary.task_id)

    def resume(self, task_id: int) -> None:
        from bulkprofiles_gui.gui.views.tasks import TasksView

        view = TasksView()
        view.resize(1280, 800)
        view.show()
        view.set_store(self.store)
        wait_until(lambda: view.select_task(task_id) and not view.busy())
        resumed: list[int] = []
        view.task_resumed.connect(resumed.append)
        self.measure("resume from the Tasks view", view.resume_selected, lambda: bool(resumed))
        wait_until(lambda: not view.busy())
        task = view.selected_task()
        print(f"    task {task.id}: {task.status}, {task.processed:,} of {task.selected:,}")
        view.shutdown()

    def close(self) -> None:
        if self.wizard is not None:
            self.wizard.shutdown()
        self.store.close()


def print_table(rows: list[tuple[str, float, float, float | None]]) -> None:
    """One line per scenario; a repeated scenario's figures are the medians of
    its runs, with the worst largest gap beside the median one."""
    runs: dict[str, list[tuple[str, float, float, float | None]]] = {}
    for row in rows:
        runs.setdefault(row[0], []).append(row)
    print()
    print(
        "| scenario | runs | largest gap ms (median) | worst ms | median gap ms "
        f"| edit/action to result s | goal {GOAL_MS} ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, found in runs.items():
        largest = statistics.median(r[1] for r in found)
        worst = max(r[1] for r in found)
        median = statistics.median(r[2] for r in found)
        times = [r[3] for r in found if r[3] is not None]
        verdict = "met" if largest <= GOAL_MS else "**above**"
        shown = f"{statistics.median(times):.2f}" if times else "–"
        print(
            f"| {name} | {len(found)} | {largest:.0f} | {worst:.0f} | {median:.0f} "
            f"| {shown} | {verdict} |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--store", help="SQLite file to use (made if missing)")
    parser.add_argument("--copy-of", help="start from a copy of this demo store file")
    parser.add_argument("--db", help="an existing store's URL (e.g. a PostgreSQL demo)")
    parser.add_argument(
        "--job-range", type=float, default=30.0, help="%% of the database the job updates"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of the opening, each edit and refresh"
    )
    args = parser.parse_args(argv)
    url = prepare_store(args)

    from bulkprofiles_gui.gui.app import make_application

    app = make_application()
    print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    bench = Bench(url, args.job_range)
    try:
        for _ in range(args.repeat):
            bench.open_wizard()
            for name, condition in EDITS:
                bench.edit(name, condition)
            bench.refresh_range()
            bench.refresh_limit()
        bench.to_review()
        bench.dry_run()
        task_id = bench.job()
        if task_id is not None:
            bench.resume(task_id)
    finally:
        bench.close()
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print_table(bench.rows)
    del app
    if not args.store and not args.db:  # the copy / generated store lived in the temp dir
        shutil.rmtree(TMP, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
