"""The limits of core/limits.py (docs/limits.md): each one refused on the command
line with one line that names it, exit code 2, nothing written; every walk over
rules safe at any depth; and operator text quoted short in messages."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from jobs_helpers import DB, build_world, data_digest
from sqlalchemy import func, select

from bulkprofiles_gui.cli import main
from bulkprofiles_gui.core import limits
from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.config import Settings
from bulkprofiles_gui.core.jobfile import Job, JobFileError, job_error_types
from bulkprofiles_gui.core.jobs import plan_job
from bulkprofiles_gui.core.manage import _rules_name_field
from bulkprofiles_gui.core.selection import (
    RuleError,
    SelectionSpec,
    check,
    count,
    has_conditions,
    import_jquery_rules,
)
from bulkprofiles_gui.core.store import Store

BERLIN = {"field": "city", "operator": "=", "value": "Berlin"}
SET_LYON = {"type": "update_fields", "changes": [{"field": "city", "op": "set", "value": "Lyon"}]}


def nested(depth: int, leaf: dict[str, Any] = BERLIN) -> dict[str, Any]:
    """``depth`` groups, one inside the other (the root counts), around ``leaf``;
    built without recursion."""
    node: dict[str, Any] = {"combinator": "and", "rules": [leaf]}
    for _ in range(depth - 1):
        node = {"combinator": "and", "rules": [node]}
    return node


def nested_json(depth: int) -> str:
    """The same as JSON text (``json.dumps`` itself recurses)."""
    leaf = json.dumps(BERLIN)
    return '{"combinator":"and","rules":[' * depth + leaf + "]}" * depth


def any_of(n: int, field: str = "city") -> dict[str, Any]:
    return {
        "combinator": "or",
        "rules": [{"field": field, "operator": "=", "value": f"c{i}"} for i in range(n)],
    }


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "job.json"
    path.write_text(text, encoding="utf-8")
    return path


def job_text(rules: Any = None, action: Any = SET_LYON, **top: Any) -> str:
    doc: dict[str, Any] = {"database": DB, "action": action, **top}
    if rules is not None:
        doc["rules"] = rules
    return json.dumps(doc, separators=(",", ":"))


def upd(*changes: dict[str, Any]) -> dict[str, Any]:
    return {"type": "update_fields", "changes": list(changes)}


def task_count(store: Store) -> int:
    with store.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(m.Task)).scalar_one())


def refused(
    store: Store, path: Path, capsys: pytest.CaptureFixture[str], command: str = "run"
) -> str:
    """Run ``command`` on the job file; assert one line, exit 2, nothing written."""
    before = data_digest(store)
    args = [command, "--db", store.url, str(path)] + (["--yes"] if command == "run" else [])
    code = main(args)
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("bulkprofiles: error: "), err
    assert len(lines[0].replace(str(path), "")) < 300, lines[0]  # the file name aside
    assert out == ""
    assert data_digest(store) == before and task_count(store) == 0
    return lines[0]


@pytest.fixture
def world_store(sqlite_store: Store) -> Store:
    build_world(sqlite_store, n=12)
    return sqlite_store


# -- the job file -----------------------------------------------------------------------
def test_job_file_over_5_mb_is_refused(
    world_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    padding = " " * (limits.MAX_JOB_FILE_BYTES + 1)
    line = refused(world_store, write(tmp_path, job_text() + padding), capsys)
    assert "larger than 5 MB (the limit)" in line


@pytest.mark.parametrize("command", ["run", "select"])
def test_500_groups_deep_is_refused_before_json_recursion(
    world_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    path = write(tmp_path, f'{{"database":"{DB}","rules":{nested_json(500)}}}')
    line = refused(world_store, path, capsys, command)
    assert "JSON nested 1,002 levels deep; the limit is 256" in line
    assert "100 groups" in line


@pytest.mark.parametrize("command", ["run", "select"])
def test_hundred_thousand_open_brackets_are_refused(
    world_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    line = refused(world_store, write(tmp_path, "[" * 100_000), capsys, command)
    assert "JSON nested 100,000 levels deep; the limit is 256" in line


def test_101_groups_deep_is_refused_and_100_are_selected(
    world_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = refused(world_store, write(tmp_path, job_text(nested(101))), capsys)
    assert line.endswith("job.rules: groups are nested more than 100 deep (the limit)")

    path = write(tmp_path, json.dumps({"database": DB, "rules": nested(100)}))
    assert main(["select", "--db", world_store.url, "--count", str(path)]) == 0
    assert capsys.readouterr().out.strip() == "3"  # the Berlin profiles of 12


def test_hundred_thousand_way_or_is_refused_quickly(
    world_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, job_text(any_of(100_000)))
    assert path.stat().st_size < limits.MAX_JOB_FILE_BYTES
    started = time.monotonic()
    line = refused(world_store, path, capsys)
    assert time.monotonic() - started < 10  # it took 52 s, then a 2 MB traceback
    assert line.endswith("job.rules: more than 10,000 conditions and groups (the limit)")


def test_too_many_values_in_one_tree_are_refused(
    world_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    three_lists = {
        "combinator": "or",
        "rules": [
            {"field": "city", "operator": "in", "value": [f"c{i}" for i in range(7_000)]}
            for _ in range(3)
        ],
    }
    line = refused(world_store, write(tmp_path, job_text(three_lists)), capsys)
    assert "more than 20,000 values in all conditions together (the limit" in line
    commas = {"field": "city", "operator": "in", "value": "," * 20_001}
    line = refused(world_store, write(tmp_path, job_text(nested(1, commas))), capsys)
    assert "more than 20,000 values" in line


def test_overflowing_limit_is_refused_at_validation(
    world_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, job_text(limit=2**63))
    line = refused(world_store, path, capsys)
    assert "job.limit: must be a whole number from 0 to 9223372036854775807" in line
    with pytest.raises(JobFileError, match=r"job\.limit"):
        Job.from_dict({"database": DB, "limit": 2**63})
    assert Job.from_dict({"database": DB, "limit": 2**63 - 1}).limit == 2**63 - 1


@pytest.mark.parametrize(
    ("number", "words"),
    [
        ("1" + "0" * 25, "beyond the 64-bit range"),
        ("1" * 5000, "beyond the 64-bit range"),  # past Python's 4,300-digit int limit
        ("1e999", "too large for a decimal number"),
        ("NaN", "NaN is not a number a job file may hold"),
        ("-Infinity", "-Infinity is not a number"),
    ],
)
def test_numbers_a_job_file_cannot_hold_are_refused(
    world_store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    number: str,
    words: str,
) -> None:
    text = job_text().replace('"value":"Lyon"', f'"value":{number}')
    assert number in text
    assert words in refused(world_store, write(tmp_path, text), capsys)


# -- values of conditions and updates -----------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ({"field": "bonus_points", "operator": "=", "value": 2**63}, "beyond the 64-bit range"),
        ({"field": "bonus_points", "operator": ">", "value": "9" * 40}, "beyond the 64-bit"),
        ({"field": "score", "operator": ">", "value": "nan"}, "is not a number"),
        ({"field": "city", "operator": "=", "value": "x" * 201}, "'city' holds at most 200"),
        ({"field": "city", "operator": "contains", "value": "y" * 300}, "holds at most 200"),
        ({"field": "email", "operator": "beginsWith", "value": "e" * 256}, "at most 255"),
        ({"field": "tags", "operator": "hasTag", "value": "t" * 256}, "an item of 'tags'"),
        (
            {"field": "city", "operator": "in", "value": [f"c{i}" for i in range(10_001)]},
            "10,001 items; a list holds at most 10,000",
        ),
        (
            {"field": "$event", "operator": "had", "value": {"type": "opened", "atLeast": 2**63}},
            "atLeast must be a whole number >= 1",
        ),
    ],
)
def test_condition_values_beyond_their_columns_are_refused(
    world_store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    rule: dict[str, Any],
    words: str,
) -> None:
    line = refused(world_store, write(tmp_path, job_text(nested(1, rule))), capsys, "select")
    assert words in line


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"field": "bonus_points", "op": "set", "value": 2**63}, "beyond the 64-bit range"),
        ({"field": "bonus_points", "op": "increment", "value": -(2**63) - 1}, "64-bit"),
        ({"field": "score", "op": "increment", "value": "inf"}, "is not a number"),
        ({"field": "city", "op": "set", "value": "z" * 201}, "'city' holds at most 200"),
        ({"field": "tags", "op": "add", "value": ["t" * 256]}, "an item of 'tags'"),
        (
            {"field": "tags", "op": "set", "value": [f"t{i}" for i in range(10_001)]},
            "a list holds at most 10,000",
        ),
    ],
)
def test_update_values_beyond_their_columns_are_refused(
    world_store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: dict[str, Any],
    words: str,
) -> None:
    action = {"type": "update_fields", "changes": [change]}
    line = refused(world_store, write(tmp_path, job_text(action=action)), capsys)
    assert "job.action.changes[0].value" in line and words in line


def test_names_longer_than_their_columns_are_refused_in_one_short_line(
    world_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = json.dumps({"database": "D" * 100_000, "action": SET_LYON})
    line = refused(world_store, write(tmp_path, text), capsys)
    assert "job.database: 'DDDD" in line and "100,000 characters; names have at most 200" in line
    action = {"type": "update_subscriptions", "resource": "R" * 201, "channel": "email"}
    line = refused(world_store, write(tmp_path, job_text(action=action)), capsys)
    assert "job.action.resource: 'RRR" in line and "names have at most 200" in line


def test_unknown_names_are_quoted_short(
    world_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Names within the limit that the store does not know: the message repeats
    at most 60 characters of them (it repeated all of a 100,000-character name)."""
    text = json.dumps({"database": "N" * 200, "action": SET_LYON})
    line = refused(world_store, write(tmp_path, text), capsys)
    assert "no profile database named 'NNNN" in line and "N" * 61 not in line
    rule = {"field": "f" * 180, "operator": "=", "value": "v" * 180}
    line = refused(world_store, write(tmp_path, job_text(nested(1, rule))), capsys, "select")
    assert "unknown field 'ffff" in line and "f" * 61 not in line


@pytest.mark.parametrize("where", ["database", "rule", "update", "tag"])
def test_nul_characters_are_refused_on_both_backends(store: Store, where: str) -> None:
    """PostgreSQL text holds no NUL: it failed with a DataError traceback."""
    build_world(store, n=4)
    nul_rule = {"field": "city", "operator": "contains", "value": "a\x00b"}
    docs: dict[str, dict[str, Any]] = {
        "database": {"database": "Test\x00customers", "action": SET_LYON},
        "rule": {"database": DB, "rules": nested(1, nul_rule), "action": SET_LYON},
        "update": {"database": DB, "action": upd({"field": "city", "op": "set", "value": "\x00"})},
        "tag": {"database": DB, "action": upd({"field": "tags", "op": "add", "value": ["\x00"]})},
    }
    before = data_digest(store)
    with pytest.raises(job_error_types()) as caught, store.begin() as conn:
        plan_job(store, conn, Job.from_dict(docs[where]), Settings())
    assert "holds a NUL character (\\x00), which no text may hold" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert data_digest(store) == before


# -- every walk over rules is safe at any depth -----------------------------------------------
def test_rule_walks_survive_a_tree_far_deeper_than_the_recursion_limit(
    world_store: Store,
) -> None:
    deep = nested(100_000)
    assert limits.rules_problem(deep) == "groups are nested more than 100 deep (the limit)"
    assert has_conditions(deep) is True
    assert _rules_name_field(deep, "city") is True
    with pytest.raises(RuleError, match="nested more than 100 deep"):
        import_jquery_rules({"condition": "AND", "rules": [deep]})
    with world_store.begin() as conn:
        db_id = world_store.database_id(conn, DB)
        with pytest.raises(RuleError) as caught:
            check(world_store, conn, SelectionSpec(db_id, deep))
    assert str(caught.value) == (
        "invalid selection: rules: groups are nested more than 100 deep (the limit)"
    )


def test_ten_thousand_way_or_compiles_balanced(store: Store) -> None:
    """SQLite refused 999 ORs ("Expression tree is too large"); the limit of
    10,000 conditions is counted on both backends."""
    build_world(store, n=12)
    rules = any_of(limits.MAX_RULE_NODES - 1)
    rules["rules"].append({"field": "city", "operator": "=", "value": "Paris"})
    with store.begin() as conn:
        db_id = store.database_id(conn, DB)
        assert count(store, conn, SelectionSpec(db_id, rules)) == 3


# -- the helpers themselves ----------------------------------------------------------------------
def test_quote_keeps_any_value_short() -> None:
    assert limits.quote("Berlin") == "'Berlin'"
    assert limits.quote("x" * 10_000) == "'" + "x" * 59 + "…'"
    deep: Any = []
    for _ in range(5_000):
        deep = [deep]
    assert len(limits.quote(deep)) <= limits.QUOTE_CHARS
    assert len(limits.quote(list(range(100_000)))) <= limits.QUOTE_CHARS
    assert limits.short("abc", 2) == "a…"


def test_json_depth_skips_brackets_inside_strings() -> None:
    assert limits.json_depth('{"a": "[[[[[[", "b": [1, [2]]}') == 3
    assert limits.json_depth('"\\"[[["') == 0
    assert limits.parse_json('{"a": [1, 2.5, "x"]}') == {"a": [1, 2.5, "x"]}


def test_limits_match_the_store_columns() -> None:
    """The documented name and list-item lengths are the columns' own."""
    assert m.ProfileDatabase.__table__.c.name.type.length == limits.MAX_NAME
    assert m.Segment.__table__.c.name.type.length == limits.MAX_NAME
    assert m.Resource.__table__.c.name.type.length == limits.MAX_NAME
    assert m.LoyaltyProgram.__table__.c.name.type.length == limits.MAX_NAME
    assert m.ProfileListValue.__table__.c.value.type.length == limits.MAX_LIST_ITEM_CHARS


def test_limits_are_documented() -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "limits.md").read_text("utf-8")
    for number in ("5 MB", "256", "100", "10,000", "20,000", "9,223,372,036,854,775,807", "200"):
        assert number in text, number


@pytest.mark.parametrize("where", ["database", "rule", "update", "tag", "resource"])
def test_lone_surrogates_are_refused_on_both_backends(store: Store, where: str) -> None:
    """A JSON file may write "\\ud800" (half of a UTF-16 pair): no store can hold
    it, and it was an unexpected error with exit 1 (audit)."""
    build_world(store, n=4)
    rule = {"field": "city", "operator": "=", "value": "\ud800"}
    subscribe = {
        "type": "subscribe_from_resource",
        "source_resource": "\udc00",
        "resource": "R",
        "channels": ["email"],
    }
    docs: dict[str, dict[str, Any]] = {
        "database": {"database": "Test\ud800", "action": SET_LYON},
        "rule": {"database": DB, "rules": nested(1, rule), "action": SET_LYON},
        "update": {
            "database": DB,
            "action": upd({"field": "city", "op": "set", "value": "a\udc00"}),
        },
        "tag": {"database": DB, "action": upd({"field": "tags", "op": "add", "value": ["\ud83d"]})},
        "resource": {"database": DB, "action": subscribe},
    }
    before = data_digest(store)
    with pytest.raises(job_error_types()) as caught, store.begin() as conn:
        plan_job(store, conn, Job.from_dict(docs[where]), Settings())
    assert "holds half of a UTF-16 pair (a lone surrogate), which is no character" in str(
        caught.value
    )
    assert data_digest(store) == before
