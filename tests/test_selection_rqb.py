"""Rules pasted from react-querybuilder: its own database test suite, on SQLite
and PostgreSQL.

react-querybuilder checks its SQL output against a table of four super
heroes (``dbqueryTestUtils.ts``: ``superUsers`` and ``dbTests``, plus the
``valueSource: "field"`` cases of its Drizzle suite).  The same queries,
written exactly as react-querybuilder holds them (camelCase field names such
as ``firstName``, field-to-field conditions), must select the same rows here
as its ``expectedResult`` says; the expectations below are its predicates,
in Python.  The heroes are profiles of a database whose fields are keyed
``first_name``, ``made_up_name``, ``power_up_age``, ...

Left out, because they test react-querybuilder's ``formatQuery`` options and
not the rule model: ``bigint`` (a JavaScript ``20n``, not JSON),
``manipulateValueOrder`` / ``preserveValueOrder`` (``between`` with from >
to, which this tool refuses), and ``fallbacks`` (rules that react-querybuilder
skips when invalid; here an invalid rule is refused, never skipped).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import pg_database_url
from sqlalchemy import insert

from bulkprofiles_gui.core.fields import FieldType
from bulkprofiles_gui.core.selection import SelectionSpec, selection_ids, validate
from bulkprofiles_gui.core.store import Store, open_store


@dataclass(frozen=True)
class Hero:
    firstName: str  # react-querybuilder's names, as its tests write them
    lastName: str
    enhanced: bool
    madeUpName: str
    nickname: str
    powerUpAge: int | None


HEROES = (
    Hero("Bruce", "Wayne", False, "Batman", "The Dark Knight", None),
    Hero("Steve", "Rogers", True, "Captain America", "Cap", 20),
    Hero("Peter", "Parker", True, "Spider-Man", "Spidey", 15),
    Hero("Clark", "Kent", True, "Superman", "Supes", 0),
)

Predicate = Callable[[Hero], bool]


def _age(hero: Hero, default: int) -> int:
    return default if hero.powerUpAge is None else hero.powerUpAge


def _group(*rules: dict[str, Any], combinator: str = "and", **extra: Any) -> dict[str, Any]:
    return {"combinator": combinator, "rules": list(rules), **extra}


def _rule(field: str, operator: str, value: Any, **extra: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value, **extra}


def _by_field(field: str, operator: str, value: Any) -> dict[str, Any]:
    return _rule(field, operator, value, valueSource="field")


#: name -> (query, react-querybuilder's expectedResult as a predicate)
DB_TESTS: dict[str, tuple[dict[str, Any], Predicate]] = {
    "and/or": (
        _group(
            _rule("firstName", "beginsWith", "P"),
            _group(
                _rule("madeUpName", "doesNotContain", "Bat"),
                _rule("madeUpName", "endsWith", "man"),
            ),
            combinator="or",
        ),
        lambda u: (
            u.firstName.startswith("P")
            or ("Bat" not in u.madeUpName and u.madeUpName.endswith("man"))
        ),
    ),
    "=": (
        _group(_rule("firstName", "=", "Peter"), _rule("lastName", "=", "Parker")),
        lambda u: u.firstName == "Peter" and u.lastName == "Parker",
    ),
    "!=": (
        _group(_rule("firstName", "!=", "Peter"), _rule("lastName", "!=", "Parker")),
        lambda u: u.firstName != "Peter" and u.lastName != "Parker",
    ),
    "beginsWith": (
        _group(_rule("firstName", "beginsWith", "P"), _rule("lastName", "beginsWith", "P")),
        lambda u: u.firstName.startswith("P") and u.lastName.startswith("P"),
    ),
    "doesNotBeginWith": (
        _group(_rule("madeUpName", "doesNotBeginWith", "S")),
        lambda u: not u.madeUpName.startswith("S"),
    ),
    "endsWith": (
        _group(_rule("firstName", "endsWith", "e"), _rule("lastName", "endsWith", "s")),
        lambda u: u.firstName.endswith("e") and u.lastName.endswith("s"),
    ),
    "doesNotEndWith": (
        _group(_rule("madeUpName", "doesNotEndWith", "n")),
        lambda u: not u.madeUpName.endswith("n"),
    ),
    "contains": (
        _group(_rule("firstName", "contains", "ete"), _rule("lastName", "contains", "ark")),
        lambda u: "ete" in u.firstName and "ark" in u.lastName,
    ),
    "doesNotContain": (
        _group(_rule("madeUpName", "doesNotContain", "r")),
        lambda u: "r" not in u.madeUpName,
    ),
    "greater than": (
        _group(_rule("powerUpAge", ">", 15), _rule("powerUpAge", ">", "15")),
        lambda u: _age(u, 0) > 15,
    ),
    "greater than or equal to": (
        _group(_rule("powerUpAge", ">=", 15), _rule("powerUpAge", ">=", "15")),
        lambda u: _age(u, 0) >= 15,
    ),
    "less than": (
        _group(_rule("powerUpAge", "<", 20), _rule("powerUpAge", "<", "20")),
        lambda u: _age(u, 999) < 20,
    ),
    "less than or equal to": (
        _group(_rule("powerUpAge", "<=", 15), _rule("powerUpAge", "<=", "15")),
        lambda u: _age(u, 999) <= 15,
    ),
    "boolean": (_group(_rule("enhanced", "=", True)), lambda u: u.enhanced),
    "between/notBetween": (
        _group(
            _rule("powerUpAge", "between", [10, 30]),
            _rule("powerUpAge", "between", ["10", "30"]),
            _rule("powerUpAge", "between", "10,30"),
            _rule("powerUpAge", "notBetween", [-10, 10]),
            _rule("powerUpAge", "notBetween", "-10,10"),
            _rule("powerUpAge", "notBetween", ["-10", "10"]),
        ),
        lambda u: _age(u, 0) >= 10 and _age(u, 999) <= 30,
    ),
    "in/notIn": (
        _group(
            _rule("lastName", "in", ["Rogers", "Wayne"]),
            _rule("lastName", "in", "Rogers,Wayne"),
            _rule("lastName", "notIn", "Parker,Kent"),
            _rule("lastName", "notIn", ["Parker", "Kent"]),
        ),
        lambda u: u.lastName in ("Rogers", "Wayne") and u.lastName not in ("Parker", "Kent"),
    ),
    "null/notNull": (
        _group(_rule("powerUpAge", "null", None), _rule("madeUpName", "notNull", None)),
        lambda u: u.powerUpAge is None,
    ),
    # The Drizzle suite's additions: a negated group and the field-to-field cases.
    "not": (
        _group(
            _rule("powerUpAge", "notNull", None),
            _rule("madeUpName", "null", None),
            combinator="or",
            **{"not": True},
        ),
        lambda u: not (u.powerUpAge is not None),
    ),
    "valueSourceFieldBetween": (
        _group(_by_field("lastName", "between", ["firstName", "madeUpName"])),
        lambda u: u.firstName <= u.lastName <= u.madeUpName,
    ),
    "valueSourceFieldBeginsWith": (
        _group(_by_field("madeUpName", "beginsWith", "nickname")),
        lambda u: u.madeUpName.startswith(u.nickname),
    ),
    "valueSourceFieldDoesNotBeginWith": (
        _group(_by_field("madeUpName", "doesNotBeginWith", "nickname")),
        lambda u: not u.madeUpName.startswith(u.nickname),
    ),
    "valueSourceFieldContains": (
        _group(_by_field("madeUpName", "contains", "nickname")),
        lambda u: u.nickname in u.madeUpName,
    ),
    "valueSourceFieldDoesNotContain": (
        _group(_by_field("madeUpName", "doesNotContain", "nickname")),
        lambda u: u.nickname not in u.madeUpName,
    ),
    "valueSourceFieldEndsWith": (
        _group(_by_field("madeUpName", "endsWith", "nickname")),
        lambda u: u.madeUpName.endswith(u.nickname),
    ),
    "valueSourceFieldDoesNotEndWith": (
        _group(_by_field("madeUpName", "doesNotEndWith", "nickname")),
        lambda u: not u.madeUpName.endswith(u.nickname),
    ),
}


class Heroes:
    def __init__(self, store: Store, database_id: int, ids: dict[int, str]) -> None:
        self.store = store
        self.database_id = database_id
        self.ids = ids

    def select(self, rules: dict[str, Any]) -> set[str]:
        spec = SelectionSpec(self.database_id, rules)
        with self.store.begin() as conn:
            problems = validate(self.store, conn, spec)
            assert not problems, problems
            found = conn.execute(selection_ids(self.store, conn, spec)).scalars().all()
        return {self.ids[i] for i in found}


def _build(store: Store) -> Heroes:
    with store.begin() as conn:
        db = store.create_database(conn, "Super users")
        for key, label, ftype in (
            ("enhanced", "Enhanced", FieldType.BOOLEAN),
            ("made_up_name", "Made up name", FieldType.STRING),
            ("nickname", "Nickname", FieldType.STRING),
            ("power_up_age", "Power up age", FieldType.INTEGER),
        ):
            store.add_custom_field(conn, db, key, label, ftype)
        column = {f.key: str(f.column_name) for f in store.fields(conn, db)}
        ids = {}
        for hero in HEROES:
            values = {
                "first_name": hero.firstName,
                "last_name": hero.lastName,
                "enhanced": hero.enhanced,
                "made_up_name": hero.madeUpName,
                "nickname": hero.nickname,
                "power_up_age": hero.powerUpAge,
            }
            row = {column[k]: v for k, v in values.items()}
            new_id = conn.execute(
                insert(store.profiles).values(database_id=db, **row).returning(store.profiles.c.id)
            ).scalar_one()
            ids[new_id] = hero.madeUpName
    return Heroes(store, db, ids)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def heroes(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    urls: Iterator[str]
    if request.param == "sqlite":
        urls = iter([f"sqlite:///{tmp_path_factory.mktemp('rqb') / 'store.sqlite3'}"])
    else:
        urls = pg_database_url()
    for url in urls:
        store = open_store(url, create=True)
        try:
            yield _build(store)
        finally:
            store.close()


@pytest.mark.parametrize("name", list(DB_TESTS))
def test_react_querybuilder_db_test_selects_its_expected_rows(heroes: Heroes, name: str) -> None:
    query, expected = DB_TESTS[name]
    assert heroes.select(query) == {h.madeUpName for h in HEROES if expected(h)}


def test_the_suite_holds_the_field_to_field_cases_and_they_select_something() -> None:
    by_field = [n for n, (q, _) in DB_TESTS.items() if "valueSource" in str(q)]
    assert len(by_field) == 7
    assert any(any(p(h) for h in HEROES) for n, (_, p) in DB_TESTS.items() if n in by_field)
