"""The ``bulkprofiles`` command line.

No subcommand opens the GUI.  Every subcommand is a small function
``cmd_<name>(args) -> int`` registered in :func:`build_parser`; errors that
the operator can fix (:data:`OPERATOR_ERRORS`) are printed as one line on
stderr with exit code 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .core.config import ConfigError, Settings
from .core.jobfile import JobFileError
from .core.selection import RuleError
from .core.store import Store, StoreError, open_store

#: Exceptions whose message is meant for the operator as it is.
OPERATOR_ERRORS: tuple[type[BaseException], ...] = (
    StoreError,
    ConfigError,
    JobFileError,
    RuleError,
)

Command = Callable[[argparse.Namespace], int]
_COMMANDS: dict[str, tuple[Command, Callable[[argparse.ArgumentParser], None], str]] = {}


def command(
    name: str,
    help_text: str,
    configure: Callable[[argparse.ArgumentParser], None] = lambda _parser: None,
) -> Callable[[Command], Command]:
    """Register a subcommand; ``configure`` adds its arguments to its parser."""

    def register(func: Command) -> Command:
        _COMMANDS[name] = (func, configure, help_text)
        return func

    return register


def register_operator_error(*errors: type[BaseException]) -> None:
    """Let another core module declare its operator-facing exception types."""
    global OPERATOR_ERRORS
    OPERATOR_ERRORS = tuple(dict.fromkeys((*OPERATOR_ERRORS, *errors)))


def settings() -> Settings:
    return Settings.load()


def store_from_args(args: argparse.Namespace, *, create: bool = False) -> Store:
    """Open the store of ``--db``; an upgrade of its schema is said on stderr."""
    store = open_store(settings().resolve_url(getattr(args, "db", None)), create=create)
    if store.upgrade_notice:
        print(f"bulkprofiles: {store.upgrade_notice}", file=sys.stderr)
    return store


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def add_db_argument(parser: argparse.ArgumentParser, *, inherit: bool = False) -> None:
    """``--db URL``; with ``inherit`` (subcommands) an absent option keeps the
    value given before the subcommand (``bulkprofiles --db URL info``)."""
    parser.add_argument(
        "--db",
        metavar="URL",
        default=argparse.SUPPRESS if inherit else None,
        help="store URL (SQLAlchemy form); default: $BULKPROFILES_DB_URL, then the "
        "default connection of the settings, then the embedded SQLite store",
    )


def build_parser() -> argparse.ArgumentParser:
    _load_command_modules()
    parser = argparse.ArgumentParser(
        prog="bulkprofiles",
        description="Bulk updates of customer profiles. Without a command, opens the window.",
    )
    add_db_argument(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (func, configure, help_text) in _COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_db_argument(p, inherit=True)
        configure(p)
        p.set_defaults(func=func)
    return parser


def _load_command_modules() -> None:
    """Import every module of ``bulkprofiles_gui.commands``: their ``@command``
    functions make the subcommands (one module per subcommand)."""
    import importlib
    import pkgutil

    from . import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        importlib.import_module(f"{commands.__name__}.{info.name}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Command | None = getattr(args, "func", None)
    try:
        if func is None:
            return open_gui(args)
        return func(args)
    except OPERATOR_ERRORS as exc:
        print(f"bulkprofiles: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bulkprofiles: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (``bulkprofiles info | head``): stop
        # quietly, and keep Python from failing again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def open_gui(args: argparse.Namespace) -> int:
    from .gui.app import run_app

    return run_app(db_url=args.db)
