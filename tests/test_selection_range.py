"""Range (stable, evenly spread, before the rules) and total limit (after the
rules, first N by id), on both backends."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import insert, select

from bulkprofiles_gui.core.selection import SelectionSpec, count, preview, selection_ids, total
from bulkprofiles_gui.core.store import Store

PROFILES = 1000


@pytest.fixture
def thousand(store: Store) -> tuple[Store, int]:
    """1000 consecutive profiles; every third lives in Berlin."""
    with store.begin() as conn:
        db = store.create_database(conn, "Customers")
        other = store.create_database(conn, "Other")
        conn.execute(
            insert(store.profiles),
            [
                {"database_id": db, "city": "Berlin" if i % 3 == 0 else "Paris"}
                for i in range(PROFILES)
            ],
        )
        conn.execute(insert(store.profiles), [{"database_id": other, "city": "Berlin"}] * 50)
    return store, db


def _ids(store: Store, spec: SelectionSpec) -> list[int]:
    with store.begin() as conn:
        return list(conn.execute(selection_ids(store, conn, spec)).scalars())


def _berlin() -> dict[str, Any]:
    return {"combinator": "and", "rules": [{"field": "city", "operator": "=", "value": "Berlin"}]}


def test_ten_to_fifty_percent_of_1000_is_about_400(thousand: tuple[Store, int]) -> None:
    store, db = thousand
    picked = _ids(store, SelectionSpec(db, range_from=10, range_to=50))
    assert 380 <= len(picked) <= 420


def test_range_is_evenly_spread_over_the_ids(thousand: tuple[Store, int]) -> None:
    store, db = thousand
    picked = _ids(store, SelectionSpec(db, range_from=0, range_to=20))
    first_id = _ids(store, SelectionSpec(db))[0]
    per_tenth = [0] * 10
    for profile_id in picked:
        per_tenth[(profile_id - first_id) * 10 // PROFILES] += 1
    assert all(12 <= n <= 28 for n in per_tenth), per_tenth  # ~20 of each 100


def test_same_range_same_profiles(thousand: tuple[Store, int]) -> None:
    store, db = thousand
    spec = SelectionSpec(db, range_from=12.5, range_to=37.5)
    assert _ids(store, spec) == _ids(store, spec)


def test_disjoint_ranges_pick_disjoint_profiles_covering_all(thousand: tuple[Store, int]) -> None:
    store, db = thousand
    parts = [
        set(_ids(store, SelectionSpec(db, range_from=a, range_to=b)))
        for a, b in ((0, 30), (30, 60.5), (60.5, 100))
    ]
    assert not parts[0] & parts[1] and not parts[1] & parts[2] and not parts[0] & parts[2]
    assert parts[0] | parts[1] | parts[2] == set(_ids(store, SelectionSpec(db)))


def test_range_is_taken_before_the_rules(thousand: tuple[Store, int]) -> None:
    store, db = thousand
    in_range = set(_ids(store, SelectionSpec(db, range_from=10, range_to=50)))
    berlin = set(_ids(store, SelectionSpec(db, _berlin())))
    both = set(_ids(store, SelectionSpec(db, _berlin(), range_from=10, range_to=50)))
    assert both == in_range & berlin
    assert 110 <= len(both) <= 157  # about a third of about 400


def test_limit_keeps_the_first_matching_profiles_by_id(thousand: tuple[Store, int]) -> None:
    store, db = thousand
    berlin = _ids(store, SelectionSpec(db, _berlin()))
    limited = _ids(store, SelectionSpec(db, _berlin(), limit=25))
    assert limited == berlin[:25]
    with store.begin() as conn:
        assert count(store, conn, SelectionSpec(db, _berlin(), limit=25)) == 25
        assert count(store, conn, SelectionSpec(db, _berlin(), limit=5000)) == len(berlin)
        assert count(store, conn, SelectionSpec(db, _berlin())) == 334


def test_limit_applies_after_range_and_rules(thousand: tuple[Store, int]) -> None:
    store, db = thousand
    ranged = _ids(store, SelectionSpec(db, _berlin(), range_from=50, range_to=100))
    assert (
        _ids(store, SelectionSpec(db, _berlin(), range_from=50, range_to=100, limit=10))
        == (ranged[:10])
    )


def test_selection_ids_works_as_a_subquery(thousand: tuple[Store, int]) -> None:
    store, db = thousand
    p = store.profiles
    with store.begin() as conn:
        ids = selection_ids(store, conn, SelectionSpec(db, _berlin(), limit=7)).subquery()
        cities = conn.execute(select(p.c.city).where(p.c.id.in_(select(ids.c.id)))).scalars()
        assert list(cities) == ["Berlin"] * 7


def test_total_counts_the_whole_database(thousand: tuple[Store, int]) -> None:
    store, db = thousand
    with store.begin() as conn:
        assert total(store, conn, db) == PROFILES


def test_preview_shows_the_first_rows_with_every_field(thousand: tuple[Store, int]) -> None:
    store, db = thousand
    with store.begin() as conn:
        header, rows = preview(store, conn, SelectionSpec(db, _berlin(), limit=3), k=50)
    assert header[0] == "id" and "city" in header and "phones" in header
    assert len(rows) == 3
    city = header.index("city")
    assert [r[city] for r in rows] == ["Berlin"] * 3
    assert [r[0] for r in rows] == _ids(store, SelectionSpec(db, _berlin()))[:3]


def test_preview_stops_at_k_rows(thousand: tuple[Store, int]) -> None:
    store, db = thousand
    with store.begin() as conn:
        _header, rows = preview(store, conn, SelectionSpec(db, _berlin()), k=4)
        _header, none = preview(store, conn, SelectionSpec(db, _berlin()), k=0)
    assert [r[0] for r in rows] == _ids(store, SelectionSpec(db, _berlin()))[:4]
    assert none == []
