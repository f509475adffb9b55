"""Icons and the style sheet under the top-level ``resources/`` folder.

The folder is found the same way from a source checkout (two levels above
this package) and from a PyInstaller bundle (``sys._MEIPASS/resources``,
which ``build.spec`` fills).  A missing icon gives an empty QIcon, never an
error: the window stays usable without its decorations.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

STYLE_NAME = "Fusion"


def resources_dir() -> Path:
    """The ``resources`` folder, from the bundle when frozen, else from the source tree."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


@cache
def icon(name: str) -> QIcon:
    """The icon ``resources/icons/<name>.svg`` (an empty icon when it is missing)."""
    path = resource_path("icons", f"{name}.svg")
    return QIcon(str(path)) if path.exists() else QIcon()


def style_sheet() -> str:
    path = resource_path("style.qss")
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def apply_style(app: QApplication) -> None:
    """Fusion with the app's style sheet and icon: one look on every platform."""
    app.setStyle(STYLE_NAME)
    app.setStyleSheet(style_sheet())
    app.setWindowIcon(icon("app"))
