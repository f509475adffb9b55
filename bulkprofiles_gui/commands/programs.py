"""``bulkprofiles programs list|create|load-codes``: loyalty programs and the pools
of promo codes their jobs hand out."""

from __future__ import annotations

import argparse

from ..cli import command, print_json
from ..core import catalog, manage
from ._manage import action, actions, add_json, dispatch, opened_store, print_table

STORE_WIDE = "(every database)"


def _list(args: argparse.Namespace) -> int:
    with opened_store(args) as store, store.begin() as conn:
        programs = catalog.all_loyalty_programs(store, conn)
    if args.json:
        print_json(
            [
                {
                    "name": p.name,
                    "database": p.database,
                    "codes": p.codes,
                    "free": p.free,
                    "attached": p.attached,
                    "activated": p.activated,
                }
                for p in programs
            ]
        )
    elif not programs:
        print("No loyalty programs yet (bulkprofiles programs create NAME).")
    else:
        print_table(
            ["Name", "Database", "Codes", "Free", "Attached", "Activated"],
            [
                [p.name, p.database or STORE_WIDE, p.codes, p.free, p.attached, p.activated]
                for p in programs
            ],
        )
    return 0


def _create(args: argparse.Namespace) -> int:
    with opened_store(args) as store, store.begin() as conn:
        manage.create_program(store, conn, args.name, args.database)
    where = f"for {args.database!r}" if args.database else "for every database"
    print(
        f"Created loyalty program {args.name.strip()!r} {where}; load its codes with "
        f"'bulkprofiles programs load-codes'."
    )
    return 0


def _load_codes(args: argparse.Namespace) -> int:
    with opened_store(args) as store, store.begin() as conn:
        summary = manage.load_codes(store, conn, args.name, args.file)
    if args.json:
        print_json(summary.to_dict())
    else:
        print("\n".join(summary.lines()))
    return 0


def _configure(parser: argparse.ArgumentParser) -> None:
    subs = actions(parser)
    add_json(action(subs, "list", "the loyalty programs with their pool counts", _list))
    create = action(subs, "create", "a new loyalty program with an empty pool", _create)
    create.add_argument("name", metavar="NAME")
    create.add_argument(
        "--database", metavar="NAME", help="only for this profile database (default: every one)"
    )
    load = action(
        subs,
        "load-codes",
        "load free codes from a text file (one a line) or a CSV file (first column)",
        _load_codes,
    )
    load.add_argument("name", metavar="NAME")
    load.add_argument("file", metavar="FILE")
    add_json(load)


@command("programs", "list or create loyalty programs; load their promo codes", _configure)
def cmd_programs(args: argparse.Namespace) -> int:
    return dispatch(args)
