"""Bulk loading of the demo: the catalogue rows, then millions of rows in large chunks.

The rows go through the DBAPI connection, past SQLAlchemy: ``COPY`` on
PostgreSQL, ``executemany`` on SQLite, one transaction for the whole demo.
Large demos make their rows in a helper process while this one writes.
"""

from __future__ import annotations

import datetime as dt
import marshal
import multiprocessing
import queue
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, inspect, select, text
from sqlalchemy.exc import OperationalError

from .. import models as m
from ..fields import FieldType
from ..store import Store
from .reference import DEMO_SEGMENTS, LOYALTY_LEVELS, RESOURCES
from .rows import ChunkRows, DemoGenerator, DemoSetup


class BulkWriter:
    """Appends rows to a table through the DBAPI connection of ``conn``.

    Table and column names come from this module and the store's schema,
    never from user text.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name
        self.quote = conn.dialect.identifier_preparer.quote
        raw = conn.connection.dbapi_connection
        assert raw is not None
        self.raw = raw

    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        names = ", ".join(self.quote(c) for c in columns)
        cursor = self.raw.cursor()
        try:
            if self.dialect == "postgresql":
                with cursor.copy(f"COPY {self.quote(table)} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(columns))
                cursor.executemany(
                    f"INSERT INTO {self.quote(table)} ({names}) VALUES ({marks})", rows
                )
        finally:
            cursor.close()


# -- catalogue rows (few) ------------------------------------------------------


def create_catalogue(store: Store, conn: Connection, name: str) -> DemoSetup:
    """The demo database with its custom fields, resources, channels and programs."""
    db_id = store.create_database(
        conn,
        name,
        is_demo=True,
        description="Demo data made by 'bulkprofiles demo': invented people, safe to change.",
    )
    custom = (
        ("age", "Age", FieldType.INTEGER, ()),
        ("bonus_points", "Bonus points", FieldType.INTEGER, ()),
        ("average_check", "Average check", FieldType.FLOAT, ()),
        ("loyalty_level", "Loyalty level", FieldType.ENUM, LOYALTY_LEVELS),
        ("tags", "Tags", FieldType.TAGS, ()),
        ("vip", "VIP", FieldType.BOOLEAN, ()),
        ("last_purchase_on", "Last purchase", FieldType.DATE, ()),
        ("last_ip", "Last IP address", FieldType.IP, ()),
        ("telegram_id", "Telegram ID", FieldType.STRING, ()),
    )
    for key, label, ftype, options in custom:
        store.add_custom_field(conn, db_id, key, label, ftype, options)
    fields = {f.key: f for f in store.fields(conn, db_id)}
    resources = {res: _resource(conn, res, chans) for res, chans, _a in RESOURCES}
    conn.execute(
        insert(m.ResourceDatabase),
        [
            {"resource_id": resources[res], "database_id": db_id}
            for res, _chans, attached in RESOURCES
            if attached
        ],
    )
    programs = {
        "Winter sale": _program(conn, "Winter sale", name, db_id),
        "Birthday club": _program(conn, "Birthday club", name, db_id),
    }
    return DemoSetup(db_id, fields, resources, programs)


def _resource(conn: Connection, name: str, channels: tuple[str, ...]) -> int:
    """The resource named ``name`` (made if missing) with at least ``channels``."""
    res_id = conn.execute(select(m.Resource.id).where(m.Resource.name == name)).scalar()
    if res_id is None:
        res_id = conn.execute(
            insert(m.Resource).values(name=name).returning(m.Resource.id)
        ).scalar_one()
    have = set(
        conn.execute(
            select(m.ResourceChannel.channel).where(m.ResourceChannel.resource_id == res_id)
        ).scalars()
    )
    missing = [c for c in channels if c not in have]
    if missing:
        conn.execute(
            insert(m.ResourceChannel),
            [{"resource_id": res_id, "channel": c} for c in missing],
        )
    return int(res_id)


def _program(conn: Connection, name: str, database_name: str, db_id: int) -> int:
    """A new program; named after the database if ``name`` is taken already."""
    taken = conn.execute(select(m.LoyaltyProgram.id).where(m.LoyaltyProgram.name == name)).scalar()
    if taken is not None:
        name = f"{name} ({database_name})"
    return int(
        conn.execute(
            insert(m.LoyaltyProgram)
            .values(name=name, database_id=db_id)
            .returning(m.LoyaltyProgram.id)
        ).scalar_one()
    )


def reserve_profile_ids(conn: Connection, n: int) -> int:
    """Reserve a block of ``n`` profile ids and return the first one."""
    if conn.dialect.name == "postgresql":
        seq = conn.execute(text("SELECT pg_get_serial_sequence('profiles', 'id')")).scalar_one()
        first = int(conn.execute(text("SELECT nextval(:s)"), {"s": seq}).scalar_one())
        top = conn.execute(select(func.coalesce(func.max(m.Profile.id), 0))).scalar_one()
        first = max(first, int(top) + 1)
        conn.execute(text("SELECT setval(:s, :v)"), {"s": seq, "v": first + max(n, 1) - 1})
        return first
    top = conn.execute(select(func.coalesce(func.max(m.Profile.id), 0))).scalar_one()
    return int(top) + 1


def add_triggers_and_segments(conn: Connection, setup: DemoSetup) -> tuple[int, int]:
    """The demo's triggers and saved segments; returns how many of each."""
    db_id = setup.database_id
    triggers: list[dict[str, Any]] = [
        {
            "name": "Welcome email",
            "kind": "subscription",
            "resource_id": setup.resources["Newsletter"],
            "channel": "email",
        },
        {
            "name": "Local offers on city change",
            "kind": "field_updated",
            "field_id": setup.fields["city"].id,
        },
        {"name": "Sync changed profiles to CRM", "kind": "field_updated"},
        {
            "name": "Winter sale code sent",
            "kind": "promo_attached",
            "program_id": setup.programs["Winter sale"],
        },
    ]
    base = {"resource_id": None, "channel": None, "field_id": None, "program_id": None}
    conn.execute(
        insert(m.Trigger),
        [{**base, **t, "database_id": db_id, "active": True} for t in triggers],
    )
    now = m.utcnow()
    conn.execute(
        insert(m.Segment),
        [
            {
                "database_id": db_id,
                "name": name,
                "rules": rules,
                "range_from": 0.0,
                "range_to": 100.0,
                "limit": limit,
                "created_at": now,
                "updated_at": now,
            }
            for name, rules, limit in DEMO_SEGMENTS
        ],
    )
    return len(triggers), len(DEMO_SEGMENTS)


# -- the bulk load ----------------------------------------------------------------


@contextmanager
def sqlite_bulk_settings(conn: Connection) -> Iterator[None]:
    """On SQLite, connection settings for one large load, restored afterwards.

    - A rollback journal instead of the write-ahead log: in WAL mode every page
      of a large transaction is written twice (to the log, then back into the
      file at the checkpoint), and pages spilled from the cache mid-transaction
      pile up in the log.  With a rollback journal new pages go straight into
      the file and the transaction stays atomic.  Switching needs the file to
      ourselves; if another connection has it open, the load stays in WAL mode.
    - A page cache of 200 MB (``LOAD_CACHE_KIB``) for the inserts.  The rows
      arrive in id order, so they and the unique indexes that stay grow at
      their right edge and a larger cache buys nothing: at 400,000 profiles
      1 GB took the same CPU time (13.8 against 14.1 s) and 90 MB more
      memory (464 against 373 MB peak; 940 MB at 1,000,000 profiles).
    - Temporary files on disk rather than in memory: CREATE INDEX then sorts in
      cache-sized runs and merges them, about a third faster than one huge
      in-memory sort (measured at 200,000 profiles).
    - No foreign-key look-ups per row: the generator makes every reference from
      the ids it has just written (tests run ``PRAGMA foreign_key_check``).
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    temp_store = conn.exec_driver_sql("PRAGMA temp_store").scalar()
    foreign_keys = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size={LOAD_CACHE_KIB}")
    conn.exec_driver_sql("PRAGMA temp_store=FILE")
    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    switched = False
    try:
        conn.exec_driver_sql("PRAGMA busy_timeout=0")
        mode = conn.exec_driver_sql("PRAGMA journal_mode=DELETE").scalar()
        switched = str(mode).lower() == "delete"
    except OperationalError:
        pass
    finally:
        conn.exec_driver_sql("PRAGMA busy_timeout=10000")
        conn.commit()
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(cache if cache is not None else -2000)}")
        conn.exec_driver_sql(f"PRAGMA temp_store={int(temp_store or 0)}")
        conn.exec_driver_sql(f"PRAGMA foreign_keys={int(foreign_keys or 0)}")
        if switched:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        conn.commit()


#: SQLite page cache of the loading connection (negative: KiB), and the smaller
#: one while it builds indexes (the size of each sorted run).
LOAD_CACHE_KIB = -200_000
INDEX_BUILD_CACHE_KIB = -16_000

#: Tables the generator fills in bulk.
BULK_TABLES = ("profiles", "profile_list_values", "subscriptions", "events")


@contextmanager
def bulk_structures_lifted(conn: Connection, *, adding: int) -> Iterator[None]:
    """Drop what slows a bulk load down row by row, and put it back once at the end.

    - The non-unique indexes of the bulk tables: building an index once over
      the loaded rows is much cheaper than keeping it up to date row by row
      (about a third of the load time at 1,000,000 profiles on SQLite).  They
      are the schema's own (``models``).
    - On PostgreSQL, the foreign keys of the bulk tables: each one checks
      every copied row with a look-up by trigger (about 8 million look-ups at
      1,000,000 profiles); put back, each is checked once for the whole table
      by one join.  (SQLite loads with foreign keys off, see
      ``sqlite_bulk_settings``.)

    Only done when the load at least doubles the profiles.  Everything is put
    back inside the same transaction, so a failure leaves the schema as it was.
    """
    existing = conn.execute(select(func.count()).select_from(m.Profile)).scalar_one()
    if existing > adding:
        yield
        return
    with warnings.catch_warnings():
        # An import's index of lower(email) is an expression SQLite's reflection
        # skips with a warning; it is none of the models' indexes dropped here.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        present = {ix["name"] for table in BULK_TABLES for ix in inspect(conn).get_indexes(table)}
    dropped = [
        index
        for table in BULK_TABLES
        for index in sorted(m.Base.metadata.tables[table].indexes, key=lambda i: str(i.name))
        if not index.unique and index.name in present
    ]
    for index in dropped:
        index.drop(conn)
    foreign_keys = _drop_postgres_foreign_keys(conn)
    yield
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA cache_size={INDEX_BUILD_CACHE_KIB}")
    for index in dropped:
        index.create(conn)
    _add_postgres_foreign_keys(conn, foreign_keys)


def _drop_postgres_foreign_keys(conn: Connection) -> list[tuple[str, str, str]]:
    """Drop the foreign keys of the bulk tables; returns (table, name, definition) of each.

    The definitions are the server's own (``pg_get_constraintdef``), so they
    come back exactly as they were, names included.
    """
    if conn.dialect.name != "postgresql":
        return []
    rows = conn.execute(
        text(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)"
            " FROM pg_constraint c"
            " WHERE c.contype = 'f' AND c.conrelid = ANY(CAST(:tables AS regclass[]))"
            " ORDER BY 1, 2"
        ),
        {"tables": list(BULK_TABLES)},
    ).all()
    foreign_keys = [(str(table), str(name), str(definition)) for table, name, definition in rows]
    quote = conn.dialect.identifier_preparer.quote
    for table, name, _definition in foreign_keys:
        conn.exec_driver_sql(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
    return foreign_keys


def _add_postgres_foreign_keys(conn: Connection, foreign_keys: list[tuple[str, str, str]]) -> None:
    """Put back what :func:`_drop_postgres_foreign_keys` dropped; each is checked in one pass."""
    quote = conn.dialect.identifier_preparer.quote
    for table, name, definition in foreign_keys:
        conn.exec_driver_sql(
            f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
        )


@contextmanager
def postgres_bulk_settings(conn: Connection) -> Iterator[None]:
    """On PostgreSQL, settings of the load's own transaction (``SET LOCAL``).

    More memory for the index builds at the end (``maintenance_work_mem``,
    only ever raised), and no wait for the WAL flush at the commit: the
    whole demo is one transaction, and a crash before the flush loses only a
    demo that can be made again.
    """
    if conn.dialect.name == "postgresql":
        current = conn.exec_driver_sql(
            "SELECT setting::bigint * 1024 FROM pg_settings WHERE name = 'maintenance_work_mem'"
        ).scalar_one()
        if int(current) < INDEX_BUILD_MEMORY_KIB * 1024:
            conn.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY_KIB}kB'")
        conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
    yield


#: PostgreSQL's maintenance_work_mem for the index builds of a load (KiB).
INDEX_BUILD_MEMORY_KIB = 256 * 1024


def vacuum_and_analyze(store: Store) -> None:
    """The planner's statistics after the load; on PostgreSQL a vacuum of the bulk tables too.

    Freshly copied rows are not yet marked visible to all: the first reads set
    their hint bits and PostgreSQL's autovacuum visits every new page soon
    after (the insert threshold), which at 10,000,000 profiles ran for minutes
    during the first jobs on the new demo.  ``VACUUM (ANALYZE)`` right after
    the load does that work once, as part of making the demo, and sets the
    visibility map that index-only scans need.  SQLite has neither, so there
    it is the store's sampled ``ANALYZE``.
    """
    if store.dialect != "postgresql":
        store.analyze()
        return
    quote = store.engine.dialect.identifier_preparer.quote
    tables = ", ".join(quote(table) for table in (*BULK_TABLES, *DEMO_CATALOGUE_TABLES))
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"VACUUM (ANALYZE) {tables}")


#: The other tables a demo writes (vacuumed and analysed with the bulk tables).
DEMO_CATALOGUE_TABLES = (
    "promo_codes",
    "profile_databases",
    "fields",
    "resources",
    "resource_channels",
    "resource_databases",
    "loyalty_programs",
    "triggers",
    "segments",
)


@dataclass(frozen=True)
class GeneratorParams:
    profiles: int
    seed: int
    now: dt.datetime


def chunks_from_helper_process(
    params: GeneratorParams, setup: DemoSetup, first_id: int
) -> Iterator[tuple[int, ChunkRows]]:
    """The profile chunks, made by a helper process while this one writes.

    Making rows is pure Python and writing them is mostly the database
    driver, so with two cores the two overlap.  The helper runs the same
    generator from the same seed, so the rows are the same as in-process.
    A thread would not do: the two halves would fight over the GIL.
    """
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    handoff = context.Queue(maxsize=2)
    helper = context.Process(
        target=_make_chunks,
        args=(params, setup, first_id, handoff),
        name="bulkprofiles-demo-rows",
        daemon=True,
    )
    helper.start()
    try:
        while True:
            try:
                item = handoff.get(timeout=5)
            except queue.Empty:
                if not helper.is_alive():
                    raise RuntimeError(
                        f"the demo row maker stopped unexpectedly (exit code {helper.exitcode})"
                    ) from None
                continue
            if item is None:
                return
            if isinstance(item, str):
                raise RuntimeError(f"the demo row maker failed: {item}")
            done, packed = item
            yield done, ChunkRows(*marshal.loads(packed))
    finally:
        if helper.is_alive():
            helper.terminate()
        helper.join()
        handoff.cancel_join_thread()
        handoff.close()


def _make_chunks(params: GeneratorParams, setup: DemoSetup, first_id: int, handoff: Any) -> None:
    """Body of the helper process: every chunk, then None (or the error as text)."""
    try:
        generator = DemoGenerator(profiles=params.profiles, seed=params.seed, now=params.now)
        for done, rows in generator.profile_chunks(setup, first_id):
            handoff.put((done, marshal.dumps(rows.as_lists())))
        handoff.put(None)
    except BaseException as exc:  # reported to the parent, which raises it
        handoff.put(f"{type(exc).__name__}: {exc}")
