"""``bulkprofiles tasks revert ID [--dry-run] [--yes] [--triggers] [--json]`` on
both backends: the summary, the confirmation, refusals in one line, the
revert's outcomes exported with its conflicts, old journals purged when the
command line opens the store."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from action_helpers import World, run_job_e2e
from revert_helpers import build_world, count_rows, store_state
from sqlalchemy import func, select, update

from bulkprofiles_gui.cli import main
from bulkprofiles_gui.commands import tasks as tasks_cmd
from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.config import Settings
from bulkprofiles_gui.core.revert import RevertPlan
from bulkprofiles_gui.core.store import Store

UNSUBSCRIBE = {"type": "global_unsubscribe"}
NICKNAME = {"type": "update_fields", "changes": [{"field": "nickname", "op": "set", "value": "N"}]}


@pytest.fixture
def world(store: Store) -> World:
    return build_world(store)


def run(world: World, action: dict[str, object] = UNSUBSCRIBE) -> int:
    summary = run_job_e2e(world, action, settings=Settings(batch_size=2))
    assert summary.status == "completed" and summary.changed > 0
    return summary.task_id


def tasks_count(store: Store) -> int:
    with store.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(m.Task)).scalar_one())


def test_revert_with_yes_restores_and_prints_the_summary(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    before = store_state(world.store)
    task_id = run(world)
    capsys.readouterr()

    code = main(["tasks", "revert", str(task_id), "--yes", "--db", world.store.url])

    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"Task {task_id + 1} completed" in out
    assert "Action:          Revert of task 1" in out
    assert "Restored:        7" in out and "Skipped:         0" in out
    assert "progress: 7/7 profiles (100 %)" in err
    assert store_state(world.store) == before


def test_dry_run_says_what_would_be_restored_and_changes_nothing(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    task_id = run(world)
    after_job = store_state(world.store)

    code = main(["tasks", "revert", str(task_id), "--dry-run", "--db", world.store.url])

    out = capsys.readouterr().out
    assert code == 0
    assert "(dry run: nothing was changed)" in out and "Would restore:   7" in out
    assert store_state(world.store) == after_job


def test_json_names_the_reverted_task_and_counts_conflicts(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    task_id = run(world, NICKNAME)
    nickname = world.store.profiles.c[f"cf_{world.fields['nickname']}"]
    with world.store.begin() as conn:  # changed since: one profile
        conn.execute(
            update(world.store.profiles)
            .where(world.store.profiles.c.id == 1)
            .values({nickname: "Z"})
        )
    capsys.readouterr()

    code = main(["tasks", "revert", str(task_id), "--yes", "--json", "--db", world.store.url])

    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (data["reverts"], data["status"], data["selected"]) == (task_id, "completed", 8)
    assert (data["changed"], data["skipped"]) == (7, {"conflict": 1})


def test_without_a_terminal_it_needs_yes_and_changes_nothing(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    task_id = run(world)
    after_job, tasks = store_state(world.store), tasks_count(world.store)
    capsys.readouterr()

    code = main(["tasks", "revert", str(task_id), "--db", world.store.url])

    err = capsys.readouterr().err
    assert code == 2
    assert err == (
        f"bulkprofiles: error: reverting task {task_id} changes 7 profile(s): confirm it with "
        "--yes (or see first with --dry-run)\n"
    )
    assert (store_state(world.store), tasks_count(world.store)) == (after_job, tasks)


def test_the_question_says_what_is_restored_and_no_keeps_everything(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    task_id = run(world, NICKNAME)
    after_job, tasks = store_state(world.store), tasks_count(world.store)
    asked: list[list[str]] = []

    def answer_no(plan: RevertPlan) -> bool:
        asked.append(plan.lines())
        return False

    monkeypatch.setattr(tasks_cmd, "ask_revert", answer_no)
    code = main(["tasks", "revert", str(task_id), "--db", world.store.url])

    assert code == 1
    assert "Nothing was changed." in capsys.readouterr().err
    assert asked[0][0] == (
        f"Revert task {task_id} (Update profile fields on 'Customers'): 8 profile(s) get back "
        "what they had before it:"
    )
    assert "- the values before the task of: Nickname" in asked[0]
    assert (store_state(world.store), tasks_count(world.store)) == (after_job, tasks)


def test_a_second_revert_is_refused_in_one_line(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    task_id = run(world)
    assert main(["tasks", "revert", str(task_id), "--yes", "--db", world.store.url]) == 0
    capsys.readouterr()

    code = main(["tasks", "revert", str(task_id), "--yes", "--db", world.store.url])

    assert code == 2
    assert capsys.readouterr().err == (
        f"bulkprofiles: error: task {task_id} cannot be reverted again: "
        f"task {task_id + 1} reverts it\n"
    )


def test_show_tells_how_to_revert_and_what_reverted_what(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    task_id = run(world)
    url = world.store.url
    capsys.readouterr()
    main(["tasks", "show", str(task_id), "--db", url])
    assert f"Revert with:     bulkprofiles tasks revert {task_id}" in capsys.readouterr().out
    main(["tasks", "revert", str(task_id), "--yes", "--db", url])
    capsys.readouterr()

    main(["tasks", "show", str(task_id), "--db", url])
    assert f"Reverted by:     task {task_id + 1} (completed)" in capsys.readouterr().out
    main(["tasks", "show", str(task_id + 1), "--db", url])
    assert f"Reverts:         task {task_id}" in capsys.readouterr().out


def test_the_conflicts_export_with_the_revert_outcomes(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    task_id = run(world, NICKNAME)
    nickname = world.store.profiles.c[f"cf_{world.fields['nickname']}"]
    with world.store.begin() as conn:
        conn.execute(
            update(world.store.profiles)
            .where(world.store.profiles.c.id == 2)
            .values({nickname: "Z"})
        )
    url = world.store.url
    assert main(["tasks", "revert", str(task_id), "--yes", "--db", url]) == 0
    out_csv = tmp_path / "revert.csv"

    assert main(["tasks", "export", str(task_id + 1), "--csv", str(out_csv), "--db", url]) == 0

    with out_csv.open(encoding="utf-8") as fh:
        rows = {int(r["profile_id"]): r for r in csv.DictReader(fh)}
    assert len(rows) == 8
    assert (rows[2]["outcome"], rows[2]["reason"]) == ("skipped", "conflict")
    assert rows[2]["reason_text"] == "changed since the task: left as it is"
    assert {r["outcome"] for pid, r in rows.items() if pid != 2} == {"restored"}


def test_opening_the_store_purges_old_journals(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    task_id = run(world)
    with world.store.begin() as conn:
        conn.execute(
            update(m.Task)
            .where(m.Task.id == task_id)
            .values(finished_at=m.utcnow() - dt.timedelta(days=40))
        )
    assert count_rows(world.store, m.JournalValue, task_id) == 7

    assert main(["tasks", "list", "--db", world.store.url]) == 0
    assert count_rows(world.store, m.JournalValue, task_id) == 0
    capsys.readouterr()

    code = main(["tasks", "revert", str(task_id), "--yes", "--db", world.store.url])

    assert code == 2
    assert capsys.readouterr().err == (
        f"bulkprofiles: error: task {task_id} can no longer be reverted: its journal was "
        "purged after 30 days\n"
    )
