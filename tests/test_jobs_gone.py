"""Profiles deleted after the selection was frozen, for the actions whose work
table's fill classifies them (``SKIPS_GONE``: the runner makes no pass of its
own over ``task_profiles`` for them): each is ``profile_gone``, nothing is
written or journalled for it and no trigger starts for it, while the rest of
its batch runs as usual; the task's counters are those of ``task_profiles``
(the runner counts a batch from the work table).  And for promo_codes, whose
gone profiles the runner marks before the batch: a gone profile takes no
code and is told from a holder and from an empty pool.  Both backends."""

from __future__ import annotations

from typing import Any

import pytest
from action_helpers import (
    World,
    add_codes,
    add_profile,
    add_subscription,
    add_trigger,
    make_world,
    subscriptions,
)
from sqlalchemy import delete, func, select

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.actions import get_action
from bulkprofiles_gui.core.config import Settings
from bulkprofiles_gui.core.jobfile import Job
from bulkprofiles_gui.core.jobs import freeze_profile_ids, prepare_task, run_task
from bulkprofiles_gui.core.outcomes import TaskSummary
from bulkprofiles_gui.core.progress import JobState
from bulkprofiles_gui.core.store import Store

NICKNAME = {
    "type": "update_fields",
    "changes": [{"field": "nickname", "op": "set", "value": "Kim"}],
}
FROM_FIELDS = {
    "type": "subscribe_from_fields",
    "resource": "Newsletter",
    "channel": "email",
    "status": "subscribed",
}
FROM_SHOP = {
    "type": "subscribe_from_resource",
    "source_resource": "Shop",
    "resource": "Newsletter",
    "channels": ["email"],
    "status": "subscribed",
}
FROM_SHOP_TWO = {**FROM_SHOP, "channels": ["email", "sms"]}
ATTACH = {"type": "promo_codes", "mode": "attach", "program": "Winter sale"}
DETACH = {**ATTACH, "mode": "detach"}
UNSUBSCRIBE = {
    "type": "update_subscriptions",
    "resource": "Newsletter",
    "channel": "email",
    "status": "unsubscribed",
}


@pytest.fixture
def world(store: Store) -> World:
    return make_world(store)


def _profiles(world: World, n: int) -> list[int]:
    """``n`` profiles with an email, a Shop subscription on email and sms and a
    Newsletter subscription on email (so every action changes each of them)."""
    ids = []
    with world.store.begin() as conn:
        for i in range(n):
            pid = add_profile(conn, world, email=f"p{i}@example.com")
            add_subscription(conn, world, pid, "Shop", "email", f"shop{i}@example.com", "active")
            add_subscription(conn, world, pid, "Shop", "sms", f"+4915100000{i:03d}", "active")
            add_subscription(conn, world, pid, "Newsletter", "email", f"old{i}@x.com", "active")
            ids.append(pid)
        add_trigger(conn, "subscription", name="any subscription")
        add_trigger(conn, "field_updated", name="any field")
        add_trigger(conn, "field_updated", name="nickname", field_id=world.fields["nickname"])
    return ids


def _run_with_gone(world: World, action: dict[str, Any], ids: list[int], gone: list[int]) -> int:
    """Freeze ``ids`` as the task's selection, delete ``gone``, run the task in
    batches of 2; its id."""
    store = world.store
    job = Job.from_dict({"database": "Customers", "action": action}, require_action=True)
    task_id = prepare_task(store, job, operator="tester")
    freeze_profile_ids(store, task_id, ids)
    with store.begin() as conn:
        conn.execute(delete(store.profiles).where(store.profiles.c.id.in_(gone)))
    summary = run_task(store, task_id, JobState(), settings=Settings(batch_size=2))
    assert summary.status == "completed", summary.error
    _assert_counters_match_rows(store, summary)
    return task_id


def _assert_counters_match_rows(store: Store, summary: TaskSummary) -> None:
    """The task's counters are what its rows say (outcomes, outbox)."""
    tp, te = m.TaskProfile, m.TriggerEvent
    with store.begin() as conn:
        rows = conn.execute(
            select(tp.outcome, func.count())
            .where(tp.task_id == summary.task_id)
            .group_by(tp.outcome)
        ).all()
        events = conn.execute(
            select(func.count()).select_from(te).where(te.task_id == summary.task_id)
        ).scalar_one()
    by_outcome = {str(o): int(n) for o, n in rows}
    assert summary.changed == by_outcome.pop("changed", 0)
    assert summary.skipped == by_outcome
    assert summary.trigger_events == events


def _outcomes(store: Store, task_id: int) -> dict[int, str]:
    tp = m.TaskProfile
    with store.begin() as conn:
        rows = conn.execute(select(tp.profile_id, tp.outcome).where(tp.task_id == task_id))
        return {int(pid): str(outcome) for pid, outcome in rows}


def _touched(store: Store, task_id: int) -> set[int]:
    """Profiles the task journalled or started a trigger for."""
    with store.begin() as conn:
        found: set[int] = set()
        for model in (m.TriggerEvent, m.JournalValue, m.JournalSubscription, m.JournalCode):
            found |= set(
                conn.execute(select(model.profile_id).where(model.task_id == task_id)).scalars()
            )
    return found


@pytest.mark.parametrize(
    "action",
    [NICKNAME, FROM_FIELDS, FROM_SHOP, FROM_SHOP_TWO, UNSUBSCRIBE],
    ids=["update_fields", "subscribe_from_fields", "from_resource", "from_resource_2", "update"],
)
def test_profile_deleted_after_freezing_is_gone_and_the_rest_runs(
    world: World, action: dict[str, Any]
) -> None:
    assert get_action(action["type"]).SKIPS_GONE
    ids = _profiles(world, 5)
    gone = [ids[1], ids[4]]

    task_id = _run_with_gone(world, action, ids, gone)

    outcomes = _outcomes(world.store, task_id)
    assert outcomes == {pid: "profile_gone" if pid in gone else "changed" for pid in ids}
    assert _touched(world.store, task_id) == set(ids) - set(gone)


def test_gone_profiles_count_once_beside_other_skips(world: World) -> None:
    """A batch with a gone profile, one without the subscription and one that
    changes: each has its own outcome, and the counters add up per batch."""
    ids = _profiles(world, 3)
    with world.store.begin() as conn:
        bare = add_profile(conn, world, email="bare@example.com")
    selection = [ids[0], bare, ids[1], ids[2]]

    task_id = _run_with_gone(world, UNSUBSCRIBE, selection, [ids[1]])

    assert _outcomes(world.store, task_id) == {
        ids[0]: "changed",
        bare: "no_subscription",
        ids[1]: "profile_gone",
        ids[2]: "changed",
    }
    assert subscriptions(world, ids[0])[("Newsletter", "email")] == ("old0@x.com", "unsubscribed")


def _codes(world: World) -> dict[str, tuple[str, int | None]]:
    """The program's codes: code -> (status, holder)."""
    pc = m.PromoCode
    with world.store.begin() as conn:
        rows = conn.execute(select(pc.code, pc.status, pc.profile_id))
        return {str(code): (str(status), holder) for code, status, holder in rows}


def test_promo_attach_gives_no_code_to_a_gone_profile(world: World) -> None:
    """promo_codes leaves gone profiles to the runner (``SKIPS_GONE`` False:
    its fills look up no profile rows); the gone profile is not numbered for a
    code: the next profile gets it, and the pool runs dry one profile later."""
    ids = _profiles(world, 4)
    with world.store.begin() as conn:
        add_trigger(conn, "promo_attached", name="any code")
        add_codes(conn, world.programs["Winter sale"], [("A", "free", None), ("B", "free", None)])

    task_id = _run_with_gone(world, ATTACH, ids, [ids[0]])

    assert _outcomes(world.store, task_id) == {
        ids[0]: "profile_gone",
        ids[1]: "changed",
        ids[2]: "changed",
        ids[3]: "pool_empty",
    }
    assert _codes(world) == {"A": ("attached", ids[1]), "B": ("attached", ids[2])}
    assert ids[0] not in _touched(world.store, task_id)


def test_promo_attach_with_a_dry_pool_still_tells_gone_from_holder(world: World) -> None:
    """No free code at all (the batch writes nothing but outcomes): a holder is
    already_holds_code, a gone profile profile_gone, the rest pool_empty."""
    ids = _profiles(world, 3)
    with world.store.begin() as conn:
        add_codes(conn, world.programs["Winter sale"], [("H", "attached", ids[2])])

    task_id = _run_with_gone(world, ATTACH, ids, [ids[1]])

    assert _outcomes(world.store, task_id) == {
        ids[0]: "pool_empty",
        ids[1]: "profile_gone",
        ids[2]: "already_holds_code",
    }


def test_promo_detach_skips_a_gone_profile_as_gone(world: World) -> None:
    """A gone profile's code lost its holder with it (``ON DELETE SET NULL``:
    still ``attached``, to no one, and not the task's to detach); the profile
    is profile_gone, not no_code."""
    ids = _profiles(world, 3)
    program = world.programs["Winter sale"]
    with world.store.begin() as conn:
        add_codes(conn, program, [("A", "attached", ids[0]), ("B", "attached", ids[1])])

    task_id = _run_with_gone(world, DETACH, ids, [ids[1]])

    assert _outcomes(world.store, task_id) == {
        ids[0]: "changed",
        ids[1]: "profile_gone",
        ids[2]: "no_code",
    }
    assert _codes(world) == {"A": ("free", None), "B": ("attached", None)}
    assert _touched(world.store, task_id) == {ids[0]}
