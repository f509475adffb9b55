"""What the subcommands share: the store of ``--db``, the settings, JSON output.

Imported by the subcommands' modules only (each when it runs), never by the
parser: this module brings in the store and its models.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..core.config import Settings
from ..core.journal import purge_expired
from ..core.store import Store, open_store

#: The store this command opened (its URL without password), for messages.
_opened_store: str | None = None


def opened_store() -> str | None:
    """The URL (without password) of the store this command opened, if any."""
    return _opened_store


def settings() -> Settings:
    return Settings.load()


def store_from_args(args: argparse.Namespace, *, create: bool = False) -> Store:
    """Open the store of ``--db``; an upgrade of its schema is said on stderr.
    Journals of tasks older than the settings' ``archive_days`` are purged."""
    global _opened_store
    config = settings()
    store = open_store(config.resolve_url(getattr(args, "db", None)), create=create)
    _opened_store = store.display_url
    if store.upgrade_notice:
        print(f"bulkprofiles: {store.upgrade_notice}", file=sys.stderr)
    purge_expired(store, config.archive_days)
    return store


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
