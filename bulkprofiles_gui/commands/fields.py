"""``bulkprofiles fields list|add|rename-label|remove --database NAME``: the fields
of a profile database.

``fields remove`` first says which segments, tasks that could still run and
triggers use the field, and how many profiles hold a value, then asks (unless
``--yes``; without a terminal it refuses).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..core import manage
from ..core.store import FieldInfo
from ._arguments import split_list
from ._common import print_json
from ._manage import Run, confirmed, dispatch, opened_store, print_table


def field_dict(f: FieldInfo) -> dict[str, Any]:
    """A field as ``fields list --json`` (and ``info --json``) show it."""
    return {
        "key": f.key,
        "label": f.label,
        "type": f.type.value,
        "system": f.is_system,
        "editable": f.editable,
        **({"options": list(f.options)} if f.options else {}),
    }


def _list(args: argparse.Namespace) -> int:
    with opened_store(args) as store, store.begin() as conn:
        fields = store.fields(conn, store.database_id(conn, args.database))
    if args.json:
        print_json([field_dict(f) for f in fields])
        return 0
    print_table(
        ["Key", "Label", "Type", "Kind", "Editable", "Options"],
        [
            [
                f.key,
                f.label,
                f.type.value,
                "system" if f.is_system else "custom",
                "yes" if f.editable else "no",
                ", ".join(f.options),
            ]
            for f in fields
        ],
    )
    return 0


def _add(args: argparse.Namespace) -> int:
    ftype = manage.parse_field_type(args.type)
    options = split_list(args.options) if args.options is not None else []
    with opened_store(args) as store, store.begin() as conn:
        database_id = store.database_id(conn, args.database)
        info = manage.add_field(
            store, conn, database_id, args.key, ftype, label=args.label, options=options
        )
    extra = f", options {', '.join(info.options)}" if info.options else ""
    print(
        f"Added field {info.key!r} ({info.type.value}, label {info.label!r}{extra}) "
        f"to {args.database!r}."
    )
    return 0


def _rename_label(args: argparse.Namespace) -> int:
    with opened_store(args) as store, store.begin() as conn:
        database_id = store.database_id(conn, args.database)
        manage.rename_field_label(store, conn, database_id, args.key, args.label)
    print(f"Field {args.key!r} of {args.database!r} is now labelled {args.label.strip()!r}.")
    return 0


def _remove(args: argparse.Namespace) -> int:
    with opened_store(args) as store:
        with store.begin() as conn:
            database_id = store.database_id(conn, args.database)
            info = manage.field_info(store, conn, database_id, args.key)
            if info.is_system:  # refuse before asking
                raise manage.CatalogError(
                    f"{args.key!r} is a system field of {args.database!r} and cannot be removed"
                )
            usage = manage.field_usage(store, conn, database_id, args.key)
        for warning in usage.warnings():
            print(f"warning: field {args.key!r} is {warning}", file=sys.stderr)
        values = f"{usage.values:,} profile(s) hold a value, which will be lost"
        if not confirmed(
            args,
            f"Remove field {args.key!r} of {args.database!r} ({values})? [y/N] ",
            f"removing field {args.key!r} of {args.database!r} ({values}) cannot be undone: "
            "confirm it with --yes",
        ):
            return 1
        manage.remove_field(store, database_id, args.key)
    print(f"Removed field {args.key!r} from {args.database!r}.")
    return 0


#: What runs each nested action declared in ``_arguments.configure_fields``.
ACTIONS: dict[str, Run] = {
    "list": _list,
    "add": _add,
    "rename-label": _rename_label,
    "remove": _remove,
}


def cmd_fields(args: argparse.Namespace) -> int:
    return dispatch(args, ACTIONS)
