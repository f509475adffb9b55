"""``bulkprofiles info``: databases, field schemas, resources, counts."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import func, select

from ..cli import command, print_json, store_from_args
from ..core import models as m
from ..core.store import Store


def store_summary(store: Store) -> dict[str, Any]:
    """Everything ``info`` shows, as plain data."""
    with store.begin() as conn:
        databases = []
        db_table = m.ProfileDatabase.__table__
        for row in conn.execute(select(db_table).order_by(db_table.c.name)).all():
            count = conn.execute(
                select(func.count()).select_from(m.Profile).where(m.Profile.database_id == row.id)
            ).scalar_one()
            resources = (
                conn.execute(
                    select(m.Resource.name)
                    .join(m.ResourceDatabase, m.ResourceDatabase.resource_id == m.Resource.id)
                    .where(m.ResourceDatabase.database_id == row.id)
                    .order_by(m.Resource.name)
                )
                .scalars()
                .all()
            )
            databases.append(
                {
                    "name": row.name,
                    "demo": row.is_demo,
                    "profiles": count,
                    "fields": [
                        {
                            "key": f.key,
                            "label": f.label,
                            "type": f.type.value,
                            "system": f.is_system,
                            "editable": f.editable,
                            **({"options": list(f.options)} if f.options else {}),
                        }
                        for f in store.fields(conn, row.id)
                    ],
                    "resources": list(resources),
                }
            )
        resources_out = []
        for res_id, name in conn.execute(
            select(m.Resource.id, m.Resource.name).order_by(m.Resource.name)
        ):
            channels = (
                conn.execute(
                    select(m.ResourceChannel.channel)
                    .where(m.ResourceChannel.resource_id == res_id)
                    .order_by(m.ResourceChannel.channel)
                )
                .scalars()
                .all()
            )
            subs = conn.execute(
                select(func.count())
                .select_from(m.Subscription)
                .where(m.Subscription.resource_id == res_id)
            ).scalar_one()
            resources_out.append({"name": name, "channels": list(channels), "subscriptions": subs})
        counts = {
            name: conn.execute(select(func.count()).select_from(model)).scalar_one()
            for name, model in (
                ("profiles", m.Profile),
                ("subscriptions", m.Subscription),
                ("events", m.Event),
                ("promo_codes", m.PromoCode),
                ("segments", m.Segment),
                ("triggers", m.Trigger),
                ("tasks", m.Task),
            )
        }
    return {
        "store": store.display_url,
        "databases": databases,
        "resources": resources_out,
        "counts": counts,
    }


def _print_text(summary: dict[str, Any]) -> None:
    print(f"Store: {summary['store']}")
    if not summary["databases"]:
        print("No profile databases yet (run 'bulkprofiles demo' to make demo data).")
    for db in summary["databases"]:
        demo = "  [DEMO DATA]" if db["demo"] else ""
        print(f"\nDatabase {db['name']!r}: {db['profiles']:,} profiles{demo}")
        print(f"  Resources: {', '.join(db['resources']) or '(none attached)'}")
        print("  Fields:")
        for f in db["fields"]:
            kind = "system" if f["system"] else "custom"
            extra = f"  options: {', '.join(f['options'])}" if f.get("options") else ""
            ro = "" if f["editable"] else ", read-only"
            print(f"    {f['key']:<22} {f['type']:<9} ({kind}{ro}){extra}")
    if summary["resources"]:
        print("\nResources:")
        for r in summary["resources"]:
            print(
                f"  {r['name']:<20} channels: {', '.join(r['channels']):<40} "
                f"{r['subscriptions']:,} subscriptions"
            )
    print("\nTotals: " + ", ".join(f"{k} {v:,}" for k, v in summary["counts"].items()))


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


@command("info", "show the databases, their field schemas, resources and counts", _configure)
def cmd_info(args: argparse.Namespace) -> int:
    store = store_from_args(args)
    try:
        summary = store_summary(store)
    finally:
        store.close()
    if args.json:
        print_json(summary)
    else:
        _print_text(summary)
    return 0
