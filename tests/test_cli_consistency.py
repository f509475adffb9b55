"""Two promises every command keeps.

1. Every error about a job file starts with the file's name, as given on the
   command line (``bulkprofiles: error: jobs/x.json: ...``): the errors found
   when the file is read, and those found later against the store (an unknown
   database, field, resource or program, a job without the conditions its
   action needs), for ``select`` and ``run`` alike; nothing is changed.
2. ``-`` as the value of any ``--csv`` option means standard output: the CSV
   goes to stdout and no file named ``-`` is made.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from jobs_helpers import data_digest

from bulkprofiles_gui.cli import build_parser, main
from bulkprofiles_gui.core.store import Store

DEMO = "Demo customers"
CITY_BERLIN = {
    "combinator": "and",
    "rules": [{"field": "city", "operator": "=", "value": "Berlin"}],
}
SET_CITY = {"type": "update_fields", "changes": [{"field": "city", "op": "set", "value": "Bonn"}]}


def _write(tmp_path: Path, text: str) -> str:
    """The job as ``jobs/x.json`` relative to the working directory (tmp_path)."""
    (tmp_path / "jobs").mkdir(exist_ok=True)
    (tmp_path / "jobs" / "x.json").write_text(text, encoding="utf-8")
    return "jobs/x.json"


def _error_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


# -- errors found when the file is read --------------------------------------------------
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{nope", "not valid JSON (line 1, column 2"),
        (json.dumps({"database": DEMO, "colour": 1}), "job.colour: unknown key"),
        (json.dumps({"database": DEMO, "range": {"from": 50, "to": 10}}), "job.range: 'from'"),
        (json.dumps({"database": DEMO, "rules": []}), "job.rules: must be a rule group"),
    ],
)
@pytest.mark.parametrize("command", ["select", "run"])
def test_a_job_file_that_does_not_read_is_named_first(
    sqlite_store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
    text: str,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    job = _write(tmp_path, text)
    line = _error_line(capsys, [command, "--db", sqlite_store.url, job])
    assert line.startswith(f"bulkprofiles: error: {job}: ")
    assert message in line


def test_a_missing_job_file_is_named_first(
    sqlite_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "nope.json")
    for command in ("select", "run"):
        line = _error_line(capsys, [command, "--db", sqlite_store.url, missing])
        assert line == f"bulkprofiles: error: {missing}: no such job file"


# -- errors found against the store ------------------------------------------------------
#: (job document, words of the error after the file's name); select and run both.
SELECTION_ERRORS: list[tuple[dict[str, Any], str]] = [
    ({"database": "Nope"}, "no profile database named 'Nope'"),
    ({"database": DEMO, "segment": "Nope"}, "no segment named 'Nope' in this database"),
    (
        {"database": DEMO, "rules": {"rules": [{"field": "town", "operator": "=", "value": 1}]}},
        "invalid selection: rules[0]: unknown field 'town'",
    ),
    (
        {
            "database": DEMO,
            "rules": {
                "rules": [{"field": "$promo", "operator": "holds", "value": {"program": "Summer"}}]
            },
        },
        "invalid selection: rules[0]: no loyalty program 'Summer'",
    ),
]

#: Errors only ``run`` finds: the action's parameters and its need of conditions.
ACTION_ERRORS: list[tuple[dict[str, Any], str]] = [
    (
        {
            "type": "update_subscriptions",
            "resource": "Nope",
            "channel": "email",
            "status": "subscribed",
        },
        "job.action.resource: no resource named 'Nope'",
    ),
    (
        {
            "type": "update_subscriptions",
            "resource": "Partner brand",
            "channel": "email",
            "status": "unsubscribed",
        },
        "job.action.resource: resource 'Partner brand' is not attached to database",
    ),
    (
        {
            "type": "subscribe_from_fields",
            "resource": "Newsletter",
            "channel": "sms",
            "status": "subscribed",
        },
        "job.action.channel: channel 'sms' is not configured in resource 'Newsletter'",
    ),
    (
        {"type": "promo_codes", "mode": "attach", "program": "Summer"},
        "job.action.program: no loyalty",
    ),
    (
        {"type": "update_fields", "changes": [{"field": "town", "op": "set", "value": "x"}]},
        "job.action.changes[0].field: no field 'town'",
    ),
    ({"type": "teleport"}, "job.action.type: unknown action 'teleport'"),
]


@pytest.mark.parametrize(("document", "message"), SELECTION_ERRORS)
@pytest.mark.parametrize("command", ["select", "run"])
def test_a_selection_the_store_refuses_names_the_job_file_first(
    demo_store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
    document: dict[str, Any],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    job = _write(tmp_path, json.dumps({**document, "action": SET_CITY}))
    before = data_digest(demo_store)
    line = _error_line(
        capsys, [command, "--db", demo_store.url, job, "--yes"][: 4 + (command == "run")]
    )
    assert line.startswith(f"bulkprofiles: error: {job}: {message}"), line
    assert data_digest(demo_store) == before


@pytest.mark.parametrize(("action", "message"), ACTION_ERRORS)
def test_an_action_the_store_refuses_names_the_job_file_first(
    demo_store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    action: dict[str, Any],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    job = _write(tmp_path, json.dumps({"database": DEMO, "rules": CITY_BERLIN, "action": action}))
    before = data_digest(demo_store)
    line = _error_line(capsys, ["run", "--db", demo_store.url, "--yes", job])
    assert line.startswith(f"bulkprofiles: error: {job}: {message}"), line
    assert data_digest(demo_store) == before


@pytest.mark.parametrize("action_type", ["delete_profiles", "global_unsubscribe"])
def test_a_destructive_job_without_conditions_names_the_job_file_first(
    demo_store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    action_type: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    job = _write(tmp_path, json.dumps({"database": DEMO, "action": {"type": action_type}}))
    before = data_digest(demo_store)
    for extra in (["--dry-run"], ["--yes"]):
        line = _error_line(capsys, ["run", "--db", demo_store.url, *extra, job])
        assert line.startswith(f"bulkprofiles: error: {job}: job.rules: "), line
        assert "needs at least one condition" in line
    assert data_digest(demo_store) == before


def test_errors_that_are_not_about_the_job_file_do_not_name_it(
    demo_store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A wrong column or output folder is the command line's mistake, not the file's."""
    monkeypatch.chdir(tmp_path)
    job = _write(tmp_path, json.dumps({"database": DEMO, "rules": CITY_BERLIN}))
    url = demo_store.url
    line = _error_line(capsys, ["select", "--db", url, job, "--csv", "-", "--columns", "id,town"])
    assert line.startswith("bulkprofiles: error: unknown column 'town'"), line
    line = _error_line(capsys, ["select", "--db", url, job, "--csv", "no/such/dir/out.csv"])
    assert line.startswith("bulkprofiles: error: cannot write no/such/dir/out.csv"), line


# -- '-' is standard output for every --csv option ------------------------------------------
def _csv_options() -> set[str]:
    """The ``bulkprofiles ...`` words of every (sub)command that has a --csv option."""
    found: set[str] = set()

    def walk(words: str, parser: argparse.ArgumentParser) -> None:
        for action in parser._actions:
            if "--csv" in action.option_strings:
                found.add(words)
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    walk(f"{words} {name}".strip(), child)

    walk("", build_parser())
    return found


def test_dash_is_standard_output_for_every_csv_option(
    demo_store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    url = demo_store.url
    job = _write(tmp_path, json.dumps({"database": DEMO, "rules": CITY_BERLIN, "action": SET_CITY}))
    assert main(["run", "--db", url, "--dry-run", "--json", job]) == 0
    task_id = json.loads(capsys.readouterr().out)["task_id"]
    argv_with_dash = {
        "select": ["select", "--db", url, job, "--csv", "-", "--columns", "id,city"],
        "tasks": ["tasks", "--db", url, "export", str(task_id), "--csv", "-"],
    }
    assert _csv_options() == set(argv_with_dash), "a new --csv option: add it here"
    for command, argv in argv_with_dash.items():
        assert main(argv) == 0, command
        rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
        assert len(rows) > 1 and rows[0][0] in ("id", "profile_id"), (command, rows[:2])
        assert not (tmp_path / "-").exists(), command
