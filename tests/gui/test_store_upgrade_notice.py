"""The window says in its status bar that opening the store upgraded its schema
and names the copy of the old store (the full line in the store label's
tooltip), once; of a store whose upgrade needed no copy (only version-only
revisions pending on SQLite) it says nothing of a copy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from migration_helpers import fill_old_store, make_old_store, make_store_at

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.gui.app import start_main_window
from bulkprofiles_gui.gui.main_window import MainWindow

pytestmark = pytest.mark.usefixtures("qapp")


def _open(qtbot: Any, url: str) -> MainWindow:
    window = start_main_window(url)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.databases_view.table.topLevelItemCount() > 0, timeout=30_000)
    return window


def _upgrade_shown(qtbot: Any, url: str) -> tuple[str, str]:
    """The status bar's message and the store label's tooltip of a window
    opened on ``url``."""
    window = _open(qtbot, url)
    try:
        return window.statusBar().currentMessage(), window.store_label.toolTip()
    finally:
        window.close()
        window.shutdown()


def test_the_status_bar_says_the_store_was_upgraded(qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    url = f"sqlite:///{path}"
    make_old_store(url)
    fill_old_store(url)

    message, tooltip = _upgrade_shown(qtbot, url)
    backup = f"store.sqlite3.before-{m.SCHEMA_REVISION}.bak"
    assert message == f"Store upgraded to schema {m.SCHEMA_VERSION}; backup: {backup}"
    assert tooltip == (
        f"upgraded the store from schema version 1 to {m.SCHEMA_VERSION}; backup of the old "
        f"store: {path.with_name(backup)}"
    )

    assert _upgrade_shown(qtbot, url) == ("", "")  # opened again: nothing to say


def test_the_status_bar_names_no_copy_when_the_upgrade_needed_none(
    qtbot: Any, tmp_path: Path
) -> None:
    path = tmp_path / "store.sqlite3"
    url = f"sqlite:///{path}"
    make_store_at(url, "0004")

    message, tooltip = _upgrade_shown(qtbot, url)
    assert message == f"Store upgraded to schema {m.SCHEMA_VERSION}"
    assert tooltip == f"upgraded the store from schema version 4 to {m.SCHEMA_VERSION}"
    assert not [p.name for p in tmp_path.iterdir() if ".bak" in p.name]
