"""Closing the update wizard and switching the store never wait on the store
(audit: with the profiles table locked by another session, the wizard's
Cancel froze the window for 30 s and a store switch for 60 s).

A load is held in its thread by an event, as a lock held by another session
holds it in the database; the main thread must go on at once, the load's
result is dropped, and the closed wizard is deleted only once its thread has
ended (a QThread destroyed while running aborts the process)."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bulkprofiles_gui.gui.app import start_main_window
from bulkprofiles_gui.gui.main_window import MainWindow
from bulkprofiles_gui.gui.views import databases
from bulkprofiles_gui.gui.wizard import selection_page

pytestmark = pytest.mark.usefixtures("qapp")

DEMO = "Demo customers"


@pytest.fixture
def window(qtbot: Any, gui_store_url: str) -> Iterator[MainWindow]:
    win = start_main_window(gui_store_url)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.databases_view.selected_database() is not None, timeout=60_000)
    yield win
    win.close()
    win.shutdown()


@pytest.fixture
def held() -> Iterator[threading.Event]:
    """Released at the end of the test whatever happens: no thread outlives it."""
    release = threading.Event()
    yield release
    release.set()


def holding(release: threading.Event, fn: Any) -> Any:
    def slow(*args: Any, **kwargs: Any) -> Any:
        release.wait(30)
        return fn(*args, **kwargs)

    return slow


def test_closing_the_wizard_while_it_loads_does_not_wait(
    qtbot: Any, window: MainWindow, held: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selection_page, "load_sources", holding(held, selection_page.load_sources))
    wizard = window.open_update_wizard(DEMO)
    assert wizard is not None
    qtbot.waitUntil(wizard.threads_running)
    started = time.monotonic()
    wizard.reject()
    assert time.monotonic() - started < 1.0
    assert window.wizard is None
    assert wizard in window._retiring  # kept until its thread ends
    held.set()
    qtbot.waitUntil(lambda: window._retiring == [], timeout=10_000)
    assert not wizard.threads_running()


def test_switching_the_store_while_a_view_loads_does_not_wait(
    qtbot: Any,
    window: MainWindow,
    held: threading.Event,
    monkeypatch: pytest.MonkeyPatch,
    gui_store_url: str,
    tmp_path: Path,
) -> None:
    other = tmp_path / "other.sqlite3"
    shutil.copyfile(gui_store_url.removeprefix("sqlite:///"), other)
    monkeypatch.setattr(databases, "_list", holding(held, databases._list))
    window.databases_view.refresh()
    old = window.store
    qtbot.waitUntil(window.databases_view.busy)
    started = time.monotonic()
    window.connect_store(f"sqlite:///{other}", None)
    qtbot.waitUntil(lambda: window.store is not old, timeout=10_000)
    assert time.monotonic() - started < 5.0  # opening the other store, not the held load
    assert str(other) in window.store_label.text()
    held.set()
