"""Before a job starts (core/preflight.py, ``run``): nothing to do is not a run,
destructive jobs are confirmed with what they would really change, a second
job on a busy database is asked for, and reading goes on while a job runs."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import DEMO_DATABASE
from jobs_helpers import DB, build_world, data_digest
from jobs_helpers import settings as job_settings
from sqlalchemy import func, insert, select, update

from bulkprofiles_gui.cli import main
from bulkprofiles_gui.commands import run as run_cmd
from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.actions import ACTIONS
from bulkprofiles_gui.core.config import Settings
from bulkprofiles_gui.core.jobfile import Job
from bulkprofiles_gui.core.jobs import plan_job, run_job
from bulkprofiles_gui.core.preflight import preflight, running_tasks
from bulkprofiles_gui.core.progress import JobState
from bulkprofiles_gui.core.selection import SelectionSpec, count
from bulkprofiles_gui.core.store import Store
from bulkprofiles_gui.core.tasks import list_tasks

BERLIN = {"combinator": "and", "rules": [{"field": "city", "operator": "=", "value": "Berlin"}]}
NOWHERE = {"combinator": "and", "rules": [{"field": "city", "operator": "=", "value": "Nowhere"}]}
UNSUBSCRIBED = {
    "combinator": "and",
    "rules": [{"field": "$status", "operator": "=", "value": "unsubscribed"}],
}
SET_LYON = {"type": "update_fields", "changes": [{"field": "city", "op": "set", "value": "Lyon"}]}


def task_count(store: Store) -> int:
    with store.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(m.Task)).scalar_one())


def write_job(tmp_path: Path, action: dict[str, Any], rules: dict[str, Any], **top: Any) -> Path:
    path = tmp_path / "job.json"
    doc = {"database": DB, "rules": rules, "action": action, **top}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


# -- the effective count is what the run changes -------------------------------------------
DEMO_RULES = {
    "combinator": "or",
    "rules": [
        {"field": "$status", "operator": "in", "value": ["subscribed", "unsubscribed"]},
        {"field": "city", "operator": "notNull"},
    ],
}


@pytest.mark.parametrize("action_type", ["delete_profiles", "global_unsubscribe"])
def test_effective_count_is_what_the_run_changes(demo_store: Store, action_type: str) -> None:
    """Counted set-based before the run, with the action's own skip rules: the
    number the confirmation shows is the number the run then deletes/unsubscribes."""
    job = Job.from_dict(
        {
            "database": DEMO_DATABASE,
            "rules": DEMO_RULES,
            "limit": 300,
            "action": {"type": action_type},
        }
    )
    settings = Settings()
    with demo_store.begin() as conn:
        check = preflight(demo_store, conn, plan_job(demo_store, conn, job, settings), settings)
    assert 0 < check.effective < check.selected  # some are skipped: the count is not trivial

    summary = run_job(demo_store, job, JobState(), settings=job_settings(batch_size=64))

    assert summary.status == "completed"
    assert (summary.selected, summary.changed) == (check.selected, check.effective)
    assert check.running == ()


# -- nothing to do -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("action", "rules", "words"),
    [
        (SET_LYON, NOWHERE, "the selection holds no profile of 'Test customers'"),
        (
            {"type": "global_unsubscribe"},
            UNSUBSCRIBED,
            "none of the 3 selected profiles of 'Test customers' would change: "
            "all are globally unsubscribed already",
        ),
        (
            {"type": "delete_profiles"},
            BERLIN,
            "none of the 3 selected profiles of 'Test customers' would be deleted: "
            "all had an interaction since",
        ),
    ],
    ids=["empty-selection", "all-unsubscribed", "all-recently-active"],
)
@pytest.mark.parametrize("dry_run", [False, True], ids=["run", "dry-run"])
def test_nothing_to_do_is_one_line_exit_0_and_no_task(
    sqlite_store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    action: dict[str, Any],
    rules: dict[str, Any],
    words: str,
    dry_run: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build_world(sqlite_store, n=12)  # every 5th profile unsubscribed; all created just now
    digest = data_digest(sqlite_store)
    path = write_job(tmp_path, action, rules)
    asked: list[str] = []
    monkeypatch.setattr(run_cmd, "ask", lambda prompt: asked.append(prompt) or True)
    args = ["run", "--db", sqlite_store.url, str(path)] + (["--dry-run"] if dry_run else [])

    code = main(args)

    out, err = capsys.readouterr()
    assert code == 0
    assert len(out.splitlines()) == 1 and out.startswith("Nothing to do: ")
    assert words in out and out.strip().endswith("; no task was recorded.")
    assert err == "" and asked == []  # no question for nothing
    assert task_count(sqlite_store) == 0 and data_digest(sqlite_store) == digest


def test_nothing_to_do_as_json(
    sqlite_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_world(sqlite_store, n=12)
    path = write_job(tmp_path, {"type": "global_unsubscribe"}, UNSUBSCRIBED)
    assert main(["run", "--db", sqlite_store.url, "--json", "--yes", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "nothing_to_do" and data["task_id"] is None
    assert (data["selected"], data["would_change"]) == (3, 0)
    assert task_count(sqlite_store) == 0


def test_destructive_confirmation_names_what_would_really_be_deleted(
    sqlite_store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = build_world(sqlite_store, n=12)
    berlin = world.profile_ids[0::4]  # the Berlin profiles
    long_ago = dt.datetime(2020, 1, 1)
    p = sqlite_store.profiles
    with sqlite_store.begin() as conn:  # two of the three Berlin profiles are long inactive
        conn.execute(update(p).where(p.c.id.in_(berlin[:2])).values(created_at=long_ago))
    prompts: list[str] = []
    monkeypatch.setattr(run_cmd, "ask", lambda prompt: prompts.append(prompt) or False)
    path = write_job(tmp_path, {"type": "delete_profiles"}, BERLIN)

    assert main(["run", "--db", sqlite_store.url, str(path)]) == 1

    assert len(prompts) == 1
    assert (
        ": 2 profile(s) of 'Test customers' (1 of the 3 selected stay as they are)." in (prompts[0])
    )
    assert "Nothing was changed." in capsys.readouterr().err
    assert task_count(sqlite_store) == 0


# -- a second job on a busy database -------------------------------------------------------
def fake_running_task(store: Store, *, heartbeat: dt.datetime | None = None) -> int:
    """A task another machine runs on the database now (its heartbeat is fresh)."""
    now = m.utcnow()
    with store.begin() as conn:
        db_id = store.database_id(conn, DB)
        return int(
            conn.execute(
                insert(m.Task)
                .values(
                    action_type="update_fields",
                    database_id=db_id,
                    database_name=DB,
                    job={"database": DB, "action": SET_LYON},
                    operator="alice",
                    status="running",
                    runner="elsewhere:4242",
                    heartbeat_at=heartbeat or now,
                    created_at=now,
                    started_at=dt.datetime(2026, 5, 14, 9, 30),
                    skipped={},
                )
                .returning(m.Task.id)
            ).scalar_one()
        )


RUNNING_WORDS = (
    "profile database 'Test customers': task {id} (Update profile fields) by alice "
    "has been running on it since 2026-05-14 09:30 UTC"
)


def test_second_job_without_a_terminal_is_refused_unless_yes(
    sqlite_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_world(sqlite_store, n=12)
    other = fake_running_task(sqlite_store)
    digest = data_digest(sqlite_store)
    path = write_job(tmp_path, SET_LYON, BERLIN)

    assert main(["run", "--db", sqlite_store.url, str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "bulkprofiles: error: "
        + RUNNING_WORDS.format(id=other)
        + "; to start another job on it, add --yes"
    ]
    assert task_count(sqlite_store) == 1 and data_digest(sqlite_store) == digest

    assert main(["run", "--db", sqlite_store.url, "--yes", str(path)]) == 0
    out, err = capsys.readouterr()
    assert f"bulkprofiles: note: {RUNNING_WORDS.format(id=other)}" in err
    assert "completed" in out and task_count(sqlite_store) == 2


def test_second_job_on_a_terminal_asks_first(
    sqlite_store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build_world(sqlite_store, n=12)
    other = fake_running_task(sqlite_store)
    prompts: list[str] = []
    monkeypatch.setattr(run_cmd, "has_terminal", lambda: True)
    monkeypatch.setattr(run_cmd, "ask", lambda prompt: prompts.append(prompt) or False)
    path = write_job(tmp_path, SET_LYON, BERLIN)

    assert main(["run", "--db", sqlite_store.url, str(path)]) == 1

    assert prompts == [f"{RUNNING_WORDS.format(id=other)}. Start another job on it now? [y/N] "]
    assert "Nothing was changed." in capsys.readouterr().err
    assert task_count(sqlite_store) == 1


def test_a_dead_run_is_not_a_second_job(
    sqlite_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A task whose heartbeat is old is interrupted (mark_interrupted), not running."""
    build_world(sqlite_store, n=12)
    fake_running_task(sqlite_store, heartbeat=m.utcnow() - dt.timedelta(hours=1))
    path = write_job(tmp_path, SET_LYON, BERLIN)
    assert main(["run", "--db", sqlite_store.url, str(path)]) == 0
    assert "note:" not in capsys.readouterr().err


# -- reading while a job runs --------------------------------------------------------------
def test_counts_and_tasks_work_while_a_batch_is_being_written(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job stopped inside a batch's write transaction: counting, the task list
    and the running-task check answer at once on both backends (SQLite's WAL,
    PostgreSQL's MVCC), and see the data as it was before the batch."""
    build_world(store, n=40)
    module = ACTIONS["update_fields"]
    original = module.apply_batch
    inside, release = threading.Event(), threading.Event()

    def held(conn: Any, ctx: Any, params: Any, batch: Any) -> None:
        original(conn, ctx, params, batch)  # the batch's writes are done, not committed
        inside.set()
        release.wait(timeout=60)

    monkeypatch.setattr(module, "apply_batch", held)
    job = Job.from_dict({"database": DB, "action": SET_LYON})
    result: list[Any] = []
    worker = threading.Thread(
        target=lambda: result.append(run_job(store, job, JobState(), settings=job_settings(10)))
    )
    worker.start()
    try:
        assert inside.wait(timeout=60)
        started = time.monotonic()
        with store.begin() as conn:
            db_id = store.database_id(conn, DB)
            lyon = {
                "combinator": "and",
                "rules": [{"field": "city", "operator": "=", "value": "Lyon"}],
            }
            assert count(store, conn, SelectionSpec(db_id, lyon)) == 0  # not committed yet
            assert count(store, conn, SelectionSpec(db_id)) == 40
        tasks = list_tasks(store)
        running = running_tasks(store, db_id)
        assert time.monotonic() - started < 5
    finally:
        release.set()
        worker.join(timeout=120)
    assert [t.status for t in tasks] == ["running"]
    assert [t.id for t in running] == [tasks[0].id]
    assert result and result[0].status == "completed" and result[0].changed == 40
