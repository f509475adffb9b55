"""A small world for the revert tests: profiles with values of every field type,
list items, subscriptions, promo codes and events, and a fingerprint of the
store that leaves out what a revert does not bring back on purpose
(timestamps and the task records)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from action_helpers import (
    LONG_AGO,
    World,
    add_codes,
    add_event,
    add_profile,
    add_subscription,
    make_world,
)
from sqlalchemy import insert, select

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.fields import FieldType
from bulkprofiles_gui.core.store import Store

#: Custom fields of the world, one of each scalar type plus tags.
CUSTOM_FIELDS = (
    ("score", "Score", FieldType.INTEGER),
    ("rate", "Rate", FieldType.FLOAT),
    ("since", "Customer since", FieldType.DATE),
    ("seen", "Last seen", FieldType.DATETIME),
    ("vip", "VIP", FieldType.BOOLEAN),
    ("tags", "Tags", FieldType.TAGS),
)
BERLIN_PROFILES = 8
OTHER_PROFILES = 4
#: Timestamps a revert sets anew instead of restoring (the profile did change).
TIMESTAMPS = {"profiles": {"updated_at"}, "subscriptions": {"updated_at"}}
STATE_TABLES = ("profiles", "profile_list_values", "subscriptions", "promo_codes", "events")


def build_world(store: Store) -> World:
    """Customers: 8 profiles in Berlin (the selection) and 4 in Paris, each
    with different values, phones, tags, subscriptions and codes."""
    world = make_world(store)
    with store.begin() as conn:
        for key, label, ftype in CUSTOM_FIELDS:
            store.add_custom_field(conn, world.db_id, key, label, ftype)
        world.fields = {f.key: f.id for f in store.fields(conn, world.db_id)}
        program = world.programs["Winter sale"]
        add_codes(conn, program, [(f"FREE-{n}", "free", None) for n in range(6)])
        for i in range(BERLIN_PROFILES + OTHER_PROFILES):
            _add_customer(conn, world, i, program)
    return world


def _add_customer(conn: Any, world: World, i: int, program: int) -> None:
    city = "Berlin" if i < BERLIN_PROFILES else "Paris"
    pid = add_profile(
        conn,
        world,
        email=None if i % 4 == 3 else f"p{i}@example.com",
        phones=() if i % 3 == 2 else (f"+4930{i:07d}", f"+3361{i:07d}"),
        city=city,
        nickname=f"nick {i}" if i % 2 else None,
        score=None if i % 3 == 0 else i * 7,
        rate=0.1 * i + 1 / 3,
        since=dt.date(2020, 1, 1) + dt.timedelta(days=37 * i),
        seen=None
        if i == 4
        else dt.datetime(2025, 3, 1, 10, 30, 15, 123456) + dt.timedelta(hours=i),
        vip=bool(i % 2),
        global_status="unsubscribed" if i == 5 else "subscribed",
    )
    tags = [t for t, on in (("gold", i % 2 == 0), ("b2b", i % 3 == 0)) if on]
    if tags:
        conn.execute(
            insert(m.ProfileListValue),
            [{"profile_id": pid, "field_id": world.fields["tags"], "value": t} for t in tags],
        )
    email = f"p{i}@example.com"
    if i % 4 == 0:
        add_subscription(conn, world, pid, "Newsletter", "email", "old@example.com", "unconfirmed")
    elif i % 4 == 1:
        add_subscription(conn, world, pid, "Newsletter", "email", email, "unsubscribed")
    if i % 2 == 0:
        add_subscription(conn, world, pid, "Shop", "email", email, "subscribed")
        add_subscription(conn, world, pid, "Shop", "sms", f"+4930{i:07d}", "subscribed")
    if i in (1, 2):
        add_codes(conn, program, [(f"HELD-{i}", "attached", pid)])
    if i == 3:
        add_codes(conn, program, [(f"USED-{i}", "activated", pid)])
    if i == 6:  # recently active: the delete skips it
        add_event(conn, world, pid, m.utcnow() - dt.timedelta(days=2))
    add_event(conn, world, pid, LONG_AGO)


def store_state(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the data tables, in key order, without the timestamps a
    revert sets anew; the task records (tasks, task_profiles, trigger events,
    journal) are not part of it."""
    state: dict[str, list[tuple[Any, ...]]] = {}
    with store.begin() as conn:
        for name in STATE_TABLES:
            table = store.profiles if name == "profiles" else m.Base.metadata.tables[name]
            columns = [c for c in table.c if c.name not in TIMESTAMPS.get(name, set())]
            rows = conn.execute(select(*columns).order_by(*table.primary_key.columns)).all()
            state[name] = [tuple(r) for r in rows]
    return state


def count_rows(store: Store, model: Any, task_id: int) -> int:
    from sqlalchemy import func

    with store.begin() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(model).where(model.task_id == task_id)
            ).scalar_one()
        )


def outcomes(store: Store, task_id: int) -> dict[int, str | None]:
    with store.begin() as conn:
        rows = conn.execute(
            select(m.TaskProfile.profile_id, m.TaskProfile.outcome).where(
                m.TaskProfile.task_id == task_id
            )
        ).all()
    return {int(pid): outcome for pid, outcome in rows}
