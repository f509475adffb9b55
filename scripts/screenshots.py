"""Render every view and wizard page of bulkprofiles to docs/screenshots/*.png.

Runs offscreen on a throw-away demo store (its settings and data in a temp
dir, never the user's), with the same Fusion style and style sheet as the
app.  Usage::

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--profiles 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

TMP = Path(tempfile.mkdtemp(prefix="bulkprofiles-shots-"))
os.environ["BULKPROFILES_CONFIG_DIR"] = str(TMP / "config")
os.environ["BULKPROFILES_DATA_DIR"] = str(TMP / "data")
os.environ["BULKPROFILES_LOG_DIR"] = str(TMP / "log")
os.environ.pop("BULKPROFILES_DB_URL", None)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QDeadlineTimer, QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402
from sqlalchemy import delete, insert, select, text  # noqa: E402

from bulkprofiles_gui.core import models as m  # noqa: E402
from bulkprofiles_gui.core.config import Settings  # noqa: E402
from bulkprofiles_gui.core.demo import generate_demo  # noqa: E402
from bulkprofiles_gui.core.export import database_columns  # noqa: E402
from bulkprofiles_gui.core.fields import FieldType  # noqa: E402
from bulkprofiles_gui.core.importer import MERGING  # noqa: E402
from bulkprofiles_gui.core.jobfile import Job  # noqa: E402
from bulkprofiles_gui.core.jobs import run_job  # noqa: E402
from bulkprofiles_gui.core.progress import JobState  # noqa: E402
from bulkprofiles_gui.core.store import Store, open_store  # noqa: E402
from bulkprofiles_gui.gui.app import make_application, start_main_window  # noqa: E402
from bulkprofiles_gui.gui.dialogs.base import ConfirmDialog  # noqa: E402
from bulkprofiles_gui.gui.dialogs.database import AddFieldDialog  # noqa: E402
from bulkprofiles_gui.gui.export_run import column_choices  # noqa: E402
from bulkprofiles_gui.gui.main_window import MainWindow, View  # noqa: E402
from bulkprofiles_gui.gui.views.tasks import task_column_choices  # noqa: E402
from bulkprofiles_gui.gui.widgets.export_columns import ExportColumnsDialog  # noqa: E402
from bulkprofiles_gui.gui.wizard.wizard import PageId, UpdateWizard  # noqa: E402

WINDOW_SIZE = (1280, 800)
WIZARD_SIZE = (1100, 780)
#: The sizes the export screenshots are taken at (a large and a small screen).
EXPORT_SIZES = ((1280, 800), (1024, 680))
EXPORT_COLUMNS = ["id", "email", "first_name", "city", "tags", "bonus_points"]
DEMO = "Demo customers"

RULES: dict[str, Any] = {
    "combinator": "and",
    "not": False,
    "rules": [
        {"field": "city", "operator": "in", "value": ["Berlin", "Hamburg", "Munich"]},
        {
            "combinator": "or",
            "not": False,
            "rules": [
                {"field": "bonus_points", "operator": ">=", "value": 100},
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
                            "value": {"resource": "Newsletter", "channel": "email"},
                        }
                    ],
                },
            ],
        },
    ],
}

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def example_action(name: str) -> dict[str, Any]:
    """The action of ``examples/<name>.json``."""
    action: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text("utf-8"))["action"]
    return action


#: The action each wizard page is shown with.  The example files' actions where
#: they show the page fully; three are the screenshots' own on purpose, to show
#: more of their page: every kind of field change (set, increment, add tags,
#: clear), the Phones source of an SMS subscription, two channels at once.
ACTION_SAMPLES: dict[str, dict[str, Any]] = {
    "update_fields": {
        "type": "update_fields",
        "changes": [
            {"field": "city", "op": "set", "value": "Berlin"},
            {"field": "bonus_points", "op": "increment", "value": 10},
            {"field": "tags", "op": "add", "value": ["vip"]},
            {"field": "last_name", "op": "clear"},
        ],
    },
    "subscribe_from_fields": {
        "type": "subscribe_from_fields",
        "resource": "SMS alerts",
        "channel": "sms",
        "status": "subscribed",
        "source_field": "phones",
        "include_unsafe": False,
    },
    "subscribe_from_resource": {
        "type": "subscribe_from_resource",
        "source_resource": "Shop",
        "resource": "Newsletter",
        "channels": ["email", "push"],
        "status": "subscribed",
        "include_unsafe": False,
    },
    "update_subscriptions": example_action("update-subscriptions-unsubscribe-bounced"),
    "promo_codes": example_action("promo-codes-attach-winter-sale"),
    "delete_profiles": example_action("delete-profiles-inactive"),
    "global_unsubscribe": example_action("global-unsubscribe-complainers"),
}


def spin(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_for(condition: Callable[[], bool], timeout_ms: int = 60_000) -> None:
    deadline = QDeadlineTimer(timeout_ms)
    while not condition():
        if deadline.hasExpired():
            raise TimeoutError("the window did not get ready in time")
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    spin(150)


def save(widget: QWidget, out: Path, name: str) -> None:
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    print(f"  {path}")


def make_store(profiles: int) -> str:
    url = f"sqlite:///{TMP / 'store.sqlite3'}"
    store = open_store(url, create=True)
    try:
        generate_demo(store, profiles=profiles, seed=7, database_name=DEMO)
        history(store)
    finally:
        store.close()
    return url


def history(store: Store) -> None:
    """A few tasks so that the Tasks view has something to show."""
    berlin = {
        "combinator": "and",
        "not": False,
        "rules": [{"field": "city", "operator": "=", "value": "Berlin"}],
    }
    jobs = [
        (ACTION_SAMPLES["update_subscriptions"], False),
        (ACTION_SAMPLES["promo_codes"], True),
        (ACTION_SAMPLES["global_unsubscribe"], False),
        (ACTION_SAMPLES["update_fields"], False),
    ]
    for action, dry_run in jobs:
        run_job(store, Job(database=DEMO, rules=berlin, action=action), JobState(), dry_run=dry_run)


#: Every page and view is also rendered at these sizes (a large and a small screen).
PAGE_SIZES = ((1280, 800), (1024, 680))


def save_at_sizes(widget: QWidget, out: Path, name: str) -> None:
    """``name`` at the widget's size, then ``name-WxH`` at each of PAGE_SIZES."""
    own = widget.size()
    save(widget, out, name)
    for width, height in PAGE_SIZES:
        widget.resize(width, height)
        spin(250)
        save(widget, out, f"{name}-{width}x{height}")
    widget.resize(own)
    spin(150)


def shoot_views(window: MainWindow, out: Path) -> None:
    window.show_view(View.DATABASES)
    wait_for(lambda: window.databases_view.fields_table.topLevelItemCount() > 0)
    save_at_sizes(window, out, "main-window")
    window.show_view(View.SEGMENTS)
    wait_for(lambda: window.segments_view.table.topLevelItemCount() > 0)
    save_at_sizes(window, out, "segments")
    window.show_view(View.TASKS)
    wait_for(lambda: window.tasks_view.table.topLevelItemCount() > 0)
    window.tasks_view.select_task(window.tasks_view.tasks[-1].id)
    spin(200)
    save_at_sizes(window, out, "tasks")
    tasks = window.tasks_view
    tasks.status_filter.setCurrentIndex(tasks.status_filter.findData("failed"))
    wait_for(lambda: not tasks.busy() and tasks.table.topLevelItemCount() == 0)
    save_at_sizes(window, out, "tasks-none-matching")
    tasks.status_filter.setCurrentIndex(0)
    wait_for(lambda: not tasks.busy() and tasks.table.topLevelItemCount() > 0)
    shoot_connections(window, out)


def shoot_connections(window: MainWindow, out: Path) -> None:
    """File -> Connections at its own size, then with a failed test's one line
    (a server that is not there) at each of PAGE_SIZES."""
    dialog = window.show_connections()
    dialog.resize(760, 360)
    spin(300)
    save(dialog, out, "connections")
    dialog.new_button.click()
    dialog.name_edit.setText("Team server")
    dialog.url_edit.setText("postgresql+psycopg://ops@127.0.0.1:1/profiles")
    dialog.test_button.click()
    wait_for(lambda: not dialog.is_testing())
    save_at_sizes(dialog, out, "connections-test-failed")
    dialog.reject()


def open_wizard(window: MainWindow) -> UpdateWizard:
    window.show_view(View.DATABASES)
    wizard = window.open_update_wizard(DEMO)
    assert wizard is not None
    wizard.resize(*WIZARD_SIZE)
    wait_for(lambda: wizard.selection_page.counted())
    return wizard


def shoot_wizard(window: MainWindow, out: Path) -> None:
    wizard = open_wizard(window)
    page = wizard.selection_page
    page.rule_builder.set_rules(RULES)
    page.range_slider.setValue((0, 80))
    page.limit_spin.setValue(500)
    wait_for(lambda: page.counted())
    save_at_sizes(wizard, out, "wizard-1-selection")
    shoot_selection_extras(wizard, out)
    wizard.next()
    wizard.action_choice_page.set_action_type("update_fields")
    spin(200)
    save_at_sizes(wizard, out, "wizard-2-action")
    for number, (action_type, action) in enumerate(ACTION_SAMPLES.items(), start=1):
        wizard.action_choice_page.set_action_type(action_type)
        wizard.next()
        assert wizard.currentId() != PageId.ACTION
        shown_page = wizard.action_page(action_type)
        wait_for(partial(lambda p: not p.is_loading(), shown_page))  # read in the background
        shown_page.load_action(action)
        spin(300)
        save_at_sizes(wizard, out, f"wizard-3-{number}-{action_type.replace('_', '-')}")
        wizard.back()
    wizard.action_choice_page.set_action_type("update_subscriptions")
    wizard.next()
    subscriptions = wizard.action_page("update_subscriptions")
    wait_for(lambda: not subscriptions.is_loading())
    subscriptions.load_action(ACTION_SAMPLES["update_subscriptions"])
    wait_for(lambda: subscriptions.isComplete())
    wizard.next()
    review = wizard.review_page
    wait_for(lambda: review.facts is not None or review.problem is not None)
    review.start_dry_run()
    wait_for(lambda: review.dry_run_summary is not None and review.isComplete())
    save_at_sizes(wizard, out, "wizard-4-review")
    wizard.next()
    wait_for(lambda: wizard.run_page.isComplete())
    save_at_sizes(wizard, out, "wizard-5-run")
    wizard.accept()
    spin(300)


def shoot_selection_extras(wizard: UpdateWizard, out: Path) -> None:
    """The selection page with a limit above the database's size, and with a
    saved segment as the source (its own conditions shown read-only)."""
    page = wizard.selection_page
    rules, limit = page.rule_builder.rules(), page.limit_spin.value()
    page.limit_spin.setValue(999_999)
    wait_for(lambda: page.counted())
    save_at_sizes(wizard, out, "wizard-1-selection-limit")
    page.limit_spin.setValue(limit)
    segment = next(
        page.source_combo.itemData(i)
        for i in range(page.source_combo.count())
        if page.source_combo.itemData(i).segment is not None
    )
    page.source_combo.setCurrentIndex(page.source_combo.findData(segment))
    wait_for(lambda: page.counted())
    save_at_sizes(wizard, out, "wizard-1-selection-segment")
    page.source_combo.setCurrentIndex(0)
    wait_for(lambda: page.counted() and page.current_source() is not None)
    page.rule_builder.set_rules(rules)
    page.range_slider.setValue((0, 80))
    wait_for(lambda: page.counted())


#: A selection whose conditions compare fields with fields ("another field"),
#: and one with "a value".
FIELD_RULES: dict[str, Any] = {
    "combinator": "and",
    "not": False,
    "rules": [
        {"field": "city", "operator": "in", "value": ["Berlin", "Hamburg"]},
        {"field": "average_check", "operator": ">", "value": "age", "valueSource": "field"},
        {"field": "bonus_points", "operator": ">=", "value": 100},
        {
            "field": "last_purchase_on",
            "operator": "between",
            "value": ["birthday", "registered_at"],
            "valueSource": "field",
        },
    ],
}


def shoot_field_rules(window: MainWindow, out: Path) -> None:
    """The selection page with conditions that compare a field with another field."""
    wizard = open_wizard(window)
    page = wizard.selection_page
    page.rule_builder.set_rules(FIELD_RULES)
    wait_for(lambda: page.counted())
    for width, height in EXPORT_SIZES:
        wizard.resize(width, height)
        spin(300)
        save(wizard, out, f"wizard-1-selection-fields-{width}x{height}")
    wizard.reject()
    spin(200)


def shoot_export(window: MainWindow, out: Path) -> None:
    """The selection page after an export, and the column chooser (selection and task)."""
    wizard = open_wizard(window)
    page = wizard.selection_page
    page.rule_builder.set_rules(RULES)
    wait_for(lambda: page.counted())
    run = page.start_export(EXPORT_COLUMNS, str(TMP / "Demo-customers.csv"))
    wait_for(lambda: not run.is_running())
    for width, height in EXPORT_SIZES:
        wizard.resize(width, height)
        spin(300)
        save(wizard, out, f"wizard-1-selection-export-{width}x{height}")
    assert window.store is not None and page.ctx.database_id is not None
    fields = column_choices(database_columns(window.store, page.ctx.database_id))
    dialog = ExportColumnsDialog(fields, parent=wizard)
    dialog.set_chosen(EXPORT_COLUMNS)
    dialog.show()
    for width, height in EXPORT_SIZES:
        dialog.resize(width, height)
        spin(300)
        save(dialog, out, f"export-columns-{width}x{height}")
    dialog.resize(560, 520)
    spin(300)
    save(dialog, out, "export-columns")
    dialog.reject()
    fixed, choices = task_column_choices(database_columns(window.store, page.ctx.database_id))
    task_dialog = ExportColumnsDialog(
        choices, fixed=fixed, what="profiles of task 4", parent=window
    )
    task_dialog.set_chosen(["email", "city"])
    task_dialog.show()
    spin(300)
    save(task_dialog, out, "export-columns-task")
    task_dialog.reject()
    wizard.reject()
    spin(300)


#: The sizes the catalogue dialogs are also rendered at (a large and a small screen).
CATALOG_SIZES = ((1280, 800), (1024, 680))


def save_sizes(widget: QWidget, out: Path, name: str) -> None:
    """``name`` at the widget's own size, then at each of CATALOG_SIZES."""
    own = widget.size()
    save(widget, out, name)
    for width, height in CATALOG_SIZES:
        widget.resize(width, height)
        spin(200)
        save(widget, out, f"{name}-{width}x{height}")
    widget.resize(own)


def shoot_confirmation(out: Path, name: str, start: Callable[[], None]) -> None:
    """Start an action that asks first; render its question and answer Cancel."""
    shown: list[ConfirmDialog] = []
    original = ConfirmDialog.exec

    def render(dialog: ConfirmDialog) -> int:
        dialog.show()
        spin(300)
        save(dialog, out, name)
        shown.append(dialog)
        dialog.reject()
        return 0

    ConfirmDialog.exec = render  # type: ignore[method-assign, assignment]
    try:
        start()
        wait_for(lambda: bool(shown))
    finally:
        ConfirmDialog.exec = original  # type: ignore[method-assign]


def shoot_catalog(window: MainWindow, out: Path) -> None:
    """The Databases view on a small screen and the catalogue dialogs."""
    view = window.databases_view
    window.show_view(View.DATABASES)
    view.select_database(DEMO)
    wait_for(lambda: view.fields_table.topLevelItemCount() > 0 and not view.busy())
    view.select_field("bonus_points")
    window.resize(1024, 680)
    spin(300)
    save(window, out, "databases-1024x680")
    window.resize(*WINDOW_SIZE)
    spin(200)

    new_database = view.new_database()
    assert new_database is not None
    new_database.name_edit.setText("Web shop customers")
    new_database.description_edit.setPlainText("Customers who ordered in the web shop")
    spin(300)
    save_sizes(new_database, out, "catalog-new-database")
    new_database.reject()

    add_field = view.add_field()
    assert isinstance(add_field, AddFieldDialog)
    add_field.key_edit.setText("favourite_shop")
    add_field.label_edit.setText("Favourite shop")
    add_field.set_field_type(FieldType.ENUM)
    add_field.options_edit.setText("Berlin Mitte, Hamburg, Munich")
    spin(300)
    save_sizes(add_field, out, "catalog-add-field")
    add_field.reject()

    resources = view.show_resources()
    assert resources is not None
    wait_for(lambda: resources.list.count() > 0 and not resources.busy())
    resources.list.setCurrentRow(1)
    spin(300)
    save_sizes(resources, out, "catalog-resources")
    resources.reject()

    codes = TMP / "winter-codes.csv"
    codes.write_text(
        "code;valid until\n"
        + "".join(f"WINTER-{i:04d};2026-03-31\n" for i in range(500))
        + "WINTER-0001;2026-03-31\n"
        + "X" * 70
        + ";2026-03-31\n",
        encoding="utf-8",
    )
    programs = view.show_programs()
    assert programs is not None
    wait_for(lambda: programs.table.topLevelItemCount() > 0 and not programs.busy())
    programs.select_program("Winter sale")
    programs.choose_codes_file = lambda: str(codes)  # type: ignore[method-assign]
    programs.load_codes()
    wait_for(lambda: programs.last_summary is not None and not programs.busy())
    save_sizes(programs, out, "catalog-programs")
    programs.reject()

    shoot_confirmation(out, "catalog-delete-database", view.delete_database)
    shoot_confirmation(out, "catalog-remove-field", view.remove_field)
    wait_for(lambda: not view.busy())


#: The sizes the import wizard is rendered at (a large and a small screen).
IMPORT_SIZES = ((1280, 800), (1024, 680))


def save_import_page(wizard: QWidget, out: Path, name: str) -> None:
    """``name`` at 1280x800, ``name-1024x680`` at the small size."""
    for width, height in IMPORT_SIZES:
        wizard.resize(width, height)
        spin(250)
        save(
            wizard, out, name if (width, height) == IMPORT_SIZES[0] else f"{name}-{width}x{height}"
        )


def import_sample(store: Store) -> Path:
    """A CSV an operator might bring: some known customers, some new, a few bad rows."""
    p = store.profiles
    with store.begin() as conn:
        known = list(
            conn.execute(select(p.c.email).where(p.c.email.is_not(None)).limit(30)).scalars()
        )
    towns = ["Lisbon", "Porto", "Faro", "Braga", "Coimbra", "Evora"]
    lines = ["Email;First name;Last name;Town;Loyalty tier;Score;Member since;Notes"]
    for i in range(60):
        email = known[i] if i < len(known) else f"new.customer{i}@example.org"
        if i in (17, 41):
            email = f"broken-address-{i}"
        since = f"20{15 + i % 9:02d}-{1 + i % 12:02d}-{1 + i % 27:02d}"
        note = "prefers SMS" if i % 7 == 0 else ""
        lines.append(
            f"{email};Name{i};Family{i};{towns[i % len(towns)]};"
            f"{['bronze', 'silver', 'gold'][i % 3]};{(i * 37) % 500};{since};{note}"
        )
    path = TMP / "spring-fair-leads.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def shoot_import(window: MainWindow, out: Path) -> None:
    """The five pages of the import wizard, each at 1280x800 and 1024x680."""
    from bulkprofiles_gui.gui.import_wizard.mapping_page import SKIP

    assert window.store is not None
    path = import_sample(window.store)
    window.show_view(View.DATABASES)
    wizard = window.open_import_wizard(DEMO)
    assert wizard is not None
    page = wizard.file_page
    wait_for(lambda: page.databases is not None)
    page.set_path(str(path))
    wait_for(lambda: page.isComplete())
    save_import_page(wizard, out, "import-1-file")
    wizard.next()
    mapping = wizard.mapping_page
    wait_for(lambda: mapping.isComplete())
    mapping.set_choice("Town", "city")
    mapping.set_choice("Notes", SKIP)
    mapping.create_fields_check.setChecked(True)
    wait_for(lambda: mapping.isComplete())
    save_import_page(wizard, out, "import-2-mapping")
    wizard.next()
    options = wizard.options_page
    options.subscribe_check.setChecked(True)
    wait_for(lambda: options.resource_combo.findData("Newsletter") >= 0)
    options.resource_combo.setCurrentIndex(options.resource_combo.findData("Newsletter"))
    wait_for(lambda: options.isComplete())
    save_import_page(wizard, out, "import-3-options")
    wizard.next()
    review = wizard.review_page
    wait_for(lambda: review.facts is not None or review.problem is not None)
    shoot_import_dry_run(wizard, out)
    review.start_dry_run()
    wait_for(lambda: review.dry_run_summary is not None and review.isComplete())
    save_import_page(wizard, out, "import-4-review")
    wizard.next()
    wait_for(lambda: wizard.run_page.isComplete())
    save_import_page(wizard, out, "import-5-run")
    wizard.accept()
    spin(300)


@contextmanager
def slow_import_merge(batch: int, seconds: float) -> Iterator[None]:
    """Merge batches of ``batch`` rows, each ``seconds`` longer: the sample file
    of 60 rows then runs as long as a file of hundreds of thousands would."""
    from bulkprofiles_gui.core.importer import runner

    saved = runner.FIRST_BATCH, runner._next_size, runner._merge_batch
    original = runner._merge_batch

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(seconds)
        return original(*args, **kwargs)

    def same_size(size: int, seconds: float) -> int:
        return size

    runner.FIRST_BATCH, runner._next_size, runner._merge_batch = batch, same_size, slow
    try:
        yield
    finally:
        runner.FIRST_BATCH, runner._next_size, runner._merge_batch = saved


def shoot_import_dry_run(wizard: Any, out: Path) -> None:
    """The import review while its dry run runs (phase, rows, Cancel) and after a
    cancel, each at 1280x800 and 1024x680."""
    review = wizard.review_page

    def part_way() -> bool:
        bar = review.dry_run_progress.bar
        return review.dry_run_phase == MERGING and 0 < bar.value() < bar.maximum()

    with slow_import_merge(batch=4, seconds=0.4):
        review.start_dry_run()
        wait_for(part_way)
        save_import_page(wizard, out, "import-4-review-dry-running")
        review.cancel_dry_run()
        wait_for(lambda: review.dry_run_summary is not None and review.isComplete())
    save_import_page(wizard, out, "import-4-review-dry-cancelled")


def shoot_upgrade_notice(out: Path, profiles: int) -> None:
    """The status bar after opening a store of an older schema, at 1280x800 and
    1024x680.  The store is a new one taken back to how stores were before
    migrations (no ``alembic_version``, ``schema_version`` 1)."""
    url = f"sqlite:///{TMP / 'old-store.sqlite3'}"
    store = open_store(url, create=True)
    try:
        generate_demo(store, profiles=profiles, seed=7, database_name=DEMO)
        with store.begin() as conn:
            conn.execute(text("DROP TABLE alembic_version"))
            conn.execute(text("UPDATE store_meta SET value = '1' WHERE key = 'schema_version'"))
    finally:
        store.close()
    window = start_main_window(url)
    wait_for(lambda: window.databases_view.fields_table.topLevelItemCount() > 0)
    for width, height in EXPORT_SIZES:
        window.resize(width, height)
        spin(300)
        save(window, out, f"store-upgraded-{width}x{height}")
    window.close()
    window.shutdown()


REVIEW_SIZES = ((1280, 800), (1024, 680))


def open_review_of(window: MainWindow, name: str, job: dict[str, Any]) -> UpdateWizard:
    """File -> Open job... with ``job``, then Next up to the checked review page."""
    path = TMP / f"{name}.json"
    path.write_text(json.dumps(job), encoding="utf-8")
    wizard = window.open_job_path(str(path))
    assert wizard is not None
    wait_for(lambda: wizard.selection_page.counted())
    while wizard.currentId() != PageId.REVIEW:
        wizard.next()
        spin(200)
    review = wizard.review_page
    wait_for(lambda: review.facts is not None or review.problem is not None)
    return wizard


def shoot_review_preflight(window: MainWindow, out: Path) -> None:
    """The review page of a job with nothing to do, and of a deletion (what it
    would really delete) while another task runs on the database."""
    unsubscribed = {"rules": [{"field": "$status", "operator": "=", "value": "unsubscribed"}]}
    nothing = {"database": DEMO, "rules": unsubscribed, "action": {"type": "global_unsubscribe"}}
    inactive = {"rules": [{"field": "city", "operator": "in", "value": ["Berlin", "Hamburg"]}]}
    deletion = {"database": DEMO, "rules": inactive, "action": {"type": "delete_profiles"}}
    store = window.store
    assert store is not None
    now = m.utcnow()
    with store.begin() as conn:  # a task "another operator" runs right now
        running = conn.execute(
            insert(m.Task)
            .values(
                action_type="update_fields",
                database_id=store.database_id(conn, DEMO),
                database_name=DEMO,
                job={"database": DEMO},
                operator="anna",
                status="running",
                runner="workstation-7:4242",
                created_at=now,
                started_at=now,
                heartbeat_at=now,
            )
            .returning(m.Task.id)
        ).scalar_one()
    for name, job in (("review-nothing-to-do", nothing), ("review-busy-deletion", deletion)):
        wizard = open_review_of(window, name, job)
        for width, height in REVIEW_SIZES:
            wizard.resize(width, height)
            spin(300)
            save(wizard, out, f"{name}-{width}x{height}")
        facts = wizard.review_page.facts
        if name == "review-busy-deletion" and facts is not None:
            question = wizard.review_page.second_job_question(facts.running)
            question.show()
            spin(300)
            save(question, out, "review-second-job-question")
            question.reject()
        wizard.reject()
        spin(200)
    with store.begin() as conn:
        conn.execute(delete(m.Task).where(m.Task.id == running))


def shoot_revert(window: MainWindow, out: Path) -> None:
    """Tasks -> Revert…: the dialog after its dry run, then the Tasks view with
    the finished revert selected, at a large and a small screen size."""
    view = window.tasks_view
    window.show_view(View.TASKS)
    view.refresh()
    wait_for(lambda: not view.busy() and bool(view.tasks))
    task = next(t for t in view.tasks if t.action_type == "update_fields" and not t.dry_run)
    view.select_task(task.id)
    spin(200)
    view.revert_button.click()
    dialog = view.revert_dialog
    assert dialog is not None
    wait_for(lambda: dialog.plan is not None and not dialog.busy())
    dialog.dry_button.click()
    wait_for(lambda: not dialog.busy() and dialog.dry_result.text().startswith("Dry run ("))
    save_sizes(dialog, out, "revert-dialog")
    dialog.revert_button.click()

    def reverted() -> bool:
        chosen = view.selected_task()
        return (
            not view.run_active()
            and chosen is not None
            and chosen.revert_of == task.id
            and chosen.status == "completed"
        )

    wait_for(reverted)
    for width, height in CATALOG_SIZES:
        window.resize(width, height)
        spin(300)
        save(window, out, f"tasks-revert-{width}x{height}")
    window.resize(*WINDOW_SIZE)


def shoot_store_fault(window: MainWindow, out: Path) -> None:
    """The disk of the store fills up in the second batch of a wizard's job: the
    run page says the task was interrupted (one line), the Tasks view offers
    to resume it; at a large and a small screen size."""
    from bulkprofiles_gui.core import jobs

    tag = {
        "type": "update_fields",
        "changes": [{"field": "tags", "op": "add", "value": ["t" * 200]}],
    }
    job = {"database": DEMO, "range": {"from": 0, "to": 20}, "action": tag}
    real, calls = jobs._apply_batch, []

    def second_batch_fills_the_disk(conn: Any, run: Any, batch: Any) -> Any:
        calls.append(batch.lo)
        if len(calls) == 2:
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
            conn.exec_driver_sql(f"PRAGMA max_page_count={pages}")
        return real(conn, run, batch)

    window.settings.batch_size = 100
    jobs._apply_batch = second_batch_fills_the_disk
    try:
        wizard = open_review_of(window, "store-fault", job)
        wizard.next()
        wait_for(lambda: wizard.run_page.isComplete())
    finally:
        jobs._apply_batch = real
    for width, height in REVIEW_SIZES:
        wizard.resize(width, height)
        spin(300)
        save(wizard, out, f"run-store-fault-{width}x{height}")
    task_id = wizard.run_page.task_id
    wizard.accept()
    assert window.store is not None and task_id is not None
    window.store.engine.dispose()  # room again, for what follows
    view = window.tasks_view
    window.show_view(View.TASKS)
    view.refresh()
    wait_for(lambda: not view.busy() and view.select_task(task_id))
    for width, height in REVIEW_SIZES:
        window.resize(width, height)
        spin(300)
        save(window, out, f"tasks-interrupted-{width}x{height}")
    window.resize(*WINDOW_SIZE)
    window.settings.batch_size = Settings().batch_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/screenshots", type=Path)
    parser.add_argument("--profiles", default=5000, type=int)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    url = make_store(args.profiles)
    app = make_application()
    font = app.font()
    font.setPointSize(10)
    app.setFont(font)
    window = start_main_window(url)
    window.resize(*WINDOW_SIZE)
    wait_for(lambda: window.store is not None)
    print(f"Screenshots of a {args.profiles:,}-profile demo store:")
    shoot_views(window, args.out)
    shoot_wizard(window, args.out)
    shoot_field_rules(window, args.out)
    shoot_catalog(window, args.out)
    shoot_export(window, args.out)
    shoot_import(window, args.out)
    shoot_review_preflight(window, args.out)
    shoot_revert(window, args.out)
    shoot_store_fault(window, args.out)
    window.close()
    window.shutdown()
    shoot_upgrade_notice(args.out, args.profiles)
    return 0


if __name__ == "__main__":
    sys.exit(main())
