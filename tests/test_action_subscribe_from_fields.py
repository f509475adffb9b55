"""Add subscription, source = profile fields (domain.md "Update actions" 2 and the
unsafe-statuses rule), on every backend."""

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
from bulkprofiles_gui.core.actions import subscribe_from_fields as action
from bulkprofiles_gui.core.actions.base import ActionError
from bulkprofiles_gui.core.store import Store

EMAIL_JOB = {
    "type": "subscribe_from_fields",
    "resource": "Newsletter",
    "channel": "email",
    "status": "subscribed",
    "source_field": "email",
    "include_unsafe": False,
}
UNSAFE = ("unsubscribed", "complainer", "hardbounced", "invalid")


@pytest.fixture
def world(store: Store) -> World:
    return make_world(store)


def test_new_subscription_takes_the_email_and_status(world: World) -> None:
    with world.store.begin() as conn:
        ann = add_profile(conn, world, email="ann@example.com")
    run = run_action(world, action, EMAIL_JOB, [ann])
    assert run.outcomes == {ann: "changed"}
    assert subscriptions(world, ann) == {("Newsletter", "email"): ("ann@example.com", "subscribed")}


def test_profile_without_email_is_skipped_as_no_contact(world: World) -> None:
    with world.store.begin() as conn:
        empty = add_profile(conn, world, email=None)
        blank = add_profile(conn, world, email="   ")
    run = run_action(world, action, EMAIL_JOB, [empty, blank])
    assert run.outcomes == {empty: "no_contact", blank: "no_contact"}
    assert subscriptions(world, empty) == {} and subscriptions(world, blank) == {}


def test_email_that_is_not_an_address_is_invalid_contact(world: World) -> None:
    with world.store.begin() as conn:
        bad = add_profile(conn, world, email="not-an-address")
        good = add_profile(conn, world, email="bo@example.org")
    run = run_action(world, action, EMAIL_JOB, [bad, good])
    assert run.outcomes == {bad: "invalid_contact", good: "changed"}
    assert subscriptions(world, bad) == {}


def test_sms_takes_the_smallest_valid_phone(world: World) -> None:
    with world.store.begin() as conn:
        several = add_profile(conn, world, phones=("+4915112345678", "+33612345678", "12345"))
        only_bad = add_profile(conn, world, phones=("0151-123", "+0123456789"))
        none = add_profile(conn, world)
    job = {"type": "subscribe_from_fields", "resource": "Shop", "channel": "sms",
           "status": "subscribed", "source_field": "phones"}  # fmt: skip
    run = run_action(world, action, job, [several, only_bad, none])
    assert run.outcomes == {several: "changed", only_bad: "invalid_contact", none: "no_contact"}
    assert subscriptions(world, several) == {("Shop", "sms"): ("+33612345678", "subscribed")}


def test_existing_sms_subscription_keeps_its_phone_while_still_valid(world: World) -> None:
    with world.store.begin() as conn:
        kept = add_profile(conn, world, phones=("+33612345678", "+4915112345678"))
        add_subscription(conn, world, kept, "Shop", "sms", "+4915112345678", "subscribed")
        moved = add_profile(conn, world, phones=("+33612345679", "+4915112345679"))
        add_subscription(conn, world, moved, "Shop", "sms", "+4917000000000", "subscribed")
    job = {"type": "subscribe_from_fields", "resource": "Shop", "channel": "sms",
           "status": "subscribed"}  # fmt: skip
    run = run_action(world, action, job, [kept, moved])
    assert run.outcomes == {kept: "unchanged", moved: "changed"}
    assert subscriptions(world, kept) == {("Shop", "sms"): ("+4915112345678", "subscribed")}
    assert subscriptions(world, moved) == {("Shop", "sms"): ("+33612345679", "subscribed")}


def test_unsafe_existing_subscription_is_not_resubscribed(world: World) -> None:
    with world.store.begin() as conn:
        unsafe = {}
        for status in UNSAFE:
            pid = add_profile(conn, world, email=f"{status}@example.com")
            add_subscription(conn, world, pid, "Newsletter", "email", "old@example.com", status)
            unsafe[pid] = status
        safe = add_profile(conn, world, email="safe@example.com")
        add_subscription(
            conn, world, safe, "Newsletter", "email", "safe@example.com", "unconfirmed"
        )
    run = run_action(world, action, EMAIL_JOB, [*unsafe, safe])
    assert run.outcomes == {**{pid: "unsafe_status" for pid in unsafe}, safe: "changed"}
    for pid, status in unsafe.items():
        assert subscriptions(world, pid) == {("Newsletter", "email"): ("old@example.com", status)}
    assert subscriptions(world, safe)[("Newsletter", "email")] == ("safe@example.com", "subscribed")


def test_include_unsafe_resubscribes_unsafe_subscriptions(world: World) -> None:
    with world.store.begin() as conn:
        ids = []
        for status in UNSAFE:
            pid = add_profile(conn, world, email=f"{status}@example.com")
            add_subscription(conn, world, pid, "Newsletter", "email", "old@example.com", status)
            ids.append(pid)
    run = run_action(world, action, {**EMAIL_JOB, "include_unsafe": True}, ids)
    assert set(run.outcomes.values()) == {"changed"}
    for pid, status in zip(ids, UNSAFE, strict=True):
        assert subscriptions(world, pid) == {
            ("Newsletter", "email"): (f"{status}@example.com", "subscribed")
        }


def test_unsafe_rule_applies_only_when_subscribing(world: World) -> None:
    with world.store.begin() as conn:
        pid = add_profile(conn, world, email="x@example.com")
        add_subscription(conn, world, pid, "Newsletter", "email", "x@example.com", "hardbounced")
    job = {**EMAIL_JOB, "status": "unconfirmed"}
    run = run_action(world, action, job, [pid])
    assert run.outcomes == {pid: "changed"}
    assert subscriptions(world, pid)[("Newsletter", "email")] == ("x@example.com", "unconfirmed")


def test_same_status_and_contact_is_unchanged_other_contact_is_updated(world: World) -> None:
    with world.store.begin() as conn:
        same = add_profile(conn, world, email="same@example.com")
        add_subscription(conn, world, same, "Newsletter", "email", "same@example.com", "subscribed")
        moved = add_profile(conn, world, email="new@example.com")
        add_subscription(conn, world, moved, "Newsletter", "email", "old@example.com", "subscribed")
    run = run_action(world, action, EMAIL_JOB, [same, moved])
    assert run.outcomes == {same: "unchanged", moved: "changed"}
    assert subscriptions(world, moved)[("Newsletter", "email")] == ("new@example.com", "subscribed")
    with world.store.begin() as conn:
        stamps = dict(
            conn.execute(select(m.Subscription.profile_id, m.Subscription.updated_at)).all()
        )
    assert stamps == {same: LONG_AGO, moved: NOW}


def test_other_channels_take_an_additional_text_field(world: World) -> None:
    with world.store.begin() as conn:
        device = add_profile(conn, world, push_id="device-42")
        blank = add_profile(conn, world, push_id="")
    job = {"type": "subscribe_from_fields", "resource": "Newsletter", "channel": "push",
           "status": "subscribed", "source_field": "push_id"}  # fmt: skip
    run = run_action(world, action, job, [device, blank])
    assert run.outcomes == {device: "changed", blank: "no_contact"}
    assert subscriptions(world, device) == {("Newsletter", "push"): ("device-42", "subscribed")}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"resource": "Nope"}, r"job\.action\.resource: no resource named 'Nope'"),
        (
            {"resource": "Elsewhere"},
            r"job\.action\.resource: resource 'Elsewhere' is not attached to database 'Customers'",
        ),
        (
            {"channel": "viber", "source_field": "phones"},
            r"job\.action\.channel: channel 'viber' is not configured in resource 'Newsletter'",
        ),
        ({"channel": "fax"}, r"job\.action\.channel: 'fax' is not a channel"),
        ({"status": "happy"}, r"job\.action\.status: 'happy' is not a status"),
        ({"source_field": "phones"}, r"job\.action\.source_field: field 'phones' cannot hold"),
        (
            {"channel": "sms", "source_field": "email"},
            r"job\.action\.source_field: field 'email' cannot hold the contact for channel 'sms'",
        ),
        (
            {"channel": "push", "source_field": "city"},
            r"job\.action\.source_field: field 'city' cannot hold",
        ),
        ({"source_field": "nope"}, r"job\.action\.source_field: no field named 'nope'"),
        ({"include_unsafe": "yes"}, r"job\.action\.include_unsafe: must be true or false"),
        ({"colour": "red"}, r"job\.action\.colour: unknown key"),
    ],
)
def test_parameters_that_do_not_fit_the_store_are_refused(
    world: World, change: dict[str, object], message: str
) -> None:
    with pytest.raises(ActionError, match=message):
        parse_action(world, action, {**EMAIL_JOB, **change})


def test_source_field_defaults_to_the_channel_field(world: World) -> None:
    job = {k: v for k, v in EMAIL_JOB.items() if k != "source_field"}
    params = parse_action(world, action, {**job, "channel": "sms"})
    assert params.contact.label == "Phones"
    assert action.describe(params) == (
        "Subscribe to Newsletter / SMS with status Subscribed, contact from Phones "
        "(unsafe statuses skipped)"
    )


def _trigger_world(world: World) -> tuple[list[int], dict[str, int]]:
    with world.store.begin() as conn:
        fresh = add_profile(conn, world, email="fresh@example.com")
        skipped = add_profile(conn, world, email=None)
        same = add_profile(conn, world, email="same@example.com")
        add_subscription(conn, world, same, "Newsletter", "email", "same@example.com", "subscribed")
        newsletter, shop = world.resources["Newsletter"], world.resources["Shop"]
        triggers = {
            "any": add_trigger(conn, "subscription"),
            "exact": add_trigger(conn, "subscription", resource_id=newsletter, channel="email"),
            "other_channel": add_trigger(
                conn, "subscription", resource_id=newsletter, channel="sms"
            ),
            "other_resource": add_trigger(conn, "subscription", resource_id=shop),
            "field": add_trigger(conn, "field_updated"),
            "inactive": add_trigger(conn, "subscription", active=False),
        }
    return [fresh, skipped, same], triggers


def test_triggers_fire_for_really_changed_profiles_only(world: World) -> None:
    ids, triggers = _trigger_world(world)
    run = run_action(world, action, EMAIL_JOB, ids)
    fresh = ids[0]
    assert run.with_outcome("changed") == {fresh}
    assert run.trigger_events == sorted([(triggers["any"], fresh), (triggers["exact"], fresh)])


def test_no_triggers_when_skip_triggers_is_on(world: World) -> None:
    ids, _ = _trigger_world(world)
    run = run_action(world, action, EMAIL_JOB, ids, skip_triggers=True)
    assert run.outcomes[ids[0]] == "changed"
    assert run.trigger_events == []


def test_dry_run_gives_the_same_outcomes_and_changes_nothing(world: World) -> None:
    ids, _ = _trigger_world(world)
    with world.store.begin() as conn:
        unsafe = add_profile(conn, world, email="u@example.com")
        add_subscription(conn, world, unsafe, "Newsletter", "email", "u@example.com", "complainer")
        ids.append(unsafe)
    before = table_digest(world.store)
    dry = run_action(world, action, EMAIL_JOB, ids, dry_run=True)
    assert table_digest(world.store) == before
    real = run_action(world, action, EMAIL_JOB, ids)
    assert dry.outcomes == real.outcomes
    assert sorted(dry.outcomes.values()) == sorted(
        ["changed", "no_contact", "unchanged", "unsafe_status"]
    )
    assert dry.trigger_events == [] and real.trigger_events != []


def test_batches_give_the_same_result_as_one(world: World) -> None:
    with world.store.begin() as conn:
        ids = [add_profile(conn, world, email=f"p{i}@example.com") for i in range(7)]
        ids.append(add_profile(conn, world, email=None))
    run = run_action(world, action, EMAIL_JOB, ids, batch_size=3)
    assert len(run.with_outcome("changed")) == 7
    assert run.with_outcome("no_contact") == {ids[-1]}


def test_end_to_end_through_the_job_runner(world: World) -> None:
    with world.store.begin() as conn:
        fresh = add_profile(conn, world, email="fresh@example.com", city="Berlin")
        no_email = add_profile(conn, world, city="Berlin")
        unsafe = add_profile(conn, world, email="u@example.com", city="Berlin")
        add_subscription(conn, world, unsafe, "Newsletter", "email", "u@example.com", "invalid")
        paris = add_profile(conn, world, email="paris@example.com", city="Paris")
        add_trigger(conn, "subscription")
    summary = run_job_e2e(world, EMAIL_JOB)
    assert (summary.status, summary.selected, summary.changed) == ("completed", 3, 1)
    assert summary.skipped == {"no_contact": 1, "unsafe_status": 1}
    assert summary.trigger_events == 1
    assert subscriptions(world, fresh) == {
        ("Newsletter", "email"): ("fresh@example.com", "subscribed")
    }
    assert subscriptions(world, no_email) == {} and subscriptions(world, paris) == {}
