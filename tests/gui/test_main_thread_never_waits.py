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

from bulkprofiles_gui.gui.main_window import MainWindow
from bulkprofiles_gui.gui.views import databases
from bulkprofiles_gui.gui.wizard import selection_page

pytestmark = pytest.mark.usefixtures("qapp")

DEMO = "Demo customers"


@pytest.fixture
def window(demo_window: MainWindow) -> MainWindow:
    return demo_window


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


@pytest.mark.parametrize("kind", ["update", "import"])
def test_closing_a_wizard_while_it_loads_does_not_wait(
    qtbot: Any,
    window: MainWindow,
    held: threading.Event,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    from bulkprofiles_gui.gui.import_wizard import file_page

    wizard: Any
    if kind == "update":
        monkeypatch.setattr(
            selection_page, "load_sources", holding(held, selection_page.load_sources)
        )
        wizard = window.open_update_wizard(DEMO)
    else:
        monkeypatch.setattr(file_page, "database_names", holding(held, file_page.database_names))
        wizard = window.open_import_wizard(DEMO)
    assert wizard is not None
    qtbot.waitUntil(wizard.threads_running)
    started = time.monotonic()
    wizard.reject()
    assert time.monotonic() - started < 1.0
    assert (window.wizard, window.import_wizard) == (None, None)
    assert wizard in window._retiring  # kept until its thread ends
    held.set()
    qtbot.waitUntil(lambda: window._retiring == [], timeout=10_000)


@pytest.fixture
def other(gui_store_url: str, tmp_path: Path) -> Path:
    """A second store to switch to: a copy of the first."""
    copy = tmp_path / "other.sqlite3"
    shutil.copyfile(gui_store_url.removeprefix("sqlite:///"), copy)
    return copy


def test_switching_the_store_while_a_view_loads_does_not_wait(
    qtbot: Any,
    window: MainWindow,
    held: threading.Event,
    monkeypatch: pytest.MonkeyPatch,
    other: Path,
) -> None:
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


def test_switching_the_store_while_a_resume_runs_in_tasks_is_refused_with_why(
    qtbot: Any,
    window: MainWindow,
    held: threading.Event,
    monkeypatch: pytest.MonkeyPatch,
    other: Path,
) -> None:
    """The switch happened at once and the resume went on on the old store,
    its end never reported (audit): it is refused with why, the store kept."""
    from bulkprofiles_gui.core.actions import ACTIONS
    from bulkprofiles_gui.core.config import Settings
    from bulkprofiles_gui.core.jobfile import Job
    from bulkprofiles_gui.core.jobs import prepare_task, run_task
    from bulkprofiles_gui.core.progress import JobState, Progress

    store = window.store
    assert store is not None
    job = Job.from_dict(
        {
            "database": DEMO,
            "rules": {"rules": [{"field": "age", "operator": ">=", "value": 0}]},
            "action": {"type": "global_unsubscribe"},
        },
        require_action=True,
    )
    task_id = prepare_task(store, job)
    first_batch = JobState()

    def cancel_after_a_batch(progress: Progress) -> None:
        if progress.done > 0:
            first_batch.cancel()

    first_batch.on_progress = cancel_after_a_batch
    run_task(store, task_id, first_batch, settings=Settings(batch_size=50))
    module = ACTIONS["global_unsubscribe"]
    monkeypatch.setattr(module, "apply_batch", holding(held, module.apply_batch))
    tasks = window.tasks_view
    tasks.refresh()
    qtbot.waitUntil(lambda: tasks.selected_task() is not None, timeout=30_000)
    tasks.select_task(task_id)
    qtbot.waitUntil(tasks.resume_button.isEnabled, timeout=30_000)
    tasks.resume_button.click()
    assert tasks.run_active()
    told: list[str] = []
    monkeypatch.setattr(window, "tell_store_busy", told.append)
    before = window.store_label.text()
    window.connect_store(f"sqlite:///{other}", None)
    assert told and "A task is running in Tasks" in told[0]
    assert window.store is store and window.store_label.text() == before
    held.set()
    qtbot.waitUntil(lambda: not tasks.run_active(), timeout=30_000)
