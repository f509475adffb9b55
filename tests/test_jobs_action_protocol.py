"""What the runner takes from an action's module (``actions/base.py``'s
``Action``): ``SKIPS_GONE``, declared by every action, and the outcome counts
``apply_batch`` returns, or None for "count ``task_profiles`` for me".

The fallback runs a small action of the test's own, registered for the test
only, through the real runner on a real store (both backends)."""

from __future__ import annotations

from typing import Any

import pytest
from action_helpers import World, add_profile, make_world
from sqlalchemy import Connection, delete, func, select

from bulkprofiles_gui.core import jobs
from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.actions import ACTIONS, ORDER
from bulkprofiles_gui.core.actions.base import (
    CHANGED,
    Action,
    ActionContext,
    Batch,
    check_keys,
    mark_outcome,
)
from bulkprofiles_gui.core.config import Settings
from bulkprofiles_gui.core.jobfile import Job
from bulkprofiles_gui.core.jobs import freeze_profile_ids, prepare_task, run_task
from bulkprofiles_gui.core.outcomes import TaskSummary
from bulkprofiles_gui.core.progress import JobState
from bulkprofiles_gui.core.store import Store

NICKNAME_KIM = {
    "type": "update_fields",
    "changes": [{"field": "nickname", "op": "set", "value": "Kim"}],
}


class _LeavesCountingToTheRunner:
    """An action that skips the profiles without an email (``no_contact``),
    changes nothing else, and returns no counts from ``apply_batch``."""

    TYPE = "test_leaves_counting"
    LABEL = "Leave the counting to the runner"
    DESCRIPTION = "A test's action whose batches return no outcome counts."
    REQUIRES_CONDITIONS = False
    DESTRUCTIVE = False
    SKIPS_GONE = False

    def __init__(self) -> None:
        self.returned: list[Any] = []

    def parse(self, conn: Connection, ctx: ActionContext, raw: dict[str, Any]) -> None:
        check_keys(raw, set())

    def apply_batch(
        self, conn: Connection, ctx: ActionContext, params: Any, batch: Batch
    ) -> dict[str, int] | None:
        p = ctx.store.profiles
        mark_outcome(conn, batch, "no_contact", select(p.c.id).where(p.c.email.is_(None)))
        mark_outcome(conn, batch, CHANGED)
        self.returned.append(None)
        return None

    def describe(self, params: Any) -> str:
        return self.LABEL


@pytest.fixture
def world(store: Store) -> World:
    return make_world(store)


@pytest.fixture
def action(monkeypatch: pytest.MonkeyPatch) -> _LeavesCountingToTheRunner:
    """The test's action, known to the runner by its TYPE for this test only."""
    made = _LeavesCountingToTheRunner()
    checked: Action = made  # mypy: it has the shape of an action
    monkeypatch.setitem(ACTIONS, made.TYPE, checked)
    return made


def _profiles(world: World, emails: list[str | None]) -> list[int]:
    with world.store.begin() as conn:
        return [add_profile(conn, world, email=email) for email in emails]


def _run(
    world: World, action: dict[str, Any], ids: list[int], gone: tuple[int, ...] = ()
) -> TaskSummary:
    """Freeze ``ids``, delete ``gone``, run the task in batches of 2."""
    store = world.store
    job = Job.from_dict({"database": "Customers", "action": action}, require_action=True)
    task_id = prepare_task(store, job, operator="tester")
    freeze_profile_ids(store, task_id, ids)
    with store.begin() as conn:
        conn.execute(delete(store.profiles).where(store.profiles.c.id.in_(gone)))
    summary = run_task(store, task_id, JobState(), settings=Settings(batch_size=2))
    assert summary.status == "completed", summary.error
    return summary


def _stored_counters(store: Store, task_id: int) -> tuple[int, dict[str, int]]:
    with store.begin() as conn:
        row = conn.execute(select(m.Task.changed, m.Task.skipped).where(m.Task.id == task_id)).one()
    return int(row.changed), {str(k): int(v) for k, v in (row.skipped or {}).items()}


def _rows_by_outcome(store: Store, task_id: int) -> dict[str, int]:
    tp = m.TaskProfile
    with store.begin() as conn:
        rows = conn.execute(
            select(tp.outcome, func.count()).where(tp.task_id == task_id).group_by(tp.outcome)
        ).all()
    return {str(outcome): int(n) for outcome, n in rows}


def test_every_action_declares_skips_gone_as_a_bool() -> None:
    """Each action module says itself whether its fill marks gone profiles
    (nothing inherited or defaulted: the runner reads it directly)."""
    for action in ORDER:
        declared = vars(action).get("SKIPS_GONE")
        assert type(declared) is bool, f"{action.TYPE}: SKIPS_GONE is {declared!r}"


def test_runner_counts_task_profiles_when_the_action_returns_none(
    world: World, action: _LeavesCountingToTheRunner
) -> None:
    ids = _profiles(world, ["a@example.com", None, "c@example.com", None, "e@example.com"])

    summary = _run(world, {"type": action.TYPE}, ids)

    assert action.returned == [None, None, None]  # batches of 2, 2 and 1
    assert summary.changed == 3
    assert summary.skipped == {"no_contact": 2}
    assert _stored_counters(world.store, summary.task_id) == (3, {"no_contact": 2})
    assert _rows_by_outcome(world.store, summary.task_id) == {"changed": 3, "no_contact": 2}


def test_runner_marks_gone_profiles_for_an_action_without_skips_gone(
    world: World, action: _LeavesCountingToTheRunner
) -> None:
    """SKIPS_GONE False: the runner gives a profile deleted since the freeze
    ``profile_gone`` before the action's batch, and counts it."""
    ids = _profiles(world, ["a@example.com", None, "c@example.com", "d@example.com"])

    summary = _run(world, {"type": action.TYPE}, ids, gone=(ids[2],))

    assert summary.changed == 2
    assert summary.skipped == {"no_contact": 1, "profile_gone": 1}
    assert _rows_by_outcome(world.store, summary.task_id) == {
        "changed": 2,
        "no_contact": 1,
        "profile_gone": 1,
    }


def test_a_work_table_action_returns_its_counts_and_the_runner_takes_them(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """update_fields counts each batch in its work table and returns the
    counts: the runner reads no ``task_profiles`` GROUP BY of its own, and
    its counters are what the rows say."""
    counted: list[Batch] = []
    real = jobs._outcome_counts

    def counting(conn: Connection, batch: Batch) -> dict[str, int]:
        counted.append(batch)
        return real(conn, batch)

    monkeypatch.setattr(jobs, "_outcome_counts", counting)
    with world.store.begin() as conn:
        kim = add_profile(conn, world, email="kim@example.com", nickname="Kim")
    ids = [*_profiles(world, ["a@example.com", "b@example.com", "c@example.com"]), kim]

    summary = _run(world, NICKNAME_KIM, ids)

    assert counted == []
    assert summary.changed == 3
    assert summary.skipped == {"unchanged": 1}
    assert _stored_counters(world.store, summary.task_id) == (3, {"unchanged": 1})
    assert _rows_by_outcome(world.store, summary.task_id) == {"changed": 3, "unchanged": 1}
