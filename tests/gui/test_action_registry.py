"""One list of actions: the core's.  The wizard's pages, their ids and their
labels are derived from it, so an action without a page (or a page without
an action) is refused when the wizard is imported, not found by an operator."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from bulkprofiles_gui.core.actions import ACTIONS, ORDER
from bulkprofiles_gui.core.config import Settings
from bulkprofiles_gui.core.store import Store
from bulkprofiles_gui.gui.wizard.action_choice_page import ActionChoicePage
from bulkprofiles_gui.gui.wizard.actions import PAGES, ActionPage, pages_in_core_order
from bulkprofiles_gui.gui.wizard.context import WizardContext
from bulkprofiles_gui.gui.wizard.wizard import ACTION_PAGE_IDS, PageId


def test_the_core_lists_each_action_once_in_the_order_of_the_wizard() -> None:
    assert list(ACTIONS) == [action.TYPE for action in ORDER]
    assert len(set(ACTIONS)) == len(ORDER) == 7


def test_the_pages_and_their_ids_follow_the_core_list() -> None:
    assert list(PAGES) == list(ACTIONS)
    assert all(t == PAGES[t].ACTION_TYPE for t in PAGES)
    ids = list(ACTION_PAGE_IDS.values())
    assert list(ACTION_PAGE_IDS) == list(ACTIONS)
    assert len(set(ids)) == len(ids)
    assert all(PageId.ACTION < i < PageId.REVIEW for i in ids)


def test_an_action_without_a_page_or_a_page_without_an_action_is_refused() -> None:
    pages = tuple(PAGES.values())
    with pytest.raises(RuntimeError, match="no page for \\['global_unsubscribe'\\]"):
        pages_in_core_order(tuple(p for p in pages if p.ACTION_TYPE != "global_unsubscribe"))

    class StrayPage(ActionPage):
        ACTION_TYPE = "not_an_action"

    with pytest.raises(RuntimeError, match="no action for \\['not_an_action'\\]"):
        pages_in_core_order((*pages, StrayPage))
    with pytest.raises(RuntimeError, match="1 page\\(s\\) twice"):
        pages_in_core_order((*pages, pages[0]))


def test_the_labels_of_the_choice_and_the_pages_are_the_core_s(
    qtbot: QtBot, gui_store: Store
) -> None:
    ctx = WizardContext(gui_store, Settings())
    choice = ActionChoicePage(ctx)
    qtbot.addWidget(choice)
    for row, (action_type, action) in enumerate(ACTIONS.items()):
        assert choice.buttons[action_type].text() == f"&{row + 1}  {action.LABEL}"
        page = PAGES[action_type](ctx)
        qtbot.addWidget(page)
        assert page.title() == action.LABEL
        assert page.description_label.text() == action.DESCRIPTION
