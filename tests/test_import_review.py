"""Review of the CSV import: behaviour pinned on both backends for odd files
and bad luck (BOM + semicolons + CRLF + quoted newlines, a header only, a late
line in another encoding, duplicate keys across chunk boundaries, text that
COPY must escape, typed values, a phone shared by two profiles, a dry run with
new fields followed by the real run, an interruption at each phase and the
resume)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from action_helpers import World, add_profile, make_world
from sqlalchemy import func, select

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.importer import (
    ImportSpec,
    csvfile,
    import_summary,
    prepare_import,
    run_import,
    run_import_task,
)
from bulkprofiles_gui.core.importer import runner as import_runner
from bulkprofiles_gui.core.progress import JobState
from bulkprofiles_gui.core.store import Store

DB = "Customers"


@pytest.fixture
def world(store: Store) -> World:
    return make_world(store)


def write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def do_import(world: World, path: Path, **options: Any) -> Any:
    dry_run = options.pop("dry_run", False)
    spec = ImportSpec(file=str(path), database=DB, **options)
    return run_import(world.store, spec, JobState(), dry_run=dry_run)


def emails(store: Store, db_id: int) -> list[str]:
    p = store.profiles
    with store.begin() as conn:
        found = conn.execute(select(p.c.email).where(p.c.database_id == db_id)).scalars()
        return sorted(str(e) for e in found)


def reject_lines(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [r["line"] for r in csv.DictReader(fh)]


def custom_values(world: World, email: str, keys: list[str]) -> tuple[Any, ...]:
    store = world.store
    with store.begin() as conn:
        fields = {f.key: f for f in store.fields(conn, world.db_id)}
        p = store.profiles
        columns = [p.c[fields[k].column_name or ""] for k in keys]
        return tuple(conn.execute(select(*columns).where(p.c.email == email)).one())


def test_header_only_completes_with_nothing_to_do(world: World, tmp_path: Path) -> None:
    summary = do_import(world, write(tmp_path / "h.csv", "email,city\n"))
    assert (summary.status, summary.rows, summary.added, summary.not_imported) == (
        "completed",
        0,
        0,
        {},
    )


def test_bom_semicolons_crlf_and_quoted_newlines_keep_physical_line_numbers(
    world: World, tmp_path: Path
) -> None:
    content = (
        "\ufeffemail;city;first_name\r\n"
        'a@x.de;"Ber\r\nlin";Anna\r\n'  # lines 2-3
        "bad;Rome;Bob\r\n"  # line 4
        "\r\n"  # line 5: blank, skipped
        'c@x.de;Oslo;"C;""x"""\r\n'  # line 6
        "d@x;Rome;D\r\n"  # line 7
    )
    rejects = tmp_path / "r.csv"
    summary = do_import(world, write(tmp_path / "b.csv", content), rejects=str(rejects))
    assert (summary.rows, summary.added, summary.not_imported) == (4, 2, {"rejected": 2})
    assert reject_lines(rejects) == ["4", "7"]
    assert emails(world.store, world.db_id) == ["a@x.de", "c@x.de"]


def test_a_late_line_in_another_encoding_is_one_reject(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The encoding is chosen from the first bytes only; a later line that does
    not decode is rejected with a reason, the others are imported."""
    monkeypatch.setattr(csvfile, "SAMPLE_BYTES", 64)
    body = "email,city\n" + "".join(f"p{i}@x.de,Köln\n" for i in range(10))
    raw = body.encode() + "late@x.de,Düsseldorf\n".encode("cp1252")
    rejects = tmp_path / "r.csv"
    summary = do_import(world, write(tmp_path / "m.csv", raw), rejects=str(rejects))
    assert (summary.added, summary.not_imported) == (10, {"rejected": 1})
    assert reject_lines(rejects) == ["12"]


def test_duplicate_keys_across_chunk_and_batch_boundaries(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_runner, "STAGE_CHUNK", 3)
    monkeypatch.setattr(import_runner, "FIRST_BATCH", 2)
    monkeypatch.setattr(import_runner, "MAX_BATCH", 2)
    rows = ["email,city"] + [f"p{i}@x.de,C{i}" for i in range(8)] + ["p1@x.de,LAST"]
    summary = do_import(world, write(tmp_path / "d.csv", "\n".join(rows) + "\n"))
    assert (summary.added, summary.not_imported) == (8, {"duplicate_in_file": 1})
    p = world.store.profiles
    with world.store.begin() as conn:
        city = conn.execute(select(p.c.city).where(p.c.email == "p1@x.de")).scalar_one()
    assert city == "LAST"


def test_text_copy_would_escape_is_stored_literally(world: World, tmp_path: Path) -> None:
    """``\\N``, tabs and backslashes are values, not COPY syntax."""
    path = write(tmp_path / "c.csv", 'email,city,first_name\na@x.de,\\N,"a\tb\\c"\n')
    do_import(world, path)
    p = world.store.profiles
    with world.store.begin() as conn:
        got = conn.execute(select(p.c.city, p.c.first_name)).one()
    assert tuple(got) == ("\\N", "a\tb\\c")


def test_typed_values_round_trip_and_a_second_import_changes_nothing(
    world: World, tmp_path: Path
) -> None:
    """Inferred types; a time zone is converted to naive UTC; 64-bit edges stay exact."""
    content = (
        "email,score,flag,day,moment,n\n"
        "a@x.de,0.1,yes,2024-02-29,2026-03-29T02:30:00+02:00,922337203685477580\n"
        "b@x.de,1e308,no,2024-01-01,2026-01-01T00:00:00Z,-922337203685477580\n"
    )
    path = write(tmp_path / "t.csv", content)
    first = do_import(world, path, create_fields=True)
    assert first.added == 2
    keys = ["score", "flag", "day", "moment", "n"]
    assert custom_values(world, "a@x.de", keys) == (
        0.1,
        True,
        dt.date(2024, 2, 29),
        dt.datetime(2026, 3, 29, 0, 30),
        922337203685477580,
    )
    assert custom_values(world, "b@x.de", keys)[:2] == (1e308, False)
    again = do_import(world, path)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)


def test_phone_match_shared_phone_is_ambiguous_and_a_second_phone_matches(
    world: World, tmp_path: Path
) -> None:
    with world.store.begin() as conn:
        add_profile(conn, world, email="a@x.de", phones=("+4917011111",))
        add_profile(conn, world, email="b@x.de", phones=("+4917011111",))
        add_profile(conn, world, email="c@x.de", phones=("+4917022222", "+4917033333"))
    path = write(tmp_path / "p.csv", "phones,city\n+4917011111,Rome\n+4917033333,Oslo\n")
    summary = do_import(world, path, match="phones")
    assert (summary.added, summary.updated, summary.not_imported) == (
        0,
        1,
        {"ambiguous_match": 1},
    )
    assert emails(world.store, world.db_id) == ["a@x.de", "b@x.de", "c@x.de"]


def test_dry_run_with_new_fields_then_the_real_run_agree(world: World, tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "email,Loyalty Level,tags\na@x.de,3,a;b\nb@x.de,4,\n")
    dry = do_import(world, path, create_fields=True, dry_run=True)
    with world.store.begin() as conn:
        assert "loyalty_level" not in {f.key for f in world.store.fields(conn, world.db_id)}
    real = do_import(world, path, create_fields=True)
    assert (
        (dry.added, dry.new_fields)
        == (real.added, real.new_fields)
        == (
            2,
            ["Loyalty Level", "tags"],
        )
    )
    assert custom_values(world, "a@x.de", ["loyalty_level"]) == (3,)


#: Where an interruption (Ctrl-C) hits: a function of each phase of the run.
PHASES = {"freeze": "_mark_duplicates", "merge": "_replace_items", "finish": "_remember_outcomes"}


@pytest.mark.parametrize("phase", list(PHASES))
def test_interrupted_at_each_phase_resumes_to_the_same_end_state(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, phase: str
) -> None:
    monkeypatch.setattr(import_runner, "STAGE_CHUNK", 5)
    monkeypatch.setattr(import_runner, "FIRST_BATCH", 4)
    monkeypatch.setattr(import_runner, "MAX_BATCH", 4)
    world = make_world(store)
    rows = ["email,city,phones"]
    rows += [f"p{i}@x.de,c{i},+49170000{i:04d}" for i in range(20)]
    rows += ["p3@x.de,LAST,", "bad,x,"]
    path = write(tmp_path / "f.csv", "\n".join(rows) + "\n")
    rejects = tmp_path / "r.csv"
    task = prepare_import(store, ImportSpec(file=str(path), database=DB, rejects=str(rejects)))
    name = PHASES[phase]
    original = getattr(import_runner, name)
    calls = {"n": 0}

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        result = original(*args, **kwargs)
        if calls["n"] == (2 if phase == "merge" else 1):  # merge: in the second batch
            raise KeyboardInterrupt
        return result

    monkeypatch.setattr(import_runner, name, interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_import_task(store, task, JobState())
    monkeypatch.setattr(import_runner, name, original)
    run_import_task(store, task, JobState())
    summary = import_summary(store, task)
    assert (summary.status, summary.added, summary.not_imported) == (
        "completed",
        20,
        {"duplicate_in_file": 1, "rejected": 1},
    )
    assert len(emails(store, world.db_id)) == 20
    with store.begin() as conn:
        assert conn.execute(select(func.count()).select_from(m.TaskProfile)).scalar_one() == 20
        # p3's later row wins and has no phone
        assert conn.execute(select(func.count()).select_from(m.ProfileListValue)).scalar_one() == 19
    assert reject_lines(rejects) == ["5", "23"]
