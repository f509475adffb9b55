"""``bulkprofiles programs list|create|load-codes``: loyalty programs and the pools
of promo codes their jobs hand out."""

from __future__ import annotations

import argparse

from ..core import catalog, manage
from ._common import print_json
from ._manage import Run, dispatch, opened_store, print_table

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


#: What runs each nested action declared in ``_arguments.configure_programs``.
ACTIONS: dict[str, Run] = {"list": _list, "create": _create, "load-codes": _load_codes}


def cmd_programs(args: argparse.Namespace) -> int:
    return dispatch(args, ACTIONS)
