"""Delete profiles by conditions (domain.md "Update actions" 6), on every backend."""

from __future__ import annotations

import datetime as dt

import pytest
from action_helpers import (
    World,
    add_codes,
    add_event,
    add_profile,
    add_subscription,
    add_trigger,
    make_world,
    parse_action,
    run_action,
    run_job_e2e,
    table_digest,
)
from sqlalchemy import func, select

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.actions import delete_profiles as action
from bulkprofiles_gui.core.actions.base import ActionError
from bulkprofiles_gui.core.config import Settings
from bulkprofiles_gui.core.store import Store

DELETE = {"type": "delete_profiles"}
FIRST_OF_MAY = dt.datetime(2026, 5, 1, 0, 5)
LAST_OF_MAY = dt.datetime(2026, 5, 31, 23, 55)
CUTOFF = dt.datetime(2026, 1, 1)  # 4 months before 1 May
OLD = dt.datetime(2025, 6, 1)


@pytest.fixture
def world(store: Store) -> World:
    return make_world(store)


@pytest.mark.parametrize(
    "today, months, cutoff",
    [
        (dt.date(2026, 5, 1), 4, dt.date(2026, 1, 1)),
        (dt.date(2026, 5, 31), 4, dt.date(2026, 1, 1)),
        (dt.date(2026, 2, 28), 4, dt.date(2025, 10, 1)),
        (dt.date(2026, 1, 31), 1, dt.date(2025, 12, 1)),
        (dt.date(2026, 12, 31), 12, dt.date(2025, 12, 1)),
        (dt.date(2026, 3, 15), 27, dt.date(2023, 12, 1)),
        (dt.date(2026, 3, 15), 0, dt.date(2026, 3, 1)),
    ],
)
def test_inactivity_cutoff_is_start_of_month_minus_months(
    today: dt.date, months: int, cutoff: dt.date
) -> None:
    assert action.inactivity_cutoff(today, months) == cutoff


def _profiles_around_cutoff(world: World) -> dict[str, int]:
    """One profile per kind of (in)activity around 1 January 2026."""
    just_before = CUTOFF - dt.timedelta(seconds=1)
    with world.store.begin() as conn:
        ids = {
            "never": add_profile(conn, world, created_at=OLD),
            "event_before": add_profile(conn, world, created_at=OLD),
            "event_on_cutoff": add_profile(conn, world, created_at=OLD),
            "event_after": add_profile(conn, world, created_at=OLD),
            "created_after": add_profile(conn, world, created_at=dt.datetime(2026, 1, 2)),
            "stamp_after": add_profile(
                conn, world, created_at=OLD, last_interaction_at=dt.datetime(2026, 3, 1)
            ),
            "stamp_before": add_profile(conn, world, created_at=OLD, last_interaction_at=OLD),
        }
        add_event(conn, world, ids["event_before"], just_before)
        add_event(conn, world, ids["event_on_cutoff"], CUTOFF)
        add_event(conn, world, ids["event_before"], OLD)
        add_event(conn, world, ids["event_after"], dt.datetime(2026, 4, 30))
    return ids


def _remaining(world: World) -> set[int]:
    with world.store.begin() as conn:
        return set(conn.execute(select(world.store.profiles.c.id)).scalars())


@pytest.mark.parametrize("now", [FIRST_OF_MAY, LAST_OF_MAY], ids=["1st", "last-day"])
def test_only_profiles_without_interaction_since_cutoff_are_deleted(
    world: World, now: dt.datetime
) -> None:
    ids = _profiles_around_cutoff(world)
    run = run_action(world, action, DELETE, list(ids.values()), now=now)
    assert run.params.cutoff == CUTOFF.date()
    deleted = {"never", "event_before", "stamp_before"}
    assert {name: run.outcomes[pid] for name, pid in ids.items()} == {
        name: "changed" if name in deleted else "recently_active" for name in ids
    }
    assert _remaining(world) == {pid for name, pid in ids.items() if name not in deleted}


def test_months_come_from_the_settings(world: World) -> None:
    ids = _profiles_around_cutoff(world)
    # 2 months before 1 May: 1 March; the April event is the only recent one.
    settings = Settings(delete_min_inactive_months=2)
    run = run_action(world, action, DELETE, list(ids.values()), now=FIRST_OF_MAY, settings=settings)
    assert run.params.cutoff == dt.date(2026, 3, 1)
    assert run.with_outcome("recently_active") == {ids["event_after"], ids["stamp_after"]}


def test_statistics_stay_subscriptions_and_lists_go_codes_unlinked(world: World) -> None:
    with world.store.begin() as conn:
        pid = add_profile(conn, world, email="gone@example.com", phones=("+4915100000001",))
        keep = add_profile(conn, world, email="kept@example.com", phones=("+4915100000002",))
        add_event(conn, world, pid, OLD)
        add_subscription(conn, world, pid, "Newsletter", "email", "gone@example.com", "subscribed")
        add_subscription(conn, world, keep, "Newsletter", "email", "kept@example.com", "subscribed")
        add_codes(
            conn,
            world.programs["Winter sale"],
            [("ATT", "attached", pid), ("ACT", "activated", pid), ("KEPT", "attached", keep)],
        )
    run = run_action(world, action, DELETE, [pid], now=FIRST_OF_MAY)
    assert run.outcomes == {pid: "changed"}
    with world.store.begin() as conn:
        events = conn.execute(
            select(func.count()).select_from(m.Event).where(m.Event.profile_id == pid)
        ).scalar_one()
        subs = conn.execute(select(m.Subscription.profile_id)).scalars().all()
        values = conn.execute(select(m.ProfileListValue.profile_id)).scalars().all()
        codes = {
            code: (status, owner)
            for code, status, owner in conn.execute(
                select(m.PromoCode.code, m.PromoCode.status, m.PromoCode.profile_id)
            )
        }
    assert events == 1
    assert subs == [keep] and values == [keep]
    assert codes == {
        "ATT": ("attached", None),
        "ACT": ("activated", None),
        "KEPT": ("attached", keep),
    }


def test_delete_requires_conditions_and_is_destructive() -> None:
    assert action.REQUIRES_CONDITIONS is True
    assert action.DESTRUCTIVE is True


def test_unknown_parameters_are_refused(world: World) -> None:
    with pytest.raises(ActionError, match=r"job\.action\.months: unknown key"):
        parse_action(world, action, {**DELETE, "months": 1})


def test_describe_shows_the_cutoff(world: World) -> None:
    params = action.Params(4, dt.date(2026, 1, 1))
    assert action.describe(params) == (
        "Delete the profiles with no interaction since 2026-01-01 "
        "(4 months before the start of the current month)"
    )


def test_deleting_starts_no_trigger(world: World) -> None:
    ids = _profiles_around_cutoff(world)
    with world.store.begin() as conn:
        for kind in ("subscription", "field_updated", "promo_attached"):
            add_trigger(conn, kind)
    run = run_action(world, action, DELETE, list(ids.values()), now=FIRST_OF_MAY)
    assert run.with_outcome("changed")
    assert run.trigger_events == []


def test_dry_run_gives_the_same_outcomes_and_changes_nothing(world: World) -> None:
    ids = _profiles_around_cutoff(world)
    with world.store.begin() as conn:
        add_subscription(
            conn, world, ids["never"], "Newsletter", "email", "n@example.com", "subscribed"
        )
        add_codes(conn, world.programs["Winter sale"], [("C", "attached", ids["never"])])
    before = table_digest(world.store)
    dry = run_action(world, action, DELETE, list(ids.values()), now=FIRST_OF_MAY, dry_run=True)
    assert table_digest(world.store) == before
    assert _remaining(world) == set(ids.values())
    real = run_action(world, action, DELETE, list(ids.values()), now=FIRST_OF_MAY)
    assert dry.outcomes == real.outcomes
    assert len(real.with_outcome("changed")) == 3


def test_end_to_end_deletes_inactive_selected_profiles(world: World) -> None:
    with world.store.begin() as conn:
        inactive = add_profile(conn, world, city="Berlin", created_at=OLD)
        active = add_profile(conn, world, city="Berlin", created_at=OLD)
        add_event(conn, world, active, m.utcnow())
        paris = add_profile(conn, world, city="Paris", created_at=OLD)
    summary = run_job_e2e(world, DELETE)
    assert (summary.status, summary.selected, summary.changed) == ("completed", 2, 1)
    assert summary.skipped == {"recently_active": 1}
    assert _remaining(world) == {active, paris}
    assert inactive not in _remaining(world)


@pytest.mark.parametrize(
    "rules",
    [
        {"combinator": "and", "not": False, "rules": []},
        {"combinator": "or", "not": False, "rules": [{"combinator": "and", "rules": []}]},
    ],
    ids=["no-rules", "empty-group"],
)
def test_end_to_end_without_conditions_is_refused_and_writes_nothing(
    world: World, rules: dict[str, object]
) -> None:
    with world.store.begin() as conn:
        add_profile(conn, world, city="Berlin", created_at=OLD)
    before = table_digest(world.store)
    with pytest.raises(ActionError, match=r"needs at least one condition"):
        run_job_e2e(world, DELETE, rules=rules)
    assert table_digest(world.store) == before
    with world.store.begin() as conn:
        assert conn.execute(select(func.count()).select_from(m.Task)).scalar_one() == 0
