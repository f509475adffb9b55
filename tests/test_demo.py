"""Demo data: deterministic, realistic, complete and atomic, on every backend."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import sqlite3
from typing import Any

import pytest
from sqlalchemy import Connection, delete, func, insert, inspect, select

from bulkprofiles_gui.core import demo
from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.demo import (
    DEMO_OFFERED,
    DEMO_SEGMENTS,
    RESOURCES,
    ensure_demo_store,
    generate_demo,
)
from bulkprofiles_gui.core.fields import (
    EMAIL_RE,
    EVENT_TYPES,
    PHONE_RE,
    STATUSES,
    UNSAFE_STATUSES,
    FieldType,
)
from bulkprofiles_gui.core.manage import create_database, delete_database
from bulkprofiles_gui.core.store import Store, StoreError

NOW = dt.datetime(2026, 5, 15, 12, 0, 0)
N = 300


def _demo(store: Store, name: str = "Demo customers", seed: int = 1, profiles: int = N) -> int:
    return generate_demo(
        store, profiles=profiles, seed=seed, database_name=name, now=NOW
    ).database_id


def _digest(store: Store, conn: Connection, db_id: int) -> str:
    """A digest of every generated row of one demo database, independent of the
    ids the store handed out (profile ids are taken relative to the first one,
    custom columns by field key, codes without their program prefix)."""
    p = store.profiles
    fields = sorted(store.fields(conn, db_id), key=lambda f: f.key)
    scalar = [p.c[f.column_name] for f in fields if f.column_name and f.key != "id"]
    first = conn.execute(select(func.min(p.c.id)).where(p.c.database_id == db_id)).scalar_one()
    ids = select(p.c.id).where(p.c.database_id == db_id)
    parts: list[Any] = []
    for row in conn.execute(
        select(p.c.id, *scalar).where(p.c.database_id == db_id).order_by(p.c.id)
    ):
        parts.append((row[0] - first, *row[1:]))
    lv = m.ProfileListValue
    for row in conn.execute(
        select(lv.profile_id, m.Field.key, lv.value)
        .join(m.Field, m.Field.id == lv.field_id)
        .where(lv.profile_id.in_(ids))
        .order_by(lv.profile_id, m.Field.key, lv.value)
    ):
        parts.append((row[0] - first, row[1], row[2]))
    s = m.Subscription
    for row in conn.execute(
        select(s.profile_id, m.Resource.name, s.channel, s.contact, s.status, s.created_at)
        .join(m.Resource, m.Resource.id == s.resource_id)
        .where(s.profile_id.in_(ids))
        .order_by(s.id)
    ):
        contact = "<own id>" if row[3] == str(row[0]) else row[3]
        parts.append((row[0] - first, row[1], row[2], contact, row[4], row[5]))
    e = m.Event
    for row in conn.execute(
        select(e.profile_id, e.type, e.channel, e.resource_id, e.campaign, e.occurred_at)
        .where(e.database_id == db_id)
        .order_by(e.id)
    ):
        parts.append((row[0] - first, *row[1:]))
    c = m.PromoCode
    for row in conn.execute(
        select(c.code, c.status, c.profile_id, c.attached_at, c.activated_at)
        .join(m.LoyaltyProgram, m.LoyaltyProgram.id == c.program_id)
        .where(m.LoyaltyProgram.database_id == db_id)
        .order_by(c.id)
    ):
        holder = None if row[2] is None else row[2] - first
        parts.append((row[0].split("-", 1)[1], row[1], holder, row[3], row[4]))
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def test_demo_store_fixture_holds_a_demo_database(demo_store: Store) -> None:
    with demo_store.begin() as conn:
        flagged = conn.execute(select(m.ProfileDatabase.name, m.ProfileDatabase.is_demo)).all()
        profiles = conn.execute(select(func.count()).select_from(m.Profile)).scalar_one()
    assert flagged == [("Demo customers", True)]
    assert profiles == 400


def test_same_seed_gives_identical_rows_and_another_seed_does_not(store: Store) -> None:
    first = _demo(store, "Demo A", seed=7)
    again = _demo(store, "Demo B", seed=7)
    other = _demo(store, "Demo C", seed=8)
    with store.begin() as conn:
        digests = [_digest(store, conn, db_id) for db_id in (first, again, other)]
    assert digests[0] == digests[1]
    assert digests[0] != digests[2]


def test_rows_made_in_the_helper_process_are_the_same(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large demos make their rows in a helper process; the data must not change."""
    in_process = _demo(store, "Demo A", seed=5)
    monkeypatch.setattr(demo, "PIPELINE_MIN_PROFILES", 1)
    helper = _demo(store, "Demo B", seed=5)
    with store.begin() as conn:
        assert _digest(store, conn, in_process) == _digest(store, conn, helper)


def test_summary_counts_match_the_rows(store: Store) -> None:
    summary = generate_demo(store, profiles=N, seed=1, now=NOW)
    with store.begin() as conn:

        def count(model: Any) -> int:
            return int(conn.execute(select(func.count()).select_from(model)).scalar_one())

        assert summary.profiles == count(m.Profile) == N
        assert summary.subscriptions == count(m.Subscription)
        assert summary.events == count(m.Event)
        assert summary.promo_codes == count(m.PromoCode)
        assert summary.list_values == count(m.ProfileListValue)
        assert summary.segments == count(m.Segment) == len(DEMO_SEGMENTS)
        assert summary.triggers == count(m.Trigger) == 4
        assert summary.rows > 5 * N


def test_every_status_is_present_including_the_unsafe_ones(store: Store) -> None:
    _demo(store)
    with store.begin() as conn:
        sub_status = dict(
            conn.execute(
                select(m.Subscription.status, func.count()).group_by(m.Subscription.status)
            ).all()
        )
        global_status = dict(
            conn.execute(
                select(m.Profile.global_status, func.count()).group_by(m.Profile.global_status)
            ).all()
        )
    assert set(sub_status) == set(STATUSES)
    assert set(global_status) == set(STATUSES)
    assert set(sub_status) >= UNSAFE_STATUSES
    # Mostly subscribed, as on a real platform.
    assert sub_status["subscribed"] > sum(sub_status.values()) / 2
    assert global_status["subscribed"] > N * 0.7


def test_emails_and_phones_include_malformed_and_missing_ones(store: Store) -> None:
    db_id = _demo(store, profiles=600)
    with store.begin() as conn:
        emails = conn.execute(select(m.Profile.email)).scalars().all()
        phones_field = next(f for f in store.fields(conn, db_id) if f.key == "phones")
        phones = (
            conn.execute(
                select(m.ProfileListValue.value).where(
                    m.ProfileListValue.field_id == phones_field.id
                )
            )
            .scalars()
            .all()
        )
    present = [e for e in emails if e is not None]
    malformed = [e for e in present if not EMAIL_RE.match(e)]
    assert len(present) < len(emails)  # some profiles have no email
    assert malformed and len(malformed) < len(present) * 0.1
    assert all(e == e.lower() and e.isascii() for e in present)
    bad_phones = [p for p in phones if not PHONE_RE.match(p)]
    assert len(phones) > 300
    assert bad_phones and len(bad_phones) < len(phones) * 0.1


def test_many_profiles_are_inactive_and_last_interaction_is_the_latest_event(
    store: Store,
) -> None:
    db_id = _demo(store)
    six_months_ago = NOW - dt.timedelta(days=183)
    p = m.Profile
    with store.begin() as conn:
        last = dict(conn.execute(select(p.id, p.last_interaction_at)).all())
        latest = dict(
            conn.execute(
                select(m.Event.profile_id, func.max(m.Event.occurred_at))
                .where(m.Event.database_id == db_id)
                .group_by(m.Event.profile_id)
            ).all()
        )
        oldest_event = conn.execute(select(func.min(m.Event.occurred_at))).scalar_one()
    never = [pid for pid, at in last.items() if at is None]
    dormant = [pid for pid, at in last.items() if at is not None and at < six_months_ago]
    active = [pid for pid, at in last.items() if at is not None and at >= six_months_ago]
    assert never and all(pid not in latest for pid in never)
    assert len(dormant) > N * 0.15
    assert len(active) > N * 0.3
    assert {pid: at for pid, at in last.items() if at is not None} == latest
    assert oldest_event >= NOW - dt.timedelta(days=550)


def test_events_carry_types_channels_and_resources(store: Store) -> None:
    db_id = _demo(store)
    with store.begin() as conn:
        rows = conn.execute(
            select(m.Event.type, m.Event.channel, m.Event.resource_id).where(
                m.Event.database_id == db_id
            )
        ).all()
    types = {r.type for r in rows}
    assert types <= set(EVENT_TYPES)
    assert {"sent", "delivered", "opened", "clicked", "purchase", "visit"} <= types
    assert 2 * N <= len(rows) <= 4 * N
    messages = [r for r in rows if r.type in ("sent", "delivered", "opened", "clicked")]
    assert all(r.channel and r.resource_id for r in messages)


def test_resources_channels_and_attachments_are_as_documented(store: Store) -> None:
    db_id = _demo(store)
    with store.begin() as conn:
        channels: dict[str, set[str]] = {}
        for name, channel in conn.execute(
            select(m.Resource.name, m.ResourceChannel.channel).join(
                m.ResourceChannel, m.ResourceChannel.resource_id == m.Resource.id
            )
        ):
            channels.setdefault(name, set()).add(channel)
        attached = set(
            conn.execute(
                select(m.Resource.name)
                .join(m.ResourceDatabase, m.ResourceDatabase.resource_id == m.Resource.id)
                .where(m.ResourceDatabase.database_id == db_id)
            ).scalars()
        )
        used = set(
            conn.execute(
                select(m.Resource.name, m.Subscription.channel)
                .join(m.Subscription, m.Subscription.resource_id == m.Resource.id)
                .distinct()
            ).all()
        )
    assert channels == {name: set(chans) for name, chans, _attached in RESOURCES}
    assert attached == {"Newsletter", "Shop", "SMS alerts", "Mobile app"}
    assert all(channel in channels[name] for name, channel in used)


def test_subscription_contacts_come_from_the_profile(store: Store) -> None:
    _demo(store)
    s, p = m.Subscription, m.Profile
    with store.begin() as conn:
        rows = conn.execute(
            select(s.channel, s.contact, p.id, p.email).join(p, p.id == s.profile_id)
        ).all()
        phones = {
            (pid, value)
            for pid, value in conn.execute(
                select(m.ProfileListValue.profile_id, m.ProfileListValue.value)
            )
        }
    for channel, contact, pid, email in rows:
        if channel == "email":
            assert contact == email
        elif channel in ("sms", "whatsapp", "viber"):
            assert (pid, contact) in phones
        elif channel in ("push", "notify"):
            assert contact == str(pid)


def test_custom_fields_are_typed(store: Store) -> None:
    db_id = _demo(store)
    with store.begin() as conn:
        fields = {f.key: f for f in store.fields(conn, db_id) if not f.is_system}
        assert {k: f.type for k, f in fields.items()} == {
            "age": FieldType.INTEGER,
            "bonus_points": FieldType.INTEGER,
            "average_check": FieldType.FLOAT,
            "loyalty_level": FieldType.ENUM,
            "tags": FieldType.TAGS,
            "vip": FieldType.BOOLEAN,
            "last_purchase_on": FieldType.DATE,
            "last_ip": FieldType.IP,
            "telegram_id": FieldType.STRING,
        }
        assert fields["loyalty_level"].options == ("bronze", "silver", "gold", "platinum")
        col = {k: store.field_column(f) for k, f in fields.items() if f.column_name}
        rows = conn.execute(select(*col.values(), store.profiles.c.birthday)).all()
        tags = set(
            conn.execute(
                select(m.ProfileListValue.value).where(
                    m.ProfileListValue.field_id == fields["tags"].id
                )
            ).scalars()
        )
        older = conn.execute(select(func.count()).where(col["age"] > 40)).scalar_one()
    values = {k: [getattr(r, c.name) for r in rows] for k, c in col.items()}
    present = {k: [v for v in vs if v is not None] for k, vs in values.items()}
    assert all(isinstance(v, int) and 18 <= v <= 90 for v in present["age"])
    assert all(isinstance(v, float) for v in present["average_check"])
    assert {type(v) for v in present["vip"]} == {bool} and set(present["vip"]) == {True, False}
    assert all(isinstance(v, dt.date) for v in present["last_purchase_on"])
    assert set(present["loyalty_level"]) == {"bronze", "silver", "gold", "platinum"}
    assert all(str(ipaddress.ip_address(v)) == v for v in present["last_ip"])
    assert all(v.isdigit() for v in present["telegram_id"])
    assert {"vip", "newsletter", "student"} <= tags
    assert 0 < older < N  # compared as numbers in SQL
    for row in rows:
        if row.birthday is not None:
            born = row.birthday
            expected = NOW.year - born.year - ((NOW.month, NOW.day) < (born.month, born.day))
            assert getattr(row, col["age"].name) == expected


def test_segments_are_saved_with_rules_over_known_fields(store: Store) -> None:
    db_id = _demo(store)
    with store.begin() as conn:
        keys = {f.key for f in store.fields(conn, db_id)}
        segments = conn.execute(
            select(m.Segment.name, m.Segment.rules).where(m.Segment.database_id == db_id)
        ).all()

    def fields_of(group: dict[str, Any]) -> set[str]:
        assert group["combinator"] in ("and", "or") and isinstance(group["not"], bool)
        found: set[str] = set()
        for rule in group["rules"]:
            found |= fields_of(rule) if "rules" in rule else {rule["field"]}
        return found

    names = {name for name, _rules in segments}
    assert {"Berlin customers", "Gold and platinum"} <= names
    assert len(segments) == len(DEMO_SEGMENTS)
    for _name, rules in segments:
        assert fields_of(rules) <= keys
    berlin = dict(segments)["Berlin customers"]
    assert berlin == {
        "combinator": "and",
        "not": False,
        "rules": [{"field": "city", "operator": "=", "value": "Berlin"}],
    }


def test_promo_pool_is_limited_and_partly_used(store: Store) -> None:
    _demo(store, profiles=400)
    c, lp = m.PromoCode, m.LoyaltyProgram
    with store.begin() as conn:
        programs = dict(conn.execute(select(lp.name, lp.id)).all())
        codes = conn.execute(
            select(c.status, c.profile_id, c.attached_at, c.activated_at).where(
                c.program_id == programs["Winter sale"]
            )
        ).all()
        birthday_codes = conn.execute(
            select(func.count()).where(c.program_id == programs["Birthday club"])
        ).scalar_one()
    by_status: dict[str, list[Any]] = {}
    for row in codes:
        by_status.setdefault(row.status, []).append(row)
    assert len(codes) == 20  # 5 % of 400
    assert len(by_status["free"]) > len(codes) / 2
    assert all(r.profile_id is None and r.attached_at is None for r in by_status["free"])
    assert by_status["attached"] and all(
        r.profile_id and r.attached_at and r.activated_at is None for r in by_status["attached"]
    )
    assert by_status["activated"] and all(
        r.profile_id and r.attached_at and r.activated_at >= r.attached_at
        for r in by_status["activated"]
    )
    holders = [r.profile_id for r in codes if r.profile_id is not None]
    assert len(holders) == len(set(holders))
    assert birthday_codes > 0


def test_triggers_cover_every_kind(store: Store) -> None:
    db_id = _demo(store)
    t = m.Trigger
    with store.begin() as conn:
        triggers = conn.execute(
            select(t.kind, t.field_id, t.resource_id, t.channel, t.program_id).where(
                t.database_id == db_id
            )
        ).all()
        newsletter = conn.execute(
            select(m.Resource.id).where(m.Resource.name == "Newsletter")
        ).scalar_one()
    kinds = {(row.kind, row.field_id is None) for row in triggers}
    assert kinds == {
        ("subscription", True),
        ("field_updated", False),
        ("field_updated", True),
        ("promo_attached", True),
    }
    subscription = next(row for row in triggers if row.kind == "subscription")
    assert (subscription.resource_id, subscription.channel) == (newsletter, "email")
    assert next(row for row in triggers if row.kind == "promo_attached").program_id


def test_a_taken_name_is_refused_and_nothing_is_added(store: Store) -> None:
    _demo(store)
    with store.begin() as conn:
        before = conn.execute(select(func.count()).select_from(m.Profile)).scalar_one()
    with pytest.raises(StoreError, match="already exists"):
        _demo(store)
    with store.begin() as conn:
        after = conn.execute(select(func.count()).select_from(m.Profile)).scalar_one()
        databases = conn.execute(select(func.count()).select_from(m.ProfileDatabase)).scalar_one()
    assert (after, databases) == (before, 1)


def _bulk_table_structure(store: Store) -> dict[str, Any]:
    """Indexes and foreign keys (name, columns, target, on delete) of the bulk-loaded tables."""
    inspector = inspect(store.engine)
    tables = ("profiles", "profile_list_values", "subscriptions", "events", "promo_codes")
    return {
        table: (
            sorted((ix["name"], tuple(ix["column_names"])) for ix in inspector.get_indexes(table)),
            sorted(
                (
                    str(fk["name"]),
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    (fk.get("options") or {}).get("ondelete"),
                )
                for fk in inspector.get_foreign_keys(table)
            ),
        )
        for table in tables
    }


def test_the_load_puts_back_every_index_and_foreign_key(store: Store) -> None:
    """The bulk load drops secondary indexes (and on PostgreSQL the foreign keys)
    for its duration; afterwards the schema is exactly as before, and the foreign
    keys hold (a profile deleted takes its subscriptions with it)."""
    before = _bulk_table_structure(store)
    assert before["subscriptions"][1], "the schema has foreign keys to compare"
    _demo(store)
    assert _bulk_table_structure(store) == before
    with store.begin() as conn:
        profile_id = conn.execute(
            select(m.Subscription.profile_id).order_by(m.Subscription.id).limit(1)
        ).scalar_one()
        conn.execute(delete(m.Profile).where(m.Profile.id == profile_id))
        left = conn.execute(
            select(func.count())
            .select_from(m.Subscription)
            .where(m.Subscription.profile_id == profile_id)
        ).scalar_one()
    assert left == 0


def test_the_demo_leaves_planner_statistics_and_on_postgresql_vacuumed_tables(
    store: Store,
) -> None:
    """After the load the planner knows the new sizes; on PostgreSQL the bulk
    tables are vacuumed too, so autovacuum does not visit every new page later,
    during the first jobs."""
    _demo(store)
    with store.engine.connect() as conn:
        if store.dialect == "sqlite":
            analysed = {row[0] for row in conn.exec_driver_sql("SELECT tbl FROM sqlite_stat1")}
            assert {"profiles", "subscriptions", "events"} <= analysed
            return
        rows = conn.exec_driver_sql(
            "SELECT relname, last_vacuum IS NOT NULL, last_analyze IS NOT NULL"
            " FROM pg_stat_user_tables WHERE relname IN"
            " ('profiles', 'profile_list_values', 'subscriptions', 'events', 'promo_codes')"
        ).all()
    assert sorted(rows) == [
        ("events", True, True),
        ("profile_list_values", True, True),
        ("profiles", True, True),
        ("promo_codes", True, True),
        ("subscriptions", True, True),
    ]


def test_a_failure_midway_leaves_the_store_as_it_was(store: Store) -> None:
    indexes_before = {ix["name"] for ix in inspect(store.engine).get_indexes("events")}
    structure_before = _bulk_table_structure(store)

    def fail(stage: str, done: int, _total: int) -> None:
        if stage == "profiles" and done > 0:
            raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        generate_demo(store, profiles=N, seed=1, progress=fail)
    with store.begin() as conn:
        leftovers = [
            conn.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (m.ProfileDatabase, m.Profile, m.Subscription, m.Event, m.Resource)
        ]
    assert leftovers == [0, 0, 0, 0, 0]
    assert {ix["name"] for ix in inspect(store.engine).get_indexes("events")} == indexes_before
    assert _bulk_table_structure(store) == structure_before
    assert [c.name for c in store.profiles.c if c.name.startswith("cf_")] == []
    _demo(store)  # and the store still takes a demo afterwards


def test_sqlite_demo_works_while_another_connection_holds_the_file(
    sqlite_store: Store,
) -> None:
    """The load switches SQLite to a rollback journal only when it has the file to
    itself; with another connection open it stays in WAL mode, and WAL is kept."""
    database = sqlite_store.engine.url.database
    assert database
    other = sqlite3.connect(database)
    try:
        other.execute("SELECT count(*) FROM profiles").fetchone()
        generate_demo(sqlite_store, profiles=50, seed=1)
        assert other.execute("SELECT count(*) FROM profiles").fetchone() == (50,)
    finally:
        other.close()
    with sqlite_store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -200000
        assert conn.exec_driver_sql("PRAGMA temp_store").scalar() == 2  # MEMORY, as opened
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_every_reference_points_to_an_existing_row(sqlite_store: Store) -> None:
    """The SQLite load skips per-row foreign-key look-ups; the data must not need them."""
    _demo(sqlite_store, profiles=500)
    with sqlite_store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        orphan_events = conn.exec_driver_sql(
            "SELECT count(*) FROM events WHERE profile_id NOT IN (SELECT id FROM profiles)"
        ).scalar()
    assert orphan_events == 0


def test_new_profiles_get_fresh_ids_after_the_demo(store: Store) -> None:
    db_id = _demo(store)
    with store.begin() as conn:
        new_id = conn.execute(
            insert(m.Profile)
            .values(database_id=db_id, email="new@example.com")
            .returning(m.Profile.id)
        ).scalar_one()
        top = conn.execute(
            select(func.max(m.Profile.id)).where(m.Profile.id != new_id)
        ).scalar_one()
    assert new_id > top


def test_ensure_demo_store_fills_only_an_empty_store(store: Store) -> None:
    assert ensure_demo_store(store, profiles=50) is True
    assert ensure_demo_store(store, profiles=50) is False
    with store.begin() as conn:
        rows = conn.execute(select(m.ProfileDatabase.name, m.ProfileDatabase.is_demo)).all()
        count = conn.execute(select(func.count()).select_from(m.Profile)).scalar_one()
    assert rows == [("Demo customers", True)]
    assert count == 50


def test_ensure_demo_store_does_not_refill_after_the_last_database_is_deleted(
    store: Store,
) -> None:
    assert ensure_demo_store(store, profiles=50) is True
    delete_database(store, "Demo customers")
    assert ensure_demo_store(store, profiles=50) is False
    with store.begin() as conn:
        assert conn.execute(select(m.ProfileDatabase.id)).all() == []


def test_ensure_demo_store_leaves_an_operators_store_empty_once_it_had_a_database(
    store: Store,
) -> None:
    with store.begin() as conn:
        create_database(store, conn, "Customers")
    assert ensure_demo_store(store, profiles=50) is False
    with store.begin() as conn:  # it wrote nothing: a read-only store still opens
        assert (
            conn.execute(select(m.StoreMeta.key).where(m.StoreMeta.key == DEMO_OFFERED)).all() == []
        )
    delete_database(store, "Customers")
    assert ensure_demo_store(store, profiles=50) is False
    with store.begin() as conn:
        assert conn.execute(select(func.count()).select_from(m.Profile)).scalar_one() == 0
