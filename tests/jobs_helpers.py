"""Test data and task helpers for the job runner and its actions (tests/test_jobs*.py,
test_tasks.py, test_action_update_fields.py, test_action_global_unsubscribe.py).

``make_task`` inserts a task for an explicit list of profile ids without the
selection engine (``jobs.freeze_profile_ids``), so runner tests do not depend
on rule semantics; end-to-end tests go through ``jobs.run_job`` instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update

from bulkprofiles_gui.core import jobs
from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.actions import get_action
from bulkprofiles_gui.core.actions.base import ActionContext
from bulkprofiles_gui.core.config import COMMIT_SECONDS, Settings
from bulkprofiles_gui.core.fields import FieldType
from bulkprofiles_gui.core.jobfile import Job
from bulkprofiles_gui.core.jobs import JobPlan, freeze_profile_ids, insert_task
from bulkprofiles_gui.core.progress import JobState, Progress
from bulkprofiles_gui.core.store import Store

DB = "Test customers"
CITIES = ("Berlin", "Paris", "Madrid", None)

#: The job most runner tests run: every profile's bonus points + 100.
INCREMENT = {
    "type": "update_fields",
    "changes": [{"field": "bonus_points", "op": "increment", "value": 100}],
}
#: With a long tag each batch of 100 needs new pages (a full disk shows).
LONG_TAG = "t" * 200
INCREMENT_AND_TAG = {
    "type": "update_fields",
    "changes": [
        {"field": "bonus_points", "op": "increment", "value": 100},
        {"field": "tags", "op": "add", "value": [LONG_TAG]},
    ],
}


@dataclass
class World:
    """A small database: ids of its profiles, fields and triggers."""

    database_id: int
    profile_ids: list[int]
    fields: dict[str, int]
    triggers: dict[str, int]
    other_database_id: int = 0
    columns: dict[str, str] = field(default_factory=dict)


def build_world(store: Store, n: int = 12) -> World:
    """``n`` profiles (city cycling Berlin/Paris/Madrid/empty, bonus_points = i,
    tags: 'vip' on even ids), custom fields bonus_points (integer), score
    (float), level (enum), vip (boolean), seen_on (date), tags; triggers."""
    with store.begin() as conn:
        db_id = store.create_database(conn, DB)
        other = store.create_database(conn, "Other customers")
        store.add_custom_field(conn, db_id, "bonus_points", "Bonus points", FieldType.INTEGER)
        store.add_custom_field(conn, db_id, "score", "Score", FieldType.FLOAT)
        store.add_custom_field(
            conn, db_id, "level", "Level", FieldType.ENUM, ("bronze", "silver", "gold")
        )
        store.add_custom_field(conn, db_id, "vip", "VIP", FieldType.BOOLEAN)
        store.add_custom_field(conn, db_id, "seen_on", "Seen on", FieldType.DATE)
        store.add_custom_field(conn, db_id, "tags", "Tags", FieldType.TAGS)
        infos = {f.key: f for f in store.fields(conn, db_id)}
        columns = {k: f.column_name for k, f in infos.items() if f.column_name}
        bonus = columns["bonus_points"]
        rows = [
            {
                "database_id": db_id,
                "email": f"p{i}@example.com",
                "city": CITIES[i % len(CITIES)],
                "global_status": "unsubscribed" if i % 5 == 0 else "subscribed",
                bonus: i,
                "updated_at": dt.datetime(2020, 1, 1),
            }
            for i in range(n)
        ]
        conn.execute(insert(store.profiles), rows)
        ids = list(
            conn.execute(
                select(store.profiles.c.id)
                .where(store.profiles.c.database_id == db_id)
                .order_by(store.profiles.c.id)
            ).scalars()
        )
        tags_id = infos["tags"].id
        conn.execute(
            insert(m.ProfileListValue),
            [{"profile_id": pid, "field_id": tags_id, "value": "vip"} for pid in ids[::2]],
        )
        triggers = {}
        for name, values in {
            "any_field": {"kind": "field_updated", "database_id": db_id},
            "city": {"kind": "field_updated", "field_id": infos["city"].id},
            "bonus": {"kind": "field_updated", "field_id": infos["bonus_points"].id},
            "tags": {"kind": "field_updated", "field_id": tags_id},
            "inactive": {"kind": "field_updated", "active": False},
            "other_db": {"kind": "field_updated", "database_id": other},
            "subscription": {"kind": "subscription"},
        }.items():
            triggers[name] = conn.execute(
                insert(m.Trigger).values(name=name, **values).returning(m.Trigger.id)
            ).scalar_one()
    return World(db_id, ids, {k: f.id for k, f in infos.items()}, triggers, other, columns)


def job_for(action: dict[str, Any], **top: Any) -> Job:
    raw: dict[str, Any] = {"database": DB, "action": action}
    raw.update(top)
    return Job.from_dict(raw, require_action=True)


def make_task(
    store: Store,
    action: dict[str, Any],
    profile_ids: list[int],
    *,
    dry_run: bool = False,
    skip_triggers: bool = False,
) -> int:
    """A queued task of ``action`` whose frozen selection is ``profile_ids``."""
    job = job_for(action, skip_triggers=skip_triggers)
    with store.begin() as conn:
        db_id = store.database_id(conn, DB)
        module = get_action(action["type"])
        ctx = ActionContext(store, db_id, Settings(), m.utcnow(), 0)
        params = module.parse(conn, ctx, action)
        plan = JobPlan(db_id, DB, None, module, params, spec=None)
        task_id = insert_task(conn, job, plan, dry_run=dry_run, operator="tester")
    freeze_profile_ids(store, task_id, profile_ids)
    return task_id


class Recorder:
    """A JobState whose progress reports are kept; can cancel after k reports."""

    def __init__(self, cancel_after: int | None = None) -> None:
        self.reports: list[Progress] = []
        self.cancel_after = cancel_after
        self.state = JobState(on_progress=self._on)

    def _on(self, progress: Progress) -> None:
        self.reports.append(progress)
        if self.cancel_after is not None and len(self.reports) >= self.cancel_after:
            self.state.cancel()


class DisplayGone:
    """An ``on_progress`` that fails in every thread but the main one (as a
    report from a ticker meets a window that is gone), keeping the reports it
    got and the helper-thread errors Python would print as tracebacks."""

    MESSAGE = "the progress window is gone"

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[Progress] = []
        self.thread_errors: list[object] = []
        monkeypatch.setattr(threading, "excepthook", self.thread_errors.append)

    def __call__(self, progress: Progress) -> None:
        self.calls.append(progress)
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError(self.MESSAGE)


def task_with_slow_freeze(store: Store, monkeypatch: pytest.MonkeyPatch) -> int:
    """A task of 4 profiles still to be frozen, whose freeze takes 0.35 s
    while the runner ticks every 0.1 s."""
    world = build_world(store, n=4)
    task_id = make_task(store, INCREMENT, world.profile_ids)
    with store.begin() as conn:  # unfreeze: the runner freezes through the selection
        conn.execute(delete(m.TaskProfile).where(m.TaskProfile.task_id == task_id))
        conn.execute(update(m.Task).where(m.Task.id == task_id).values(started_at=None))
    real_freeze = jobs._freeze

    def slow_freeze(store_: Store, run: jobs.TaskRun) -> None:
        time.sleep(0.35)
        real_freeze(store_, run)

    monkeypatch.setattr(jobs, "_freeze", slow_freeze)
    monkeypatch.setattr(jobs, "TICK_SECONDS", 0.1)
    return task_id


def settings(batch_size: int = 5, commit_seconds: float = COMMIT_SECONDS) -> Settings:
    """Settings for a test run; ``commit_seconds=0`` commits after every batch
    (for tests about what one batch commits)."""
    return Settings(batch_size=batch_size, commit_seconds=commit_seconds)


def outcomes(store: Store, task_id: int) -> dict[int, str | None]:
    tp = m.TaskProfile
    with store.begin() as conn:
        rows = conn.execute(
            select(tp.profile_id, tp.outcome).where(tp.task_id == task_id).order_by(tp.position)
        ).all()
    return {int(pid): outcome for pid, outcome in rows}


def column_values(store: Store, column: str) -> dict[int, Any]:
    p = store.profiles
    with store.begin() as conn:
        rows = conn.execute(select(p.c.id, p.c[column]).order_by(p.c.id)).all()
    return {int(pid): value for pid, value in rows}


def tags_of(store: Store, world: World, key: str = "tags") -> dict[int, list[str]]:
    lv = m.ProfileListValue
    with store.begin() as conn:
        rows = conn.execute(
            select(lv.profile_id, lv.value)
            .where(lv.field_id == world.fields[key])
            .order_by(lv.profile_id, lv.value)
        ).all()
    found: dict[int, list[str]] = {pid: [] for pid in world.profile_ids}
    for pid, value in rows:
        found[int(pid)].append(value)
    return found


def trigger_events(store: Store) -> list[tuple[str, int]]:
    """(trigger name, profile id) of every outbox row, sorted."""
    t, te = m.Trigger, m.TriggerEvent
    with store.begin() as conn:
        rows = conn.execute(select(t.name, te.profile_id).join(t, t.id == te.trigger_id)).all()
    return sorted((str(name), int(pid)) for name, pid in rows)


def data_digest(store: Store) -> str:
    """A digest of everything an action may change (profiles, list values,
    subscriptions, promo codes, trigger events)."""
    h = hashlib.sha256()
    with store.begin() as conn:
        for table, order in (
            (store.profiles, store.profiles.c.id),
            (m.ProfileListValue.__table__, None),
            (m.Subscription.__table__, None),
            (m.PromoCode.__table__, None),
            (m.TriggerEvent.__table__, None),
        ):
            stmt = select(table)
            cols = list(table.c)  # type: ignore[attr-defined]
            stmt = stmt.order_by(*(cols if order is None else [order]))
            for row in conn.execute(stmt):
                h.update(json.dumps([str(v) for v in row]).encode())
    return h.hexdigest()


def break_batch(
    monkeypatch: pytest.MonkeyPatch,
    n: int,
    *,
    before: Callable[[Any], Any] | None = None,
    error: BaseException | None = None,
) -> list[int]:
    """Make the runner's ``n``-th batch fail: ``before(conn)`` runs in its
    transaction before the runner takes the write lock and the action runs
    (a fault of the store, another writer); ``error`` is raised once the
    batch has done its work (its changes made, then a failure).  Returns the
    ``lo`` of every batch the runner started."""
    real = jobs._apply_batch
    calls: list[int] = []

    def nth_breaks(conn: Any, run: Any, batch: Any) -> Any:
        calls.append(batch.lo)
        nth = len(calls) == n
        if nth and before is not None:
            before(conn)
        summary = real(conn, run, batch)
        if nth and error is not None:
            raise error
        return summary

    monkeypatch.setattr(jobs, "_apply_batch", nth_breaks)
    return calls
