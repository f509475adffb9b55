"""Fuzz: random job files through the job parser, the rule compiler and the
action parsers, on SQLite and PostgreSQL.

Every document - random shapes, depths past the limit, wide groups, unicode,
SQL fragments, LIKE wildcards, numbers past 64 bits, NaN, broken JSON - ends
in exactly one of two ways: a count of profiles (0 <= n <= all), or one
operator error (the types ``cli`` prints as ``bulkprofiles: error: ...``)
whose message is one line of under 300 characters.  Never another exception
(a traceback), and never a change to the data: the tables' digest is the
same after every example.

Also: SQL metacharacters and LIKE wildcards in values match literally
(``contains 50%_off`` finds that text and nothing else) on both backends.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from action_helpers import table_digest
from conftest import pg_database_url
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.config import Settings
from bulkprofiles_gui.core.fields import FieldType
from bulkprofiles_gui.core.jobfile import Job, job_error_types
from bulkprofiles_gui.core.jobs import TaskError, plan_job
from bulkprofiles_gui.core.preflight import count_effective
from bulkprofiles_gui.core.selection import (
    OPERATOR_TABLE,
    RESERVED_FIELDS,
    SelectionSpec,
    count,
    resolve_job_selection,
    selection_ids,
)
from bulkprofiles_gui.core.store import Store, open_store

DB = "Fuzz customers"
#: Texts an operator (or an attacker) may type: SQL, LIKE wildcards, escapes, unicode.
NASTY = [
    "50%_off",
    "50% off",
    "500_off",
    "%",
    "_",
    "%%",
    "/",
    "/%",
    "\\",
    "\\%",
    "'",
    "''",
    '"',
    "O'Brien",
    "x' OR '1'='1",
    "'; DROP TABLE profiles; --",
    "1; DELETE FROM profiles",
    "$1",
    ":name",
    "%(city)s",
    "?",
    "NULL",
    "\x00",
    "Fuzz\x00customers",
    "Zürich",
    "東京",
    "🙂",
    "İstanbul",
    "a\nb",
    " ",
    "",
]
CITIES = ["Berlin", "50%_off", "50% off", "500_off", "a_b", "axb", "O'Brien", "Zürich", None]
FIELDS = [
    "city",
    "email",
    "age",
    "score",
    "level",
    "vip",
    "seen_on",
    "registered_at",
    "tags",
    "phones",
    *RESERVED_FIELDS,
]
ERRORS = (*job_error_types(), TaskError)


# -- the store ----------------------------------------------------------------------------
@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("fuzz") / "store.sqlite3"
        store = open_store(f"sqlite:///{path}", create=True)
        try:
            yield _filled(store)
        finally:
            store.close()
        return
    for url in pg_database_url():
        store = open_store(url, create=True)
        try:
            yield _filled(store)
        finally:
            store.close()


def _filled(store: Store) -> Store:
    """40 profiles whose cities and tags hold wildcards, quotes and unicode."""
    with store.begin() as conn:
        db = store.create_database(conn, DB)
        for key, ftype, options in (
            ("age", FieldType.INTEGER, ()),
            ("score", FieldType.FLOAT, ()),
            ("level", FieldType.ENUM, ("bronze", "gold")),
            ("vip", FieldType.BOOLEAN, ()),
            ("seen_on", FieldType.DATE, ()),
            ("tags", FieldType.TAGS, ()),
        ):
            store.add_custom_field(conn, db, key, key.title(), ftype, options)
        fields = {f.key: f for f in store.fields(conn, db)}
        rows = [
            {
                "database_id": db,
                "email": f"p{i}@example.com",
                "city": CITIES[i % len(CITIES)],
                fields["age"].column_name: i,
                "global_status": "unsubscribed" if i % 7 == 0 else "subscribed",
                "created_at": dt.datetime(2025, 1, 1),
            }
            for i in range(40)
        ]
        conn.execute(insert(store.profiles), rows)
        ids = [
            r[0]
            for r in conn.execute(store.profiles.select().with_only_columns(store.profiles.c.id))
        ]
        conn.execute(
            insert(m.ProfileListValue),
            [
                {"profile_id": pid, "field_id": fields["tags"].id, "value": CITIES[i % 8] or "x"}
                for i, pid in enumerate(ids)
            ],
        )
    return store


# -- strategies ----------------------------------------------------------------------------
TEXT = st.sampled_from(NASTY) | st.text(max_size=12) | st.text(min_size=190, max_size=300)
NUMBERS = (
    st.integers(min_value=-(2**70), max_value=2**70)
    | st.sampled_from([0, 1, -1, 30, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1])
    | st.floats(allow_nan=True, allow_infinity=True)
)
DATES = st.sampled_from(["2025-01-01", "2025-01-01T10:00", "2025-13-01", "yesterday", "0001-01-01"])
SCALARS = st.none() | st.booleans() | NUMBERS | TEXT | DATES
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=8,
)
#: Values of the reserved fields' object shapes, right and wrong.
OBJECTS = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["opened", "clicked", "purchase"]) | TEXT,
        "resource": st.sampled_from(["Newsletter"]) | TEXT,
        "program": TEXT,
        "lastDays": NUMBERS | TEXT,
        "atLeast": NUMBERS,
        "channel": st.just("email") | TEXT,
        "status": st.just("subscribed") | TEXT | st.lists(TEXT, max_size=3),
        "from": DATES | TEXT,
        "to": DATES,
        "task": NUMBERS,
        "outcomes": st.lists(TEXT, max_size=3),
    },
)
#: The keys each reserved condition's object takes.
OBJECT_KEYS = {
    "subscription": {"resource", "channel", "status"},
    "event": {"type", "channel", "resource", "lastDays", "from", "to", "atLeast"},
    "promo": {"program"},
    "task": {"task", "outcomes"},
}
#: field -> its kind in the operator table.
FIELD_KINDS = {
    "city": "string",
    "email": "email",
    "age": "integer",
    "score": "float",
    "level": "enum",
    "vip": "boolean",
    "seen_on": "date",
    "registered_at": "datetime",
    "tags": "tags",
    "phones": "phones",
    "$status": "status",
    "$subscription": "subscription",
    "$event": "event",
    "$promo": "promo",
    "$task": "task",
}
OPERATORS = sorted({name for ops in OPERATOR_TABLE.values() for name, _ in ops})


@st.composite
def conditions(draw: st.DrawFn) -> Any:
    """Mostly a field with one of its own operators and a value of about the
    right shape (so the compiler's value checks are reached); sometimes chaos."""
    if _sometimes(draw, 5):
        return {
            "field": draw(st.sampled_from(FIELDS) | TEXT),
            "operator": draw(st.sampled_from(OPERATORS) | TEXT),
            "value": draw(VALUES | OBJECTS),
            **draw(st.fixed_dictionaries({}, optional={"disabled": st.booleans(), "odd": VALUES})),
        }
    field = draw(st.sampled_from(sorted(FIELD_KINDS)))
    kind = FIELD_KINDS[field]
    operator = draw(st.sampled_from([name for name, _ in OPERATOR_TABLE[kind]]))
    value_kind = dict(OPERATOR_TABLE[kind])[operator]
    if value_kind in OBJECT_KEYS and not _sometimes(draw, 5):
        keys = OBJECT_KEYS[value_kind]
        value = {k: v for k, v in draw(OBJECTS).items() if k in keys}
    elif value_kind in OBJECT_KEYS:
        value = draw(OBJECTS)
    elif value_kind in ("list", "pair"):
        value = draw(st.lists(SCALARS, max_size=4) | TEXT)
    elif value_kind == "none":
        value = draw(st.none() | SCALARS)
    else:
        value = draw(SCALARS)
    return {"field": field, "operator": operator, "value": value}


def _group(children: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def group(draw: st.DrawFn) -> dict[str, Any]:
        node: dict[str, Any] = {
            "combinator": draw(st.sampled_from(["and", "or", "AND", "Or"])),
            "rules": draw(st.lists(children, max_size=6)),
        }
        if _sometimes(draw, 10):
            node["combinator"] = draw(TEXT | SCALARS)
        if draw(st.booleans()):
            node["not"] = draw(SCALARS) if _sometimes(draw, 10) else draw(st.booleans())
        return node

    return group()


TREES = st.recursive(conditions() | SCALARS, _group, max_leaves=20)


@st.composite
def rule_trees(draw: st.DrawFn) -> Any:
    """A random tree, sometimes wrapped in up to 130 more groups (past the limit
    of 100) or widened to a few hundred conditions."""
    tree = draw(_group(TREES))
    for _ in range(draw(st.sampled_from([0, 0, 0, 0, 5, 99, 100, 130]))):
        tree = {"combinator": "and", "rules": [tree]}
    if _sometimes(draw, 10):
        tree = {"combinator": "or", "rules": [draw(conditions())] * 300 + [tree]}
    return tree


ACTIONS = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            ["update_fields", "delete_profiles", "global_unsubscribe", "update_subscriptions"]
        )
        | TEXT
    },
    optional={
        "changes": st.lists(
            st.fixed_dictionaries(
                {
                    "field": st.sampled_from(FIELDS) | TEXT,
                    "op": st.sampled_from(["set", "clear", "increment", "add", "remove"]),
                    "value": VALUES,
                }
            ),
            max_size=3,
        ),
        "resource": TEXT,
        "channel": TEXT,
        "status": TEXT,
    },
)


def _sometimes(draw: st.DrawFn, one_in: int) -> bool:
    """True about once in ``one_in`` draws (a middle value: hypothesis favours
    the ends of a range)."""
    return draw(st.integers(0, one_in - 1)) == one_in // 2


@st.composite
def job_docs(draw: st.DrawFn) -> dict[str, Any]:
    """A job document that is mostly well-formed at the top, so the rules and
    the action are what gets tried; now and then a wrong top-level key."""
    doc: dict[str, Any] = {"database": DB}
    if _sometimes(draw, 10):
        doc["database"] = draw(TEXT | SCALARS)
    if not _sometimes(draw, 6):
        doc["rules"] = draw(rule_trees() | SCALARS) if _sometimes(draw, 10) else draw(rule_trees())
    if _sometimes(draw, 4):
        doc["limit"] = draw(NUMBERS | SCALARS)
    if _sometimes(draw, 8):
        doc["range"] = draw(
            st.fixed_dictionaries({}, optional={"from": NUMBERS, "to": NUMBERS}) | SCALARS
        )
    if _sometimes(draw, 3):
        doc["action"] = draw(ACTIONS)
    for key in ("segment", "skip_triggers", "surprise"):
        if _sometimes(draw, 20):
            doc[key] = draw(SCALARS)
    return doc


@st.composite
def job_texts(draw: st.DrawFn) -> str:
    """The JSON text of a random job, sometimes broken on purpose."""
    text = json.dumps(draw(job_docs()), ensure_ascii=draw(st.booleans()))
    damage = draw(st.sampled_from(["none"] * 12 + ["cut", "brackets", "digits"]))
    if damage == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    elif damage == "brackets":
        text = "[" * draw(st.integers(250, 3000)) + text
    elif damage == "digits":
        digits = "1" + "0" * draw(st.integers(18, 6000))
        text = text.replace('"database"', f'"limit": {digits}, "database"', 1)
    return text


# -- the property ---------------------------------------------------------------------------
def _outcome(store: Store, path: Path) -> int | None:
    """The count of the job in ``path`` (None: no action to check), or an
    operator error; also runs the action's parser and preflight count."""
    job = Job.load(path)
    with store.begin() as conn:
        spec = resolve_job_selection(store, conn, job)
        selected = count(store, conn, spec)
        if job.action is not None:
            plan = plan_job(store, conn, job, Settings())
            count_effective(store, conn, plan, Settings())
    return selected


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=job_texts())
def test_any_job_file_gives_a_count_or_one_clear_line(
    fuzz_store: Store, tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    path = tmp_path_factory.mktemp("job") / "job.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    before = table_digest(fuzz_store)
    try:
        selected = _outcome(fuzz_store, path)
    except ERRORS as exc:
        message = str(exc).replace(str(path), "JOB")
        assert "\n" not in message and "\r" not in message, message
        assert 0 < len(message) < 300, message
    else:
        assert selected is not None and 0 <= selected <= 40
    assert table_digest(fuzz_store) == before


# -- literal matching -------------------------------------------------------------------------
LITERAL_CASES = [
    ("contains", "50%_off", {"50%_off"}),
    ("contains", "%", {"50%_off", "50% off"}),
    ("contains", "_", {"50%_off", "500_off", "a_b"}),
    ("beginsWith", "50%", {"50%_off", "50% off"}),
    ("endsWith", "_off", {"50%_off", "500_off"}),
    ("contains", "'", {"O'Brien", "'; DROP TABLE profiles; --"}),
    ("=", "O'Brien", {"O'Brien"}),
    ("contains", "/", {"a/b"}),
    ("contains", "\\", {"back\\slash"}),
    ("contains", "'; DROP TABLE profiles; --", {"'; DROP TABLE profiles; --"}),
]
LITERAL_CITIES = sorted(
    {c for _, _, found in LITERAL_CASES for c in found} | {"Berlin", "500off", "a-b", "50 off"}
)


@pytest.mark.parametrize(("operator", "value", "expected"), LITERAL_CASES)
def test_sql_and_like_metacharacters_match_literally(
    store: Store, operator: str, value: str, expected: set[str]
) -> None:
    with store.begin() as conn:
        db = store.create_database(conn, DB)
        tags = store.add_custom_field(conn, db, "tags", "Tags", FieldType.TAGS)
        conn.execute(
            insert(store.profiles), [{"database_id": db, "city": c} for c in LITERAL_CITIES]
        )
        ids = dict(
            conn.execute(
                store.profiles.select()
                .with_only_columns(store.profiles.c.city, store.profiles.c.id)
                .where(store.profiles.c.database_id == db)
            ).all()
        )
        conn.execute(
            insert(m.ProfileListValue),
            [{"profile_id": pid, "field_id": tags, "value": city} for city, pid in ids.items()],
        )
    before = table_digest(store)
    by_id = {pid: city for city, pid in ids.items()}
    tag_operator = {"contains": "contains", "=": "hasTag"}.get(operator)
    for field, op in (("city", operator), ("tags", tag_operator)):
        if op is None:  # tags offer no beginsWith / endsWith
            continue
        rules = {"combinator": "and", "rules": [{"field": field, "operator": op, "value": value}]}
        with store.begin() as conn:
            found = {
                by_id[i]
                for i in conn.execute(
                    selection_ids(store, conn, SelectionSpec(db, rules))
                ).scalars()
            }
        assert found == expected, (field, operator, value)
    assert table_digest(store) == before
