"""Look-ups the GUI fills its lists from."""

from __future__ import annotations

from sqlalchemy import insert

from bulkprofiles_gui.core import catalog
from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.store import Store


def _seed(store: Store) -> tuple[int, int]:
    with store.begin() as conn:
        shop = store.create_database(conn, "Shop customers")
        other = store.create_database(conn, "Other")
        conn.execute(insert(m.Profile), [{"database_id": shop}] * 3 + [{"database_id": other}])
        conn.execute(
            insert(m.Resource), [{"id": 1, "name": "Newsletter"}, {"id": 2, "name": "Shop"}]
        )
        conn.execute(
            insert(m.ResourceChannel),
            [
                {"resource_id": 1, "channel": "email"},
                {"resource_id": 2, "channel": "sms"},
                {"resource_id": 2, "channel": "email"},
            ],
        )
        conn.execute(insert(m.ResourceDatabase), [{"resource_id": 2, "database_id": shop}])
        conn.execute(
            insert(m.LoyaltyProgram),
            [
                {"id": 1, "name": "Winter sale", "database_id": shop},
                {"id": 2, "name": "Elsewhere", "database_id": other},
                {"id": 3, "name": "Everyone", "database_id": None},
            ],
        )
        conn.execute(
            insert(m.PromoCode),
            [
                {"program_id": 1, "code": "W1", "status": "free"},
                {"program_id": 1, "code": "W2", "status": "free"},
                {"program_id": 1, "code": "W3", "status": "activated"},
            ],
        )
    return shop, other


def test_databases_with_counts_and_resources(store: Store) -> None:
    shop, _ = _seed(store)
    with store.begin() as conn:
        rows = {r.name: r for r in catalog.list_databases(store, conn)}
    assert rows["Shop customers"].profiles == 3
    assert rows["Other"].profiles == 1
    assert rows["Shop customers"].resources == ("Shop",)
    assert rows["Other"].resources == ()
    assert rows["Shop customers"].id == shop
    assert rows["Shop customers"].fields > 5


def test_only_attached_resources_with_their_channels(store: Store) -> None:
    shop, other = _seed(store)
    with store.begin() as conn:
        attached = catalog.attached_resources(store, conn, shop)
        none = catalog.attached_resources(store, conn, other)
        everything = catalog.all_resources(store, conn)
    assert [(r.name, r.channels) for r in attached] == [("Shop", ("email", "sms"))]
    assert none == []
    assert [r.name for r in everything] == ["Newsletter", "Shop"]


def test_programs_of_the_database_with_pool_counts(store: Store) -> None:
    shop, _ = _seed(store)
    with store.begin() as conn:
        programs = catalog.loyalty_programs(store, conn, shop)
    assert [(p.name, p.free, p.attached, p.activated) for p in programs] == [
        ("Everyone", 0, 0, 0),
        ("Winter sale", 2, 0, 1),
    ]


def test_editable_fields_leave_out_identity_and_bookkeeping(store: Store) -> None:
    shop, _ = _seed(store)
    with store.begin() as conn:
        keys = [f.key for f in catalog.editable_fields(store, conn, shop)]
    assert "id" not in keys and "created_at" not in keys and "last_interaction_at" not in keys
    assert "email" in keys and "city" in keys
