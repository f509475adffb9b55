"""``bulkprofiles select JOB.json [--count] [--csv OUT [--columns KEYS]]``: what a job would select.

Reads the selection part of a job file (database or segment, rules, range,
limit; the action is ignored), and prints how many profiles it selects, or
writes them as CSV (:mod:`bulkprofiles_gui.core.export`: the chosen columns,
by default id and every field; list fields joined with ";"; text that a
spreadsheet would run as a formula prefixed with "'").  It changes nothing in
the store.
"""

from __future__ import annotations

import argparse
import sys

from ..core.export import STDOUT, export_selection, parse_columns
from ..core.jobfile import Job, naming_job_file
from ..core.selection import SelectionSpec, check, count, resolve_job_selection, total
from ..core.store import Store
from ._common import store_from_args


def job_selection(store: Store, job: Job, path: str) -> SelectionSpec:
    """The job's selection, checked against the store; errors start with the file's name."""
    with store.begin() as conn, naming_job_file(path):
        spec = resolve_job_selection(store, conn, job)
        check(store, conn, spec)
        return spec


def export_csv(
    store: Store, spec: SelectionSpec, target: str, columns: list[str] | None = None
) -> tuple[int, int]:
    """Write the selection to ``target`` ('-' = stdout); returns (written, total)."""
    written = export_selection(store, spec, target, columns)
    with store.begin() as conn:
        return written, total(store, conn, spec.database_id)


def count_selection(store: Store, spec: SelectionSpec) -> tuple[int, int]:
    """(selected, all profiles of the database) for the selection."""
    with store.begin() as conn:
        return count(store, conn, spec), total(store, conn, spec.database_id)


def cmd_select(args: argparse.Namespace) -> int:
    job = Job.load(args.job)
    columns = parse_columns(args.columns)
    if columns is not None and not args.csv:
        print("bulkprofiles: error: --columns needs --csv OUT", file=sys.stderr)
        return 2
    store = store_from_args(args)
    try:
        spec = job_selection(store, job, args.job)
        if args.csv:
            written, all_profiles = export_csv(store, spec, args.csv, columns)
            where = "standard output" if args.csv == STDOUT else args.csv
            print(f"{written:,} of {all_profiles:,} profiles written to {where}", file=sys.stderr)
            return 0
        selected, all_profiles = count_selection(store, spec)
    finally:
        store.close()
    if args.count:
        print(selected)
    else:
        where = f"segment {job.segment!r}" if job.segment else f"database {job.database!r}"
        print(f"{selected:,} of {all_profiles:,} profiles selected ({where})")
    return 0
