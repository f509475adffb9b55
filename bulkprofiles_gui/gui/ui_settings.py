"""Window geometry and last choices (QSettings as an ini file in config_dir()).

An ini file beside ``settings.json`` rather than the platform registry, so
that ``BULKPROFILES_CONFIG_DIR`` (the tests' temp dir) moves it too and a
test never writes the real user's settings.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings

from ..core.config import config_dir

ORGANIZATION = "bulkprofiles"
APPLICATION = "bulkprofiles"


def ui_settings() -> QSettings:
    path = config_dir() / "gui.ini"
    path.parent.mkdir(parents=True, exist_ok=True)
    return QSettings(str(path), QSettings.Format.IniFormat)
