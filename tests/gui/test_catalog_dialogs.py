"""Managing the catalogue from the window: New database…, Rename…, Delete… (with
the number of profiles), Add field…, Remove field… (naming the segments that use
it), Resources… and Loyalty programs… (Load codes… with its summary), driven
through the real widgets on a copy of the small demo store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox
from sqlalchemy import func, inspect, select

from bulkprofiles_gui.core import catalog
from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.fields import FieldType
from bulkprofiles_gui.core.store import Store, open_store
from bulkprofiles_gui.gui.app import start_main_window
from bulkprofiles_gui.gui.dialogs.base import ConfirmDialog
from bulkprofiles_gui.gui.dialogs.database import AddFieldDialog, NewDatabaseDialog
from bulkprofiles_gui.gui.dialogs.programs import ProgramsDialog
from bulkprofiles_gui.gui.dialogs.resources import ResourcesDialog
from bulkprofiles_gui.gui.main_window import MainWindow, View
from bulkprofiles_gui.gui.views.base import top_items
from bulkprofiles_gui.gui.views.databases import DatabasesView
from bulkprofiles_gui.gui.views.segments import SegmentsView

from .conftest import GUI_DEMO_DATABASE as DEMO
from .conftest import GUI_DEMO_PROFILES

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def window(qtbot: Any, gui_store_url: str) -> Iterator[MainWindow]:
    win = start_main_window(gui_store_url)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.databases_view.fields_table.topLevelItemCount() > 0, timeout=30_000)
    yield win
    win.close()
    win.shutdown()


@pytest.fixture
def check_store(gui_store_url: str) -> Iterator[Store]:
    """A second connection to the same store, for checking effects."""
    opened = open_store(gui_store_url)
    yield opened
    opened.close()


@pytest.fixture
def view(window: MainWindow) -> DatabasesView:
    return window.databases_view


@pytest.fixture
def confirmations(monkeypatch: pytest.MonkeyPatch) -> list[ConfirmDialog]:
    """Every confirmation shown, answered with its action button."""
    shown: list[ConfirmDialog] = []

    def confirm(self: ConfirmDialog) -> int:
        shown.append(self)
        self.confirm_button.click()
        return 0

    monkeypatch.setattr(ConfirmDialog, "exec", confirm)
    return shown


def idle(qtbot: Any, view: DatabasesView) -> None:
    """Every background call of the view and its dialogs has delivered."""
    qtbot.waitUntil(
        lambda: not view.busy() and not any(d.busy() for d in view.dialogs), timeout=30_000
    )


def database_names(view: DatabasesView) -> list[str]:
    return [item.text(0) for item in top_items(view.table)]


def field_keys(view: DatabasesView) -> list[str]:
    return [item.text(1) for item in top_items(view.fields_table)]


def test_the_data_menu_offers_the_catalogue(window: MainWindow) -> None:
    data_menu = window.menuBar().actions()[1].menu()
    labels = [a.text() for a in data_menu.actions() if a.text()]
    assert labels[:3] == ["Profile &databases", "&Segments", "&Tasks"]
    assert labels[-8:] == [
        "&New database…",
        "Rena&me database…",
        "De&lete database…",
        "&Add field…",
        "Rename field la&bel…",
        "Remo&ve field…",
        "Res&ources…",
        "Loyalty &programs…",
    ]


def test_new_database_from_the_data_menu(
    qtbot: Any, window: MainWindow, view: DatabasesView, check_store: Store
) -> None:
    window.show_view(View.TASKS)
    window.new_database_action.trigger()
    assert window.current_view() is View.DATABASES
    dialog = view.dialogs[-1]
    assert isinstance(dialog, NewDatabaseDialog) and dialog.isVisible()
    qtbot.keyClicks(dialog.name_edit, "Web shop")
    dialog.description_edit.setPlainText("orders from the web")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: "Web shop" in database_names(view), timeout=30_000)
    idle(qtbot, view)
    assert not dialog.isVisible()
    assert view.selected_database() == "Web shop"
    assert "email" in field_keys(view)
    view.table.sortByColumn(2, Qt.SortOrder.AscendingOrder)  # profiles: by number
    assert database_names(view) == ["Web shop", DEMO]
    view.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)  # name: by text
    assert database_names(view) == ["Web shop", DEMO]
    view.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert database_names(view) == [DEMO, "Web shop"]
    with check_store.begin() as conn:
        rows = {r.name: r for r in catalog.list_databases(check_store, conn)}
    assert rows["Web shop"].description == "orders from the web"
    segments = window.views[View.SEGMENTS]
    assert isinstance(segments, SegmentsView)
    qtbot.waitUntil(lambda: segments.database_filter.findText("Web shop") >= 0, timeout=30_000)


def test_a_refused_name_stays_in_the_dialog_as_one_line(qtbot: Any, view: DatabasesView) -> None:
    dialog = view.new_database()
    assert dialog is not None
    dialog.name_edit.setText(DEMO)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: dialog.error_label.isVisible(), timeout=30_000)
    assert dialog.error_label.text() == f"a profile database named {DEMO!r} already exists"
    assert dialog.isVisible() and dialog.ok_button.isEnabled()
    dialog.name_edit.clear()
    dialog.ok_button.click()
    assert dialog.error_label.text() == "A profile database needs a name."
    dialog.reject()
    idle(qtbot, view)
    assert database_names(view) == [DEMO]


def test_rename_database(qtbot: Any, view: DatabasesView, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def get_text(_parent: Any, title: str, label: str, *args: Any, **kw: Any) -> tuple[str, bool]:
        asked.append(title)
        return " Shop customers ", True

    monkeypatch.setattr(QInputDialog, "getText", get_text)
    view.rename_database()
    qtbot.waitUntil(lambda: database_names(view) == ["Shop customers"], timeout=30_000)
    idle(qtbot, view)
    assert asked == ["Rename profile database"]
    assert view.selected_database() == "Shop customers"


def test_delete_database_asks_with_the_number_of_profiles(
    qtbot: Any, view: DatabasesView, check_store: Store, confirmations: list[ConfirmDialog]
) -> None:
    view.delete_database()
    qtbot.waitUntil(lambda: database_names(view) == [], timeout=30_000)
    idle(qtbot, view)
    (asked,) = confirmations
    assert asked.text() == f"Delete the profile database {DEMO!r} and everything in it?"
    assert asked.informativeText().startswith(f"It holds {GUI_DEMO_PROFILES} profile(s), ")
    assert asked.confirm_button.text() == "Delete database"
    with check_store.begin() as conn:
        assert conn.execute(select(func.count()).select_from(m.Profile)).scalar_one() == 0
    assert field_keys(view) == [] and not view.delete_button.isEnabled()


def test_delete_cancelled_changes_nothing(
    qtbot: Any, view: DatabasesView, check_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []

    def cancel(self: ConfirmDialog) -> int:
        shown.append(self.text())
        self.button(QMessageBox.StandardButton.Cancel).click()
        return 0

    monkeypatch.setattr(ConfirmDialog, "exec", cancel)
    view.delete_database()
    qtbot.waitUntil(lambda: bool(shown), timeout=30_000)
    idle(qtbot, view)
    assert database_names(view) == [DEMO]
    with check_store.begin() as conn:
        assert conn.execute(select(func.count()).select_from(m.Profile)).scalar_one() == 300


def test_add_field_with_a_label_from_the_key(
    qtbot: Any, view: DatabasesView, check_store: Store
) -> None:
    dialog = view.add_field()
    assert isinstance(dialog, AddFieldDialog)
    assert not dialog.options_edit.isEnabled()
    qtbot.keyClicks(dialog.key_edit, "favourite_shop")
    assert dialog.label_edit.text() == "Favourite shop"
    dialog.set_field_type(FieldType.ENUM)
    assert dialog.field_type() is FieldType.ENUM and dialog.options_edit.isEnabled()
    dialog.options_edit.setText("Berlin, Paris")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: "favourite_shop" in field_keys(view), timeout=30_000)
    idle(qtbot, view)
    with check_store.begin() as conn:
        db_id = check_store.database_id(conn, DEMO)
        added = {f.key: f for f in check_store.fields(conn, db_id)}["favourite_shop"]
    assert (added.label, added.type.value, added.options) == (
        "Favourite shop",
        "enum",
        ("Berlin", "Paris"),
    )
    assert added.column_name in {
        c["name"] for c in inspect(check_store.engine).get_columns("profiles")
    }


def test_remove_field_names_the_segments_that_use_it(
    qtbot: Any,
    window: MainWindow,
    view: DatabasesView,
    check_store: Store,
    confirmations: list[ConfirmDialog],
) -> None:
    view.select_field("email")
    assert not view.remove_field_button.isEnabled()  # system fields cannot be removed
    view.select_field("bonus_points")
    assert view.remove_field_button.isEnabled()
    window.remove_field_action.trigger()
    qtbot.waitUntil(lambda: "bonus_points" not in field_keys(view), timeout=30_000)
    idle(qtbot, view)
    (asked,) = confirmations
    assert asked.text() == f"Remove the field 'bonus_points' from {DEMO!r}?"
    assert "used by segment(s) 'Big spenders': they will no longer be valid" in (
        asked.informativeText()
    )
    assert "profile(s) hold a value in it" in asked.informativeText()
    with check_store.begin() as conn:
        keys = [f.key for f in check_store.fields(conn, check_store.database_id(conn, DEMO))]
    assert "bonus_points" not in keys


def test_rename_field_label(
    qtbot: Any, view: DatabasesView, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Points", True))
    view.select_field("bonus_points")
    view.rename_field_label()
    qtbot.waitUntil(
        lambda: any(i.text(0) == "Points" for i in top_items(view.fields_table)), timeout=30_000
    )
    idle(qtbot, view)
    assert view.selected_field() is not None and view.selected_field().key == "bonus_points"


def test_resources_create_attach_then_edit(
    qtbot: Any, view: DatabasesView, check_store: Store
) -> None:
    dialog = view.show_resources()
    assert isinstance(dialog, ResourcesDialog)
    qtbot.waitUntil(lambda: dialog.list.count() == 5, timeout=30_000)
    assert dialog.current_name() == "Mobile app"
    assert dialog.checked_databases() == (DEMO,)
    # channels read as words, as on the action pages and the review
    assert dialog.channel_boxes["sms"].text() == "SMS"
    assert dialog.channel_boxes["telegram_bot"].text() == "Telegram bot"
    dialog.new_button.click()
    assert dialog.save_button.text() == "&Create resource" and not dialog.save_button.isEnabled()
    qtbot.keyClicks(dialog.name_edit, "Loyalty mail")
    dialog.channel_boxes["email"].setChecked(True)
    dialog.channel_boxes["sms"].setChecked(True)
    dialog.set_database_checked(DEMO, True)
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.current_name() == "Loyalty mail", timeout=30_000)
    idle(qtbot, view)
    assert dialog.status_label.text() == "Created resource 'Loyalty mail'."
    qtbot.waitUntil(lambda: "Loyalty mail" in view.table.topLevelItem(0).text(4), timeout=30_000)

    dialog.name_edit.setText("Loyalty news")
    dialog.channel_boxes["sms"].setChecked(False)
    dialog.channel_boxes["push"].setChecked(True)
    dialog.set_database_checked(DEMO, False)
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.current_name() == "Loyalty news", timeout=30_000)
    idle(qtbot, view)
    with check_store.begin() as conn:
        found = {r.name: r for r in catalog.all_resources(check_store, conn)}
    assert "Loyalty mail" not in found
    assert (found["Loyalty news"].channels, found["Loyalty news"].databases) == (
        ("email", "push"),
        (),
    )
    dialog.reject()


def test_resources_refusal_shows_one_line(qtbot: Any, view: DatabasesView) -> None:
    dialog = view.show_resources()
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.list.count() == 5, timeout=30_000)
    dialog.new_button.click()
    dialog.name_edit.setText("Shop")
    dialog.channel_boxes["email"].setChecked(True)
    dialog.save_button.click()
    qtbot.waitUntil(lambda: "already exists" in dialog.status_label.text(), timeout=30_000)
    idle(qtbot, view)
    assert dialog.status_label.text() == "a resource named 'Shop' already exists"
    assert dialog.status_label.objectName() == "error"
    dialog.reject()


def test_programs_create_and_load_codes_from_a_file(
    qtbot: Any,
    view: DatabasesView,
    check_store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    codes = tmp_path / "summer.csv"
    codes.write_text("code;valid until\nSUN-1;2026-08-31\nSUN-2;x\nSUN-1;x\n\n", encoding="utf-8")
    monkeypatch.setattr(
        "bulkprofiles_gui.gui.dialogs.programs.QFileDialog.getOpenFileName",
        lambda *a, **k: (str(codes), ""),
    )
    dialog = view.show_programs()
    assert isinstance(dialog, ProgramsDialog)
    qtbot.waitUntil(lambda: dialog.table.topLevelItemCount() >= 2, timeout=30_000)
    dialog.new_button.click()
    qtbot.waitUntil(lambda: dialog.new_program_dialog is not None, timeout=30_000)
    new = dialog.new_program_dialog
    assert new is not None
    qtbot.keyClicks(new.name_edit, "Summer sale")
    new.database_combo.setCurrentIndex(new.database_combo.findText(DEMO))
    new.ok_button.click()
    qtbot.waitUntil(lambda: dialog.selected_program() == "Summer sale", timeout=30_000)
    dialog.load_button.click()
    qtbot.waitUntil(lambda: dialog.last_summary is not None, timeout=30_000)
    qtbot.waitUntil(
        lambda: any(
            i.text(0) == "Summer sale" and i.text(2) == "2" for i in top_items(dialog.table)
        ),
        timeout=30_000,
    )
    idle(qtbot, view)
    assert dialog.summary_box.toPlainText().splitlines() == [
        "Loaded 2 new code(s) into 'Summer sale'.",
        "  1 repeated in the file (loaded once), e.g. SUN-1",
        "  The first line was taken as a header and skipped.",
    ]
    with check_store.begin() as conn:
        programs = {p.name: p for p in catalog.all_loyalty_programs(check_store, conn)}
    assert (programs["Summer sale"].database, programs["Summer sale"].free) == (DEMO, 2)

    dialog.load_button.click()  # the same file again: nothing new, said so
    qtbot.waitUntil(
        lambda: dialog.last_summary is not None and dialog.last_summary.already_in_store == 2,
        timeout=30_000,
    )
    idle(qtbot, view)
    assert dialog.summary_box.toPlainText().startswith("Loaded 0 new code(s)")
    dialog.reject()


def test_a_refused_code_file_is_one_line_and_loads_nothing(
    qtbot: Any, view: DatabasesView, check_store: Store, tmp_path: Path
) -> None:
    latin = tmp_path / "latin.txt"
    latin.write_bytes("CAFÉ-1\n".encode("latin-1"))
    dialog = view.show_programs()
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.selected_program() is not None, timeout=30_000)
    dialog.choose_codes_file = lambda: str(latin)  # type: ignore[method-assign]
    with check_store.begin() as conn:
        before = conn.execute(select(func.count()).select_from(m.PromoCode)).scalar_one()
    dialog.load_button.click()
    qtbot.waitUntil(
        lambda: "Nothing was loaded" in dialog.summary_box.toPlainText(), timeout=30_000
    )
    idle(qtbot, view)
    assert dialog.summary_box.toPlainText() == f"Nothing was loaded: {latin} is not UTF-8 text"
    assert dialog.load_button.isEnabled()
    with check_store.begin() as conn:
        assert conn.execute(select(func.count()).select_from(m.PromoCode)).scalar_one() == before
    dialog.reject()
