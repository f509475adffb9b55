"""Field-to-field conditions (``"valueSource": "field"``) and field-name matching,
on SQLite and PostgreSQL.

Every comparable pair of field types (numbers, text, dates, booleans) is
compared with every operator its left field offers for a field value, on a
five-profile population with empty values on either side.  The expected
profiles come from :func:`expected`, a plain-Python statement of the
documented semantics (a positive operator needs both values, its negation is
its complement); a few cases are also written out by hand.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import PG_URL, pg_database_url
from sqlalchemy import create_engine, insert, text
from sqlalchemy.exc import DBAPIError

from bulkprofiles_gui.core.fields import FieldType
from bulkprofiles_gui.core.selection import RuleError, SelectionSpec, count, selection_ids, validate
from bulkprofiles_gui.core.selection import operators as ops
from bulkprofiles_gui.core.store import Store, open_store

NAMES = ("ann", "bob", "cid", "dee", "eve")

#: Custom fields besides the system ones (first_name, last_name, email,
#: birthday, registered_at, ...), by key: (type, options).
CUSTOM: dict[str, tuple[FieldType, tuple[str, ...]]] = {
    "points": (FieldType.INTEGER, ()),
    "target": (FieldType.INTEGER, ()),
    "score": (FieldType.FLOAT, ()),
    "max_score": (FieldType.FLOAT, ()),
    "nickname": (FieldType.STRING, ()),
    "tier": (FieldType.STRING, ()),
    "alt_email": (FieldType.EMAIL, ()),
    "ip": (FieldType.IP, ()),
    "gateway": (FieldType.IP, ()),
    "level": (FieldType.ENUM, ("bronze", "silver", "gold")),
    "wanted_level": (FieldType.ENUM, ("bronze", "silver", "gold")),
    "seen_on": (FieldType.DATE, ()),
    "last_login": (FieldType.DATETIME, ()),
    "vip": (FieldType.BOOLEAN, ()),
    "verified": (FieldType.BOOLEAN, ()),
}

#: The type of every field the tests compare.
TYPES: dict[str, FieldType] = {
    "first_name": FieldType.STRING,
    "last_name": FieldType.STRING,
    "email": FieldType.EMAIL,
    "birthday": FieldType.DATE,
    "registered_at": FieldType.DATETIME,
    **{key: ftype for key, (ftype, _) in CUSTOM.items()},
}

_D = dt.date
_T = dt.datetime

#: One row per profile; a missing key is empty (NULL).  Bob's nickname holds
#: ``%`` and Cid's ``_``: a LIKE that did not escape them would match.
ROWS: dict[str, dict[str, Any]] = {
    "ann": {
        "points": 10,
        "target": 10,
        "score": 1.5,
        "max_score": 2.0,
        "first_name": "Ann",
        "last_name": "Annabel",
        "nickname": "ann",
        "tier": "gold",
        "email": "ann@x.de",
        "alt_email": "ann@x.de",
        "ip": "10.0.0.1",
        "gateway": "10.0.0.1",
        "level": "gold",
        "wanted_level": "gold",
        "birthday": _D(1990, 5, 1),
        "seen_on": _D(2026, 6, 1),
        "registered_at": _T(2026, 6, 1, 8, 0),
        "last_login": _T(2026, 6, 1, 9, 0),
        "vip": True,
        "verified": True,
    },
    "bob": {
        "points": 5,
        "target": 20,
        "score": 3.0,
        "max_score": 2.0,
        "first_name": "Bob",
        "last_name": "Anders",
        "nickname": "B%",
        "tier": "Silver",
        "email": "gold@y.org",
        "ip": "10.0.0.2",
        "gateway": "10.0.0.1",
        "level": "silver",
        "wanted_level": "gold",
        "birthday": _D(1985, 1, 1),
        "seen_on": _D(2026, 5, 1),
        "registered_at": _T(2026, 4, 30, 23, 59),
        "last_login": _T(2026, 5, 2, 10, 0),
        "vip": False,
        "verified": True,
    },
    "cid": {
        "target": 3,
        "max_score": 1.0,
        "first_name": "Cid",
        "last_name": "",
        "email": "cid@10.0.0.3",
        "alt_email": "cid@z.com",
        "nickname": "_",
        "gateway": "10.0.0.3",
        "wanted_level": "silver",
        "seen_on": _D(2026, 1, 1),
        "last_login": _T(2026, 1, 1, 0, 0),
        "verified": False,
    },
    "dee": {
        "points": 7,
        "target": 2,
        "score": 0.5,
        "max_score": 0.5,
        "first_name": "dee",
        "last_name": "Dee",
        "nickname": "bronze",
        "tier": "bronze",
        "email": "dee@x.de",
        "alt_email": "DEE@x.de",
        "ip": "10.0.0.9",
        "gateway": "10.0.0.10",
        "level": "bronze",
        "wanted_level": "bronze",
        "birthday": _D(2000, 2, 29),
        "seen_on": _D(2000, 2, 29),
        "registered_at": _T(2000, 2, 29, 12, 0),
        "last_login": _T(2000, 2, 28, 12, 0),
        "vip": True,
    },
    "eve": {
        "points": 0,
        "target": 0,
        "score": -1.0,
        "first_name": "Eve",
        "last_name": "Eve",
        "nickname": "1.1",
        "tier": "gold",
        "email": "eve@x.de",
        "ip": "1.1.1.1",
        "gateway": "1.1.1.1",
        "level": "gold",
        "birthday": _D(1999, 12, 31),
        "seen_on": _D(2026, 6, 30),
        "registered_at": _T(2026, 6, 30, 0, 0),
        "vip": False,
        "verified": False,
    },
}


class Population:
    def __init__(self, store: Store, database_id: int, ids: dict[str, int]) -> None:
        self.store = store
        self.database_id = database_id
        self.names = {v: k for k, v in ids.items()}

    def select(self, *rules: dict[str, Any]) -> set[str]:
        spec = SelectionSpec(self.database_id, {"combinator": "and", "rules": list(rules)})
        with self.store.begin() as conn:
            ids = conn.execute(selection_ids(self.store, conn, spec)).scalars().all()
            assert count(self.store, conn, spec) == len(ids)
        return {self.names[i] for i in ids}

    def problems(self, *rules: dict[str, Any]) -> list[str]:
        spec = SelectionSpec(self.database_id, {"combinator": "and", "rules": list(rules)})
        with self.store.begin() as conn:
            return [str(p) for p in validate(self.store, conn, spec)]


def _build(store: Store) -> Population:
    with store.begin() as conn:
        db = store.create_database(conn, "Fields")
        for key, (ftype, options) in CUSTOM.items():
            store.add_custom_field(conn, db, key, key.replace("_", " ").title(), ftype, options)
        columns = {f.key: f.column_name for f in store.fields(conn, db)}
        ids = {}
        for name, values in ROWS.items():
            row = {str(columns[k]): v for k, v in values.items()}
            ids[name] = conn.execute(
                insert(store.profiles).values(database_id=db, **row).returning(store.profiles.c.id)
            ).scalar_one()
    return Population(store, db, ids)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def population(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Population]:
    """The population on each backend, built once per module."""
    urls: Iterator[str]
    if request.param == "sqlite":
        urls = iter([f"sqlite:///{tmp_path_factory.mktemp('fields') / 'store.sqlite3'}"])
    else:
        urls = pg_database_url()
    for url in urls:
        store = open_store(url, create=True)
        try:
            yield _build(store)
        finally:
            store.close()


def by_field(field: str, operator: str, value: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value, "valueSource": "field"}


# -- the documented semantics, in Python -------------------------------------------------


def _value(name: str, key: str, against: str) -> Any:
    """A profile's value of ``key`` as compared with field ``against``: a
    date-time against a date is its calendar day."""
    value = ROWS[name].get(key)
    if isinstance(value, dt.datetime) and TYPES[against] is FieldType.DATE:
        return value.date()
    return value


def _present(value: Any) -> bool:
    return value is not None and value != ""


_POSITIVE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "before": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "after": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "contains": lambda a, b: b.lower() in a.lower(),
    "beginsWith": lambda a, b: a.lower().startswith(b.lower()),
    "endsWith": lambda a, b: a.lower().endswith(b.lower()),
}
_NEGATION = {
    "!=": "=",
    "notBetween": "between",
    "doesNotContain": "contains",
    "doesNotBeginWith": "beginsWith",
    "doesNotEndWith": "endsWith",
}


def expected(left: str, operator: str, right: str | list[str]) -> set[str]:
    positive = _NEGATION.get(operator, operator)
    found = set()
    for name in NAMES:
        if positive == "between":
            assert isinstance(right, list)
            low, high = right
            a_lo, a_hi = _value(name, left, low), _value(name, left, high)
            lo, hi = _value(name, low, left), _value(name, high, left)
            if all(map(_present, (a_lo, lo, hi))) and lo <= a_lo and a_hi <= hi:
                found.add(name)
            continue
        assert isinstance(right, str)
        a, b = _value(name, left, right), _value(name, right, left)
        if _present(a) and _present(b) and _POSITIVE[positive](a, b):
            found.add(name)
    return found if positive == operator else set(NAMES) - found


# -- every comparable type pair ----------------------------------------------------------

#: Two fields of each comparable type (the first of each type is the left side).
FIELDS_OF_TYPE: dict[FieldType, tuple[str, str]] = {
    FieldType.INTEGER: ("points", "target"),
    FieldType.FLOAT: ("score", "max_score"),
    FieldType.STRING: ("first_name", "nickname"),
    FieldType.EMAIL: ("email", "alt_email"),
    FieldType.IP: ("ip", "gateway"),
    FieldType.ENUM: ("level", "wanted_level"),
    FieldType.DATE: ("seen_on", "birthday"),
    FieldType.DATETIME: ("registered_at", "last_login"),
    FieldType.BOOLEAN: ("vip", "verified"),
}


def _pair_cases() -> list[tuple[str, str, Any]]:
    cases: list[tuple[str, str, Any]] = []
    for left_type, right_type in itertools.product(FIELDS_OF_TYPE, repeat=2):
        if not ops.comparable_types(left_type.value, right_type.value):
            continue
        left = FIELDS_OF_TYPE[left_type][0]
        right = FIELDS_OF_TYPE[right_type][1]
        for operator in ops.field_operators(left_type.value):
            if operator in ops.FIELD_PAIR_OPERATORS:
                low = FIELDS_OF_TYPE[right_type][1]
                cases.append((left, operator, [low, FIELDS_OF_TYPE[left_type][1]]))
            else:
                cases.append((left, operator, right))
    return cases


PAIR_CASES = _pair_cases()


@pytest.mark.parametrize(
    "left, operator, right", PAIR_CASES, ids=[f"{a}-{o}-{b}" for a, o, b in PAIR_CASES]
)
def test_field_compared_with_field(
    population: Population, left: str, operator: str, right: Any
) -> None:
    assert population.select(by_field(left, operator, right)) == expected(left, operator, right)


def test_cases_cover_every_comparable_type_pair_and_operator() -> None:
    pairs = {
        (TYPES[a].value, TYPES[b if isinstance(b, str) else b[0]].value) for a, _, b in PAIR_CASES
    }
    comparable = {
        (a.value, b.value)
        for a, b in itertools.product(FieldType, repeat=2)
        if ops.comparable_types(a.value, b.value)
    }
    assert pairs == comparable and len(comparable) == 2 * 2 + 4 * 4 + 2 * 2 + 1
    for ftype in FIELDS_OF_TYPE:
        covered = {o for a, o, _ in PAIR_CASES if TYPES[a] is ftype}
        assert covered == set(ops.field_operators(ftype.value)), ftype


#: Type pairs no valid values can tell apart: an IP or an option never
#: equals, contains or begins an email, an IP never an option, and back.
NEVER_MATCH = {("ip", "email"), ("ip", "enum"), ("enum", "ip"), ("enum", "email")}


def test_every_type_pair_has_a_case_that_splits_the_profiles() -> None:
    """For each type pair, some operator selects some profiles and not others."""
    split: dict[tuple[str, str], bool] = {}
    for case in PAIR_CASES:
        left, _, right = case
        pair = (TYPES[left].value, TYPES[right if isinstance(right, str) else right[0]].value)
        split[pair] = split.get(pair, False) or 0 < len(expected(*case)) < len(NAMES)
    assert {pair for pair, splits in split.items() if not splits} == NEVER_MATCH


# -- written out by hand -----------------------------------------------------------------


@pytest.mark.parametrize(
    "rule, names",
    [
        (by_field("points", "=", "target"), {"ann", "eve"}),
        (by_field("points", "<", "target"), {"bob"}),
        (by_field("points", "!=", "target"), {"bob", "cid", "dee"}),
        (by_field("score", ">", "max_score"), {"bob"}),
        (by_field("points", "between", ["target", "score"]), set()),
        (by_field("score", "between", ["points", "max_score"]), set()),
        (by_field("points", "notBetween", ["target", "target"]), {"bob", "cid", "dee"}),
        # text: = exact, matches ignore case, % and _ are plain characters
        (by_field("first_name", "=", "last_name"), {"eve"}),
        (by_field("first_name", "contains", "nickname"), {"ann"}),
        (by_field("first_name", "doesNotContain", "nickname"), {"bob", "cid", "dee", "eve"}),
        (by_field("first_name", "beginsWith", "nickname"), {"ann"}),
        (by_field("level", "=", "nickname"), {"dee"}),
        (by_field("email", "endsWith", "gateway"), {"cid"}),
        (by_field("ip", "contains", "nickname"), {"eve"}),
        (by_field("email", "=", "alt_email"), {"ann"}),
        (by_field("level", "=", "wanted_level"), {"ann", "dee"}),
        (by_field("level", "=", "tier"), {"dee", "eve", "ann"}),
        (by_field("ip", "!=", "gateway"), {"bob", "cid", "dee"}),
        # text order is by code point: "Silver" < "silver"
        (by_field("tier", "<", "level"), {"bob"}),
        (by_field("last_name", "between", ["first_name", "nickname"]), {"ann"}),
        # dates; a date-time against a date is its day
        (by_field("seen_on", "=", "registered_at"), {"ann", "dee", "eve"}),
        (by_field("seen_on", "after", "registered_at"), {"bob"}),
        (by_field("registered_at", "before", "last_login"), {"ann", "bob"}),
        (by_field("registered_at", ">=", "seen_on"), {"ann", "dee", "eve"}),
        (by_field("last_login", "=", "seen_on"), {"ann", "cid"}),
        (by_field("birthday", "<", "seen_on"), {"ann", "bob", "eve"}),
        # booleans: equality
        (by_field("vip", "=", "verified"), {"ann", "eve"}),
    ],
)
def test_hand_checked_cases(population: Population, rule: dict[str, Any], names: set) -> None:
    assert population.select(rule) == names


def test_negation_is_the_complement_including_empty_values(population: Population) -> None:
    for left, operator, right in PAIR_CASES:
        negated = {v: k for k, v in _NEGATION.items()}.get(operator)
        if negated is None or negated not in ops.field_operators(TYPES[left].value):
            continue
        yes = population.select(by_field(left, operator, right))
        no = population.select(by_field(left, negated, right))
        assert yes.isdisjoint(no) and yes | no == set(NAMES), (left, operator, right)


def test_field_comparison_inside_a_not_group(population: Population) -> None:
    rule = by_field("points", "<", "target")
    negated = {"combinator": "and", "not": True, "rules": [rule]}
    assert population.select(negated) == set(NAMES) - population.select(rule)


@pytest.mark.parametrize("operator", ["null", "notNull"])
@pytest.mark.parametrize("field", ["last_name", "points", "vip"])
def test_is_empty_with_value_source_field_is_is_empty(
    population: Population, operator: str, field: str
) -> None:
    """react-querybuilder keeps ``valueSource: "field"`` on a rule whose operator
    was switched to "is null" / "is not null" and writes ``x is null`` for it,
    ignoring the value: such a pasted rule selects what the plain one does."""
    plain = {"field": field, "operator": operator}
    pasted = {**plain, "value": "", "valueSource": "field"}
    assert population.problems(pasted) == []
    assert population.select(pasted) == population.select(plain)
    assert population.select({"combinator": "and", "not": True, "rules": [pasted]}) == (
        set(NAMES) - population.select(plain)
    )


def test_value_source_value_is_the_default(population: Population) -> None:
    plain = {"field": "first_name", "operator": "=", "value": "last_name"}
    assert population.select(plain) == set()
    assert population.select({**plain, "valueSource": "value"}) == set()
    assert population.select(by_field("first_name", "=", "last_name")) == {"eve"}


# -- refused, one line each --------------------------------------------------------------


@pytest.mark.parametrize(
    "rule, message",
    [
        (
            by_field("points", "=", "first_name"),
            "'points' (integer) cannot be compared with "
            "'first_name' (string); compare it with a field of type integer or float",
        ),
        (by_field("seen_on", "<", "vip"), "'seen_on' (date) cannot be compared with 'vip'"),
        (by_field("vip", "=", "points"), "'vip' (boolean) cannot be compared with 'points'"),
        (by_field("first_name", "=", "phones"), "cannot be compared with 'phones' (phones)"),
        (by_field("points", "=", "nope"), "unknown field 'nope'"),
        (by_field("points", "=", ["target"]), "needs the other field's key as the value"),
        (by_field("points", "=", ""), "needs the other field's key as the value"),
        (by_field("points", "between", ["target"]), "between fields needs two field keys"),
        (
            by_field("points", "in", "target"),
            "operator 'in' cannot compare 'points' (integer) "
            "with another field; use one of: =, !=, <, <=, >, >=, between, notBetween",
        ),
        (by_field("seen_on", "inLastDays", "birthday"), "operator 'inLastDays' cannot compare"),
        (by_field("vip", "!=", "verified"), "operator '!=' is not valid for 'vip'"),
        (by_field("email", "<", "alt_email"), "operator '<' is not valid for 'email'"),
        (by_field("phones", "=", "phones"), "'phones' (phones) cannot be compared with another"),
        (by_field("$status", "=", "points"), "'$status' cannot be compared with a field"),
        (
            {**by_field("points", "=", "target"), "valueSource": "other"},
            "valueSource must be 'value' or 'field', not 'other'",
        ),
    ],
)
def test_incompatible_comparisons_are_refused_with_one_line(
    population: Population, rule: dict[str, Any], message: str
) -> None:
    problems = population.problems(rule)
    assert len(problems) == 1 and message in problems[0], problems
    assert "\n" not in problems[0]
    spec = SelectionSpec(population.database_id, {"combinator": "and", "rules": [rule]})
    with population.store.begin() as conn, pytest.raises(RuleError, match="invalid selection"):
        selection_ids(population.store, conn, spec)


# -- field names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["first_name", "firstName", "First name", "FIRST-NAME", "first name"]
)
def test_field_names_match_ignoring_case_and_separators(population: Population, name: str) -> None:
    assert population.select({"field": name, "operator": "=", "value": "Eve"}) == {"eve"}
    assert population.select(by_field(name, "=", "lastName")) == {"eve"}
    assert population.select(by_field("last_name", "=", name)) == {"eve"}


def test_unknown_field_name_is_refused(population: Population) -> None:
    problems = population.problems({"field": "firstNam", "operator": "=", "value": "Eve"})
    assert problems and "unknown field 'firstNam'" in problems[0]


def test_ambiguous_field_name_is_refused_naming_both(store: Store) -> None:
    with store.begin() as conn:
        db = store.create_database(conn, "Twins")
        store.add_custom_field(conn, db, "nick_name", "Nick name", FieldType.STRING)
        store.add_custom_field(conn, db, "nickname", "Nickname", FieldType.STRING)
        conn.execute(insert(store.profiles).values(database_id=db, first_name="x"))

    def problems(name: str) -> list[str]:
        rules = {"rules": [{"field": name, "operator": "null"}]}
        with store.begin() as conn:
            return [str(p) for p in validate(store, conn, SelectionSpec(db, rules))]

    assert problems("nickName") == [
        "rules[0]: field name 'nickName' matches both 'nick_name' and 'nickname'; use the exact key"
    ]
    assert problems("nick_name") == [] and problems("nickname") == []  # the key wins
    value_side = {"rules": [by_field("first_name", "=", "Nick Name")]}
    with store.begin() as conn:
        found = validate(store, conn, SelectionSpec(db, value_side))
    assert len(found) == 1 and "matches both 'nick_name' and 'nickname'" in found[0].message


# -- text order on a PostgreSQL database that sorts by locale -----------------------------


@pytest.fixture
def locale_sorted_store() -> Iterator[Store]:
    """A store on a PostgreSQL database whose collation is ICU's en-US, where
    ``'a' < 'B'`` (the test server's own databases sort by code point)."""
    if not PG_URL:
        pytest.skip("no PostgreSQL server (run scripts/test.sh, which starts one)")
    name = f"t_icu_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(
                text(
                    f'CREATE DATABASE "{name}" TEMPLATE template0 LOCALE_PROVIDER icu '
                    "ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
                )
            )
    except DBAPIError as exc:
        admin.dispose()
        pytest.skip(f"this PostgreSQL server cannot make an ICU database: {exc.orig}")
    store = open_store(PG_URL.rsplit("/", 1)[0] + f"/{name}", create=True)
    try:
        yield store
    finally:
        store.close()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_text_order_is_by_code_point_where_the_database_sorts_by_locale(
    locale_sorted_store: Store,
) -> None:
    store = locale_sorted_store
    with store.begin() as conn:
        assert conn.execute(text("SELECT 'a' < 'B'")).scalar() is True  # the locale's order
        db = store.create_database(conn, "Fruit")
        people = {"apple": "Zed", "Banana": "able", "Cherry": "Cherry"}
        ids = {
            conn.execute(
                insert(store.profiles)
                .values(database_id=db, first_name=first, last_name=last)
                .returning(store.profiles.c.id)
            ).scalar_one(): first
            for first, last in people.items()
        }

    def select(rule: dict[str, Any]) -> set[str]:
        spec = SelectionSpec(db, {"rules": [rule]})
        with store.begin() as conn:
            return {ids[i] for i in conn.execute(selection_ids(store, conn, spec)).scalars()}

    assert select({"field": "first_name", "operator": "<", "value": "b"}) == set(people)
    assert select({"field": "first_name", "operator": "between", "value": ["A", "Z"]}) == {
        "Banana",
        "Cherry",
    }
    assert select(by_field("first_name", ">", "last_name")) == {"apple"}
    assert select(by_field("first_name", "<=", "last_name")) == {"Banana", "Cherry"}
