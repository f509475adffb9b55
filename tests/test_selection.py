"""Rules -> SQL on both backends: every operator of every field type, reserved
conditions, nested groups with ``not``, NULL semantics and invalid rules.

One small, hand-made population per backend (module scope, read-only) where
every expected answer below can be checked by reading the table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import pg_database_url
from sqlalchemy import insert, select

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.fields import FieldType
from bulkprofiles_gui.core.selection import (
    OPERATOR_TABLE,
    RuleError,
    SelectionSpec,
    check,
    count,
    selection_ids,
    validate,
)
from bulkprofiles_gui.core.store import Store, open_store

NOW = dt.datetime(2026, 7, 1, 12, 0)
TASK_ID = 1  # the one task of the population (fresh store)
NAMES = ("ann", "bob", "cid", "dee", "eve")


def _d(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


#: One row per profile: (scalar fields, tags, phones).
PEOPLE: dict[str, tuple[dict[str, Any], list[str], list[str]]] = {
    "ann": (
        {
            "city": "Berlin",
            "email": "ann@example.com",
            "age": 30,
            "score": 1.5,
            "level": "gold",
            "vip": True,
            "seen_on": dt.date(2026, 6, 28),
            "ip": "192.168.1.10",
            "registered_at": dt.datetime(2026, 6, 21, 12, 0),
            "global_status": "subscribed",
        },
        ["vip", "new"],
        ["+4915112345678"],
    ),
    "bob": (
        {
            "city": "berlin-Mitte",
            "email": "bob@shop.org",
            "age": 45,
            "score": 2.5,
            "level": "silver",
            "vip": False,
            "seen_on": dt.date(2026, 3, 15),
            "ip": "10.0.0.1",
            "registered_at": dt.datetime(2026, 5, 1, 9, 30),
            "global_status": "unsubscribed",
        },
        ["old"],
        ["+33612345678", "+4917000000"],
    ),
    "cid": (
        {
            "city": None,
            "email": None,
            "age": 18,
            "score": None,
            "level": None,
            "vip": None,
            "seen_on": None,
            "ip": None,
            "registered_at": dt.datetime(2025, 1, 1, 0, 0),
            "global_status": "hardbounced",
        },
        [],
        [],
    ),
    "dee": (
        {
            "city": "",
            "email": "dee.50%_x@mail.com",
            "age": None,
            "score": 10.0,
            "level": "bronze",
            "vip": True,
            "seen_on": dt.date(2025, 12, 31),
            "ip": "10.0.0.2",
            "registered_at": None,
            "global_status": "subscribed",
        },
        ["vip"],
        ["+4930123456"],
    ),
    "eve": (
        {
            "city": "50%_Paris",
            "email": "EVE@Example.com",
            "age": 30,
            "score": -1.0,
            "level": "gold",
            "vip": False,
            "seen_on": dt.date(2026, 7, 1),
            "ip": "192.168.2.1",
            "registered_at": dt.datetime(2026, 7, 1, 8, 0),
            "global_status": "complainer",
        },
        ["New"],
        [],
    ),
}


class Population:
    def __init__(self, store: Store, database_id: int, ids: dict[str, int]) -> None:
        self.store = store
        self.database_id = database_id
        self.ids = ids
        self.names = {v: k for k, v in ids.items()}

    def select(self, rules: dict[str, Any], **kw: Any) -> set[str]:
        spec = SelectionSpec(self.database_id, rules, now=NOW, **kw)
        with self.store.begin() as conn:
            ids = conn.execute(selection_ids(self.store, conn, spec)).scalars().all()
            counted = count(self.store, conn, spec)
        assert counted == len(ids)
        return {self.names[i] for i in ids}

    def problems(self, rules: dict[str, Any]) -> list[Any]:
        with self.store.begin() as conn:
            return validate(self.store, conn, SelectionSpec(self.database_id, rules, now=NOW))


def _group(*rules: dict[str, Any], combinator: str = "and", negate: bool = False) -> dict:
    return {"combinator": combinator, "not": negate, "rules": list(rules)}


def _rule(field: str, operator: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


def _build(store: Store) -> Population:
    with store.begin() as conn:
        db = store.create_database(conn, "Customers")
        other_db = store.create_database(conn, "Elsewhere")
        add = store.add_custom_field
        add(conn, db, "age", "Age", FieldType.INTEGER)
        add(conn, db, "score", "Score", FieldType.FLOAT)
        add(conn, db, "level", "Level", FieldType.ENUM, ("bronze", "silver", "gold"))
        add(conn, db, "vip", "VIP", FieldType.BOOLEAN)
        add(conn, db, "seen_on", "Seen on", FieldType.DATE)
        add(conn, db, "ip", "IP", FieldType.IP)
        add(conn, db, "tags", "Tags", FieldType.TAGS)
        fields = {f.key: f for f in store.fields(conn, db)}
        ids: dict[str, int] = {}
        for name, (values, tags, phones) in PEOPLE.items():
            row = {"database_id": db, "first_name": name}
            for key, value in values.items():
                column = fields[key].column_name if key in fields else key
                row[str(column)] = value
            ids[name] = conn.execute(
                insert(store.profiles).values(row).returning(store.profiles.c.id)
            ).scalar_one()
            items = [(fields["tags"].id, t) for t in tags] + [
                (fields["phones"].id, p) for p in phones
            ]
            for field_id, value in items:
                conn.execute(
                    insert(m.ProfileListValue).values(
                        profile_id=ids[name], field_id=field_id, value=value
                    )
                )
        conn.execute(
            insert(store.profiles).values(database_id=other_db, first_name="zed", city="Berlin")
        )
        res = {}
        for name, channels, attach in (
            ("Newsletter", ("email", "sms"), True),
            ("Shop", ("email",), True),
            ("Other", ("email",), False),
        ):
            res[name] = conn.execute(
                insert(m.Resource).values(name=name).returning(m.Resource.id)
            ).scalar_one()
            for ch in channels:
                conn.execute(insert(m.ResourceChannel).values(resource_id=res[name], channel=ch))
            if attach:
                conn.execute(
                    insert(m.ResourceDatabase).values(resource_id=res[name], database_id=db)
                )
        for who, resource, channel, status in (
            ("ann", "Newsletter", "email", "subscribed"),
            ("ann", "Newsletter", "sms", "unsubscribed"),
            ("bob", "Newsletter", "email", "unsubscribed"),
            ("bob", "Shop", "email", "subscribed"),
            ("eve", "Shop", "email", "hardbounced"),
        ):
            conn.execute(
                insert(m.Subscription).values(
                    profile_id=ids[who],
                    resource_id=res[resource],
                    channel=channel,
                    contact=f"{who}-{channel}",
                    status=status,
                )
            )
        for who, etype, channel, resource, when in (
            ("ann", "opened", "email", "Newsletter", _d(5)),
            ("ann", "opened", "email", "Newsletter", _d(3)),
            ("ann", "purchase", None, None, _d(40)),
            ("bob", "opened", "email", "Newsletter", _d(60)),
            ("cid", "clicked", "sms", "Newsletter", dt.datetime(2026, 1, 15, 18, 0)),
            ("eve", "opened", "email", "Shop", _d(1)),
        ):
            conn.execute(
                insert(m.Event).values(
                    profile_id=ids[who],
                    database_id=db,
                    type=etype,
                    channel=channel,
                    resource_id=res[resource] if resource else None,
                    occurred_at=when,
                )
            )
        programs = {}
        for name, database in (("Winter sale", db), ("Summer", None), ("Far away", other_db)):
            programs[name] = conn.execute(
                insert(m.LoyaltyProgram)
                .values(name=name, database_id=database)
                .returning(m.LoyaltyProgram.id)
            ).scalar_one()
        for code, program, who, status in (
            ("W1", "Winter sale", "ann", "attached"),
            ("W2", "Winter sale", "bob", "activated"),
            ("W3", "Winter sale", None, "free"),
            ("S1", "Summer", "cid", "attached"),
        ):
            conn.execute(
                insert(m.PromoCode).values(
                    program_id=programs[program],
                    code=code,
                    status=status,
                    profile_id=ids[who] if who else None,
                )
            )
        task_id = conn.execute(
            insert(m.Task)
            .values(action_type="update_fields", database_id=db, job={}, status="completed")
            .returning(m.Task.id)
        ).scalar_one()
        assert task_id == TASK_ID
        for position, (who, outcome) in enumerate(
            (("ann", "changed"), ("bob", "unchanged"), ("cid", None), ("eve", "no_contact"))
        ):
            conn.execute(
                insert(m.TaskProfile).values(
                    task_id=task_id, position=position, profile_id=ids[who], outcome=outcome
                )
            )
    return Population(store, db, ids)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def population(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Population]:
    """The five-profile population on each backend, built once per module."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sel') / 'store.sqlite3'}"
        yield from _open_and_build(url)
        return
    for url in pg_database_url():
        yield from _open_and_build(url)


def _open_and_build(url: str) -> Iterator[Population]:
    store = open_store(url, create=True)
    try:
        yield _build(store)
    finally:
        store.close()


def _all_but(*names: str) -> set[str]:
    return set(NAMES) - set(names)


#: (kind, field, operator, value, expected profiles).  Kind is the operator
#: table's key, so the coverage test below can prove every operator is here.
CASES: list[tuple[str, str, str, Any, set[str]]] = [
    # string: = exact, text matches ignore case, negatives include empty
    ("string", "city", "=", "Berlin", {"ann"}),
    ("string", "city", "!=", "Berlin", _all_but("ann")),
    ("string", "city", "contains", "berlin", {"ann", "bob"}),
    ("string", "city", "contains", "%_", {"eve"}),
    ("string", "city", "doesNotContain", "berlin", {"cid", "dee", "eve"}),
    ("string", "city", "beginsWith", "BERLIN-", {"bob"}),
    ("string", "city", "doesNotBeginWith", "berlin-", _all_but("bob")),
    ("string", "city", "endsWith", "paris", {"eve"}),
    ("string", "city", "doesNotEndWith", "paris", _all_but("eve")),
    ("string", "city", "in", ["Berlin", "50%_Paris"], {"ann", "eve"}),
    ("string", "city", "in", "Berlin, Nowhere", {"ann"}),
    ("string", "city", "notIn", ["Berlin"], _all_but("ann")),
    # string order: by code point ("5" < "B" < "b"), never an empty value
    ("string", "city", "<", "Berlin", {"eve"}),
    ("string", "city", "<=", "Berlin", {"ann", "eve"}),
    ("string", "city", ">", "Berlin", {"bob"}),
    ("string", "city", ">=", "Berlin", {"ann", "bob"}),
    ("string", "city", "between", ["A", "Z"], {"ann"}),
    ("string", "city", "between", "0, C", {"ann", "eve"}),
    ("string", "city", "notBetween", ["A", "Z"], _all_but("ann")),
    ("string", "city", "null", None, {"cid", "dee"}),
    ("string", "city", "notNull", None, {"ann", "bob", "eve"}),
    # email
    ("email", "email", "=", "ann@example.com", {"ann"}),
    ("email", "email", "!=", "ann@example.com", _all_but("ann")),
    ("email", "email", "contains", "example", {"ann", "eve"}),
    ("email", "email", "contains", "50%_", {"dee"}),
    ("email", "email", "doesNotContain", "example", {"bob", "cid", "dee"}),
    ("email", "email", "beginsWith", "eve@", {"eve"}),
    ("email", "email", "doesNotBeginWith", "eve@", _all_but("eve")),
    ("email", "email", "endsWith", ".ORG", {"bob"}),
    ("email", "email", "doesNotEndWith", ".org", _all_but("bob")),
    ("email", "email", "in", ["bob@shop.org", "dee.50%_x@mail.com"], {"bob", "dee"}),
    ("email", "email", "notIn", ["bob@shop.org"], _all_but("bob")),
    ("email", "email", "null", None, {"cid"}),
    ("email", "email", "notNull", None, _all_but("cid")),
    # ip
    ("ip", "ip", "=", "10.0.0.1", {"bob"}),
    ("ip", "ip", "!=", "10.0.0.1", _all_but("bob")),
    ("ip", "ip", "contains", "168", {"ann", "eve"}),
    ("ip", "ip", "doesNotContain", "168", {"bob", "cid", "dee"}),
    ("ip", "ip", "beginsWith", "10.", {"bob", "dee"}),
    ("ip", "ip", "doesNotBeginWith", "10.", {"ann", "cid", "eve"}),
    ("ip", "ip", "endsWith", ".1", {"bob", "eve"}),
    ("ip", "ip", "doesNotEndWith", ".1", {"ann", "cid", "dee"}),
    ("ip", "ip", "in", "10.0.0.1,10.0.0.2", {"bob", "dee"}),
    ("ip", "ip", "notIn", ["10.0.0.1"], _all_but("bob")),
    ("ip", "ip", "null", None, {"cid"}),
    ("ip", "ip", "notNull", None, _all_but("cid")),
    # integer
    ("integer", "age", "=", 30, {"ann", "eve"}),
    ("integer", "age", "!=", 30, {"bob", "cid", "dee"}),
    ("integer", "age", "<", 30, {"cid"}),
    ("integer", "age", "<=", 30, {"ann", "cid", "eve"}),
    ("integer", "age", ">", 30, {"bob"}),
    ("integer", "age", ">=", "30", {"ann", "bob", "eve"}),
    ("integer", "age", "between", [18, 30], {"ann", "cid", "eve"}),
    ("integer", "age", "notBetween", [18, 30], {"bob", "dee"}),
    ("integer", "age", "in", [18, 45], {"bob", "cid"}),
    ("integer", "age", "notIn", [18, 45], {"ann", "dee", "eve"}),
    ("integer", "age", "null", None, {"dee"}),
    ("integer", "age", "notNull", None, _all_but("dee")),
    # float
    ("float", "score", "=", 1.5, {"ann"}),
    ("float", "score", "!=", 1.5, _all_but("ann")),
    ("float", "score", "<", 1.5, {"eve"}),
    ("float", "score", "<=", 2.5, {"ann", "bob", "eve"}),
    ("float", "score", ">", 2.5, {"dee"}),
    ("float", "score", ">=", 2.5, {"bob", "dee"}),
    ("float", "score", "between", [0, 3], {"ann", "bob"}),
    ("float", "score", "notBetween", "0,3", {"cid", "dee", "eve"}),
    ("float", "score", "in", [1.5, 10], {"ann", "dee"}),
    ("float", "score", "notIn", [1.5], _all_but("ann")),
    ("float", "score", "null", None, {"cid"}),
    ("float", "score", "notNull", None, _all_but("cid")),
    # enum
    ("enum", "level", "=", "gold", {"ann", "eve"}),
    ("enum", "level", "!=", "gold", {"bob", "cid", "dee"}),
    ("enum", "level", "in", ["silver", "bronze"], {"bob", "dee"}),
    ("enum", "level", "notIn", ["gold"], {"bob", "cid", "dee"}),
    ("enum", "level", "null", None, {"cid"}),
    ("enum", "level", "notNull", None, _all_but("cid")),
    # boolean
    ("boolean", "vip", "=", True, {"ann", "dee"}),
    ("boolean", "vip", "=", "false", {"bob", "eve"}),
    ("boolean", "vip", "null", None, {"cid"}),
    ("boolean", "vip", "notNull", None, _all_but("cid")),
    # date (today is 2026-07-01)
    ("date", "seen_on", "=", "2026-03-15", {"bob"}),
    ("date", "seen_on", "!=", "2026-03-15", _all_but("bob")),
    ("date", "seen_on", "before", "2026-03-15", {"dee"}),
    ("date", "seen_on", "after", "2026-03-15", {"ann", "eve"}),
    ("date", "seen_on", "<", "2026-06-28", {"bob", "dee"}),
    ("date", "seen_on", ">", "2026-06-28", {"eve"}),
    ("date", "seen_on", "<=", "2026-03-15", {"bob", "dee"}),
    ("date", "seen_on", ">=", "2026-06-28", {"ann", "eve"}),
    ("date", "seen_on", "between", ["2026-01-01", "2026-06-28"], {"ann", "bob"}),
    ("date", "seen_on", "notBetween", ["2026-01-01", "2026-06-28"], {"cid", "dee", "eve"}),
    ("date", "seen_on", "inLastDays", 7, {"ann", "eve"}),
    ("date", "seen_on", "inLastDays", 1, {"eve"}),
    ("date", "seen_on", "moreThanDaysAgo", 100, {"bob", "dee"}),
    ("date", "seen_on", "null", None, {"cid"}),
    ("date", "seen_on", "notNull", None, _all_but("cid")),
    # datetime: a date-only value is the whole day
    ("datetime", "registered_at", "=", "2026-05-01", {"bob"}),
    ("datetime", "registered_at", "=", "2026-05-01T09:30:00", {"bob"}),
    ("datetime", "registered_at", "=", "2026-05-01T09:31", set()),
    ("datetime", "registered_at", "!=", "2026-05-01", _all_but("bob")),
    ("datetime", "registered_at", "before", "2026-05-01", {"cid"}),
    ("datetime", "registered_at", "after", "2026-05-01", {"ann", "eve"}),
    ("datetime", "registered_at", ">", "2026-05-01T09:00", {"ann", "bob", "eve"}),
    ("datetime", "registered_at", "<=", "2026-05-01", {"bob", "cid"}),
    ("datetime", "registered_at", ">=", "2026-06-21T12:00:00", {"ann", "eve"}),
    ("datetime", "registered_at", "between", ["2026-05-01", "2026-06-21"], {"ann", "bob"}),
    (
        "datetime",
        "registered_at",
        "notBetween",
        ["2026-05-01", "2026-06-21"],
        {"cid", "dee", "eve"},
    ),
    ("datetime", "registered_at", "inLastDays", 10, {"ann", "eve"}),
    ("datetime", "registered_at", "moreThanDaysAgo", 10, {"bob", "cid"}),
    ("datetime", "registered_at", "null", None, {"dee"}),
    ("datetime", "registered_at", "notNull", None, _all_but("dee")),
    # tags: exact tags, contains ignores case, negatives include "no tags"
    ("tags", "tags", "hasTag", "vip", {"ann", "dee"}),
    ("tags", "tags", "hasTag", "new", {"ann"}),
    ("tags", "tags", "hasNoTag", "vip", {"bob", "cid", "eve"}),
    ("tags", "tags", "in", ["old", "New"], {"bob", "eve"}),
    ("tags", "tags", "notIn", ["vip", "old"], {"cid", "eve"}),
    ("tags", "tags", "contains", "ne", {"ann", "eve"}),
    ("tags", "tags", "doesNotContain", "ne", {"bob", "cid", "dee"}),
    ("tags", "tags", "null", None, {"cid"}),
    ("tags", "tags", "notNull", None, _all_but("cid")),
    # phones
    ("phones", "phones", "=", "+4917000000", {"bob"}),
    ("phones", "phones", "contains", "345678", {"ann", "bob"}),
    ("phones", "phones", "doesNotContain", "345678", {"cid", "dee", "eve"}),
    ("phones", "phones", "beginsWith", "+49", {"ann", "bob", "dee"}),
    ("phones", "phones", "null", None, {"cid", "eve"}),
    ("phones", "phones", "notNull", None, {"ann", "bob", "dee"}),
    # global status
    ("status", "$status", "=", "subscribed", {"ann", "dee"}),
    ("status", "$status", "!=", "subscribed", {"bob", "cid", "eve"}),
    ("status", "$status", "in", ["hardbounced", "complainer"], {"cid", "eve"}),
    ("status", "$status", "notIn", ["subscribed"], {"bob", "cid", "eve"}),
    # subscriptions
    ("subscription", "$subscription", "has", {"resource": "Newsletter"}, {"ann", "bob"}),
    (
        "subscription",
        "$subscription",
        "has",
        {"resource": "Newsletter", "channel": "email", "status": "subscribed"},
        {"ann"},
    ),
    ("subscription", "$subscription", "has", {"resource": "Newsletter", "channel": "sms"}, {"ann"}),
    (
        "subscription",
        "$subscription",
        "has",
        {"resource": "Shop", "status": ["subscribed", "hardbounced"]},
        {"bob", "eve"},
    ),
    ("subscription", "$subscription", "hasNo", {"resource": "Newsletter"}, {"cid", "dee", "eve"}),
    (
        "subscription",
        "$subscription",
        "hasNo",
        {"resource": "Newsletter", "status": "subscribed"},
        _all_but("ann"),
    ),
    # action history (now = 2026-07-01 12:00)
    ("event", "$event", "had", {"type": "opened"}, {"ann", "bob", "eve"}),
    ("event", "$event", "had", {"type": "opened", "lastDays": 30}, {"ann", "eve"}),
    ("event", "$event", "had", {"type": "opened", "lastDays": 30, "atLeast": 2}, {"ann"}),
    ("event", "$event", "had", {"type": "opened", "resource": "Shop"}, {"eve"}),
    (
        "event",
        "$event",
        "had",
        {"type": "opened", "channel": "email", "from": "2026-04-01", "to": "2026-05-15"},
        {"bob"},
    ),
    ("event", "$event", "had", {"type": "clicked", "to": "2026-01-15"}, {"cid"}),
    ("event", "$event", "had", {"type": "clicked", "to": "2026-01-14"}, set()),
    ("event", "$event", "had", {"type": "purchase", "lastDays": 30}, set()),
    ("event", "$event", "had", {"type": "purchase", "lastDays": 45}, {"ann"}),
    ("event", "$event", "neverHad", {"type": "opened"}, {"cid", "dee"}),
    ("event", "$event", "neverHad", {"type": "opened", "atLeast": 2}, _all_but("ann")),
    # promo codes (attached or activated)
    ("promo", "$promo", "holds", {"program": "Winter sale"}, {"ann", "bob"}),
    ("promo", "$promo", "holds", {"program": "Summer"}, {"cid"}),
    ("promo", "$promo", "holdsNo", {"program": "Winter sale"}, {"cid", "dee", "eve"}),
    # an earlier task's outcomes (retry)
    ("task", "$task", "outcomeIn", {"task": TASK_ID, "outcomes": ["skipped"]}, {"bob", "eve"}),
    (
        "task",
        "$task",
        "outcomeIn",
        {"task": TASK_ID, "outcomes": ["changed", "not_processed"]},
        {"ann", "cid"},
    ),
    ("task", "$task", "outcomeIn", {"task": TASK_ID, "outcomes": ["no_contact"]}, {"eve"}),
    ("task", "$task", "outcomeIn", {"task": 999, "outcomes": ["changed"]}, set()),
]


@pytest.mark.parametrize(
    "kind, field, operator, value, expected",
    CASES,
    ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(CASES)],
)
def test_operator_selects_expected_profiles(
    population: Population, kind: str, field: str, operator: str, value: Any, expected: set[str]
) -> None:
    assert population.select(_group(_rule(field, operator, value))) == expected


def test_cases_cover_every_operator_of_every_field_type() -> None:
    covered = {(kind, op) for kind, _f, op, _v, _e in CASES}
    offered = {(kind, op) for kind, table in OPERATOR_TABLE.items() for op, _ in table}
    assert offered - covered == set()


def test_negated_operators_are_exact_complements(population: Population) -> None:
    """For every positive/negative pair with a value: the two partition the profiles."""
    pairs = {
        "=": "!=",
        "in": "notIn",
        "between": "notBetween",
        "contains": "doesNotContain",
        "beginsWith": "doesNotBeginWith",
        "endsWith": "doesNotEndWith",
        "hasTag": "hasNoTag",
        "null": "notNull",
        "has": "hasNo",
        "had": "neverHad",
        "holds": "holdsNo",
    }
    checked = 0
    for kind, field, op, value, _expected in CASES:
        if pairs.get(op) not in {name for name, _ in OPERATOR_TABLE[kind]}:
            continue
        yes = population.select(_group(_rule(field, op, value)))
        no = population.select(_group(_rule(field, pairs[op], value)))
        assert yes.isdisjoint(no) and yes | no == set(NAMES), (field, op, value)
        checked += 1
    assert checked > 40


# -- groups -------------------------------------------------------------------


def test_empty_rules_select_the_whole_database_only(population: Population) -> None:
    assert population.select(_group()) == set(NAMES)  # not "zed" of the other database


def test_nested_and_or(population: Population) -> None:
    rules = _group(
        _rule("city", "contains", "berlin"),
        _group(_rule("age", ">", 30), _rule("vip", "=", True), combinator="or"),
    )
    assert population.select(rules) == {"ann", "bob"}


def test_not_group_is_the_complement_including_empty_values(population: Population) -> None:
    assert population.select(_group(_rule("city", "=", "Berlin"), negate=True)) == _all_but("ann")


def test_not_of_or_group_over_null_values(population: Population) -> None:
    rules = _group(_rule("age", ">", 30), _rule("score", ">", 2), combinator="or", negate=True)
    assert population.select(rules) == {"ann", "cid", "eve"}


def test_not_inside_or_inside_and_three_levels(population: Population) -> None:
    rules = _group(
        _group(
            _rule("$status", "=", "complainer"),
            _group(_rule("vip", "=", True), _rule("tags", "hasTag", "vip"), negate=True),
            combinator="or",
        ),
        _rule("$event", "neverHad", {"type": "clicked"}),
    )
    # not(vip and tag vip) = bob, cid, eve; or complainer (eve); and never clicked (not cid)
    assert population.select(rules) == {"bob", "eve"}


def test_disabled_rules_are_ignored(population: Population) -> None:
    rules = _group(
        _rule("city", "=", "Berlin"),
        {**_rule("age", "=", 999), "disabled": True},
    )
    assert population.select(rules) == {"ann"}


def test_combinator_is_case_insensitive(population: Population) -> None:
    rules = _group(_rule("age", "=", 18), _rule("age", "=", 45), combinator="OR")
    assert population.select(rules) == {"bob", "cid"}


# -- invalid rules ------------------------------------------------------------

INVALID: list[tuple[dict[str, Any], str, str]] = [
    # "yes" was read as enabled (audit): only true and false say it (limits.rules_problem)
    (
        _group({**_rule("city", "=", "Berlin"), "disabled": "yes"}),
        "",
        "'disabled' of a condition must be true or false, not 'yes'",
    ),
    (_group(_rule("nope", "=", 1)), "rules[0]", "unknown field 'nope'"),
    (_group(_rule("age", "contains", "3")), "rules[0]", "not valid for 'age'"),
    (_group(_rule("age", "=", "abc")), "rules[0]", "'abc' is not a whole number"),
    (_group(_rule("age", "=", True)), "rules[0]", "not a whole number"),
    (_group(_rule("score", ">", "x1")), "rules[0]", "not a number"),
    (_group(_rule("seen_on", "=", "2026-13-01")), "rules[0]", "is not a date"),
    (_group(_rule("registered_at", ">", "yesterday")), "rules[0]", "is not a date-time"),
    (_group(_rule("city", "in", [])), "rules[0]", "list of values is empty"),
    (_group(_rule("city", "in", "")), "rules[0]", "list of values is empty"),
    (_group(_rule("age", "between", [30, 18])), "rules[0]", "greater than to"),
    (_group(_rule("age", "between", [30])), "rules[0]", "two values"),
    (
        _group(_rule("seen_on", "between", ["2026-02-01", "2026-01-01"])),
        "rules[0]",
        "greater than to",
    ),
    (_group(_rule("level", "=", "platinum")), "rules[0]", "not one of: bronze, silver, gold"),
    (_group(_rule("vip", "=", "maybe")), "rules[0]", "not true or false"),
    (_group(_rule("email", "=", "not-an-email")), "rules[0]", "not an email address"),
    (_group(_rule("ip", "=", "300.1.1.1")), "rules[0]", "not an IP address"),
    (_group(_rule("city", "contains", "  ")), "rules[0]", "value is empty"),
    (_group(_rule("seen_on", "inLastDays", 0)), "rules[0]", "number of days"),
    (_group(_rule("seen_on", "inLastDays", "ten")), "rules[0]", "number of days"),
    (_group(_rule("$status", "=", "happy")), "rules[0]", "unknown status 'happy'"),
    (_group(_rule("$status", "contains", "sub")), "rules[0]", "not valid for '$status'"),
    (
        _group(_rule("$subscription", "has", {"resource": "Nope"})),
        "rules[0]",
        "no resource 'Nope' attached",
    ),
    (
        _group(_rule("$subscription", "has", {"resource": "Other"})),
        "rules[0]",
        "no resource 'Other' attached",
    ),
    (
        _group(_rule("$subscription", "has", {"resource": "Shop", "channel": "fax"})),
        "rules[0]",
        "unknown channel 'fax'",
    ),
    (
        _group(_rule("$subscription", "has", {"resource": "Shop", "channel": "sms"})),
        "rules[0]",
        "has no channel 'sms'",
    ),
    (
        _group(_rule("$subscription", "has", {"resource": "Shop", "status": "ok"})),
        "rules[0]",
        "unknown status 'ok'",
    ),
    (_group(_rule("$subscription", "has", "Shop")), "rules[0]", "needs an object value"),
    (_group(_rule("$subscription", "has", {"channel": "email"})), "rules[0]", "needs 'resource'"),
    (_group(_rule("$event", "had", {"type": "danced"})), "rules[0]", "unknown event type"),
    (
        _group(_rule("$event", "had", {"type": "opened", "lastDays": 5, "from": "2026-01-01"})),
        "rules[0]",
        "either lastDays or from/to",
    ),
    (
        _group(
            _rule("$event", "had", {"type": "opened", "from": "2026-02-01", "to": "2026-01-01"})
        ),
        "rules[0]",
        "'from' is after its 'to'",
    ),
    (_group(_rule("$event", "had", {"type": "opened", "atLeast": 0})), "rules[0]", "atLeast"),
    (_group(_rule("$event", "had", {"type": "opened", "times": 2})), "rules[0]", "unknown key"),
    (_group(_rule("$promo", "holds", {"program": "Nope"})), "rules[0]", "no loyalty program"),
    (_group(_rule("$promo", "holds", {"program": "Far away"})), "rules[0]", "no loyalty program"),
    (
        _group(_rule("$task", "outcomeIn", {"task": TASK_ID, "outcomes": ["bogus"]})),
        "rules[0]",
        "unknown outcome 'bogus'",
    ),
    (
        _group(_rule("$task", "outcomeIn", {"task": "one", "outcomes": ["changed"]})),
        "rules[0]",
        "needs a task id",
    ),
    (_group({"field": "city", "value": "x"}), "rules[0]", "names no operator"),
    (_group({"operator": "=", "value": "x"}), "rules[0]", "names no field"),
    (_group({**_rule("city", "=", "x"), "colour": 1}), "rules[0]", "unknown key 'colour'"),
    (_group(_rule("city", "=", "x"), combinator="xor"), "", "combinator must be"),
    (_group(_rule("city", "=", "x"), "and", _rule("age", "=", 1)), "rules[1]", "independent"),  # type: ignore[arg-type]
    (_group(_rule("city", "=", "x"), _group()), "rules[1]", "empty group"),
    (
        _group(_rule("city", "=", "x"), _group(_rule("age", "=", 1), _rule("nope", "=", 2))),
        "rules[1].rules[1]",
        "unknown field 'nope'",
    ),
    (_group(negate=True), "", "negated group needs at least one condition"),
]


@pytest.mark.parametrize("rules, path, message", INVALID, ids=[i[2][:30] for i in INVALID])
def test_invalid_rules_are_refused_naming_the_rule(
    population: Population, rules: dict[str, Any], path: str, message: str
) -> None:
    problems = population.problems(rules)
    assert [p.path for p in problems] == [path]
    assert message in problems[0].message
    spec = SelectionSpec(population.database_id, rules, now=NOW)
    with population.store.begin() as conn:
        with pytest.raises(RuleError) as raised:
            selection_ids(population.store, conn, spec)
        with pytest.raises(RuleError):
            count(population.store, conn, spec)
    assert message in str(raised.value)
    assert (path or "rules") in str(raised.value)


def test_every_problem_is_reported_with_its_path(population: Population) -> None:
    rules = _group(
        _rule("nope", "=", 1),
        _group(_rule("age", "=", 1), _group(_rule("age", "=", "x"), combinator="or")),
        _rule("city", "in", []),
    )
    with population.store.begin() as conn, pytest.raises(RuleError) as raised:
        check(population.store, conn, SelectionSpec(population.database_id, rules))
    assert [p.path for p in raised.value.problems] == [
        "rules[0]",
        "rules[1].rules[1].rules[0]",
        "rules[2]",
    ]
    assert "and 2 more problems" in str(raised.value)


def test_bad_range_and_limit_are_refused(population: Population) -> None:
    with population.store.begin() as conn:
        spec = SelectionSpec(population.database_id, _group(), range_from=60, range_to=40)
        assert [p.path for p in validate(population.store, conn, spec)] == ["range"]
        spec = SelectionSpec(population.database_id, _group(), range_to=120, limit=-1)
        assert [p.path for p in validate(population.store, conn, spec)] == ["range.to", "limit"]


def test_values_are_bound_parameters_never_sql_text(population: Population) -> None:
    evil = "x'); DROP TABLE profiles; --"
    assert population.select(_group(_rule("city", "=", evil))) == set()
    assert population.select(_group(_rule("city", "contains", evil))) == set()
    with population.store.begin() as conn:
        still_there = conn.execute(select(m.Profile.id)).all()
    assert len(still_there) == 6
