"""The main window: start-up on the configured store (demo data on the first
start), views and navigation, a store that cannot be opened, File ->
Connections (passwords in the keyring, switching stores without a restart),
remembered geometry, File -> Open job, and the QThread guard itself."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from PySide6.QtCore import QByteArray, QRect
from PySide6.QtWidgets import QMessageBox

from bulkprofiles_gui.core import demo
from bulkprofiles_gui.core.config import DEFAULT_CONNECTION, Settings, config_dir, settings_path
from bulkprofiles_gui.core.faults import log_path
from bulkprofiles_gui.core.store import Store, open_store
from bulkprofiles_gui.gui import connections, main_window
from bulkprofiles_gui.gui.app import show_unexpected_error, start_main_window
from bulkprofiles_gui.gui.connections import ConnectionsDialog
from bulkprofiles_gui.gui.main_window import MainWindow, View
from bulkprofiles_gui.gui.ui_settings import ui_settings
from bulkprofiles_gui.gui.worker import BackgroundCall

pytestmark = pytest.mark.usefixtures("qapp")

DEMO = "Demo customers"


def open_window(qtbot: Any, url: str | None = None) -> MainWindow:
    window = start_main_window(url)
    qtbot.addWidget(window)
    return window


@pytest.fixture
def window(qtbot: Any, gui_store_url: str) -> Iterator[MainWindow]:
    win = open_window(qtbot, gui_store_url)
    qtbot.waitUntil(lambda: win.databases_view.table.topLevelItemCount() > 0, timeout=30_000)
    yield win
    win.close()
    win.shutdown()


def test_lists_the_databases_with_counts_fields_resources_and_demo_label(
    window: MainWindow, gui_store: Store
) -> None:
    item = window.databases_view.table.topLevelItem(0)
    assert item.text(0) == DEMO
    assert item.text(1) == "DEMO"
    assert item.text(2) == "300"
    assert int(item.text(3)) >= 13  # the system fields, plus the demo's custom ones
    assert item.text(4) == "Mobile app, Newsletter, SMS alerts, Shop"
    assert window.store_label.text() == f"Connected to: {gui_store.display_url}"


def test_fields_of_the_selected_database_are_listed(qtbot: Any, window: MainWindow) -> None:
    fields = window.databases_view.fields_table
    qtbot.waitUntil(lambda: fields.topLevelItemCount() > 0)
    keys = [fields.topLevelItem(i).text(1) for i in range(fields.topLevelItemCount())]
    assert keys[:3] == ["id", "email", "phones"]
    assert "bonus_points" in keys


def test_menu_and_side_navigation_show_the_three_views(qtbot: Any, window: MainWindow) -> None:
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles == ["&File", "&Data", "&Help"]
    data_menu = window.menuBar().actions()[1].menu()
    labels = [a.text() for a in data_menu.actions() if a.text()]
    assert labels[:3] == ["Profile &databases", "&Segments", "&Tasks"]
    window.view_actions[View.TASKS].trigger()
    assert window.stack.currentWidget() is window.tasks_view
    assert window.nav.currentRow() == View.TASKS
    window.nav.setCurrentRow(View.SEGMENTS)
    assert window.stack.currentWidget() is window.segments_view
    qtbot.waitUntil(lambda: window.segments_view.table.topLevelItemCount() > 0)
    names = {
        window.segments_view.table.topLevelItem(i).text(0)
        for i in range(window.segments_view.table.topLevelItemCount())
    }
    assert "Berlin customers" in names
    databases = {
        window.segments_view.table.topLevelItem(i).text(1)
        for i in range(window.segments_view.table.topLevelItemCount())
    }
    assert databases == {f"{DEMO}  [DEMO]"}  # demo data is labelled here too


def test_toolbar_update_opens_the_wizard_on_the_selected_database(
    qtbot: Any, window: MainWindow
) -> None:
    window.show_view(View.DATABASES)
    window.update_action.trigger()
    wizard = window.wizard
    assert wizard is not None
    qtbot.waitUntil(lambda: wizard.selection_page.counted(), timeout=30_000)
    assert wizard.selection_page.selection()["database"] == DEMO
    wizard.reject()
    qtbot.waitUntil(lambda: window.wizard is None)


def test_first_start_of_an_empty_store_makes_the_demo(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[int] = []
    real = demo.ensure_demo_store

    def small_demo(store: Store, *, profiles: int = 20_000) -> bool:
        made.append(profiles)
        return real(store, profiles=200)

    monkeypatch.setattr(demo, "ensure_demo_store", small_demo)
    window = open_window(qtbot)  # the embedded default store, in the test's data dir
    try:
        qtbot.waitUntil(lambda: window.databases_view.table.topLevelItemCount() > 0, timeout=60_000)
        assert made == [20_000]
        item = window.databases_view.table.topLevelItem(0)
        assert (item.text(0), item.text(1), item.text(2)) == (DEMO, "DEMO", "200")
        assert DEFAULT_CONNECTION in window.store_label.text()
    finally:
        window.close()
        window.shutdown()
    again = open_window(qtbot)  # second start: the demo is not made again
    try:
        qtbot.waitUntil(lambda: again.databases_view.table.topLevelItemCount() > 0, timeout=60_000)
        assert again.databases_view.table.topLevelItemCount() == 1
    finally:
        again.close()
        again.shutdown()


def test_a_store_that_cannot_be_opened_says_why_and_offers_connections(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_store = tmp_path / "notes.sqlite3"
    not_a_store.write_text("just some notes", encoding="utf-8")
    told: list[str] = []
    opened: list[ConnectionsDialog] = []
    monkeypatch.setattr(
        MainWindow, "ask_open_connections", lambda _self, msg: told.append(msg) or True
    )
    original = MainWindow.show_connections
    monkeypatch.setattr(
        MainWindow, "show_connections", lambda self: opened.append(original(self)) or opened[-1]
    )
    window = open_window(qtbot, f"sqlite:///{not_a_store}")
    try:
        qtbot.waitUntil(lambda: bool(told) and bool(opened), timeout=30_000)
        assert told == [f"{not_a_store} is not a bulkprofiles store (not an SQLite file)"]
        assert "Traceback" not in told[0]
        assert window.store is None
        assert window.store_label.text() == "Not connected"
        assert opened[0].isVisible()
        opened[0].reject()
    finally:
        window.close()
        window.shutdown()


def test_a_failed_switch_shows_the_store_still_connected(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It kept "Connecting to …" in the status bar for good (audit)."""
    told: list[str] = []
    monkeypatch.setattr(window, "ask_open_connections", lambda msg: told.append(msg) or False)
    before = window.store_label.text()
    assert before.startswith("Connected to: ")
    not_a_store = tmp_path / "notes.txt"
    not_a_store.write_text("just some notes", encoding="utf-8")
    window.connect_store(f"sqlite:///{not_a_store}", None)
    assert window.store_label.text().startswith("Connecting to ")
    qtbot.waitUntil(lambda: bool(told), timeout=30_000)
    assert window.store_label.text() == before


def test_connections_add_test_default_and_password_in_the_keyring(
    qtbot: Any, window: MainWindow, gui_store_url: str, memory_keyring: Any
) -> None:
    dialog = window.show_connections()
    qtbot.addWidget(dialog)
    dialog.new_button.click()
    dialog.name_edit.setText("Team server")
    dialog.url_edit.setText("postgresql+psycopg://ops:s3cret@db.example.invalid:5432/profiles")
    dialog.save_button.click()
    assert window.settings.connections["Team server"] == (
        "postgresql+psycopg://ops@db.example.invalid:5432/profiles"
    )
    assert memory_keyring.passwords == {("bulkprofiles", "Team server"): "s3cret"}
    saved = json.loads(settings_path().read_text(encoding="utf-8"))
    assert "s3cret" not in json.dumps(saved)
    assert connections.connection_url(window.settings, "Team server").endswith(
        "ops:s3cret@db.example.invalid:5432/profiles"
    )

    dialog.new_button.click()
    dialog.name_edit.setText("Copy")
    dialog.url_edit.setText(gui_store_url)
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.status_label.text().startswith("Connected:"), timeout=30_000)
    assert DEMO in dialog.status_label.text()
    dialog.default_button.click()
    assert Settings.load().default_connection == "Copy"
    dialog.reject()


def test_connect_switches_the_store_without_a_restart(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    other_url = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    other = open_store(other_url, create=True)
    with other.begin() as conn:
        other.create_database(conn, "Second shop")
    other.close()
    dialog = window.show_connections()
    dialog.new_button.click()
    dialog.name_edit.setText("Second")
    dialog.url_edit.setText(other_url)
    dialog.connect_button.click()
    qtbot.waitUntil(lambda: window.connection_name == "Second", timeout=30_000)
    qtbot.waitUntil(
        lambda: (
            window.databases_view.table.topLevelItemCount() == 1
            and window.databases_view.table.topLevelItem(0).text(0) == "Second shop"
        )
    )
    assert window.store_label.text().startswith("Connected to: Second — sqlite:///")
    assert window.databases_view.table.topLevelItem(0).text(1) == ""  # not a demo


def test_failing_connection_test_shows_one_line(qtbot: Any, window: MainWindow) -> None:
    dialog = window.show_connections()
    dialog.new_button.click()
    dialog.name_edit.setText("Broken")
    dialog.url_edit.setText("mysql://nobody@localhost/x")
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.status_label.text().startswith("Cannot connect"), timeout=30_000)
    assert "unsupported store URL" in dialog.status_label.text()
    assert "\n" not in dialog.status_label.text()
    dialog.reject()


def test_a_connection_test_that_fails_unexpectedly_is_one_line_and_can_be_run_again(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not a StoreError: the class, the first line and where the details were logged
    (``operator_message``), never the message's further lines; the button comes back."""

    def explode(_url: str) -> str:
        raise RuntimeError("the driver exploded\n  in a second line")

    monkeypatch.setattr(connections, "test_connection", explode)
    dialog = window.show_connections()
    dialog.new_button.click()
    dialog.name_edit.setText("Broken")
    dialog.url_edit.setText("sqlite:///nowhere.sqlite3")
    dialog.test_button.click()
    assert not dialog.test_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.is_testing(), timeout=30_000)
    assert dialog.status_label.text() == (
        f"Cannot connect: RuntimeError: the driver exploded (details in {log_path()})"
    )
    assert "second line" in log_path().read_text(encoding="utf-8")
    assert dialog.test_button.isEnabled()
    dialog.reject()


def test_closing_connections_during_a_test_waits_for_it_and_drops_its_line(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    tested = threading.Event()

    def slow(_url: str) -> str:
        time.sleep(0.5)
        tested.set()
        return "Connected: late."

    monkeypatch.setattr(connections, "test_connection", slow)
    dialog = window.show_connections()
    dialog.new_button.click()
    dialog.url_edit.setText("sqlite:///slow.sqlite3")
    dialog.test_button.click()
    assert dialog.is_testing()
    dialog.reject()  # waits for the test's thread (the guard fails a test leaving one)
    assert tested.is_set()
    qtbot.wait(50)
    assert not dialog.is_testing()
    assert not dialog.status_label.text().startswith("Connected")


def test_a_newer_store_opened_wins_over_an_older_one_still_opening(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening a store is an op of the window's key: the older open's store never
    replaces the newer one, even when it arrives later."""
    urls = {}
    for name in ("Older", "Newer"):
        urls[name] = f"sqlite:///{tmp_path / name}.sqlite3"
        made = open_store(urls[name], create=True)
        with made.begin() as conn:
            made.create_database(conn, f"{name} shop")
        made.close()
    opened: list[Store] = []
    older_done = threading.Event()

    def open_slowly_when_older(url: str, **kwargs: Any) -> Store:
        if url == urls["Older"]:
            time.sleep(0.6)
        store = real_open(url, **kwargs)
        opened.append(store)
        if url == urls["Older"]:
            older_done.set()
        return store

    real_open = main_window.open_and_prepare
    monkeypatch.setattr(main_window, "open_and_prepare", open_slowly_when_older)
    try:
        window.connect_store(urls["Older"], "Older")
        window.connect_store(urls["Newer"], "Newer")
        qtbot.waitUntil(lambda: window.connection_name == "Newer", timeout=30_000)
        qtbot.waitUntil(older_done.is_set, timeout=30_000)
        qtbot.wait(200)  # the older result, were it delivered, would have arrived by now
        assert window.connection_name == "Newer"
        assert window.store is not None and window.store.url == urls["Newer"]
        assert window._progress is None  # the progress dialog closed with the open
        qtbot.waitUntil(
            lambda: window.databases_view.row_named("Newer shop") is not None, timeout=30_000
        )
    finally:
        for store in opened:
            if store is not window.store:
                store.close()


def test_geometry_and_view_are_remembered_in_the_config_dir(qtbot: Any, gui_store_url: str) -> None:
    first = open_window(qtbot, gui_store_url)
    first.setGeometry(QRect(40, 50, 1150, 660))
    first.show_view(View.TASKS)
    assert first.height() == 660
    first.close()
    first.shutdown()
    ini = config_dir() / "gui.ini"
    assert ini.exists()
    assert isinstance(ui_settings().value("main/geometry"), QByteArray)
    second = open_window(qtbot, gui_store_url)
    try:
        assert second.current_view() is View.TASKS
        # The height is the remembered one (the default is 800).  The width is not
        # compared: the offscreen test screen is 800 px wide and Qt fits the
        # restored window into the screen.
        assert second.height() == 660
    finally:
        second.close()
        second.shutdown()


def test_open_job_with_an_error_shows_the_reason(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"database": DEMO, "colour": "blue"}), encoding="utf-8")
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a, **k: shown.append(text))
    assert window.open_job_path(str(path)) is None
    assert shown == [
        f"{path}: job.colour: unknown key (allowed: database, segment, rules, range, limit, "
        "skip_triggers, action)"
    ]
    assert window.wizard is None


def test_keyboard_shortcuts_and_mnemonics(window: MainWindow) -> None:
    assert window.update_action.shortcut().toString() == "Ctrl+U"
    assert window.view_actions[View.TASKS].shortcut().toString() == "Ctrl+3"
    assert window.databases_view.update_button.text().startswith("&")
    assert "&" in window.connections_action.text()


def test_the_qthread_guard_sees_a_thread_left_running(
    qtbot: Any, started_calls: list[BackgroundCall]
) -> None:
    from .conftest import still_running, wait_for_calls

    release = threading.Event()
    call = BackgroundCall(lambda: release.wait(10)).start()
    assert started_calls == [call]
    assert still_running(started_calls) == [call]
    release.set()
    wait_for_calls(started_calls)
    assert still_running(started_calls) == []


def test_an_unexpected_error_is_one_readable_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a, **k: shown.append(text))
    try:
        raise RuntimeError("the printer is on fire\nsecond line")
    except RuntimeError as exc:
        show_unexpected_error(RuntimeError, exc, exc.__traceback__)
    assert shown == [
        f"Something went wrong: RuntimeError: the printer is on fire (details in {log_path()})"
    ]
    assert "Traceback" not in capsys.readouterr().err  # the details go to the log only
    assert "second line" in log_path().read_text(encoding="utf-8")


def test_without_a_system_keyring_the_password_is_kept_for_the_session_only(
    qtbot: Any, window: MainWindow
) -> None:
    from keyring.backends.fail import Keyring as NoKeyring

    keyring.set_keyring(NoKeyring())  # the memory_keyring fixture restores the real one
    dialog = window.show_connections()
    dialog.new_button.click()
    dialog.name_edit.setText("Laptop PG")
    dialog.url_edit.setText("postgresql+psycopg://me@localhost:5432/shop")
    dialog.password_edit.setText("hunter2")
    dialog.save_button.click()
    assert dialog.status_label.text().startswith("No system keyring")
    assert "session only" in dialog.status_label.text()
    assert "hunter2" not in settings_path().read_text(encoding="utf-8")
    assert connections.connection_url(window.settings, "Laptop PG").endswith(
        "me:hunter2@localhost:5432/shop"
    )
    dialog.reject()
    connections.delete_password("Laptop PG")  # forget the session's copy


def _job_file(tmp_path: Path, name: str, limit: int) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"database": DEMO, "limit": limit}), encoding="utf-8")
    return path


def test_open_job_while_a_wizard_is_open_asks_before_replacing_it(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11: the file is neither dropped without a word nor replaces unasked."""
    first = window.open_job_path(str(_job_file(tmp_path, "first.json", 7)))
    assert first is not None
    qtbot.waitUntil(lambda: first.selection_page.counted(), timeout=30_000)
    asked: list[str] = []
    answer = {"value": False}

    def ask(name: str) -> bool:
        asked.append(name)
        return answer["value"]

    monkeypatch.setattr(window, "ask_replace_wizard", ask)
    kept = window.open_job_path(str(_job_file(tmp_path, "second.json", 9)))
    assert asked == ["second.json"]
    assert kept is first and window.wizard is first
    assert first.selection_page.selection()["limit"] == 7  # "No" keeps the wizard as it was
    answer["value"] = True
    replaced = window.open_job_path(str(_job_file(tmp_path, "third.json", 11)))
    assert asked == ["second.json", "third.json"]
    assert replaced is not None and replaced is not first and window.wizard is replaced
    assert not first.isVisible()
    qtbot.waitUntil(lambda: replaced.selection_page.counted(), timeout=30_000)
    assert replaced.selection_page.selection()["limit"] == 11
    replaced.reject()
    qtbot.waitUntil(lambda: window.wizard is None)


def test_a_job_with_a_value_the_command_line_refuses_cannot_be_run_from_the_window(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    """The window used to show "vip = Yes" for "maybe" and run the job (audit):
    the value is kept as written, the condition says why, and Next stays off."""
    rule = {"field": "vip", "operator": "=", "value": "maybe"}
    path = tmp_path / "maybe.json"
    job = {
        "database": DEMO,
        "rules": {"combinator": "and", "not": False, "rules": [rule]},
        "action": {"type": "global_unsubscribe"},
    }
    path.write_text(json.dumps(job), encoding="utf-8")
    wizard = window.open_job_path(str(path))
    assert wizard is not None
    page = wizard.selection_page
    qtbot.waitUntil(lambda: page.rule_builder.problems() != [], timeout=30_000)
    assert page.rule_builder.rules()["rules"] == [rule]
    assert [p.message for p in page.rule_builder.problems()] == ["“maybe” is not yes or no"]
    qtbot.wait(300)  # a count that would have made the page complete has had time
    assert not page.isComplete()
    wizard.reject()


@pytest.mark.parametrize(
    ("rules", "reason"),
    [
        (
            {"rules": [{"field": "city", "operator": "=", "value": "x", "disabled": "yes"}]},
            "'disabled' of a condition must be true or false, not 'yes'",
        ),
        (
            {"not": "true", "rules": [{"field": "city", "operator": "=", "value": "x"}]},
            "'not' of a group must be true or false, not 'true'",
        ),
    ],
)
def test_a_job_whose_rules_say_yes_in_other_words_is_refused_as_on_the_command_line(
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rules: dict[str, Any],
    reason: str,
) -> None:
    """The window ran "disabled": "yes" as an enabled condition and "not":
    "true" as a negation while the command line refused them (review)."""
    path = tmp_path / "flags.json"
    path.write_text(json.dumps({"database": DEMO, "rules": rules}), encoding="utf-8")
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a, **k: shown.append(text))
    assert window.open_job_path(str(path)) is None
    assert shown == [f"{path}: job.rules: {reason}"]
    assert window.wizard is None
