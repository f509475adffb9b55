"""``bulkprofiles info``: databases, field schemas, resources, programs and counts."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import Connection, func, select

from ..cli import command, print_json, store_from_args
from ..core import models as m
from ..core.store import Store

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
    naming the known ones, if there is none of that name).
    """
    with store.begin() as conn:
        if database is not None:
            ids = [store.database_id(conn, database)]
        else:
            ids = list(
                conn.execute(
                    select(m.ProfileDatabase.id).order_by(m.ProfileDatabase.name)
                ).scalars()
            )
        return {
            "store": store.display_url,
            "databases": [_database(store, conn, db_id) for db_id in ids],
            "resources": _resources(conn),
            "counts": {
                name: conn.execute(select(func.count()).select_from(model)).scalar_one()
                for name, model in COUNTED
            },
        }


def _database(store: Store, conn: Connection, db_id: int) -> dict[str, Any]:
    row = (
        conn.execute(select(m.ProfileDatabase).where(m.ProfileDatabase.id == db_id)).one()._mapping
    )
    profiles = conn.execute(
        select(func.count()).select_from(m.Profile).where(m.Profile.database_id == db_id)
    ).scalar_one()
    resources = conn.execute(
        select(m.Resource.name)
        .join(m.ResourceDatabase, m.ResourceDatabase.resource_id == m.Resource.id)
        .where(m.ResourceDatabase.database_id == db_id)
        .order_by(m.Resource.name)
    ).scalars()
    segments = conn.execute(
        select(m.Segment.name).where(m.Segment.database_id == db_id).order_by(m.Segment.name)
    ).scalars()
    return {
        "name": row["name"],
        "demo": bool(row["is_demo"]),
        "description": row["description"],
        "profiles": profiles,
        "fields": [
            {
                "key": f.key,
                "label": f.label,
                "type": f.type.value,
                "system": f.is_system,
                "editable": f.editable,
                **({"options": list(f.options)} if f.options else {}),
            }
            for f in store.fields(conn, db_id)
        ],
        "resources": list(resources),
        "segments": list(segments),
        "programs": _programs(conn, db_id),
    }


def _programs(conn: Connection, db_id: int) -> list[dict[str, Any]]:
    """Loyalty programs of the database with their pool by code status."""
    lp, code = m.LoyaltyProgram, m.PromoCode
    programs: dict[str, dict[str, Any]] = {}
    for name, status, count in conn.execute(
        select(lp.name, code.status, func.count(code.id))
        .outerjoin(code, code.program_id == lp.id)
        .where(lp.database_id == db_id)
        .group_by(lp.name, code.status)
        .order_by(lp.name)
    ):
        entry = programs.setdefault(
            name, {"name": name, "codes": 0, "free": 0, "attached": 0, "activated": 0}
        )
        if status is not None:
            entry[status] = entry.get(status, 0) + count
            entry["codes"] += count
    return list(programs.values())


def _resources(conn: Connection) -> list[dict[str, Any]]:
    channels: dict[int, list[str]] = {}
    for res_id, channel in conn.execute(
        select(m.ResourceChannel.resource_id, m.ResourceChannel.channel).order_by(
            m.ResourceChannel.channel
        )
    ):
        channels.setdefault(res_id, []).append(channel)
    subscriptions: dict[int, int] = {
        res_id: count
        for res_id, count in conn.execute(
            select(m.Subscription.resource_id, func.count()).group_by(m.Subscription.resource_id)
        )
    }
    return [
        {
            "name": name,
            "channels": channels.get(res_id, []),
            "subscriptions": subscriptions.get(res_id, 0),
        }
        for res_id, name in conn.execute(
            select(m.Resource.id, m.Resource.name).order_by(m.Resource.name)
        )
    ]


def _print_text(summary: dict[str, Any]) -> None:
    print(f"Store: {summary['store']}")
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


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.add_argument(
        "--database", metavar="NAME", help="describe only the profile database NAME"
    )


@command("info", "show the databases, their field schemas, resources and counts", _configure)
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
