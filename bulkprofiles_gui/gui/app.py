"""Application start-up: ``bulkprofiles`` with no subcommand.

Opens the configured store in the background (creating it; on the first
start of an empty store making the demo data), marks runs of dead processes
interrupted, and shows the main window.  A store that cannot be opened is
told in one line with the Connections dialog on offer, never a traceback.
"""

from __future__ import annotations

import sys
import traceback
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox

from ..core.config import ConfigError, Settings
from .connections import resolve_store_url
from .main_window import MainWindow
from .resources import apply_style
from .ui_settings import APPLICATION, ORGANIZATION


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
    """Last resort for an exception escaping a slot: the traceback goes to stderr,
    the operator gets one readable line (never a traceback dialog)."""
    traceback.print_exception(kind, exc, tb, file=sys.stderr)
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"{kind.__name__}: {first}" if first else kind.__name__
    parent = QApplication.activeWindow()
    QMessageBox.warning(parent, "bulkprofiles", f"Something went wrong: {text}")


def run_app(db_url: str | None = None) -> int:
    app = make_application()
    sys.excepthook = show_unexpected_error
    window = start_main_window(db_url)
    code = app.exec()
    window.shutdown()
    return code
