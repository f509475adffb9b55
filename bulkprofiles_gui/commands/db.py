"""``bulkprofiles db list|create|rename|delete``: the profile databases of the store.

``db create`` makes the store first when the URL holds none yet (as ``demo``
does); the others refuse a missing store.  ``db delete`` asks, with what the
database holds, unless ``--yes``; without a terminal it refuses.
"""

from __future__ import annotations

import argparse
import sys

from ..cli import command, print_json
from ..core import catalog, manage
from ._manage import (
    action,
    actions,
    add_json,
    add_yes,
    confirmed,
    dispatch,
    opened_store,
    print_table,
)


def _list(args: argparse.Namespace) -> int:
    with opened_store(args) as store, store.begin() as conn:
        rows = catalog.list_databases(store, conn)
    if args.json:
        print_json(
            [
                {
                    "name": r.name,
                    "description": r.description,
                    "demo": r.is_demo,
                    "profiles": r.profiles,
                    "fields": r.fields,
                    "resources": list(r.resources),
                }
                for r in rows
            ]
        )
    elif not rows:
        print("No profile databases yet (bulkprofiles db create NAME).")
    else:
        print_table(
            ["Name", "Profiles", "Fields", "Demo", "Attached resources"],
            [
                [r.name, r.profiles, r.fields, "yes" if r.is_demo else "", ", ".join(r.resources)]
                for r in rows
            ],
        )
    return 0


def _create(args: argparse.Namespace) -> int:
    if not args.name.strip():
        raise manage.CatalogError("a profile database needs a name")
    with opened_store(args, create=True) as store:
        with store.begin() as conn:
            manage.create_database(store, conn, args.name, args.description)
        print(f"Created profile database {args.name.strip()!r} in {store.display_url}.")
    return 0


def _rename(args: argparse.Namespace) -> int:
    with opened_store(args) as store, store.begin() as conn:
        manage.rename_database(store, conn, args.name, args.new_name)
    print(f"Renamed profile database {args.name!r} to {args.new_name.strip()!r}.")
    return 0


def _delete(args: argparse.Namespace) -> int:
    with opened_store(args) as store:
        with store.begin() as conn:
            contents = manage.database_contents(store, conn, args.name)
        what = contents.describe()
        if not confirmed(
            args,
            f"Delete profile database {args.name!r} with {what}? This cannot be undone. [y/N] ",
            f"deleting profile database {args.name!r} ({what}) cannot be undone: "
            "confirm it with --yes",
        ):
            return 1
        removed = manage.delete_database(store, args.name, expect_profiles=contents.profiles)
    print(f"Deleted profile database {args.name!r}: {removed.describe()}.")
    sys.stdout.flush()
    return 0


def _configure(parser: argparse.ArgumentParser) -> None:
    subs = actions(parser)
    add_json(action(subs, "list", "the profile databases with their counts", _list))
    create = action(
        subs, "create", "a new, empty profile database (makes the store if needed)", _create
    )
    create.add_argument("name", metavar="NAME")
    create.add_argument("--description", default="", metavar="TEXT", help="what it holds")
    rename = action(subs, "rename", "rename a profile database", _rename)
    rename.add_argument("name", metavar="NAME")
    rename.add_argument("new_name", metavar="NEW_NAME")
    delete = action(
        subs, "delete", "delete a profile database with its profiles (asks first)", _delete
    )
    delete.add_argument("name", metavar="NAME")
    add_yes(delete, "deleting")


@command("db", "list, create, rename or delete profile databases", _configure)
def cmd_db(args: argparse.Namespace) -> int:
    return dispatch(args)
