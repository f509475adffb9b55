"""Reverting a task (core/revert.py) on every backend: for each of the seven
actions a job runs, is reverted, and the store is what it was before the job
(apart from timestamps and the task records), deleted profiles included with
their list items, subscriptions and promo codes.  Conflicts, partial runs,
dry runs, refusals, triggers and the purge of old journals."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
from action_helpers import BERLIN, World, add_trigger, run_job_e2e
from revert_helpers import build_world, count_rows, outcomes, store_state
from sqlalchemy import func, insert, select, update

from bulkprofiles_gui.core import journal
from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core import revert as revert_module
from bulkprofiles_gui.core.config import ConfigError, Settings
from bulkprofiles_gui.core.jobfile import Job
from bulkprofiles_gui.core.jobs import TaskError, run_job, run_task
from bulkprofiles_gui.core.progress import JobState, Progress
from bulkprofiles_gui.core.resume import run_any_task
from bulkprofiles_gui.core.revert import (
    RevertError,
    plan_revert,
    prepare_revert,
    revert_task,
    run_revert_task,
)
from bulkprofiles_gui.core.store import Store
from bulkprofiles_gui.core.tasks import get_task

SMALL_BATCHES = Settings(batch_size=2)

#: One job per action (promo codes in both modes), each changing several kinds
#: of value of the Berlin profiles.
JOBS: dict[str, dict[str, Any]] = {
    "update_fields": {
        "type": "update_fields",
        "changes": [
            {"field": "nickname", "op": "set", "value": "Bulk"},
            {"field": "score", "op": "increment", "value": 5},
            {"field": "rate", "op": "increment", "value": 0.1},
            {"field": "since", "op": "set", "value": "2024-02-29"},
            {"field": "seen", "op": "clear"},
            {"field": "vip", "op": "set", "value": True},
            {"field": "tags", "op": "add", "value": ["bulk"]},
            {"field": "phones", "op": "set", "value": ["+4915112345678"]},
        ],
    },
    "update_fields_set_lists": {  # a set that keeps some items, a clear
        "type": "update_fields",
        "changes": [
            {"field": "tags", "op": "set", "value": ["gold", "new"]},
            {"field": "phones", "op": "clear"},
        ],
    },
    "update_fields_add_and_remove": {
        "type": "update_fields",
        "changes": [
            {"field": "tags", "op": "remove", "value": ["b2b"]},
            {"field": "tags", "op": "add", "value": ["gold", "x"]},
        ],
    },
    "subscribe_from_fields": {
        "type": "subscribe_from_fields",
        "resource": "Newsletter",
        "channel": "email",
        "status": "subscribed",
    },
    "subscribe_from_resource": {
        "type": "subscribe_from_resource",
        "source_resource": "Shop",
        "resource": "Newsletter",
        "channels": ["email", "sms"],
        "status": "subscribed",
        "include_unsafe": True,
    },
    "update_subscriptions": {
        "type": "update_subscriptions",
        "resource": "Shop",
        "channel": "email",
        "status": "unsubscribed",
    },
    "promo_codes_attach": {"type": "promo_codes", "mode": "attach", "program": "Winter sale"},
    "promo_codes_detach": {"type": "promo_codes", "mode": "detach", "program": "Winter sale"},
    "delete_profiles": {"type": "delete_profiles"},
    "global_unsubscribe": {"type": "global_unsubscribe"},
}


@pytest.fixture
def world(store: Store) -> World:
    return build_world(store)


def run(world: World, name: str, **kwargs: Any) -> int:
    summary = run_job_e2e(world, JOBS[name], settings=SMALL_BATCHES, **kwargs)
    assert summary.status == "completed", summary.error
    assert summary.changed > 0
    return summary.task_id


def cancelling_after_first_batch() -> JobState:
    """A state that cancels the run once its first batch is committed."""
    state = JobState()

    def on_progress(progress: Progress) -> None:
        if progress.done > 0:
            state.cancel()

    state.on_progress = on_progress
    return state


def revert(world: World, task_id: int, **kwargs: Any) -> Any:
    return revert_task(world.store, task_id, JobState(), settings=SMALL_BATCHES, **kwargs)


@pytest.mark.parametrize("name", list(JOBS))
def test_a_reverted_job_leaves_the_store_as_it_was(world: World, name: str) -> None:
    before = store_state(world.store)
    task_id = run(world, name)
    assert store_state(world.store) != before

    summary = revert(world, task_id)

    assert summary.status == "completed", summary.error
    assert store_state(world.store) == before
    job = get_task(world.store, task_id)
    assert (summary.selected, summary.changed, summary.skipped) == (job.changed, job.changed, {})
    assert summary.trigger_events == 0
    assert set(outcomes(world.store, summary.task_id).values()) == {"restored"}
    revert_row = get_task(world.store, summary.task_id)
    assert (revert_row.action_type, revert_row.revert_of) == ("revert", task_id)
    assert get_task(world.store, task_id).reverted_by == summary.task_id


def test_deleted_profiles_come_back_with_their_ids_lists_subscriptions_and_codes(
    world: World,
) -> None:
    store = world.store
    task_id = run(world, "delete_profiles")
    deleted = [pid for pid, o in outcomes(store, task_id).items() if o == "changed"]
    with store.begin() as conn:
        gone = conn.execute(select(func.count()).where(store.profiles.c.id.in_(deleted)))
        assert gone.scalar_one() == 0
        held = conn.execute(
            select(m.PromoCode.code).where(m.PromoCode.profile_id.in_(deleted))
        ).all()
    assert held == []
    assert count_rows(store, m.ArchivedProfile, task_id) == len(deleted)
    assert count_rows(store, m.ArchivedSubscription, task_id) > 0
    assert count_rows(store, m.ArchivedListValue, task_id) > 0
    assert count_rows(store, m.JournalCode, task_id) == 3  # HELD-1, HELD-2, USED-3

    revert(world, task_id)

    with store.begin() as conn:
        back = conn.execute(
            select(m.PromoCode.code, m.PromoCode.status, m.PromoCode.profile_id)
            .where(m.PromoCode.profile_id.in_(deleted))
            .order_by(m.PromoCode.code)
        ).all()
    assert [(c, s) for c, s, _ in back] == [
        ("HELD-1", "attached"),
        ("HELD-2", "attached"),
        ("USED-3", "activated"),
    ]


def test_values_changed_since_are_conflicts_left_alone_and_counted(world: World) -> None:
    store = world.store
    task_id = run(world, "update_fields")
    changed = sorted(pid for pid, o in outcomes(store, task_id).items() if o == "changed")
    first, second, third, fourth, *_rest = changed
    # a later task sets one profile's nickname, an outside write bumps another's
    # score, a third profile loses the tag the job added; a fourth gains another
    # tag, which is none of the job's business: no conflict, and it stays
    later = run_job_e2e(
        world,
        {"type": "update_fields", "changes": [{"field": "nickname", "op": "set", "value": "X"}]},
        rules={
            "combinator": "and",
            "not": False,
            "rules": [{"field": "id", "operator": "=", "value": first}],
        },
        settings=SMALL_BATCHES,
    )
    assert later.changed == 1
    score = store.profiles.c[f"cf_{world.fields['score']}"]
    with store.begin() as conn:
        conn.execute(update(store.profiles).where(store.profiles.c.id == second).values({score: 1}))
        conn.execute(
            m.ProfileListValue.__table__.delete().where(
                m.ProfileListValue.profile_id == third, m.ProfileListValue.value == "bulk"
            )
        )
        conn.execute(
            insert(m.ProfileListValue).values(
                profile_id=fourth, field_id=world.fields["tags"], value="later"
            )
        )
    conflicts = {first, second, third}
    left_alone = {pid: _profile(store, pid) for pid in conflicts}

    summary = revert(world, task_id)

    assert summary.status == "completed"
    assert summary.skipped == {"conflict": 3}
    assert summary.changed == len(changed) - 3
    result = outcomes(store, summary.task_id)
    assert {pid for pid, o in result.items() if o == "conflict"} == conflicts
    assert {pid: _profile(store, pid) for pid in conflicts} == left_alone
    nickname = store.profiles.c[f"cf_{world.fields['nickname']}"]
    with store.begin() as conn:
        restored = conn.execute(
            select(func.count()).where(
                store.profiles.c.id.in_(set(changed) - conflicts),
                nickname == "Bulk",
            )
        ).scalar_one()
    assert restored == 0
    with store.begin() as conn:
        tags = conn.execute(
            select(m.ProfileListValue.value).where(
                m.ProfileListValue.profile_id == fourth,
                m.ProfileListValue.field_id == world.fields["tags"],
            )
        ).scalars()
        assert "later" in set(tags) and result[fourth] == "restored"
        assert "bulk" not in set(
            conn.execute(
                select(m.ProfileListValue.value).where(m.ProfileListValue.profile_id == fourth)
            ).scalars()
        )


def test_subscriptions_changed_since_are_conflicts(world: World) -> None:
    store = world.store
    task_id = run(world, "subscribe_from_fields")
    changed = sorted(pid for pid, o in outcomes(store, task_id).items() if o == "changed")
    moved = changed[0]
    with store.begin() as conn:
        conn.execute(
            update(m.Subscription)
            .where(
                m.Subscription.profile_id == moved,
                m.Subscription.resource_id == world.resources["Newsletter"],
            )
            .values(status="complainer")
        )
    summary = revert(world, task_id)
    assert summary.skipped == {"conflict": 1}
    assert outcomes(store, summary.task_id)[moved] == "conflict"
    with store.begin() as conn:
        status = conn.execute(
            select(m.Subscription.status).where(
                m.Subscription.profile_id == moved,
                m.Subscription.resource_id == world.resources["Newsletter"],
            )
        ).scalar_one()
    assert status == "complainer"


def test_a_cancelled_task_is_reverted_as_far_as_it_got(world: World) -> None:
    before = store_state(world.store)
    state = cancelling_after_first_batch()
    job = Job.from_dict(
        {"database": "Customers", "rules": BERLIN, "action": JOBS["global_unsubscribe"]},
        require_action=True,
    )
    summary = run_job(world.store, job, state, settings=SMALL_BATCHES)
    assert summary.status == "cancelled"
    assert 0 < summary.processed < summary.selected

    undone = revert(world, summary.task_id)

    assert undone.status == "completed"
    assert undone.selected == summary.changed
    assert store_state(world.store) == before
    assert not get_task(world.store, summary.task_id).resumable
    with pytest.raises(TaskError) as caught:
        run_task(world.store, summary.task_id, JobState())
    assert str(caught.value) == (
        f"task {summary.task_id} cannot be started: task {undone.task_id} reverts it"
    )


def test_after_a_failed_revert_a_new_one_restores_the_rest(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = store_state(world.store)
    task_id = run(world, "update_fields")
    changed = get_task(world.store, task_id).changed
    real_restore = revert_module.restore
    batches = 0

    def fails_in_the_second_batch(*args: Any) -> None:
        nonlocal batches
        batches += 1
        if batches == 2:
            raise RuntimeError("the disk said no")
        real_restore(*args)

    monkeypatch.setattr(revert_module, "restore", fails_in_the_second_batch)
    per_batch = replace(SMALL_BATCHES, commit_seconds=0)  # the first batch commits alone
    failed = revert_task(world.store, task_id, JobState(), settings=per_batch)
    assert failed.status == "failed" and failed.processed == 2
    assert plan_revert_problem(world, task_id) is None  # a failed revert is no revert
    monkeypatch.setattr(revert_module, "restore", real_restore)

    second = revert(world, task_id)

    assert second.status == "completed"
    assert second.selected == second.changed == changed - 2
    assert store_state(world.store) == before
    assert get_task(world.store, task_id).reverted_by == second.task_id


def test_a_dry_run_revert_counts_what_the_real_one_does_and_changes_nothing(
    world: World,
) -> None:
    task_id = run(world, "subscribe_from_resource")
    after_job = store_state(world.store)

    dry = revert(world, task_id, dry_run=True)
    assert dry.dry_run and dry.status == "completed"
    assert store_state(world.store) == after_job
    assert get_task(world.store, task_id).reverted_by is None  # a dry run is no revert

    real = revert(world, task_id)
    assert (real.changed, real.skipped) == (dry.changed, dry.skipped)


def test_reverting_twice_is_refused_with_one_line(world: World) -> None:
    task_id = run(world, "global_unsubscribe")
    first = revert(world, task_id)
    with pytest.raises(RevertError) as caught:
        revert(world, task_id)
    assert str(caught.value) == (
        f"task {task_id} cannot be reverted again: task {first.task_id} reverts it"
    )
    with pytest.raises(RevertError, match="it is a revert itself"):
        revert(world, first.task_id)


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda w: run_job_e2e(w, JOBS["global_unsubscribe"], dry_run=True).task_id, "a dry run"),
        (
            lambda w: (
                run_job_e2e(
                    w,
                    {
                        "type": "update_fields",
                        "changes": [{"field": "city", "op": "set", "value": "Berlin"}],
                    },
                ).task_id
            ),
            "it changed no profile",
        ),
    ],
)
def test_tasks_with_nothing_to_revert_are_refused(world: World, make: Any, why: str) -> None:
    task_id = make(world)
    with pytest.raises(RevertError, match=why):
        plan_revert(world.store, task_id, SMALL_BATCHES)


def test_an_interrupted_revert_resumes_where_it_stopped(world: World) -> None:
    before = store_state(world.store)
    task_id = run(world, "update_fields")
    revert_id = prepare_revert(world.store, task_id, settings=SMALL_BATCHES)
    state = cancelling_after_first_batch()
    stopped = run_revert_task(world.store, revert_id, state, settings=SMALL_BATCHES)
    assert stopped.status == "cancelled" and 0 < stopped.processed < stopped.selected
    assert "is being reverted by task" in (plan_revert_problem(world, task_id) or "")

    resumed = run_any_task(world.store, revert_id, JobState(), settings=SMALL_BATCHES)

    assert resumed.status == "completed"
    assert resumed.changed == get_task(world.store, task_id).changed
    assert store_state(world.store) == before


def plan_revert_problem(world: World, task_id: int) -> str | None:
    try:
        plan_revert(world.store, task_id, SMALL_BATCHES)
    except RevertError as exc:
        return str(exc)
    return None


def test_triggers_start_only_when_asked(world: World) -> None:
    store = world.store
    with store.begin() as conn:
        add_trigger(conn, "field_updated", "any field")
        add_trigger(conn, "field_updated", "score", field_id=world.fields["score"])
        add_trigger(conn, "subscription", "newsletter", resource_id=world.resources["Newsletter"])
    fields_task = run(world, "update_fields", skip_triggers=True)
    subs_task = run(world, "subscribe_from_fields", skip_triggers=True)

    quiet = revert(world, fields_task)
    assert quiet.trigger_events == 0
    loud = revert(world, subs_task, triggers=True)

    with store.begin() as conn:
        events = conn.execute(
            select(m.Trigger.name, func.count())
            .join(m.TriggerEvent, m.TriggerEvent.trigger_id == m.Trigger.id)
            .where(m.TriggerEvent.task_id == loud.task_id)
            .group_by(m.Trigger.name)
        ).all()
    subs_job = get_task(store, subs_task)
    with store.begin() as conn:
        status_changes_back = conn.execute(
            select(func.count())
            .select_from(m.JournalSubscription)
            .where(
                m.JournalSubscription.task_id == subs_task, m.JournalSubscription.created.is_(False)
            )
        ).scalar_one()
    assert dict(events) == {"newsletter": status_changes_back}
    assert 0 < status_changes_back < subs_job.changed  # created ones are removed: no trigger
    assert loud.trigger_events == status_changes_back


def test_field_triggers_of_a_revert_follow_the_fields_that_change_back(world: World) -> None:
    store = world.store
    with store.begin() as conn:
        add_trigger(conn, "field_updated", "any field")
        add_trigger(conn, "field_updated", "score", field_id=world.fields["score"])
        add_trigger(conn, "field_updated", "tags", field_id=world.fields["tags"])
    task_id = run(world, "update_fields", skip_triggers=True)
    changed = get_task(store, task_id).changed

    summary = revert(world, task_id, triggers=True)

    with store.begin() as conn:
        events = dict(
            conn.execute(
                select(m.Trigger.name, func.count())
                .join(m.TriggerEvent, m.TriggerEvent.trigger_id == m.Trigger.id)
                .where(m.TriggerEvent.task_id == summary.task_id)
                .group_by(m.Trigger.name)
            ).all()
        )
    # every Berlin profile changes back (nickname ...): "any field" for each; the
    # score only where it was set; every profile loses the tag "bulk"
    assert events["any field"] == changed
    assert events["tags"] == changed
    assert 0 < events["score"] <= changed


def test_old_journals_are_purged_and_their_tasks_say_so(world: World) -> None:
    store = world.store
    task_id = run(world, "delete_profiles")
    young = run(world, "global_unsubscribe")
    with store.begin() as conn:
        conn.execute(
            update(m.Task)
            .where(m.Task.id == task_id)
            .values(finished_at=m.utcnow() - dt.timedelta(days=31))
        )
    assert "no longer" in (plan_revert_problem(world, task_id) or "")

    assert journal.purge_expired(store, 30) == [task_id]
    assert journal.purge_expired(store, 30) == []

    for model in m.JOURNAL_TABLES:
        assert count_rows(store, model, task_id) == 0
    assert count_rows(store, m.JournalValue, young) > 0
    assert plan_revert_problem(world, task_id) == (
        f"task {task_id} can no longer be reverted: its journal was purged after 30 days"
    )
    assert get_task(store, task_id).journal_purged_at is not None


def test_the_purge_waits_for_a_revert_that_is_running(world: World) -> None:
    store = world.store
    task_id = run(world, "global_unsubscribe")
    revert_id = prepare_revert(store, task_id, settings=SMALL_BATCHES)
    with store.begin() as conn:
        conn.execute(
            update(m.Task)
            .where(m.Task.id == task_id)
            .values(finished_at=m.utcnow() - dt.timedelta(days=31))
        )
        conn.execute(update(m.Task).where(m.Task.id == revert_id).values(status="running"))
    assert journal.purge_expired(store, 30) == []
    with store.begin() as conn:
        conn.execute(update(m.Task).where(m.Task.id == revert_id).values(status="cancelled"))
    assert journal.purge_expired(store, 30) == [task_id]
    with pytest.raises(TaskError, match=f"the journal of task {task_id} is gone"):
        run_revert_task(store, revert_id, JobState(), settings=SMALL_BATCHES)


def test_archive_days_comes_from_the_settings_file(tmp_path: Any) -> None:
    path = tmp_path / "settings.json"
    assert Settings.load(path).archive_days == 30
    path.write_text('{"archive_days": 7}', encoding="utf-8")
    assert Settings.load(path).archive_days == 7
    Settings.load(path).save(path)
    assert Settings.load(path).archive_days == 7
    for wrong in ("0", "3651", "true", '"30"'):
        path.write_text(f'{{"archive_days": {wrong}}}', encoding="utf-8")
        with pytest.raises(ConfigError, match="'archive_days' must be a whole number from 1"):
            Settings.load(path)


def test_a_task_run_without_a_journal_cannot_be_reverted(world: World) -> None:
    summary = run_job_e2e(
        world, JOBS["global_unsubscribe"], settings=Settings(batch_size=2, journal=False)
    )
    assert summary.changed > 0
    assert count_rows(world.store, m.JournalValue, summary.task_id) == 0
    assert plan_revert_problem(world, summary.task_id) == (
        f"task {summary.task_id} cannot be reverted: it kept no journal "
        "(it ran before tasks kept one)"
    )


def test_the_plan_says_what_is_restored(world: World) -> None:
    task_id = run(world, "update_fields")
    plan = plan_revert(world.store, task_id, SMALL_BATCHES)
    text = "\n".join(plan.lines())
    assert f"Revert task {task_id} (Update profile fields on 'Customers')" in text
    assert "the values before the task of: Phones, Nickname, Score, Rate" in text
    assert "Tags" in text and "conflicts" in text


def _profile(store: Store, pid: int) -> tuple[Any, ...]:
    with store.begin() as conn:
        row = conn.execute(select(store.profiles).where(store.profiles.c.id == pid)).one()
        items = conn.execute(
            select(m.ProfileListValue.field_id, m.ProfileListValue.value)
            .where(m.ProfileListValue.profile_id == pid)
            .order_by(m.ProfileListValue.field_id, m.ProfileListValue.value)
        ).all()
    return (tuple(row), tuple(items))


def test_a_revert_reports_while_it_freezes(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A revert freezes the changed profiles of its task the way a job freezes
    its selection (``jobs.run_claimed``): "0 of 0" every tick meanwhile."""
    import time

    from bulkprofiles_gui.core import jobs

    task_id = run(world, "update_fields")
    real_freeze = revert_module._freeze

    def slow_freeze(store: Store, run_: Any) -> None:
        time.sleep(0.35)
        real_freeze(store, run_)

    monkeypatch.setattr(revert_module, "_freeze", slow_freeze)
    monkeypatch.setattr(jobs, "TICK_SECONDS", 0.1)
    reports: list[Progress] = []
    summary = revert_task(
        world.store, task_id, JobState(on_progress=reports.append), settings=SMALL_BATCHES
    )
    assert summary.status == "completed", summary.error
    ticks = [p for p in reports if p.total == 0]
    assert len(ticks) >= 2 and all(p.done == 0 for p in ticks)
    assert (reports[-1].done, reports[-1].total) == (summary.selected, summary.selected)
