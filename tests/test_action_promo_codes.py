"""Promo codes attach/detach (domain.md "Update actions" 5), on every backend."""

from __future__ import annotations

from typing import Any

import pytest
from action_helpers import (
    NOW,
    World,
    add_codes,
    add_profile,
    add_trigger,
    make_world,
    parse_action,
    run_action,
    run_job_e2e,
    table_digest,
)
from sqlalchemy import Connection, select, update

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.actions import promo_codes as action
from bulkprofiles_gui.core.actions.base import ActionError
from bulkprofiles_gui.core.store import Store

ATTACH = {"type": "promo_codes", "mode": "attach", "program": "Winter sale"}
DETACH = {"type": "promo_codes", "mode": "detach", "program": "Winter sale"}


@pytest.fixture
def world(store: Store) -> World:
    return make_world(store)


def _codes(world: World) -> dict[str, tuple[str, int | None]]:
    """code -> (status, profile id)."""
    with world.store.begin() as conn:
        rows = conn.execute(
            select(m.PromoCode.code, m.PromoCode.status, m.PromoCode.profile_id)
        ).all()
    return {code: (status, pid) for code, status, pid in rows}


def _profiles(world: World, n: int) -> list[int]:
    with world.store.begin() as conn:
        return [add_profile(conn, world) for _ in range(n)]


def test_each_profile_gets_one_free_code_lowest_id_first(world: World) -> None:
    a, b = _profiles(world, 2)
    program = world.programs["Winter sale"]
    with world.store.begin() as conn:
        # Inserted so that code text order differs from id order.
        add_codes(conn, program, [("Z-first", "free", None), ("A-second", "free", None)])
        add_codes(conn, program, [("M-third", "free", None)])
    run = run_action(world, action, ATTACH, [a, b])
    assert run.outcomes == {a: "changed", b: "changed"}
    assert _codes(world) == {
        "Z-first": ("attached", a),
        "A-second": ("attached", b),
        "M-third": ("free", None),
    }
    with world.store.begin() as conn:
        stamps = set(
            conn.execute(
                select(m.PromoCode.attached_at).where(m.PromoCode.status == "attached")
            ).scalars()
        )
    assert stamps == {NOW}


def test_profile_holding_a_code_keeps_it(world: World) -> None:
    holder, activated, fresh = _profiles(world, 3)
    program = world.programs["Winter sale"]
    with world.store.begin() as conn:
        add_codes(
            conn,
            program,
            [("HELD", "attached", holder), ("USED", "activated", activated), ("F1", "free", None)],
        )
    run = run_action(world, action, ATTACH, [holder, activated, fresh])
    assert run.outcomes == {
        holder: "already_holds_code",
        activated: "already_holds_code",
        fresh: "changed",
    }
    assert _codes(world) == {
        "HELD": ("attached", holder),
        "USED": ("activated", activated),
        "F1": ("attached", fresh),
    }


def test_code_of_another_program_does_not_count(world: World) -> None:
    (pid,) = _profiles(world, 1)
    with world.store.begin() as conn:
        add_codes(conn, world.programs["Other shop"], [("OTHER", "attached", pid)])
        add_codes(conn, world.programs["Winter sale"], [("W1", "free", None)])
    run = run_action(world, action, ATTACH, [pid])
    assert run.outcomes == {pid: "changed"}
    assert _codes(world)["W1"] == ("attached", pid)


def test_pool_running_dry_is_reported_across_batches(world: World) -> None:
    ids = _profiles(world, 5)
    with world.store.begin() as conn:
        add_codes(conn, world.programs["Winter sale"], [(f"C{i}", "free", None) for i in range(3)])
    run = run_action(world, action, ATTACH, ids, batch_size=2)
    assert run.outcomes == {
        ids[0]: "changed",
        ids[1]: "changed",
        ids[2]: "changed",
        ids[3]: "pool_empty",
        ids[4]: "pool_empty",
    }
    assert {pid for _, pid in _codes(world).values()} == set(ids[:3])


def test_empty_pool_skips_everyone_as_pool_empty(world: World) -> None:
    ids = _profiles(world, 2)
    run = run_action(world, action, ATTACH, ids)
    assert run.outcomes == {ids[0]: "pool_empty", ids[1]: "pool_empty"}


@pytest.mark.parametrize("dry_run", [False, True], ids=["real", "dry"])
def test_holder_is_already_holds_code_even_when_the_pool_is_dry(
    world: World, dry_run: bool
) -> None:
    holder, other = _profiles(world, 2)
    with world.store.begin() as conn:
        add_codes(conn, world.programs["Winter sale"], [("HELD", "attached", holder)])
    run = run_action(world, action, ATTACH, [holder, other], dry_run=dry_run)
    assert run.outcomes == {holder: "already_holds_code", other: "pool_empty"}


def test_detach_frees_attached_codes_and_keeps_activated_ones(world: World) -> None:
    attached, activated, both, none = _profiles(world, 4)
    with world.store.begin() as conn:
        add_codes(
            conn,
            world.programs["Winter sale"],
            [
                ("A1", "attached", attached),
                ("U1", "activated", activated),
                ("B1", "attached", both),
                ("B2", "activated", both),
            ],
        )
        add_codes(conn, world.programs["Other shop"], [("O1", "attached", none)])
    run = run_action(world, action, DETACH, [attached, activated, both, none])
    assert run.outcomes == {
        attached: "changed",
        activated: "code_activated",
        both: "changed",
        none: "no_code",
    }
    assert _codes(world) == {
        "A1": ("free", None),
        "U1": ("activated", activated),
        "B1": ("free", None),
        "B2": ("activated", both),
        "O1": ("attached", none),
    }


@pytest.mark.parametrize(
    "change, message",
    [
        ({"program": "Nope"}, r"job\.action\.program: no loyalty program named 'Nope'"),
        (
            {"program": "Other shop"},
            r"job\.action\.program: loyalty program 'Other shop' belongs to database "
            r"'Other customers', not 'Customers'",
        ),
        ({"mode": "swap"}, r"job\.action\.mode: 'swap' is not one of: attach, detach"),
        ({"codes": 3}, r"job\.action\.codes: unknown key"),
    ],
)
def test_parameters_that_do_not_fit_the_store_are_refused(
    world: World, change: dict[str, object], message: str
) -> None:
    with pytest.raises(ActionError, match=message):
        parse_action(world, action, {**ATTACH, **change})


def test_describe(world: World) -> None:
    assert action.describe(parse_action(world, action, ATTACH)) == (
        "Attach one free promo code of Winter sale to each profile"
    )
    assert action.describe(parse_action(world, action, DETACH)) == (
        "Detach the promo codes of Winter sale (activated codes stay)"
    )


def _trigger_setup(world: World) -> tuple[list[int], dict[str, int]]:
    ids = _profiles(world, 3)
    winter, other = world.programs["Winter sale"], world.programs["Other shop"]
    with world.store.begin() as conn:
        add_codes(conn, winter, [("HELD", "attached", ids[0]), ("F1", "free", None)])
        triggers = {
            "any": add_trigger(conn, "promo_attached"),
            "winter": add_trigger(conn, "promo_attached", program_id=winter),
            "other": add_trigger(conn, "promo_attached", program_id=other),
            "subscription": add_trigger(conn, "subscription"),
        }
    return ids, triggers


def test_attach_triggers_fire_for_profiles_that_got_a_code(world: World) -> None:
    ids, t = _trigger_setup(world)
    run = run_action(world, action, ATTACH, ids)
    assert run.outcomes == {ids[0]: "already_holds_code", ids[1]: "changed", ids[2]: "pool_empty"}
    assert run.trigger_events == sorted([(t["any"], ids[1]), (t["winter"], ids[1])])


def test_detach_starts_no_trigger(world: World) -> None:
    ids, _ = _trigger_setup(world)
    run = run_action(world, action, DETACH, ids)
    assert run.outcomes[ids[0]] == "changed"
    assert run.trigger_events == []


def test_no_triggers_when_skip_triggers_is_on(world: World) -> None:
    ids, _ = _trigger_setup(world)
    run = run_action(world, action, ATTACH, ids, skip_triggers=True)
    assert run.outcomes[ids[1]] == "changed"
    assert run.trigger_events == []


@pytest.mark.parametrize("job", [ATTACH, DETACH], ids=["attach", "detach"])
def test_dry_run_gives_the_same_outcomes_and_changes_nothing(
    world: World, job: dict[str, str]
) -> None:
    ids = _profiles(world, 6)
    with world.store.begin() as conn:
        add_codes(
            conn,
            world.programs["Winter sale"],
            [("HELD", "attached", ids[0]), ("USED", "activated", ids[1])]
            + [(f"F{i}", "free", None) for i in range(2)],
        )
        add_trigger(conn, "promo_attached")
    before = table_digest(world.store)
    dry = run_action(world, action, job, ids, dry_run=True, batch_size=2)
    assert table_digest(world.store) == before
    real = run_action(world, action, job, ids, batch_size=2)
    assert dry.outcomes == real.outcomes
    expected = (
        ["already_holds_code"] * 2 + ["changed"] * 2 + ["pool_empty"] * 2
        if job is ATTACH
        else ["changed", "code_activated"] + ["no_code"] * 4
    )
    assert sorted(real.outcomes.values()) == sorted(expected)
    assert dry.trigger_events == []


def test_end_to_end_pool_running_dry_completes_and_says_so(world: World) -> None:
    with world.store.begin() as conn:
        berlin = [add_profile(conn, world, city="Berlin") for _ in range(5)]
        paris = add_profile(conn, world, city="Paris")
        add_codes(conn, world.programs["Winter sale"], [(f"C{i}", "free", None) for i in range(3)])
        add_trigger(conn, "promo_attached")
    summary = run_job_e2e(world, ATTACH)
    assert (summary.status, summary.selected, summary.changed) == ("completed", 5, 3)
    assert summary.skipped == {"pool_empty": 2}
    assert summary.trigger_events == 3
    owners = {pid for _, pid in _codes(world).values()}
    assert owners == set(berlin[:3]) and paris not in owners


def test_code_taken_meanwhile_makes_its_profile_pool_empty(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another task attaches the code promised to the first profile between
    the batch's pairing and its UPDATE: that profile is pool_empty (no code,
    no journal row, no trigger), the others keep the codes they were paired with."""
    a, b, c, other = _profiles(world, 4)
    with world.store.begin() as conn:
        add_codes(conn, world.programs["Winter sale"], [(f"C{i}", "free", None) for i in range(3)])
        trigger = add_trigger(conn, "promo_attached")
    fill = action._fill_attach

    def fill_then_taken(conn: Connection, *args: Any) -> None:
        fill(conn, *args)
        pc = m.PromoCode
        conn.execute(update(pc).where(pc.code == "C0").values(status="attached", profile_id=other))

    monkeypatch.setattr(action, "_fill_attach", fill_then_taken)
    run = run_action(world, action, ATTACH, [a, b, c])
    assert run.outcomes == {a: "pool_empty", b: "changed", c: "changed"}
    assert _codes(world) == {
        "C0": ("attached", other),
        "C1": ("attached", b),
        "C2": ("attached", c),
    }
    assert run.trigger_events == [(trigger, b), (trigger, c)]
    with world.store.begin() as conn:
        journaled = conn.execute(
            select(m.JournalCode.profile_id).where(m.JournalCode.task_id == run.task_id)
        ).scalars()
        assert sorted(journaled) == [b, c]
