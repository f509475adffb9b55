"""Icons and the style sheet under the top-level ``resources/`` folder.

The folder is found the same way from a source checkout (two levels above
this package) and from a PyInstaller bundle (``sys._MEIPASS/resources``,
which ``build.spec`` fills).  A missing icon gives an empty QIcon, never an
error: the window stays usable without its decorations.
"""

from __future__ import annotations

import re
import sys
from functools import cache
from pathlib import Path

from PySide6.QtGui import QIcon, QPixmap
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


#: The icons' line colour, and the colour they take on a selected (dark) row.
ICON_COLOR = "#2f5d8a"
SELECTED_ICON_COLOR = "#ffffff"


@cache
def icon(name: str) -> QIcon:
    """The icon ``resources/icons/<name>.svg`` (an empty icon when it is missing)."""
    path = resource_path("icons", f"{name}.svg")
    return QIcon(str(path)) if path.exists() else QIcon()


@cache
def nav_icon(name: str) -> QIcon:
    """``icon(name)`` drawn white on a selected row (the dark side navigation)."""
    path = resource_path("icons", f"{name}.svg")
    if not path.exists():
        return QIcon()
    svg = path.read_text(encoding="utf-8")
    if ICON_COLOR not in svg:
        return icon(name)
    result = QIcon()
    for mode, text in (
        (QIcon.Mode.Normal, svg),
        (QIcon.Mode.Selected, svg.replace(ICON_COLOR, SELECTED_ICON_COLOR)),
    ):
        for size in ICON_SIZES:
            pixmap = QPixmap()
            if pixmap.loadFromData(_sized(text, size).encode(), "SVG"):
                result.addPixmap(pixmap, mode)
    return result if not result.isNull() else icon(name)


#: Sizes the icons are drawn at (menus, toolbars, the side navigation; HiDPI).
ICON_SIZES = (16, 20, 24, 32, 48)


def _sized(svg: str, size: int) -> str:
    """The SVG with its width and height set to ``size`` pixels."""
    return re.sub(r'width="\d+" height="\d+"', f'width="{size}" height="{size}"', svg, count=1)


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
