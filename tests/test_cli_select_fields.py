"""``bulkprofiles select`` with a job whose rules compare a field with another
field (``"valueSource": "field"``) and name fields as other tools do
(``bonusPoints``), on both backends; a wrong comparison is one line, exit 2."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from bulkprofiles_gui.cli import main
from bulkprofiles_gui.core.fields import FieldType
from bulkprofiles_gui.core.store import Store

DATABASE = "Shop customers"

#: first_name -> (bonus_points, target_points, city)
PEOPLE: dict[str, tuple[int | None, int | None, str | None]] = {
    "Ann": (120, 100, "Berlin"),
    "Bob": (80, 100, "Paris"),
    "Cid": (None, 50, "Rome"),
    "Dee": (50, 50, None),
    "Eve": (10, None, "Oslo"),
}


@pytest.fixture
def shop(store: Store) -> Store:
    with store.begin() as conn:
        db = store.create_database(conn, DATABASE)
        store.add_custom_field(conn, db, "bonus_points", "Bonus points", FieldType.INTEGER)
        store.add_custom_field(conn, db, "target_points", "Target points", FieldType.INTEGER)
        column = {f.key: str(f.column_name) for f in store.fields(conn, db)}
        for name, (points, target, city) in PEOPLE.items():
            values = {"bonus_points": points, "target_points": target, "city": city}
            row = {column[k]: v for k, v in values.items()}
            conn.execute(insert(store.profiles).values(database_id=db, first_name=name, **row))
    return store


def _job(tmp_path: Path, *rules: dict[str, Any]) -> str:
    path = tmp_path / "job.json"
    document = {"database": DATABASE, "rules": {"combinator": "and", "rules": list(rules)}}
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def _by_field(field: str, operator: str, value: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value, "valueSource": "field"}


@pytest.mark.parametrize(
    "rule, expected",
    [
        (_by_field("bonus_points", ">=", "target_points"), 2),  # Ann, Dee
        (_by_field("bonusPoints", "<", "Target points"), 1),  # Bob
        (_by_field("bonus_points", "!=", "target_points"), 4),  # Ann, Bob; Cid, Eve (empty)
    ],
)
def test_count_of_a_field_to_field_rule(
    shop: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    rule: dict[str, Any],
    expected: int,
) -> None:
    assert main(["select", "--db", shop.url, _job(tmp_path, rule), "--count"]) == 0
    assert capsys.readouterr().out.strip() == str(expected)


def test_csv_of_a_field_to_field_rule_holds_the_matching_profiles(
    shop: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.csv"
    job = _job(tmp_path, _by_field("bonus_points", ">=", "targetPoints"))
    argv = ["select", "--db", shop.url, job, "--csv", str(out), "--columns", "first_name"]
    assert main(argv) == 0
    with out.open(encoding="utf-8", newline="") as fh:
        assert [row["first_name"] for row in csv.DictReader(fh)] == ["Ann", "Dee"]
    assert "2 of 5 profiles written to" in capsys.readouterr().err


@pytest.mark.parametrize(
    "rule, message",
    [
        (
            _by_field("bonus_points", "=", "city"),
            "invalid selection: rules[0]: 'bonus_points' (integer) cannot be compared with "
            "'city' (string); compare it with a field of type integer or float",
        ),
        (
            _by_field("bonus_points", "in", "target_points"),
            "operator 'in' cannot compare 'bonus_points' (integer) with another field",
        ),
        (_by_field("bonus_points", "=", "targets"), "rules[0]: unknown field 'targets'"),
    ],
)
def test_a_wrong_comparison_is_one_line_and_exit_2(
    shop: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    rule: dict[str, Any],
    message: str,
) -> None:
    assert main(["select", "--db", shop.url, _job(tmp_path, rule), "--count"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bulkprofiles: error: ")
    assert message in lines[0]
