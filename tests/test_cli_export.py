"""``bulkprofiles select --csv OUT --columns`` and ``tasks export ID --csv OUT --columns``
on the demo store (both backends): chosen columns, '-' as standard output, and
one-line errors (exit 2) with nothing written."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from bulkprofiles_gui.cli import main
from bulkprofiles_gui.core.jobfile import Job
from bulkprofiles_gui.core.jobs import run_job
from bulkprofiles_gui.core.progress import JobState
from bulkprofiles_gui.core.store import Store

DEMO = "Demo customers"
BERLIN = {"combinator": "and", "rules": [{"field": "city", "operator": "=", "value": "Berlin"}]}


@pytest.fixture
def job_file(tmp_path: Path) -> str:
    path = tmp_path / "job.json"
    path.write_text(json.dumps({"database": DEMO, "rules": BERLIN}), encoding="utf-8")
    return str(path)


@pytest.fixture
def out_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working folder, holding nothing but what the command writes."""
    folder = tmp_path / "out"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def _berlin(store: Store) -> list[tuple[int, str | None]]:
    p = store.profiles
    with store.begin() as conn:
        rows = conn.execute(
            select(p.c.id, p.c.email).where(p.c.city == "Berlin").order_by(p.c.id)
        ).all()
    return [(int(pid), email) for pid, email in rows]


def _parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _one_error_line(err: str, *parts: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bulkprofiles: error: "), err
    assert "Traceback" not in err
    for part in parts:
        assert part in lines[0]


# --- select ------------------------------------------------------------------------------


def test_select_writes_the_chosen_columns(
    demo_store: Store, job_file: str, out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["select", "--db", demo_store.url, job_file, "--csv", "b.csv"]
    assert main([*argv, "--columns", "id, email,city"]) == 0
    rows = _parse((out_dir / "b.csv").read_text(encoding="utf-8"))
    expected = _berlin(demo_store)
    assert rows[0] == ["id", "email", "city"]
    assert [(int(r[0]), r[1] or None) for r in rows[1:]] == expected
    assert {r[2] for r in rows[1:]} == {"Berlin"}
    assert f"{len(expected):,} of 400 profiles written to b.csv" in capsys.readouterr().err


def test_select_dash_writes_csv_alone_to_standard_output(
    demo_store: Store, job_file: str, out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["select", "--db", demo_store.url, job_file, "--csv", "-", "--columns", "id"]) == 0
    captured = capsys.readouterr()
    assert _parse(captured.out) == [["id"]] + [[str(pid)] for pid, _ in _berlin(demo_store)]
    assert "profiles written to standard output" in captured.err
    assert list(out_dir.iterdir()) == []


@pytest.mark.parametrize(
    "extra, parts",
    [
        (["--csv", "x.csv", "--columns", "id,town"], ["unknown column 'town'", "known: id, email"]),
        (["--csv", "x.csv", "--columns", " , "], ["--columns needs at least one field key"]),
        (["--csv", "x.csv", "--columns", "id,id"], ["column 'id' is named twice"]),
        (["--columns", "id"], ["--columns needs --csv OUT"]),
        (["--csv", "nowhere/x.csv"], ["cannot write nowhere/x.csv: no folder nowhere"]),
    ],
)
def test_select_errors_are_one_line_and_write_nothing(
    demo_store: Store,
    job_file: str,
    out_dir: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    parts: list[str],
) -> None:
    assert main(["select", "--db", demo_store.url, job_file, *extra]) == 2
    _one_error_line(capsys.readouterr().err, *parts)
    assert list(out_dir.iterdir()) == []


# --- tasks export -----------------------------------------------------------------------------


@pytest.fixture
def task_id(demo_store: Store) -> int:
    job = Job(database=DEMO, rules=BERLIN, action={"type": "global_unsubscribe"})
    return run_job(demo_store, job, JobState()).task_id


def test_tasks_export_adds_the_chosen_columns(
    demo_store: Store, task_id: int, out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["tasks", "--db", demo_store.url, "export", str(task_id), "--csv", "t.csv"]
    assert main([*argv, "--columns", "email,city"]) == 0
    rows = _parse((out_dir / "t.csv").read_text(encoding="utf-8"))
    expected = _berlin(demo_store)
    assert rows[0] == ["profile_id", "outcome", "reason", "reason_text", "email", "city"]
    assert [(int(r[0]), r[4] or None) for r in rows[1:]] == expected
    assert {(r[1], r[5]) for r in rows[1:]} <= {("changed", "Berlin"), ("skipped", "Berlin")}
    assert f"Wrote {len(expected):,} profile(s) of task {task_id} to t.csv" in (
        capsys.readouterr().out
    )


def test_tasks_export_dash_is_standard_output_not_a_file(
    demo_store: Store, task_id: int, out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["tasks", "--db", demo_store.url, "export", str(task_id), "--csv", "-"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    rows = _parse(captured.out)
    assert rows[0] == ["profile_id", "outcome", "reason", "reason_text"]
    assert [int(r[0]) for r in rows[1:]] == [pid for pid, _ in _berlin(demo_store)]
    assert f"Wrote {len(rows) - 1:,} profile(s) of task {task_id}" in captured.err
    assert list(out_dir.iterdir()) == []  # no file named '-'


@pytest.mark.parametrize(
    "what, parts",
    [
        (["--csv", "t.csv", "--columns", "email,town"], ["unknown column 'town'", "known: id"]),
        (["--columns", "email"], ["'tasks export' needs --csv OUT"]),
        (["--csv", "nowhere/t.csv"], ["cannot write nowhere/t.csv: no folder nowhere"]),
    ],
)
def test_tasks_export_errors_are_one_line_and_write_nothing(
    demo_store: Store,
    task_id: int,
    out_dir: Path,
    capsys: pytest.CaptureFixture[str],
    what: list[str],
    parts: list[str],
) -> None:
    assert main(["tasks", "--db", demo_store.url, "export", str(task_id), *what]) == 2
    _one_error_line(capsys.readouterr().err, *parts)
    assert list(out_dir.iterdir()) == []


def test_tasks_export_of_an_unknown_task(
    demo_store: Store, out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["tasks", "--db", demo_store.url, "export", "77", "--csv", "t.csv"]
    assert main(argv) == 2
    _one_error_line(capsys.readouterr().err, "no task with id 77")
    assert list(out_dir.iterdir()) == []
