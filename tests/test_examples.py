"""The files of ``examples/`` work on the demo store they are written for.

Every job file is run the way examples/README.md tells an operator to, on the
small demo store of ``conftest.demo_store`` (both backends): ``select --count``
selects profiles, ``run --dry-run`` completes and changes something, and the
real ``run`` then changes exactly what the dry run said.  The CSV example is
imported with the command examples/README.md gives.  Together the job files
cover every update action (promo codes both ways).
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from jobs_helpers import data_digest

from bulkprofiles_gui.cli import main
from bulkprofiles_gui.core.actions import ACTIONS
from bulkprofiles_gui.core.store import Store

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
JOB_FILES = sorted(EXAMPLES.glob("*.json"))
IMPORT_CSV = EXAMPLES / "import-profiles.csv"


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = _cli(capsys, "run", *argv, "--json")
    assert code == 0, err
    summary: dict[str, Any] = json.loads(out)
    return summary


def test_the_job_files_cover_every_action_and_both_promo_modes() -> None:
    kinds: set[tuple[str, str | None]] = set()
    for path in JOB_FILES:
        action = json.loads(path.read_text(encoding="utf-8"))["action"]
        kinds.add((action["type"], action.get("mode")))
    expected: set[tuple[str, str | None]] = {(t, None) for t in ACTIONS if t != "promo_codes"}
    expected |= {("promo_codes", "attach"), ("promo_codes", "detach")}
    assert kinds == expected


@pytest.mark.parametrize("path", JOB_FILES, ids=[p.stem for p in JOB_FILES])
def test_example_selects_profiles_dry_runs_and_runs(
    demo_store: Store, capsys: pytest.CaptureFixture[str], path: Path
) -> None:
    url = demo_store.url
    code, out, err = _cli(capsys, "select", "--db", url, str(path), "--count")
    assert code == 0, err
    selected = int(out)
    assert selected > 0

    before = data_digest(demo_store)
    dry = _run_json(capsys, "--db", url, "--dry-run", str(path))
    assert dry["status"] == "completed" and dry["dry_run"] is True
    assert dry["selected"] == selected
    assert dry["changed"] > 0
    assert dry["changed"] + sum(dry["skipped"].values()) == selected
    assert data_digest(demo_store) == before

    real = _run_json(capsys, "--db", url, "--yes", str(path))
    assert real["status"] == "completed" and real["dry_run"] is False
    assert (real["selected"], real["changed"], real["skipped"]) == (
        dry["selected"],
        dry["changed"],
        dry["skipped"],
    )
    assert data_digest(demo_store) != before


def _readme_import_command() -> list[str]:
    """The ``bulkprofiles import`` line of examples/README.md, as arguments."""
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    lines = [
        line.strip()
        for line in readme.splitlines()
        if line.strip().startswith("bulkprofiles import examples/")
    ]
    assert len(lines) == 1, lines
    words = shlex.split(lines[0])
    assert words[:3] == ["bulkprofiles", "import", "examples/import-profiles.csv"]
    return ["import", str(IMPORT_CSV), *words[3:]]


def test_the_csv_example_imports_with_the_command_of_the_readme(
    demo_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _readme_import_command()
    rows = len(IMPORT_CSV.read_text(encoding="utf-8").splitlines()) - 1
    header = IMPORT_CSV.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert any(c != c.lower() for c in header)  # camelCase headers, as the README says

    code, out, err = _cli(capsys, *argv, "--db", demo_store.url, "--dry-run", "--json")
    assert code == 0, err
    dry = json.loads(out)
    assert (dry["status"], dry["rows"], dry["added"], dry["not_imported"]) == (
        "completed",
        rows,
        rows,
        {},
    )
    code, out, err = _cli(capsys, *argv, "--db", demo_store.url, "--json")
    assert code == 0, err
    done = json.loads(out)
    assert (done["status"], done["added"], done["not_imported"]) == ("completed", rows, {})
    assert done["subscriptions"] == {"changed": rows}
    with demo_store.begin() as conn:
        fields = {
            f.key for f in demo_store.fields(conn, demo_store.database_id(conn, "Demo customers"))
        }
    assert "favourite_store" in fields
