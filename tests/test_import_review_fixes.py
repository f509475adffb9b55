"""Findings of the import review, each fixed: SQLite date-times stored as the
rest of the app stores them, strict quoting, blank rows, keyless rows, two
imports at once, NUL bytes, the rejects file (folder, same path, formulas),
inference of codes and 64-bit ids, ``(0)`` in phones, no index in a dry run,
planning linear in the number of columns."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest
from action_helpers import World, add_profile, make_world
from sqlalchemy import inspect, select

from bulkprofiles_gui.core import manage
from bulkprofiles_gui.core.fields import FieldType
from bulkprofiles_gui.core.importer import (
    ImportFileError,
    ImportSpec,
    import_summary,
    prepare_import,
    run_import,
    run_import_task,
)
from bulkprofiles_gui.core.importer import runner as import_runner
from bulkprofiles_gui.core.progress import JobState
from bulkprofiles_gui.core.selection import SelectionSpec
from bulkprofiles_gui.core.selection import api as selection
from bulkprofiles_gui.core.store import Store

DB = "Customers"


@pytest.fixture
def world(store: Store) -> World:
    return make_world(store)


def write(path: Path, content: str) -> Path:
    path.write_bytes(content.encode())
    return path


def do_import(world: World, path: Path, **options: Any) -> Any:
    dry_run = options.pop("dry_run", False)
    return run_import(
        world.store, ImportSpec(file=str(path), database=DB, **options), JobState(), dry_run=dry_run
    )


def emails(world: World) -> list[str]:
    p = world.store.profiles
    with world.store.begin() as conn:
        return sorted(
            str(e)
            for e in conn.execute(select(p.c.email).where(p.c.database_id == world.db_id)).scalars()
        )


def staging_tables(store: Store) -> list[str]:
    with store.begin() as conn:
        return [t for t in inspect(conn).get_table_names() if t.startswith("import_")]


def cancelled_after_first_chunk(store: Store, task: int) -> None:
    state = JobState()
    state.on_progress = lambda *a, **k: state.cancel()
    assert run_import_task(store, task, state).status == "cancelled"


# 1 (SQLite): a whole-second datetime is staged by sqlite3's adapter as "2026-05-01 10:00:00",
# not SQLAlchemy's "2026-05-01 10:00:00.000000": rules, matching and "unchanged" go wrong.
def test_sqlite_datetime_is_stored_in_the_store_format(world: World, tmp_path: Path) -> None:
    do_import(world, write(tmp_path / "d.csv", "email,registered_at\na@x.de,2026-05-01T10:00:00\n"))
    rules = {
        "combinator": "and",
        "rules": [{"field": "registered_at", "operator": "=", "value": "2026-05-01T10:00:00"}],
    }
    with world.store.begin() as conn:
        assert selection.count(world.store, conn, SelectionSpec(world.db_id, rules)) == 1


def test_sqlite_datetime_same_value_is_unchanged(world: World, tmp_path: Path) -> None:
    with world.store.begin() as conn:
        add_profile(conn, world, email="a@x.de", registered_at=dt.datetime(2026, 5, 1, 10, 0))
    s = do_import(
        world, write(tmp_path / "d.csv", "email,registered_at\na@x.de,2026-05-01T10:00:00\n")
    )
    assert (s.updated, s.unchanged) == (0, 1)


def test_sqlite_datetime_match_key_finds_the_profile(world: World, tmp_path: Path) -> None:
    with world.store.begin() as conn:
        world.store.add_custom_field(conn, world.db_id, "seen", "Seen", FieldType.DATETIME)
        add_profile(conn, world, email="a@x.de", seen=dt.datetime(2026, 5, 1, 10, 0))
    s = do_import(
        world,
        write(tmp_path / "m.csv", "seen,city\n2026-05-01T10:00:00,Rome\n"),
        match="seen",
        mode="update",
    )
    assert s.updated == 1


# 2: an unbalanced quote swallows every following line into one cell, silently.
def test_unbalanced_quote_does_not_swallow_rows(world: World, tmp_path: Path) -> None:
    lines = ["email,city"] + [f"p{i}@x.de,City{i}" for i in range(10)]
    lines[3] = 'p2@x.de,"Big City'
    s = do_import(world, write(tmp_path / "q.csv", "\n".join(lines) + "\n"))
    assert s.rows == 10 or s.status == "failed"


# 3: all-empty rows (Excel's ";;") and rows with an empty match key became empty
# profiles, on every import.
def test_rows_of_empty_cells_add_no_profile(world: World, tmp_path: Path) -> None:
    s = do_import(
        world, write(tmp_path / "x.csv", "email;city;first_name\r\na@x.de;Rome;A\r\n;;\r\n;;\r\n")
    )
    assert s.added == 1


def test_empty_match_key_is_not_added_again_on_reimport(world: World, tmp_path: Path) -> None:
    path = write(tmp_path / "e.csv", "email,city\n,Berlin\na@x.de,Rome\n")
    do_import(world, path)
    assert do_import(world, path).added == 0


# 4 (PostgreSQL): two imports of the same new key at once make twin profiles.
def test_two_imports_at_once_make_no_twins(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if world.store.dialect != "postgresql":
        pytest.skip("SQLite serialises writers")
    path = write(tmp_path / "t.csv", "email,city\nnew@x.de,Berlin\n")
    store = world.store
    a = prepare_import(store, ImportSpec(file=str(path), database=DB))
    b = prepare_import(store, ImportSpec(file=str(path), database=DB))
    classified, b_done = threading.Event(), threading.Event()
    original = import_runner._insert_profiles

    def slow(conn: Any, run: Any, batch: Any) -> None:
        if run.task_id == a:
            classified.set()
            b_done.wait(20)
        original(conn, run, batch)

    monkeypatch.setattr(import_runner, "_insert_profiles", slow)
    t = threading.Thread(target=run_import_task, args=(store, a, JobState()))
    t.start()
    assert classified.wait(20)
    run_import_task(store, b, JobState())
    b_done.set()
    t.join(30)
    assert emails(world) == ["new@x.de"]


# 5: NUL: PostgreSQL fails the whole import (DataError), SQLite stores it.
@pytest.mark.parametrize(
    "content",
    ["email,city\na@x.de,Ber\x00lin\nb@x.de,Rome\n", "email,city\na\x00@x,Berlin\nb@x.de,Rome\n"],
)
def test_nul_cell_is_one_rejected_row(world: World, tmp_path: Path, content: str) -> None:
    s = do_import(world, write(tmp_path / "n.csv", content))
    assert (s.status, s.added, s.not_imported) == ("completed", 1, {"rejected": 1})


# 6: one cell over 1,000,000 characters fails the whole import; the failed task keeps its
# staging tables forever and the CLI tells the operator to resume it (impossible).
def test_failed_import_drops_staging_and_offers_no_resume(world: World, tmp_path: Path) -> None:
    from bulkprofiles_gui.commands.import_ import summary_lines

    s = do_import(world, write(tmp_path / "b.csv", "email,city\nb@x.de," + "x" * 1_000_001 + "\n"))
    assert s.status == "failed"
    assert not any("Resume with" in line for line in summary_lines(s, 1.0))
    assert staging_tables(world.store) == []


# 7: the rejects file.
def test_rejects_into_a_missing_folder_is_refused_before_import(
    world: World, tmp_path: Path
) -> None:
    target = tmp_path / "nope" / "r.csv"
    with pytest.raises(ImportFileError, match=r"no folder .*nope"):
        do_import(world, write(tmp_path / "n.csv", "email\na@x.de\nbad\n"), rejects=str(target))


def test_rejects_into_a_folder_is_refused_before_import(world: World, tmp_path: Path) -> None:
    """A folder passed every permission check (audit): the rows were then lost."""
    folder = tmp_path / "adir"
    folder.mkdir()
    with pytest.raises(ImportFileError, match=r"adir: that is a folder"):
        do_import(world, write(tmp_path / "n.csv", "email\na@x.de\nbad\n"), rejects=str(folder))
    assert emails(world) == []


def test_rejects_where_no_new_file_can_be_made_are_refused_before_import(
    world: World, tmp_path: Path
) -> None:
    """/proc refuses every new file, though root may write anywhere by permissions."""
    with pytest.raises(ImportFileError, match=r"/proc/r.csv: cannot be written"):
        do_import(world, write(tmp_path / "n.csv", "email\na@x.de\nbad\n"), rejects="/proc/r.csv")
    assert emails(world) == []


def test_rejects_that_cannot_be_written_at_the_end_go_to_the_log_folder(
    world: World, tmp_path: Path
) -> None:
    """Checked at the start, gone at the end (here a folder took its name): the
    rows not imported are kept beside the log and the summary says where and why."""
    from bulkprofiles_gui.commands.import_ import summary_lines
    from bulkprofiles_gui.core.faults import log_path
    from bulkprofiles_gui.gui.import_wizard.run_page import outcome_notes

    target = tmp_path / "r.csv"
    path = write(tmp_path / "n.csv", "email\na@x.de\nbad\n")
    spec = ImportSpec(file=str(path), database=DB, rejects=str(target))
    task = prepare_import(world.store, spec)
    target.mkdir()
    assert run_import_task(world.store, task, JobState()).status == "completed"
    s = import_summary(world.store, task)
    assert s.added == 1
    kept = log_path().parent / f"rejects-of-task-{task}.csv"
    assert s.rejects_file == str(kept)
    assert (
        s.rejects_problem == f"could not write {target}: Is a directory; written to {kept} instead"
    )
    assert kept.read_text(encoding="utf-8").splitlines()[1].startswith("3,email,bad,")
    shown = [line.split(":", 1)[1].strip() for line in summary_lines(s, 1.0) if "Rejects" in line]
    assert shown == [s.rejects_problem]
    assert outcome_notes(s) == f"Rejects: {s.rejects_problem}."
    assert "writing the rejects of task" in log_path().read_text(encoding="utf-8")


def test_a_cancelled_import_whose_rejects_failed_resumes_into_the_file_named(
    world: World, tmp_path: Path
) -> None:
    """The fallback was written into the job document, the spec a resume reads:
    the resume refused it as an unknown key (review).  It is the result's now."""
    path = write(
        tmp_path / "n.csv", "email\n" + "".join(f"a{i}@x.de\n" for i in range(50)) + "bad\n"
    )
    target = tmp_path / "r.csv"
    task = prepare_import(world.store, ImportSpec(file=str(path), database=DB, rejects=str(target)))
    target.mkdir()  # the end of this run cannot write it
    cancelled = JobState()
    cancelled.cancel()
    assert run_import_task(world.store, task, cancelled).status == "cancelled"
    assert import_summary(world.store, task).rejects_problem is not None
    target.rmdir()
    assert run_import_task(world.store, task, JobState()).status == "completed"
    summary = import_summary(world.store, task)
    assert (summary.added, summary.rejects_file, summary.rejects_problem) == (50, str(target), None)
    assert target.read_text(encoding="utf-8").splitlines()[1].startswith("52,email,bad,")


def test_rejects_file_is_not_the_input(world: World, tmp_path: Path) -> None:
    path = write(tmp_path / "n.csv", "email\na@x.de\nbad\n")
    before = path.read_bytes()
    with pytest.raises(ImportFileError, match="that is the file being imported"):
        do_import(world, path, rejects=str(path))
    assert path.read_bytes() == before


def test_rejects_file_escapes_formulas(world: World, tmp_path: Path) -> None:
    do_import(
        world,
        write(tmp_path / "n.csv", 'email,city\n"=HYPERLINK(""http://e.vil"")",x\n'),
        rejects=str(tmp_path / "r.csv"),
    )
    assert "'=HYPERLINK" in (tmp_path / "r.csv").read_text()


# 8: type inference loses data: leading zeros (postal codes) and 19-digit ids.
def test_inferred_types_keep_leading_zeros_and_19_digit_integers(
    world: World, tmp_path: Path
) -> None:
    do_import(
        world,
        write(
            tmp_path / "z.csv",
            "email,zip,ext_id\na@x.de,01067,1234567890123456789\nb@x.de,10115,2\n",
        ),
        create_fields=True,
    )
    p = world.store.profiles
    with world.store.begin() as conn:
        f = {x.key: x for x in world.store.fields(conn, world.db_id)}
        zip_, ext = conn.execute(
            select(p.c[f["zip"].column_name], p.c[f["ext_id"].column_name]).where(
                p.c.email == "a@x.de"
            )
        ).one()
    assert (str(zip_), int(ext)) == ("01067", 1234567890123456789)


# 11: "+49 (0)170 ..." lost its meaning when only the brackets were dropped.
def test_phone_with_trunk_zero_in_brackets(world: World, tmp_path: Path) -> None:
    do_import(world, write(tmp_path / "p.csv", "email,phones\na@x.de,+49 (0)170 1234567\n"))
    from bulkprofiles_gui.core import models as m

    with world.store.begin() as conn:
        assert conn.execute(select(m.ProfileListValue.value)).scalars().all() == ["+491701234567"]


# 12: a dry run builds the match index (DDL) and says nothing about subscriptions.
def test_dry_run_builds_no_index(world: World, tmp_path: Path) -> None:
    do_import(
        world,
        write(tmp_path / "i.csv", "email,push_id\na@x.de,P1\n"),
        match="push_id",
        dry_run=True,
    )
    with world.store.begin() as conn:
        names = [str(i["name"]) for i in inspect(conn).get_indexes("profiles")]
    assert not any("cf_" in n for n in names)


def test_a_dry_run_by_a_custom_field_counts_what_the_real_run_does(
    world: World, tmp_path: Path
) -> None:
    """Without the field's index (a dry run makes none) each row was a scan of
    profiles (audit: 717 s for 20,500 rows at 175,693 profiles); it looks the
    keys up in a temporary table of its own now, and counts the same."""
    path = write(tmp_path / "i.csv", "email,push_id\na@x.de,P1\nb@x.de,P2\n")
    assert do_import(world, path, match="push_id").added == 2
    update = write(tmp_path / "u.csv", "push_id,city\nP1,Rome\nP2,\nP3,Oslo\nP1,Bonn\n")
    dry = do_import(world, update, match="push_id", mode="update", dry_run=True)
    real = do_import(world, update, match="push_id", mode="update")
    counts = ("updated", "unchanged", "added", "not_imported")
    assert [getattr(dry, c) for c in counts] == [getattr(real, c) for c in counts]
    assert (real.updated, real.unchanged) == (1, 1)
    assert real.not_imported == {"duplicate_in_file": 1, "not_found": 1}


# 9: removing a field an unfinished import maps to named no one.
def test_field_usage_names_an_import_that_maps_the_field(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_runner, "STAGE_CHUNK", 2)
    rows = "email,nickname\n" + "".join(f"p{i}@x.de,n{i}\n" for i in range(6))
    path = write(tmp_path / "f.csv", rows)
    task_id = prepare_import(world.store, ImportSpec(file=str(path), database=DB))
    state = JobState()
    state.on_progress = lambda _p: state.cancel()
    assert run_import_task(world.store, task_id, state).status == "cancelled"
    with world.store.begin() as conn:
        usage = manage.field_usage(world.store, conn, world.db_id, "nickname")
    assert task_id in [t.id for t in usage.tasks]
