"""``bulkprofiles run`` and ``bulkprofiles tasks``: summaries, confirmation, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jobs_helpers import DB, Recorder, build_world, column_values, data_digest, make_task, settings
from sqlalchemy import func, select

from bulkprofiles_gui.cli import main
from bulkprofiles_gui.commands import run as run_cmd
from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.jobs import run_task
from bulkprofiles_gui.core.store import Store

PARIS = {
    "combinator": "and",
    "not": False,
    "rules": [{"field": "city", "operator": "=", "value": "Paris"}],
}
SET_LYON = {"type": "update_fields", "changes": [{"field": "city", "op": "set", "value": "Lyon"}]}


def write_job(tmp_path: Path, action: dict[str, Any], **top: Any) -> Path:
    path = tmp_path / "job.json"
    path.write_text(json.dumps({"database": DB, "action": action, **top}), encoding="utf-8")
    return path


def task_count(store: Store) -> int:
    with store.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(m.Task)).scalar_one())


def test_run_prints_progress_and_summary(
    sqlite_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_world(sqlite_store, n=12)
    job = write_job(tmp_path, SET_LYON, rules=PARIS)

    code = main(["run", "--db", sqlite_store.url, str(job)])

    out, err = capsys.readouterr()
    assert code == 0
    assert "Task 1 completed" in out
    assert "Selected:        3" in out and "Changed:         3" in out
    assert "Trigger events:  6" in out
    assert "progress: 3/3 profiles (100 %)" in err  # plain lines: stderr is not a terminal
    assert list(column_values(sqlite_store, "city").values()).count("Lyon") == 3


def test_run_json_summary(
    sqlite_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_world(sqlite_store, n=8)
    job = write_job(
        tmp_path,
        {"type": "update_fields", "changes": [{"field": "city", "op": "set", "value": "Berlin"}]},
    )
    assert main(["run", "--db", sqlite_store.url, "--json", str(job)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["status"], data["selected"], data["changed"]) == ("completed", 8, 6)
    assert data["skipped"] == {"unchanged": 2} and data["dry_run"] is False


def test_dry_run_changes_nothing(
    sqlite_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_world(sqlite_store, n=8)
    digest = data_digest(sqlite_store)
    job = write_job(tmp_path, SET_LYON)
    assert main(["run", "--db", sqlite_store.url, "--dry-run", str(job)]) == 0
    out = capsys.readouterr().out
    assert "(dry run: nothing was changed)" in out and "Would change:    8" in out
    assert data_digest(sqlite_store) == digest


def test_destructive_job_asks_and_a_no_changes_nothing(
    sqlite_store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build_world(sqlite_store, n=12)
    digest = data_digest(sqlite_store)
    job = write_job(tmp_path, {"type": "global_unsubscribe"}, rules=PARIS)
    prompts: list[str] = []
    monkeypatch.setattr(run_cmd, "ask", lambda prompt: prompts.append(prompt) or False)

    assert main(["run", "--db", sqlite_store.url, str(job)]) == 1

    assert prompts == [  # 3 selected, one of them unsubscribed already: 2 would change
        'Set the global status of the selected profiles to "Unsubscribed": 2 profile(s) of '
        "'Test customers' (1 of the 3 selected stay as they are). Only 'bulkprofiles tasks "
        "revert' within 30 days undoes it. Continue? [y/N] "
    ]
    assert "Nothing was changed." in capsys.readouterr().err
    assert data_digest(sqlite_store) == digest and task_count(sqlite_store) == 0

    monkeypatch.setattr(run_cmd, "ask", lambda prompt: True)
    assert main(["run", "--db", sqlite_store.url, str(job)]) == 0
    assert "Changed:         2" in capsys.readouterr().out


def test_destructive_job_without_a_terminal_needs_yes(
    sqlite_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_world(sqlite_store, n=12)
    job = write_job(tmp_path, {"type": "global_unsubscribe"}, rules=PARIS)
    assert main(["run", "--db", sqlite_store.url, str(job)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "bulkprofiles: error: this job deletes or globally unsubscribes profiles and there "
        "is no terminal to ask: confirm it with --yes"
    ]
    assert task_count(sqlite_store) == 0
    assert main(["run", "--db", sqlite_store.url, "--yes", str(job)]) == 0


@pytest.mark.parametrize(
    ("top", "action", "message"),
    [
        ({}, {"type": "global_unsubscribe"}, "job.rules: 'Global unsubscribe' needs at least one"),
        ({}, {"type": "teleport"}, "job.action.type: unknown action 'teleport'"),
        (
            {},
            {"type": "update_fields", "changes": [{"field": "id", "op": "clear"}]},
            "job.action.changes[0].field: 'Profile ID' (id) cannot be changed",
        ),
        ({"colour": 1}, SET_LYON, "job.colour: unknown key"),
        (
            {
                "rules": {
                    "combinator": "and",
                    "rules": [{"field": "nope", "operator": "=", "value": 1}],
                }
            },
            SET_LYON,
            "rules[0]",
        ),
    ],
)
def test_wrong_jobs_are_one_line_errors_and_write_nothing(
    sqlite_store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    top: dict[str, Any],
    action: dict[str, Any],
    message: str,
) -> None:
    build_world(sqlite_store, n=4)
    digest = data_digest(sqlite_store)
    job = write_job(tmp_path, action, **top)
    assert main(["run", "--db", sqlite_store.url, "--yes", str(job)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("bulkprofiles: error:") and message in err[0]
    assert task_count(sqlite_store) == 0 and data_digest(sqlite_store) == digest


def test_tasks_list_show_export_and_resume(
    sqlite_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = build_world(sqlite_store, n=12)
    task_id = make_task(sqlite_store, SET_LYON, world.profile_ids)
    run_task(sqlite_store, task_id, Recorder(cancel_after=2).state, settings=settings(5))
    url = sqlite_store.url

    assert main(["tasks", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "cancelled" in out and "Update profile fields" in out

    assert main(["tasks", "--db", url, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(t["id"], t["status"], t["changed"]) for t in listed] == [(task_id, "cancelled", 5)]

    assert main(["tasks", "--db", url, "show", str(task_id)]) == 0
    out = capsys.readouterr().out
    assert f"bulkprofiles tasks resume {task_id}" in out and "Processed:       5" in out

    csv_path = tmp_path / "out.csv"
    assert main(["tasks", "--db", url, "export", str(task_id), "--csv", str(csv_path)]) == 0
    assert len(csv_path.read_text().splitlines()) == 13
    assert "Wrote 12 profile(s)" in capsys.readouterr().out

    assert main(["tasks", "--db", url, "resume", str(task_id), "--json"]) == 0
    resumed = json.loads(capsys.readouterr().out)
    assert (resumed["status"], resumed["changed"]) == ("completed", 12)

    assert main(["tasks", "--db", url, "resume", str(task_id)]) == 2
    assert "it is completed" in capsys.readouterr().err
    assert main(["tasks", "--db", url, "show", "99"]) == 2
    assert capsys.readouterr().err.strip() == "bulkprofiles: error: no task with id 99"
    assert main(["tasks", "--db", url, "resume"]) == 2


def test_run_in_a_real_process_on_the_demo_store(tmp_path: Path) -> None:
    """`python -m bulkprofiles_gui run` end to end, with plain progress lines."""
    from bulkprofiles_gui.core.demo import generate_demo
    from bulkprofiles_gui.core.store import open_store

    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    store = open_store(url, create=True)
    generate_demo(store, profiles=300, seed=3)
    store.close()
    job = tmp_path / "job.json"
    job.write_text(
        json.dumps(
            {
                "database": "Demo customers",
                "rules": {
                    "combinator": "and",
                    "rules": [{"field": "city", "operator": "notNull", "value": None}],
                },
                "action": {
                    "type": "update_fields",
                    "changes": [
                        {"field": "bonus_points", "op": "increment", "value": 10},
                        {"field": "tags", "op": "add", "value": ["cli"]},
                    ],
                },
            }
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "bulkprofiles_gui", "run", "--db", url, "--json", str(job)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["status"] == "completed" and data["changed"] == data["selected"] > 0
    assert "progress:" in done.stderr and "Traceback" not in done.stderr


def test_progress_bar_on_a_terminal_and_plain_lines_otherwise() -> None:
    import io

    from bulkprofiles_gui.core.progress import Progress

    tty = io.StringIO()
    bar = run_cmd.ProgressPrinter(tty, tty=True)
    bar(Progress(done=50, total=200, changed=50, skipped=0, elapsed=1.0))
    bar(Progress(done=200, total=200, changed=200, skipped=0, elapsed=4.0))
    bar.close()
    first = "[#######.......................] 50/200 profiles (25 %), 50/s, 3 s left"
    second = "[##############################] 200/200 profiles (100 %), 50/s"
    # The shorter line is padded over the longer one before it: no "s left" tail.
    assert tty.getvalue() == f"\r{first}   \r{second.ljust(len(first))}   \n"

    plain = io.StringIO()
    lines = run_cmd.ProgressPrinter(plain, tty=False, interval=3600)
    for done in (0, 10, 20, 30, 30, 30):  # the end repeated while a commit ticks
        lines(Progress(done=done, total=30, changed=done, skipped=0, elapsed=1.0))
    assert plain.getvalue().splitlines() == [
        "progress: 0/30 profiles (0 %), 0/s",
        "progress: 30/30 profiles (100 %), 30/s",
    ]


def test_an_imports_progress_says_its_step_in_rows() -> None:
    """An import's reports name their step: each line says which, in rows; a
    new step prints at once on plain lines and starts a new bar on a
    terminal; a dry run's merge only works the rows out."""
    import io

    from bulkprofiles_gui.core.importer import MERGING, STAGING
    from bulkprofiles_gui.core.progress import Progress

    def report(done: int, total: int, phase: str) -> Progress:
        return Progress(done, total, 0, 0, 1.0, phase)

    plain = io.StringIO()
    lines = run_cmd.ProgressPrinter(plain, tty=False, interval=3600)
    for progress in (
        report(0, 4, STAGING),
        report(2, 4, STAGING),  # within the interval: not printed
        report(4, 4, STAGING),
        report(0, 3, MERGING),  # a new step: printed at once
        report(3, 3, MERGING),
    ):
        lines(progress)
    assert plain.getvalue().splitlines() == [
        "progress: reading and checking the file: 0/4 rows (0 %), 0/s",
        "progress: reading and checking the file: 4/4 rows (100 %), 4/s",
        "progress: importing: 0/3 rows (0 %), 0/s",
        "progress: importing: 3/3 rows (100 %), 3/s",
    ]

    tty = io.StringIO()
    bar = run_cmd.ProgressPrinter(tty, tty=True, dry_run=True)
    bar(report(2, 4, STAGING))
    bar(report(4, 4, STAGING))
    bar(report(3, 3, MERGING))
    bar.close()
    reading = "[###############...............] reading and checking the file: 2/4 rows"
    reading += " (50 %), 2/s, 1 s left"
    read = "[##############################] reading and checking the file: 4/4 rows"
    read += " (100 %), 4/s"
    merged = "[##############################] working out every row: 3/3 rows (100 %), 3/s"
    assert tty.getvalue().split("\n") == [
        f"\r{reading}   \r{read.ljust(len(reading))}   ",  # the finished step keeps its line
        f"\r{merged}   ",
        "",
    ]


def test_first_ctrl_c_cancels_between_batches_the_second_interrupts() -> None:
    """...and the handler the process had before (default, or ignored when
    started in the background) is put back afterwards."""
    import io
    import signal as sig

    from bulkprofiles_gui.core.progress import JobState

    before = sig.getsignal(sig.SIGINT)
    state = JobState()
    err = io.StringIO()
    with run_cmd.ctrl_c_cancels(state, err):
        os.kill(os.getpid(), sig.SIGINT)
        assert state.is_cancelled()
        assert "cancelling after the current batch" in err.getvalue()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), sig.SIGINT)
    assert sig.getsignal(sig.SIGINT) is before
