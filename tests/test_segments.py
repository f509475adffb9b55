"""Saved segments: create (rules validated), rename, update, delete, list per
database, clear errors; and jobs that name a segment."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import insert

from bulkprofiles_gui.core.jobfile import Job
from bulkprofiles_gui.core.segments import (
    SegmentError,
    create_segment,
    delete_segment,
    get_segment,
    list_segments,
    rename_segment,
    update_segment,
)
from bulkprofiles_gui.core.selection import RuleError, count, resolve_job_selection, selection_ids
from bulkprofiles_gui.core.store import Store, StoreError


def _rule(field: str, operator: str, value: Any) -> dict[str, Any]:
    return {
        "combinator": "and",
        "not": False,
        "rules": [{"field": field, "operator": operator, "value": value}],
    }


BERLIN = _rule("city", "=", "Berlin")


@pytest.fixture
def two_databases(store: Store) -> tuple[Store, int, int]:
    with store.begin() as conn:
        first = store.create_database(conn, "Customers")
        second = store.create_database(conn, "Partners")
        conn.execute(
            insert(store.profiles),
            [
                {
                    "database_id": first,
                    "city": "Berlin" if i % 2 else "Paris",
                    "first_name": f"p{i}",
                }
                for i in range(100)
            ],
        )
    return store, first, second


def test_create_list_rename_delete(two_databases: tuple[Store, int, int]) -> None:
    store, first, second = two_databases
    seg_id = create_segment(store, None, first, "  Berliners ", rules=BERLIN, limit=10)
    with store.begin() as conn:
        create_segment(store, conn, second, "Berliners", rules=BERLIN)  # same name, other db
    assert [(s.database_name, s.name) for s in list_segments(store)] == [
        ("Customers", "Berliners"),
        ("Partners", "Berliners"),
    ]
    only_first = list_segments(store, database_id=first)
    assert [(s.id, s.name, s.limit, s.rules) for s in only_first] == [
        (seg_id, "Berliners", 10, BERLIN)
    ]
    rename_segment(store, seg_id, "Berlin people")
    assert get_segment(store, None, first, "Berlin people").id == seg_id
    delete_segment(store, seg_id)
    assert [s.name for s in list_segments(store, database_id=first)] == []


def test_duplicate_name_in_one_database_is_refused(two_databases: tuple[Store, int, int]) -> None:
    store, first, _ = two_databases
    create_segment(store, None, first, "Berliners", rules=BERLIN)
    other = create_segment(store, None, first, "Parisians", rules=_rule("city", "=", "Paris"))
    with pytest.raises(SegmentError, match="already has a segment named 'Berliners'"):
        create_segment(store, None, first, "Berliners", rules=BERLIN)
    with pytest.raises(SegmentError, match="already has a segment named 'Berliners'"):
        rename_segment(store, other, "Berliners")
    assert len(list_segments(store, database_id=first)) == 2


def test_unknown_segment_is_a_clear_error(two_databases: tuple[Store, int, int]) -> None:
    store, first, _ = two_databases
    create_segment(store, None, first, "Berliners", rules=BERLIN)
    with pytest.raises(SegmentError, match=r"no segment named 'Nope'.*'Berliners'"):
        get_segment(store, None, first, "Nope")
    with pytest.raises(SegmentError, match="no segment with id 999"):
        rename_segment(store, 999, "x")
    with pytest.raises(SegmentError, match="no segment with id 999"):
        delete_segment(store, 999)
    with pytest.raises(SegmentError, match="needs a name"):
        create_segment(store, None, first, "   ", rules=BERLIN)
    assert isinstance(SegmentError("x"), StoreError)


def test_rules_are_validated_on_save(two_databases: tuple[Store, int, int]) -> None:
    store, first, _ = two_databases
    with pytest.raises(RuleError, match=r"rules\[0\]: unknown field 'town'"):
        create_segment(store, None, first, "Bad", rules=_rule("town", "=", "Berlin"))
    seg_id = create_segment(store, None, first, "Good", rules=BERLIN)
    with pytest.raises(RuleError, match="range"):
        update_segment(store, seg_id, rules=BERLIN, range_from=50, range_to=10)
    with pytest.raises(RuleError, match="not a whole number"):
        update_segment(store, seg_id, rules=_rule("id", ">", "many"))
    assert [s.name for s in list_segments(store)] == ["Good"]
    assert get_segment(store, None, first, "Good").rules == BERLIN


def test_update_replaces_rules_range_and_limit(two_databases: tuple[Store, int, int]) -> None:
    store, first, _ = two_databases
    seg_id = create_segment(store, None, first, "S", rules=BERLIN)
    paris = _rule("city", "=", "Paris")
    update_segment(store, seg_id, rules=paris, range_from=0, range_to=50, limit=3)
    seg = get_segment(store, None, first, "S")
    assert (seg.rules, seg.range_from, seg.range_to, seg.limit) == (paris, 0.0, 50.0, 3)
    with store.begin() as conn:
        assert count(store, conn, seg.spec()) == 3


def test_job_with_a_segment_brings_database_rules_range_limit(
    two_databases: tuple[Store, int, int],
) -> None:
    store, first, _ = two_databases
    create_segment(
        store, None, first, "Berliners", rules=BERLIN, range_from=0, range_to=50, limit=7
    )
    with store.begin() as conn:
        spec = resolve_job_selection(store, conn, Job(segment="Berliners"))
        assert (spec.database_id, spec.rules, spec.range_from, spec.range_to, spec.limit) == (
            first,
            BERLIN,
            0.0,
            50.0,
            7,
        )


def test_job_rules_are_anded_to_the_segment_and_range_limit_override(
    two_databases: tuple[Store, int, int],
) -> None:
    store, first, _ = two_databases
    create_segment(
        store, None, first, "Berliners", rules=BERLIN, range_from=0, range_to=50, limit=7
    )
    job = Job(
        database="Customers",
        segment="Berliners",
        rules=_rule("first_name", "endsWith", "1"),
        range_from=0,
        range_to=100,
        limit=0,
    )
    with store.begin() as conn:
        spec = resolve_job_selection(store, conn, job)
        assert (spec.range_from, spec.range_to, spec.limit) == (0.0, 50.0, 7)  # defaults: segment's
        ids = conn.execute(selection_ids(store, conn, spec)).scalars().all()
        p = store.profiles
        names = {
            n: c
            for n, c in conn.execute(
                p.select().with_only_columns(p.c.first_name, p.c.city).where(p.c.id.in_(ids))
            )
        }
        assert names and all(n.endswith("1") and c == "Berlin" for n, c in names.items())
        overridden = resolve_job_selection(
            store, conn, Job(segment="Berliners", range_from=10, range_to=20, limit=2)
        )
        assert (overridden.range_from, overridden.range_to, overridden.limit) == (10.0, 20.0, 2)


def test_job_naming_an_unknown_segment_or_database(two_databases: tuple[Store, int, int]) -> None:
    store, first, second = two_databases
    create_segment(store, None, first, "Berliners", rules=BERLIN)
    create_segment(store, None, second, "Twins", rules=BERLIN)
    create_segment(store, None, first, "Twins", rules=BERLIN)
    with store.begin() as conn:
        with pytest.raises(StoreError, match=r"no segment named 'Nope' in this database"):
            resolve_job_selection(store, conn, Job(database="Customers", segment="Nope"))
        with pytest.raises(StoreError, match="no segment named 'Berliners' in this database"):
            resolve_job_selection(store, conn, Job(database="Partners", segment="Berliners"))
        with pytest.raises(StoreError, match="several databases have a segment named 'Twins'"):
            resolve_job_selection(store, conn, Job(segment="Twins"))
        with pytest.raises(StoreError, match="no profile database named 'Nope'"):
            resolve_job_selection(store, conn, Job(database="Nope"))
        spec = resolve_job_selection(store, conn, Job(database="Partners", segment="Twins"))
        assert spec.database_id == second


def test_job_rules_on_a_segment_without_conditions(two_databases: tuple[Store, int, int]) -> None:
    store, first, _ = two_databases
    create_segment(store, None, first, "Everyone", rules={"combinator": "and", "rules": []})
    with store.begin() as conn:
        spec = resolve_job_selection(store, conn, Job(segment="Everyone", rules=BERLIN))
        assert count(store, conn, spec) == 50
        spec = resolve_job_selection(store, conn, Job(segment="Everyone"))
        assert count(store, conn, spec) == 100
