"""The import wizard's dry run shows its progress and can be stopped.

Driven with qtbot on real stores and a CSV of a few thousand rows: the review
page shows the dry run's phase and rows done of the total while it runs (a
JobRun, as the run page's import), then the counts; Cancel stops it with one
line and nothing changed in the store; Back during a dry run stops it too.
The merge is slowed down (a sleep per batch of a few hundred rows) so a file
of a few thousand rows runs as long as one of hundreds of thousands would.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QWizard
from sqlalchemy import func, select

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.importer import MERGING
from bulkprofiles_gui.core.store import Store
from bulkprofiles_gui.gui.import_wizard import ImportWizard, PageId
from bulkprofiles_gui.gui.import_wizard.review_page import DRY_RUN_CANCELLED, ReviewPage
from bulkprofiles_gui.gui.main_window import MainWindow

from .test_import_wizard import (
    _slow_merge,
    _to_review,
    click,
    fields_of,
    next_enabled,
    open_window,
    profile_count,
    profiles_by_email,
)

pytestmark = pytest.mark.usefixtures("qapp")

ROWS = 3_000
KNOWN = 100  # rows of the file that match an existing profile (the rest are new)


def write_big_file(tmp_path: Path, known: list[str]) -> Path:
    """``ROWS`` rows: ``known`` profiles with a new first name, the rest new people."""
    lines = ["Email,First name"]
    lines += [f"{email},Renamed{i}" for i, email in enumerate(known)]
    lines += [f"new{i}@dry.example,New{i}" for i in range(ROWS - len(known))]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def unique_emails(store: Store, n: int) -> list[str]:
    """``n`` emails of the demo database that match exactly one profile (the
    demo has a few shared ones, which an import reports as ambiguous)."""
    p = store.profiles
    with store.begin() as conn:
        return list(
            conn.execute(
                select(p.c.email)
                .where(p.c.email.is_not(None))
                .group_by(p.c.email)
                .having(func.count() == 1)
                .order_by(p.c.email)
                .limit(n)
            ).scalars()
        )


def task_row(store: Store, task_id: int) -> Any:
    with store.begin() as conn:
        return conn.execute(select(m.Task.status, m.Task.dry_run).where(m.Task.id == task_id)).one()


class Seen:
    """What the review page showed after each progress report it handled."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.bars: list[tuple[int, int, str]] = []
        self.while_running: list[tuple[bool, bool, bool, bool]] = []

    def record(self, page: ReviewPage) -> None:
        bar = page.dry_run_progress.bar
        self.lines.append(page.dry_run_status.text())
        self.bars.append((bar.value(), bar.maximum(), bar.format()))
        self.while_running.append(
            (
                page.dry_run_progress.isVisible(),
                page.cancel_dry_run_button.isVisible() and page.cancel_dry_run_button.isEnabled(),
                page.dry_run_button.isEnabled(),
                page.isComplete(),
            )
        )


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> Seen:
    found = Seen()
    real = ReviewPage._on_dry_progress

    def on_progress(page: ReviewPage, run: Any, progress: Any) -> None:
        real(page, run, progress)
        found.record(page)

    monkeypatch.setattr(ReviewPage, "_on_dry_progress", on_progress)
    return found


@pytest.fixture
def demo_window(qtbot: Any, demo_store: Store) -> Iterator[MainWindow]:
    """The main window on the parametrised demo store (SQLite and PostgreSQL)."""
    win = open_window(qtbot, demo_store.url)
    yield win
    win.close()
    win.shutdown()


def merging_part_way(page: ReviewPage) -> bool:
    bar = page.dry_run_progress.bar
    return page.dry_run_phase == MERGING and 0 < bar.value() < ROWS and bar.maximum() == ROWS


def test_the_dry_run_shows_its_phase_and_rows_then_the_counts(
    qtbot: Any,
    demo_window: MainWindow,
    demo_store: Store,
    seen: Seen,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    known = unique_emails(demo_store, KNOWN)
    path = write_big_file(tmp_path, known)
    before_count = profile_count(demo_store)
    before_names = profiles_by_email(demo_store, known, "first_name")
    _slow_merge(monkeypatch, batch=500, seconds=0.12)
    wizard = _to_review(qtbot, demo_window, path)
    page = wizard.review_page
    assert not page.dry_run_progress.isVisible() and not page.cancel_dry_run_button.isVisible()
    click(qtbot, page.dry_run_button)
    assert page.is_dry_running() and not page.isComplete()
    qtbot.waitUntil(lambda: page.dry_run_summary is not None, timeout=60_000)
    assert page.dry_run_summary is not None
    task_id = page.dry_run_summary.task_id
    # while it ran: the phase and the rows done of the total, a bar, Cancel, no Import
    staged = f"Dry run (task {task_id}): reading and checking the file: {ROWS:,} of {ROWS:,} rows"
    assert staged in seen.lines, seen.lines
    part_way = [
        line
        for line in seen.lines
        if line.startswith(f"Dry run (task {task_id}): working out every row: ")
        and line.endswith(f" of {ROWS:,} rows")
        and not line.endswith(f": {ROWS:,} of {ROWS:,} rows")
    ]
    assert part_way, seen.lines
    assert any(
        0 < value < ROWS and maximum == ROWS and text == f"{value:,} of {ROWS:,} rows (%p %)"
        for value, maximum, text in seen.bars
    ), seen.bars
    assert seen.while_running and all(
        shown and cancel and not dry_run_enabled and not complete
        for shown, cancel, dry_run_enabled, complete in seen.while_running
    ), seen.while_running
    # at the end: the counts as before, the progress and Cancel gone
    qtbot.waitUntil(page.isComplete, timeout=30_000)
    assert page.dry_run_error is None, page.dry_run_error
    counts = page.dry_run_counts()
    assert counts["Rows in the file"] == ROWS
    assert counts["Would add"] == ROWS - KNOWN
    assert counts["Would update"] == KNOWN
    assert page.dry_run_status.text().startswith(f"Dry run (task {task_id}): nothing was changed.")
    assert page.dry_run_table.isVisible()
    assert not page.dry_run_progress.isVisible()
    assert not page.cancel_dry_run_button.isVisible()
    assert page.dry_run_button.isEnabled() and next_enabled(wizard)
    assert profile_count(demo_store) == before_count
    assert profiles_by_email(demo_store, known, "first_name") == before_names
    assert task_row(demo_store, task_id) == ("completed", True)
    wizard.reject()


def test_cancel_stops_the_dry_run_and_changes_nothing(
    qtbot: Any,
    demo_window: MainWindow,
    demo_store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    known = unique_emails(demo_store, KNOWN)
    path = write_big_file(tmp_path, known)
    before_count = profile_count(demo_store)
    before_names = profiles_by_email(demo_store, known, "first_name")
    before_fields = set(fields_of(demo_store))
    _slow_merge(monkeypatch, batch=100, seconds=0.05)
    wizard = _to_review(qtbot, demo_window, path)
    page = wizard.review_page
    click(qtbot, page.dry_run_button)
    qtbot.waitUntil(lambda: merging_part_way(page), timeout=30_000)
    run = page._dry_run
    assert run is not None
    click(qtbot, page.cancel_dry_run_button)
    assert run.is_cancelled()
    assert not page.cancel_dry_run_button.isEnabled()
    assert page.dry_run_status.text() == "Cancelling the dry run after the current batch…"
    qtbot.waitUntil(page.isComplete, timeout=30_000)
    summary = page.dry_run_summary
    assert summary is not None and summary.status == "cancelled"
    assert 0 < summary.processed < ROWS  # it stopped part way
    assert page.dry_run_cancelled
    assert page.dry_run_status.text() == DRY_RUN_CANCELLED  # one line, no counts
    assert not page.dry_run_table.isVisible()
    assert not page.dry_run_progress.isVisible()
    assert not page.cancel_dry_run_button.isVisible()
    assert page.dry_run_button.isEnabled() and next_enabled(wizard)
    assert not run.thread_running()
    # nothing changed: no profile added or renamed, no field made
    assert profile_count(demo_store) == before_count
    assert profiles_by_email(demo_store, known, "first_name") == before_names
    assert profiles_by_email(demo_store, ["new0@dry.example"]) == {}
    assert set(fields_of(demo_store)) == before_fields
    assert task_row(demo_store, summary.task_id) == ("cancelled", True)
    wizard.reject()


@pytest.fixture
def window(qtbot: Any, gui_store_url: str) -> Iterator[MainWindow]:
    win = open_window(qtbot, gui_store_url)
    yield win
    win.close()
    win.shutdown()


def test_back_during_a_dry_run_stops_it_and_its_result_is_never_shown(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert window.store is not None
    path = write_big_file(tmp_path, unique_emails(window.store, KNOWN))
    before_count = profile_count(window.store)
    _slow_merge(monkeypatch, batch=100, seconds=0.05)
    wizard = _to_review(qtbot, window, path)
    page = wizard.review_page
    click(qtbot, page.dry_run_button)
    qtbot.waitUntil(lambda: merging_part_way(page), timeout=30_000)
    run = page._dry_run
    assert run is not None
    task_id = page._dry_task_id
    assert task_id is not None
    wizard.back()  # the Back button
    assert wizard.currentId() == PageId.OPTIONS
    assert run.is_cancelled()
    assert not page.is_dry_running()
    assert page.stopped_dry_runs() == [run]
    qtbot.waitUntil(lambda: not page.stopped_dry_runs(), timeout=30_000)
    assert not run.thread_running()
    assert page.dry_run_summary is None  # the stopped run's result was dropped
    assert task_row(window.store, task_id) == ("cancelled", True)
    assert profile_count(window.store) == before_count
    # Next again: the review page starts afresh, without the old run's lines
    wizard.next()
    qtbot.waitUntil(lambda: not page.is_checking(), timeout=30_000)
    assert page.dry_run_status.text() == ""
    assert not page.dry_run_progress.isVisible() and not page.dry_run_table.isVisible()
    assert page.dry_run_button.isEnabled()
    wizard.reject()


def test_closing_the_wizard_during_a_dry_run_stops_it(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert window.store is not None
    path = write_big_file(tmp_path, unique_emails(window.store, KNOWN))
    _slow_merge(monkeypatch, batch=100, seconds=0.05)
    wizard: ImportWizard = _to_review(qtbot, window, path)
    page = wizard.review_page
    click(qtbot, page.dry_run_button)
    qtbot.waitUntil(lambda: merging_part_way(page), timeout=30_000)
    run = page._dry_run
    task_id = page._dry_task_id
    assert run is not None and task_id is not None
    wizard.button(QWizard.WizardButton.CancelButton).click()
    qtbot.waitUntil(lambda: window.import_wizard is None, timeout=30_000)
    assert run.is_cancelled()
    # The window does not wait for the thread (it never waits on the store): the
    # dry run stops at its next batch, and the closed wizard goes after it.
    qtbot.waitUntil(lambda: not run.thread_running(), timeout=30_000)
    qtbot.waitUntil(lambda: window._retiring == [], timeout=30_000)
    assert task_row(window.store, task_id) == ("cancelled", True)
