"""Update subscription status (domain.md "Update actions" 4 and the unsafe-statuses
rule), on every backend."""

from __future__ import annotations

import pytest
from action_helpers import (
    LONG_AGO,
    NOW,
    World,
    add_profile,
    add_subscription,
    add_trigger,
    make_world,
    parse_action,
    run_action,
    run_job_e2e,
    subscriptions,
    table_digest,
)
from sqlalchemy import select

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.actions import update_subscriptions as action
from bulkprofiles_gui.core.actions.base import ActionError
from bulkprofiles_gui.core.store import Store

UNSUBSCRIBE = {
    "type": "update_subscriptions",
    "resource": "Newsletter",
    "channel": "email",
    "status": "unsubscribed",
    "include_unsafe": False,
}
SUBSCRIBE = {**UNSUBSCRIBE, "status": "subscribed"}
UNSAFE = ("unsubscribed", "complainer", "hardbounced", "invalid")


@pytest.fixture
def world(store: Store) -> World:
    return make_world(store)


def _stamps(world: World) -> dict[int, object]:
    with world.store.begin() as conn:
        return dict(
            conn.execute(
                select(m.Subscription.profile_id, m.Subscription.updated_at).where(
                    m.Subscription.resource_id == world.resources["Newsletter"],
                    m.Subscription.channel == "email",
                )
            ).all()
        )


def test_status_of_existing_subscription_changes_contact_kept(world: World) -> None:
    with world.store.begin() as conn:
        pid = add_profile(conn, world, email="now@example.com")
        add_subscription(conn, world, pid, "Newsletter", "email", "then@example.com", "subscribed")
        add_subscription(conn, world, pid, "Newsletter", "sms", "+4915100000001", "subscribed")
    run = run_action(world, action, UNSUBSCRIBE, [pid])
    assert run.outcomes == {pid: "changed"}
    assert subscriptions(world, pid) == {
        ("Newsletter", "email"): ("then@example.com", "unsubscribed"),
        ("Newsletter", "sms"): ("+4915100000001", "subscribed"),
    }
    assert _stamps(world) == {pid: NOW}


def test_profile_without_subscription_is_skipped_and_gets_none(world: World) -> None:
    with world.store.begin() as conn:
        none = add_profile(conn, world, email="a@example.com")
        other = add_profile(conn, world)
        add_subscription(conn, world, other, "Shop", "email", "o@example.com", "subscribed")
    run = run_action(world, action, UNSUBSCRIBE, [none, other])
    assert run.outcomes == {none: "no_subscription", other: "no_subscription"}
    assert subscriptions(world, none) == {}
    assert subscriptions(world, other) == {("Shop", "email"): ("o@example.com", "subscribed")}


def test_unsafe_subscriptions_are_not_resubscribed(world: World) -> None:
    with world.store.begin() as conn:
        ids = {}
        for status in UNSAFE:
            pid = add_profile(conn, world)
            add_subscription(conn, world, pid, "Newsletter", "email", "x@example.com", status)
            ids[pid] = status
        suspended = add_profile(conn, world)
        add_subscription(
            conn, world, suspended, "Newsletter", "email", "s@example.com", "suspended"
        )
    run = run_action(world, action, SUBSCRIBE, [*ids, suspended])
    assert run.outcomes == {**{pid: "unsafe_status" for pid in ids}, suspended: "changed"}
    for pid, status in ids.items():
        assert subscriptions(world, pid)[("Newsletter", "email")][1] == status
    assert subscriptions(world, suspended)[("Newsletter", "email")][1] == "subscribed"


def test_include_unsafe_resubscribes_them(world: World) -> None:
    with world.store.begin() as conn:
        ids = []
        for status in UNSAFE:
            pid = add_profile(conn, world)
            add_subscription(conn, world, pid, "Newsletter", "email", "x@example.com", status)
            ids.append(pid)
    run = run_action(world, action, {**SUBSCRIBE, "include_unsafe": True}, ids)
    assert run.outcomes == {pid: "changed" for pid in ids}
    for pid in ids:
        assert subscriptions(world, pid)[("Newsletter", "email")][1] == "subscribed"


def test_unsafe_rule_does_not_apply_to_other_target_statuses(world: World) -> None:
    with world.store.begin() as conn:
        pid = add_profile(conn, world)
        add_subscription(conn, world, pid, "Newsletter", "email", "x@example.com", "complainer")
    run = run_action(world, action, UNSUBSCRIBE, [pid])
    assert run.outcomes == {pid: "changed"}
    assert subscriptions(world, pid)[("Newsletter", "email")][1] == "unsubscribed"


def test_same_status_is_unchanged_and_not_touched(world: World) -> None:
    with world.store.begin() as conn:
        pid = add_profile(conn, world)
        add_subscription(conn, world, pid, "Newsletter", "email", "x@example.com", "unsubscribed")
    run = run_action(world, action, UNSUBSCRIBE, [pid])
    assert run.outcomes == {pid: "unchanged"}
    assert _stamps(world) == {pid: LONG_AGO}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"resource": "Nope"}, r"job\.action\.resource: no resource named 'Nope'"),
        (
            {"resource": "Elsewhere"},
            r"job\.action\.resource: resource 'Elsewhere' is not attached to database 'Customers'",
        ),
        (
            {"channel": "viber"},
            r"job\.action\.channel: channel 'viber' is not configured in resource 'Newsletter'",
        ),
        ({"status": "gone"}, r"job\.action\.status: 'gone' is not a status"),
        ({"include_unsafe": 1}, r"job\.action\.include_unsafe: must be true or false"),
        ({"contact": "x"}, r"job\.action\.contact: unknown key"),
    ],
)
def test_parameters_that_do_not_fit_the_store_are_refused(
    world: World, change: dict[str, object], message: str
) -> None:
    with pytest.raises(ActionError, match=message):
        parse_action(world, action, {**UNSUBSCRIBE, **change})


def test_describe(world: World) -> None:
    params = parse_action(world, action, SUBSCRIBE)
    assert action.describe(params) == (
        "Set status Subscribed on subscriptions to Newsletter / Email (unsafe skipped)"
    )


def _trigger_setup(world: World) -> tuple[list[int], dict[str, int]]:
    newsletter = world.resources["Newsletter"]
    with world.store.begin() as conn:
        changes = add_profile(conn, world)
        add_subscription(conn, world, changes, "Newsletter", "email", "c@example.com", "subscribed")
        same = add_profile(conn, world)
        add_subscription(conn, world, same, "Newsletter", "email", "s@example.com", "unsubscribed")
        none = add_profile(conn, world)
        triggers = {
            "any": add_trigger(conn, "subscription"),
            "email": add_trigger(conn, "subscription", resource_id=newsletter, channel="email"),
            "sms": add_trigger(conn, "subscription", resource_id=newsletter, channel="sms"),
            "other_db": add_trigger(conn, "subscription", database_id=world.db_id + 1),
            "field": add_trigger(conn, "field_updated"),
        }
    return [changes, same, none], triggers


def test_triggers_fire_for_changed_profiles_only(world: World) -> None:
    ids, t = _trigger_setup(world)
    run = run_action(world, action, UNSUBSCRIBE, ids)
    assert run.outcomes == {ids[0]: "changed", ids[1]: "unchanged", ids[2]: "no_subscription"}
    assert run.trigger_events == sorted([(t["any"], ids[0]), (t["email"], ids[0])])


def test_no_triggers_when_skip_triggers_is_on(world: World) -> None:
    ids, _ = _trigger_setup(world)
    run = run_action(world, action, UNSUBSCRIBE, ids, skip_triggers=True)
    assert run.outcomes[ids[0]] == "changed"
    assert run.trigger_events == []


def test_dry_run_gives_the_same_outcomes_and_changes_nothing(world: World) -> None:
    ids, _ = _trigger_setup(world)
    with world.store.begin() as conn:
        unsafe = add_profile(conn, world)
        add_subscription(conn, world, unsafe, "Newsletter", "email", "u@example.com", "invalid")
        paused = add_profile(conn, world)
        add_subscription(conn, world, paused, "Newsletter", "email", "p@example.com", "suspended")
    ids += [unsafe, paused]
    before = table_digest(world.store)
    dry = run_action(world, action, SUBSCRIBE, ids, dry_run=True)
    assert table_digest(world.store) == before
    real = run_action(world, action, SUBSCRIBE, ids)
    assert dry.outcomes == real.outcomes
    assert real.outcomes == {
        ids[0]: "unchanged",
        ids[1]: "unsafe_status",
        ids[2]: "no_subscription",
        unsafe: "unsafe_status",
        paused: "changed",
    }
    assert dry.trigger_events == [] and real.trigger_events != []


def test_end_to_end_through_the_job_runner(world: World) -> None:
    with world.store.begin() as conn:
        berlin = add_profile(conn, world, city="Berlin")
        add_subscription(conn, world, berlin, "Newsletter", "email", "b@example.com", "subscribed")
        none = add_profile(conn, world, city="Berlin")
        paris = add_profile(conn, world, city="Paris")
        add_subscription(conn, world, paris, "Newsletter", "email", "p@example.com", "subscribed")
        add_trigger(conn, "subscription")
    summary = run_job_e2e(world, UNSUBSCRIBE, skip_triggers=True)
    assert (summary.status, summary.selected, summary.changed) == ("completed", 2, 1)
    assert summary.skipped == {"no_subscription": 1}
    assert summary.trigger_events == 0
    assert subscriptions(world, berlin)[("Newsletter", "email")][1] == "unsubscribed"
    assert subscriptions(world, paris)[("Newsletter", "email")][1] == "subscribed"
    assert subscriptions(world, none) == {}
