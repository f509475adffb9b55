"""``bulkprofiles demo``: make a demo profile database of invented customers."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import select

from ..core import models as m
from ..core.demo import DemoSummary, generate_demo
from ..core.store import Store, StoreError
from ._common import store_from_args


class _ProgressPrinter:
    """Prints a line per stage and about every 10 % of the profiles."""

    def __init__(self) -> None:
        self._next_percent = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage == "profiles":
            percent = done * 100 // max(total, 1)
            if percent >= self._next_percent:
                self._next_percent = percent // 10 * 10 + 10
                print(f"  profiles {done:>12,} of {total:,} ({percent}%)", flush=True)
        elif stage in ("indexes", "statistics"):
            if done == 0:
                print(f"  building {stage}...", flush=True)
        else:
            print(f"  {stage} {done:,}", flush=True)


def _refuse_taken_name(store: Store, name: str) -> None:
    """Say so before any work if the database name is taken."""
    with store.begin() as conn:
        taken = conn.execute(
            select(m.ProfileDatabase.id).where(m.ProfileDatabase.name == name.strip())
        ).first()
    if taken:
        raise StoreError(
            f"a profile database named {name.strip()!r} already exists in {store.display_url} "
            "(choose another --name)"
        )


def _print_summary(summary: DemoSummary, where: str) -> None:
    print(f"Demo database {summary.database_name!r} is ready in {where} (marked as demo data):")
    for label, count in (
        ("profiles", summary.profiles),
        ("phones and tags", summary.list_values),
        ("subscriptions", summary.subscriptions),
        ("events", summary.events),
        ("promo codes", summary.promo_codes),
        ("segments", summary.segments),
        ("triggers", summary.triggers),
    ):
        print(f"  {label:<16} {count:>12,}")
    rate = summary.rows / summary.seconds if summary.seconds > 0 else 0.0
    print(f"{summary.rows:,} rows in {summary.seconds:.1f} s ({rate:,.0f} rows/s).")


def cmd_demo(args: argparse.Namespace) -> int:
    if not args.name.strip():
        raise StoreError("the demo database needs a name (--name NAME)")
    store = store_from_args(args, create=True)
    try:
        _refuse_taken_name(store, args.name)
        print(
            f"Making {args.profiles:,} demo profiles (seed {args.seed}) in {store.display_url}...",
            flush=True,
        )
        summary = generate_demo(
            store,
            profiles=args.profiles,
            seed=args.seed,
            database_name=args.name,
            progress=_ProgressPrinter(),
        )
        _print_summary(summary, store.display_url)
    finally:
        store.close()
    sys.stdout.flush()
    return 0
