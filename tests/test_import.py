"""The CSV import (core/importer) on both backends: reading, mapping, modes,
validation and rejects, duplicates, lists, subscription, triggers, dry run,
cancel and resume."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path
from typing import Any

import pytest
from action_helpers import (
    World,
    add_profile,
    add_subscription,
    add_trigger,
    make_world,
    table_digest,
)
from jobs_helpers import DisplayGone
from sqlalchemy import func, select

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.fields import FieldType
from bulkprofiles_gui.core.importer import (
    MERGING,
    STAGING,
    ImportFileError,
    ImportSpec,
    Subscribe,
    auto_mapping,
    import_summary,
    infer_type,
    key_for_column,
    prepare_import,
    run_import,
    run_import_task,
    sniff,
)
from bulkprofiles_gui.core.importer import runner as import_runner
from bulkprofiles_gui.core.jobs import TaskError
from bulkprofiles_gui.core.progress import JobState, Progress
from bulkprofiles_gui.core.store import Store

DB = "Customers"


@pytest.fixture
def world(store: Store) -> World:
    return make_world(store)


def write_csv(
    path: Path, rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return path


def profiles_by_email(world: World) -> dict[str, dict[str, Any]]:
    store = world.store
    with store.begin() as conn:
        fields = {f.key: f for f in store.fields(conn, world.db_id)}
        rows = conn.execute(
            select(store.profiles).where(store.profiles.c.database_id == world.db_id)
        ).mappings()
        found: dict[str, dict[str, Any]] = {}
        for r in rows:
            values = {k: r[f.column_name] for k, f in fields.items() if f.column_name}
            found[str(r["email"])] = values
        lists = conn.execute(
            select(store.profiles.c.email, m.ProfileListValue.field_id, m.ProfileListValue.value)
            .join(m.ProfileListValue, m.ProfileListValue.profile_id == store.profiles.c.id)
            .where(store.profiles.c.database_id == world.db_id)
            .order_by(m.ProfileListValue.value)
        ).all()
    keys = {f.id: k for k, f in fields.items()}
    for email, field_id, value in lists:
        found[str(email)].setdefault(keys[field_id], []).append(value)
    return found


def do_import(world: World, path: Path, **options: Any) -> Any:
    dry_run = options.pop("dry_run", False)
    spec = ImportSpec(file=str(path), database=DB, **options)
    return run_import(world.store, spec, JobState(), dry_run=dry_run)


def read_rejects(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# -- reading the file ---------------------------------------------------------------
def test_sniff_detects_bom_semicolon_and_tab(tmp_path: Path) -> None:
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffemail;city\na@x.de;Köln\n".encode())
    fmt = sniff(bom)
    assert (fmt.encoding, fmt.delimiter) == ("utf-8-sig", ";")
    tab = write_csv(tmp_path / "tab.csv", [["email", "city"], ["a@x.de", "Berlin"]], delimiter="\t")
    assert sniff(tab).delimiter == "\t"


def test_non_utf8_file_is_refused_with_a_hint_and_works_with_its_encoding(
    world: World, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "latin.csv", [["email", "city"], ["a@x.de", "Düsseldorf"]], encoding="cp1252"
    )
    with pytest.raises(ImportFileError, match=r"not UTF-8 text.*--encoding"):
        sniff(path)
    summary = do_import(world, path, encoding="cp1252")
    assert summary.added == 1
    assert profiles_by_email(world)["a@x.de"]["city"] == "Düsseldorf"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (["email", "city", "email"], "appears twice"),
        (["email", "", "city"], "column 2 of the header has no name"),
        (["nothing", "known"], "no column maps to a field"),
        (["city"], "no column maps to the match field 'email'"),
    ],
)
def test_broken_header_is_refused_and_writes_nothing(
    world: World, tmp_path: Path, header: list[str], message: str
) -> None:
    path = write_csv(tmp_path / "bad.csv", [header, ["a@x.de"] * len(header)])
    before = table_digest(world.store)
    with pytest.raises(ImportFileError, match=message):
        prepare_import(world.store, ImportSpec(file=str(path), database=DB))
    assert table_digest(world.store) == before
    with world.store.begin() as conn:
        assert conn.execute(select(func.count()).select_from(m.Task)).scalar_one() == 0


def test_empty_file_and_missing_file_are_one_line(world: World, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ImportFileError, match="empty"):
        prepare_import(world.store, ImportSpec(file=str(empty), database=DB))
    with pytest.raises(ImportFileError, match="no such file"):
        prepare_import(world.store, ImportSpec(file=str(tmp_path / "nope.csv"), database=DB))


def test_columns_map_by_key_or_label_ignoring_case_and_separators(world: World) -> None:
    with world.store.begin() as conn:
        fields = world.store.fields(conn, world.db_id)
    header = ["firstName", "LAST-NAME", "Registration date", "push id", "unknown"]
    assert auto_mapping(header, fields) == {
        "firstName": "first_name",
        "LAST-NAME": "last_name",
        "Registration date": "registered_at",
        "push id": "push_id",
        "unknown": None,
    }


def test_operator_mapping_overrides_and_conflicts_are_refused(world: World, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", [["email", "town", "city"], ["a@x.de", "Paris", "Rome"]])
    summary = do_import(world, path, mapping={"town": "city", "city": None})
    assert summary.added == 1
    assert profiles_by_email(world)["a@x.de"]["city"] == "Paris"
    with pytest.raises(ImportFileError, match="both map to field 'city'"):
        prepare_import(
            world.store,
            ImportSpec(file=str(path), database=DB, mapping={"town": "city", "city": "city"}),
        )
    with pytest.raises(ImportFileError, match="no field 'nope'"):
        prepare_import(
            world.store, ImportSpec(file=str(path), database=DB, mapping={"town": "nope"})
        )


def test_type_inference_and_keys_for_new_fields() -> None:
    assert infer_type(["1", "-20", ""]) is FieldType.INTEGER
    assert infer_type(["1.5", "2"]) is FieldType.FLOAT
    assert infer_type(["yes", "No", "TRUE"]) is FieldType.BOOLEAN
    # what the boolean converter reads (audit: yes/no/1/0 became a text field)
    assert infer_type(["yes", "1", "0", "no"]) is FieldType.BOOLEAN
    assert infer_type(["1", "0", "1"]) is FieldType.INTEGER
    assert infer_type(["10115", "01067"]) is FieldType.STRING  # a leading zero: a code
    assert infer_type(["2024-01-31", "2023-12-01"]) is FieldType.DATE
    assert infer_type(["2024-01-31T10:00", "2023-12-01 08:30:00"]) is FieldType.DATETIME
    assert infer_type(["2024-01-31", "soon"]) is FieldType.STRING
    assert infer_type(["", " "]) is FieldType.STRING
    assert key_for_column("loyaltyLevel") == "loyalty_level"
    assert key_for_column("External ID") == "external_id"
    assert key_for_column("2nd phone") == "f_2nd_phone"


def test_a_leading_zero_in_a_number_field_is_a_reject_not_a_lost_digit(
    world: World, tmp_path: Path
) -> None:
    """Guessed from the first 1,000 values, a field was integer; a later 01067
    was stored as 1067 without a word (audit)."""
    rows = [["email", "zip"], *([f"l{i}@x.de", str(10115 + i)] for i in range(1000))]
    path = write_csv(tmp_path / "late.csv", [*rows, ["late@x.de", "01067"]])
    rejects = tmp_path / "rejects.csv"
    summary = do_import(world, path, create_fields=True, rejects=str(rejects))
    assert (summary.added, summary.not_imported) == (1000, {"rejected": 1})
    assert "late@x.de" not in profiles_by_email(world)
    [reject] = read_rejects(rejects)
    assert (reject["line"], reject["column"], reject["value"]) == ("1002", "zip", "01067")
    assert "a leading zero: a code, not a number" in reject["reason"]


def test_a_column_whose_field_another_column_fills_is_no_new_field(
    world: World, tmp_path: Path
) -> None:
    """City and city with --create-fields: City filled field city and city
    silently became a new field city_2 (audit); mapped or skipped, it is fine."""
    path = write_csv(tmp_path / "c.csv", [["email", "City", "city"], ["a@x.de", "Rome", "Oslo"]])
    with pytest.raises(ImportFileError, match=r"column 'city' would become a new field 'city_2'"):
        do_import(world, path, create_fields=True)
    assert profiles_by_email(world) == {}
    summary = do_import(world, path, create_fields=True, mapping={"city": None})
    assert summary.added == 1 and summary.new_fields == []


def test_create_fields_makes_typed_custom_fields(world: World, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "new.csv",
        [
            ["email", "loyaltyLevel", "score", "vip", "memberSince", "tags"],
            ["a@x.de", "gold", "12", "yes", "2024-02-03", "a;b"],
            ["b@x.de", "silver", "", "no", "", ""],
        ],
    )
    summary = do_import(world, path, create_fields=True)
    assert summary.added == 2
    assert summary.new_fields == ["loyaltyLevel", "memberSince", "score", "tags", "vip"]
    with world.store.begin() as conn:
        types = {f.key: f.type for f in world.store.fields(conn, world.db_id)}
    assert types["loyalty_level"] is FieldType.STRING
    assert types["score"] is FieldType.INTEGER
    assert types["vip"] is FieldType.BOOLEAN
    assert types["member_since"] is FieldType.DATE
    assert types["tags"] is FieldType.TAGS
    a = profiles_by_email(world)["a@x.de"]
    assert (a["score"], a["vip"], str(a["member_since"]), a["tags"]) == (
        12,
        True,
        "2024-02-03",
        ["a", "b"],
    )


def test_dry_run_creates_no_field_and_changes_nothing(world: World, tmp_path: Path) -> None:
    with world.store.begin() as conn:
        add_profile(conn, world, email="old@x.de", city="Rome")
    path = write_csv(
        tmp_path / "d.csv",
        [["email", "city", "score"], ["old@x.de", "Paris", "1"], ["new@x.de", "Oslo", "x2"]],
    )
    before = table_digest(world.store)
    summary = do_import(world, path, create_fields=True, dry_run=True)
    # "x2" makes the new score column a string field: nothing is rejected.
    assert (summary.dry_run, summary.added, summary.updated, summary.not_imported) == (
        True,
        1,
        1,
        {},
    )
    assert summary.new_fields == ["score"]
    assert table_digest(world.store) == before
    with world.store.begin() as conn:
        keys = {f.key for f in world.store.fields(conn, world.db_id)}
    assert "score" not in keys


# -- modes, empty cells, lists --------------------------------------------------------
def _existing(world: World) -> None:
    with world.store.begin() as conn:
        add_profile(
            conn, world, email="old@x.de", city="Rome", first_name="Olga", phones=("+4911111111",)
        )


@pytest.mark.parametrize(
    ("mode", "added", "updated", "skipped"),
    [
        ("add", 1, 0, {"already_exists": 1}),
        ("update", 0, 1, {"not_found": 1}),
        ("upsert", 1, 1, {}),
    ],
)
def test_modes(
    world: World, tmp_path: Path, mode: str, added: int, updated: int, skipped: dict[str, int]
) -> None:
    _existing(world)
    path = write_csv(
        tmp_path / "m.csv", [["email", "city"], ["old@x.de", "Paris"], ["new@x.de", "Oslo"]]
    )
    summary = do_import(world, path, mode=mode)
    assert (summary.added, summary.updated, summary.not_imported) == (added, updated, skipped)
    found = profiles_by_email(world)
    assert found["old@x.de"]["city"] == ("Rome" if mode == "add" else "Paris")
    assert ("new@x.de" in found) == (mode != "update")


def test_empty_cells_keep_values_unless_they_clear(world: World, tmp_path: Path) -> None:
    _existing(world)
    path = write_csv(
        tmp_path / "e.csv",
        [["email", "city", "firstName", "phones"], ["old@x.de", "", "Olivia", ""]],
    )
    do_import(world, path)
    old = profiles_by_email(world)["old@x.de"]
    assert (old["city"], old["first_name"], old["phones"]) == ("Rome", "Olivia", ["+4911111111"])
    do_import(world, path, empty_clears=True)
    old = profiles_by_email(world)["old@x.de"]
    assert (old["city"], old["first_name"], old.get("phones")) == (None, "Olivia", None)


def test_phones_and_tags_take_several_values_and_replace_the_list(
    world: World, tmp_path: Path
) -> None:
    _existing(world)
    path = write_csv(
        tmp_path / "p.csv",
        [["email", "phones"], ["old@x.de", "+49 170 1234567; +33 6 12 34 56 78;+491701234567"]],
    )
    do_import(world, path)
    assert profiles_by_email(world)["old@x.de"]["phones"] == ["+33612345678", "+491701234567"]


def test_phones_swapped_between_two_profiles_are_written_not_taken_as_unchanged(
    world: World, tmp_path: Path
) -> None:
    """The unchanged check's inner look-ups were not tied to their own row: a
    profile holding another row's phone counted as holding this row's, so a
    swap was "unchanged" on both sides (and every look-up scanned all staged
    rows: 20,000 unchanged rows took 21 s instead of 0.5 s)."""
    first = write_csv(
        tmp_path / "a.csv",
        [["email", "phones"], ["a@x.de", "+491700000001"], ["b@x.de", "+491700000002"]],
    )
    assert do_import(world, first).added == 2
    swapped = write_csv(
        tmp_path / "b.csv",
        [["email", "phones"], ["a@x.de", "+491700000002"], ["b@x.de", "+491700000001"]],
    )
    summary = do_import(world, swapped)
    assert (summary.updated, summary.unchanged) == (2, 0)
    found = profiles_by_email(world)
    assert (found["a@x.de"]["phones"], found["b@x.de"]["phones"]) == (
        ["+491700000002"],
        ["+491700000001"],
    )
    assert do_import(world, swapped).unchanged == 2  # the same file again changes nothing


# -- validation and rejects -------------------------------------------------------------
def test_invalid_rows_are_rejected_whole_with_line_column_value_reason(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "v.csv"
    path.write_text(
        "email,city,birthday,gender,phones\n"
        'ok@x.de,"Berlin, Mitte",1990-01-02,female,+4917011111\n'
        'bad@x.de,"multi\nline",1990-13-01,female,\n'
        "not-an-email,Rome,,,\n"
        "g@x.de,Rome,,robot,\n"
        "p@x.de,Rome,,,12345\n"
        "short@x.de,Rome\n",
        encoding="utf-8",
    )
    rejects = tmp_path / "rejects.csv"
    summary = do_import(world, path, rejects=str(rejects))
    assert summary.added == 1
    assert summary.not_imported == {"rejected": 5}
    found = profiles_by_email(world)
    assert set(found) == {"ok@x.de"}
    assert found["ok@x.de"]["city"] == "Berlin, Mitte"
    rows = read_rejects(rejects)
    assert [(r["line"], r["column"], r["value"]) for r in rows] == [
        ("3", "birthday", "1990-13-01"),
        ("5", "email", "not-an-email"),
        ("6", "gender", "robot"),
        ("7", "phones", "12345"),
        ("8", "", ""),
    ]
    assert "not a date" in rows[0]["reason"]
    assert "not an email address" in rows[1]["reason"]
    assert "male, female" in rows[2]["reason"]
    assert "phone" in rows[3]["reason"]
    assert "2 cells, the header 5" in rows[4]["reason"]


def test_too_long_text_and_out_of_range_integers_are_rejected(world: World, tmp_path: Path) -> None:
    with world.store.begin() as conn:
        world.store.add_custom_field(conn, world.db_id, "points", "Points", FieldType.INTEGER)
    path = write_csv(
        tmp_path / "l.csv",
        [
            ["email", "first_name", "points"],
            ["a@x.de", "x" * 201, "1"],
            ["b@x.de", "Bea", str(2**63)],
            ["c@x.de", "Cy", str(-(2**63))],
        ],
    )
    rejects = tmp_path / "r.csv"
    summary = do_import(world, path, rejects=str(rejects))
    assert summary.added == 1
    reasons = [r["reason"] for r in read_rejects(rejects)]
    assert reasons == ["longer than 200 characters", "whole number out of range (64-bit)"]


@pytest.mark.parametrize(
    ("policy", "expected_city", "skipped"), [("last", "Oslo", 1), ("reject", None, 2)]
)
def test_duplicate_keys_in_the_file(
    world: World, tmp_path: Path, policy: str, expected_city: str | None, skipped: int
) -> None:
    path = write_csv(
        tmp_path / "d.csv",
        [["email", "city"], ["a@x.de", "Rome"], ["b@x.de", "Bonn"], ["a@x.de", "Oslo"]],
    )
    rejects = tmp_path / "r.csv"
    summary = do_import(world, path, duplicates=policy, rejects=str(rejects))
    assert summary.not_imported == {"duplicate_in_file": skipped}
    found = profiles_by_email(world)
    assert found.get("a@x.de", {}).get("city") == expected_city
    assert found["b@x.de"]["city"] == "Bonn"
    assert [r["line"] for r in read_rejects(rejects)] == (["2"] if policy == "last" else ["2", "4"])


def test_sql_and_like_metacharacters_are_plain_values(world: World, tmp_path: Path) -> None:
    nasty = "Robert'); DROP TABLE profiles;-- 100%_"
    path = write_csv(tmp_path / "n.csv", [["email", "city"], ["a@x.de", nasty]])
    do_import(world, path)
    assert profiles_by_email(world)["a@x.de"]["city"] == nasty


# -- matching ---------------------------------------------------------------------------
def test_match_by_custom_field_gets_an_index(world: World, tmp_path: Path) -> None:
    with world.store.begin() as conn:
        add_profile(conn, world, email="old@x.de", push_id="P-1")
    path = write_csv(tmp_path / "c.csv", [["pushId", "city"], ["P-1", "Paris"], ["P-2", "Oslo"]])
    summary = do_import(world, path, match="push_id")
    assert (summary.added, summary.updated) == (1, 1)
    assert profiles_by_email(world)["old@x.de"]["city"] == "Paris"
    from sqlalchemy import inspect

    with world.store.begin() as conn:
        names = {ix["name"] for ix in inspect(conn).get_indexes("profiles")}
    assert any(n and n.startswith("ix_profiles_database_cf_") for n in names)


def _index_names(world: World) -> set[str]:
    """By name: SQLAlchemy's SQLite reflection skips expression indexes."""
    with world.store.begin() as conn:
        if conn.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'index'"
        else:
            query = "SELECT indexname FROM pg_indexes WHERE tablename = 'profiles'"
        return {str(name) for name in conn.exec_driver_sql(query).scalars()}


def test_emails_match_ignoring_case(world: World, tmp_path: Path) -> None:
    """ANN@Example.com added a second profile beside ann@example.com (audit):
    one person, one profile.  Rows that differ only in case are one key; the
    dry run (which makes no index) counts what the run does."""
    first = write_csv(tmp_path / "a.csv", [["email", "city"], ["ann@example.com", "A"]])
    assert do_import(world, first).added == 1
    again = write_csv(
        tmp_path / "b.csv",
        [["email", "city"], ["ANN@Example.com", "B"], ["new@x.de", "N"], ["ann@EXAMPLE.com", "C"]],
    )
    counts = ("added", "updated", "unchanged", "not_imported")
    assert "ix_profiles_email_lower" in _index_names(world)  # made by the real run
    dry = do_import(world, again, dry_run=True)
    summary = do_import(world, again)
    assert [getattr(dry, c) for c in counts] == [getattr(summary, c) for c in counts]
    assert (summary.added, summary.updated) == (1, 1)
    assert summary.not_imported == {"duplicate_in_file": 1}
    found = profiles_by_email(world)
    assert sorted(found) == ["ann@EXAMPLE.com", "new@x.de"]  # the file's spelling, last row
    assert found["ann@EXAMPLE.com"]["city"] == "C"


def test_a_dry_run_by_email_before_any_import_matches_ignoring_case_too(
    world: World, tmp_path: Path
) -> None:
    """No index of lower(email) yet and none made by a dry run: it looks the
    keys up in a temporary table of its own."""
    _existing(world)
    before = _index_names(world)
    path = write_csv(tmp_path / "d.csv", [["email", "city"], ["OLD@X.DE", "Paris"]])
    summary = do_import(world, path, dry_run=True)
    assert (summary.added, summary.updated) == (0, 1)
    assert _index_names(world) == before


def test_match_by_phone_and_by_id(world: World, tmp_path: Path) -> None:
    _existing(world)
    path = write_csv(tmp_path / "p.csv", [["phones", "city"], ["+49 1111 1111", "Paris"]])
    summary = do_import(world, path, match="phones", mode="update")
    assert summary.updated == 1
    with world.store.begin() as conn:
        pid = conn.execute(select(m.Profile.id).where(m.Profile.email == "old@x.de")).scalar_one()
    path = write_csv(tmp_path / "i.csv", [["id", "city"], [str(pid), "Lyon"], ["999999", "Nice"]])
    summary = do_import(world, path, match="id", mode="update")
    assert (summary.updated, summary.not_imported) == (1, {"not_found": 1})
    assert profiles_by_email(world)["old@x.de"]["city"] == "Lyon"
    with pytest.raises(ImportFileError, match="matching by id can only update"):
        prepare_import(world.store, ImportSpec(file=str(path), database=DB, match="id"))


def test_a_key_matching_two_profiles_is_not_imported(world: World, tmp_path: Path) -> None:
    with world.store.begin() as conn:
        add_profile(conn, world, email="twin@x.de", city="A")
        add_profile(conn, world, email="twin@x.de", city="B")
    path = write_csv(tmp_path / "t.csv", [["email", "city"], ["twin@x.de", "C"]])
    summary = do_import(world, path)
    assert summary.not_imported == {"ambiguous_match": 1}
    with world.store.begin() as conn:
        cities = set(
            conn.execute(select(m.Profile.city).where(m.Profile.email == "twin@x.de")).scalars()
        )
    assert cities == {"A", "B"}


# -- subscription and triggers ------------------------------------------------------------
def test_subscribe_respects_the_unsafe_status_rule(world: World, tmp_path: Path) -> None:
    with world.store.begin() as conn:
        pid = add_profile(conn, world, email="gone@x.de")
        add_subscription(conn, world, pid, "Newsletter", "email", "gone@x.de", "unsubscribed")
        add_trigger(conn, "subscription", resource_id=world.resources["Newsletter"])
    path = write_csv(tmp_path / "s.csv", [["email"], ["gone@x.de"], ["new@x.de"]])
    summary = do_import(world, path, subscribe=Subscribe("Newsletter", "email", "subscribed"))
    assert summary.subscriptions == {"changed": 1, "unsafe_status": 1}
    assert summary.trigger_events == 1
    with world.store.begin() as conn:
        statuses = dict(
            conn.execute(select(m.Subscription.contact, m.Subscription.status)).tuples().all()
        )
    assert statuses == {"gone@x.de": "unsubscribed", "new@x.de": "subscribed"}


def test_skip_triggers_records_none(world: World, tmp_path: Path) -> None:
    _existing(world)
    with world.store.begin() as conn:
        add_trigger(conn, "field_updated")
    path = write_csv(tmp_path / "s.csv", [["email", "city"], ["old@x.de", "Paris"]])
    assert do_import(world, path, skip_triggers=True).trigger_events == 0
    path = write_csv(tmp_path / "t.csv", [["email", "city"], ["old@x.de", "Oslo"]])
    assert do_import(world, path).trigger_events == 1


def test_subscription_to_an_unattached_resource_is_refused(world: World, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", [["email"], ["a@x.de"]])
    with pytest.raises(Exception, match="not attached"):
        prepare_import(
            world.store,
            ImportSpec(file=str(path), database=DB, subscribe=Subscribe("Elsewhere", "email")),
        )


# -- tasks: history, cancel, resume ---------------------------------------------------------
def _big_file(tmp_path: Path, n: int = 250) -> Path:
    rows = [["email", "city", "phones"]]
    rows += [[f"p{i}@x.de", f"City {i % 7}", f"+49170{i:07d}"] for i in range(n)]
    rows[10][0] = "broken"
    return write_csv(tmp_path / "big.csv", rows)


def _cancel_after(reports: int) -> JobState:
    state = JobState()
    seen = {"n": 0}

    def on_progress(_p: Any) -> None:
        seen["n"] += 1
        if seen["n"] >= reports:
            state.cancel()

    state.on_progress = on_progress
    return state


@pytest.mark.parametrize("cancel_at", [2, 5])
def test_cancelled_import_resumes_to_the_same_end_state(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cancel_at: int
) -> None:
    monkeypatch.setattr(import_runner, "STAGE_CHUNK", 40)
    monkeypatch.setattr(import_runner, "FIRST_BATCH", 60)
    monkeypatch.setattr(import_runner, "MAX_BATCH", 60)
    path = _big_file(tmp_path)
    world = make_world(store)
    spec = ImportSpec(file=str(path), database=DB, rejects=str(tmp_path / "r.csv"))
    task_id = prepare_import(store, spec)
    first = run_import_task(store, task_id, _cancel_after(cancel_at))
    assert first.status == "cancelled"
    assert first.processed < 250
    resumed = run_import_task(store, task_id, JobState())
    assert resumed.status == "completed"
    summary = import_summary(store, task_id)
    assert (summary.rows, summary.added, summary.not_imported) == (250, 249, {"rejected": 1})
    found = profiles_by_email(world)
    assert len(found) == 249
    assert found["p200@x.de"]["phones"] == ["+491700000200"]
    assert len(read_rejects(tmp_path / "r.csv")) == 1
    with store.begin() as conn:
        assert conn.execute(select(func.count()).select_from(m.TaskProfile)).scalar_one() == 249
    with pytest.raises(TaskError, match="completed"):
        run_import_task(store, task_id, JobState())


def _phases(reports: list[Progress]) -> list[str]:
    """The steps the reports name, each once, in order."""
    return [phase for phase, _ in itertools.groupby(p.phase for p in reports)]


def test_import_reports_name_their_step_staging_then_merging(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The step is in the report (``Progress.phase``), not left to be guessed
    from a count that starts again: reading the file, then merging it."""
    monkeypatch.setattr(import_runner, "STAGE_CHUNK", 40)
    monkeypatch.setattr(import_runner, "FIRST_BATCH", 60)
    monkeypatch.setattr(import_runner, "MAX_BATCH", 60)
    make_world(store)
    task_id = prepare_import(store, ImportSpec(file=str(_big_file(tmp_path)), database=DB))
    reports: list[Progress] = []
    state = JobState(on_progress=reports.append)
    assert run_import_task(store, task_id, state).status == "completed"
    assert _phases(reports) == [STAGING, MERGING]
    merging = [p for p in reports if p.phase == MERGING]
    assert merging[-1].done == merging[-1].total == 250  # every row of the file, rejects too
    assert all(p.done <= 250 for p in reports if p.phase == STAGING)


def test_an_import_resumed_after_staging_reports_merging_from_the_start(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelled while merging, then resumed: the file is not read again, and
    the very first report already says "merging" (its count does not start
    from 0, so it could not be told from a count that starts again)."""
    monkeypatch.setattr(import_runner, "STAGE_CHUNK", 40)
    monkeypatch.setattr(import_runner, "FIRST_BATCH", 60)
    monkeypatch.setattr(import_runner, "MAX_BATCH", 60)
    make_world(store)
    task_id = prepare_import(store, ImportSpec(file=str(_big_file(tmp_path)), database=DB))
    first = JobState()
    first.on_progress = lambda p: first.cancel() if p.phase == MERGING and p.done > 0 else None
    assert run_import_task(store, task_id, first).status == "cancelled"
    reports: list[Progress] = []
    resumed = run_import_task(store, task_id, JobState(on_progress=reports.append))
    assert resumed.status == "completed"
    assert _phases(reports) == [MERGING]
    assert reports[0].done > 0


def test_a_report_failing_while_an_import_ends_leaves_it_completed_and_logs_it(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The task's end is written whatever a progress report does meanwhile:
    a report raising in the ticker thread then goes to the log, not to the
    terminal as a thread's traceback, and the import stays completed."""
    import time

    from bulkprofiles_gui.core.faults import log_path

    make_world(store)
    task_id = prepare_import(store, ImportSpec(file=str(_big_file(tmp_path)), database=DB))
    real_finish = import_runner._finish

    def slow_finish(*args: Any) -> None:
        time.sleep(0.35)
        real_finish(*args)

    display = DisplayGone(monkeypatch)
    monkeypatch.setattr(import_runner, "_finish", slow_finish)
    monkeypatch.setattr(import_runner, "TICK_SECONDS", 0.1)
    summary = run_import_task(store, task_id, JobState(on_progress=display))
    assert (summary.status, summary.error) == ("completed", None)
    assert display.thread_errors == []
    logged = log_path().read_text(encoding="utf-8")
    assert "a progress report failed; the job went on without reports" in logged
    assert DisplayGone.MESSAGE in logged


def test_resume_refuses_a_changed_file(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_runner, "STAGE_CHUNK", 40)
    path = _big_file(tmp_path)
    make_world(store)
    task_id = prepare_import(store, ImportSpec(file=str(path), database=DB))
    assert run_import_task(store, task_id, _cancel_after(2)).status == "cancelled"
    with path.open("a") as fh:
        fh.write("late@x.de,Rome,\n")
    with pytest.raises(TaskError, match="changed or is gone"):
        run_import_task(store, task_id, JobState())


def test_import_task_in_the_history(world: World, tmp_path: Path) -> None:
    from bulkprofiles_gui.core.tasks import get_task, retry_job

    path = write_csv(tmp_path / "h.csv", [["email"], ["a@x.de"], ["oops"]])
    summary = do_import(world, path)
    task = get_task(world.store, summary.task_id)
    assert (task.action_label, task.status, task.selected, task.changed) == (
        "Import profiles from CSV",
        "completed",
        2,
        1,
    )
    assert task.skipped == {"rejected": 1}
    assert task.job["file"] == str(path.resolve())
    with pytest.raises(TaskError, match="is an import"):
        retry_job(world.store, summary.task_id)
    with world.store.begin() as conn:
        tables = [
            t
            for t in __import__("sqlalchemy").inspect(conn).get_table_names()
            if t.startswith("import_")
        ]
    assert tables == []  # staging tables are dropped once the import completed


def test_an_exported_file_imports_back_as_the_same_values(world: World, tmp_path: Path) -> None:
    """The export escapes text a spreadsheet would run as a formula ('+49…,
    '-x, '=…); the import takes the escape away again."""
    from bulkprofiles_gui.core.csvcells import escape_text

    rows = [["email", "city", "phones", "first_name"]]
    rows.append(
        ["a@x.de", escape_text("=SUM(A1)"), escape_text("+4917012345"), escape_text("-dash")]
    )
    rows.append(["b@x.de", "'quoted", "", "it's"])
    # a value that starts with ' before a formula character (audit: it came back without it)
    rows.append(["c@x.de", escape_text("'=1+2"), "", escape_text("''-x")])
    summary = do_import(world, write_csv(tmp_path / "e.csv", rows))
    assert summary.added == 3
    found = profiles_by_email(world)
    assert (found["c@x.de"]["city"], found["c@x.de"]["first_name"]) == ("'=1+2", "''-x")
    found = profiles_by_email(world)
    assert (found["a@x.de"]["city"], found["a@x.de"]["phones"], found["a@x.de"]["first_name"]) == (
        "=SUM(A1)",
        ["+4917012345"],
        "-dash",
    )
    assert (found["b@x.de"]["city"], found["b@x.de"]["first_name"]) == ("'quoted", "it's")


@pytest.mark.parametrize("clears", [False, True])
def test_importing_the_same_file_again_changes_nothing(
    world: World, tmp_path: Path, clears: bool
) -> None:
    _existing(world)
    with world.store.begin() as conn:
        add_trigger(conn, "field_updated")
    rows = [
        ["email", "city", "firstName", "phones"],
        ["old@x.de", "Paris", "", "+4922222222;+4911111111"],
        ["new@x.de", "", "Nina", ""],
    ]
    path = write_csv(tmp_path / "same.csv", rows)
    first = do_import(world, path, empty_clears=clears)
    assert (first.added, first.updated, first.unchanged) == (1, 1, 0)
    before = table_digest(world.store)
    again = do_import(world, path, empty_clears=clears)
    assert (again.added, again.updated, again.unchanged, again.trigger_events) == (0, 0, 2, 0)
    assert table_digest(world.store) == {**before, "trigger_events": before["trigger_events"]}
    # one value differs: that row is updated again, the other stays unchanged
    rows[2][1] = "Oslo"
    third = do_import(world, write_csv(tmp_path / "third.csv", rows), empty_clears=clears)
    assert (third.updated, third.unchanged, third.trigger_events) == (1, 1, 1)
    # a list with one phone less is a change
    rows[1][3] = "+4911111111"
    fourth = do_import(world, write_csv(tmp_path / "fourth.csv", rows), empty_clears=clears)
    assert (fourth.updated, fourth.unchanged) == (1, 1)
    assert profiles_by_email(world)["old@x.de"]["phones"] == ["+4911111111"]


def test_staged_rows_lost_in_a_server_crash_end_the_task_with_one_line(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL empties the (UNLOGGED) staging tables when it recovers from
    a crash: the resume says so and ends the task, instead of finding nothing
    to merge and calling the import completed."""
    from sqlalchemy import delete as sql_delete

    from bulkprofiles_gui.core.importer import stage
    from bulkprofiles_gui.core.importer.plan import plan_import
    from bulkprofiles_gui.core.tasks import get_task

    monkeypatch.setattr(import_runner, "FIRST_BATCH", 60)
    monkeypatch.setattr(import_runner, "MAX_BATCH", 60)
    make_world(store)
    path = _big_file(tmp_path)
    spec = ImportSpec(file=str(path), database=DB)
    task_id = prepare_import(store, spec)
    state = JobState()
    state.on_progress = lambda p: state.cancel() if 0 < p.done < p.total else None
    assert run_import_task(store, task_id, state).status == "cancelled"
    with store.begin() as conn:  # what the crash recovery does to UNLOGGED tables
        tables = stage.stage_tables(task_id, plan_import(store, conn, spec))
        for table in tables.all():
            conn.execute(sql_delete(table))
    with pytest.raises(TaskError, match="staged rows were lost"):
        run_import_task(store, task_id, JobState())
    task = get_task(store, task_id)
    assert (task.status, task.resumable) == ("failed", False)
