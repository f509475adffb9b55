"""Application start-up: ``bulkprofiles`` with no subcommand, and ``--self-check``.

Opens the configured store in the background (creating it; on the first
start of an empty store making the demo data), marks runs of dead processes
interrupted, and shows the main window.  A store that cannot be opened is
told in one line with the Connections dialog on offer, never a traceback.

``bulkprofiles --self-check`` (:func:`run_self_check`) proves that an
installation or a bundle works as a whole: Qt with its platform, image and
icon plugins, the resources, the store drivers, the window and its views, a
job in the background.  It touches none of the user's files.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import (
    QEventLoop,
    QMessageLogContext,
    QObject,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtGui import QImageReader
from PySide6.QtWidgets import QApplication, QMessageBox

from ..core.config import ConfigError, Settings
from .connections import resolve_store_url
from .main_window import MainWindow
from .resources import apply_style, icon, style_sheet
from .ui_settings import APPLICATION, ORGANIZATION
from .views.base import operator_message
from .worker import ops


def make_application() -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    apply_style(app)
    return app


def load_settings() -> tuple[Settings, str | None]:
    """The settings, or the defaults with the reason the file was not usable."""
    try:
        return Settings.load(), None
    except ConfigError as exc:
        return Settings(), str(exc)


def start_main_window(db_url: str | None = None) -> MainWindow:
    """Show the window and start opening the store (for run_app and the tests)."""
    settings, problem = load_settings()
    window = MainWindow(settings)
    window.show()
    if problem:
        QMessageBox.warning(window, "Settings", f"{problem}\nThe default settings are used.")
    url, name = resolve_store_url(settings, db_url)
    window.connect_store(url, name, make_demo=True)
    return window


def show_unexpected_error(
    kind: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    """Last resort for an exception escaping a slot: the traceback goes to the
    log file, the operator gets one readable line saying where it is (never a
    traceback, on the screen or the terminal)."""
    from ..core.faults import details_note, log_exception, redact, store_fault

    if exc.__traceback__ is None:
        exc = exc.with_traceback(tb)
    log = log_exception(exc, "an exception escaped an action of the window")
    fault = store_fault(exc)
    if fault is not None:
        text = str(fault)
    else:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        text = f"Something went wrong: {kind.__name__}" + (f": {redact(first)}" if first else "")
    parent = QApplication.activeWindow()
    QMessageBox.warning(parent, "bulkprofiles", text + details_note(log))


def run_app(db_url: str | None = None) -> int:
    app = make_application()
    sys.excepthook = show_unexpected_error
    window = start_main_window(db_url)
    code = app.exec()
    window.shutdown()
    return code


# -- self-check ------------------------------------------------------------------

#: The demo store of the self-check, and the job it runs: set the city of the
#: first ``SELF_CHECK_LIMIT`` profiles.
SELF_CHECK_PROFILES = 300
SELF_CHECK_LIMIT = 50
SELF_CHECK_CITY = "Self-check city"
#: The whole check gives up (one line, exit 1) after this long, whatever hangs.
SELF_CHECK_TIMEOUT_S = 120.0
#: Any one step (opening the store, the job, a count) gives up after this long.
STEP_TIMEOUT_S = 60.0


class SelfCheckFailed(Exception):
    """A step of the self-check went wrong; the message is the one line shown."""


def run_self_check() -> int:
    """Open the window offscreen on a temporary demo store, run a small job
    through the GUI's worker thread, check its result, close: 0 when all of it
    worked, else 1 with one line on stderr."""
    started = time.monotonic()
    watchdog = threading.Timer(SELF_CHECK_TIMEOUT_S, _give_up)
    watchdog.daemon = True
    watchdog.start()
    previous_handler = qInstallMessageHandler(_without_offscreen_notes)
    try:
        with _temporary_home() as folder:
            report = _self_check(folder)
    except Exception as exc:  # every failure is one line, never a traceback
        print(f"bulkprofiles: self-check failed: {_first_line(exc)}", file=sys.stderr)
        return 1
    finally:
        qInstallMessageHandler(previous_handler)
        watchdog.cancel()
    print(f"bulkprofiles: self-check passed in {time.monotonic() - started:.1f} s: {report}")
    return 0


#: What Qt's offscreen platform says about features it lacks: not a problem.
OFFSCREEN_NOTES = ("This plugin does not support",)


def _without_offscreen_notes(_kind: QtMsgType, _context: QMessageLogContext, text: str) -> None:
    """Qt's messages on stderr, as usual, less the offscreen platform's notes."""
    if not text.startswith(OFFSCREEN_NOTES):
        print(text, file=sys.stderr)


def _give_up() -> None:
    """The watchdog: something hung (a modal dialog, a thread); end the process."""
    print(
        f"bulkprofiles: self-check failed: no result after {SELF_CHECK_TIMEOUT_S:.0f} s",
        file=sys.stderr,
        flush=True,
    )
    os._exit(1)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return first if isinstance(exc, SelfCheckFailed) else f"{type(exc).__name__}: {first}"


@contextmanager
def _temporary_home() -> Iterator[Path]:
    """A temporary folder for the store, the settings and gui.ini; the window is
    offscreen.  The environment is restored afterwards."""
    saved = {
        key: os.environ.get(key)
        for key in (
            "QT_QPA_PLATFORM",
            "BULKPROFILES_CONFIG_DIR",
            "BULKPROFILES_DATA_DIR",
            "BULKPROFILES_LOG_DIR",
        )
    }
    with tempfile.TemporaryDirectory(prefix="bulkprofiles-self-check-") as name:
        folder = Path(name)
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        os.environ["BULKPROFILES_CONFIG_DIR"] = str(folder / "config")
        os.environ["BULKPROFILES_DATA_DIR"] = str(folder / "data")
        os.environ["BULKPROFILES_LOG_DIR"] = str(folder / "log")
        try:
            yield folder
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _self_check(folder: Path) -> str:
    from ..core.demo import DEFAULT_DATABASE_NAME

    url = f"sqlite:///{folder / 'store.sqlite3'}"
    _make_demo_store(url)
    _check_postgres_driver()
    app = make_application()
    _check_resources()
    window = MainWindow(Settings())
    window.show()
    try:
        window.connect_store(url, "Self-check")
        _wait_until(app, lambda: window.store is not None, "opening the store in the window")
        store = window.store
        view = window.databases_view
        _wait_until(app, lambda: view.row_named(DEFAULT_DATABASE_NAME) is not None, "the views")
        row = view.row_named(DEFAULT_DATABASE_NAME)
        if row is None or row.profiles != SELF_CHECK_PROFILES:
            found = row.profiles if row else 0
            raise SelfCheckFailed(f"the Databases view shows {found} profiles, not 300")
        changed, progress = _run_job(app, store)
        counted = _in_background(app, store, _count_city, "counting the changed profiles")
        if counted != SELF_CHECK_LIMIT:
            raise SelfCheckFailed(f"the job changed {changed} profiles but {counted} have the city")
    finally:
        window.close()
        app.processEvents()
    if window.isVisible():
        raise SelfCheckFailed("the window did not close")
    return (
        f"window ({app.platformName()}), store of {SELF_CHECK_PROFILES} demo profiles, "
        f"a job of {changed} profiles in the background ({progress} progress reports)"
    )


def _make_demo_store(url: str) -> None:
    """The temporary store with its small demo (before any window: set-up)."""
    from ..core.demo import generate_demo
    from ..core.store import open_store

    store = open_store(url, create=True)
    try:
        generate_demo(store, profiles=SELF_CHECK_PROFILES, seed=1)
    finally:
        store.close()


def _check_postgres_driver() -> None:
    """The PostgreSQL dialect and driver load (no connection is made)."""
    from ..core.store import make_engine

    make_engine("postgresql+psycopg://self-check@127.0.0.1:1/none").dispose()


def _check_resources() -> None:
    """The resources folder, the style sheet and the SVG plugins (icons, images)."""
    if "offscreen" not in QApplication.platformName():
        raise SelfCheckFailed(f"Qt runs on {QApplication.platformName()!r}, not offscreen")
    if not style_sheet():
        raise SelfCheckFailed("the style sheet resources/style.qss is missing")
    if icon("app").pixmap(32, 32).isNull():
        raise SelfCheckFailed("the app icon cannot be drawn (resources/ or the SVG icon engine)")
    if b"svg" not in [bytes(f.data()) for f in QImageReader.supportedImageFormats()]:
        raise SelfCheckFailed("Qt cannot read SVG images (imageformats plugin missing)")


def _run_job(app: QApplication, store: Any) -> tuple[int, int]:
    """The job through the wizard's own runner and ``JobRun`` (the window's one
    job-run helper, progress relay included); (changed, progress reports)."""
    from ..core.demo import DEFAULT_DATABASE_NAME
    from ..core.jobfile import Job
    from .job_progress import JobRun
    from .wizard.run_page import run_wizard_job

    job = Job(
        database=DEFAULT_DATABASE_NAME,
        limit=SELF_CHECK_LIMIT,
        action={
            "type": "update_fields",
            "changes": [{"field": "city", "op": "set", "value": SELF_CHECK_CITY}],
        },
    )
    settings = Settings()
    run = JobRun(lambda state, announce: run_wizard_job(store, job, state, announce, settings))
    reports: list[object] = []
    run.progressed.connect(reports.append)
    outcome: dict[str, Any] = {}
    run.done.connect(lambda result: outcome.setdefault("result", result))
    run.failed.connect(lambda exc: outcome.setdefault("error", exc))
    run.start()
    _wait_until(app, lambda: not run.is_running(), "the job")
    if "error" in outcome:
        raise SelfCheckFailed(f"the job: {operator_message(outcome['error'])}")
    summary = outcome["result"]
    if summary.status != "completed" or summary.changed != SELF_CHECK_LIMIT:
        raise SelfCheckFailed(
            f"the job ended {summary.status} with {summary.changed} of {SELF_CHECK_LIMIT} "
            f"profiles changed{': ' + summary.error if summary.error else ''}"
        )
    if not reports:
        raise SelfCheckFailed("no progress report reached the window")
    return summary.changed, len(reports)


def _count_city(store: Any) -> int:
    from ..core.demo import DEFAULT_DATABASE_NAME
    from ..core.jobfile import Job
    from ..core.selection import count, resolve_job_selection

    rules = {
        "combinator": "and",
        "rules": [{"field": "city", "operator": "=", "value": SELF_CHECK_CITY}],
    }
    job = Job(database=DEFAULT_DATABASE_NAME, rules=rules)
    with store.begin() as conn:
        return count(store, conn, resolve_job_selection(store, conn, job))


#: The owner of the self-check's own ops in ``worker.ops``.
SELF_CHECK_OPS = "self-check"


def _in_background(app: QApplication, store: Any, fn: Callable[[Any], Any], what: str) -> Any:
    """``fn(store)`` through ``worker.ops`` (as the views and pages run theirs);
    its result once the op's thread has ended."""
    outcome: dict[str, Any] = {}
    ops.run(
        store,
        fn,
        lambda result: outcome.setdefault("result", result),
        lambda line: outcome.setdefault("error", line),
        owner=SELF_CHECK_OPS,
    )
    _wait_until(app, lambda: bool(outcome), what)
    ops.wait(owner=SELF_CHECK_OPS)
    if "error" in outcome:
        raise SelfCheckFailed(f"{what}: {outcome['error']}")
    return outcome.get("result")


class _MessageBoxCatcher(QObject):
    """Closes any message box the window opens (offscreen, nobody would) and
    keeps its text; a timer, so it also fires inside the box's own event loop."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._close_boxes)
        self._timer.start()

    def _close_boxes(self) -> None:
        modal = QApplication.activeModalWidget()
        if isinstance(modal, QMessageBox):
            self.texts.append(" ".join(t for t in (modal.text(), modal.informativeText()) if t))
            modal.reject()


def _wait_until(app: QApplication, done: Callable[[], bool], what: str) -> None:
    """Run the event loop until ``done()``; fail on a timeout or when the window
    showed a message box."""
    catcher = app.findChild(_MessageBoxCatcher) or _MessageBoxCatcher()
    catcher.setParent(app)
    deadline = time.monotonic() + STEP_TIMEOUT_S
    while not done():
        if catcher.texts:
            raise SelfCheckFailed(f"{what}: the window said: {catcher.texts[0]}")
        if time.monotonic() > deadline:
            raise SelfCheckFailed(f"{what}: no result after {STEP_TIMEOUT_S:.0f} s")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.005)
