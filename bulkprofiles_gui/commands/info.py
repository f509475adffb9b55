"""``bulkprofiles info``: databases, field schemas, resources, programs and counts."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import Connection, func, select

from ..core import catalog, segments
from ..core import models as m
from ..core.store import Store
from ._common import print_json, store_from_args

#: Tables counted in the totals, by the name shown.
COUNTED: tuple[tuple[str, type[m.Base]], ...] = (
    ("profiles", m.Profile),
    ("subscriptions", m.Subscription),
    ("events", m.Event),
    ("promo_codes", m.PromoCode),
    ("segments", m.Segment),
    ("triggers", m.Trigger),
    ("tasks", m.Task),
)


def store_summary(store: Store, database: str | None = None) -> dict[str, Any]:
    """Everything ``info`` shows, as plain data (the ``--json`` output).

    With ``database``, only that profile database is described (StoreError,
    naming the known ones, if there is none of that name).  The look-ups are
    the GUI's (``core.catalog``, ``core.segments``).
    """
    with store.begin() as conn:
        databases = catalog.list_databases(store, conn)
        if database is not None:
            wanted = store.database_id(conn, database)
            databases = [db for db in databases if db.id == wanted]
        return {
            "store": store.display_url,
            "schema_version": int(
                conn.execute(
                    select(m.StoreMeta.value).where(m.StoreMeta.key == "schema_version")
                ).scalar_one()
            ),
            "databases": [_database(store, conn, db) for db in databases],
            "resources": _resources(store, conn),
            "counts": {
                name: conn.execute(select(func.count()).select_from(model)).scalar_one()
                for name, model in COUNTED
            },
        }


def _database(store: Store, conn: Connection, db: catalog.DatabaseRow) -> dict[str, Any]:
    return {
        "name": db.name,
        "demo": db.is_demo,
        "description": db.description,
        "profiles": db.profiles,
        "fields": [
            {
                "key": f.key,
                "label": f.label,
                "type": f.type.value,
                "system": f.is_system,
                "editable": f.editable,
                **({"options": list(f.options)} if f.options else {}),
            }
            for f in store.fields(conn, db.id)
        ],
        "resources": list(db.resources),
        "segments": [s.name for s in segments.list_segments(store, conn, db.id)],
        "programs": [
            {
                "name": p.name,
                "codes": p.free + p.attached + p.activated,
                "free": p.free,
                "attached": p.attached,
                "activated": p.activated,
            }
            for p in catalog.loyalty_programs(store, conn, db.id)
        ],
    }


def _resources(store: Store, conn: Connection) -> list[dict[str, Any]]:
    subscriptions = {
        resource_id: count
        for resource_id, count in conn.execute(
            select(m.Subscription.resource_id, func.count()).group_by(m.Subscription.resource_id)
        )
    }
    return [
        {
            "name": r.name,
            "channels": list(r.channels),
            "subscriptions": int(subscriptions.get(r.id, 0)),
        }
        for r in catalog.all_resources(store, conn)
    ]


def _print_text(summary: dict[str, Any]) -> None:
    print(f"Store: {summary['store']} (schema version {summary['schema_version']})")
    if not summary["databases"]:
        print("No profile databases yet (run 'bulkprofiles demo' to make demo data).")
    for db in summary["databases"]:
        _print_database(db)
    if summary["resources"]:
        print("\nResources:")
        width = max(len(r["name"]) for r in summary["resources"])
        for r in summary["resources"]:
            print(
                f"  {r['name']:<{width}}  channels: {', '.join(r['channels']) or '(none)':<40} "
                f"{r['subscriptions']:>10,} subscriptions"
            )
    print("\nTotals: " + ", ".join(f"{k} {v:,}" for k, v in summary["counts"].items()))


def _print_database(db: dict[str, Any]) -> None:
    demo = "  [DEMO DATA]" if db["demo"] else ""
    print(f"\nDatabase {db['name']!r}: {db['profiles']:,} profiles{demo}")
    print(f"  Resources: {', '.join(db['resources']) or '(none attached)'}")
    print(f"  Segments: {', '.join(db['segments']) or '(none)'}")
    programs = [
        f"{p['name']} ({p['codes']:,} codes: {p['free']:,} free, "
        f"{p['attached']:,} attached, {p['activated']:,} activated)"
        for p in db["programs"]
    ]
    print(f"  Loyalty programs: {'; '.join(programs) or '(none)'}")
    print("  Fields:")
    for f in db["fields"]:
        kind = "system" if f["system"] else "custom"
        read_only = "" if f["editable"] else ", read-only"
        options = f"  options: {', '.join(f['options'])}" if f.get("options") else ""
        print(f"    {f['key']:<22} {f['type']:<9} ({kind}{read_only}){options}")


def cmd_info(args: argparse.Namespace) -> int:
    store = store_from_args(args)
    try:
        summary = store_summary(store, args.database)
    finally:
        store.close()
    if args.json:
        print_json(summary)
    else:
        _print_text(summary)
    return 0
