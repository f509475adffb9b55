"""Killed at random points, resumed, the same as never killed (both backends).

For each of the seven updates and for a CSV import, ``bulkprofiles run`` /
``bulkprofiles import`` runs in a child process on a copy of one demo store
and SIGKILLs itself at a point drawn by a seeded random generator: inside the
transaction that freezes the selection, inside a batch's transaction after
the action changed its profiles, right after a batch committed; for the
import after a staged chunk committed, inside a merge batch, after a merge
batch committed.  The task is then ``interrupted`` and resumable, the resume
completes, and the end state (``fault_helpers.end_state``: every table a run
changes, less times and inserted rows' ids) equals that of the same command
run without a kill on another copy.
"""

from __future__ import annotations

import csv
import json
import random
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fault_helpers import (
    KILLED,
    StoreCopies,
    bulkprofiles,
    end_state,
    error_lines,
    killer,
    next_profile_id,
    run_killed,
)

from bulkprofiles_gui.cli import main
from bulkprofiles_gui.core.config import Settings
from bulkprofiles_gui.core.demo import generate_demo
from bulkprofiles_gui.core.progress import JobState
from bulkprofiles_gui.core.resume import run_any_task
from bulkprofiles_gui.core.store import open_store
from bulkprofiles_gui.core.tasks import list_tasks

PROFILES = 2000
#: Every batch (and the import's merge batches) this many profiles: 4-9 batches a job.
BATCH = 50
DATABASE = "Demo customers"


def _job(rules: list[dict[str, Any]], action: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {
        "database": DATABASE,
        "rules": {"combinator": "and", "not": False, "rules": rules},
        "action": action,
        **top,
    }


#: One job per update, each selecting 160-420 of the 2,000 demo profiles.
JOBS: dict[str, dict[str, Any]] = {
    "update_fields": _job(
        [{"field": "country", "operator": "notNull", "value": None}],
        {
            "type": "update_fields",
            "changes": [
                {"field": "city", "op": "set", "value": "Berlin"},
                {"field": "tags", "op": "add", "value": ["resumed"]},
                {"field": "bonus_points", "op": "increment", "value": 100},
            ],
        },
        range={"from": 0, "to": 15},
    ),
    "subscribe_from_fields": _job(
        [{"field": "email", "operator": "notNull", "value": None}],
        {
            "type": "subscribe_from_fields",
            "resource": "Newsletter",
            "channel": "email",
            "status": "subscribed",
            "source_field": "email",
        },
        range={"from": 0, "to": 20},
    ),
    "subscribe_from_resource": _job(
        [
            {
                "field": "$subscription",
                "operator": "has",
                "value": {"resource": "Shop", "channel": "sms"},
            }
        ],
        {
            "type": "subscribe_from_resource",
            "source_resource": "Shop",
            "resource": "SMS alerts",
            "channels": ["sms"],
            "status": "subscribed",
        },
    ),
    "update_subscriptions": _job(
        [
            {
                "field": "$subscription",
                "operator": "has",
                "value": {"resource": "Newsletter", "channel": "email"},
            }
        ],
        {
            "type": "update_subscriptions",
            "resource": "Newsletter",
            "channel": "email",
            "status": "unsubscribed",
        },
        range={"from": 0, "to": 30},
    ),
    # The pool of free codes runs out part-way: "pool_empty" after a kill too.
    "promo_codes": _job(
        [{"field": "bonus_points", "operator": ">=", "value": 500}],
        {"type": "promo_codes", "mode": "attach", "program": "Winter sale"},
        range={"from": 0, "to": 20},
    ),
    "delete_profiles": _job(
        [
            {
                "field": "$status",
                "operator": "in",
                "value": ["unsubscribed", "complainer", "hardbounced", "invalid"],
            }
        ],
        {"type": "delete_profiles"},
    ),
    "global_unsubscribe": _job(
        [{"field": "gender", "operator": "=", "value": "female"}],
        {"type": "global_unsubscribe"},
        range={"from": 0, "to": 30},
    ),
}
IMPORT = "import"

#: Where a kill can strike: inside an open transaction (rolled back by the
#: store), or between two (after a commit); a job or import draws one of each.
IN_TRANSACTION = {
    "job": [("freeze", 1)] + [("batch", k) for k in (1, 2, 3, 4)],
    IMPORT: [("merge", k) for k in (1, 2, 3, 4)],
}
BETWEEN_TRANSACTIONS = {
    "job": [("commit", k) for k in (1, 2, 3, 4)],
    IMPORT: [("stage", k) for k in (1, 2, 3)] + [("merged", k) for k in (1, 2, 3, 4)],
}


def kill_points(kind: str) -> list[tuple[str, int]]:
    """Two kill points for ``kind`` (one inside a transaction, one between
    two), drawn by a generator seeded with its name."""
    rng = random.Random(f"kill {kind}")
    family = IMPORT if kind == IMPORT else "job"
    return [rng.choice(IN_TRANSACTION[family]), rng.choice(BETWEEN_TRANSACTIONS[family])]


CASES = [(kind, point, k) for kind in [*JOBS, IMPORT] for point, k in kill_points(kind)] + [
    ("global_unsubscribe", "freeze", 1),  # and always: while freezing the selection,
    (IMPORT, "stage", 2),  # and while staging the file
]


@dataclass
class Base:
    """The demo store every case copies, and the end states of straight runs."""

    copies: StoreCopies
    folder: Path
    first_new_id: int
    straight: dict[str, dict[str, str]] = field(default_factory=dict)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def base(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Base]:
    from conftest import pg_database_url

    folder = tmp_path_factory.mktemp("kill-resume")
    database = None
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'base.sqlite3'}"
    else:
        database = pg_database_url()
        url = next(database)
    store = open_store(url, create=True)
    try:
        generate_demo(store, profiles=PROFILES, seed=3, database_name=DATABASE)
        first_new_id = next_profile_id(store)
    finally:
        store.close()
    _write_import_file(folder / "people.csv")
    copies = StoreCopies(url, folder)
    try:
        yield Base(copies, folder, first_new_id)
    finally:
        copies.drop_all()
        if database is not None:
            next(database, None)


def _write_import_file(path: Path) -> None:
    """600 rows: 300 new people, 300 updates of demo profiles matched by email
    (``demo.N@...`` is not known: the demo's emails are taken from the store
    when the file is written; see ``_demo_emails``), and a few bad rows."""
    rows = [["email", "firstName", "city", "tags", "bonusPoints", "phones"]]
    for i in range(300):
        rows.append([f"new.person{i}@example.org", f"New{i}", "Oslo", "imported", str(i), ""])
    for i in range(300):
        rows.append([f"known{i}", f"Known{i}", "Bergen", "imported;known", str(1000 + i), ""])
    for i in range(0, 600, 97):
        rows[1 + i][4] = "not a number"  # rejected rows, line by line
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows)


def _with_known_emails(path: Path, url: str) -> Path:
    """The import file with ``knownN`` replaced by the N-th demo profile's email."""
    from sqlalchemy import select

    store = open_store(url)
    try:
        with store.begin() as conn:
            emails = (
                conn.execute(
                    select(store.profiles.c.email)
                    .where(store.profiles.c.email.is_not(None))
                    .order_by(store.profiles.c.id)
                    .limit(300)
                )
                .scalars()
                .all()
            )
    finally:
        store.close()
    text = path.read_text(encoding="utf-8")
    for i in reversed(range(300)):
        text = text.replace(f"known{i},", f"{emails[i]},")
    target = path.with_name("people-known.csv")
    target.write_text(text, encoding="utf-8")
    return target


def _command(base: Base, kind: str, url: str) -> list[str]:
    if kind == IMPORT:
        people = base.folder / "people-known.csv"
        if not people.exists():
            _with_known_emails(base.folder / "people.csv", url)
        return ["import", str(people), "--database", DATABASE, "--db", url]
    job = base.folder / f"{kind}.json"
    if not job.exists():
        job.write_text(json.dumps(JOBS[kind]), encoding="utf-8")
    return ["run", str(job), "--yes", "--db", url]


def _straight(base: Base, kind: str) -> dict[str, str]:
    """The end state of the command run without a kill (once per kind)."""
    if kind not in base.straight:
        url = base.copies.make(f"straight-{kind}")
        assert main(_command(base, kind, url)) == 0  # in this process: the same code, sooner
        store = open_store(url)
        try:
            base.straight[kind] = end_state(store, base.first_new_id)
        finally:
            store.close()
    return base.straight[kind]


@pytest.fixture(autouse=True)
def _small_batches() -> None:
    Settings(batch_size=BATCH).save()


@pytest.mark.parametrize(("kind", "point", "when"), CASES)
def test_killed_then_resumed_ends_as_if_never_killed(
    base: Base, kind: str, point: str, when: int
) -> None:
    expected = _straight(base, kind)
    url = base.copies.make(f"killed-{kind}-{point}-{when}")

    child = run_killed(point, when, *_command(base, kind, url))

    assert child.returncode == KILLED, f"not killed at {point} {when}: {child.stderr}"
    store = open_store(url)
    try:
        (task,) = list_tasks(store)  # the listing sees the runner gone
        assert task.status == "interrupted" and task.resumable
        summary = run_any_task(store, task.id, JobState(), settings=Settings(batch_size=BATCH))
        assert summary.status == "completed"
        resumed = end_state(store, base.first_new_id)
        assert [t for t in expected if resumed[t] != expected[t]] == []  # tables that differ
        assert resumed["tasks"] == expected["tasks"]
    finally:
        store.close()


def test_a_second_process_resuming_a_running_task_is_refused(base: Base) -> None:
    """Killed, then resumed by one ``tasks resume`` process, and by a second
    one while the first is inside a batch: the second is refused in one line
    (exit 2), the first completes; the end state is the straight run's."""
    expected = _straight(base, "update_fields")
    url = base.copies.make("two-resumers")
    assert run_killed("batch", 2, *_command(base, "update_fields", url)).returncode == KILLED
    first = killer(
        "batch", 1, "wait", "tasks", "resume", "1", "--db", url,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert first.stdout is not None and first.stdout.readline().strip() == "at-point"

    second = bulkprofiles("tasks", "resume", "1", "--db", url)

    assert second.returncode == 2
    assert error_lines(second.stderr) == [
        "bulkprofiles: error: task 1 cannot be started: it is running"
    ]
    _out, err = first.communicate("go on\n", timeout=120)
    assert first.returncode == 0, err
    store = open_store(url)
    try:
        assert end_state(store, base.first_new_id) == expected
    finally:
        store.close()
