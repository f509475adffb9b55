"""Test-data builders for the action tests, and a way to run one action over
chosen profiles without the job runner.

``run_action`` inserts a task and its frozen selection (``task_profiles``
positions 0..n-1 in the given order) and applies the action batch by batch,
each batch in its own transaction, the way the runner does.  ``table_digest``
fingerprints every table a job may change, to prove a dry run changed nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from sqlalchemy import Connection, insert, select

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.actions.base import ActionContext, Batch
from bulkprofiles_gui.core.config import Settings
from bulkprofiles_gui.core.fields import FieldType
from bulkprofiles_gui.core.jobfile import Job
from bulkprofiles_gui.core.jobs import TaskSummary, run_job
from bulkprofiles_gui.core.progress import JobState
from bulkprofiles_gui.core.store import Store

NOW = dt.datetime(2026, 5, 15, 12, 0, 0)
LONG_AGO = dt.datetime(2025, 1, 10, 9, 0, 0)


@dataclass
class World:
    """A store with one database "Customers" and its resources and programs.

    Resources: "Newsletter" (email, sms, push; attached), "Shop" (email, sms,
    viber; attached), "Elsewhere" (email; not attached).  Custom text field
    ``push_id``.  Loyalty program "Winter sale" (no codes until added).
    """

    store: Store
    db_id: int
    resources: dict[str, int] = field(default_factory=dict)
    programs: dict[str, int] = field(default_factory=dict)
    fields: dict[str, int] = field(default_factory=dict)

    @property
    def phones_field(self) -> int:
        return self.fields["phones"]


def make_world(store: Store) -> World:
    with store.begin() as conn:
        db_id = store.create_database(conn, "Customers")
        other_db = store.create_database(conn, "Other customers")
        store.add_custom_field(conn, db_id, "push_id", "Push id", FieldType.STRING)
        store.add_custom_field(conn, db_id, "nickname", "Nickname", FieldType.STRING)
        world = World(store, db_id)
        world.fields = {f.key: f.id for f in store.fields(conn, db_id)}
        channels = {
            "Newsletter": ("email", "sms", "push"),
            "Shop": ("email", "sms", "viber"),
            "Elsewhere": ("email",),
        }
        for name, chans in channels.items():
            rid = conn.execute(
                insert(m.Resource).values(name=name).returning(m.Resource.id)
            ).scalar_one()
            world.resources[name] = int(rid)
            conn.execute(
                insert(m.ResourceChannel), [{"resource_id": rid, "channel": c} for c in chans]
            )
            attached_to = db_id if name != "Elsewhere" else other_db
            conn.execute(
                insert(m.ResourceDatabase).values(resource_id=rid, database_id=attached_to)
            )
        for name, owner in (("Winter sale", db_id), ("Other shop", other_db)):
            pid = conn.execute(
                insert(m.LoyaltyProgram)
                .values(name=name, database_id=owner)
                .returning(m.LoyaltyProgram.id)
            ).scalar_one()
            world.programs[name] = int(pid)
    return world


def add_profile(
    conn: Connection,
    world: World,
    *,
    email: str | None = None,
    phones: tuple[str, ...] = (),
    created_at: dt.datetime = LONG_AGO,
    **columns: Any,
) -> int:
    """One profile; ``columns`` are system columns or custom field keys."""
    store = world.store
    values: dict[str, Any] = {
        "database_id": world.db_id,
        "email": email,
        "created_at": created_at,
        "updated_at": created_at,
    }
    by_key = {f.key: f for f in store.fields(conn, world.db_id)}
    for key, value in columns.items():
        info = by_key.get(key)
        values[info.column_name if info and info.column_name else key] = value
    pid = conn.execute(
        insert(store.profiles).values(**values).returning(store.profiles.c.id)
    ).scalar_one()
    if phones:
        conn.execute(
            insert(m.ProfileListValue),
            [{"profile_id": pid, "field_id": world.phones_field, "value": p} for p in phones],
        )
    return int(pid)


def add_subscription(
    conn: Connection,
    world: World,
    profile_id: int,
    resource: str,
    channel: str,
    contact: str,
    status: str,
    *,
    when: dt.datetime = LONG_AGO,
) -> None:
    conn.execute(
        insert(m.Subscription).values(
            profile_id=profile_id,
            resource_id=world.resources[resource],
            channel=channel,
            contact=contact,
            status=status,
            created_at=when,
            updated_at=when,
        )
    )


def add_trigger(conn: Connection, kind: str, name: str = "t", **filters: Any) -> int:
    return int(
        conn.execute(
            insert(m.Trigger).values(name=name, kind=kind, **filters).returning(m.Trigger.id)
        ).scalar_one()
    )


def add_codes(conn: Connection, program_id: int, codes: list[tuple[str, str, int | None]]) -> None:
    """Codes as (code, status, profile_id)."""
    conn.execute(
        insert(m.PromoCode),
        [
            {
                "program_id": program_id,
                "code": code,
                "status": status,
                "profile_id": profile_id,
                "attached_at": LONG_AGO if profile_id is not None else None,
            }
            for code, status, profile_id in codes
        ],
    )


def add_event(conn: Connection, world: World, profile_id: int, when: dt.datetime) -> None:
    conn.execute(
        insert(m.Event).values(
            profile_id=profile_id, database_id=world.db_id, type="opened", occurred_at=when
        )
    )


@dataclass
class Run:
    task_id: int
    params: Any
    outcomes: dict[int, str]
    trigger_events: list[tuple[int, int]]  # (trigger_id, profile_id), sorted

    def with_outcome(self, outcome: str) -> set[int]:
        return {pid for pid, o in self.outcomes.items() if o == outcome}


def make_context(
    world: World,
    task_id: int,
    *,
    now: dt.datetime = NOW,
    dry_run: bool = False,
    skip_triggers: bool = False,
    settings: Settings | None = None,
) -> ActionContext:
    return ActionContext(
        store=world.store,
        database_id=world.db_id,
        settings=settings or Settings(),
        now=now,
        task_id=task_id,
        dry_run=dry_run,
        skip_triggers=skip_triggers,
    )


def start_task(conn: Connection, world: World, action: dict[str, Any], ids: list[int]) -> int:
    """A task row plus its frozen selection: ``ids`` at positions 0..n-1."""
    task_id = conn.execute(
        insert(m.Task)
        .values(
            action_type=action["type"],
            database_id=world.db_id,
            job={"database": "Customers", "action": action},
            status="running",
        )
        .returning(m.Task.id)
    ).scalar_one()
    if ids:
        conn.execute(
            insert(m.TaskProfile),
            [{"task_id": task_id, "position": i, "profile_id": pid} for i, pid in enumerate(ids)],
        )
    return int(task_id)


def parse_action(world: World, module: ModuleType, action: dict[str, Any]) -> Any:
    """Parse ``action`` the way the runner does (raises ActionError)."""
    with world.store.begin() as conn:
        return module.parse(conn, make_context(world, 0), action)


def run_action(
    world: World,
    module: ModuleType,
    action: dict[str, Any],
    ids: list[int],
    *,
    batch_size: int = 1000,
    **context: Any,
) -> Run:
    """Parse ``action`` and apply it to ``ids`` in batches, one transaction each."""
    store = world.store
    with store.begin() as conn:
        task_id = start_task(conn, world, action, ids)
    ctx = make_context(world, task_id, **context)
    with store.begin() as conn:
        params = module.parse(conn, ctx, action)
    for lo in range(0, len(ids), batch_size):
        with store.begin() as conn:
            module.apply_batch(conn, ctx, params, Batch(task_id, lo, lo + batch_size))
    with store.begin() as conn:
        outcomes = dict(
            conn.execute(
                select(m.TaskProfile.profile_id, m.TaskProfile.outcome).where(
                    m.TaskProfile.task_id == task_id
                )
            ).all()
        )
        events = sorted(
            (int(t), int(p))
            for t, p in conn.execute(
                select(m.TriggerEvent.trigger_id, m.TriggerEvent.profile_id).where(
                    m.TriggerEvent.task_id == task_id
                )
            ).all()
        )
    return Run(task_id, params, outcomes, events)


def subscriptions(world: World, profile_id: int) -> dict[tuple[str, str], tuple[str, str]]:
    """(resource name, channel) -> (contact, status) of one profile."""
    names = {rid: name for name, rid in world.resources.items()}
    with world.store.begin() as conn:
        rows = conn.execute(
            select(
                m.Subscription.resource_id,
                m.Subscription.channel,
                m.Subscription.contact,
                m.Subscription.status,
            ).where(m.Subscription.profile_id == profile_id)
        ).all()
    return {(names[r], c): (contact, status) for r, c, contact, status in rows}


#: Tables a job changes besides its own bookkeeping (tasks, task_profiles).
DATA_TABLES = (
    "profiles",
    "profile_list_values",
    "subscriptions",
    "promo_codes",
    "events",
    "trigger_events",
)


def table_digest(store: Store) -> dict[str, str]:
    """A fingerprint of every row of every data table."""
    digests: dict[str, str] = {}
    with store.begin() as conn:
        for name in DATA_TABLES:
            table = store.profiles if name == "profiles" else m.Base.metadata.tables[name]
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            digests[name] = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
    return digests


#: Rule selecting the profiles made with ``city="Berlin"`` (end-to-end tests).
BERLIN = {
    "combinator": "and",
    "not": False,
    "rules": [{"field": "city", "operator": "=", "value": "Berlin"}],
}


def run_job_e2e(
    world: World,
    action: dict[str, Any],
    *,
    rules: dict[str, Any] | None = None,
    dry_run: bool = False,
    skip_triggers: bool = False,
    settings: Settings | None = None,
) -> TaskSummary:
    """Run ``action`` on database "Customers" through ``jobs.run_job`` (selection,
    freezing, batches, counts), selecting the Berlin profiles by default."""
    job = Job.from_dict(
        {
            "database": "Customers",
            "rules": BERLIN if rules is None else rules,
            "skip_triggers": skip_triggers,
            "action": action,
        },
        require_action=True,
    )
    return run_job(
        world.store,
        job,
        JobState(),
        dry_run=dry_run,
        operator="tester",
        settings=settings or Settings(batch_size=2),
    )
