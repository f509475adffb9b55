"""Add subscription, source = resource (domain.md "Update actions" 3 and the
unsafe-statuses rule), on every backend.  Source "Shop", target "Newsletter";
channels configured in both: email, sms."""

from __future__ import annotations

import pytest
from action_helpers import (
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

from bulkprofiles_gui.core.actions import subscribe_from_resource as action
from bulkprofiles_gui.core.actions.base import ActionError
from bulkprofiles_gui.core.store import Store

JOB = {
    "type": "subscribe_from_resource",
    "source_resource": "Shop",
    "resource": "Newsletter",
    "channels": ["email"],
    "status": "subscribed",
    "include_unsafe": False,
}
UNSAFE = ("unsubscribed", "complainer", "hardbounced", "invalid")


@pytest.fixture
def world(store: Store) -> World:
    return make_world(store)


def test_contact_is_taken_from_the_source_subscription(world: World) -> None:
    with world.store.begin() as conn:
        pid = add_profile(conn, world, email="profile@example.com")
        add_subscription(conn, world, pid, "Shop", "email", "shop@example.com", "unconfirmed")
    run = run_action(world, action, JOB, [pid])
    assert run.outcomes == {pid: "changed"}
    assert subscriptions(world, pid)[("Newsletter", "email")] == ("shop@example.com", "subscribed")


def test_profile_without_source_subscription_gets_nothing(world: World) -> None:
    with world.store.begin() as conn:
        none = add_profile(conn, world, email="a@example.com")
        other_channel = add_profile(conn, world)
        add_subscription(conn, world, other_channel, "Shop", "sms", "+4915112345678", "subscribed")
    run = run_action(world, action, JOB, [none, other_channel])
    assert run.outcomes == {none: "no_source_subscription", other_channel: "no_source_subscription"}
    assert ("Newsletter", "email") not in subscriptions(world, none)
    assert ("Newsletter", "email") not in subscriptions(world, other_channel)


def test_unsafe_source_subscription_is_not_copied(world: World) -> None:
    with world.store.begin() as conn:
        ids = {}
        for status in UNSAFE:
            pid = add_profile(conn, world)
            add_subscription(conn, world, pid, "Shop", "email", f"{status}@example.com", status)
            ids[pid] = status
    run = run_action(world, action, JOB, list(ids))
    assert run.outcomes == {pid: "unsafe_source" for pid in ids}
    for pid in ids:
        assert ("Newsletter", "email") not in subscriptions(world, pid)


def test_unsafe_existing_target_subscription_is_not_resubscribed(world: World) -> None:
    with world.store.begin() as conn:
        ids = {}
        for status in UNSAFE:
            pid = add_profile(conn, world)
            add_subscription(conn, world, pid, "Shop", "email", "new@example.com", "subscribed")
            add_subscription(conn, world, pid, "Newsletter", "email", "old@example.com", status)
            ids[pid] = status
    run = run_action(world, action, JOB, list(ids))
    assert run.outcomes == {pid: "unsafe_status" for pid in ids}
    for pid, status in ids.items():
        assert subscriptions(world, pid)[("Newsletter", "email")] == ("old@example.com", status)


def test_include_unsafe_copies_and_resubscribes_unsafe_ones(world: World) -> None:
    with world.store.begin() as conn:
        unsafe_source = add_profile(conn, world)
        add_subscription(conn, world, unsafe_source, "Shop", "email", "s@example.com", "complainer")
        unsafe_target = add_profile(conn, world)
        add_subscription(conn, world, unsafe_target, "Shop", "email", "t@example.com", "subscribed")
        add_subscription(
            conn, world, unsafe_target, "Newsletter", "email", "t@example.com", "invalid"
        )
    run = run_action(world, action, {**JOB, "include_unsafe": True}, [unsafe_source, unsafe_target])
    assert run.outcomes == {unsafe_source: "changed", unsafe_target: "changed"}
    assert subscriptions(world, unsafe_source)[("Newsletter", "email")] == (
        "s@example.com",
        "subscribed",
    )
    assert subscriptions(world, unsafe_target)[("Newsletter", "email")] == (
        "t@example.com",
        "subscribed",
    )


def test_unsafe_rule_does_not_hold_back_other_target_statuses(world: World) -> None:
    with world.store.begin() as conn:
        pid = add_profile(conn, world)
        add_subscription(conn, world, pid, "Shop", "email", "s@example.com", "hardbounced")
    run = run_action(world, action, {**JOB, "status": "unsubscribed"}, [pid])
    assert run.outcomes == {pid: "changed"}
    assert subscriptions(world, pid)[("Newsletter", "email")] == ("s@example.com", "unsubscribed")


def test_same_status_and_contact_is_unchanged(world: World) -> None:
    with world.store.begin() as conn:
        pid = add_profile(conn, world)
        add_subscription(conn, world, pid, "Shop", "email", "s@example.com", "subscribed")
        add_subscription(conn, world, pid, "Newsletter", "email", "s@example.com", "subscribed")
    run = run_action(world, action, JOB, [pid])
    assert run.outcomes == {pid: "unchanged"}


def test_several_channels_changed_if_any_channel_changed(world: World) -> None:
    job = {**JOB, "channels": ["email", "sms"]}
    with world.store.begin() as conn:
        email_only = add_profile(conn, world)
        add_subscription(conn, world, email_only, "Shop", "email", "e@example.com", "subscribed")
        both = add_profile(conn, world)
        add_subscription(conn, world, both, "Shop", "email", "b@example.com", "subscribed")
        add_subscription(conn, world, both, "Shop", "sms", "+4915100000001", "subscribed")
        half_unchanged = add_profile(conn, world)
        add_subscription(
            conn, world, half_unchanged, "Shop", "email", "h@example.com", "subscribed"
        )
        add_subscription(
            conn, world, half_unchanged, "Newsletter", "email", "h@example.com", "subscribed"
        )
        add_subscription(
            conn, world, half_unchanged, "Shop", "sms", "+4915100000002", "unconfirmed"
        )
        unchanged_and_unsafe = add_profile(conn, world)
        add_subscription(
            conn, world, unchanged_and_unsafe, "Shop", "email", "u@example.com", "subscribed"
        )
        add_subscription(
            conn, world, unchanged_and_unsafe, "Newsletter", "email", "u@example.com", "subscribed"
        )
        add_subscription(
            conn, world, unchanged_and_unsafe, "Shop", "sms", "+4915100000003", "complainer"
        )
        nothing = add_profile(conn, world)
    ids = [email_only, both, half_unchanged, unchanged_and_unsafe, nothing]
    run = run_action(world, action, job, ids)
    assert run.outcomes == {
        email_only: "changed",
        both: "changed",
        half_unchanged: "changed",
        unchanged_and_unsafe: "unsafe_source",
        nothing: "no_source_subscription",
    }
    assert subscriptions(world, both) == {
        ("Shop", "email"): ("b@example.com", "subscribed"),
        ("Shop", "sms"): ("+4915100000001", "subscribed"),
        ("Newsletter", "email"): ("b@example.com", "subscribed"),
        ("Newsletter", "sms"): ("+4915100000001", "subscribed"),
    }
    assert subscriptions(world, half_unchanged)[("Newsletter", "sms")] == (
        "+4915100000002",
        "subscribed",
    )
    assert ("Newsletter", "sms") not in subscriptions(world, email_only)
    assert ("Newsletter", "sms") not in subscriptions(world, unchanged_and_unsafe)


def test_existing_target_subscription_gets_the_source_contact_and_timestamp(world: World) -> None:
    from sqlalchemy import select

    from bulkprofiles_gui.core import models as m

    with world.store.begin() as conn:
        pid = add_profile(conn, world)
        add_subscription(conn, world, pid, "Shop", "email", "new@example.com", "subscribed")
        add_subscription(conn, world, pid, "Newsletter", "email", "old@example.com", "unconfirmed")
    run_action(world, action, JOB, [pid])
    with world.store.begin() as conn:
        stamp = conn.execute(
            select(m.Subscription.updated_at).where(
                m.Subscription.profile_id == pid,
                m.Subscription.resource_id == world.resources["Newsletter"],
            )
        ).scalar_one()
    assert subscriptions(world, pid)[("Newsletter", "email")] == ("new@example.com", "subscribed")
    assert stamp == NOW


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"channels": ["viber"]},
            r"job\.action\.channels: channel 'viber' is not configured in both resources "
            r"\(not in 'Newsletter'\)",
        ),
        (
            {"channels": ["email", "push"]},
            r"job\.action\.channels: channel 'push' is not configured in both resources "
            r"\(not in 'Shop'\)",
        ),
        ({"channels": []}, r"job\.action\.channels: give a list"),
        ({"channels": ["fax"]}, r"job\.action\.channels: 'fax' is not a channel"),
        ({"source_resource": "Nope"}, r"job\.action\.source_resource: no resource named 'Nope'"),
        (
            {"source_resource": "Elsewhere"},
            r"job\.action\.source_resource: resource 'Elsewhere' is not attached to database "
            r"'Customers'",
        ),
        ({"resource": "Shop"}, r"job\.action\.resource: must differ"),
        ({"status": None}, r"job\.action\.status: None is not a status"),
        ({"channel": "email"}, r"job\.action\.channel: unknown key"),
    ],
)
def test_parameters_that_do_not_fit_the_store_are_refused(
    world: World, change: dict[str, object], message: str
) -> None:
    with pytest.raises(ActionError, match=message):
        parse_action(world, action, {**JOB, **change})


def test_describe_names_resources_channels_and_status(world: World) -> None:
    params = parse_action(world, action, {**JOB, "channels": ["email", "sms"]})
    assert action.describe(params) == (
        "Subscribe to Newsletter on Email, SMS with status Subscribed, contacts from Shop "
        "(unsafe skipped)"
    )


def _trigger_setup(world: World) -> tuple[list[int], dict[str, int]]:
    newsletter = world.resources["Newsletter"]
    with world.store.begin() as conn:
        email_changed = add_profile(conn, world)
        add_subscription(conn, world, email_changed, "Shop", "email", "e@example.com", "subscribed")
        sms_changed = add_profile(conn, world)
        add_subscription(conn, world, sms_changed, "Shop", "sms", "+4915100000009", "subscribed")
        skipped = add_profile(conn, world)
        triggers = {
            "any": add_trigger(conn, "subscription"),
            "newsletter": add_trigger(conn, "subscription", resource_id=newsletter),
            "email": add_trigger(conn, "subscription", resource_id=newsletter, channel="email"),
            "sms_any_resource": add_trigger(conn, "subscription", channel="sms"),
            "shop": add_trigger(conn, "subscription", resource_id=world.resources["Shop"]),
            "promo": add_trigger(conn, "promo_attached"),
        }
    return [email_changed, sms_changed, skipped], triggers


def test_triggers_fire_per_changed_profile_and_channel(world: World) -> None:
    (email_changed, sms_changed, _), triggers = _trigger_setup(world)
    job = {**JOB, "channels": ["email", "sms"]}
    run = run_action(world, action, job, [email_changed, sms_changed, _])
    t = triggers
    assert run.trigger_events == sorted(
        [
            (t["any"], email_changed),
            (t["newsletter"], email_changed),
            (t["email"], email_changed),
            (t["any"], sms_changed),
            (t["newsletter"], sms_changed),
            (t["sms_any_resource"], sms_changed),
        ]
    )


def test_no_triggers_when_skip_triggers_is_on(world: World) -> None:
    ids, _ = _trigger_setup(world)
    run = run_action(world, action, {**JOB, "channels": ["email", "sms"]}, ids, skip_triggers=True)
    assert len(run.with_outcome("changed")) == 2
    assert run.trigger_events == []


def test_dry_run_gives_the_same_outcomes_and_changes_nothing(world: World) -> None:
    ids, _ = _trigger_setup(world)
    with world.store.begin() as conn:
        unsafe = add_profile(conn, world)
        add_subscription(conn, world, unsafe, "Shop", "email", "u@example.com", "invalid")
        same = add_profile(conn, world)
        add_subscription(conn, world, same, "Shop", "email", "s@example.com", "subscribed")
        add_subscription(conn, world, same, "Newsletter", "email", "s@example.com", "subscribed")
    ids += [unsafe, same]
    job = {**JOB, "channels": ["email", "sms"]}
    before = table_digest(world.store)
    dry = run_action(world, action, job, ids, dry_run=True, batch_size=2)
    assert table_digest(world.store) == before
    real = run_action(world, action, job, ids, batch_size=2)
    assert dry.outcomes == real.outcomes
    assert sorted(real.outcomes.values()) == sorted(
        ["changed", "changed", "no_source_subscription", "unsafe_source", "unchanged"]
    )
    assert dry.trigger_events == [] and real.trigger_events != []


def test_end_to_end_through_the_job_runner(world: World) -> None:
    with world.store.begin() as conn:
        copied = add_profile(conn, world, city="Berlin")
        add_subscription(conn, world, copied, "Shop", "email", "c@example.com", "subscribed")
        add_subscription(conn, world, copied, "Shop", "sms", "+4915100000001", "subscribed")
        unsafe = add_profile(conn, world, city="Berlin")
        add_subscription(conn, world, unsafe, "Shop", "email", "u@example.com", "complainer")
        nothing = add_profile(conn, world, city="Berlin")
        paris = add_profile(conn, world, city="Paris")
        add_subscription(conn, world, paris, "Shop", "email", "p@example.com", "subscribed")
        add_trigger(conn, "subscription")
        add_trigger(conn, "subscription", channel="sms")
    summary = run_job_e2e(world, {**JOB, "channels": ["email", "sms"]})
    assert (summary.status, summary.selected, summary.changed) == ("completed", 3, 1)
    assert summary.skipped == {"unsafe_source": 1, "no_source_subscription": 1}
    assert summary.trigger_events == 2  # the any-channel trigger once, the sms one once
    assert subscriptions(world, copied)[("Newsletter", "sms")] == ("+4915100000001", "subscribed")
    assert ("Newsletter", "email") not in subscriptions(world, paris)
    assert subscriptions(world, nothing) == {}
