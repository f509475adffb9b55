"""The update wizard builds an action page only when it is needed.

Building all seven action pages on the main thread made opening the wizard
on a 1,000,000-profile store stall the window for 131 ms (README, "GUI
responsiveness"); the review and run pages are built on first visit too.
These tests drive the real wizard (offscreen, a small SQLite demo store) and
check that opening it builds no action, review or run page, that choosing an
action builds exactly that one and the flow to the review still works (Next,
Back, the visited pages, the page's own initialisation and the draft it
writes), and that opening a job builds the job's page.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt

from bulkprofiles_gui.core.config import Settings
from bulkprofiles_gui.core.jobfile import Job
from bulkprofiles_gui.core.store import Store
from bulkprofiles_gui.gui.wizard.actions import UpdateFieldsPage
from bulkprofiles_gui.gui.wizard.context import WizardContext
from bulkprofiles_gui.gui.wizard.wizard import ACTION_PAGE_IDS, PageId, UpdateWizard

DEMO = "Demo customers"
SET_CITY = {"type": "update_fields", "changes": [{"field": "city", "op": "set", "value": "Rome"}]}
EVERYONE_IN_BERLIN = {
    "combinator": "and",
    "not": False,
    "rules": [{"field": "city", "operator": "=", "value": "Berlin"}],
}


@pytest.fixture
def wizard(qtbot: Any, gui_store: Store) -> Iterator[UpdateWizard]:
    shown = UpdateWizard(WizardContext(gui_store, Settings()))
    qtbot.addWidget(shown)
    shown.preselect(DEMO)
    shown.show()
    qtbot.waitUntil(lambda: shown.selection_page.counted(), timeout=30_000)
    yield shown
    shown.shutdown()


def next_page(qtbot: Any, wizard: UpdateWizard) -> None:
    qtbot.waitUntil(lambda: wizard.currentPage().isComplete(), timeout=30_000)
    wizard.next()


def built_types(wizard: UpdateWizard) -> list[str]:
    return [page.ACTION_TYPE for page in wizard.built_action_pages()]


def action_ids_in_wizard(wizard: UpdateWizard) -> list[int]:
    return [i for i in wizard.pageIds() if i in ACTION_PAGE_IDS.values()]


def test_a_freshly_opened_wizard_has_built_no_action_page(wizard: UpdateWizard) -> None:
    assert wizard.currentId() == PageId.SELECTION
    assert built_types(wizard) == []
    assert wizard.pageIds() == [PageId.SELECTION, PageId.ACTION]  # no review or run page
    wizard.shutdown()  # only the built pages: no action, review or run page built by it
    wizard.reject()  # Cancel asks the run page nothing when there is none
    assert wizard.pageIds() == [PageId.SELECTION, PageId.ACTION]


def test_choosing_an_action_builds_only_its_page_and_the_flow_reaches_review(
    qtbot: Any, wizard: UpdateWizard
) -> None:
    wizard.selection_page.rule_builder.set_rules(EVERYONE_IN_BERLIN)
    qtbot.waitUntil(wizard.selection_page.counted, timeout=30_000)
    next_page(qtbot, wizard)
    assert wizard.currentId() == PageId.ACTION
    assert built_types(wizard) == []

    button = wizard.action_choice_page.buttons["update_fields"]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(8, button.height() // 2))
    next_page(qtbot, wizard)  # nextId builds the chosen page
    assert built_types(wizard) == ["update_fields"]
    page_id = ACTION_PAGE_IDS["update_fields"]
    assert action_ids_in_wizard(wizard) == [page_id]
    page = wizard.action_page("update_fields")
    assert wizard.currentId() == page_id and wizard.currentPage() is page
    assert page.subTitle() == "Set the parameters of this update."  # the shared header
    qtbot.waitUntil(lambda: not page.is_loading(), timeout=30_000)  # its initializePage ran
    assert isinstance(page, UpdateFieldsPage)
    assert "city" in page.field_combo.values()  # its choices were read
    page.load_action(SET_CITY)
    assert wizard.ctx.draft.action == SET_CITY  # completeChanged -> the wizard's draft

    assert PageId.REVIEW in wizard.pageIds()  # built on the way: the action page's nextId
    next_page(qtbot, wizard)
    assert wizard.currentId() == PageId.REVIEW
    assert wizard.currentPage() is wizard.review_page
    qtbot.waitUntil(lambda: wizard.review_page.facts is not None, timeout=30_000)
    assert PageId.RUN in wizard.pageIds()  # the review page's Next (Run) goes there
    assert wizard.visitedIds() == [PageId.SELECTION, PageId.ACTION, page_id, PageId.REVIEW]
    wizard.back()
    assert wizard.currentPage() is page
    wizard.back()
    assert wizard.currentId() == PageId.ACTION
    assert built_types(wizard) == ["update_fields"]  # going back builds nothing more


def test_load_job_builds_the_page_of_the_job_s_action(qtbot: Any, wizard: UpdateWizard) -> None:
    wizard.load_job(Job(database=DEMO, rules=EVERYONE_IN_BERLIN, action=SET_CITY))
    assert built_types(wizard) == ["update_fields"]
    qtbot.waitUntil(wizard.selection_page.counted, timeout=30_000)
    next_page(qtbot, wizard)
    next_page(qtbot, wizard)
    page = wizard.action_page("update_fields")
    assert wizard.currentPage() is page
    qtbot.waitUntil(lambda: not page.is_loading(), timeout=30_000)
    assert page.action() == SET_CITY  # the job's action, applied once the choices came
    assert built_types(wizard) == ["update_fields"]


def test_an_unknown_action_type_has_no_page(wizard: UpdateWizard) -> None:
    with pytest.raises(KeyError):
        wizard.action_page("no_such_action")
    assert built_types(wizard) == []
