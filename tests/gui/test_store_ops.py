"""The window's one helper for background store work (``gui.worker.ops``).

Real stores on both backends: the latest op of a key wins, a failure reaches
its callback as one line, ``wait`` waits for every thread, and a stale op's
statement is stopped in the database (SQLite ``interrupt``, PostgreSQL
cancel) instead of being left to finish.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import text

from bulkprofiles_gui.core.store import Store, StoreError
from bulkprofiles_gui.gui.worker import CancelledOp, StoreOps, op_connection

#: Seconds a statement runs unless it is stopped (the test fails long before).
SLOW_SECONDS = 60


def slow_statement(store: Store) -> Any:
    """A statement that keeps the database busy for about a minute."""
    if store.engine.dialect.name == "postgresql":
        return text(f"SELECT pg_sleep({SLOW_SECONDS})")
    # A recursive count to 10^10: minutes of work for SQLite.
    return text(
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n LIMIT 10000000000) "
        "SELECT count(*) FROM n"
    )


def test_the_latest_op_of_a_key_wins(qtbot: Any, store: Store) -> None:
    ops = StoreOps()
    delivered: list[int] = []

    def answer(n: int, delay: float) -> Any:
        def fn(s: Store) -> int:
            time.sleep(delay)
            with s.begin() as conn:
                return int(conn.execute(text("SELECT :n"), {"n": n}).scalar_one())

        return fn

    ops.run(store, answer(1, 0.3), delivered.append, key=("owner", "count"))
    ops.run(store, answer(2, 0.0), delivered.append, key=("owner", "count"))
    ops.run(store, answer(3, 0.0), delivered.append, key=("owner", "other"))
    qtbot.waitUntil(lambda: not ops.busy("owner"), timeout=10_000)
    assert ops.wait()
    assert sorted(delivered) == [2, 3]  # the older op of "count" delivered nothing


def test_a_failure_reaches_its_callback_as_one_line(qtbot: Any, store: Store) -> None:
    ops = StoreOps()
    lines: list[str] = []

    def refuse(_s: Store) -> None:
        raise StoreError("the database 'Shop' does not exist\nsecond line")

    ops.run(store, refuse, lambda _r: None, lines.append)
    qtbot.waitUntil(lambda: bool(lines), timeout=10_000)
    assert lines == ["the database 'Shop' does not exist"]
    assert ops.wait()


def test_wait_waits_for_every_thread_and_drops_the_results(store: Store) -> None:
    ops = StoreOps()
    delivered: list[str] = []

    def slow(_s: Store) -> str:
        time.sleep(0.3)
        return "late"

    ops.run(store, slow, delivered.append, key=("a", "x"))
    ops.run(store, slow, delivered.append)
    assert ops.running() == 2
    assert ops.wait(10_000)
    assert ops.running() == 0
    assert delivered == []  # the window is closing: nothing is delivered any more


def test_a_stale_op_is_stopped_in_the_database(qtbot: Any, store: Store) -> None:
    """The older count's statement is interrupted (SQLite) / cancelled (PostgreSQL)
    as soon as a newer op of its key starts; it does not run to its end."""
    ops = StoreOps()
    outcome: list[str] = []
    delivered: list[object] = []
    failures: list[str] = []
    statement = slow_statement(store)

    def stale(s: Store) -> object:
        try:
            with op_connection(s) as conn:
                outcome.append("started")
                return conn.execute(statement).scalar_one()
        except CancelledOp:
            outcome.append("stopped")
            raise

    def fresh(s: Store) -> int:
        with op_connection(s) as conn:
            return int(conn.execute(text("SELECT 42")).scalar_one())

    key = ("page", "count")
    ops.run(store, stale, delivered.append, failures.append, key=key, cancellable=True)
    qtbot.waitUntil(lambda: outcome == ["started"], timeout=10_000)
    time.sleep(0.3)  # the statement is running in the database now
    started = time.monotonic()
    ops.run(store, fresh, delivered.append, failures.append, key=key, cancellable=True)
    qtbot.waitUntil(lambda: outcome == ["started", "stopped"], timeout=15_000)
    assert time.monotonic() - started < 10  # far sooner than the statement's minute
    qtbot.waitUntil(lambda: delivered == [42], timeout=10_000)
    assert ops.wait(10_000)
    assert failures == []  # a cancelled op is no error for the operator


def test_op_connection_outside_an_op_is_a_plain_transaction(store: Store) -> None:
    with op_connection(store) as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
