"""CSV export of a selection and of a task (core.export), on both backends.

A small hand-made database holds one value of every kind an export has to
write well: formula triggers in text, negative numbers in numeric fields,
NULLs, dates, booleans, list fields and non-ASCII text.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jobs_helpers import DB, Recorder, make_task, settings
from sqlalchemy import delete, event, insert, select, update

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.errors import TaskError
from bulkprofiles_gui.core.export import (
    ExportCancelled,
    ExportError,
    csv_cell,
    export_selection,
    export_task,
    task_columns,
)
from bulkprofiles_gui.core.fields import FieldType
from bulkprofiles_gui.core.jobfile import Job
from bulkprofiles_gui.core.jobs import run_task
from bulkprofiles_gui.core.selection import SelectionSpec
from bulkprofiles_gui.core.store import Store

SYSTEM_KEYS = [
    "id",
    "email",
    "phones",
    "first_name",
    "last_name",
    "birthday",
    "gender",
    "city",
    "country",
    "registered_at",
    "created_at",
    "updated_at",
    "last_interaction_at",
]
CUSTOM_KEYS = ["points", "ratio", "note", "vip", "seen_on", "tags"]
#: (first_name, note) pairs, one profile each: every formula trigger in text.
TRIGGER_TEXTS = ["=SUM(A1:A9)", "+49 30 1234", "-5", "@SUM(A1)", "\tcmd", "\rcmd"]
SET_PARIS = {"type": "update_fields", "changes": [{"field": "city", "op": "set", "value": "Paris"}]}


@dataclass
class ExportWorld:
    database_id: int
    ids: list[int]


def _insert(store: Store, rows: list[dict[str, Any]]) -> list[int]:
    with store.begin() as conn:
        return [
            int(
                conn.execute(
                    insert(store.profiles).values(**row).returning(store.profiles.c.id)
                ).scalar_one()
            )
            for row in rows
        ]


@pytest.fixture
def world(store: Store) -> ExportWorld:
    """'Test customers': 3 described profiles, then one per formula trigger."""
    with store.begin() as conn:
        db_id = store.create_database(conn, DB)
        store.add_custom_field(conn, db_id, "points", "Points", FieldType.INTEGER)
        store.add_custom_field(conn, db_id, "ratio", "Ratio", FieldType.FLOAT)
        store.add_custom_field(conn, db_id, "note", "Note", FieldType.STRING)
        store.add_custom_field(conn, db_id, "vip", "VIP", FieldType.BOOLEAN)
        store.add_custom_field(conn, db_id, "seen_on", "Seen on", FieldType.DATE)
        store.add_custom_field(conn, db_id, "tags", "Tags", FieldType.TAGS)
        fields = {f.key: f for f in store.fields(conn, db_id)}
    col = {k: f.column_name for k, f in fields.items() if f.column_name}
    stamp = dt.datetime(2024, 1, 2, 3, 4, 5)
    described = [
        {
            "email": "anna@example.com",
            "first_name": "Anna",
            "city": "Zürich",
            "registered_at": stamp,
            "birthday": dt.date(1990, 2, 28),
            col["points"]: -5,
            col["ratio"]: -1.5,
            col["note"]: "plain",
            col["vip"]: True,
            col["seen_on"]: dt.date(2024, 2, 29),
        },
        {  # every optional value NULL
            "first_name": None,
            col["vip"]: False,
        },
        {
            "first_name": "Łucja 東京",
            "last_name": 'O"Brien, Jr.',
            "city": "Düsseldorf",
            col["points"]: 7,
        },
    ]
    triggered = [{"first_name": text, col["note"]: text} for text in TRIGGER_TEXTS]
    ids = _insert(store, [{"database_id": db_id, **row} for row in described + triggered])
    lists = [
        (ids[0], "tags", "vip"),
        (ids[0], "tags", "berlin"),
        (ids[0], "phones", "+4930222"),
        (ids[0], "phones", "+4930111"),
        (ids[2], "tags", "neu"),
    ]
    with store.begin() as conn:
        conn.execute(
            insert(m.ProfileListValue),
            [{"profile_id": pid, "field_id": fields[key].id, "value": v} for pid, key, v in lists],
        )
        other = store.create_database(conn, "Other customers")
        conn.execute(insert(store.profiles).values(database_id=other, first_name="Not me"))
    return ExportWorld(db_id, ids)


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """A folder for the exports alone (the SQLite store lives in tmp_path)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _by_id(rows: list[list[str]]) -> dict[int, dict[str, str]]:
    header = rows[0]
    return {int(r[header.index("id")]): dict(zip(header, r, strict=True)) for r in rows[1:]}


def _everything(world: ExportWorld) -> SelectionSpec:
    return SelectionSpec(database_id=world.database_id)


# --- selection -----------------------------------------------------------------------------


def test_default_is_id_and_every_field_of_the_database_only(
    store: Store, world: ExportWorld, out_dir: Path
) -> None:
    out = out_dir / "all.csv"
    assert export_selection(store, _everything(world), out) == len(world.ids)
    rows = _read(out)
    assert rows[0] == SYSTEM_KEYS + CUSTOM_KEYS
    assert [int(r[0]) for r in rows[1:]] == world.ids  # by id, the other database left out


def test_chosen_columns_in_the_order_given(store: Store, world: ExportWorld, out_dir: Path) -> None:
    out = out_dir / "chosen.csv"
    export_selection(store, _everything(world), out, ["city", "id", "tags"])
    rows = _read(out)
    assert rows[0] == ["city", "id", "tags"]
    assert rows[1] == ["Zürich", str(world.ids[0]), "berlin;vip"]


def test_list_fields_are_sorted_and_joined_with_semicolons(
    store: Store, world: ExportWorld, out_dir: Path
) -> None:
    out = out_dir / "lists.csv"
    export_selection(store, _everything(world), out, ["id", "tags", "phones"])
    rows = _by_id(_read(out))
    assert rows[world.ids[0]]["tags"] == "berlin;vip"
    # a phone list starts with "+": text, so it is escaped like any other text
    assert rows[world.ids[0]]["phones"] == "'+4930111;+4930222"
    assert rows[world.ids[1]]["tags"] == rows[world.ids[1]]["phones"] == ""
    assert rows[world.ids[2]]["tags"] == "neu"


def test_every_formula_trigger_in_text_is_escaped_and_numbers_are_not(
    store: Store, world: ExportWorld, out_dir: Path
) -> None:
    out = out_dir / "formulas.csv"
    export_selection(store, _everything(world), out, ["id", "first_name", "note", "points"])
    rows = _by_id(_read(out))
    triggered = world.ids[3:]
    for profile_id, text in zip(triggered, TRIGGER_TEXTS, strict=True):
        assert rows[profile_id]["first_name"] == "'" + text
        assert rows[profile_id]["note"] == "'" + text
    assert rows[world.ids[0]]["points"] == "-5"  # a number field: never escaped
    assert rows[world.ids[0]]["note"] == "plain"
    assert csv_cell(-1.5) == -1.5 and csv_cell("-1.5") == "'-1.5"


def test_nulls_dates_booleans_and_floats(store: Store, world: ExportWorld, out_dir: Path) -> None:
    out = out_dir / "values.csv"
    export_selection(store, _everything(world), out)
    rows = _by_id(_read(out))
    anna, empty = rows[world.ids[0]], rows[world.ids[1]]
    assert anna["registered_at"] == "2024-01-02T03:04:05"
    assert (anna["birthday"], anna["seen_on"]) == ("1990-02-28", "2024-02-29")
    assert (anna["vip"], empty["vip"]) == ("true", "false")
    assert anna["ratio"] == "-1.5"
    for key in ("email", "first_name", "birthday", "registered_at", "points", "ratio", "seen_on"):
        assert empty[key] == "", key


def test_unicode_and_quotes_survive_a_round_trip(
    store: Store, world: ExportWorld, out_dir: Path
) -> None:
    out = out_dir / "unicode.csv"
    export_selection(store, _everything(world), out, ["id", "first_name", "last_name", "city"])
    assert out.read_bytes().decode("utf-8")  # UTF-8, no other encoding
    row = _by_id(_read(out))[world.ids[2]]
    assert (row["first_name"], row["last_name"], row["city"]) == (
        "Łucja 東京",
        'O"Brien, Jr.',
        "Düsseldorf",
    )


@pytest.mark.parametrize(
    "columns, message",
    [
        (["id", "town"], "unknown column 'town' (known: id, email, phones,"),
        (["id", "id"], "column 'id' is named twice"),
        ([], "choose at least one column"),
    ],
)
def test_wrong_columns_are_refused_and_nothing_is_written(
    store: Store, world: ExportWorld, out_dir: Path, columns: list[str], message: str
) -> None:
    fresh, existing = out_dir / "fresh.csv", out_dir / "existing.csv"
    existing.write_text("keep me\n", encoding="utf-8")
    for target in (fresh, existing):
        with pytest.raises(ExportError) as caught:
            export_selection(store, _everything(world), target, columns)
        assert message in str(caught.value)
        assert len(str(caught.value).splitlines()) == 1
    assert not fresh.exists()
    assert existing.read_text(encoding="utf-8") == "keep me\n"
    assert sorted(p.name for p in out_dir.iterdir()) == ["existing.csv"]


def test_dash_writes_to_standard_output(
    store: Store, world: ExportWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    assert export_selection(store, _everything(world), "-", ["id", "city"]) == len(world.ids)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "id,city"
    assert lines[1] == f"{world.ids[0]},Zürich"
    assert len(lines) == len(world.ids) + 1


def test_a_job_selects_with_rules_and_limit(
    store: Store, world: ExportWorld, out_dir: Path
) -> None:
    job = Job(
        database=DB,
        rules={"combinator": "and", "rules": [{"field": "note", "operator": "notNull"}]},
        limit=3,
    )
    out = out_dir / "job.csv"
    assert export_selection(store, job, out, ["id", "note"]) == 3
    assert _read(out)[1:] == [
        [str(world.ids[0]), "plain"],
        [str(world.ids[3]), "'=SUM(A1:A9)"],
        [str(world.ids[4]), "'+49 30 1234"],
    ]


def test_rows_stream_in_chunks_with_one_list_query_per_chunk(
    store: Store, world: ExportWorld, out_dir: Path
) -> None:
    """Set-based: the statements run do not grow with the number of profiles."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        export_selection(store, _everything(world), out_dir / "a.csv", ["id", "tags"], chunk=4)
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    list_queries = [s for s in statements if "profile_list_values" in s]
    assert len(list_queries) == 3  # 9 profiles in chunks of 4
    assert sum("FROM profiles" in s for s in statements) == 1


def test_progress_is_reported_and_cancel_leaves_no_file(
    store: Store, world: ExportWorld, out_dir: Path
) -> None:
    recorder = Recorder()
    out = out_dir / "progress.csv"
    assert export_selection(store, _everything(world), out, state=recorder.state, chunk=4) == 9
    assert [(p.done, p.total) for p in recorder.reports] == [(4, 9), (8, 9), (9, 9)]

    cancelling = Recorder(cancel_after=1)
    target = out_dir / "cancelled.csv"
    with pytest.raises(ExportCancelled):
        export_selection(store, _everything(world), target, state=cancelling.state, chunk=4)
    assert not target.exists()
    assert sorted(p.name for p in out_dir.iterdir()) == ["progress.csv"]


def test_a_target_that_cannot_be_written_is_one_line(
    store: Store, world: ExportWorld, out_dir: Path
) -> None:
    with pytest.raises(ExportError, match=r"^cannot write .*: no folder "):
        export_selection(store, _everything(world), out_dir / "none" / "x.csv")
    (out_dir / "folder.csv").mkdir()
    with pytest.raises(ExportError, match=r"^cannot write .*folder\.csv: "):
        export_selection(store, _everything(world), out_dir / "folder.csv")
    assert sorted(p.name for p in out_dir.iterdir()) == ["folder.csv"]  # no temp file left


def test_the_demo_selection_matches_hand_written_sql(demo_store: Store, out_dir: Path) -> None:
    job = Job(
        database="Demo customers",
        rules={
            "combinator": "and",
            "rules": [{"field": "city", "operator": "=", "value": "Berlin"}],
        },
    )
    out = out_dir / "berlin.csv"
    written = export_selection(demo_store, job, out, ["id", "email", "city", "phones"])
    p = demo_store.profiles
    with demo_store.begin() as conn:
        expected = conn.execute(
            select(p.c.id, p.c.email).where(p.c.city == "Berlin").order_by(p.c.id)
        ).all()
    rows = _read(out)
    assert written == len(expected) == len(rows) - 1 > 0
    assert [(int(r[0]), r[1] or None) for r in rows[1:]] == [(i, e) for i, e in expected]
    assert {r[2] for r in rows[1:]} == {"Berlin"}
    assert all(r[3] == "" or r[3].startswith("'+") for r in rows[1:])


# --- task ------------------------------------------------------------------------------------


def _run_task(store: Store, world: ExportWorld) -> int:
    """A task over the first 5 profiles, cancelled after the first batch of 2."""
    task_id = make_task(store, SET_PARIS, world.ids[:5])
    run_task(store, task_id, Recorder(cancel_after=2).state, settings=settings(batch_size=2))
    return task_id


def test_task_export_has_outcomes_as_before(
    store: Store, world: ExportWorld, out_dir: Path
) -> None:
    task_id = _run_task(store, world)
    out = out_dir / "task.csv"
    assert export_task(store, task_id, out) == 5
    rows = _read(out)
    assert rows[0] == ["profile_id", "outcome", "reason", "reason_text"]
    assert [r[:2] for r in rows[1:]] == [
        [str(world.ids[0]), "changed"],
        [str(world.ids[1]), "changed"],
        [str(world.ids[2]), "not_processed"],
        [str(world.ids[3]), "not_processed"],
        [str(world.ids[4]), "not_processed"],
    ]
    assert rows[3][2:] == ["", "the task stopped before this profile"]


def test_task_export_with_columns_and_a_profile_deleted_since(
    store: Store, world: ExportWorld, out_dir: Path
) -> None:
    task_id = _run_task(store, world)
    with store.begin() as conn:
        conn.execute(delete(store.profiles).where(store.profiles.c.id == world.ids[0]))
    out = out_dir / "task.csv"
    columns = ["email", "city", "tags", "points", "note"]
    assert export_task(store, task_id, out, columns) == 5
    rows = _read(out)
    assert rows[0] == ["profile_id", "outcome", "reason", "reason_text", *columns]
    assert rows[1] == [str(world.ids[0]), "changed", "", "", "", "", "", "", ""]
    assert rows[2][4:] == ["", "Paris", "", "", ""]
    assert rows[3] == [
        str(world.ids[2]),
        "not_processed",
        "",
        "the task stopped before this profile",
        "",
        "Düsseldorf",
        "neu",
        "7",
        "",
    ]
    assert rows[5][4:] == ["", "", "", "", "'+49 30 1234"]


def test_task_export_skipped_reason_and_list_only_columns(
    store: Store, world: ExportWorld, out_dir: Path
) -> None:
    task_id = make_task(store, SET_PARIS, world.ids[:2])
    run_task(store, task_id, Recorder().state, settings=settings())
    again = make_task(store, SET_PARIS, world.ids[:2])
    run_task(store, again, Recorder().state, settings=settings())
    out = out_dir / "again.csv"
    assert export_task(store, again, out, ["tags"]) == 2
    assert _read(out)[1:] == [
        [str(world.ids[0]), "skipped", "unchanged", "already had the new value", "berlin;vip"],
        [str(world.ids[1]), "skipped", "unchanged", "already had the new value", ""],
    ]


def test_task_export_refuses_unknown_columns_and_tasks(
    store: Store, world: ExportWorld, out_dir: Path
) -> None:
    task_id = _run_task(store, world)
    out = out_dir / "task.csv"
    with pytest.raises(ExportError, match=r"^unknown column 'town' \(known: id, email"):
        export_task(store, task_id, out, ["email", "town"])
    with pytest.raises(TaskError, match="no task with id 999"):
        export_task(store, 999, out)
    assert not out.exists()
    assert [f.key for f in task_columns(store, task_id)] == SYSTEM_KEYS + CUSTOM_KEYS


def test_task_export_to_standard_output(
    store: Store, world: ExportWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    task_id = _run_task(store, world)
    assert export_task(store, task_id, "-", ["city"]) == 5
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "profile_id,outcome,reason,reason_text,city"
    assert lines[1] == f"{world.ids[0]},changed,,,Paris"


def test_task_export_writes_other_outcomes_as_they_are(
    store: Store, world: ExportWorld, out_dir: Path
) -> None:
    """An import task's "added" / "updated" are outcomes of their own, not skips."""
    task_id = make_task(store, SET_PARIS, world.ids[:3])
    tp = m.TaskProfile.__table__
    with store.begin() as conn:
        for position, outcome in enumerate(["added", "updated", "already_exists"]):
            conn.execute(
                update(tp)
                .where(tp.c.task_id == task_id, tp.c.profile_id == world.ids[position])
                .values(outcome=outcome)
            )
    out = out_dir / "import.csv"
    export_task(store, task_id, out)
    assert [r[1:] for r in _read(out)[1:]] == [
        ["added", "", ""],
        ["updated", "", ""],
        ["skipped", "already_exists", "a profile already matches (mode: add new only)"],
    ]


@pytest.mark.parametrize("text", ["=1+2", "'=1+2", "''=1+2", "'quoted", "'", "", "+49", "plain"])
def test_spreadsheet_escaping_reads_back_as_it_was_written(text: str) -> None:
    from bulkprofiles_gui.core.csvcells import FORMULA_TRIGGERS, escape_text, unescape_text

    written = escape_text(text)
    assert unescape_text(written) == text
    assert not written.startswith(FORMULA_TRIGGERS)  # never a formula to a spreadsheet
