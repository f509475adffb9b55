"""``bulkprofiles select JOB.json [--count] [--csv OUT]``: what a job would select.

Reads the selection part of a job file (database or segment, rules, range,
limit; the action is ignored), and prints how many profiles it selects, or
writes them (id and every field; list fields joined with ";") as CSV.  It
changes nothing in the store.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from ..cli import command, store_from_args
from ..core.jobfile import Job
from ..core.selection import check, count, resolve_job_selection, selected_rows, total
from ..core.store import Store


def csv_value(value: Any) -> str:
    """How a stored value is written to CSV: empty for none, ISO 8601 for dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def write_csv(out: TextIO, header: list[str], rows: Iterable[tuple[Any, ...]]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    written = 0
    for row in rows:
        writer.writerow([csv_value(v) for v in row])
        written += 1
    return written


def export_csv(store: Store, job: Job, target: str) -> tuple[int, int]:
    """Write the job's selection to ``target`` ('-' = stdout); returns (written, total)."""
    with store.begin() as conn:
        spec = resolve_job_selection(store, conn, job)
        check(store, conn, spec)
        header, rows = selected_rows(store, conn, spec)
        all_profiles = total(store, conn, spec.database_id)
        if target == "-":
            return write_csv(sys.stdout, header, rows), all_profiles
        path = Path(target)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
                written = write_csv(out, header, rows)
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return written, all_profiles


def count_job(store: Store, job: Job) -> tuple[int, int]:
    """(selected, all profiles of the database) for the job's selection."""
    with store.begin() as conn:
        spec = resolve_job_selection(store, conn, job)
        return count(store, conn, spec), total(store, conn, spec.database_id)


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job", metavar="JOB.json", help="a job file (its action is ignored)")
    parser.add_argument("--count", action="store_true", help="print only the number selected")
    parser.add_argument(
        "--csv",
        metavar="OUT",
        help="write the selected profiles (id and all fields) as CSV to OUT ('-' = stdout)",
    )


def _fail(message: str) -> int:
    print(f"bulkprofiles: error: {message}", file=sys.stderr)
    return 2


@command("select", "count or export the profiles a job file selects (changes nothing)", _configure)
def cmd_select(args: argparse.Namespace) -> int:
    job = Job.load(args.job)
    if args.csv and args.csv != "-" and not Path(args.csv).parent.is_dir():
        return _fail(f"cannot write {args.csv}: no folder {Path(args.csv).parent}")
    store = store_from_args(args)
    try:
        if args.csv:
            try:
                written, all_profiles = export_csv(store, job, args.csv)
            except OSError as exc:
                return _fail(f"cannot write {args.csv}: {exc.strerror or exc}")
            print(
                f"{written:,} of {all_profiles:,} profiles written to {args.csv}", file=sys.stderr
            )
            return 0
        selected, all_profiles = count_job(store, job)
    finally:
        store.close()
    if args.count:
        print(selected)
    else:
        where = f"segment {job.segment!r}" if job.segment else f"database {job.database!r}"
        print(f"{selected:,} of {all_profiles:,} profiles selected ({where})")
    return 0
