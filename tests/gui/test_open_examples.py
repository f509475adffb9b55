"""File -> Open job… opens every file of examples/ in the wizard on the demo store.

Each example fills the wizard without a warning; Next leads through the
action's page to the review, which finds the job valid and the same job the
file holds, selecting profiles.  (tests/test_examples.py runs the same files
on the command line.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox, QWizard

from bulkprofiles_gui.core.jobfile import Job
from bulkprofiles_gui.core.selection import count, resolve_job_selection
from bulkprofiles_gui.gui.app import start_main_window
from bulkprofiles_gui.gui.main_window import MainWindow
from bulkprofiles_gui.gui.wizard.wizard import PageId, UpdateWizard

pytestmark = pytest.mark.usefixtures("qapp")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
JOB_FILES = sorted(EXAMPLES.glob("*.json"))


@pytest.fixture
def window(qtbot: Any, gui_store_url: str) -> Iterator[MainWindow]:
    win = start_main_window(gui_store_url)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.store is not None, timeout=60_000)
    yield win
    win.close()
    win.shutdown()


def _count(window: MainWindow, job: Job) -> int:
    """How many profiles the file's job selects, counted by the core."""
    store = window.store
    assert store is not None
    with store.begin() as conn:
        return count(store, conn, resolve_job_selection(store, conn, job))


def _next(qtbot: Any, wizard: UpdateWizard) -> None:
    def enabled() -> bool:
        return any(
            wizard.button(b).isVisible() and wizard.button(b).isEnabled()
            for b in (QWizard.WizardButton.NextButton, QWizard.WizardButton.CommitButton)
        )

    qtbot.waitUntil(enabled, timeout=30_000)
    before = wizard.currentId()
    wizard.next()
    assert wizard.currentId() != before


@pytest.mark.parametrize("path", JOB_FILES, ids=[p.stem for p in JOB_FILES])
def test_every_example_opens_in_the_wizard_and_reviews_valid(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch, path: Path
) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a, **k: warnings.append(text))
    wizard = window.open_job_path(str(path))
    assert wizard is not None
    qtbot.waitUntil(lambda: wizard.selection_page.counted(), timeout=30_000)
    assert warnings == []
    job = Job.load(path, require_action=True)
    assert wizard.action_type() == job.action["type"]  # type: ignore[index]

    _next(qtbot, wizard)  # the choice of update
    _next(qtbot, wizard)  # the action's own page
    assert wizard.currentId() not in (PageId.SELECTION, PageId.ACTION)
    _next(qtbot, wizard)  # the review
    review = wizard.review_page
    qtbot.waitUntil(lambda: review.facts is not None or review.problem is not None, timeout=30_000)
    assert review.problem is None
    assert review.facts is not None and review.facts.selected > 0
    opened = wizard.job()
    assert opened.action == job.action
    assert (opened.database, opened.segment, opened.skip_triggers) == (
        job.database,
        job.segment,
        job.skip_triggers,
    )
    # The rules and limit may come back in the window's own spelling (an event
    # condition gains "atLeast": 1, a limit above the database's size becomes
    # that size); they select the same profiles.
    assert review.facts.selected == _count(window, job)
    wizard.reject()
    qtbot.waitUntil(lambda: window.wizard is None)
