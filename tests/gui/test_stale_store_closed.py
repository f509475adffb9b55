"""A store opened for nothing is closed, off the main thread.

Opening a store is an op of the window's key in ``worker.ops`` ("newer wins"):
the older open's result is dropped.  That result owns an engine and its
connections, so ``ops`` releases it (``Store.close``) instead of dropping it,
in a worker thread: whether the older open is still running when the newer
one starts, has finished with its result on the way to the main thread, or
the window closes while it runs.  The store a newer open replaces is closed
in the background too.  Observed on the real Store: SQLAlchemy's
``engine_disposed`` event of its engine, and the thread it fired in.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import event

from bulkprofiles_gui.core.store import Store
from bulkprofiles_gui.gui import main_window
from bulkprofiles_gui.gui.app import start_main_window
from bulkprofiles_gui.gui.main_window import MainWindow
from bulkprofiles_gui.gui.worker import StoreOps

pytestmark = pytest.mark.usefixtures("qapp")


@dataclass
class Opens:
    """Every store the window's opens made, by open in the order the window
    started them (0 = the first), and the thread each was closed in."""

    stores: dict[int, Store] = field(default_factory=dict)
    #: id(store) -> "main" or "worker": the thread its engine was disposed in.
    closed_in: dict[int, str] = field(default_factory=dict)
    #: Seconds the n-th open waits before it opens anything.
    delays: dict[int, float] = field(default_factory=dict)
    started: int = 0

    def numbered(self, fn: Callable[[], Store]) -> Callable[[], Store]:
        """The window's open function, numbered now (on the main thread)."""
        n, self.started = self.started, self.started + 1

        def open_store() -> Store:
            time.sleep(self.delays.get(n, 0))
            store = fn()
            event.listen(store.engine, "engine_disposed", lambda _e: self._closed(store))
            self.stores[n] = store
            return store

        return open_store

    def _closed(self, store: Store) -> None:
        main = threading.current_thread() is threading.main_thread()
        self.closed_in[id(store)] = "main" if main else "worker"

    def where_closed(self, store: Store) -> str | None:
        return self.closed_in.get(id(store))


@pytest.fixture
def opens(monkeypatch: pytest.MonkeyPatch) -> Iterator[Opens]:
    """Numbers the window's opens of a store (the ops of its "open store" key)."""
    found = Opens()
    real_call = main_window.ops.call

    def call(fn: Callable[[], Any], *args: Any, **kwargs: Any) -> Any:
        key = kwargs.get("key")
        if isinstance(key, tuple) and key[1:] == ("open store",):
            fn = found.numbered(fn)
        return real_call(fn, *args, **kwargs)

    monkeypatch.setattr(main_window.ops, "call", call)
    yield found
    for store in found.stores.values():  # whatever a failing test left open
        if found.where_closed(store) is None:
            store.close()


@pytest.fixture
def window(qtbot: Any, demo_store: Store, opens: Opens) -> Iterator[MainWindow]:
    """The window on the demo store (SQLite and PostgreSQL), its first open done."""
    win = start_main_window(demo_store.url)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.store is not None, timeout=60_000)
    yield win
    win.close()
    win.shutdown()


def test_a_superseded_open_still_running_closes_its_store_in_the_background(
    qtbot: Any, window: MainWindow, demo_store: Store, opens: Opens
) -> None:
    """The older open is still opening when the newer one starts: its store,
    once made, is closed in the op's own thread and never shown."""
    first = window.store
    opens.delays[1] = 0.6  # the older of the two opens below
    window.connect_store(demo_store.url, "Older")
    window.connect_store(demo_store.url, "Newer")
    qtbot.waitUntil(lambda: window.connection_name == "Newer", timeout=30_000)
    qtbot.waitUntil(lambda: 1 in opens.stores, timeout=30_000)
    older, newer = opens.stores[1], opens.stores[2]
    qtbot.waitUntil(lambda: opens.where_closed(older) is not None, timeout=30_000)
    assert opens.where_closed(older) == "worker"
    qtbot.wait(200)  # the older result, were it delivered, would have arrived by now
    assert window.store is newer and window.connection_name == "Newer"
    assert opens.where_closed(newer) is None  # the window's store stays open
    assert first is not None and opens.where_closed(first) == "worker"  # replaced


def test_a_superseded_open_whose_store_is_on_its_way_is_closed_in_the_background(
    qtbot: Any, window: MainWindow, demo_store: Store, opens: Opens
) -> None:
    """The older open has made its store, the result is queued to the main
    thread, not delivered yet, when the newer open starts: that store is closed
    too (by a call of its own, off the main thread)."""
    window.connect_store(demo_store.url, "Older")
    window.wait_for_store()  # the thread has ended; its result waits in the event queue
    older = opens.stores[1]
    assert window.store is not older
    window.connect_store(demo_store.url, "Newer")
    qtbot.waitUntil(lambda: window.connection_name == "Newer", timeout=30_000)
    qtbot.waitUntil(lambda: opens.where_closed(older) is not None, timeout=30_000)
    assert opens.where_closed(older) == "worker"
    qtbot.wait(200)
    assert window.store is opens.stores[2] and window.store is not older
    assert opens.where_closed(window.store) is None


def test_closing_the_window_while_a_store_opens_closes_that_store(
    qtbot: Any, demo_store: Store, opens: Opens
) -> None:
    win = start_main_window(demo_store.url)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.store is not None, timeout=60_000)
    opens.delays[1] = 0.5
    win.connect_store(demo_store.url, "Later")
    win.close()
    win.shutdown()  # drops the pending open and waits for its thread
    assert 1 in opens.stores  # the open had made its store
    assert opens.where_closed(opens.stores[1]) == "worker"
    assert win.store is opens.stores[0]  # the open never reached the window


def test_a_stale_result_that_owns_something_is_released_once_and_never_delivered(
    qtbot: Any,
) -> None:
    """``StoreOps.call(release=...)``: a dropped result is released (in a worker
    thread), the delivered one is not; each exactly once."""
    ops = StoreOps()
    released: list[tuple[str, bool]] = []
    delivered: list[str] = []
    go = threading.Event()

    def release(result: str) -> None:
        released.append((result, threading.current_thread() is threading.main_thread()))

    def slow() -> str:
        go.wait(10)
        return "older"

    key = ("window", "open")
    ops.call(slow, delivered.append, key=key, release=release)
    ops.call(lambda: "newer", delivered.append, key=key, release=release)
    qtbot.waitUntil(lambda: delivered == ["newer"], timeout=10_000)
    go.set()
    qtbot.waitUntil(lambda: released == [("older", False)], timeout=10_000)
    assert ops.wait(10_000)
    qtbot.wait(50)
    assert delivered == ["newer"] and released == [("older", False)]
