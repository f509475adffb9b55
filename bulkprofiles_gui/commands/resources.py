"""``bulkprofiles resources list|create|rename|channels|attach|detach``: sending
identities, their channels, and the profile databases they are attached to."""

from __future__ import annotations

import argparse

from ..core import catalog, manage
from ._common import print_json
from ._manage import Run, dispatch, opened_store, print_table


def _list(args: argparse.Namespace) -> int:
    with opened_store(args) as store, store.begin() as conn:
        resources = catalog.all_resources(store, conn)
    if args.json:
        print_json(
            [
                {"name": r.name, "channels": list(r.channels), "databases": list(r.databases)}
                for r in resources
            ]
        )
    elif not resources:
        print("No resources yet (bulkprofiles resources create NAME --channels email).")
    else:
        print_table(
            ["Name", "Channels", "Attached to"],
            [[r.name, ", ".join(r.channels), ", ".join(r.databases)] for r in resources],
        )
    return 0


def _create(args: argparse.Namespace) -> int:
    with opened_store(args) as store, store.begin() as conn:
        manage.create_resource(store, conn, args.name, args.channels, attach=args.attach or ())
    attached = f", attached to {', '.join(repr(d) for d in args.attach)}" if args.attach else ""
    channels = ", ".join(manage.parse_channels(args.channels))
    print(f"Created resource {args.name.strip()!r} ({channels}){attached}.")
    return 0


def _rename(args: argparse.Namespace) -> int:
    with opened_store(args) as store, store.begin() as conn:
        manage.rename_resource(store, conn, args.name, args.new_name)
    print(f"Renamed resource {args.name!r} to {args.new_name.strip()!r}.")
    return 0


def _channels(args: argparse.Namespace) -> int:
    with opened_store(args) as store, store.begin() as conn:
        change = manage.set_resource_channels(store, conn, args.name, args.channels)
    added = ", ".join(change.added) or "none"
    removed = ", ".join(change.removed) or "none"
    print(f"Resource {args.name!r}: channels added: {added}; removed: {removed}.")
    if change.subscriptions_kept:
        print(
            f"{change.subscriptions_kept:,} subscription(s) on the removed channel(s) stay "
            "in the store."
        )
    return 0


def _attach(args: argparse.Namespace) -> int:
    with opened_store(args) as store, store.begin() as conn:
        manage.attach_resource(store, conn, args.name, args.database)
    print(f"Attached resource {args.name!r} to {args.database!r}.")
    return 0


def _detach(args: argparse.Namespace) -> int:
    with opened_store(args) as store, store.begin() as conn:
        manage.detach_resource(store, conn, args.name, args.database)
    print(f"Detached resource {args.name!r} from {args.database!r} (its subscriptions stay).")
    return 0


#: What runs each nested action declared in ``_arguments.configure_resources``.
ACTIONS: dict[str, Run] = {
    "list": _list,
    "create": _create,
    "rename": _rename,
    "channels": _channels,
    "attach": _attach,
    "detach": _detach,
}


def cmd_resources(args: argparse.Namespace) -> int:
    return dispatch(args, ACTIONS)
