"""``bulkprofiles import FILE.csv --database NAME``: load an operator's own profiles.

Runs the CSV import (``core/importer``) as a task: progress on stderr, Ctrl-C
cancels after the current batch (``bulkprofiles tasks resume ID`` goes on),
``--dry-run`` counts what would be added, updated and rejected and changes
no profile.  Rows that were not imported go to ``--rejects OUT.csv`` with
line, column, value and reason (``--rejects -``: to standard output, and the
summary to stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from ..core.actions.base import SKIP_REASONS
from ..core.importer import (
    NOT_IMPORTED,
    ImportPlan,
    ImportSpec,
    ImportSpecError,
    ImportSummary,
    Subscribe,
    check_import,
    describe_plan,
    import_summary,
    prepare_import,
)
from ..core.importer.runner import STDOUT
from ..core.limits import short
from ._common import settings, store_from_args
from .run import execute_task


def _mapping(pairs: list[str]) -> dict[str, str | None] | None:
    """``--map COLUMN=FIELD`` (``COLUMN=`` skips the column)."""
    if not pairs:
        return None
    mapping: dict[str, str | None] = {}
    for pair in pairs:
        column, sep, key = pair.partition("=")
        if not sep or not column.strip():
            raise ImportSpecError(
                f"--map {short(pair)!r}: expected COLUMN=FIELD (or COLUMN= to skip)"
            )
        mapping[column.strip()] = key.strip() or None
    return mapping


def spec_from_args(args: argparse.Namespace) -> ImportSpec:
    subscribe = None
    if args.subscribe:
        subscribe = Subscribe.parse(args.subscribe)
        subscribe.include_unsafe = args.include_unsafe
    spec = ImportSpec(
        file=args.file,
        database=args.database,
        mapping=_mapping(args.map),
        match=args.match,
        mode=args.mode,
        create_fields=args.create_fields,
        empty_clears=args.empty_clears,
        duplicates=args.duplicates,
        subscribe=subscribe,
        skip_triggers=args.skip_triggers,
        encoding=args.encoding,
        delimiter=args.delimiter,
        rejects=args.rejects,
    )
    spec.check()
    return spec


#: How the subscription outcomes of an import read (the rest: "Not subscribed: <reason>").
SUBSCRIPTION_WORDS = {"changed": "Subscribed", "unchanged": "Already subscribed"}


def summary_lines(s: ImportSummary, seconds: float) -> list[str]:
    title = f"Import task {s.task_id} {s.status}"
    if s.dry_run:
        title += " (dry run: no profile was changed)"
    rows = [
        ("Rows in the file", f"{s.rows:,}"),
        ("Would add" if s.dry_run else "Added", f"{s.added:,}"),
        ("Would update" if s.dry_run else "Updated", f"{s.updated:,}"),
        ("Unchanged (had the values)", f"{s.unchanged:,}"),
        ("Not imported", f"{s.not_imported_total:,}"),
    ]
    for reason, n in sorted(s.not_imported.items(), key=lambda kv: -kv[1]):
        rows.append((f"  {NOT_IMPORTED.get(reason, reason)}", f"{n:,}"))
    if s.processed < s.rows:
        rows.append(("Not processed", f"{s.rows - s.processed:,}"))
    for outcome, n in sorted(s.subscriptions.items()):
        words = (
            SUBSCRIPTION_WORDS.get(outcome)
            or f"Not subscribed: {SKIP_REASONS.get(outcome, outcome)}"
        )
        rows.append((words, f"{n:,}"))
    if s.new_fields:
        rows.append(("New fields", ", ".join(s.new_fields)))
    if not s.dry_run:  # a dry run records none (the update's table leaves it out too)
        rows.append(("Trigger events", f"{s.trigger_events:,}"))
    if s.rejects_problem:
        rows.append(("Rejects", s.rejects_problem))
    elif s.rejects_file:
        rows.append(
            ("Rejects written to", "standard output" if s.rejects_file == "-" else s.rejects_file)
        )
    rows.append(("Time", f"{seconds:,.1f} s"))
    if s.status in ("cancelled", "interrupted"):
        rows.append(("Resume with", f"bulkprofiles tasks resume {s.task_id}"))
    width = max(len(label) for label, _value in rows) + 1
    return [title] + [f"  {label + ':':<{width}} {value}" for label, value in rows]


def _print_plan(spec: ImportSpec, plan: ImportPlan) -> None:
    print(
        f"{spec.file}: {plan.fmt.encoding}, {plan.fmt.delimiter_name}-separated, "
        f"{len(plan.header)} columns; match by {plan.match.field.key}, mode {spec.mode}",
        file=sys.stderr,
    )
    for line in describe_plan(plan):
        print(f"  {line}", file=sys.stderr)


def cmd_import(args: argparse.Namespace) -> int:
    spec = spec_from_args(args)
    store = store_from_args(args)
    try:
        with store.begin() as conn:
            plan = check_import(store, conn, spec, settings())
        started = time.monotonic()
        # The plan is shown once the task exists: a store that refuses the
        # task (read-only, gone) says so in one line and nothing else.
        task_id = prepare_import(store, spec, dry_run=args.dry_run, settings=settings())
        if not args.json:
            _print_plan(spec, plan)
        execute_task(store, task_id, quiet=args.json)
        summary = import_summary(store, task_id)
    finally:
        store.close()
    return report_import(summary, time.monotonic() - started, spec.rejects, as_json=args.json)


def report_import(
    summary: ImportSummary, seconds: float, rejects: str | None, *, as_json: bool
) -> int:
    """Print an import's summary (run or resumed); the exit code (0 only when completed)."""
    # With --rejects - the rejects are the output; the summary goes to stderr.
    out = sys.stderr if rejects == STDOUT else sys.stdout
    if as_json:
        print(json.dumps({**summary.to_dict(), "elapsed_seconds": round(seconds, 3)}), file=out)
    else:
        print("\n".join(summary_lines(summary, seconds)), file=out)
    if summary.status == "failed":
        print(
            f"bulkprofiles: error: task {summary.task_id} failed: {summary.error}", file=sys.stderr
        )
    return 0 if summary.status == "completed" else 1
