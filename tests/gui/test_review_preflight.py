"""The wizard's review page before a run (core/preflight.py): a job with nothing
to do says so and cannot run, a deletion shows and is confirmed with what it
would really delete, and a job on a database another task is changing names
that task and asks before starting."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox, QWizard
from sqlalchemy import func, insert, select

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.store import Store
from bulkprofiles_gui.gui.app import start_main_window
from bulkprofiles_gui.gui.main_window import MainWindow
from bulkprofiles_gui.gui.wizard.review_page import ReviewPage
from bulkprofiles_gui.gui.wizard.wizard import PageId, UpdateWizard

pytestmark = pytest.mark.usefixtures("qapp")

DEMO = "Demo customers"
UNSUBSCRIBED = {
    "combinator": "and",
    "rules": [{"field": "$status", "operator": "=", "value": "unsubscribed"}],
}
SUBSCRIBED_OR_NOT = {
    "combinator": "and",
    "rules": [{"field": "$status", "operator": "in", "value": ["subscribed", "unsubscribed"]}],
}


@pytest.fixture
def window(qtbot: Any, gui_store_url: str) -> Iterator[MainWindow]:
    win = start_main_window(gui_store_url)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.store is not None, timeout=60_000)
    yield win
    win.close()
    win.shutdown()


def task_count(store: Store) -> int:
    with store.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(m.Task)).scalar_one())


def commit_enabled(wizard: UpdateWizard) -> bool:
    button = wizard.button(QWizard.WizardButton.CommitButton)
    return button.isVisible() and button.isEnabled()


def open_review(
    qtbot: Any, window: MainWindow, tmp_path: Path, rules: dict[str, Any], action: dict[str, Any]
) -> ReviewPage:
    """File → Open job… with this job, then Next to the review page, checked."""
    path = tmp_path / "job.json"
    path.write_text(json.dumps({"database": DEMO, "rules": rules, "action": action}), "utf-8")
    wizard = window.open_job_path(str(path))
    assert wizard is not None
    qtbot.waitUntil(lambda: wizard.selection_page.counted(), timeout=30_000)
    while wizard.currentId() != PageId.REVIEW:
        before = wizard.currentId()
        qtbot.waitUntil(
            lambda: wizard.button(QWizard.WizardButton.NextButton).isEnabled(), timeout=30_000
        )
        wizard.next()
        assert wizard.currentId() != before
    review = wizard.review_page
    qtbot.waitUntil(lambda: review.facts is not None or review.problem is not None, timeout=30_000)
    assert review.problem is None, review.problem
    return review


def close(qtbot: Any, window: MainWindow) -> None:
    assert window.wizard is not None
    window.wizard.reject()
    qtbot.waitUntil(lambda: window.wizard is None)


def test_nothing_to_do_is_said_and_run_stays_disabled(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    store = window.store
    assert store is not None
    review = open_review(qtbot, window, tmp_path, UNSUBSCRIBED, {"type": "global_unsubscribe"})
    facts = review.facts
    assert facts is not None and facts.selected > 0 and facts.effective == 0

    assert review.problem_label.isVisible()
    assert review.problem_label.text() == (
        f"Nothing to do: none of the {facts.selected:,} selected profiles of 'Demo customers' "
        "would change: all are globally unsubscribed already."
    )
    assert review.count_label.text() == (
        f"0 of the {facts.selected:,} selected profiles will be unsubscribed"
    )
    assert not review.isComplete() and not commit_enabled(review.wizard())
    assert not review.dry_run_button.isEnabled()
    assert not review.validatePage()
    assert task_count(store) == 0
    close(qtbot, window)


def test_deletion_is_shown_and_confirmed_with_what_it_would_delete(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    store = window.store
    assert store is not None
    review = open_review(qtbot, window, tmp_path, SUBSCRIBED_OR_NOT, {"type": "delete_profiles"})
    facts = review.facts
    assert facts is not None and 0 < facts.effective < facts.selected
    assert review.count_label.text() == (
        f"{facts.effective:,} of the {facts.selected:,} selected profiles will be deleted"
    )
    assert not review.problem_label.isVisible() and review.isComplete()

    asked: list[tuple[str, int]] = []
    review.confirm_destructive = lambda label, n: asked.append((label, n)) or False  # type: ignore[method-assign]
    assert not review.validatePage()
    assert asked == [("Delete profiles by conditions", facts.effective)]
    assert task_count(store) == 0
    close(qtbot, window)


def fake_running_task(store: Store) -> int:
    now = m.utcnow()
    with store.begin() as conn:
        db_id = store.database_id(conn, DEMO)
        return int(
            conn.execute(
                insert(m.Task)
                .values(
                    action_type="update_fields",
                    database_id=db_id,
                    database_name=DEMO,
                    job={"database": DEMO},
                    operator="alice",
                    status="running",
                    runner="elsewhere:4242",
                    heartbeat_at=now,
                    created_at=now,
                    started_at=dt.datetime(2026, 5, 14, 9, 30),
                    skipped={},
                )
                .returning(m.Task.id)
            ).scalar_one()
        )


def test_a_second_job_on_a_busy_database_is_named_and_asked_for(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    store = window.store
    assert store is not None
    other = fake_running_task(store)
    action = {"type": "update_fields", "changes": [{"field": "city", "op": "set", "value": "Lyon"}]}
    review = open_review(qtbot, window, tmp_path, SUBSCRIBED_OR_NOT, action)
    facts = review.facts
    assert facts is not None and [t.id for t in facts.running] == [other]

    assert review.notice_label.isVisible()
    assert review.notice_label.text() == (
        f"Another job is working on this database: task {other} (Update profile fields) "
        "by alice has been running on it since 2026-05-14 09:30 UTC. "
        "Run asks before starting a second one."
    )
    question = review.second_job_question(facts.running)
    assert f"task {other} (Update profile fields) by alice" in question.text()
    assert question.defaultButton() == question.button(QMessageBox.StandardButton.Cancel)
    question.deleteLater()
    asked: list[Any] = []
    review.confirm_second_job = lambda running: asked.append(running) or False  # type: ignore[method-assign]
    assert not review.validatePage()
    assert asked == [facts.running]
    assert task_count(store) == 1  # only the other one
    close(qtbot, window)
