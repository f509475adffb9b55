"""``bulkprofiles tasks``: the task history; ``show ID``, ``resume ID``,
``export ID --csv OUT [--columns KEYS]``, ``revert ID [--dry-run] [--yes]
[--triggers] [--json]``.

``revert`` says what it will restore and asks first (``--yes`` does not ask;
without a terminal it is required unless ``--dry-run``); it runs as a task of
its own, with progress, Ctrl-C to cancel and ``tasks resume`` to go on."""

from __future__ import annotations

import argparse
import sys
import time

from ..core.actions import ACTIONS
from ..core.errors import TaskError
from ..core.export import STDOUT, export_task, parse_columns
from ..core.importer import IMPORT_TYPE, import_summary
from ..core.outcomes import outcome_rows
from ..core.revert import RevertPlan, plan_revert, prepare_revert, revert_problem
from ..core.selection.describe import database_labels, describe_job_conditions
from ..core.store import Store
from ..core.tasks import TaskRow, get_task, list_tasks
from ._common import print_json, settings, store_from_args
from .run import execute_task, outcome_lines, report


def _when(task: TaskRow) -> str:
    return task.created_at.strftime("%Y-%m-%d %H:%M")


def _print_table(tasks: list[TaskRow]) -> None:
    if not tasks:
        print("No tasks yet.")
        return
    print(
        f"{'ID':>5}  {'Created (UTC)':<16}  {'Status':<11}  {'Action':<28}  "
        f"{'Database':<20}  {'Selected':>9}  {'Changed':>9}  {'Skipped':>9}"
    )
    for t in tasks:
        label = t.action_label + (" (dry run)" if t.dry_run else "")
        print(
            f"{t.id:>5}  {_when(t):<16}  {t.status:<11}  {label[:28]:<28}  "
            f"{t.database_name[:20]:<20}  {t.selected:>9,}  {t.changed:>9,}  "
            f"{t.skipped_total:>9,}"
        )


def _print_detail(t: TaskRow, labels: dict[str, str] | None = None) -> None:
    rows = [
        ("Task", f"{t.id} ({t.status}{', dry run' if t.dry_run else ''})"),
        ("Action", t.action_label),
        (
            "Database",
            t.database_name + (f" (segment {t.segment_name!r})" if t.segment_name else ""),
        ),
        ("Conditions", describe_job_conditions(t.job, labels)),
        ("Operator", t.operator),
        ("Created", str(t.created_at)),
        ("Started", str(t.started_at or "-")),
        ("Finished", str(t.finished_at or "-")),
        ("Duration", f"{t.duration:,.1f} s" if t.duration is not None else "-"),
    ]
    result = t.job.get("result") if t.action_type == IMPORT_TYPE else None
    parts = None
    if isinstance(result, dict):  # an import: added and updated profiles
        parts = {k: int(result.get(k, 0)) for k in ("added", "updated")}
    rows += outcome_lines(outcome_rows(t, revert=t.revert_of is not None, changed_parts=parts))
    if t.error:
        rows.append(("Error", t.error))
    if t.resumable:
        rows.append(("Resume with", f"bulkprofiles tasks resume {t.id}"))
    rows += _revert_rows(t)
    for key, value in rows:
        print(f"{key + ':':<16} {value}")


def _revert_rows(t: TaskRow) -> list[tuple[str, str]]:
    """What the detail says about reverting: the task a revert reverts, the
    revert of a task, or how (or why not) to revert an update."""
    if t.revert_of is not None:
        return [("Reverts", f"task {t.revert_of}")]
    if t.reverted_by is not None:
        return [("Reverted by", f"task {t.reverted_by} ({t.reverted_by_status})")]
    if t.action_type not in ACTIONS or t.dry_run:
        return []
    problem = revert_problem(t, settings().archive_days)
    if problem:
        return [("Revert", f"this task {problem}")]
    return [("Revert with", f"bulkprofiles tasks revert {t.id}")]


def cmd_tasks(args: argparse.Namespace) -> int:
    if args.what != "list" and args.task_id is None:
        raise TaskError(f"'tasks {args.what}' needs a task ID")
    store = store_from_args(args)
    try:
        return _dispatch(store, args)
    finally:
        store.close()


def _export(store: Store, args: argparse.Namespace) -> int:
    """Profiles of the task with their outcome (and the chosen fields) as CSV."""
    if not args.csv:
        raise TaskError("'tasks export' needs --csv OUT")
    n = export_task(store, args.task_id, args.csv, parse_columns(args.columns))
    if args.csv == STDOUT:
        print(f"Wrote {n:,} profile(s) of task {args.task_id}", file=sys.stderr)
    else:
        print(f"Wrote {n:,} profile(s) of task {args.task_id} to {args.csv}")
    return 0


def _dispatch(store: Store, args: argparse.Namespace) -> int:
    if args.what == "list":
        tasks = list_tasks(store, status=args.status, limit=max(args.limit, 1))
        if args.json:
            print_json([t.to_dict() for t in tasks])
        else:
            _print_table(tasks)
        return 0
    if args.what == "show":
        task = get_task(store, args.task_id)
        if args.json:
            print_json({**task.to_dict(), "error_detail": task.error_detail})
        else:
            _print_detail(task, database_labels(store, task.database_id))
        return 0
    if args.what == "export":
        return _export(store, args)
    if args.what == "revert":
        return _revert(store, args)
    started = time.monotonic()
    summary = execute_task(store, args.task_id, quiet=args.json)
    seconds = time.monotonic() - started
    if get_task(store, args.task_id).action_type == IMPORT_TYPE:
        return _report_import(store, args, seconds)
    return report(store, summary, as_json=args.json, seconds=seconds)


def _report_import(store: Store, args: argparse.Namespace, seconds: float) -> int:
    """A resumed import says what ``import`` says (added, updated, not imported)."""
    from .import_ import report_import

    rejects = get_task(store, args.task_id).job.get("rejects")
    return report_import(import_summary(store, args.task_id), seconds, rejects, as_json=args.json)


def ask_revert(plan: RevertPlan) -> bool:
    """Show what the revert restores and ask on the terminal; tests replace it."""
    if not sys.stdin.isatty():
        raise TaskError(
            f"reverting task {plan.task.id} changes {plan.profiles:,} profile(s): "
            "confirm it with --yes (or see first with --dry-run)"
        )
    print("\n".join(plan.lines()), file=sys.stderr)
    answer = input("Revert? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _revert(store: Store, args: argparse.Namespace) -> int:
    """Revert a task (module doc): a new task of type "revert"."""
    config = settings()
    plan = plan_revert(store, args.task_id, config)
    if not args.dry_run and not args.yes and not ask_revert(plan):
        print("Nothing was changed.", file=sys.stderr)
        return 1
    started = time.monotonic()
    revert_id = prepare_revert(
        store, args.task_id, dry_run=args.dry_run, triggers=args.triggers, settings=config
    )
    summary = execute_task(store, revert_id, quiet=args.json)
    seconds = time.monotonic() - started
    if not args.json:
        return report(store, summary, as_json=False, seconds=seconds)
    print_json({**summary.to_dict(), "reverts": args.task_id, "elapsed_seconds": round(seconds, 3)})
    if summary.status == "failed":
        print(f"bulkprofiles: error: task {revert_id} failed: {summary.error}", file=sys.stderr)
    return 0 if summary.status == "completed" else 1
