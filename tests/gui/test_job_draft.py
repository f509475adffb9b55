"""The wizard's one job draft (``ctx.draft``), the job-run helper's throttled
progress, and the same words for a selection in the review page, the Tasks
view and ``tasks show`` — real widgets on a real SQLite demo store."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from bulkprofiles_gui.cli import main
from bulkprofiles_gui.core.config import Settings
from bulkprofiles_gui.core.jobfile import Job
from bulkprofiles_gui.core.jobs import run_job
from bulkprofiles_gui.core.progress import JobState
from bulkprofiles_gui.core.selection.describe import database_labels, describe_conditions
from bulkprofiles_gui.core.store import Store
from bulkprofiles_gui.gui.job_progress import MAX_UPDATES_PER_SECOND, JobRun
from bulkprofiles_gui.gui.views.tasks import TasksView
from bulkprofiles_gui.gui.wizard.context import WizardContext
from bulkprofiles_gui.gui.wizard.wizard import PageId, UpdateWizard

DEMO = "Demo customers"
BERLIN_OR_PARIS = {
    "combinator": "and",
    "not": False,
    "rules": [
        {"field": "city", "operator": "in", "value": ["Berlin", "Paris"]},
        {"field": "$status", "operator": "=", "value": "subscribed"},
    ],
}
SET_CITY = {"type": "update_fields", "changes": [{"field": "city", "op": "set", "value": "Rome"}]}


@pytest.fixture
def wizard(qtbot: Any, gui_store: Store) -> Iterator[UpdateWizard]:
    shown = UpdateWizard(WizardContext(gui_store, Settings()))
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitUntil(lambda: shown.selection_page.counted(), timeout=30_000)
    yield shown
    shown.shutdown()


def next_page(qtbot: Any, wizard: UpdateWizard) -> None:
    qtbot.waitUntil(lambda: wizard.currentPage().isComplete(), timeout=30_000)
    wizard.next()


def test_the_pages_edit_one_job_draft(qtbot: Any, wizard: UpdateWizard) -> None:
    ctx, page = wizard.ctx, wizard.selection_page
    page.rule_builder.set_rules(BERLIN_OR_PARIS)
    page.range_box.set_value(0, 50)
    assert ctx.draft.database == DEMO
    assert ctx.draft.rules == BERLIN_OR_PARIS
    assert (ctx.draft.range_from, ctx.draft.range_to) == (0, 50)
    qtbot.waitUntil(page.counted, timeout=30_000)
    assert ctx.selected_count == page.selected_count

    next_page(qtbot, wizard)
    wizard.action_choice_page.set_action_type("update_fields")
    next_page(qtbot, wizard)
    action_page = wizard.action_page("update_fields")
    qtbot.waitUntil(lambda: not action_page.is_loading(), timeout=30_000)
    action_page.load_action(SET_CITY)
    assert ctx.draft.action == SET_CITY  # the chosen action's page wrote it

    next_page(qtbot, wizard)
    assert wizard.currentId() == PageId.REVIEW
    wizard.review_page.skip_triggers_check.setChecked(True)
    assert ctx.draft.skip_triggers is True

    job = wizard.job()
    assert job == ctx.draft and job is not ctx.draft  # a copy: running it changes no page
    job.rules["rules"].clear()
    assert ctx.draft.rules == BERLIN_OR_PARIS


def test_a_job_opened_from_a_file_is_the_draft_before_the_pages_fill(
    qtbot: Any, wizard: UpdateWizard
) -> None:
    job = Job(database=DEMO, rules=BERLIN_OR_PARIS, limit=7, action=SET_CITY)
    wizard.load_job(job)
    assert wizard.job().to_dict() == job.to_dict()
    qtbot.waitUntil(
        lambda: wizard.selection_page.counted() and wizard.ctx.draft.limit == 7, timeout=30_000
    )
    assert wizard.ctx.draft.rules == BERLIN_OR_PARIS
    assert wizard.ctx.draft.action == SET_CITY  # kept until its page is filled


def test_review_tasks_view_and_command_line_say_the_same_conditions(
    qtbot: Any, wizard: UpdateWizard, gui_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    wizard.load_job(Job(database=DEMO, rules=BERLIN_OR_PARIS, action=SET_CITY))
    qtbot.waitUntil(lambda: wizard.selection_page.counted(), timeout=30_000)
    next_page(qtbot, wizard)
    next_page(qtbot, wizard)
    qtbot.waitUntil(lambda: not wizard.action_page("update_fields").is_loading())
    next_page(qtbot, wizard)
    review = wizard.review_page
    qtbot.waitUntil(lambda: review.facts is not None, timeout=30_000)
    with gui_store.begin() as conn:
        db_id = gui_store.database_id(conn, DEMO)
    words = describe_conditions(BERLIN_OR_PARIS, None, database_labels(gui_store, db_id))
    assert words.startswith("City is one of Berlin and Paris and Global status is Subscribed")
    assert review.rules_label.text() == words

    summary = run_job(gui_store, wizard.job(), JobState(), dry_run=True)
    view = TasksView()
    qtbot.addWidget(view)
    view.set_store(gui_store)
    qtbot.waitUntil(lambda: view.select_task(summary.task_id) and not view.busy())
    assert view.conditions_label.text() == f"Conditions: {words}"
    view.shutdown()

    assert main(["tasks", "--db", gui_store.url, "show", str(summary.task_id)]) == 0
    shown = next(r for r in capsys.readouterr().out.splitlines() if r.startswith("Conditions:"))
    assert shown.split(":", 1)[1].strip() == words


def test_a_job_run_relays_at_most_ten_reports_a_second_and_always_the_last(qtbot: Any) -> None:
    received: list[int] = []

    def job(state: JobState, announce: Any) -> str:
        announce(41)
        for done in range(1, 2001):
            state.report(done, 2000)
            time.sleep(0.0002)
        return "done"

    run = JobRun(job)
    run.progressed.connect(lambda p: received.append(p.done))
    created: list[int] = []
    run.task_created.connect(created.append)
    results: list[str] = []
    run.done.connect(results.append)
    started = time.monotonic()
    run.start()
    qtbot.waitUntil(lambda: not run.is_running(), timeout=30_000)
    seconds = time.monotonic() - started
    assert results == ["done"] and created == [41]
    assert received[-1] == 2000  # the final report always arrives
    assert len(received) <= seconds * MAX_UPDATES_PER_SECOND + 2
