"""Application start-up (replaced by the full main window in the GUI issue)."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

from ..core.config import Settings
from ..core.store import open_store


def run_app(db_url: str | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    store = open_store(Settings.load().resolve_url(db_url), create=True)
    window = QMainWindow()
    window.setWindowTitle(f"bulkprofiles — {store.display_url}")
    window.setCentralWidget(QLabel("bulkprofiles"))
    window.resize(1280, 800)
    window.show()
    return app.exec()
