"""``bulkprofiles run JOB.json [--dry-run] [--yes] [--json]``: run a job file.

The job is validated completely before anything is written.  A job that would
change nothing (an empty selection; a deletion or global unsubscribe whose
selected profiles are all skipped by the action's own rules) says so in one
line, records no task and exits with 0.  While another task runs on the same
profile database, ``run`` names it and asks before starting a second one
(without a terminal it needs ``--yes``).  Destructive actions (delete
profiles, global unsubscribe) ask for confirmation with the number of profiles
they would delete or unsubscribe unless ``--yes``.  Progress goes to stderr: a
bar on a terminal, a plain line at most once a second otherwise.  The first Ctrl-C
cancels cleanly after the current batch (the task can be resumed with
``bulkprofiles tasks resume ID``); a second one stops at once.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from ..core.errors import TaskError
from ..core.importer import step_words
from ..core.jobfile import Job, naming_job_file
from ..core.jobs import JobPlan, plan_job, prepare_task
from ..core.outcomes import OutcomeRow, TaskSummary, outcome_rows
from ..core.preflight import Preflight, preflight
from ..core.progress import JobState, Progress, passes
from ..core.resume import run_any_task
from ..core.store import Store
from ..core.tasks import get_task
from ._common import print_json, settings, store_from_args

BAR_WIDTH = 30


class ProgressPrinter:
    """The ``on_progress`` callback of the command line.  An import's reports
    name their step (``Progress.phase``): its lines say which, in rows."""

    def __init__(
        self, stream: TextIO, *, tty: bool, interval: float = 1.0, dry_run: bool = False
    ) -> None:
        self.stream = stream
        self.tty = tty
        self.interval = interval
        self.dry_run = dry_run
        self._last_time = float("-inf")
        self._last: Progress | None = None  # the last report shown
        self._width = 0  # of the bar's text on the terminal now
        self._drawn = False

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        last = p.done >= p.total > 0
        shown = self._last
        if not self.tty:
            if not passes(p, shown, now - self._last_time, self.interval):
                return
            if shown is not None and (shown.done, shown.total, shown.phase) == (
                p.done,
                p.total,
                p.phase,
            ):
                return  # a step's end repeated while a long statement runs
        if self.tty and self._drawn and shown is not None and p.phase != shown.phase:
            self.stream.write("\n")  # the finished step's bar stays on its line
            self._width = 0
        self._last_time, self._last = now, p
        percent = 100.0 * p.done / p.total if p.total else 0.0
        unit = "rows" if p.phase else "profiles"
        numbers = f"{p.done:,}/{p.total:,} {unit} ({percent:.0f} %), {p.rate:,.0f}/s"
        if p.phase:
            numbers = f"{step_words(p.phase, dry_run=self.dry_run)}: {numbers}"
        elif p.total == 0:
            numbers = f"selecting the profiles ({p.elapsed:,.0f} s)"
        if self.tty:
            filled = int(BAR_WIDTH * percent / 100)
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            left = p.seconds_left
            eta = f", {left:,.0f} s left" if left is not None and not last else ""
            text = f"[{bar}] {numbers}{eta}"
            # Padded over the longer line before it ("..., 3 s left" left no tail).
            self.stream.write(f"\r{text.ljust(self._width)}   ")
            self._width = len(text)
            self._drawn = True
        else:
            self.stream.write(f"progress: {numbers}\n")
        self.stream.flush()

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


def has_terminal() -> bool:
    """Whether questions can be asked (tests replace this function)."""
    return sys.stdin.isatty()


def ask(prompt: str) -> bool:
    """Ask on the terminal; tests replace this function."""
    if not has_terminal():
        raise TaskError(
            "this job deletes or globally unsubscribes profiles and there is no terminal "
            "to ask: confirm it with --yes"
        )
    answer = input(prompt)
    return answer.strip().lower() in ("y", "yes")


@contextmanager
def ctrl_c_cancels(state: JobState, stream: TextIO) -> Iterator[None]:
    """First Ctrl-C: cancel after the current batch; the second interrupts."""

    def on_sigint(_signum: int, _frame: Any) -> None:
        if state.is_cancelled():
            raise KeyboardInterrupt
        state.cancel()
        stream.write("\ncancelling after the current batch (Ctrl-C again to stop at once)\n")

    try:
        previous = signal.signal(signal.SIGINT, on_sigint)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def execute_task(store: Store, task_id: int, *, quiet: bool = False) -> TaskSummary:
    """Run (or resume) a task with terminal progress and Ctrl-C handling."""
    dry_run = get_task(store, task_id).dry_run
    printer = ProgressPrinter(sys.stderr, tty=sys.stderr.isatty() and not quiet, dry_run=dry_run)
    state = JobState(on_progress=printer)
    try:
        with ctrl_c_cancels(state, sys.stderr):
            return run_any_task(store, task_id, state, settings=settings())
    except KeyboardInterrupt:
        printer.close()
        print(f"resume with: bulkprofiles tasks resume {task_id}", file=sys.stderr)
        raise
    finally:
        printer.close()


def summary_lines(store: Store, summary: TaskSummary, seconds: float | None = None) -> list[str]:
    task = get_task(store, summary.task_id)
    dry = summary.dry_run
    database = task.database_name + (
        f" (segment {task.segment_name!r})" if task.segment_name else ""
    )
    rows: list[tuple[str, str]] = [("Action", task.action_label), ("Database", database)]
    rows += outcome_lines(outcome_rows(summary, revert=task.revert_of is not None))
    if seconds is not None:
        rows.append(("Time", f"{seconds:,.1f} s"))
    if summary.status in ("cancelled", "interrupted"):  # a failed task cannot be resumed
        rows.append(("Resume with", f"bulkprofiles tasks resume {summary.task_id}"))
    title = f"Task {summary.task_id} {summary.status}"
    if dry:
        title += " (dry run: nothing was changed)"
    return [title] + [f"  {label + ':':<16} {value}" for label, value in rows]


def outcome_lines(rows: list[OutcomeRow]) -> list[tuple[str, str]]:
    """The outcome table as (label, number) lines; a row that details another
    is indented under it."""
    return [(f"  {row.label}" if row.of else row.label, f"{row.count:,}") for row in rows]


def report(store: Store, summary: TaskSummary, *, as_json: bool, seconds: float) -> int:
    """Print the summary; the exit code (0 only when completed)."""
    if as_json:
        data = summary.to_dict()
        data["elapsed_seconds"] = round(seconds, 3)
        print_json(data)
    else:
        print("\n".join(summary_lines(store, summary, seconds)))
    if summary.status == "failed":
        print(
            f"bulkprofiles: error: task {summary.task_id} failed: {summary.error}", file=sys.stderr
        )
        return 1
    return 0 if summary.status == "completed" else 1


def cmd_run(args: argparse.Namespace) -> int:
    job = Job.load(args.job, require_action=True)
    store = store_from_args(args)
    try:
        plan, check = _check(store, job, args)
        if check.nothing_to_do:
            return _nothing_to_do(plan, check, as_json=args.json)
        if not _confirmed(plan, check, args):
            print("Nothing was changed.", file=sys.stderr)
            return 1
        started = time.monotonic()
        with naming_job_file(args.job):
            task_id = prepare_task(store, job, dry_run=args.dry_run, settings=settings())
        summary = execute_task(store, task_id, quiet=args.json)
        return report(store, summary, as_json=args.json, seconds=time.monotonic() - started)
    finally:
        store.close()


def _check(store: Store, job: Job, args: argparse.Namespace) -> tuple[JobPlan, Preflight]:
    """Validate the job (errors start with the file's name) and count what it
    would change; name the tasks running on its database."""
    with store.begin() as conn:
        with naming_job_file(args.job):
            plan = plan_job(store, conn, job, settings())
        return plan, preflight(store, conn, plan, settings())


def _nothing_to_do(plan: JobPlan, check: Preflight, *, as_json: bool) -> int:
    """One line (or the JSON summary) and exit code 0: there was nothing to do."""
    text = f"Nothing to do: {check.nothing_to_do_text(plan)}; no task was recorded."
    if as_json:
        print_json(
            {
                "task_id": None,
                "status": "nothing_to_do",
                "selected": check.selected,
                "would_change": 0,
                "message": text,
            }
        )
    else:
        print(text)
    return 0


def _confirmed(plan: JobPlan, check: Preflight, args: argparse.Namespace) -> bool:
    """Ask before a second job on a busy database, and before a destructive one
    (with the number it would delete or unsubscribe)."""
    if check.running and not _second_job_confirmed(plan, check, args):
        return False
    if not plan.destructive or args.dry_run or args.yes:
        return True
    skipped = check.selected - check.effective
    kept = f" ({skipped:,} of the {check.selected:,} selected stay as they are)" if skipped else ""
    days = settings().archive_days
    return ask(
        f"{plan.describe()}: {check.effective:,} profile(s) of {plan.database_name!r}{kept}. "
        f"Only 'bulkprofiles tasks revert' within {days} days undoes it. Continue? [y/N] "
    )


def _second_job_confirmed(plan: JobPlan, check: Preflight, args: argparse.Namespace) -> bool:
    """Name the tasks running on the job's database; ask whether to start anyway
    (a dry run and ``--yes`` only say it; without a terminal, refuse)."""
    running = "; ".join(t.describe() for t in check.running)
    where = f"profile database {plan.database_name!r}"
    if args.dry_run or args.yes:
        print(f"bulkprofiles: note: {where}: {running}", file=sys.stderr)
        return True
    if not has_terminal():
        raise TaskError(f"{where}: {running}; to start another job on it, add --yes")
    return ask(f"{where}: {running}. Start another job on it now? [y/N] ")
