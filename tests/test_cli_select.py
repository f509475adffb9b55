"""``bulkprofiles select``: count and CSV export of a job's selection on the
demo store (both backends); wrong job files and rules give one clear line."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bulkprofiles_gui.cli import main
from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.store import Store

DEMO = "Demo customers"


def _job(tmp_path: Path, **selection: Any) -> str:
    path = tmp_path / "job.json"
    path.write_text(json.dumps({"database": DEMO, **selection}), encoding="utf-8")
    return str(path)


def _berlin_or_vip() -> dict[str, Any]:
    return {
        "combinator": "or",
        "rules": [
            {"field": "city", "operator": "=", "value": "Berlin"},
            {"field": "vip", "operator": "=", "value": True},
        ],
    }


def _expected_ids(store: Store) -> list[int]:
    """The same selection written by hand."""
    p = store.profiles
    with store.begin() as conn:
        fields = {f.key: f for f in store.fields(conn, store.database_id(conn, DEMO))}
        vip = store.field_column(fields["vip"])
        return list(
            conn.execute(
                select(p.c.id)
                .join(m.ProfileDatabase, m.ProfileDatabase.id == p.c.database_id)
                .where(m.ProfileDatabase.name == DEMO, (p.c.city == "Berlin") | (vip.is_(True)))
                .order_by(p.c.id)
            ).scalars()
        )


def _fingerprint(store: Store) -> list[Any]:
    with store.begin() as conn:
        counts = [
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (m.Profile, m.ProfileListValue, m.Subscription, m.Task, m.Segment)
        ]
        return [*counts, conn.execute(select(func.max(m.Profile.updated_at))).scalar_one()]


def test_count_prints_the_number_selected(
    demo_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = _job(tmp_path, rules=_berlin_or_vip())
    assert main(["select", "--db", demo_store.url, job, "--count"]) == 0
    expected = _expected_ids(demo_store)
    assert 0 < len(expected) < 400
    assert capsys.readouterr().out.strip() == str(len(expected))


def test_default_output_says_n_of_m(
    demo_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = _job(tmp_path, rules=_berlin_or_vip(), limit=5)
    assert main(["select", "--db", demo_store.url, job]) == 0
    assert capsys.readouterr().out.strip() == f"5 of 400 profiles selected (database '{DEMO}')"


def test_csv_has_id_and_every_field_and_changes_nothing(
    demo_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _fingerprint(demo_store)
    out = tmp_path / "selected.csv"
    job = _job(tmp_path, rules=_berlin_or_vip())
    assert main(["select", "--db", demo_store.url, job, "--csv", str(out)]) == 0
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with demo_store.begin() as conn:
        db_id = demo_store.database_id(conn, DEMO)
        fields = demo_store.fields(conn, db_id)
        plv = m.ProfileListValue.__table__
        phones = {f.key: f.id for f in fields}["phones"]
        listed: dict[int, list[str]] = {}
        for pid, value in conn.execute(
            select(plv.c.profile_id, plv.c.value).where(plv.c.field_id == phones)
        ):
            listed.setdefault(pid, []).append(value)
    assert list(rows[0]) == [f.key for f in fields]
    assert [int(r["id"]) for r in rows] == _expected_ids(demo_store)
    assert all(r["city"] == "Berlin" or r["vip"] == "true" for r in rows)
    for row in rows:
        phones = ";".join(sorted(listed.get(int(row["id"]), [])))
        # "+49...": text a spreadsheet would run as a formula, so written with a leading '
        assert row["phones"] == (f"'{phones}" if phones.startswith("+") else phones)
    assert any(";" in r["phones"] for r in rows) or not any(len(v) > 1 for v in listed.values())
    assert "profiles written to" in capsys.readouterr().err
    assert _fingerprint(demo_store) == before


def test_a_segment_job_selects_the_segment(
    demo_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "job.json"
    path.write_text(json.dumps({"segment": "Berlin customers"}), encoding="utf-8")
    assert main(["select", "--db", demo_store.url, str(path), "--count"]) == 0
    p = demo_store.profiles
    with demo_store.begin() as conn:
        berlin = conn.execute(
            select(func.count()).select_from(p).where(p.c.city == "Berlin")
        ).scalar_one()
    assert capsys.readouterr().out.strip() == str(berlin)


@pytest.mark.parametrize(
    "document, message",
    [
        ({"database": DEMO, "colour": "red"}, "job.colour: unknown key"),
        ({"database": DEMO, "range": {"from": 50, "to": 10}}, "job.range"),
        ({"database": DEMO, "limit": -3}, "job.limit"),
        ({"database": "Nope"}, "no profile database named 'Nope'"),
        ({"database": DEMO, "segment": "Nope"}, "no segment named 'Nope'"),
        (
            {
                "database": DEMO,
                "rules": {"rules": [{"field": "age", "operator": ">", "value": "x"}]},
            },
            "rules[0]: age: 'x' is not a whole number",
        ),
        (
            {
                "database": DEMO,
                "rules": {"rules": [{"rules": [{"field": "town", "operator": "=", "value": 1}]}]},
            },
            "rules[0].rules[0]: unknown field 'town'",
        ),
    ],
)
def test_wrong_job_files_get_one_line_naming_the_problem(
    demo_store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    document: dict[str, Any],
    message: str,
) -> None:
    path = tmp_path / "job.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["select", "--db", demo_store.url, str(path), "--csv", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_not_json_and_missing_file(
    sqlite_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{nope", encoding="utf-8")
    assert main(["select", "--db", sqlite_store.url, str(bad)]) == 2
    assert "not valid JSON (line 1" in capsys.readouterr().err
    assert main(["select", "--db", sqlite_store.url, str(tmp_path / "none.json")]) == 2
    assert "no such job file" in capsys.readouterr().err
