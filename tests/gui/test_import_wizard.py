"""The "Import profiles" wizard driven with qtbot on real stores and small CSV files.

From the Databases view's button: the file page (detection, preview), the
mapping page (a mapping changed, a column skipped, new fields created), the
options page (a subscription), the review page (a dry run that changes
nothing) and the run page; the effects are checked in the store itself.
Also: a broken header blocks Next with one line, a cancelled import leaves
a task that resumes, the store and the file are only ever read off the main
thread, and (by the conftest's guard) no QThread outlives its test.
"""

from __future__ import annotations

import html
import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget, QWizard
from sqlalchemy import event, func, select

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.importer import IMPORT_LABEL, MERGING, NOT_IMPORTED, csvfile, runner
from bulkprofiles_gui.core.progress import JobState
from bulkprofiles_gui.core.resume import run_any_task
from bulkprofiles_gui.core.store import FieldInfo, Store, open_store
from bulkprofiles_gui.gui.app import start_main_window
from bulkprofiles_gui.gui.import_wizard import ImportWizard, PageId
from bulkprofiles_gui.gui.import_wizard.mapping_page import NEW_FIELD, SKIP
from bulkprofiles_gui.gui.import_wizard.run_page import RunPage
from bulkprofiles_gui.gui.job_progress import MAX_UPDATES_PER_SECOND
from bulkprofiles_gui.gui.main_window import MainWindow, View
from bulkprofiles_gui.gui.wizard.actions.base import unsafe_statuses_text

pytestmark = pytest.mark.usefixtures("qapp")

DATABASE = "Demo customers"  # the demo database of the conftest's stores
NEW_PEOPLE = ["ada@import.example", "bert@import.example", "cleo@import.example"]


# -- what an operator does -----------------------------------------------------------------
def click(qtbot: Any, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def next_enabled(wizard: QWizard) -> bool:
    button = wizard.button(QWizard.WizardButton.NextButton)
    commit = wizard.button(QWizard.WizardButton.CommitButton)
    return (button.isVisible() and button.isEnabled()) or (
        commit.isVisible() and commit.isEnabled()
    )


def go_next(qtbot: Any, wizard: QWizard) -> None:
    qtbot.waitUntil(lambda: next_enabled(wizard), timeout=30_000)
    before = wizard.currentId()
    wizard.next()
    assert wizard.currentId() != before, "Next did not move on"


def open_window(qtbot: Any, url: str) -> MainWindow:
    window = start_main_window(url)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.store is not None, timeout=60_000)
    qtbot.waitUntil(lambda: window.databases_view.selected_database() is not None)
    return window


def open_import_wizard(qtbot: Any, window: MainWindow) -> ImportWizard:
    """The Databases view's "Import profiles…" button, with the demo database selected."""
    window.show_view(View.DATABASES)
    window.databases_view.select_database(DATABASE)
    click(qtbot, window.databases_view.import_button)
    wizard = window.import_wizard
    assert wizard is not None
    page = wizard.file_page
    qtbot.waitUntil(lambda: page.databases is not None, timeout=30_000)
    assert page.database() == DATABASE
    return wizard


def choose_file(qtbot: Any, wizard: ImportWizard, path: Path) -> None:
    """Browse… answered with ``path``; waits until the file has been read."""
    page = wizard.file_page
    page.ask_open_path = lambda _start: str(path)
    click(qtbot, page.browse_button)
    qtbot.waitUntil(lambda: not page.is_busy(), timeout=30_000)


def wait_checked(qtbot: Any, wizard: ImportWizard) -> None:
    page = wizard.mapping_page
    qtbot.waitUntil(lambda: not page.is_checking(), timeout=30_000)


@pytest.fixture
def window(qtbot: Any, gui_store_url: str) -> Iterator[MainWindow]:
    win = open_window(qtbot, gui_store_url)
    yield win
    win.close()
    win.shutdown()


# -- the store ---------------------------------------------------------------------------
def existing_emails(store: Store, n: int) -> list[str]:
    p = store.profiles
    with store.begin() as conn:
        database_id = store.database_id(conn, DATABASE)
        return list(
            conn.execute(
                select(p.c.email)
                .where(p.c.database_id == database_id, p.c.email.is_not(None))
                .order_by(p.c.id)
                .limit(n)
            ).scalars()
        )


def fields_of(store: Store) -> dict[str, FieldInfo]:
    store.refresh_schema()
    with store.begin() as conn:
        return {f.key: f for f in store.fields(conn, store.database_id(conn, DATABASE))}


def profiles_by_email(store: Store, emails: list[str], *columns: str) -> dict[str, tuple[Any, ...]]:
    p = store.profiles
    with store.begin() as conn:
        rows = conn.execute(
            select(p.c.email, *(p.c[c] for c in columns)).where(p.c.email.in_(emails))
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def profile_count(store: Store) -> int:
    with store.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(store.profiles)).scalar_one())


def newsletter_email_statuses(store: Store, emails: list[str]) -> dict[str, str]:
    p, s, r = store.profiles, m.Subscription, m.Resource
    with store.begin() as conn:
        rows = conn.execute(
            select(p.c.email, s.status)
            .join(s, s.profile_id == p.c.id)
            .join(r, r.id == s.resource_id)
            .where(r.name == "Newsletter", s.channel == "email", p.c.email.in_(emails))
        ).all()
    return {email: status for email, status in rows}


def write_people(tmp_path: Path, updated: list[str]) -> Path:
    """Two existing profiles, three new ones and one invalid email; semicolons."""
    lines = [
        "Email;First name;Town;Notes;Score;Member since",
        f"{updated[0]};Ulla;Lisbon;call back;12;2021-03-04",
        f"{NEW_PEOPLE[0]};Ada;Porto;;7;2022-01-31",
        f"{updated[1]};Udo;Faro;vip;;",
        f"{NEW_PEOPLE[1]};Bert;Braga;;3;2023-07-01",
        "not-an-email;Nobody;Nowhere;;1;2020-01-01",
        f"{NEW_PEOPLE[2]};Cleo;Evora;;40;2019-12-24",
    ]
    path = tmp_path / "people.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -- the whole path ---------------------------------------------------------------------------
def test_import_wizard_end_to_end(qtbot: Any, demo_store: Store, tmp_path: Path) -> None:
    """File -> mapping -> options -> review (dry run) -> run, on SQLite and PostgreSQL."""
    updated = existing_emails(demo_store, 2)
    path = write_people(tmp_path, updated)
    before_count = profile_count(demo_store)
    before_names = profiles_by_email(demo_store, updated, "first_name", "city")
    window = open_window(qtbot, demo_store.url)
    try:
        wizard = open_import_wizard(qtbot, window)
        _file_page(qtbot, wizard, path)
        _mapping_page(qtbot, wizard)
        _options_page(qtbot, wizard, path)
        _review_page(qtbot, wizard, demo_store, before_count, before_names)
        summary = _run_page(qtbot, wizard)
        _check_store(demo_store, summary, updated, before_count)
        _show_in_tasks(qtbot, window, wizard, summary.task_id, before_count)
    finally:
        window.close()
        window.shutdown()


def _file_page(qtbot: Any, wizard: ImportWizard, path: Path) -> None:
    page = wizard.file_page
    assert wizard.currentId() == PageId.FILE
    assert not next_enabled(wizard)  # no file yet
    choose_file(qtbot, wizard, path)
    assert page.problem is None, page.problem
    assert page.path() == str(path)
    assert page.facts is not None and page.facts.fmt.delimiter == ";"
    assert page.detected_label.text() == (
        "UTF-8, semicolon-separated (detected); 6 columns. Below: all 6 rows."
    )
    cells = page.preview_cells()
    assert len(cells) == 6
    assert cells[1][:3] == [NEW_PEOPLE[0], "Ada", "Porto"]
    headers = [
        page.preview_table.horizontalHeaderItem(c).text()
        for c in range(page.preview_table.columnCount())
    ]
    assert headers == ["Email", "First name", "Town", "Notes", "Score", "Member since"]
    go_next(qtbot, wizard)


def _mapping_page(qtbot: Any, wizard: ImportWizard) -> None:
    page = wizard.mapping_page
    assert wizard.currentId() == PageId.MAPPING
    wait_checked(qtbot, wizard)
    # automatic mapping by key or label
    assert page.choice("Email") == "email"
    assert page.choice("First name") == "first_name"
    assert page.choice("Town") == SKIP
    assert page.table.item(0, 1).text() == ", ".join(
        [wizard.ctx.file.rows[0][0], NEW_PEOPLE[0], wizard.ctx.file.rows[2][0]]
    )  # the first values of the column
    page.set_choice("Town", "city")  # change one mapping
    page.set_choice("Notes", SKIP)  # skip a column on purpose
    page.create_fields_check.setChecked(True)  # the other unmapped columns become fields
    wait_checked(qtbot, wizard)
    assert page.problem is None, page.problem
    assert page.choice("Notes") == SKIP
    assert page.choice("Score") == NEW_FIELD
    assert page.choice("Member since") == NEW_FIELD
    assert page.new_field_key("Score") == "score"
    assert page.new_field_key("Member since") == "member_since"
    assert page.new_fields() == {"Score": "integer", "Member since": "date"}
    assert page.status_label.text() == (
        "Ready: 3 columns mapped, 2 new fields, 1 skipped; profiles are matched by Email."
    )
    assert page.match_combo.currentData() == "email"
    assert page.mode_combo.currentData() == "upsert"
    assert page.duplicates_combo.currentData() == "last"
    go_next(qtbot, wizard)


def _options_page(qtbot: Any, wizard: ImportWizard, path: Path) -> None:
    page = wizard.options_page
    assert wizard.currentId() == PageId.OPTIONS
    assert page.rejects_edit.text() == str(path.with_name("people.rejects.csv"))
    page.subscribe_check.setChecked(True)
    qtbot.waitUntil(lambda: page.resource_combo.findData("Newsletter") >= 0, timeout=30_000)
    page.resource_combo.setCurrentIndex(page.resource_combo.findData("Newsletter"))
    page.channel_combo.setCurrentIndex(page.channel_combo.findData("email"))
    offered = {page.channel_combo.itemData(i) for i in range(page.channel_combo.count())}
    assert offered == {"email"}  # push holds no contact an import brings
    assert unsafe_statuses_text() in page.unsafe_option.explanation.text()  # the rule, one line
    assert page.isComplete()
    go_next(qtbot, wizard)


def _review_page(
    qtbot: Any,
    wizard: ImportWizard,
    store: Store,
    before_count: int,
    before_names: dict[str, tuple[Any, ...]],
) -> None:
    review = wizard.review_page
    assert wizard.currentId() == PageId.REVIEW
    qtbot.waitUntil(lambda: review.facts is not None or review.problem is not None)
    assert review.problem is None, review.problem
    assert review.facts is not None
    mapping = review.facts.mapping_lines
    shown = review.mapping_label.text()
    assert all(html.escape(line) in shown for line in mapping)  # in the summary
    assert "Town -> city" in mapping
    assert "Score -> score (new integer field)" in mapping
    assert "Notes -> (skipped: no field)" in mapping
    assert (
        "Subscribe: Newsletter / Email with status Subscribed (unsafe statuses skipped)"
        in review.options_label.text()
    )
    assert "Triggers: started by this import" in review.options_label.text()
    qtbot.waitUntil(review.dry_run_button.isEnabled)
    click(qtbot, review.dry_run_button)
    qtbot.waitUntil(lambda: review.dry_run_summary is not None, timeout=60_000)
    assert review.dry_run_error is None, review.dry_run_error
    counts = review.dry_run_counts()
    assert counts["Rows in the file"] == 6
    assert counts["Would add"] == 3
    assert counts["Would update"] == 2
    assert counts["Would not import"] == 1
    assert counts[NOT_IMPORTED["rejected"]] == 1
    assert "nothing was changed" in review.dry_run_status.text()
    # the dry run changed no profile and made no field
    assert profile_count(store) == before_count
    assert profiles_by_email(store, list(before_names), "first_name", "city") == before_names
    assert "score" not in fields_of(store)
    qtbot.waitUntil(review.isComplete)


def _run_page(qtbot: Any, wizard: ImportWizard) -> Any:
    commit = wizard.button(QWizard.WizardButton.CommitButton)
    assert commit.text().replace("&", "") == "Import"
    go_next(qtbot, wizard)
    run = wizard.run_page
    assert wizard.currentId() == PageId.RUN
    qtbot.waitUntil(run.isComplete, timeout=60_000)
    assert run.error is None, run.error
    summary = run.summary
    assert summary is not None and summary.status == "completed"
    counts = run.outcome_counts()
    assert counts["Rows in the file"] == 6
    assert counts["Added"] == 3
    assert counts["Updated"] == 2
    assert counts["Unchanged (already had the values)"] == 0
    assert counts["Not imported"] == 1
    assert counts["Subscribed"] == summary.subscriptions["changed"]
    assert counts["Trigger events recorded"] == summary.trigger_events
    assert run.progress.bar.format() == "6 of 6 rows (%p %)"
    assert run.progress.left_label.text() == "–"  # nothing left, not "less than a second"
    assert "people.rejects.csv" in run.rejects_label.text()
    return summary


def _check_store(store: Store, summary: Any, updated: list[str], before_count: int) -> None:
    assert profile_count(store) == before_count + 3
    fields = fields_of(store)
    assert fields["score"].type.value == "integer"
    assert fields["member_since"].type.value == "date"
    assert "notes" not in fields and "town" not in fields
    score = fields["score"].column_name
    assert score is not None
    rows = profiles_by_email(store, updated + NEW_PEOPLE, "first_name", "city", score)
    assert rows[updated[0]] == ("Ulla", "Lisbon", 12)
    assert rows[updated[1]][:2] == ("Udo", "Faro")
    assert rows[NEW_PEOPLE[0]] == ("Ada", "Porto", 7)
    assert rows[NEW_PEOPLE[2]] == ("Cleo", "Evora", 40)
    assert profiles_by_email(store, ["not-an-email"], "first_name") == {}
    statuses = newsletter_email_statuses(store, NEW_PEOPLE)
    assert statuses == dict.fromkeys(NEW_PEOPLE, "subscribed")
    assert summary.subscriptions["changed"] >= 3
    rejects = Path(summary.rejects_file).read_text(encoding="utf-8").splitlines()
    assert rejects[0] == "line,column,value,reason"
    assert rejects[1].startswith("6,Email,not-an-email,")


def _show_in_tasks(
    qtbot: Any, window: MainWindow, wizard: ImportWizard, task_id: int, before: int
) -> None:
    databases = window.databases_view
    qtbot.waitUntil(
        lambda: (row := databases.row_named(DATABASE)) is not None and row.profiles == before + 3,
        timeout=30_000,
    )  # the views were refreshed when the import finished
    click(qtbot, wizard.run_page.show_task_button)
    assert window.current_view() is View.TASKS
    tasks = window.tasks_view
    qtbot.waitUntil(lambda: tasks.selected_task_id() == task_id, timeout=30_000)
    row = tasks.table.currentItem()
    assert row.text(1).split("\n")[0] == IMPORT_LABEL
    assert row.text(2).startswith("Completed")
    qtbot.waitUntil(lambda: window.import_wizard is None)  # Show in Tasks closed it


# -- a broken file ------------------------------------------------------------------------------
def test_a_header_of_too_many_columns_is_one_line_and_blocks_next(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    """A 1 MB header of 100,001 columns froze the window for seconds on this
    page and for more than ten minutes on the next, one row per column (audit)."""
    path = tmp_path / "wide.csv"
    path.write_text("email," + ",".join(f"col{i}" for i in range(100_000)) + "\n")
    wizard = open_import_wizard(qtbot, window)
    page = wizard.file_page
    choose_file(qtbot, wizard, path)
    assert page.problem == (
        f"{path}: the header has 100,001 columns; an import takes at most 1,000 "
        "(is the delimiter right?)"
    )
    assert page.preview_table.columnCount() == 0
    assert not next_enabled(wizard)


def test_a_repeated_column_name_shows_one_line_and_blocks_next(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "broken.csv"
    path.write_text("Email,City,Email\na@example.org,Rome,b@example.org\n", encoding="utf-8")
    wizard = open_import_wizard(qtbot, window)
    page = wizard.file_page
    choose_file(qtbot, wizard, path)
    expected = f"{path}: column name 'Email' appears twice in the header (columns 1 and 3)"
    assert page.problem == expected
    assert page.error_label.isVisibleTo(wizard)
    assert page.error_label.text() == expected
    assert "Traceback" not in page.error_label.text()
    assert page.preview_table.rowCount() == 0
    assert not page.isComplete()
    assert not next_enabled(wizard)
    path.write_text("Email,City\na@example.org,Rome\n", encoding="utf-8")  # fixed
    choose_file(qtbot, wizard, path)
    assert page.problem is None
    assert not page.error_label.isVisibleTo(wizard)
    qtbot.waitUntil(lambda: next_enabled(wizard))
    wizard.reject()
    qtbot.waitUntil(lambda: window.import_wizard is None)


def test_a_file_that_is_not_utf8_asks_for_its_encoding(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("Email;City\nzoe@example.org;Málaga\n".encode("cp1252"))
    wizard = open_import_wizard(qtbot, window)
    page = wizard.file_page
    choose_file(qtbot, wizard, path)
    assert page.problem == (
        f"{path}: line 2 is not UTF-8 text; choose the file's encoding "
        "(on the File page, e.g. cp1252 or latin-1)"
    )
    assert not next_enabled(wizard)
    page.encoding_combo.setCurrentIndex(page.encoding_combo.findData("cp1252"))
    qtbot.waitUntil(lambda: page.isComplete(), timeout=30_000)
    assert page.preview_cells() == [["zoe@example.org", "Málaga"]]
    assert page.detected_label.text().startswith("Windows-1252, semicolon-separated (as chosen)")
    wizard.reject()


def test_a_mapping_error_is_one_line_and_blocks_next(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "two.csv"
    path.write_text("Email,Town,City\nx@example.org,Rome,Roma\n", encoding="utf-8")
    wizard = open_import_wizard(qtbot, window)
    choose_file(qtbot, wizard, path)
    go_next(qtbot, wizard)
    page = wizard.mapping_page
    wait_checked(qtbot, wizard)
    assert page.isComplete()
    page.set_choice("Town", "city")  # two columns for one field
    wait_checked(qtbot, wizard)
    assert page.problem == ("columns 'Town' and 'City' both map to field 'city'; skip one of them")
    assert page.status_label.text() == page.problem
    assert not next_enabled(wizard)
    page.set_choice("Email", SKIP)  # and the match column unmapped
    page.set_choice("City", SKIP)
    wait_checked(qtbot, wizard)
    assert page.problem == (
        f"{path}: no column maps to the match field 'email'; map one or choose another “Match by”"
    )
    assert not next_enabled(wizard)
    page.set_choice("Email", "email")
    wait_checked(qtbot, wizard)
    qtbot.waitUntil(lambda: next_enabled(wizard))
    wizard.reject()


# -- cancel and resume ---------------------------------------------------------------------
def _slow_merge(monkeypatch: pytest.MonkeyPatch, batch: int, seconds: float) -> None:
    monkeypatch.setattr(runner, "FIRST_BATCH", batch)
    monkeypatch.setattr(runner, "_next_size", lambda size, _seconds: size)
    original = runner._merge_batch

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(seconds)
        return original(*args, **kwargs)

    monkeypatch.setattr(runner, "_merge_batch", slow)


def test_cancel_during_a_run_leaves_a_task_that_resumes(
    qtbot: Any,
    window: MainWindow,
    gui_store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = 200
    path = tmp_path / "many.csv"
    path.write_text(
        "Email,First name\n" + "".join(f"person{i}@many.example,Name{i}\n" for i in range(rows)),
        encoding="utf-8",
    )
    _slow_merge(monkeypatch, batch=10, seconds=0.05)
    wizard = open_import_wizard(qtbot, window)
    choose_file(qtbot, wizard, path)
    go_next(qtbot, wizard)
    wait_checked(qtbot, wizard)
    go_next(qtbot, wizard)
    go_next(qtbot, wizard)
    qtbot.waitUntil(lambda: wizard.review_page.facts is not None, timeout=30_000)
    go_next(qtbot, wizard)
    run = wizard.run_page
    qtbot.waitUntil(
        lambda: (
            # merging, and the bar shows it (not the file check's final "200 of 200")
            run.phase == MERGING
            and 0 < run.progress.bar.value() < rows
            and run.progress.bar.maximum() == rows
        ),
        timeout=30_000,
    )
    assert "rows/s" in run.progress.rate_label.text()
    assert run.progress.left_label.text() != "–"
    assert run.progress.bar.format().endswith(f"of {rows:,} rows (%p %)")
    click(qtbot, run.cancel_button)
    qtbot.waitUntil(run.isComplete, timeout=30_000)
    summary = run.summary
    assert summary is not None and summary.status == "cancelled"
    assert 0 < summary.processed < rows
    assert run.outcome_counts()["Not processed"] == rows - summary.processed
    assert "resumed from the Tasks view" in run.status_label.text()
    task_id = summary.task_id
    monkeypatch.undo()  # full speed for the resume

    store = open_store(gui_store_url)
    try:
        with store.begin() as conn:
            status = conn.execute(select(m.Task.status).where(m.Task.id == task_id)).scalar_one()
        assert status == "cancelled"
        assert len(profiles_by_email(store, [f"person{i}@many.example" for i in range(rows)])) == (
            summary.processed
        )
        resumed = run_any_task(store, task_id, JobState())
        assert resumed.status == "completed"
        assert resumed.processed == rows
        emails = [f"person{i}@many.example" for i in range(rows)]
        assert len(profiles_by_email(store, emails)) == rows
    finally:
        store.close()


def test_import_progress_reaches_the_page_thinned_and_shows_both_phases(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import runs as a JobRun: of a report per row while the file is read and
    one per batch while the rows merge, at most ten a second reach the page (and
    the last); the merge's restart of the count is seen, so the page says so."""
    rows = 300
    path = tmp_path / "thin.csv"
    path.write_text("Email\n" + "".join(f"t{i}@thin.example\n" for i in range(rows)), "utf-8")
    monkeypatch.setattr(runner, "STAGE_CHUNK", 1)  # a report for every row read
    _slow_merge(monkeypatch, batch=10, seconds=0.03)
    made: list[int] = []
    real_report = JobState.report

    def report(state: JobState, done: int, total: int, *args: Any) -> None:
        made.append(done)
        real_report(state, done, total, *args)

    monkeypatch.setattr(JobState, "report", report)
    received: list[tuple[int, int]] = []
    statuses: list[str] = []
    real_on_progress = RunPage._on_progress

    def on_progress(page: RunPage, progress: Any) -> None:
        received.append((progress.done, progress.total))
        real_on_progress(page, progress)
        statuses.append(page.status_label.text())

    monkeypatch.setattr(RunPage, "_on_progress", on_progress)
    wizard = _to_review(qtbot, window, path)
    started = time.monotonic()
    go_next(qtbot, wizard)
    run = wizard.run_page
    qtbot.waitUntil(run.isComplete, timeout=60_000)
    seconds = time.monotonic() - started
    assert run.summary is not None and run.summary.status == "completed", run.error
    assert len(made) > rows  # every row read made a report ...
    # ... the page got at most ten a second, plus the ends of the two phases
    assert len(received) <= seconds * MAX_UPDATES_PER_SECOND + 4, (len(received), seconds)
    assert received[-1] == (rows, rows)
    assert any(done < before for (before, _), (done, _) in itertools.pairwise(received))
    assert any(": importing: " in text for text in statuses), statuses
    assert run.phase == MERGING


def test_cancel_through_the_page_sets_the_runs_flag_and_ends_cancelled(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's Cancel is the JobRun's cancel, as on the update wizard's run page:
    the button turns off, the line says so, and the task ends cancelled."""
    path = tmp_path / "many.csv"
    path.write_text("Email\n" + "".join(f"c{i}@cancel.example\n" for i in range(100)), "utf-8")
    _slow_merge(monkeypatch, batch=5, seconds=0.05)
    wizard = _to_review(qtbot, window, path)
    go_next(qtbot, wizard)
    page = wizard.run_page
    qtbot.waitUntil(lambda: page.phase == MERGING, timeout=30_000)
    assert page.run is not None and not page.run.is_cancelled()
    click(qtbot, page.cancel_button)
    assert page.run.is_cancelled() and page.state is page.run.state
    assert not page.cancel_button.isEnabled()
    assert page.status_label.text() == "Cancelling after the current batch…"
    qtbot.waitUntil(page.isComplete, timeout=30_000)
    assert page.summary is not None and page.summary.status == "cancelled"
    assert not page.thread_running()
    assert page.status_label.text().startswith(f"Task {page.summary.task_id}: Cancelled.")
    assert page.progress.left_label.text() == "–"  # nothing left to wait for


def test_closing_the_wizard_during_an_import_asks_and_cancels(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "many.csv"
    path.write_text(
        "Email\n" + "".join(f"p{i}@close.example\n" for i in range(100)), encoding="utf-8"
    )
    _slow_merge(monkeypatch, batch=5, seconds=0.05)
    wizard = open_import_wizard(qtbot, window)
    choose_file(qtbot, wizard, path)
    for _ in range(3):
        go_next(qtbot, wizard)
    qtbot.waitUntil(lambda: wizard.review_page.facts is not None, timeout=30_000)
    go_next(qtbot, wizard)
    qtbot.waitUntil(lambda: wizard.run_page.phase == MERGING, timeout=30_000)
    asked: list[bool] = []
    wizard.ask_cancel_running_import = lambda: asked.append(True) or True
    wizard.reject()
    assert asked == [True]
    assert not wizard.run_page.thread_running()
    qtbot.waitUntil(lambda: wizard.run_page.summary is not None)
    assert wizard.run_page.summary.status == "cancelled"


# -- threads ---------------------------------------------------------------------------------
class ThreadRecorder:
    """Which threads ran SQL on the store and read the CSV file."""

    def __init__(self) -> None:
        self.sql_on_main: list[str] = []
        self.file_on_main: list[str] = []
        self.sql_elsewhere = 0
        self.file_elsewhere = 0

    def sql(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.current_thread() is threading.main_thread():
            self.sql_on_main.append(statement.split("\n")[0][:80])
        else:
            self.sql_elsewhere += 1

    def file(self, what: str) -> None:
        if threading.current_thread() is threading.main_thread():
            self.file_on_main.append(what)
        else:
            self.file_elsewhere += 1


def test_the_wizard_never_reads_the_store_or_the_file_on_the_main_thread(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert window.store is not None
    updated = existing_emails(window.store, 2)  # before recording: the test's own read
    path = write_people(tmp_path, updated)
    recorder = ThreadRecorder()
    event.listen(window.store.engine, "before_cursor_execute", recorder.sql)
    read_sample, reader_enter = csvfile._read_sample, csvfile.CsvReader.__enter__

    def recorded_sample(path: Path) -> bytes:
        recorder.file("sniff")
        return read_sample(path)

    def recorded_enter(self: Any) -> Any:
        recorder.file("read")
        return reader_enter(self)

    monkeypatch.setattr(csvfile, "_read_sample", recorded_sample)
    monkeypatch.setattr(csvfile.CsvReader, "__enter__", recorded_enter)
    try:
        wizard = open_import_wizard(qtbot, window)
        choose_file(qtbot, wizard, path)
        go_next(qtbot, wizard)
        wait_checked(qtbot, wizard)
        wizard.mapping_page.create_fields_check.setChecked(True)
        wait_checked(qtbot, wizard)
        go_next(qtbot, wizard)
        wizard.options_page.subscribe_check.setChecked(True)
        qtbot.waitUntil(wizard.options_page.isComplete, timeout=30_000)
        go_next(qtbot, wizard)
        review = wizard.review_page
        qtbot.waitUntil(review.dry_run_button.isEnabled, timeout=30_000)
        click(qtbot, review.dry_run_button)
        qtbot.waitUntil(lambda: review.dry_run_summary is not None, timeout=60_000)
        go_next(qtbot, wizard)
        qtbot.waitUntil(wizard.run_page.isComplete, timeout=60_000)
        assert wizard.run_page.summary.status == "completed"
    finally:
        event.remove(window.store.engine, "before_cursor_execute", recorder.sql)
    assert recorder.sql_on_main == []
    assert recorder.file_on_main == []
    assert recorder.sql_elsewhere > 0 and recorder.file_elsewhere > 0


def test_data_menu_opens_the_wizard_on_the_selected_database(
    qtbot: Any, window: MainWindow
) -> None:
    window.databases_view.select_database(DATABASE)
    assert window.import_action.text() == "&Import profiles…"
    data_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Data")
    assert window.import_action in data_menu.actions()
    window.import_action.trigger()
    wizard = window.import_wizard
    assert wizard is not None
    qtbot.waitUntil(lambda: wizard.file_page.databases is not None, timeout=30_000)
    assert wizard.file_page.database() == DATABASE
    assert not next_enabled(wizard)
    wizard.reject()
    qtbot.waitUntil(lambda: window.import_wizard is None)


# -- refusals at the end ---------------------------------------------------------------------
def _to_review(qtbot: Any, window: MainWindow, path: Path) -> ImportWizard:
    wizard = open_import_wizard(qtbot, window)
    choose_file(qtbot, wizard, path)
    go_next(qtbot, wizard)
    wait_checked(qtbot, wizard)
    go_next(qtbot, wizard)
    go_next(qtbot, wizard)
    review = wizard.review_page
    qtbot.waitUntil(lambda: not review.is_checking(), timeout=30_000)
    return wizard


def test_a_rejects_folder_that_does_not_exist_blocks_the_import(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "one.csv"
    path.write_text("Email\none@example.org\n", encoding="utf-8")
    wizard = open_import_wizard(qtbot, window)
    choose_file(qtbot, wizard, path)
    go_next(qtbot, wizard)
    wait_checked(qtbot, wizard)
    go_next(qtbot, wizard)
    target = tmp_path / "no such folder" / "rejects.csv"
    wizard.options_page.rejects_edit.setText(str(target))
    go_next(qtbot, wizard)
    review = wizard.review_page
    qtbot.waitUntil(lambda: not review.is_checking(), timeout=30_000)
    assert review.problem == f"{target}: no folder {target.parent}"
    assert review.problem_label.text() == f"This import cannot run: {review.problem}"
    assert not review.dry_run_button.isEnabled()
    assert not next_enabled(wizard)
    wizard.reject()


def test_an_import_refused_at_start_shows_the_reason(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bulkprofiles_gui.core.importer import ImportFileError
    from bulkprofiles_gui.gui.import_wizard import run_page as run_page_module

    path = tmp_path / "one.csv"
    path.write_text("Email\none@example.org\n", encoding="utf-8")

    def refuse(*_args: Any, **_kwargs: Any) -> int:
        raise ImportFileError(f"{path}: cannot be read (Permission denied)")

    monkeypatch.setattr(run_page_module, "prepare_import", refuse)
    wizard = _to_review(qtbot, window, path)
    go_next(qtbot, wizard)
    run = wizard.run_page
    qtbot.waitUntil(run.isComplete, timeout=30_000)
    assert run.error == f"{path}: cannot be read (Permission denied)"
    assert run.error_label.text() == f"Error: {run.error}"
    assert run.status_label.text() == "The import did not start."
    assert not run.show_task_button.isEnabled()
    assert run.summary is None
