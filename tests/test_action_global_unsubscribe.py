"""Global unsubscribe (domain.md "Update actions" 7) and mandatory conditions, both backends."""

from __future__ import annotations

from typing import Any

import pytest
from jobs_helpers import (
    DB,
    Recorder,
    build_world,
    column_values,
    data_digest,
    job_for,
    make_task,
    outcomes,
    settings,
    trigger_events,
)
from sqlalchemy import func, select

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.actions import global_unsubscribe
from bulkprofiles_gui.core.actions.base import ActionContext, ActionError
from bulkprofiles_gui.core.config import Settings
from bulkprofiles_gui.core.jobs import prepare_task, run_job, run_task
from bulkprofiles_gui.core.store import Store

ACTION = {"type": "global_unsubscribe"}
EMPTY: dict[str, Any] = {"combinator": "and", "not": False, "rules": []}
PARIS = {
    "combinator": "and",
    "not": False,
    "rules": [{"field": "city", "operator": "=", "value": "Paris"}],
}


def test_sets_unsubscribed_and_skips_the_already_unsubscribed(store: Store) -> None:
    world = build_world(store, n=10)  # profiles 0 and 5 are unsubscribed already
    updated_before = column_values(store, "updated_at")
    task_id = make_task(store, ACTION, world.profile_ids)
    summary = run_task(store, task_id, Recorder().state, settings=settings(batch_size=3))
    assert (summary.changed, summary.skipped) == (8, {"already_unsubscribed": 2})
    assert set(column_values(store, "global_status").values()) == {"unsubscribed"}
    got = outcomes(store, task_id)
    updated = column_values(store, "updated_at")
    for i, pid in enumerate(world.profile_ids):
        if i % 5 == 0:
            assert got[pid] == "already_unsubscribed"
            assert updated[pid] == updated_before[pid]
        else:
            assert got[pid] == "changed" and updated[pid] > updated_before[pid]


def test_records_no_trigger_events(store: Store) -> None:
    world = build_world(store, n=6)
    task_id = make_task(store, ACTION, world.profile_ids)
    summary = run_task(store, task_id, Recorder().state, settings=settings())
    assert summary.changed == 4 and summary.trigger_events == 0 and trigger_events(store) == []


def test_is_destructive_and_requires_conditions() -> None:
    assert global_unsubscribe.REQUIRES_CONDITIONS and global_unsubscribe.DESTRUCTIVE


@pytest.mark.parametrize(
    "rules",
    [
        EMPTY,
        {"combinator": "or", "not": True, "rules": [{"combinator": "and", "rules": []}]},
    ],
)
def test_job_without_conditions_is_refused_and_nothing_written(
    store: Store, rules: dict[str, Any]
) -> None:
    build_world(store, n=6)
    digest = data_digest(store)
    with pytest.raises(ActionError, match=r"job.rules: 'Global unsubscribe' needs at least one"):
        prepare_task(store, job_for(ACTION, rules=rules), settings=Settings())
    with store.begin() as conn:
        assert conn.execute(select(func.count()).select_from(m.Task)).scalar_one() == 0
    assert data_digest(store) == digest


def test_range_or_limit_alone_is_not_a_condition(store: Store) -> None:
    build_world(store, n=6)
    job = job_for(ACTION, rules=EMPTY, range={"from": 0, "to": 50}, limit=2)
    with pytest.raises(ActionError, match=r"needs at least one condition"):
        prepare_task(store, job, settings=Settings())


def test_with_a_condition_only_the_selected_profiles_change(store: Store) -> None:
    world = build_world(store, n=12)  # Paris: profiles 1, 5, 9; 5 already unsubscribed
    summary = run_job(store, job_for(ACTION, rules=PARIS), Recorder().state, settings=settings())
    assert (summary.selected, summary.changed, summary.skipped) == (
        3,
        2,
        {"already_unsubscribed": 1},
    )
    statuses = column_values(store, "global_status")
    for i, pid in enumerate(world.profile_ids):
        expected = "unsubscribed" if i % 4 == 1 or i % 5 == 0 else "subscribed"
        assert statuses[pid] == expected


def test_dry_run_changes_nothing(store: Store) -> None:
    build_world(store, n=12)
    digest = data_digest(store)
    summary = run_job(
        store, job_for(ACTION, rules=PARIS), Recorder().state, dry_run=True, settings=settings()
    )
    assert (summary.changed, summary.dry_run) == (2, True)
    assert data_digest(store) == digest


def test_parameters_are_refused(store: Store) -> None:
    build_world(store, n=1)
    with store.begin() as conn:
        ctx = ActionContext(store, store.database_id(conn, DB), Settings(), m.utcnow(), 0)
        with pytest.raises(ActionError, match=r"job.action.status: unknown key"):
            global_unsubscribe.parse(conn, ctx, {"type": "global_unsubscribe", "status": "x"})
        assert '"Unsubscribed"' in global_unsubscribe.describe(
            global_unsubscribe.parse(conn, ctx, dict(ACTION))
        )


@pytest.mark.parametrize("action_type", ["global_unsubscribe", "delete_profiles"])
def test_profile_deleted_after_freezing_is_gone_and_counted(store: Store, action_type: str) -> None:
    """Global unsubscribe and delete classify a profile deleted since the
    freeze in their work table's fill (``SKIPS_GONE``): ``profile_gone``,
    nothing journalled for it, the rest of its batch runs, and the task's
    counters (counted from the work table) match ``task_profiles``."""
    from sqlalchemy import delete

    from bulkprofiles_gui.core.actions import get_action
    from bulkprofiles_gui.core.jobfile import Job
    from bulkprofiles_gui.core.jobs import freeze_profile_ids
    from bulkprofiles_gui.core.progress import JobState

    assert get_action(action_type).SKIPS_GONE
    world = build_world(store, n=6)  # profiles 0 and 5 are unsubscribed already
    ids = world.profile_ids
    job = Job.from_dict(
        {"database": DB, "rules": PARIS, "action": {"type": action_type}}, require_action=True
    )
    task_id = prepare_task(store, job, settings=Settings())
    freeze_profile_ids(store, task_id, ids)
    with store.begin() as conn:
        conn.execute(delete(store.profiles).where(store.profiles.c.id == ids[2]))
    summary = run_task(store, task_id, JobState(), settings=settings(batch_size=2))
    assert summary.status == "completed", summary.error
    got = outcomes(store, task_id)
    assert got[ids[2]] == "profile_gone"
    assert all(got[pid] != "profile_gone" for pid in ids if pid != ids[2])
    by_outcome: dict[str, int] = {}
    for outcome in got.values():
        by_outcome[str(outcome)] = by_outcome.get(str(outcome), 0) + 1
    assert summary.changed == by_outcome.pop("changed", 0)
    assert summary.skipped == by_outcome
    with store.begin() as conn:
        journaled = set(
            conn.execute(
                select(m.JournalValue.profile_id).where(m.JournalValue.task_id == task_id)
            ).scalars()
        ) | set(
            conn.execute(
                select(m.ArchivedProfile.id).where(m.ArchivedProfile.task_id == task_id)
            ).scalars()
        )
    assert ids[2] not in journaled
    if action_type == "global_unsubscribe":  # the world's profiles are all recently active
        assert journaled == {pid for pid, outcome in got.items() if outcome == "changed"}
