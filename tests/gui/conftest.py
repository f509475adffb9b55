"""Fixtures of the GUI tests.

* Every GUI test fails when it leaves a ``BackgroundCall`` QThread running
  (napari's rule: a thread that outlives its test makes the next one flaky
  or crashes the interpreter).  The threads are still waited for, so one
  leaky test does not take the others down.
* Passwords go to an in-memory keyring, never the real user's.
* ``gui_store``: a small demo store on SQLite (copied from one made per
  session); the parametrised ``demo_store`` of tests/conftest.py runs a test
  on PostgreSQL too.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEventLoop

from bulkprofiles_gui.core.store import Store, open_store
from bulkprofiles_gui.gui.worker import BackgroundCall

GUI_DEMO_PROFILES = 300
GUI_DEMO_DATABASE = "Demo customers"


# -- the QThread guard -----------------------------------------------------------------
def still_running(calls: list[BackgroundCall]) -> list[BackgroundCall]:
    """The calls whose thread has not ended yet."""
    running = []
    for call in calls:
        try:
            if call.is_running():
                running.append(call)
        except RuntimeError:  # its QObject is gone, and with it the thread
            continue
    return running


def wait_for_calls(calls: list[BackgroundCall], msecs: int = 30_000) -> None:
    """Wait (delivering their queued signals) until the calls' threads have ended."""
    deadline = QDeadlineTimer(msecs)
    while still_running(calls) and not deadline.hasExpired():
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        for call in still_running(calls):
            call.wait(20)


@pytest.fixture
def started_calls(monkeypatch: pytest.MonkeyPatch) -> list[BackgroundCall]:
    """Every BackgroundCall the test starts, in order."""
    started: list[BackgroundCall] = []
    original = BackgroundCall.start

    def start(self: BackgroundCall) -> BackgroundCall:
        started.append(self)
        return original(self)

    monkeypatch.setattr(BackgroundCall, "start", start)
    return started


@pytest.fixture(autouse=True)
def no_qthread_outlives_its_test(started_calls: list[BackgroundCall]) -> Iterator[None]:
    yield
    leaked = still_running(started_calls)
    if leaked:
        wait_for_calls(leaked)
        pytest.fail(
            f"{len(leaked)} background QThread(s) were still running when the test ended; "
            "wait for them (qtbot.waitUntil / shutdown()) before returning"
        )


# -- keyring ------------------------------------------------------------------------------
class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


# -- stores --------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def _gui_demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bulkprofiles_gui.core.demo import generate_demo

    path = tmp_path_factory.mktemp("gui-demo") / "template.sqlite3"
    made = open_store(f"sqlite:///{path}", create=True)
    try:
        generate_demo(made, profiles=GUI_DEMO_PROFILES, seed=1, database_name=GUI_DEMO_DATABASE)
    finally:
        made.close()
    return path


@pytest.fixture
def gui_store_url(_gui_demo_template: Path, tmp_path: Path) -> str:
    """URL of a fresh copy of the small demo store (SQLite)."""
    path = tmp_path / "store.sqlite3"
    shutil.copyfile(_gui_demo_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def gui_store(gui_store_url: str) -> Iterator[Store]:
    opened = open_store(gui_store_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def demo_window(qtbot: Any, gui_store_url: str) -> Iterator[Any]:
    """The main window on a fresh copy of the small demo store, its databases listed."""
    from bulkprofiles_gui.gui.app import start_main_window

    win = start_main_window(gui_store_url)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.databases_view.selected_database() is not None, timeout=60_000)
    yield win
    win.close()
    win.shutdown()


def wait_until(qtbot: Any, condition: Any, timeout: int = 30_000) -> None:
    qtbot.waitUntil(condition, timeout=timeout)
