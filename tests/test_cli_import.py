"""``bulkprofiles import`` and the whole way from nothing to an update, on the
command line, as an operator with a real customer list would go.

The end-to-end test runs the real executable in subprocesses on both
backends: a store is made by ``db create``, fields, a resource and a loyalty
program are added, a CSV with camelCase headers is imported, and the
imported profiles are then selected and updated by a job file.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bulkprofiles_gui.cli import main
from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.store import open_store

CSV = """\
email,firstName,lastName,city,phones,loyaltyPoints,memberSince,vip
anna@example.com,Anna,Schmidt,Berlin,+49 170 1234567,120,2023-02-01,true
bob@example.com,Bob,Brown,Paris,,15,2024-07-30,false
carl@example.com,Carl,Clark,Berlin,+4917099999;+33612345678,300,2022-11-11,yes
not-an-email,Dora,Doe,Rome,,1,2020-01-01,no
eve@example.com,Eve,Evans,Berlin,,abc,2021-05-05,no
"""


def bulkprofiles(*argv: str, db: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-m", "bulkprofiles_gui", "--db", db, *argv],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def test_from_nothing_to_an_update(store_url: str, tmp_path: Path) -> None:
    db = store_url
    ok(bulkprofiles("db", "create", "Shop customers", "--description", "from the CRM", db=db))
    ok(
        bulkprofiles(
            "fields", "add", "--database", "Shop customers", "loyalty_points", "integer", db=db
        )
    )
    ok(
        bulkprofiles(
            "resources",
            "create",
            "Newsletter",
            "--channels",
            "email,sms",
            "--attach",
            "Shop customers",
            db=db,
        )
    )
    csv_file = tmp_path / "customers.csv"
    csv_file.write_text(CSV, encoding="utf-8")
    rejects = tmp_path / "rejects.csv"

    dry = json.loads(
        ok(
            bulkprofiles(
                "import",
                str(csv_file),
                "--database",
                "Shop customers",
                "--create-fields",
                "--dry-run",
                "--json",
                db=db,
            )
        )
    )
    assert (dry["dry_run"], dry["added"], dry["updated"], dry["not_imported"]) == (
        True,
        3,
        0,
        {"rejected": 2},
    )
    out = ok(
        bulkprofiles(
            "import",
            str(csv_file),
            "--database",
            "Shop customers",
            "--create-fields",
            "--subscribe",
            "Newsletter/email/subscribed",
            "--rejects",
            str(rejects),
            db=db,
        )
    )
    assert re.search(r"^  Added:\s+3$", out, re.MULTILINE), out
    assert [line.split(",")[:2] for line in rejects.read_text().splitlines()[1:]] == [
        ["5", "email"],
        ["6", "loyaltyPoints"],
    ]

    store = open_store(db)
    try:
        with store.begin() as conn:
            db_id = store.database_id(conn, "Shop customers")
            fields = {f.key: f for f in store.fields(conn, db_id)}
            assert fields["member_since"].type.value == "date"
            assert fields["vip"].type.value == "boolean"
            subscribed = conn.execute(
                select(func.count())
                .select_from(m.Subscription)
                .where(m.Subscription.status == "subscribed")
            ).scalar_one()
            assert subscribed == 3
    finally:
        store.close()

    job = tmp_path / "berlin.json"
    job.write_text(
        json.dumps(
            {
                "database": "Shop customers",
                "rules": {
                    "combinator": "and",
                    "rules": [
                        {"field": "city", "operator": "=", "value": "Berlin"},
                        {"field": "loyalty_points", "operator": ">=", "value": 100},
                    ],
                },
                "action": {
                    "type": "update_fields",
                    "changes": [{"field": "loyalty_points", "op": "increment", "value": 50}],
                },
            }
        )
    )
    assert ok(bulkprofiles("select", str(job), "--count", db=db)).strip() == "2"
    ok(bulkprofiles("run", str(job), db=db))
    exported = ok(
        bulkprofiles("select", str(job), "--csv", "-", "--columns", "email,loyalty_points", db=db)
    )
    assert sorted(exported.splitlines()[1:]) == ["anna@example.com,170", "carl@example.com,350"]
    tasks = json.loads(ok(bulkprofiles("tasks", "list", "--json", db=db)))
    assert [t["action"] for t in tasks] == ["update_fields", "import_profiles", "import_profiles"]


def _one_line_error(
    result: subprocess.CompletedProcess[str] | tuple[int, str], fragment: str
) -> None:
    code, err = (result.returncode, result.stderr) if not isinstance(result, tuple) else result
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("bulkprofiles: error: ")
    assert fragment in lines[0]


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--database", "Nope"], "no profile database named 'Nope'"),
        (
            ["--database", "Demo customers", "--subscribe", "Newsletter"],
            "expected RESOURCE/CHANNEL/STATUS",
        ),
        (["--database", "Demo customers", "--map", "nocolumn"], "expected COLUMN=FIELD"),
        (["--database", "Demo customers", "--map", "city=nofield"], "no field 'nofield'"),
        (["--database", "Demo customers", "--match", "nothing"], "no such field"),
        (["--database", "Demo customers", "--encoding", "klingon"], "unknown encoding"),
        (
            ["--database", "Demo customers", "--subscribe", "Nowhere/email/subscribed"],
            "no resource named 'Nowhere'",
        ),
    ],
)
def test_bad_options_are_one_line_and_change_nothing(
    demo_store_path: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    fragment: str,
) -> None:
    csv_file = tmp_path / "c.csv"
    csv_file.write_text("email,city\na@x.de,Rome\n")
    before = _counts(demo_store_path)
    code = main(["--db", demo_store_path, "import", str(csv_file), *extra])
    _one_line_error((code, capsys.readouterr().err), fragment)
    assert _counts(demo_store_path) == before


def test_broken_header_is_one_line(
    demo_store_path: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = tmp_path / "c.csv"
    csv_file.write_text("email,city,city\na@x.de,Rome,Rome\n")
    code = main(["--db", demo_store_path, "import", str(csv_file), "--database", "Demo customers"])
    _one_line_error((code, capsys.readouterr().err), "appears twice")


def _counts(url: str) -> tuple[int, int]:
    store = open_store(url)
    try:
        with store.begin() as conn:
            return (
                int(conn.execute(select(func.count()).select_from(m.Profile)).scalar_one()),
                int(conn.execute(select(func.count()).select_from(m.Task)).scalar_one()),
            )
    finally:
        store.close()


@pytest.fixture
def demo_store_path(tmp_path: Path) -> str:
    from bulkprofiles_gui.core.demo import generate_demo

    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    store = open_store(url, create=True)
    generate_demo(store, profiles=50, seed=1)
    store.close()
    return url


def test_tasks_show_of_an_import_says_added_and_updated(
    demo_store_path: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = tmp_path / "c.csv"
    csv_file.write_text("email,city\nnew1@x.de,Rome\nnew2@x.de,Oslo\nbad,Rome\n")
    code = main(["--db", demo_store_path, "import", str(csv_file), "--database", "Demo customers"])
    assert code == 0
    capsys.readouterr()
    assert main(["--db", demo_store_path, "tasks", "show", "1"]) == 0
    out = capsys.readouterr().out
    assert "Action:          Import profiles from CSV" in out
    assert "  added:         2" in out
    assert "  updated:       0" in out
    assert "  a value of the row is not valid: 1" in out


def test_tasks_resume_of_an_import_says_what_import_says(
    demo_store_path: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It printed an update's table (Selected, Changed) for an import (audit)."""
    from bulkprofiles_gui.core.importer import ImportSpec, prepare_import

    csv_file = tmp_path / "c.csv"
    csv_file.write_text("email,city\nnew1@x.de,Rome\nnew2@x.de,Oslo\nbad,Rome\n")
    store = open_store(demo_store_path)
    try:  # a task prepared and never run: what an import killed before its start leaves
        task_id = prepare_import(store, ImportSpec(file=str(csv_file), database="Demo customers"))
    finally:
        store.close()
    assert main(["--db", demo_store_path, "tasks", "resume", str(task_id)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"Import task {task_id} completed"
    assert "  Added:                      2" in out
    assert not any(line.lstrip().startswith("Selected:") for line in out)


@pytest.mark.parametrize(
    ("dry_run", "merging"), [(False, "importing"), (True, "working out every row")]
)
def test_the_command_lines_import_progress_names_its_steps(
    demo_store_path: str, tmp_path: Path, dry_run: bool, merging: str
) -> None:
    csv_file = tmp_path / "c.csv"
    csv_file.write_text("email,city\nnew1@x.de,Rome\nnew2@x.de,Oslo\n")
    args = ["import", str(csv_file), "--database", "Demo customers"]
    err = bulkprofiles(*args, *(["--dry-run"] if dry_run else []), db=demo_store_path).stderr
    progress = [line for line in err.splitlines() if line.startswith("progress: ")]
    assert progress[0].startswith("progress: reading and checking the file: ")
    assert progress[-1] == f"progress: {merging}: 2/2 rows (100 %), " + progress[-1].split(", ")[-1]
    assert "Traceback" not in err


def test_rejects_to_standard_output(
    demo_store_path: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = tmp_path / "c.csv"
    csv_file.write_text("email,city\nnew1@x.de,Rome\nbad,Rome\n")
    args = ["--db", demo_store_path, "import", str(csv_file), "--database", "Demo customers"]
    assert main([*args, "--rejects", "-"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == ["line,column,value,reason", "3,email,bad,not an email address"]
    assert "Added:" in err and "Rejects written to:" in err
    assert not (tmp_path / "-").exists() and not Path("-").exists()
