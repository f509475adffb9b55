"""Managing the catalogue (core/manage.py): profile databases, custom fields,
resources and loyalty programs, every operation and every refusal, on both
backends.  A refusal is a CatalogError (a StoreError) of one line naming the
thing, and changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, inspect, select

from bulkprofiles_gui.core import catalog, manage
from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.fields import FieldType
from bulkprofiles_gui.core.jobfile import Job
from bulkprofiles_gui.core.jobs import prepare_task
from bulkprofiles_gui.core.manage import CatalogError
from bulkprofiles_gui.core.segments import create_segment
from bulkprofiles_gui.core.selection import RuleError, SelectionSpec, check, count
from bulkprofiles_gui.core.store import Store, StoreError, open_store


def group(*rules: dict[str, Any], combinator: str = "and", negate: bool = False) -> dict[str, Any]:
    return {"combinator": combinator, "not": negate, "rules": list(rules)}


def rule(field: str, operator: str, value: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


@dataclass
class Shop:
    """Two databases: "Shop" (5 profiles, custom bonus/level/tags) and "Other"."""

    store: Store
    shop: int
    other: int
    shop_profiles: list[int]
    other_profiles: list[int]


def _profiles(store: Store, conn: Any, database_id: int, rows: list[dict[str, Any]]) -> list[int]:
    return [
        int(
            conn.execute(
                insert(store.profiles).values(database_id=database_id, **row)
            ).inserted_primary_key[0]
        )
        for row in rows
    ]


@pytest.fixture
def shop(store: Store) -> Shop:
    with store.begin() as conn:
        shop_id = manage.create_database(store, conn, "Shop", "our web shop")
        other_id = manage.create_database(store, conn, "Other")
        bonus = manage.add_field(store, conn, shop_id, "bonus", FieldType.INTEGER)
        manage.add_field(store, conn, shop_id, "level", FieldType.ENUM, options=["gold", "silver"])
        tags = manage.add_field(store, conn, shop_id, "tags", FieldType.TAGS)
        other_score = manage.add_field(store, conn, other_id, "score", FieldType.FLOAT)
        assert bonus.column_name and other_score.column_name
        shop_profiles = _profiles(
            store,
            conn,
            shop_id,
            [{"city": "Berlin", bonus.column_name: i * 10} for i in range(4)] + [{"city": "Rome"}],
        )
        other_profiles = _profiles(
            store, conn, other_id, [{"city": "Oslo", other_score.column_name: 1.5}] * 2
        )
        conn.execute(
            insert(m.ProfileListValue),
            [{"profile_id": pid, "field_id": tags.id, "value": "vip"} for pid in shop_profiles[:2]],
        )
        manage.create_resource(store, conn, "Newsletter", "email,sms", attach=["Shop", "Other"])
        newsletter = manage.resource_id(conn, "Newsletter")
        conn.execute(
            insert(m.Subscription),
            [
                {
                    "profile_id": pid,
                    "resource_id": newsletter,
                    "channel": "email",
                    "contact": f"{pid}@example.com",
                    "status": "subscribed",
                }
                for pid in shop_profiles + other_profiles
            ],
        )
        now = m.utcnow()
        conn.execute(
            insert(m.Event),
            [
                {"profile_id": pid, "database_id": db, "type": "opened", "occurred_at": now}
                for pids, db in ((shop_profiles, shop_id), (other_profiles, other_id))
                for pid in pids
            ],
        )
        club = manage.create_program(store, conn, "Shop club", "Shop")
        everyone = manage.create_program(store, conn, "Everyone")
        conn.execute(
            insert(m.PromoCode),
            [
                {"program_id": club, "code": "CLUB1", "status": "free"},
                {
                    "program_id": everyone,
                    "code": "ALL1",
                    "status": "attached",
                    "profile_id": shop_profiles[0],
                },
            ],
        )
        conn.execute(
            insert(m.Trigger).values(
                name="Bonus changed", kind="field_updated", database_id=None, field_id=bonus.id
            )
        )
    return Shop(store, shop_id, other_id, shop_profiles, other_profiles)


def _count(store: Store, model: Any, *where: Any) -> int:
    with store.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def _columns(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return {c["name"] for c in inspect(conn).get_columns("profiles")}


def _names(store: Store) -> list[str]:
    with store.begin() as conn:
        return [d.name for d in catalog.list_databases(store, conn)]


def _refused(store: Store, fn: Callable[[Any], Any], fragment: str) -> str:
    """Run ``fn(conn)`` in a transaction; it must raise one line containing ``fragment``."""
    with pytest.raises(StoreError) as caught, store.begin() as conn:
        fn(conn)
    message = str(caught.value)
    assert fragment in message and "\n" not in message
    return message


def _task(store: Store, database_id: int | None, job: dict[str, Any], **values: Any) -> int:
    with store.begin() as conn:
        return int(
            conn.execute(
                insert(m.Task)
                .values(
                    action_type=(job.get("action") or {}).get("type", "update_fields"),
                    database_id=database_id,
                    database_name=str(job.get("database", "")),
                    job=job,
                    **values,
                )
                .returning(m.Task.id)
            ).scalar_one()
        )


def _running_elsewhere(store: Store, database_id: int) -> int:
    """A task run by a live process on another machine (fresh heartbeat)."""
    return _task(
        store,
        database_id,
        {"database": "Shop", "action": {"type": "global_unsubscribe"}},
        status="running",
        runner="another-host:4242",
        heartbeat_at=m.utcnow(),
    )


# -- profile databases ---------------------------------------------------------------------------
def test_create_database_has_the_system_fields_and_description(store: Store) -> None:
    with store.begin() as conn:
        db_id = manage.create_database(store, conn, "  Newsletter readers ", "from the blog")
        keys = [f.key for f in store.fields(conn, db_id)]
        (row,) = catalog.list_databases(store, conn)
    assert keys[:3] == ["id", "email", "phones"] and "registered_at" in keys
    assert (row.name, row.description, row.profiles, row.is_demo) == (
        "Newsletter readers",
        "from the blog",
        0,
        False,
    )


def test_create_database_refuses_empty_long_and_taken_names(shop: Shop) -> None:
    store = shop.store
    _refused(store, lambda c: manage.create_database(store, c, "   "), "needs a name")
    _refused(store, lambda c: manage.create_database(store, c, "x" * 201), "too long")
    _refused(
        store,
        lambda c: manage.create_database(store, c, " Shop "),
        "a profile database named 'Shop' already exists",
    )
    assert _names(store) == ["Other", "Shop"]


def test_rename_database_and_its_runnable_tasks_follow(shop: Shop) -> None:
    store = shop.store
    job = {"database": "Shop", "rules": group(rule("city", "=", "Rome")), "action": None}
    queued = _task(store, shop.shop, job, status="queued")
    done = _task(store, shop.shop, job, status="completed")
    with store.begin() as conn:
        manage.rename_database(store, conn, "Shop", " Web shop ")
    assert _names(store) == ["Other", "Web shop"]
    with store.begin() as conn:
        rows = {i: job["database"] for i, job in conn.execute(select(m.Task.id, m.Task.job))}
        names = dict(conn.execute(select(m.Task.id, m.Task.database_name)).all())
    assert rows == {queued: "Web shop", done: "Shop"}  # finished tasks keep their history
    assert names == {queued: "Web shop", done: "Shop"}


def test_rename_database_refusals(shop: Shop) -> None:
    store = shop.store
    _refused(
        store,
        lambda c: manage.rename_database(store, c, "Shop", "Other"),
        "a profile database named 'Other' already exists",
    )
    _refused(store, lambda c: manage.rename_database(store, c, "Shop", " "), "needs a name")
    _refused(
        store,
        lambda c: manage.rename_database(store, c, "Nope", "New"),
        "no profile database named 'Nope' (databases: 'Other', 'Shop')",
    )
    assert _names(store) == ["Other", "Shop"]


def test_delete_database_removes_it_and_everything_hanging_off_it(shop: Shop) -> None:
    store = shop.store
    with store.begin() as conn:
        create_segment(store, conn, shop.shop, "Big", rules=group(rule("bonus", ">", 5)))
        custom = [
            f.column_name
            for f in store.fields(conn, shop.shop)
            if f.column_name and not f.is_system
        ]
    task = _task(store, shop.shop, {"database": "Shop"}, status="completed")
    removed = manage.delete_database(store, "Shop", expect_profiles=5)

    assert removed == manage.DatabaseContents("Shop", profiles=5, segments=1, programs=1, events=5)
    assert _names(store) == ["Other"]
    shop_ids = shop.shop_profiles
    assert _count(store, m.Profile, m.Profile.database_id == shop.shop) == 0
    assert _count(store, m.Subscription, m.Subscription.profile_id.in_(shop_ids)) == 0
    assert _count(store, m.ProfileListValue) == 0
    assert _count(store, m.Field, m.Field.database_id == shop.shop) == 0
    assert _count(store, m.Segment) == 0
    assert _count(store, m.Trigger) == 0
    assert _count(store, m.ResourceDatabase, m.ResourceDatabase.database_id == shop.shop) == 0
    assert _count(store, m.Event, m.Event.database_id == shop.shop) == 0
    with store.begin() as conn:
        assert conn.execute(select(m.LoyaltyProgram.name)).scalars().all() == ["Everyone"]
        assert conn.execute(
            select(m.PromoCode.code, m.PromoCode.status, m.PromoCode.profile_id)
        ).all() == [
            ("ALL1", "attached", None)  # unlinked, keeps its status: never handed out again
        ]
        history = conn.execute(
            select(m.Task.database_id, m.Task.database_name).where(m.Task.id == task)
        ).one()
    assert tuple(history) == (None, "Shop")
    assert not set(custom) & _columns(store)
    assert not set(custom) & set(store.profiles.c.keys())
    # the other database is untouched, its custom column too
    assert _count(store, m.Profile, m.Profile.database_id == shop.other) == 2
    assert _count(store, m.Subscription) == 2 and _count(store, m.Event) == 2
    with store.begin() as conn:
        score = manage.field_info(store, conn, shop.other, "score")
        values = conn.execute(select(store.field_column(score))).scalars().all()
    assert values == [1.5, 1.5]
    again = open_store(store.url)
    try:
        assert not set(custom) & set(again.profiles.c.keys())
        assert score.column_name in again.profiles.c
    finally:
        again.close()


def test_delete_database_refused_while_a_task_of_it_runs(shop: Shop) -> None:
    store = shop.store
    task = _running_elsewhere(store, shop.shop)
    with pytest.raises(
        CatalogError, match=f"'Shop' cannot be deleted while its task {task} is running"
    ):
        manage.delete_database(store, "Shop")
    assert _names(store) == ["Other", "Shop"]
    assert _count(store, m.Profile) == 7


def test_a_dead_run_does_not_block_deleting(shop: Shop) -> None:
    store = shop.store
    task = _task(
        store,
        shop.shop,
        {"database": "Shop"},
        status="running",
        runner="another-host:4242",
        heartbeat_at=m.utcnow() - dt.timedelta(hours=1),
    )
    manage.delete_database(store, "Shop")
    assert _names(store) == ["Other"]
    with store.begin() as conn:
        assert (
            conn.execute(select(m.Task.status).where(m.Task.id == task)).scalar_one()
            == "interrupted"
        )


def test_delete_database_refuses_a_changed_count_and_an_unknown_name(shop: Shop) -> None:
    store = shop.store
    with pytest.raises(CatalogError, match="'Shop' now holds 5 profiles, not 4 as confirmed"):
        manage.delete_database(store, "Shop", expect_profiles=4)
    with pytest.raises(StoreError, match="no profile database named 'Nope'"):
        manage.delete_database(store, "Nope")
    assert _names(store) == ["Other", "Shop"] and _count(store, m.Profile) == 7


def test_database_contents_counts_what_delete_would_remove(shop: Shop) -> None:
    with shop.store.begin() as conn:
        contents = manage.database_contents(shop.store, conn, "Shop")
    assert contents == manage.DatabaseContents("Shop", 5, 0, 1, 5)
    assert contents.describe() == (
        "5 profile(s), 0 segment(s), 1 loyalty program(s) with their codes, 5 event(s)"
    )


# -- fields ---------------------------------------------------------------------------------------
def test_add_field_of_every_type_with_a_default_label(store: Store) -> None:
    with store.begin() as conn:
        db_id = manage.create_database(store, conn, "Shop")
        for ftype in FieldType:
            options = ["a", "b"] if ftype is FieldType.ENUM else []
            manage.add_field(store, conn, db_id, f"my_{ftype.value}", ftype, options=options)
        manage.add_field(store, conn, db_id, "nick", FieldType.STRING, label=" Nickname ")
        fields = {f.key: f for f in store.fields(conn, db_id)}
    assert fields["my_integer"].label == "My integer"
    assert fields["nick"].label == "Nickname"
    assert fields["my_enum"].options == ("a", "b")
    assert fields["my_tags"].column_name is None and fields["my_phones"].column_name is None
    assert fields["my_date"].column_name in _columns(store)
    assert not fields["my_float"].is_system and fields["my_float"].editable


def test_a_new_field_is_usable_in_rules_at_once(shop: Shop) -> None:
    store = shop.store
    with store.begin() as conn:
        manage.add_field(store, conn, shop.shop, "vip", FieldType.BOOLEAN)
        spec = SelectionSpec(shop.shop, group(rule("vip", "null", None)))
        assert count(store, conn, spec) == 5


@pytest.mark.parametrize(
    ("key", "ftype", "options", "fragment"),
    [
        ("Bad key", FieldType.STRING, [], "field key 'Bad key' must start with a letter"),
        ("1st", FieldType.STRING, [], "must start with a letter"),
        ("email", FieldType.STRING, [], "'Shop' already has a field 'email'"),
        ("bonus", FieldType.FLOAT, [], "'Shop' already has a field 'bonus'"),
        ("color", FieldType.ENUM, [], "an enum field needs a list of options"),
        ("color", FieldType.ENUM, ["red", " red "], "option 'red' is listed more than once"),
        ("size", FieldType.INTEGER, ["1"], "options are for enum fields only"),
    ],
)
def test_add_field_refusals(
    shop: Shop, key: str, ftype: FieldType, options: list[str], fragment: str
) -> None:
    store = shop.store
    before = _columns(store)
    _refused(
        store,
        lambda c: manage.add_field(store, c, shop.shop, key, ftype, options=options),
        fragment,
    )
    assert _columns(store) == before


def test_add_field_to_an_unknown_database_and_an_unknown_type(shop: Shop) -> None:
    store = shop.store
    _refused(
        store,
        lambda c: manage.add_field(store, c, 999, "x", FieldType.STRING),
        "no profile database with id 999",
    )
    with pytest.raises(CatalogError, match="unknown field type 'text' \\(types: integer, float"):
        manage.parse_field_type("text")
    assert manage.parse_field_type(" Enum ") is FieldType.ENUM


def test_rename_field_label(shop: Shop) -> None:
    store = shop.store
    with store.begin() as conn:
        manage.rename_field_label(store, conn, shop.shop, "bonus", " Bonus points ")
        manage.rename_field_label(store, conn, shop.shop, "city", "Town")
        labels = {f.key: f.label for f in store.fields(conn, shop.shop)}
    assert (labels["bonus"], labels["city"]) == ("Bonus points", "Town")
    _refused(
        store,
        lambda c: manage.rename_field_label(store, c, shop.shop, "bonus", " "),
        "needs a label",
    )
    _refused(
        store,
        lambda c: manage.rename_field_label(store, c, shop.shop, "nope", "X"),
        "'Shop' has no field 'nope'",
    )


def test_field_usage_finds_nested_segment_rules_task_jobs_and_triggers(shop: Shop) -> None:
    store = shop.store
    nested = group(
        rule("city", "=", "Berlin"),
        group(
            rule("city", "=", "Rome"), group(rule("bonus", ">=", 10), negate=True), combinator="or"
        ),
    )
    with store.begin() as conn:
        create_segment(store, conn, shop.shop, "Deep", rules=nested)
        create_segment(store, conn, shop.shop, "Romans", rules=group(rule("city", "=", "Rome")))
        create_segment(store, conn, shop.other, "Other bonus", rules=group(rule("score", ">", 1)))
    in_rules = prepare_task(
        store,
        Job(
            database="Shop",
            rules=group(group(rule("bonus", "<", 5))),
            action={"type": "global_unsubscribe"},
        ),
    )
    in_action = prepare_task(
        store,
        Job(
            database="Shop",
            rules=group(rule("city", "=", "Rome")),
            action={
                "type": "update_fields",
                "changes": [{"field": "bonus", "op": "increment", "value": 1}],
            },
        ),
    )
    finished = _task(store, shop.shop, {"database": "Shop", "rules": nested}, status="completed")
    unrelated = prepare_task(
        store,
        Job(
            database="Shop",
            rules=group(rule("city", "=", "Rome")),
            action={"type": "global_unsubscribe"},
        ),
    )
    with store.begin() as conn:
        usage = manage.field_usage(store, conn, shop.shop, "bonus")
        unused = manage.field_usage(store, conn, shop.shop, "level")
        tags = manage.field_usage(store, conn, shop.shop, "tags")
    assert usage.segments == ("Deep",)
    assert [(t.id, t.status) for t in usage.tasks] == [(in_rules, "queued"), (in_action, "queued")]
    assert finished not in [t.id for t in usage.tasks] and unrelated not in [
        t.id for t in usage.tasks
    ]
    assert usage.triggers == ("Bonus changed",)
    assert usage.values == 4 and usage.used
    assert usage.warnings()[0] == "used by segment(s) 'Deep': they will no longer be valid"
    assert (unused.used, unused.values, tags.values) == (False, 0, 2)


def test_field_usage_finds_a_field_compared_with_and_named_in_another_case(shop: Shop) -> None:
    store = shop.store
    with store.begin() as conn:
        manage.add_field(store, conn, shop.shop, "max_bonus", FieldType.INTEGER)
        manage.add_field(store, conn, shop.shop, "min_bonus", FieldType.INTEGER)
        compared = {"field": "city", "operator": "=", "value": "x"}
        create_segment(
            store,
            conn,
            shop.shop,
            "Above max",
            rules=group(
                {"field": "bonus", "operator": ">", "value": "maxBonus", "valueSource": "field"}
            ),
        )
        create_segment(
            store,
            conn,
            shop.shop,
            "Between",
            rules=group(
                compared,
                {
                    "field": "Bonus",
                    "operator": "between",
                    "value": "min_bonus, Max-Bonus",
                    "valueSource": "field",
                },
            ),
        )
        create_segment(store, conn, shop.shop, "Plain", rules=group(rule("bonus", ">", 1)))
    with store.begin() as conn:
        max_usage = manage.field_usage(store, conn, shop.shop, "max_bonus")
        min_usage = manage.field_usage(store, conn, shop.shop, "min_bonus")
        bonus_usage = manage.field_usage(store, conn, shop.shop, "bonus")
    assert max_usage.segments == ("Above max", "Between")
    assert min_usage.segments == ("Between",)
    assert bonus_usage.segments == ("Above max", "Between", "Plain")


def test_field_usage_finds_the_contact_field_of_subscribe_from_fields(shop: Shop) -> None:
    store = shop.store
    with store.begin() as conn:
        manage.add_field(store, conn, shop.shop, "push_id", FieldType.STRING)
        manage.set_resource_channels(store, conn, "Newsletter", "email,push")
    task = prepare_task(
        store,
        Job(
            database="Shop",
            action={
                "type": "subscribe_from_fields",
                "resource": "Newsletter",
                "channel": "push",
                "status": "subscribed",
                "source_field": "push_id",
            },
        ),
    )
    with store.begin() as conn:
        usage = manage.field_usage(store, conn, shop.shop, "push_id")
    assert [t.id for t in usage.tasks] == [task]


def test_remove_field_drops_the_column_and_the_schema_forgets_it(shop: Shop) -> None:
    store = shop.store
    with store.begin() as conn:
        bonus = manage.field_info(store, conn, shop.shop, "bonus")
    removed = manage.remove_field(store, shop.shop, "bonus")
    assert removed.key == "bonus" and bonus.column_name
    assert bonus.column_name not in _columns(store)
    assert bonus.column_name not in store.profiles.c
    assert _count(store, m.Trigger) == 0  # its trigger went with it
    with store.begin() as conn:
        assert "bonus" not in [f.key for f in store.fields(conn, shop.shop)]
        with pytest.raises(RuleError, match="bonus"):
            check(store, conn, SelectionSpec(shop.shop, group(rule("bonus", ">", 1))))
        assert count(store, conn, SelectionSpec(shop.shop, group(rule("city", "=", "Berlin")))) == 4
    again = open_store(store.url)
    try:
        assert bonus.column_name not in again.profiles.c
        with again.begin() as conn, pytest.raises(RuleError, match="bonus"):
            check(again, conn, SelectionSpec(shop.shop, group(rule("bonus", ">", 1))))
    finally:
        again.close()


def test_remove_a_list_field_deletes_its_values(shop: Shop) -> None:
    store = shop.store
    before = _columns(store)
    manage.remove_field(store, shop.shop, "tags")
    assert _count(store, m.ProfileListValue) == 0
    assert _columns(store) == before
    with store.begin() as conn:
        assert "tags" not in [f.key for f in store.fields(conn, shop.shop)]


def test_remove_field_refusals(shop: Shop) -> None:
    store = shop.store
    before = _columns(store)
    with pytest.raises(
        CatalogError, match="'email' is a system field of 'Shop' and cannot be removed"
    ):
        manage.remove_field(store, shop.shop, "email")
    with pytest.raises(CatalogError, match="'Shop' has no field 'nope'"):
        manage.remove_field(store, shop.shop, "nope")
    task = _running_elsewhere(store, shop.shop)
    with pytest.raises(CatalogError, match=f"while task {task} of the database is running"):
        manage.remove_field(store, shop.shop, "bonus")
    assert _columns(store) == before
    with store.begin() as conn:
        assert "bonus" in [f.key for f in store.fields(conn, shop.shop)]


# -- resources ------------------------------------------------------------------------------------
def _resources(store: Store) -> dict[str, catalog.ResourceInfo]:
    with store.begin() as conn:
        return {r.name: r for r in catalog.all_resources(store, conn)}


def test_create_resource_with_channels_and_attachments(shop: Shop) -> None:
    store = shop.store
    with store.begin() as conn:
        manage.create_resource(
            store, conn, " Shop app ", ["push", "email", "push"], attach=["Shop"]
        )
        manage.create_resource(store, conn, "Unattached", "viber")
    found = _resources(store)
    assert found["Shop app"].channels == ("email", "push")
    assert found["Shop app"].databases == ("Shop",)
    assert found["Unattached"].databases == ()
    assert found["Newsletter"].databases == ("Other", "Shop")


@pytest.mark.parametrize(
    ("name", "channels", "fragment"),
    [
        ("Fax", "email,fax", "unknown channel 'fax' (channels: email, sms, push"),
        ("Nothing", " , ", "a resource needs at least one channel"),
        ("Newsletter", "email", "a resource named 'Newsletter' already exists"),
        ("  ", "email", "a resource needs a name"),
    ],
)
def test_create_resource_refusals(shop: Shop, name: str, channels: str, fragment: str) -> None:
    store = shop.store
    _refused(store, lambda c: manage.create_resource(store, c, name, channels), fragment)
    assert list(_resources(store)) == ["Newsletter"]


def test_attach_and_detach(shop: Shop) -> None:
    store = shop.store
    with store.begin() as conn:
        manage.create_resource(store, conn, "Shop app", "push")
        manage.attach_resource(store, conn, "Shop app", "Other")
    assert _resources(store)["Shop app"].databases == ("Other",)
    _refused(
        store,
        lambda c: manage.attach_resource(store, c, "Shop app", "Other"),
        "resource 'Shop app' is already attached to 'Other'",
    )
    with store.begin() as conn:
        manage.detach_resource(store, conn, "Shop app", "Other")
    assert _resources(store)["Shop app"].databases == ()
    _refused(
        store,
        lambda c: manage.detach_resource(store, c, "Shop app", "Other"),
        "resource 'Shop app' is not attached to 'Other'",
    )
    _refused(
        store,
        lambda c: manage.attach_resource(store, c, "Nope", "Other"),
        "no resource named 'Nope'",
    )
    _refused(
        store,
        lambda c: manage.attach_resource(store, c, "Shop app", "Nope"),
        "no profile database named 'Nope'",
    )


def test_set_channels_reports_what_changed_and_keeps_subscriptions(shop: Shop) -> None:
    store = shop.store
    with store.begin() as conn:
        change = manage.set_resource_channels(store, conn, "Newsletter", "sms, push")
    assert change == manage.ChannelChange(added=("push",), removed=("email",), subscriptions_kept=7)
    assert _resources(store)["Newsletter"].channels == ("push", "sms")
    assert _count(store, m.Subscription) == 7
    _refused(
        store,
        lambda c: manage.set_resource_channels(store, c, "Newsletter", "pager"),
        "unknown channel 'pager'",
    )


def test_rename_resource_follows_into_segments_and_runnable_jobs(shop: Shop) -> None:
    store = shop.store
    subscribed = group(
        rule("city", "=", "Berlin"),
        group(rule("$subscription", "has", {"resource": "Newsletter", "channel": "email"})),
    )
    with store.begin() as conn:
        create_segment(store, conn, shop.shop, "Readers", rules=subscribed)
    action = {
        "type": "update_subscriptions",
        "resource": "Newsletter",
        "channel": "email",
        "status": "unsubscribed",
    }
    queued = prepare_task(store, Job(database="Shop", rules=subscribed, action=action))
    done = _task(
        store,
        shop.shop,
        {"database": "Shop", "rules": subscribed, "action": action},
        status="completed",
    )
    with store.begin() as conn:
        manage.rename_resource(store, conn, "Newsletter", "Weekly news")
        rules = conn.execute(select(m.Segment.rules)).scalar_one()
        jobs = dict(conn.execute(select(m.Task.id, m.Task.job)).all())
        spec = SelectionSpec(shop.shop, rules)
        assert count(store, conn, spec) == 4  # the segment still compiles
    assert rules["rules"][1]["rules"][0]["value"]["resource"] == "Weekly news"
    assert jobs[queued]["action"]["resource"] == "Weekly news"
    assert jobs[queued]["rules"]["rules"][1]["rules"][0]["value"]["resource"] == "Weekly news"
    assert jobs[done]["action"]["resource"] == "Newsletter"
    assert list(_resources(store)) == ["Weekly news"]
    with store.begin() as conn:
        manage.create_resource(store, conn, "Other news", "email")
    _refused(
        store,
        lambda c: manage.rename_resource(store, c, "Other news", "Weekly news"),
        "a resource named 'Weekly news' already exists",
    )


# -- loyalty programs and codes ------------------------------------------------------------------
def test_create_programs_and_list_them_with_their_database(shop: Shop) -> None:
    store = shop.store
    with store.begin() as conn:
        manage.create_program(store, conn, " Spring ", "Other")
        programs = {p.name: p for p in catalog.all_loyalty_programs(store, conn)}
    assert (programs["Spring"].database, programs["Everyone"].database) == ("Other", None)
    assert (programs["Shop club"].database, programs["Shop club"].codes) == ("Shop", 1)
    _refused(
        store,
        lambda c: manage.create_program(store, c, "Spring"),
        "a loyalty program named 'Spring' already exists",
    )
    _refused(
        store,
        lambda c: manage.create_program(store, c, "X", "Nope"),
        "no profile database named 'Nope'",
    )
    _refused(store, lambda c: manage.create_program(store, c, ""), "a loyalty program needs a name")


def _codes(store: Store, program: str) -> list[tuple[str, str]]:
    with store.begin() as conn:
        return [
            (str(code), str(status))
            for code, status in conn.execute(
                select(m.PromoCode.code, m.PromoCode.status)
                .join(m.LoyaltyProgram, m.LoyaltyProgram.id == m.PromoCode.program_id)
                .where(m.LoyaltyProgram.name == program)
                .order_by(m.PromoCode.id)
            )
        ]


def _load(store: Store, program: str, path: Path) -> manage.CodeLoadSummary:
    with store.begin() as conn:
        return manage.load_codes(store, conn, program, path)


def test_load_codes_from_text_skips_header_blanks_repeats_and_long_codes(
    shop: Shop, tmp_path: Path
) -> None:
    store = shop.store
    path = tmp_path / "codes.txt"
    path.write_text(
        "Code\n  SPRING-1  \n\nSPRING-2\nCLUB1\nSPRING-1\n" + "L" * 65 + "\nSPRING-3\r\n\n",
        encoding="utf-8",
    )
    summary = _load(store, "Everyone", path)
    assert summary == manage.CodeLoadSummary(
        program="Everyone",
        loaded=3,
        duplicates_in_file=1,
        already_in_store=1,
        invalid=1,
        header_skipped=True,
        duplicate_examples=("SPRING-1",),
        existing_examples=("CLUB1",),
        invalid_examples=("line 7: 65 characters (at most 64)",),
    )
    assert _codes(store, "Everyone") == [
        ("ALL1", "attached"),
        ("SPRING-1", "free"),
        ("SPRING-2", "free"),
        ("SPRING-3", "free"),
    ]
    again = _load(store, "Everyone", path)
    assert (again.loaded, again.already_in_store, again.duplicates_in_file) == (0, 4, 1)
    assert len(_codes(store, "Everyone")) == 4


def test_load_codes_from_csv_takes_the_first_column(shop: Shop, tmp_path: Path) -> None:
    store = shop.store
    path = tmp_path / "codes.CSV"
    path.write_text(
        'promo code;valid until\nA1;2026-01-01\n"B;2";2026-02-01\n\nA1;x\n', encoding="utf-8-sig"
    )
    summary = _load(store, "Shop club", path)
    assert (summary.loaded, summary.duplicates_in_file, summary.header_skipped) == (2, 1, True)
    assert _codes(store, "Shop club") == [("CLUB1", "free"), ("A1", "free"), ("B;2", "free")]
    plain = tmp_path / "plain.csv"
    plain.write_text("C1\nC2\n", encoding="utf-8")
    assert _load(store, "Shop club", plain).loaded == 2


def test_load_codes_streams_in_chunks(
    shop: Shop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(manage, "CODE_CHUNK", 7)
    path = tmp_path / "codes.txt"
    codes = [f"K{i:03d}" for i in range(50)]
    path.write_text("\n".join(codes + codes[:10]) + "\n", encoding="utf-8")
    summary = _load(shop.store, "Everyone", path)
    assert (summary.loaded, summary.duplicates_in_file) == (50, 10)
    assert summary.duplicate_examples == ("K000", "K001", "K002", "K003", "K004")
    assert [c for c, _ in _codes(shop.store, "Everyone")][1:] == codes


def test_load_codes_refusals_change_nothing(shop: Shop, tmp_path: Path) -> None:
    store = shop.store
    latin = tmp_path / "latin.txt"
    latin.write_bytes("GOOD\nCAFÉ\n".encode("latin-1"))
    _refused(store, lambda c: manage.load_codes(store, c, "Everyone", latin), "is not UTF-8 text")
    _refused(
        store,
        lambda c: manage.load_codes(store, c, "Everyone", tmp_path / "none.txt"),
        "no such file",
    )
    _refused(
        store,
        lambda c: manage.load_codes(store, c, "Nope", latin),
        "no loyalty program named 'Nope' (programs: 'Everyone', 'Shop club')",
    )
    assert _codes(store, "Everyone") == [("ALL1", "attached")]
    ok = tmp_path / "ok.txt"
    ok.write_text("NEW1\n", encoding="utf-8")
    assert _load(store, "Everyone", ok).loaded == 1  # the failed loads left no temporary table


def test_summary_lines_for_the_operator() -> None:
    summary = manage.CodeLoadSummary(
        "Winter", 10, 2, 1, 1, True, ("A", "B"), ("C",), ("line 3: 70 characters (at most 64)",)
    )
    assert summary.lines() == [
        "Loaded 10 new code(s) into 'Winter'.",
        "  2 repeated in the file (loaded once), e.g. A, B",
        "  1 already in the store (not loaded), e.g. C",
        "  1 longer than 64 characters (not loaded)",
        "    line 3: 70 characters (at most 64)",
        "  The first line was taken as a header and skipped.",
    ]
