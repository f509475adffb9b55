"""The command line: ``demo`` and ``info`` on both backends, and operator errors.

Every error an operator can fix is exactly one line on stderr starting
``bulkprofiles: error:``, exit code 2, no traceback, and nothing written:
files keep their bytes and no file or folder appears.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, inspect, select, text

from bulkprofiles_gui.cli import main
from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.store import Store, open_store

UNREACHABLE_PG = "postgresql+psycopg://nobody@127.0.0.1:1/none"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _assert_one_line_error(code: int, err: str, fragment: str) -> None:
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("bulkprofiles: error: ")
    assert fragment in lines[0]
    assert "Traceback" not in err


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file (with its bytes) and folder under ``folder``."""
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
    }


def _profile_count(store: Store) -> int:
    with store.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(m.Profile)).scalar_one())


# -- info --------------------------------------------------------------------


def test_info_describes_the_demo_database(
    demo_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "info", "--db", demo_store.url)
    assert (code, err) == (0, "")
    assert "Database 'Demo customers': 400 profiles  [DEMO DATA]" in out
    assert "  Resources: Mobile app, Newsletter, SMS alerts, Shop" in out
    assert "Winter sale (20 codes:" in out
    assert "Berlin customers" in out
    assert "loyalty_level" in out and "options: bronze, silver, gold, platinum" in out
    assert "last_interaction_at    datetime  (system, read-only)" in out
    assert "Partner brand" in out  # known to the store, though not attached
    assert "Totals: profiles 400," in out


def test_info_json_matches_the_store(demo_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = _run(capsys, "--db", demo_store.url, "info", "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["store"] == demo_store.display_url
    (db,) = summary["databases"]
    assert (db["name"], db["demo"], db["profiles"]) == ("Demo customers", True, 400)
    fields = {f["key"]: f for f in db["fields"]}
    assert fields["vip"]["type"] == "boolean" and not fields["vip"]["system"]
    assert fields["id"]["editable"] is False
    assert fields["loyalty_level"]["options"] == ["bronze", "silver", "gold", "platinum"]
    winter = next(p for p in db["programs"] if p["name"] == "Winter sale")
    assert winter["codes"] == winter["free"] + winter["attached"] + winter["activated"] == 20
    resources = {r["name"]: r for r in summary["resources"]}
    assert resources["Shop"]["channels"] == ["email", "push", "sms", "viber", "whatsapp"]
    with demo_store.begin() as conn:
        subscriptions = conn.execute(select(func.count()).select_from(m.Subscription)).scalar_one()
        events = conn.execute(select(func.count()).select_from(m.Event)).scalar_one()
    assert summary["counts"]["subscriptions"] == subscriptions
    assert summary["counts"]["events"] == events
    assert sum(r["subscriptions"] for r in summary["resources"]) == subscriptions


def test_info_on_an_empty_store_says_how_to_make_demo_data(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = _run(capsys, "info", "--db", store.url)
    assert code == 0
    assert "No profile databases yet (run 'bulkprofiles demo'" in out


def test_info_for_an_unknown_database_names_the_known_ones(
    demo_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = _run(capsys, "info", "--db", demo_store.url, "--database", "Nope")
    _assert_one_line_error(
        code, err, "no profile database named 'Nope' (databases: 'Demo customers')"
    )


# -- demo --------------------------------------------------------------------


def test_demo_command_makes_the_store_and_prints_a_summary(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(
        capsys, "demo", "--db", store_url, "--profiles", "300", "--seed", "3", "--name", "Try"
    )
    assert (code, err) == (0, "")
    assert "Making 300 demo profiles (seed 3)" in out
    assert "profiles          300 of 300 (100%)" in out
    assert "Demo database 'Try' is ready" in out
    assert "rows in" in out and "rows/s" in out
    store = open_store(store_url)
    try:
        assert _profile_count(store) == 300
        with store.begin() as conn:
            assert conn.execute(select(m.ProfileDatabase.is_demo)).scalar_one() is True
    finally:
        store.close()


def test_demo_with_a_taken_name_is_one_line_and_adds_nothing(
    demo_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "demo", "--db", demo_store.url, "--profiles", "50")
    _assert_one_line_error(code, err, "a profile database named 'Demo customers' already exists")
    assert out == ""
    assert _profile_count(demo_store) == 400


def test_demo_without_a_name_is_one_line_and_creates_no_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'store.sqlite3'}"
    code, _out, err = _run(capsys, "demo", "--db", url, "--name", "  ")
    _assert_one_line_error(code, err, "needs a name")
    assert _snapshot(tmp_path) == {}


# -- operator errors -----------------------------------------------------------


@pytest.mark.parametrize("command", [["info"], ["demo", "--profiles", "10"]])
@pytest.mark.parametrize(
    "url, fragment",
    [
        ("not a url", "malformed store URL 'not a url'"),
        ("mysql://someone@localhost/shop", "unsupported store URL"),
        (UNREACHABLE_PG, "cannot reach the store postgresql+psycopg://nobody@127.0.0.1:1/none"),
    ],
)
def test_bad_store_urls_are_one_line(
    command: list[str],
    url: str,
    fragment: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _out, err = _run(capsys, *command, "--db", url)
    _assert_one_line_error(code, err, fragment)
    assert _snapshot(tmp_path) == {}


def test_a_password_in_an_unreachable_url_is_not_shown(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _out, err = _run(
        capsys, "info", "--db", "postgresql+psycopg://nobody:s3cret@127.0.0.1:1/none"
    )
    _assert_one_line_error(code, err, "cannot reach the store")
    assert "s3cret" not in err


def _text_file(folder: Path) -> Path:
    path = folder / "notes.sqlite3"
    path.write_text("shopping list: milk, eggs\n", encoding="utf-8")
    return path


def _sqlite_of_another_program(folder: Path) -> Path:
    path = folder / "browser-history.sqlite3"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE visits (url TEXT, at TEXT)")
    con.execute("INSERT INTO visits VALUES ('https://example.com', '2026-01-01')")
    con.commit()
    con.close()
    return path


def _empty_file(folder: Path) -> Path:
    path = folder / "empty.sqlite3"
    path.touch()
    return path


def _folder(folder: Path) -> Path:
    path = folder / "a-folder"
    path.mkdir()
    return path


@pytest.mark.parametrize("command", [["info"], ["demo", "--profiles", "10"]])
@pytest.mark.parametrize(
    "make, fragment",
    [
        (_text_file, "is not a bulkprofiles store (not an SQLite file)"),
        (_sqlite_of_another_program, "is an SQLite file of another program"),
        (_folder, "is a folder, not a store file"),
    ],
)
def test_files_that_are_not_our_store_are_refused_untouched(
    command: list[str],
    make: Any,
    fragment: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = make(tmp_path)
    before = _snapshot(tmp_path)
    code, _out, err = _run(capsys, *command, "--db", f"sqlite:///{path}")
    _assert_one_line_error(code, err, fragment)
    assert _snapshot(tmp_path) == before


def test_info_on_an_empty_file_leaves_it_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _empty_file(tmp_path)
    code, _out, err = _run(capsys, "info", "--db", f"sqlite:///{path}")
    _assert_one_line_error(code, err, "is an empty file, not a store")
    assert _snapshot(tmp_path) == {"empty.sqlite3": b""}


def test_info_on_a_missing_store_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "not-yet" / "store.sqlite3"
    code, _out, err = _run(capsys, "info", "--db", f"sqlite:///{path}")
    _assert_one_line_error(code, err, f"no store at {path}")
    assert _snapshot(tmp_path) == {}


def test_info_without_any_store_configured_points_to_demo(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _out, err = _run(capsys, "info")
    _assert_one_line_error(code, err, "(run 'bulkprofiles demo' to make one)")


def test_a_database_server_holding_other_tables_is_refused_untouched(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total FLOAT)"))
    try:
        code, _out, err = _run(capsys, "demo", "--db", store_url, "--profiles", "10")
        _assert_one_line_error(code, err, "another program")
        assert inspect(engine).get_table_names() == ["invoices"]
    finally:
        engine.dispose()


# -- a real process ---------------------------------------------------------------


def _process(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bulkprofiles_gui", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_errors_from_a_real_process_are_one_line_without_traceback(tmp_path: Path) -> None:
    foreign = _sqlite_of_another_program(tmp_path)
    before = _snapshot(tmp_path)
    for argv, fragment in (
        (["info", "--db", f"sqlite:///{foreign}"], "is an SQLite file of another program"),
        (["info", "--db", f"sqlite:///{tmp_path / 'missing.sqlite3'}"], "no store at"),
        (["demo", "--db", "not a url"], "malformed store URL"),
        (["info", "--db", UNREACHABLE_PG], "cannot reach the store"),
    ):
        done = _process(*argv, cwd=tmp_path)
        _assert_one_line_error(done.returncode, done.stderr, fragment)
        assert done.stdout == ""
    assert _snapshot(tmp_path) == before


def test_demo_then_info_in_real_processes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    made = _process("demo", "--db", url, "--profiles", "200", cwd=tmp_path)
    assert (made.returncode, made.stderr) == (0, "")
    assert "Demo database 'Demo customers' is ready" in made.stdout
    shown = _process("--db", url, "info", "--json", cwd=tmp_path)
    assert shown.returncode == 0
    assert json.loads(shown.stdout)["counts"]["profiles"] == 200


def test_output_into_a_closed_pipe_is_not_a_traceback(sqlite_store: Store, tmp_path: Path) -> None:
    """``bulkprofiles info | head -1``: the reader goes away before the output ends."""
    from bulkprofiles_gui.core.demo import generate_demo

    generate_demo(sqlite_store, profiles=20, seed=1)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bulkprofiles_gui", "info", "--db", sqlite_store.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # nobody reads: the first write fails with EPIPE
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 1
    assert err == ""
