"""Update profile fields: every rule of domain.md "Update actions" 1, on both backends."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from jobs_helpers import (
    DB,
    Recorder,
    World,
    build_world,
    column_values,
    data_digest,
    job_for,
    make_task,
    outcomes,
    settings,
    tags_of,
    trigger_events,
)
from sqlalchemy import insert, select

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.actions import update_fields
from bulkprofiles_gui.core.actions.base import ActionContext, ActionError
from bulkprofiles_gui.core.config import Settings
from bulkprofiles_gui.core.fields import SYSTEM_FIELDS
from bulkprofiles_gui.core.jobs import TaskSummary, run_job, run_task
from bulkprofiles_gui.core.limits import INT64_MAX, INT64_MIN
from bulkprofiles_gui.core.store import Store


def run(
    store: Store,
    world: World,
    changes: list[dict[str, Any]],
    ids: list[int] | None = None,
    **kw: Any,
) -> TaskSummary:
    action = {"type": "update_fields", "changes": changes}
    task_id = make_task(store, action, world.profile_ids if ids is None else ids, **kw)
    return run_task(store, task_id, Recorder().state, settings=settings(batch_size=4))


def parse(store: Store, changes: Any, **extra: Any) -> update_fields.Params:
    with store.begin() as conn:
        db_id = store.database_id(conn, DB)
        ctx = ActionContext(store, db_id, Settings(), m.utcnow(), 0)
        return update_fields.parse(
            conn, ctx, {"type": "update_fields", "changes": changes, **extra}
        )


@pytest.mark.parametrize(
    ("key", "raw", "stored"),
    [
        ("city", " Lyon ", "Lyon"),
        ("bonus_points", "42", 42),
        ("score", 2.5, 2.5),
        ("level", "gold", "gold"),
        ("vip", "yes", True),
        ("seen_on", "2026-03-01", dt.date(2026, 3, 1)),
        ("registered_at", "2026-03-01T10:30:00+02:00", dt.datetime(2026, 3, 1, 8, 30)),
        ("email", "new@example.org", "new@example.org"),
        ("gender", "female", "female"),
    ],
)
def test_set_stores_the_value_typed(store: Store, key: str, raw: Any, stored: Any) -> None:
    world = build_world(store, n=4)
    summary = run(store, world, [{"field": key, "op": "set", "value": raw}])
    column = world.columns[key]
    assert summary.status == "completed" and summary.changed == 4
    assert set(column_values(store, column).values()) == {stored}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"field": "bonus_points", "op": "set", "value": "abc"},
            r"job.action.changes\[0\].value: 'abc' is not a whole number",
        ),
        (
            {"field": "level", "op": "set", "value": "diamond"},
            r"changes\[0\].value: 'diamond' is not one of: bronze, silver, gold",
        ),
        ({"field": "email", "op": "set", "value": "nope@"}, r"is not an email address"),
        ({"field": "seen_on", "op": "set", "value": "31.12.2026"}, r"is not a date"),
        ({"field": "vip", "op": "set", "value": "maybe"}, r"is not true or false"),
        ({"field": "city", "op": "set"}, r"'set' needs a value \(use op 'clear'"),
        ({"field": "city", "op": "clear", "value": "x"}, r"'clear' takes no value"),
        ({"field": "nope", "op": "set", "value": 1}, r"changes\[0\].field: no field 'nope'"),
        ({"field": "city", "op": "rename", "value": 1}, r"changes\[0\].op: 'rename' is not"),
        ({"field": "city", "op": "set", "value": "a", "x": 1}, r"changes\[0\].x: unknown key"),
    ],
)
def test_bad_values_are_refused_naming_the_key(
    store: Store, change: dict[str, Any], message: str
) -> None:
    build_world(store, n=1)
    with pytest.raises(ActionError, match=message):
        parse(store, [change])


def test_unknown_action_key_and_empty_changes_are_refused(store: Store) -> None:
    build_world(store, n=1)
    with pytest.raises(ActionError, match=r"job.action.colour: unknown key"):
        parse(store, [{"field": "city", "op": "clear"}], colour="red")
    with pytest.raises(ActionError, match=r"job.action.changes: give at least one"):
        parse(store, [])


@pytest.mark.parametrize("key", ["id", "created_at", "updated_at", "last_interaction_at"])
def test_non_editable_fields_are_refused(store: Store, key: str) -> None:
    build_world(store, n=1)
    with pytest.raises(ActionError, match=rf"changes\[0\].field: .*\({key}\) cannot be changed"):
        parse(store, [{"field": key, "op": "set", "value": "2026-01-01"}])


def test_every_editable_field_can_be_cleared(store: Store) -> None:
    world = build_world(store, n=4)
    with store.begin() as conn:
        editable = [f for f in store.fields(conn, world.database_id) if f.editable]
    assert {f.key for f in editable} >= {f.key for f in SYSTEM_FIELDS if f.editable}
    summary = run(store, world, [{"field": f.key, "op": "clear"} for f in editable])
    assert summary.status == "completed"
    for f in editable:
        if f.column_name:
            assert set(column_values(store, f.column_name).values()) == {None}, f.key
    assert all(tags == [] for tags in tags_of(store, world).values())


def test_increment_only_for_numbers_and_by_a_non_zero_number(store: Store) -> None:
    build_world(store, n=1)
    with pytest.raises(ActionError, match=r"'increment' is not possible for the string field"):
        parse(store, [{"field": "city", "op": "increment", "value": 1}])
    with pytest.raises(ActionError, match=r"1.5 is not a whole number"):
        parse(store, [{"field": "bonus_points", "op": "increment", "value": 1.5}])
    with pytest.raises(ActionError, match=r"incrementing by 0 changes nothing"):
        parse(store, [{"field": "bonus_points", "op": "increment", "value": 0}])


def test_increment_adds_and_counts_an_empty_value_as_zero(store: Store) -> None:
    world = build_world(store, n=4)
    score = world.columns["score"]
    with store.begin() as conn:
        conn.execute(
            store.profiles.update()
            .where(store.profiles.c.id == world.profile_ids[0])
            .values({score: 1.25})
        )
    run(
        store,
        world,
        [
            {"field": "bonus_points", "op": "increment", "value": -3},
            {"field": "score", "op": "increment", "value": 0.5},
        ],
    )
    bonus = column_values(store, world.columns["bonus_points"])
    assert [bonus[pid] for pid in world.profile_ids] == [-3, -2, -1, 0]
    scores = column_values(store, score)
    assert [scores[pid] for pid in world.profile_ids] == [1.75, 0.5, 0.5, 0.5]


def test_an_increment_beyond_the_fields_range_skips_the_profile(store: Store) -> None:
    """SQLite stored 9.2e18 (a decimal) or Infinity in the field, PostgreSQL
    failed the whole task (audit): such a profile is ``out_of_range``, none of
    its fields changes and no trigger starts for it."""
    world = build_world(store, n=4)
    p0, p1, p2, p3 = world.profile_ids
    bonus, score = world.columns["bonus_points"], world.columns["score"]
    with store.begin() as conn:
        for pid, values in ((p0, {bonus: INT64_MAX - 5}), (p2, {score: 1.7e308})):
            conn.execute(store.profiles.update().where(store.profiles.c.id == pid).values(values))
    summary = run(
        store,
        world,
        [
            {"field": "bonus_points", "op": "increment", "value": 10},
            {"field": "score", "op": "increment", "value": 1e308},
        ],
    )
    assert outcomes(store, summary.task_id) == {
        p0: "out_of_range",
        p1: "changed",
        p2: "out_of_range",
        p3: "changed",
    }
    assert summary.changed == 2 and summary.skipped == {"out_of_range": 2}
    bonuses, scores = column_values(store, bonus), column_values(store, score)
    assert [bonuses[p] for p in world.profile_ids] == [INT64_MAX - 5, 11, 2, 13]
    assert [scores[p] for p in world.profile_ids] == [None, 1e308, 1.7e308, 1e308]
    assert {pid for _name, pid in trigger_events(store)} == {p1, p3}


def test_a_negative_increment_stops_at_the_smallest_whole_number(store: Store) -> None:
    world = build_world(store, n=2)
    bonus = world.columns["bonus_points"]
    low = world.profile_ids[0]
    with store.begin() as conn:
        conn.execute(
            store.profiles.update().where(store.profiles.c.id == low).values({bonus: INT64_MIN + 2})
        )
    change = {"field": "bonus_points", "op": "increment", "value": -3}
    summary = run(store, world, [change])
    assert outcomes(store, summary.task_id)[low] == "out_of_range"
    assert [column_values(store, bonus)[p] for p in world.profile_ids] == [INT64_MIN + 2, -2]


def test_add_and_remove_only_for_tags(store: Store) -> None:
    build_world(store, n=1)
    for key in ("phones", "city"):
        with pytest.raises(ActionError, match=r"'add' is not possible"):
            parse(store, [{"field": key, "op": "add", "value": ["x"]}])
    with pytest.raises(ActionError, match=r"'remove' needs at least one tag"):
        parse(store, [{"field": "tags", "op": "remove", "value": []}])


def test_a_tag_may_not_hold_the_list_separator_of_csv_files(store: Store) -> None:
    """'vip;gold' was stored as one tag, exported as 'vip;gold' and imported
    back as two (audit)."""
    build_world(store, n=1)
    for op in ("add", "set"):
        with pytest.raises(ActionError, match=r"'vip;gold' holds ';', which separates tags"):
            parse(store, [{"field": "tags", "op": op, "value": ["vip;gold"]}])


def test_add_and_remove_tags_skip_profiles_already_so(store: Store) -> None:
    world = build_world(store, n=4)  # vip on profiles 0 and 2
    summary = run(
        store,
        world,
        [
            {"field": "tags", "op": "add", "value": ["vip"]},
            {"field": "tags", "op": "remove", "value": ["b2b"]},
        ],
    )
    assert (summary.changed, summary.skipped) == (2, {"unchanged": 2})
    assert all(tags == ["vip"] for tags in tags_of(store, world).values())

    summary = run(store, world, [{"field": "tags", "op": "remove", "value": ["vip", "x"]}])
    assert summary.changed == 4
    assert all(tags == [] for tags in tags_of(store, world).values())


def test_set_a_list_replaces_it(store: Store) -> None:
    world = build_world(store, n=4)
    summary = run(store, world, [{"field": "tags", "op": "set", "value": ["vip", "b2b"]}])
    assert summary.changed == 4  # the vip-only profiles gain b2b too
    assert all(tags == ["b2b", "vip"] for tags in tags_of(store, world).values())
    summary = run(store, world, [{"field": "tags", "op": "set", "value": ["b2b", "vip"]}])
    assert summary.skipped == {"unchanged": 4}

    run(store, world, [{"field": "phones", "op": "set", "value": ["+4915112345678"]}])
    run(store, world, [{"field": "phones", "op": "set", "value": ["+33612345678"]}])
    assert all(p == ["+33612345678"] for p in tags_of(store, world, "phones").values())
    run(store, world, [{"field": "phones", "op": "clear"}], ids=world.profile_ids[:1])
    assert tags_of(store, world, "phones")[world.profile_ids[0]] == []
    with pytest.raises(ActionError, match=r"'0151' is not a phone number"):
        parse(store, [{"field": "phones", "op": "set", "value": ["0151"]}])


def test_unchanged_profiles_are_skipped_without_bumping_updated_at(store: Store) -> None:
    world = build_world(store, n=8)  # cities cycle Berlin, Paris, Madrid, empty
    summary = run(store, world, [{"field": "city", "op": "set", "value": "Berlin"}])
    assert (summary.changed, summary.skipped) == (6, {"unchanged": 2})
    got = outcomes(store, summary.task_id)
    updated = column_values(store, "updated_at")
    for i, pid in enumerate(world.profile_ids):
        if i % 4 == 0:
            assert got[pid] == "unchanged" and updated[pid] == dt.datetime(2020, 1, 1)
        else:
            assert got[pid] == "changed" and updated[pid] > dt.datetime(2025, 1, 1)


def test_a_field_appears_once_except_add_and_remove_of_different_tags(store: Store) -> None:
    build_world(store, n=1)
    with pytest.raises(ActionError, match=r"field 'city' is changed more than once"):
        parse(store, [{"field": "city", "op": "clear"}, {"field": "city", "op": "clear"}])
    with pytest.raises(ActionError, match=r"tag 'vip' of 'tags' is both added and removed"):
        parse(
            store,
            [
                {"field": "tags", "op": "add", "value": ["vip"]},
                {"field": "tags", "op": "remove", "value": "vip"},
            ],
        )


def test_triggers_start_once_per_changed_profile_and_matching_trigger(store: Store) -> None:
    world = build_world(store, n=8)
    summary = run(
        store,
        world,
        [
            {"field": "city", "op": "set", "value": "Berlin"},
            {"field": "bonus_points", "op": "set", "value": 3},
        ],
    )
    ids = world.profile_ids
    # profile 0: Berlin, bonus 0 -> bonus changes only; profile 3: bonus 3 -> city only
    changed = [pid for i, pid in enumerate(ids)]  # every profile changes something
    city_changed = [pid for i, pid in enumerate(ids) if i % 4 != 0]
    bonus_changed = [pid for i, pid in enumerate(ids) if i != 3]
    expected = sorted(
        [("any_field", pid) for pid in changed]
        + [("city", pid) for pid in city_changed]
        + [("bonus", pid) for pid in bonus_changed]
    )
    assert trigger_events(store) == expected
    assert summary.trigger_events == len(expected)
    with store.begin() as conn:
        task_ids = set(conn.execute(select(m.TriggerEvent.task_id)).scalars())
    assert task_ids == {summary.task_id}


def test_no_trigger_for_unchanged_profiles(store: Store) -> None:
    world = build_world(store, n=8)
    summary = run(store, world, [{"field": "city", "op": "set", "value": "Berlin"}])
    unchanged = {pid for i, pid in enumerate(world.profile_ids) if i % 4 == 0}
    events = trigger_events(store)
    assert events and not {pid for _, pid in events} & unchanged
    assert summary.trigger_events == len(events) == 2 * 6  # any_field + city


def test_skip_triggers_records_none(store: Store) -> None:
    world = build_world(store, n=8)
    summary = run(
        store, world, [{"field": "city", "op": "set", "value": "Lyon"}], skip_triggers=True
    )
    assert summary.changed == 8
    assert trigger_events(store) == [] and summary.trigger_events == 0


def test_dry_run_changes_nothing_and_starts_no_trigger(store: Store) -> None:
    world = build_world(store, n=8)
    digest = data_digest(store)
    summary = run(
        store,
        world,
        [
            {"field": "city", "op": "set", "value": "Berlin"},
            {"field": "tags", "op": "add", "value": ["new"]},
            {"field": "bonus_points", "op": "increment", "value": 1},
        ],
        dry_run=True,
    )
    assert summary.changed == 8 and summary.trigger_events == 0
    assert data_digest(store) == digest


def test_describe_says_what_changes(store: Store) -> None:
    build_world(store, n=1)
    params = parse(
        store,
        [
            {"field": "city", "op": "set", "value": "Berlin"},
            {"field": "bonus_points", "op": "increment", "value": 10},
            {"field": "tags", "op": "add", "value": ["vip"]},
            {"field": "last_name", "op": "clear"},
        ],
    )
    assert update_fields.describe(params) == (
        "Update fields: set City to 'Berlin'; add 10 to Bonus points; add vip to Tags; "
        "clear Last name"
    )


def test_run_job_end_to_end_with_rules(store: Store) -> None:
    world = build_world(store, n=12)
    job = job_for(
        {"type": "update_fields", "changes": [{"field": "city", "op": "set", "value": "Rome"}]},
        rules={
            "combinator": "and",
            "not": False,
            "rules": [{"field": "city", "operator": "=", "value": "Paris"}],
        },
    )
    summary = run_job(store, job, Recorder().state, settings=settings())
    assert (summary.status, summary.selected, summary.changed) == ("completed", 3, 3)
    cities = column_values(store, "city")
    assert [cities[pid] for pid in world.profile_ids[:4]] == ["Berlin", "Rome", "Madrid", None]


def test_a_profile_of_another_database_is_never_touched(store: Store) -> None:
    world = build_world(store, n=4)
    with store.begin() as conn:
        other = conn.execute(
            insert(store.profiles)
            .values(database_id=world.other_database_id, city="Oslo")
            .returning(store.profiles.c.id)
        ).scalar_one()
    job = job_for({"type": "update_fields", "changes": [{"field": "city", "op": "clear"}]})
    summary = run_job(store, job, Recorder().state, settings=settings())
    assert summary.selected == 4
    assert column_values(store, "city")[other] == "Oslo"
