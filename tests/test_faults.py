"""Failures of the store end cleanly: one line, a resumable task, the
traceback in the log (SQLite; the server's faults are in
``test_pg_server_faults.py``).

- A read-only store: ``run``, ``run --dry-run``, ``demo`` and ``import`` in
  real processes print one error line (no traceback), exit 2, and change
  nothing.
- A full disk and a lock held past the timeout in the middle of a job: the
  job raises a StoreFault naming the task, the task is ``interrupted`` at its
  last committed batch, and once the fault is gone the resume ends as a
  straight run would.
- Anything unexpected on the command line: one line naming the log, exit 1.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from action_helpers import table_digest
from fault_helpers import bulkprofiles, error_lines, read_only_sqlite
from jobs_helpers import (
    INCREMENT_AND_TAG,
    LONG_TAG,
    Recorder,
    break_batch,
    build_world,
    column_values,
    make_task,
    settings,
    tags_of,
)
from sqlalchemy import event, select

from bulkprofiles_gui import cli
from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.demo import generate_demo
from bulkprofiles_gui.core.faults import StoreFault, log_path
from bulkprofiles_gui.core.jobs import run_task
from bulkprofiles_gui.core.store import Store, open_store
from bulkprofiles_gui.core.tasks import get_task

DATABASE = "Demo customers"
JOB = {
    "database": DATABASE,
    "rules": {"combinator": "and", "rules": [{"field": "city", "operator": "notNull"}]},
    "action": {
        "type": "update_fields",
        "changes": [{"field": "city", "op": "set", "value": "Oslo"}],
    },
}


@pytest.fixture
def demo_file(tmp_path: Path) -> Path:
    """A closed SQLite store with 300 demo profiles, and a job file beside it."""
    path = tmp_path / "store.sqlite3"
    store = open_store(f"sqlite:///{path}", create=True)
    try:
        generate_demo(store, profiles=300, seed=2, database_name=DATABASE)
    finally:
        store.close()
    (tmp_path / "job.json").write_text(json.dumps(JOB), encoding="utf-8")
    (tmp_path / "people.csv").write_text(
        "email,city\nnew.one@example.org,Oslo\nnew.two@example.org,Bergen\n", encoding="utf-8"
    )
    return path


def _digest(path: Path) -> dict[str, str]:
    store = open_store(f"sqlite:///{path}")
    try:
        digest = table_digest(store)
        with store.begin() as conn:
            digest["tasks"] = repr(conn.execute(select(m.Task.id)).all())
        return digest
    finally:
        store.close()


@pytest.mark.parametrize(
    "command",
    [
        ["run", "{dir}/job.json", "--yes"],
        ["run", "{dir}/job.json", "--dry-run"],
        ["demo", "--profiles", "50", "--name", "More customers"],
        ["import", "{dir}/people.csv", "--database", DATABASE],
    ],
    ids=["run", "run-dry-run", "demo", "import"],
)
def test_a_read_only_store_is_one_line_exit_2_and_unchanged(
    demo_file: Path, command: list[str]
) -> None:
    before = _digest(demo_file)
    argv = [part.replace("{dir}", str(demo_file.parent)) for part in command]

    with read_only_sqlite(demo_file) as url:
        done = bulkprofiles(*argv, "--db", url)

    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    # One line and nothing else (import describes its plan only once its task exists).
    (line,) = error_lines(done.stderr)
    assert done.stderr.strip().splitlines() == [line]
    assert "the store is read-only" in line
    assert f"(details in {log_path()})" in line
    assert "Traceback" in log_path().read_text(encoding="utf-8")
    assert _digest(demo_file) == before


# -- faults in the middle of a job ----------------------------------------------------
N = 300
BATCH = 100


def _assert_interrupted_then_resumed(store: Store, world: Any, task_id: int) -> None:
    """Interrupted after two batches, resumable; the resume ends as a straight
    run: every profile incremented once and tagged once."""
    task = get_task(store, task_id)
    assert (task.status, task.processed, task.changed) == ("interrupted", 2 * BATCH, 2 * BATCH)
    assert task.resumable
    store.engine.dispose()  # the fault is gone: fresh connections
    summary = run_task(store, task_id, Recorder().state, settings=settings(batch_size=BATCH))
    assert (summary.status, summary.processed, summary.changed) == ("completed", N, N)
    bonus = column_values(store, world.columns["bonus_points"])
    assert [bonus[pid] for pid in world.profile_ids] == [i + 100 for i in range(N)]
    tags = tags_of(store, world)
    assert all(tags[pid].count(LONG_TAG) == 1 for pid in world.profile_ids)


def test_a_full_disk_mid_job_leaves_the_task_interrupted_and_resumable(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(sqlite_store, n=N)
    task_id = make_task(sqlite_store, INCREMENT_AND_TAG, world.profile_ids)

    def disk_full(conn: Any) -> None:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
        conn.exec_driver_sql(f"PRAGMA max_page_count={pages}")  # not one page more

    break_batch(monkeypatch, 3, before=disk_full)  # the first two batches commit
    with pytest.raises(StoreFault) as raised:
        run_task(
            sqlite_store,
            task_id,
            Recorder().state,
            settings=settings(batch_size=BATCH, commit_seconds=0),
        )

    assert str(raised.value).startswith(f"task {task_id} interrupted: ")
    assert "the disk of the store is full (database or disk is full)" in str(raised.value)
    assert raised.value.task_id == task_id and raised.value.log == log_path()
    assert "database or disk is full" in log_path().read_text(encoding="utf-8")
    monkeypatch.undo()
    _assert_interrupted_then_resumed(sqlite_store, world, task_id)


def test_a_lock_held_past_the_timeout_leaves_the_task_interrupted(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(sqlite_store, n=N)
    task_id = make_task(sqlite_store, INCREMENT_AND_TAG, world.profile_ids)
    path = sqlite_store.engine.url.database
    assert path is not None
    other = sqlite3.connect(path, isolation_level=None)

    def short_timeout(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA busy_timeout=300")

    event.listen(sqlite_store.engine, "connect", short_timeout)
    sqlite_store.engine.dispose()
    break_batch(monkeypatch, 3, before=lambda _conn: other.execute("BEGIN IMMEDIATE"))
    try:
        with pytest.raises(StoreFault, match="another program kept the store locked too long"):
            run_task(
                sqlite_store,
                task_id,
                Recorder().state,
                settings=settings(batch_size=BATCH, commit_seconds=0),
            )
    finally:
        other.rollback()
        other.close()
    monkeypatch.undo()
    event.remove(sqlite_store.engine, "connect", short_timeout)
    # Recording "interrupted" met the lock too: the listing marks the task (its run is over).
    _assert_interrupted_then_resumed(sqlite_store, world, task_id)


# -- the last resort -------------------------------------------------------------------
def test_an_unexpected_error_is_one_line_naming_the_log_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(_args: Any) -> int:
        raise RuntimeError("the printer is on fire\nsecond line")

    monkeypatch.setattr(cli, "command_function", lambda _target: broken)

    code = cli.main(["info"])

    err = capsys.readouterr().err
    assert code == 1
    assert err.splitlines() == [
        "bulkprofiles: error: unexpected error: RuntimeError: the printer is on fire "
        f"(details in {log_path()})"
    ]
    log = log_path().read_text(encoding="utf-8")
    assert "Traceback" in log and "second line" in log
    assert log_path().stat().st_mode & 0o777 == 0o600


def test_a_file_that_cannot_be_written_is_one_line_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def full(_args: Any) -> int:
        raise OSError(28, "No space left on device", "/media/out.csv")

    monkeypatch.setattr(cli, "command_function", lambda _target: full)

    assert cli.main(["info"]) == 2
    assert error_lines(capsys.readouterr().err) == [
        f"bulkprofiles: error: /media/out.csv: No space left on device (details in {log_path()})"
    ]


# -- a task that cannot be resumed -------------------------------------------------------
def test_a_failed_task_offers_no_resume_and_refuses_one(
    demo_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad input found while running ends the task failed: the summary and
    ``tasks show`` say no "Resume with", and ``tasks resume`` refuses in one line."""
    from bulkprofiles_gui.core.actions import update_fields
    from bulkprofiles_gui.core.actions.base import ActionError

    def refuses(*_args: Any) -> None:
        raise ActionError("job.action.changes[0].value: 'Oslo' is not allowed here any more")

    monkeypatch.setattr(update_fields, "apply_batch", refuses)
    url = f"sqlite:///{demo_file}"
    job = str(demo_file.parent / "job.json")

    assert cli.main(["run", job, "--yes", "--db", url]) == 1
    ran = capsys.readouterr()
    assert cli.main(["tasks", "show", "1", "--db", url]) == 0
    shown = capsys.readouterr().out
    assert cli.main(["tasks", "resume", "1", "--db", url]) == 2
    refused = capsys.readouterr().err

    assert "Task 1 failed" in ran.out and "Resume with" not in ran.out
    assert error_lines(ran.err) == [
        "bulkprofiles: error: task 1 failed: "
        "job.action.changes[0].value: 'Oslo' is not allowed here any more"
    ]
    assert "Task:            1 (failed)" in shown and "Resume with" not in shown
    assert refused.splitlines() == [
        "bulkprofiles: error: task 1 cannot be resumed: it failed "
        "(job.action.changes[0].value: 'Oslo' is not allowed here any more)"
    ]
    assert "Traceback" not in ran.err + refused
