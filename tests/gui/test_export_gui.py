"""CSV export from the window: the column chooser, the wizard's selection page
and the Tasks view, on a real demo store (SQLite).  The column chooser is the
real dialog (its ``exec`` answered by ticking boxes); the file dialog is
answered by patching ``QFileDialog.getSaveFileName``."""

from __future__ import annotations

import csv
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QWizard, QWizardPage
from sqlalchemy import delete, select

from bulkprofiles_gui.core.config import Settings
from bulkprofiles_gui.core.export import ExportCancelled
from bulkprofiles_gui.core.jobfile import Job
from bulkprofiles_gui.core.jobs import run_job
from bulkprofiles_gui.core.progress import JobState
from bulkprofiles_gui.core.store import Store
from bulkprofiles_gui.gui.export_run import ExportRun
from bulkprofiles_gui.gui.job_progress import MAX_UPDATES_PER_SECOND
from bulkprofiles_gui.gui.views.tasks import TasksView
from bulkprofiles_gui.gui.widgets.export_columns import ColumnChoice, ExportColumnsDialog
from bulkprofiles_gui.gui.wizard import selection_page as sp
from bulkprofiles_gui.gui.wizard.context import WizardContext
from bulkprofiles_gui.gui.wizard.selection_page import SelectionPage

pytestmark = pytest.mark.usefixtures("qapp")

DEMO = "Demo customers"
BERLIN = {
    "combinator": "and",
    "not": False,
    "rules": [{"field": "city", "operator": "=", "value": "Berlin"}],
}


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """Answers the column chooser (tick ``dialogs["tick"]`` only) and the save dialog
    (``dialogs["save_as"]``); records what each was shown."""
    answers: dict[str, Any] = {"tick": [], "save_as": str(tmp_path / "export")}

    def column_exec(dialog: ExportColumnsDialog) -> int:
        answers["offered"] = [
            (item.text(1), item.checkState(0) == Qt.CheckState.Checked, item.isDisabled())
            for item in (
                dialog.table.topLevelItem(i) for i in range(dialog.table.topLevelItemCount())
            )
        ]
        dialog.none_button.click()
        for i in range(dialog.table.topLevelItemCount()):
            item = dialog.table.topLevelItem(i)
            if item.text(1) in answers["tick"]:
                item.setCheckState(0, Qt.CheckState.Checked)
        answers["summary"] = dialog.summary.text()
        return QDialog.DialogCode.Accepted

    def save_name(_parent: Any, title: str, suggested: str, _filter: str) -> tuple[str, str]:
        answers["save_dialog"] = (title, suggested)
        return answers["save_as"], "CSV files (*.csv)"

    monkeypatch.setattr(ExportColumnsDialog, "exec", column_exec)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_name)
    return answers


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _berlin(store: Store) -> list[tuple[int, str | None]]:
    p = store.profiles
    with store.begin() as conn:
        rows = conn.execute(
            select(p.c.id, p.c.email).where(p.c.city == "Berlin").order_by(p.c.id)
        ).all()
    return [(int(pid), email) for pid, email in rows]


# --- the column chooser ------------------------------------------------------------------


def test_the_chooser_starts_all_ticked_and_selects_all_or_none(qtbot: Any) -> None:
    fixed = [ColumnChoice("profile_id", "Profile ID")]
    columns = [ColumnChoice("id", "Profile ID", "integer"), ColumnChoice("city", "City", "string")]
    dialog = ExportColumnsDialog(columns, fixed=fixed)
    qtbot.addWidget(dialog)
    assert dialog.chosen() == ["id", "city"]
    assert dialog.summary.text() == "1 always written, 2 of 2 fields ticked"
    locked = dialog.table.topLevelItem(0)
    assert locked.checkState(0) == Qt.CheckState.Checked and locked.isDisabled()

    dialog.none_button.click()
    assert dialog.chosen() == []
    assert locked.checkState(0) == Qt.CheckState.Checked  # always written
    assert dialog.ok_button.isEnabled()  # the fixed columns are still an export
    dialog.all_button.click()
    assert dialog.chosen() == ["id", "city"]

    plain = ExportColumnsDialog(columns)
    qtbot.addWidget(plain)
    plain.none_button.click()
    assert not plain.ok_button.isEnabled()
    plain.table.topLevelItem(1).setCheckState(0, Qt.CheckState.Checked)
    assert plain.chosen() == ["city"] and plain.ok_button.isEnabled()
    assert plain.summary.text() == "1 of 2 fields ticked"


# --- the selection page --------------------------------------------------------------------


@pytest.fixture
def page(qtbot: Any, gui_store: Store) -> Iterator[SelectionPage]:
    wizard = QWizard()
    selection = SelectionPage(WizardContext(gui_store, Settings()))
    wizard.addPage(selection)
    wizard.addPage(QWizardPage())
    wizard.resize(1280, 800)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitUntil(selection.counted, timeout=15_000)
    try:
        yield selection
    finally:
        assert selection.shutdown(30_000)
        assert sp.background_calls_running() == 0


def _wait_exported(qtbot: Any, page: SelectionPage) -> None:
    qtbot.waitUntil(
        lambda: page.export_run is not None and not page.export_run.is_running(), timeout=30_000
    )
    assert page.export_run is not None and page.export_run.wait(30_000)


def test_selection_page_exports_two_chosen_columns(
    qtbot: Any, page: SelectionPage, gui_store: Store, dialogs: dict[str, Any], tmp_path: Path
) -> None:
    page.rule_builder.set_rules(BERLIN)
    qtbot.waitUntil(page.counted, timeout=15_000)
    dialogs["tick"] = ["email", "city"]
    assert page.export_button.isEnabled() and page.export_button.text() == "E&xport…"

    page.export_button.click()
    _wait_exported(qtbot, page)

    offered = dialogs["offered"]
    assert offered[0] == ("id", True, False)
    assert {key for key, _, _ in offered} >= {"email", "phones", "city", "tags", "bonus_points"}
    assert all(ticked for _, ticked, _ in offered)  # all ticked at first
    assert not any(key.startswith("$") for key, _, _ in offered)
    assert dialogs["save_dialog"][1].endswith("Demo-customers.csv")
    target = tmp_path / "export.csv"  # ".csv" added to the name typed without one
    expected = _berlin(gui_store)
    assert page.export_status.text() == f"Exported {len(expected):,} profiles to export.csv"
    assert page.export_status.toolTip() == str(target)
    rows = _read(target)
    assert rows[0] == ["email", "city"]
    assert [(r[0] or None, r[1]) for r in rows[1:]] == [(e, "Berlin") for _, e in expected]
    assert page.export_button.text() == "E&xport…" and page.export_button.isEnabled()


def test_selection_page_export_error_is_one_line(
    qtbot: Any, page: SelectionPage, dialogs: dict[str, Any], tmp_path: Path
) -> None:
    dialogs["tick"] = ["id"]
    dialogs["save_as"] = str(tmp_path / "gone" / "x.csv")
    page.export_button.click()
    _wait_exported(qtbot, page)
    assert page.export_status.text() == (
        f"Export failed: cannot write {tmp_path / 'gone' / 'x.csv'}: no folder {tmp_path / 'gone'}"
    )
    assert not (tmp_path / "gone").exists()


def test_selection_page_export_can_be_cancelled(
    qtbot: Any, page: SelectionPage, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The button turns into "Cancel export" while the export runs."""
    started = threading.Event()

    def slow_export(*_args: Any, state: JobState, **_kwargs: Any) -> int:
        started.set()
        while not state.is_cancelled():
            started.wait(0.01)
        raise ExportCancelled()

    monkeypatch.setattr(sp, "export_selection", slow_export)
    page.start_export(["id"], str(tmp_path / "never.csv"))
    assert page.export_button.text() == "Cancel e&xport"
    assert started.wait(10)
    page.export_button.click()
    _wait_exported(qtbot, page)
    assert page.export_status.text() == "Export cancelled; nothing was written."
    assert page.export_button.text() == "E&xport…"


# --- the Tasks view -------------------------------------------------------------------------


@pytest.fixture
def view(qtbot: Any, gui_store: Store) -> Iterator[TasksView]:
    widget = TasksView()
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    widget.set_store(gui_store)
    yield widget
    widget.shutdown()


def test_tasks_view_exports_outcomes_with_chosen_columns(
    qtbot: Any, view: TasksView, gui_store: Store, dialogs: dict[str, Any], tmp_path: Path
) -> None:
    job = Job(database=DEMO, rules=BERLIN, action={"type": "global_unsubscribe"})
    summary = run_job(gui_store, job, JobState())
    berlin = _berlin(gui_store)
    gone = berlin[0][0]
    with gui_store.begin() as conn:
        conn.execute(delete(gui_store.profiles).where(gui_store.profiles.c.id == gone))
    view.refresh()
    qtbot.waitUntil(lambda: view.selected_task() is not None and not view.busy())
    messages: list[str] = []
    view.message.connect(messages.append)
    dialogs["tick"] = ["email", "city"]
    dialogs["save_as"] = str(tmp_path / "task.csv")

    view.export_button.click()
    target = tmp_path / "task.csv"
    done = f"Exported {summary.selected:,} profiles of task {summary.task_id} to {target}"
    qtbot.waitUntil(lambda: done in messages, timeout=30_000)

    assert dialogs["offered"][:4] == [
        ("profile_id", True, True),
        ("outcome", True, True),
        ("reason", True, True),
        ("reason_text", True, True),
    ]
    assert dialogs["summary"].startswith("4 always written, 2 of ")
    assert "id" not in [key for key, _, _ in dialogs["offered"]]  # profile_id says it
    rows = _read(target)
    assert rows[0] == ["profile_id", "outcome", "reason", "reason_text", "email", "city"]
    assert [int(r[0]) for r in rows[1:]] == [pid for pid, _ in berlin]
    assert rows[1][4:] == ["", ""]  # deleted since the task
    assert [(r[4] or None, r[5]) for r in rows[2:]] == [(e, "Berlin") for _, e in berlin[1:]]
    assert {r[1] for r in rows[1:]} <= {"changed", "skipped"}
    assert view.export_button.isEnabled()


# --- the export run ---------------------------------------------------------------------------


def test_an_export_relays_at_most_ten_progress_lines_a_second_and_the_last(qtbot: Any) -> None:
    """An export runs as a JobRun: a report per row in the worker, at most ten
    lines a second on the main thread, the final count always, then the end."""
    total = 3000

    def export(state: JobState) -> int:
        for done in range(1, total + 1):
            state.report(done, total)
            time.sleep(0.0002)
        return total

    run = ExportRun(export, "/somewhere/rows.csv")
    lines: list[str] = []
    ends: list[tuple[str, object]] = []
    run.progressed.connect(lines.append)
    run.finished.connect(lambda line, rows: ends.append((line, rows)))
    started = time.monotonic()
    run.start()
    qtbot.waitUntil(lambda: not run.is_running(), timeout=30_000)
    seconds = time.monotonic() - started
    assert run.wait(30_000)
    assert lines[0] == "Exporting profiles to /somewhere/rows.csv…"
    assert lines[-1] == f"Exporting… {total:,} of {total:,} profiles"
    assert len(lines) - 1 <= seconds * MAX_UPDATES_PER_SECOND + 2, (len(lines), seconds)
    assert ends == [(f"Exported {total:,} profiles to /somewhere/rows.csv", total)]


def test_an_export_cancelled_by_its_run_ends_with_one_line(qtbot: Any) -> None:
    started = threading.Event()

    def export(state: JobState) -> int:
        started.set()
        while not state.is_cancelled():
            time.sleep(0.01)
        raise ExportCancelled()

    run = ExportRun(export, "/somewhere/never.csv")
    ends: list[tuple[str, object]] = []
    run.finished.connect(lambda line, rows: ends.append((line, rows)))
    run.start()
    assert started.wait(10) and run.is_running()
    run.cancel()
    assert run.state.is_cancelled()
    qtbot.waitUntil(lambda: not run.is_running(), timeout=30_000)
    assert run.wait(30_000)
    assert ends == [("Export cancelled; nothing was written.", None)]
