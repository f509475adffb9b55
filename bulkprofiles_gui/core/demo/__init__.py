"""Demo data: a realistic, deterministic profile database for trying the tool.

``generate_demo(store, profiles=N, seed=S)`` creates a profile database
flagged ``is_demo`` with custom fields, resources and channels, subscriptions
in every status, an action history spread over 18 months (with many dormant
profiles), two loyalty programs, triggers and saved segments.  The same seed
and N (and the same ``now``) give identical rows.

The package has three layers: ``reference`` (the invented world: countries,
names, weights, segments), ``rows`` (the row generator, plain Python, no
database) and ``load`` (the catalogue rows and the bulk path of each backend).
This module ties them together and is the only one callers import.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select

from .. import models as m
from ..store import Store
from . import load
from .reference import DEFAULT_DATABASE_NAME, DEMO_SEGMENTS, RESOURCES
from .rows import (
    EVENT_COLUMNS,
    LIST_VALUE_COLUMNS,
    PROFILE_COLUMNS,
    PROFILE_CUSTOM_KEYS,
    PROMO_COLUMNS,
    SUBSCRIPTION_COLUMNS,
    DemoGenerator,
)

__all__ = [
    "DEFAULT_DATABASE_NAME",
    "DEMO_SEGMENTS",
    "RESOURCES",
    "DemoSummary",
    "ProgressCallback",
    "ensure_demo_store",
    "generate_demo",
]

ProgressCallback = Callable[[str, int, int], None]

#: From this many profiles on, the rows are made in a helper process.
PIPELINE_MIN_PROFILES = 200_000


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`generate_demo` made."""

    database_id: int
    database_name: str
    profiles: int
    list_values: int
    subscriptions: int
    events: int
    promo_codes: int
    segments: int
    triggers: int
    seconds: float

    @property
    def rows(self) -> int:
        return (
            self.profiles + self.list_values + self.subscriptions + self.events + self.promo_codes
        )


def generate_demo(
    store: Store,
    *,
    profiles: int,
    seed: int,
    database_name: str = DEFAULT_DATABASE_NAME,
    progress: ProgressCallback | None = None,
    now: dt.datetime | None = None,
) -> DemoSummary:
    """Create the demo profile database ``database_name`` with ``profiles`` profiles.

    Deterministic: the same ``seed``, ``profiles`` and ``now`` (default: the
    current UTC time, to the second) give identical rows.  All of it is one
    transaction: on an error nothing is left behind.  Raises ``StoreError``
    if the name is taken.  ``progress(stage, done, total)`` is called per chunk.
    """
    if profiles < 1:
        raise ValueError("the demo needs at least one profile")
    started = time.monotonic()
    report = progress or (lambda _stage, _done, _total: None)
    params = load.GeneratorParams(profiles, seed, now or m.utcnow().replace(microsecond=0))
    gen = DemoGenerator(profiles=profiles, seed=seed, now=params.now)
    counts = {"list_values": 0, "subscriptions": 0, "events": 0}
    try:
        with (
            store.engine.connect() as conn,
            load.sqlite_bulk_settings(conn),
            conn.begin(),
            load.postgres_bulk_settings(conn),
        ):
            setup = load.create_catalogue(store, conn, database_name)
            first_id = load.reserve_profile_ids(conn, profiles)
            writer = load.BulkWriter(conn)
            profile_columns = (
                *PROFILE_COLUMNS,
                *(store.field_column(setup.fields[k]).name for k in PROFILE_CUSTOM_KEYS),
            )
            report("profiles", 0, profiles)
            with load.bulk_structures_lifted(conn, adding=profiles):
                if profiles >= PIPELINE_MIN_PROFILES:
                    chunks = load.chunks_from_helper_process(params, setup, first_id)
                else:
                    chunks = gen.profile_chunks(setup, first_id)
                for done, rows in chunks:
                    writer.write("profiles", profile_columns, rows.profiles)
                    writer.write("profile_list_values", LIST_VALUE_COLUMNS, rows.list_values)
                    writer.write("subscriptions", SUBSCRIPTION_COLUMNS, rows.subscriptions)
                    writer.write("events", EVENT_COLUMNS, rows.events)
                    counts["list_values"] += len(rows.list_values)
                    counts["subscriptions"] += len(rows.subscriptions)
                    counts["events"] += len(rows.events)
                    report("profiles", done, profiles)
                report("indexes", 0, 1)
            report("indexes", 1, 1)
            codes = 0
            for chunk in gen.promo_code_chunks(setup, first_id):
                writer.write("promo_codes", PROMO_COLUMNS, chunk)
                codes += len(chunk)
            report("promo codes", codes, codes)
            triggers, segments = load.add_triggers_and_segments(conn, setup)
    except BaseException:
        store.refresh_schema()  # the custom columns went with the rolled-back transaction
        raise
    report("statistics", 0, 1)
    load.vacuum_and_analyze(store)
    report("statistics", 1, 1)
    return DemoSummary(
        database_id=setup.database_id,
        database_name=database_name.strip(),
        profiles=profiles,
        list_values=counts["list_values"],
        subscriptions=counts["subscriptions"],
        events=counts["events"],
        promo_codes=codes,
        segments=segments,
        triggers=triggers,
        seconds=time.monotonic() - started,
    )


#: ``store_meta`` key of a store that has had its first start: the demo was
#: made, or the operator deleted a profile database.  An empty store with it is
#: the operator's doing (they deleted the last database), not a first start.
DEMO_OFFERED = "demo_offered"


def ensure_demo_store(store: Store, *, profiles: int = 20_000) -> bool:
    """On a store's first start, fill it with the demo (seed 1) if it has no
    profile database.

    Returns True if it made the demo; the GUI calls this on every start.  It
    writes nothing unless it makes the demo (a read-only store opens), and a
    store marked ``DEMO_OFFERED`` (see :func:`mark_demo_offered`) stays empty.
    """
    with store.begin() as conn:
        offered = conn.execute(
            select(m.StoreMeta.value).where(m.StoreMeta.key == DEMO_OFFERED)
        ).first()
        has_database = conn.execute(select(m.ProfileDatabase.id).limit(1)).first() is not None
    if offered is not None or has_database:
        return False
    generate_demo(store, profiles=profiles, seed=1)
    with store.begin() as conn:
        mark_demo_offered(conn)
    return True


def mark_demo_offered(conn: Connection) -> None:
    """Mark the store so that :func:`ensure_demo_store` leaves it as it is;
    deleting a profile database calls this, so deleting the last one does not
    bring the demo back on the next start."""
    present = conn.execute(select(m.StoreMeta.key).where(m.StoreMeta.key == DEMO_OFFERED)).first()
    if present is None:
        conn.execute(insert(m.StoreMeta).values(key=DEMO_OFFERED, value="1"))
