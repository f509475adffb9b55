"""The rule builder's field catalog (one operator table) and jQuery QueryBuilder import."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.fields import FieldType
from bulkprofiles_gui.core.selection import (
    OPERATOR_TABLE,
    RuleError,
    SelectionSpec,
    count,
    field_catalog,
    has_conditions,
    import_jquery_rules,
    validate,
)
from bulkprofiles_gui.core.selection.operators import LABELS
from bulkprofiles_gui.core.store import Store

VALUE_KINDS = {
    "none", "text", "number", "date", "datetime", "choice", "list", "pair", "days",
    "subscription", "event", "promo", "bool",
}  # fmt: skip


@pytest.fixture
def schema(sqlite_store: Store) -> tuple[Store, int]:
    store = sqlite_store
    with store.begin() as conn:
        db = store.create_database(conn, "Customers")
        store.add_custom_field(conn, db, "level", "Level", FieldType.ENUM, ("bronze", "gold"))
        store.add_custom_field(conn, db, "tags", "Tags", FieldType.TAGS)
        res = conn.execute(
            insert(m.Resource).values(name="Newsletter").returning(m.Resource.id)
        ).scalar_one()
        conn.execute(insert(m.ResourceChannel).values(resource_id=res, channel="email"))
        conn.execute(insert(m.ResourceDatabase).values(resource_id=res, database_id=db))
        conn.execute(insert(m.LoyaltyProgram).values(name="Winter sale", database_id=db))
        conn.execute(insert(store.profiles), [{"database_id": db, "city": "Berlin"}])
    return store, db


def test_catalog_lists_fields_then_reserved_groups(schema: tuple[Store, int]) -> None:
    store, db = schema
    with store.begin() as conn:
        catalog = field_catalog(store, conn, db)
    by_key = {c.key: c for c in catalog}
    assert catalog[0].key == "id" and catalog[0].group == "Profile fields"
    assert [c.group for c in catalog[-4:]] == [
        "Global status",
        "Subscriptions",
        "Action history",
        "Promo codes",
    ]
    assert by_key["level"].options == ("bronze", "gold")
    assert by_key["$subscription"].options == ("Newsletter",)
    assert by_key["$subscription"].details["channels:Newsletter"] == ("email",)
    assert by_key["$promo"].options == ("Winter sale",)
    assert "opened" in by_key["$event"].options
    assert "unsubscribed" in by_key["$status"].options


def test_catalog_operators_come_from_the_one_table(schema: tuple[Store, int]) -> None:
    store, db = schema
    with store.begin() as conn:
        catalog = field_catalog(store, conn, db)
    for choice in catalog:
        table = OPERATOR_TABLE[choice.type]
        assert [o.name for o in choice.operators] == [name for name, _ in table]
        assert all(o.value_kind in VALUE_KINDS for o in choice.operators), choice.key
    by_key = {c.key: {o.name: o for o in c.operators} for c in catalog}
    assert by_key["id"]["between"].value_kind == "pair"
    assert by_key["birthday"]["inLastDays"].value_kind == "days"
    assert by_key["registered_at"]["before"].value_kind == "datetime"
    assert by_key["gender"]["="].value_kind == "choice"
    assert by_key["city"]["!="].label == "is not (or empty)"
    assert by_key["tags"]["hasNoTag"].label.endswith("(or no tags)")
    assert "contains" not in by_key["id"] and "contains" not in by_key["birthday"]


def test_every_offered_operator_has_a_label() -> None:
    for table in OPERATOR_TABLE.values():
        for name, _kind in table:
            assert name in LABELS


def test_jquery_rules_import_and_select(schema: tuple[Store, int]) -> None:
    store, db = schema
    jquery = {
        "condition": "OR",
        "rules": [
            {
                "id": "city",
                "field": "city",
                "type": "string",
                "operator": "equal",
                "value": "Berlin",
            },
            {
                "condition": "AND",
                "not": True,
                "rules": [{"id": "city", "operator": "is_not_empty", "value": None}],
            },
            {"field": "registered_at", "operator": "inLastDays", "value": 30},
        ],
        "valid": True,
    }
    rules = import_jquery_rules(jquery)
    assert rules == {
        "combinator": "or",
        "not": False,
        "rules": [
            {"field": "city", "operator": "=", "value": "Berlin"},
            {
                "combinator": "and",
                "not": True,
                "rules": [{"field": "city", "operator": "notNull", "value": None}],
            },
            {"field": "registered_at", "operator": "inLastDays", "value": 30},
        ],
    }
    with store.begin() as conn:
        assert validate(store, conn, SelectionSpec(db, rules)) == []
        assert count(store, conn, SelectionSpec(db, rules)) == 1


@pytest.mark.parametrize(
    "raw, path",
    [
        ({"condition": "XOR", "rules": []}, ""),
        ({"condition": "AND", "rules": [{"operator": "equal"}]}, "rules[0]"),
        ({"condition": "AND", "rules": [{"rules": ["x"]}]}, "rules[0].rules[0]"),
        ([], ""),
    ],
)
def test_jquery_import_refuses_wrong_shapes(raw: object, path: str) -> None:
    with pytest.raises(RuleError) as raised:
        import_jquery_rules(raw)  # type: ignore[arg-type]
    assert raised.value.problems[0].path == path


def test_has_conditions() -> None:
    assert not has_conditions({"combinator": "and", "rules": []})
    assert not has_conditions({"combinator": "and", "rules": [{"combinator": "or", "rules": []}]})
    assert not has_conditions({"rules": [{"field": "city", "operator": "null", "disabled": True}]})
    assert has_conditions(
        {"rules": [{"rules": [{"field": "city", "operator": "null", "value": None}]}]}
    )
    assert not has_conditions(None)
