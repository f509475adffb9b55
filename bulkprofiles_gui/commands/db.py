"""``bulkprofiles db list|create|rename|delete``: the profile databases of the store.

``db create`` makes the store first when the URL holds none yet (as ``demo``
does); the others refuse a missing store.  ``db delete`` asks, with what the
database holds, unless ``--yes``; without a terminal it refuses.
"""

from __future__ import annotations

import argparse
import sys

from ..core import catalog, manage
from ._common import print_json
from ._manage import Run, confirmed, dispatch, opened_store, print_table


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


#: What runs each nested action declared in ``_arguments.configure_db``.
ACTIONS: dict[str, Run] = {"list": _list, "create": _create, "rename": _rename, "delete": _delete}


def cmd_db(args: argparse.Namespace) -> int:
    return dispatch(args, ACTIONS)
