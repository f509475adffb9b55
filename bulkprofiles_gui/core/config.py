"""Settings: named connections, the default one, and job-related options.

The settings file is JSON in the user config directory (``platformdirs``),
readable by its owner only; ``BULKPROFILES_CONFIG_DIR`` /
``BULKPROFILES_DATA_DIR`` / ``BULKPROFILES_LOG_DIR`` move the directories
(the tests point them at a temp dir).  The store URL is chosen, first match
wins: ``--db URL`` (or the name of a saved connection), ``BULKPROFILES_DB_URL``,
the default named connection, the embedded SQLite file in the user data
directory.  The URL of a saved connection gets its password back from the
keyring (:mod:`.credentials`); the settings file never holds one.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from .credentials import DEFAULT_CONNECTION, resolve_store_url
from .errors import OperatorError

APP_NAME = "bulkprofiles"
ENV_DB_URL = "BULKPROFILES_DB_URL"
#: Mode of the files that may say where the stores are: the owner's alone.
OWNER_ONLY = 0o600


class ConfigError(OperatorError):
    """The settings file is unreadable or holds a wrong value."""


def config_dir() -> Path:
    override = os.environ.get("BULKPROFILES_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    override = os.environ.get("BULKPROFILES_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def log_dir() -> Path:
    """Where the details of failures go (``faults.log_path``), never the screen."""
    override = os.environ.get("BULKPROFILES_LOG_DIR")
    return Path(override) if override else Path(platformdirs.user_log_dir(APP_NAME))


def settings_path() -> Path:
    return config_dir() / "settings.json"


def embedded_store_url() -> str:
    return f"sqlite:///{data_dir() / 'store.sqlite3'}"


#: How long a run's transaction goes on with more batches before it commits
#: (``core/jobs.py``: ``_run_commit_unit``).  A commit on SQLite writes every
#: page its batches dirtied, and an update of an indexed column dirties pages
#: all over that index whatever a batch's size, so commits after every 0.6 s
#: batch dominated: committing every ~2 s took a 300,000-profile update_fields
#: on SQLite from about 16 to 12 s.  A crash loses at most this much work,
#: done again when the task is resumed; progress still comes after every batch.
COMMIT_SECONDS = 2.0


@dataclass
class Settings:
    connections: dict[str, str] = field(default_factory=dict)
    default_connection: str = DEFAULT_CONNECTION
    delete_min_inactive_months: int = 4
    #: The largest batch of a run; the runner sizes batches by their time below it.
    batch_size: int = 50_000
    #: Days a task's journal (and the profiles it deleted) is kept for a revert.
    archive_days: int = 30
    #: Whether runs write the journal that makes them revertible.  Not read from
    #: the settings file: every task is revertible; the benchmarks turn it off
    #: to measure what the journal costs.
    journal: bool = True
    #: How long a run's transaction goes on with more batches before it commits
    #: (:data:`COMMIT_SECONDS`).  Not read from the settings file; tests about
    #: what one batch commits set 0 (a commit after every batch).
    commit_seconds: float = COMMIT_SECONDS

    def __post_init__(self) -> None:
        self.connections.setdefault(DEFAULT_CONNECTION, embedded_store_url())

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        path = path or settings_path()
        if not path.exists():
            return cls()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:  # ValueError: bad JSON, or not UTF-8 at all
            raise ConfigError(f"settings file {path} is not valid JSON: {exc}") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"settings file {path} must hold a JSON object")
        return cls._from_dict(raw, path)

    @classmethod
    def _from_dict(cls, raw: dict[str, Any], path: Path) -> Settings:
        known = {
            "connections",
            "default_connection",
            "delete_min_inactive_months",
            "batch_size",
            "archive_days",
        }
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ConfigError(f"settings file {path}: unknown key {unknown[0]!r}")
        connections = raw.get("connections", {})
        if not isinstance(connections, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in connections.items()
        ):
            raise ConfigError(f"settings file {path}: 'connections' must map names to URLs")
        months = raw.get("delete_min_inactive_months", 4)
        if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= 120:
            raise ConfigError(
                f"settings file {path}: 'delete_min_inactive_months' must be a whole number "
                "from 1 to 120"
            )
        batch = raw.get("batch_size", 50_000)
        if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= 1_000_000:
            raise ConfigError(f"settings file {path}: 'batch_size' must be from 1 to 1000000")
        days = raw.get("archive_days", 30)
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 3650:
            raise ConfigError(
                f"settings file {path}: 'archive_days' must be a whole number from 1 to 3650"
            )
        default = raw.get("default_connection", DEFAULT_CONNECTION)
        settings = cls(dict(connections), str(default), months, batch, days)
        if settings.default_connection not in settings.connections:
            raise ConfigError(
                f"settings file {path}: default connection {default!r} is not among 'connections'"
            )
        return settings

    def save(self, path: Path | None = None) -> None:
        path = path or settings_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "connections": self.connections,
            "default_connection": self.default_connection,
            "delete_min_inactive_months": self.delete_min_inactive_months,
            "batch_size": self.batch_size,
            "archive_days": self.archive_days,
        }
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)  # a left-over copy keeps its mode: make a new one
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(json.dumps(data, indent=2))
        tmp.replace(path)

    def resolve_url(self, explicit: str | None = None) -> str:
        """The store URL to use (see the module docstring for the order), with
        the keyring's password when it is a saved connection's."""
        return resolve_store_url(self, explicit)[0]

    def chosen_url(self, explicit: str | None = None) -> str:
        """The store URL as given or saved (no password added): ``explicit``,
        else ``$BULKPROFILES_DB_URL``, else the default connection's."""
        if explicit:
            return explicit
        return os.environ.get(ENV_DB_URL) or self.connections[self.default_connection]
