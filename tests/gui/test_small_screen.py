"""Issue 11: the wizard and the Tasks view at 1024x680, the smallest screen we support.

The wizard is opened from the real main window on the demo store and walked
through its pages at 1024x680; on each page the widgets an operator needs
must be visible and not clipped: inside the window and inside every parent
(a scroll area may scroll down, never sideways), with no horizontal scroll
bar over the conditions, and the lists (preview, changes) growing with the
page instead of leaving it empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QAbstractScrollArea, QWidget, QWizard

from bulkprofiles_gui.core.jobfile import empty_rules
from bulkprofiles_gui.gui.app import start_main_window
from bulkprofiles_gui.gui.main_window import MainWindow, View
from bulkprofiles_gui.gui.widgets.rule_builder import ConditionRow, GroupWidget
from bulkprofiles_gui.gui.wizard.actions import UpdateFieldsPage
from bulkprofiles_gui.gui.wizard.wizard import PageId, UpdateWizard

pytestmark = pytest.mark.usefixtures("qapp")

SMALL = (1024, 680)

#: Nested conditions with the widest editors: an event (two lines) and a subscription.
WIDE_RULES: dict[str, Any] = {
    "combinator": "and",
    "not": False,
    "rules": [
        {"field": "city", "operator": "in", "value": ["Berlin", "Hamburg", "Munich"]},
        {
            "combinator": "or",
            "not": False,
            "rules": [
                {"field": "bonus_points", "operator": "between", "value": [10, 500]},
                {
                    "field": "$event",
                    "operator": "had",
                    "value": {"type": "purchase", "lastDays": 90, "atLeast": 1},
                },
                {
                    "combinator": "and",
                    "not": True,
                    "rules": [
                        {
                            "field": "$subscription",
                            "operator": "has",
                            "value": {
                                "resource": "Newsletter",
                                "channel": "email",
                                "status": "hardbounced",
                            },
                        }
                    ],
                },
            ],
        },
    ],
}


def not_clipped(widget: QWidget, window: QWidget) -> None:
    """``widget`` is shown whole: inside each parent up to ``window`` (a scroll
    area's viewport may cut it at the top or bottom, never at a side)."""
    assert widget.isVisible(), f"{widget} is hidden"
    child: QWidget = widget
    rect = widget.rect()
    scrolls = False  # inside a scroll area: the operator scrolls down to it
    while child is not window:
        parent = child.parentWidget()
        assert parent is not None, f"{widget} is not inside {window}"
        rect = QRect(child.mapTo(parent, rect.topLeft()), rect.size())
        inside = parent.rect()
        scrolls = scrolls or isinstance(parent.parentWidget(), QAbstractScrollArea)
        assert rect.left() >= inside.left() and rect.right() <= inside.right(), (
            f"{widget} ({type(widget).__name__} {getattr(widget, 'text', lambda: '')()}) "
            f"is cut at a side by {type(parent).__name__}: {rect} in {inside}"
        )
        if not scrolls:
            assert rect.top() >= inside.top() and rect.bottom() <= inside.bottom(), (
                f"{widget} is cut at the top or bottom by {type(parent).__name__}"
            )
        child = parent


def visible_rows(table: Any) -> int:
    row = table.verticalHeader().defaultSectionSize()
    return int(table.viewport().height() // max(row, 1))


@pytest.fixture
def window(qtbot: Any, gui_store_url: str) -> Iterator[MainWindow]:
    win = start_main_window(gui_store_url)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.databases_view.selected_database() is not None, timeout=60_000)
    win.resize(*SMALL)
    yield win
    win.close()
    win.shutdown()


@pytest.fixture
def wizard(qtbot: Any, window: MainWindow) -> UpdateWizard:
    opened = window.open_update_wizard(window.databases_view.selected_database())
    assert opened is not None
    opened.resize(*SMALL)
    qtbot.waitUntil(opened.selection_page.counted, timeout=30_000)
    return opened


def buttons(wizard: UpdateWizard) -> list[QWidget]:
    shown: list[QWidget] = []
    for which in (
        QWizard.WizardButton.BackButton,
        QWizard.WizardButton.NextButton,
        QWizard.WizardButton.CancelButton,
    ):
        button = wizard.button(which)
        if button.isVisible():
            shown.append(button)
    return shown


def test_selection_page_fits_1024x680(qtbot: Any, wizard: UpdateWizard) -> None:
    page = wizard.selection_page
    page.rule_builder.set_rules(WIDE_RULES)
    page.limit_spin.setValue(999_999)  # "= the whole selection" beside it
    qtbot.waitUntil(page.counted, timeout=30_000)
    qtbot.wait(100)  # the rows settle (an editor wraps under a narrow row)
    assert wizard.size().width() == SMALL[0] and wizard.size().height() == SMALL[1]
    for widget in (
        page.source_combo,
        page.range_box.from_box,
        page.range_box.to_box,
        page.range_slider,
        page.limit_spin,
        page.limit_box.note,
        page.count_label,
        page.save_segment_button,
        page.export_button,
        *buttons(wizard),
    ):
        not_clipped(widget, wizard)
    note = page.limit_box.note
    assert note.width() >= note.sizeHint().width()  # its words whole, not cut by the slider
    assert not page.rules_scroll.horizontalScrollBar().isVisible()
    for _path, node in page.rule_builder.root.walk():
        if isinstance(node, GroupWidget):
            for button in (node.add_condition_button, node.add_group_button, node.or_button):
                page.rules_scroll.ensureWidgetVisible(button)
                not_clipped(button, wizard)
        if isinstance(node, ConditionRow) and node.remove is not None:
            page.rules_scroll.ensureWidgetVisible(node.remove)
            not_clipped(node.remove, wizard)
            # scrolled to, it is in the viewport, whole
            viewport = page.rules_scroll.viewport()
            top_left = node.remove.mapTo(viewport, node.remove.rect().topLeft())
            assert viewport.rect().contains(QRect(top_left, node.remove.size()))
    assert visible_rows(page.preview_table) >= 5  # the issue: "about 3 rows"


def test_action_and_review_pages_fit_1024x680(qtbot: Any, wizard: UpdateWizard) -> None:
    page = wizard.selection_page
    page.rule_builder.set_rules(WIDE_RULES)
    qtbot.waitUntil(page.counted, timeout=30_000)
    wizard.next()
    choice = wizard.action_choice_page
    for radio in choice.buttons.values():
        not_clipped(radio, wizard)
    choice.set_action_type("update_fields")
    wizard.next()
    fields = wizard.action_page("update_fields")
    assert isinstance(fields, UpdateFieldsPage)
    qtbot.waitUntil(lambda: not fields.is_loading(), timeout=30_000)
    for key in ("city", "bonus_points", "tags", "last_name"):
        fields.field_combo.setCurrentIndex(fields.field_combo.findData(key))
        fields.add_chosen_field()
    qtbot.wait(50)
    for row in fields.rows:
        not_clipped(row.remove_button, wizard)
        not_clipped(row.op_combo, wizard)
    not_clipped(fields.add_button, wizard)
    # the list of changes takes the page's height (the issue: 5 rows over an empty page)
    assert fields.rows_area.height() >= 0.5 * fields.height()
    for button in buttons(wizard):
        not_clipped(button, wizard)
    wizard.next()
    assert wizard.currentId() == PageId.REVIEW
    review = wizard.review_page
    qtbot.waitUntil(lambda: review.facts is not None or review.problem is not None, timeout=30_000)
    commit = wizard.button(QWizard.WizardButton.CommitButton)
    not_clipped(commit, wizard)
    wizard.reject()


def test_tasks_view_fits_1024x680(qtbot: Any, window: MainWindow, wizard: UpdateWizard) -> None:
    wizard.reject()
    window.show_view(View.TASKS)
    view = window.tasks_view
    qtbot.waitUntil(lambda: not view.busy(), timeout=30_000)
    for widget in (
        view.status_filter,
        view.type_filter,
        view.refresh_button,
        view.resume_button,
        view.revert_button,
        view.export_button,
    ):
        not_clipped(widget, window)


def test_short_rules_leave_the_height_to_the_preview(qtbot: Any, wizard: UpdateWizard) -> None:
    """One condition takes the height it needs, not half the page (an empty
    band above a preview of four rows); long rules get half, as before; a
    split the operator dragged stays."""
    page = wizard.selection_page
    page.rule_builder.set_rules(
        {
            "combinator": "and",
            "not": False,
            "rules": [{"field": "city", "operator": "=", "value": "Berlin"}],
        }
    )
    qtbot.waitUntil(page.counted, timeout=30_000)
    qtbot.wait(100)
    rules_height, preview_height = page.splitter.sizes()
    assert rules_height < preview_height / 2
    assert not page.rules_scroll.verticalScrollBar().isVisible()  # the condition shown whole
    short_rows = visible_rows(page.preview_table)

    page.rule_builder.set_rules(WIDE_RULES)
    qtbot.waitUntil(page.counted, timeout=30_000)
    qtbot.wait(100)
    rules_height, preview_height = page.splitter.sizes()
    assert abs(rules_height - preview_height) <= 2  # half and half
    assert visible_rows(page.preview_table) < short_rows

    page.splitter.moveSplitter(rules_height - 60, 1)  # the operator drags the handle up
    dragged = page.splitter.sizes()
    page.rule_builder.set_rules(empty_rules())
    qtbot.wait(100)
    assert page.splitter.sizes() == dragged
