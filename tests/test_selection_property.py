"""Property: random rule trees select exactly what an independent Python
evaluation of the same profiles selects (SQLite, and PostgreSQL when a server
is configured; modest example count).

The evaluator below is written from the documented semantics (operators.py),
not from the compiler: empty values never match positive operators and always
match negative ones, text matches ignore (ASCII) case, a date-only value on a
date-time field is the whole day, ``not`` is the exact complement.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import pg_database_url
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.fields import STATUSES, FieldType
from bulkprofiles_gui.core.selection import SelectionSpec, selection_ids
from bulkprofiles_gui.core.store import Store, open_store

NOW = dt.datetime(2026, 7, 1, 12, 0)
CITIES = [None, "", "Berlin", "berlin", "BERLIN-Mitte", "Paris", "50%_off", "a_b", "Rome"]
LEVELS = ("bronze", "silver", "gold")
TAGS = ["vip", "new", "New", "old"]
TEXTS = ["Berlin", "berlin", "ber", "%", "_", "off", "Paris", "x", "IN-m", "a_b"]


def _population(rng: random.Random, n: int) -> list[dict[str, Any]]:
    people = []
    for _ in range(n):
        day = dt.date(2026, 6, 1) + dt.timedelta(days=rng.randrange(40))
        moment = dt.datetime(2026, 6, 1) + dt.timedelta(minutes=rng.randrange(40 * 24 * 4) * 15)
        people.append(
            {
                "city": rng.choice(CITIES),
                "age": rng.choice([None, *range(0, 61, 5)]),
                "score": rng.choice([None, -1.5, 0.0, 2.25, 10.0]),
                "level": rng.choice([None, *LEVELS]),
                "vip": rng.choice([None, True, False]),
                "seen_on": rng.choice([None, day]),
                "registered_at": rng.choice([None, moment]),
                "global_status": rng.choice(STATUSES),
                "tags": rng.sample(TAGS, rng.randrange(3)),
            }
        )
    return people


class World:
    def __init__(self, store: Store, db: int, people: dict[int, dict[str, Any]]) -> None:
        self.store, self.db, self.people = store, db, people

    def sql(self, rules: dict[str, Any]) -> set[int]:
        with self.store.begin() as conn:
            query = selection_ids(self.store, conn, SelectionSpec(self.db, rules, now=NOW))
            return set(conn.execute(query).scalars())

    def python(self, rules: dict[str, Any]) -> set[int]:
        return {pid for pid, person in self.people.items() if evaluate(rules, person)}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store_for_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """A store on SQLite and on the PostgreSQL test server."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("prop") / "store.sqlite3"
        store = open_store(f"sqlite:///{path}", create=True)
        yield store
        store.close()
        return
    for url in pg_database_url():
        store = open_store(url, create=True)
        try:
            yield store
        finally:
            store.close()


@pytest.fixture(scope="module")
def world(store_for_world: Store) -> Iterator[World]:
    store = store_for_world
    people = _population(random.Random(20260701), 80)
    with store.begin() as conn:
        db = store.create_database(conn, "Customers")
        for key, ftype, options in (
            ("age", FieldType.INTEGER, ()),
            ("score", FieldType.FLOAT, ()),
            ("level", FieldType.ENUM, LEVELS),
            ("vip", FieldType.BOOLEAN, ()),
            ("seen_on", FieldType.DATE, ()),
            ("tags", FieldType.TAGS, ()),
        ):
            store.add_custom_field(conn, db, key, key.title(), ftype, options)
        fields = {f.key: f for f in store.fields(conn, db)}
        by_id: dict[int, dict[str, Any]] = {}
        for person in people:
            row = {"database_id": db}
            for key, value in person.items():
                if key != "tags":
                    row[fields[key].column_name if key in fields else key] = value  # type: ignore[index]
            pid = conn.execute(
                insert(store.profiles).values(row).returning(store.profiles.c.id)
            ).scalar_one()
            for tag in person["tags"]:
                conn.execute(
                    insert(m.ProfileListValue).values(
                        profile_id=pid, field_id=fields["tags"].id, value=tag
                    )
                )
            by_id[pid] = person
    yield World(store, db, by_id)


# -- the independent evaluator ------------------------------------------------

NEGATIVE = {
    "!=": "=",
    "notIn": "in",
    "notBetween": "between",
    "doesNotContain": "contains",
    "doesNotBeginWith": "beginsWith",
    "doesNotEndWith": "endsWith",
    "hasNoTag": "hasTag",
}


def _day_span(value: str, is_datetime: bool) -> tuple[Any, Any]:
    """[lo, hi) of a value: a whole day for a date-only text."""
    if len(value) == 10:
        day = dt.date.fromisoformat(value)
        if not is_datetime:
            return day, day + dt.timedelta(days=1)
        start = dt.datetime(day.year, day.month, day.day)
        return start, start + dt.timedelta(days=1)
    moment = dt.datetime.fromisoformat(value)
    return moment, moment + dt.timedelta(microseconds=1)


def _positive(op: str, have: Any, value: Any, field: str) -> bool:
    if op == "=":
        if field in ("seen_on", "registered_at"):
            lo, hi = _day_span(value, field == "registered_at")
            return bool(lo <= have < hi)
        return bool(have == value)
    if op in ("contains", "beginsWith", "endsWith"):
        text, needle = have.lower(), value.lower()
        return {
            "contains": needle in text,
            "beginsWith": text.startswith(needle),
            "endsWith": text.endswith(needle),
        }[op]
    if op == "in":
        return have in value
    if op == "between":
        if field in ("seen_on", "registered_at"):
            lo = _day_span(value[0], field == "registered_at")[0]
            hi = _day_span(value[1], field == "registered_at")[1]
            return bool(lo <= have < hi)
        return bool(value[0] <= have <= value[1])
    if field in ("seen_on", "registered_at"):
        if op in ("inLastDays", "moreThanDaysAgo"):
            if field == "seen_on":
                cutoff = NOW.date() - dt.timedelta(days=value)
                if op == "inLastDays":
                    return bool(cutoff < have <= NOW.date())
                return bool(have < cutoff)
            cutoff_t = NOW - dt.timedelta(days=value)
            return bool(cutoff_t <= have <= NOW) if op == "inLastDays" else bool(have < cutoff_t)
        lo, hi = _day_span(value, field == "registered_at")
        return {"before": have < lo, "after": have >= hi, "<=": have < hi, ">=": have >= lo}[op]
    return {"<": have < value, "<=": have <= value, ">": have > value, ">=": have >= value}[op]


def evaluate_rule(rule: dict[str, Any], person: dict[str, Any]) -> bool:
    field, op, value = rule["field"], rule["operator"], rule["value"]
    if field == "$status":
        have = person["global_status"]
        return {"=": have == value, "!=": have != value, "in": have in value}.get(
            op, have not in value
        )
    if field == "tags":
        tags: list[str] = person["tags"]
        if op in ("null", "notNull"):
            return (not tags) == (op == "null")
        positive = NEGATIVE.get(op, op)
        if positive == "hasTag":
            found = value in tags
        elif positive == "in":
            found = any(t in value for t in tags)
        else:
            found = any(value.lower() in t.lower() for t in tags)
        return found != (op in NEGATIVE)
    have = person[field]
    empty = have is None or (field == "city" and have == "")
    if op == "null":
        return empty
    if op == "notNull":
        return not empty
    if op in NEGATIVE:
        return have is None or not _positive(NEGATIVE[op], have, value, field)
    return have is not None and _positive(op, have, value, field)


def evaluate(node: dict[str, Any], person: dict[str, Any]) -> bool:
    if "rules" not in node:
        return evaluate_rule(node, person)
    results = [evaluate(child, person) for child in node["rules"]]
    matched = all(results) if node["combinator"] == "and" else any(results)
    return matched != node.get("not", False)


# -- random rule trees ----------------------------------------------------------


def _rule(field: str, ops: list[str], values: Callable[[str], st.SearchStrategy[Any]]) -> Any:
    return st.sampled_from(ops).flatmap(
        lambda op: values(op).map(lambda v: {"field": field, "operator": op, "value": v})
    )


def _pair(items: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    return st.lists(items, min_size=2, max_size=2).map(sorted)


def _some(items: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    return st.lists(items, min_size=1, max_size=3)


NULLS = ["null", "notNull"]
TEXT_OPS = ["=", "!=", "contains", "doesNotContain", "beginsWith", "doesNotBeginWith"]
TEXT_OPS += ["endsWith", "doesNotEndWith", "in", "notIn", *NULLS]
NUMBER_OPS = ["=", "!=", "<", "<=", ">", ">=", "between", "notBetween", "in", "notIn", *NULLS]
DATE_OPS = ["=", "!=", "before", "after", "<=", ">=", "between", "notBetween"]
DATE_OPS += ["inLastDays", "moreThanDaysAgo", *NULLS]
DAYS = st.dates(dt.date(2026, 5, 25), dt.date(2026, 7, 8)).map(dt.date.isoformat)
MOMENTS = st.one_of(
    DAYS,
    st.datetimes(dt.datetime(2026, 5, 25), dt.datetime(2026, 7, 8)).map(
        lambda t: t.replace(second=0, microsecond=0, minute=t.minute // 15 * 15).isoformat()
    ),
)


def _values_for(
    scalar: st.SearchStrategy[Any],
) -> Callable[[str], st.SearchStrategy[Any]]:
    def values(op: str) -> st.SearchStrategy[Any]:
        if op in NULLS:
            return st.none()
        if op in ("in", "notIn"):
            return _some(scalar)
        if op in ("between", "notBetween"):
            return _pair(scalar)
        if op in ("inLastDays", "moreThanDaysAgo"):
            return st.integers(1, 40)
        return scalar

    return values


def _text_values(op: str) -> st.SearchStrategy[Any]:
    if op in ("=", "!=", "in", "notIn"):
        return _values_for(st.sampled_from([c for c in CITIES if c]))(op)
    return _values_for(st.sampled_from(TEXTS))(op)


LEAVES = st.one_of(
    _rule("city", TEXT_OPS, _text_values),
    _rule("age", NUMBER_OPS, _values_for(st.integers(0, 60))),
    _rule("score", NUMBER_OPS, _values_for(st.sampled_from([-1.5, 0.0, 1.0, 2.25, 10.0]))),
    _rule("level", ["=", "!=", "in", "notIn", *NULLS], _values_for(st.sampled_from(LEVELS))),
    _rule("vip", ["=", *NULLS], _values_for(st.booleans())),
    _rule("seen_on", DATE_OPS, _values_for(DAYS)),
    _rule("registered_at", DATE_OPS, _values_for(MOMENTS)),
    _rule("$status", ["=", "!=", "in", "notIn"], _values_for(st.sampled_from(STATUSES))),
    _rule(
        "tags",
        ["hasTag", "hasNoTag", "in", "notIn", "contains", "doesNotContain", *NULLS],
        _values_for(st.sampled_from(TAGS)),
    ),
)


def _groups(children: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda combinator, negate, rules: {"combinator": combinator, "not": negate, "rules": rules},
        st.sampled_from(["and", "or"]),
        st.booleans(),
        st.lists(children, min_size=1, max_size=3),
    )


TREES = _groups(st.recursive(LEAVES, _groups, max_leaves=6))


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(rules=TREES)
def test_random_rule_trees_match_the_python_evaluation(world: World, rules: dict) -> None:
    assert world.sql(rules) == world.python(rules)


def test_the_population_exercises_empty_values(world: World) -> None:
    """Guard against a population too tame to test NULL semantics."""
    people = list(world.people.values())
    for key in ("city", "age", "score", "level", "vip", "seen_on", "registered_at"):
        assert any(p[key] is None for p in people), key
        assert any(p[key] is not None for p in people), key
    assert any(p["city"] == "" for p in people)
    assert any(not p["tags"] for p in people) and any(len(p["tags"]) > 1 for p in people)
