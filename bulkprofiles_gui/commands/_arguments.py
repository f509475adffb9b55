"""Every subcommand's arguments and help, without its implementation.

``bulkprofiles --help`` (and any parse) only needs the names, help texts and
options of the subcommands; importing their modules would bring in
SQLAlchemy, the models, the actions and the importer, about half a second
before anything happens.  So each subcommand is declared here (standard
library and the light ``core.fields`` only) as a :class:`Subcommand` whose
``target`` names the function of ``bulkprofiles_gui.commands.<module>`` that
runs it; :func:`bulkprofiles_gui.cli.main` imports that one module when the
subcommand runs.  The implementation stays one module per subcommand.

A few constants of heavy modules are repeated here (the import modes, the
demo database name); ``tests/test_cli_startup.py`` checks that they agree.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core.fields import CHANNELS, FieldType
from ..core.limits import INT64_MAX, INT64_MIN

Configure = Callable[[argparse.ArgumentParser], None]


@dataclass(frozen=True)
class Subcommand:
    """One ``bulkprofiles`` subcommand as the parser sees it."""

    name: str
    help: str
    #: Adds the subcommand's arguments to its parser.
    configure: Configure
    #: ``"module:function"`` under ``bulkprofiles_gui.commands``: what runs it.
    target: str


# -- shared option helpers -------------------------------------------------------
def add_db_argument(parser: argparse.ArgumentParser, *, inherit: bool = False) -> None:
    """``--db URL``; with ``inherit`` (subcommands) an absent option keeps the
    value given before the subcommand (``bulkprofiles --db URL info``)."""
    parser.add_argument(
        "--db",
        metavar="URL",
        default=argparse.SUPPRESS if inherit else None,
        help="store URL (SQLAlchemy form) or the name of a saved connection; default: "
        "$BULKPROFILES_DB_URL, then the default connection of the settings, then the "
        "embedded SQLite store",
    )


def actions(parser: argparse.ArgumentParser) -> Any:
    """The nested actions of a command (``db list``, ``db create`` ...); the chosen
    one is ``args.action``, which the command's module dispatches on."""
    return parser.add_subparsers(dest="action", metavar="ACTION", required=True)


def action(subparsers: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    """One nested action; ``--db URL`` given before it is kept (inherited)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help_text, description=help_text
    )
    add_db_argument(parser, inherit=True)
    return parser


def add_yes(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--yes", action="store_true", help=f"do not ask before {what}")


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def split_list(text: str) -> list[str]:
    """``a,b, c`` -> ["a", "b", "c"] (empty items dropped)."""
    return [item.strip() for item in text.split(",") if item.strip()]


# -- db ----------------------------------------------------------------------------


def configure_db(parser: argparse.ArgumentParser) -> None:
    subs = actions(parser)
    add_json(action(subs, "list", "the profile databases with their counts"))
    create = action(subs, "create", "a new, empty profile database (makes the store if needed)")
    create.add_argument("name", metavar="NAME")
    create.add_argument("--description", default="", metavar="TEXT", help="what it holds")
    rename = action(subs, "rename", "rename a profile database")
    rename.add_argument("name", metavar="NAME")
    rename.add_argument("new_name", metavar="NEW_NAME")
    delete = action(subs, "delete", "delete a profile database with its profiles (asks first)")
    delete.add_argument("name", metavar="NAME")
    add_yes(delete, "deleting")


# -- demo ----------------------------------------------------------------------------

DEMO_PROFILES = 100_000
#: ``core.demo.DEFAULT_DATABASE_NAME`` (that module loads SQLAlchemy).
DEMO_DATABASE_NAME = "Demo customers"


#: The most profiles ``demo`` makes: 10x the largest store measured (docs/scaling.md).
MAX_DEMO_PROFILES = 100_000_000


def _profile_count(raw: str) -> int:
    try:
        value = int(raw.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a whole number") from None
    if not 1 <= value <= MAX_DEMO_PROFILES:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_DEMO_PROFILES:,}")
    return value


def _task_id(raw: str) -> int:
    """A task id as the store holds it: a 64-bit whole number (an unknown one
    is then "no task with id N"; beyond 64 bits the driver could not even ask)."""
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a task id") from None
    if not INT64_MIN <= value <= INT64_MAX:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a task id (beyond 64 bits)")
    return value


def _at_least_one(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a whole number") from None
    if not 1 <= value <= INT64_MAX:
        raise argparse.ArgumentTypeError(f"must be from 1 to {INT64_MAX:,}, not {raw}")
    return value


def configure_demo(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profiles",
        type=_profile_count,
        default=DEMO_PROFILES,
        metavar="N",
        help=f"how many profiles (default {DEMO_PROFILES:,})",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=1,
        metavar="S",
        help="random seed; the same seed and N give the same data (default 1)",
    )
    parser.add_argument(
        "--name",
        default=DEMO_DATABASE_NAME,
        help=f"name of the new profile database (default {DEMO_DATABASE_NAME!r})",
    )


# -- fields ----------------------------------------------------------------------------


def _database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", required=True, metavar="NAME", help="the profile database")


def configure_fields(parser: argparse.ArgumentParser) -> None:
    subs = actions(parser)
    listing = action(subs, "list", "the fields of a profile database")
    _database_option(listing)
    add_json(listing)
    add = action(subs, "add", "add a custom field")
    _database_option(add)
    add.add_argument("key", metavar="KEY", help="a-z, 0-9 and _, starting with a letter")
    add.add_argument("type", metavar="TYPE", help=", ".join(t.value for t in FieldType))
    add.add_argument("--label", help="what the operator reads (default: the key in words)")
    add.add_argument("--options", metavar="A,B,C", help="the options of an enum field")
    rename = action(subs, "rename-label", "change the label of a field (its key stays)")
    _database_option(rename)
    rename.add_argument("key", metavar="KEY")
    rename.add_argument("label", metavar="LABEL")
    remove = action(
        subs, "remove", "remove a custom field and its values (says what uses it, asks)"
    )
    _database_option(remove)
    remove.add_argument("key", metavar="KEY")
    add_yes(remove, "removing")


# -- import ----------------------------------------------------------------------------

#: The keys of ``core.importer.spec.MODES`` and ``DUPLICATES`` (that package loads
#: SQLAlchemy and the import runner).
IMPORT_MODES = ("add", "update", "upsert")
IMPORT_DUPLICATES = ("last", "reject")


def configure_import(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE.csv", help="the CSV file (header line first)")
    parser.add_argument("--database", required=True, metavar="NAME", help="the profile database")
    parser.add_argument(
        "--match",
        default="email",
        metavar="KEY",
        help="field that finds existing profiles: id, email, phones or a custom field "
        "(default email)",
    )
    parser.add_argument(
        "--mode",
        choices=IMPORT_MODES,
        default="upsert",
        help="add = new profiles only, update = existing only, upsert = both (default)",
    )
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="map a column to a field key (COLUMN= skips it); others map by key or label",
    )
    parser.add_argument(
        "--create-fields",
        action="store_true",
        help="create custom fields for unmapped columns (type inferred from the data)",
    )
    parser.add_argument(
        "--empty-clears",
        action="store_true",
        help="an empty cell clears the value (default: leaves it as it is)",
    )
    parser.add_argument(
        "--duplicates",
        choices=IMPORT_DUPLICATES,
        default="last",
        help="rows sharing a match key: last = the later row wins (default), reject = all rejected",
    )
    parser.add_argument(
        "--subscribe",
        metavar="RESOURCE/CHANNEL/STATUS",
        help="subscribe the imported profiles (email from Email, sms/whatsapp/viber from Phones)",
    )
    parser.add_argument(
        "--include-unsafe",
        action="store_true",
        help="with --subscribe ... /subscribed: also resubscribe unsafe statuses",
    )
    parser.add_argument("--skip-triggers", action="store_true", help="don't start triggers")
    parser.add_argument("--encoding", help="the file's encoding (default: UTF-8, BOM detected)")
    parser.add_argument("--delimiter", help="comma, semicolon or tab (default: detected)")
    parser.add_argument(
        "--rejects", metavar="OUT.csv", help="write the rows not imported here ('-' = stdout)"
    )
    parser.add_argument("--dry-run", action="store_true", help="count, change no profile")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


# -- info ----------------------------------------------------------------------------


def configure_info(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.add_argument(
        "--database", metavar="NAME", help="describe only the profile database NAME"
    )


# -- programs ----------------------------------------------------------------------------


def configure_programs(parser: argparse.ArgumentParser) -> None:
    subs = actions(parser)
    add_json(action(subs, "list", "the loyalty programs with their pool counts"))
    create = action(subs, "create", "a new loyalty program with an empty pool")
    create.add_argument("name", metavar="NAME")
    create.add_argument(
        "--database", metavar="NAME", help="only for this profile database (default: every one)"
    )
    load = action(
        subs,
        "load-codes",
        "load free codes from a text file (one a line) or a CSV file (first column)",
    )
    load.add_argument("name", metavar="NAME")
    load.add_argument("file", metavar="FILE")
    add_json(load)


# -- resources ----------------------------------------------------------------------------

CHANNEL_HELP = "comma-separated: " + ", ".join(CHANNELS)


def configure_resources(parser: argparse.ArgumentParser) -> None:
    subs = actions(parser)
    add_json(action(subs, "list", "the resources with channels and databases"))
    create = action(subs, "create", "a new resource with its channels")
    create.add_argument("name", metavar="NAME")
    create.add_argument("--channels", required=True, metavar="LIST", help=CHANNEL_HELP)
    create.add_argument(
        "--attach",
        action="append",
        metavar="DATABASE",
        help="attach it to this profile database (repeat for more)",
    )
    rename = action(subs, "rename", "rename a resource (segments and jobs follow)")
    rename.add_argument("name", metavar="NAME")
    rename.add_argument("new_name", metavar="NEW_NAME")
    channels = action(subs, "channels", "set the channels a resource is configured with")
    channels.add_argument("name", metavar="NAME")
    channels.add_argument("channels", metavar="LIST", type=split_list, help=CHANNEL_HELP)
    for name, help_text in (
        ("attach", "let a profile database use the resource"),
        ("detach", "stop a profile database using the resource"),
    ):
        sub = action(subs, name, help_text)
        sub.add_argument("name", metavar="NAME")
        sub.add_argument("database", metavar="DATABASE")


# -- run ----------------------------------------------------------------------------


def configure_run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job", metavar="JOB.json", help="the job file (domain.md, 'Job file')")
    parser.add_argument(
        "--dry-run", action="store_true", help="count what would change, change nothing"
    )
    parser.add_argument(
        "--yes", action="store_true", help="do not ask before deleting or unsubscribing"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


# -- select ----------------------------------------------------------------------------


def configure_select(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job", metavar="JOB.json", help="a job file (its action is ignored)")
    parser.add_argument("--count", action="store_true", help="print only the number selected")
    parser.add_argument(
        "--csv",
        metavar="OUT",
        help="write the selected profiles as CSV to OUT ('-' = stdout)",
    )
    parser.add_argument(
        "--columns",
        metavar="KEYS",
        help="with --csv: the field keys to write, comma-separated, e.g. id,email,city "
        "(default: id and every field)",
    )


# -- tasks ----------------------------------------------------------------------------

TASK_STATUSES = ("queued", "running", "completed", "cancelled", "failed", "interrupted")


def configure_tasks(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "what",
        nargs="?",
        default="list",
        choices=("list", "show", "resume", "export", "revert"),
        help="list (default), show ID, resume ID, export ID --csv OUT [--columns KEYS], "
        "revert ID [--dry-run] [--yes] [--triggers]",
    )
    parser.add_argument("task_id", nargs="?", type=_task_id, metavar="ID")
    parser.add_argument("--status", choices=TASK_STATUSES, help="list only tasks with this status")
    parser.add_argument(
        "--limit", type=_at_least_one, default=50, help="list at most N tasks (default 50)"
    )
    parser.add_argument("--csv", metavar="OUT", help="export: the CSV file to write ('-' = stdout)")
    parser.add_argument(
        "--columns",
        metavar="KEYS",
        help="export: profile fields to add after the outcome columns, comma-separated, "
        "e.g. email,city (default: none)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="revert: count what would be restored and the conflicts, change nothing",
    )
    parser.add_argument("--yes", action="store_true", help="revert: do not ask first")
    parser.add_argument(
        "--triggers",
        action="store_true",
        help="revert: start the triggers the restored values match (default: none)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


#: Every subcommand, in the order ``bulkprofiles --help`` lists them.
SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand("db", "list, create, rename or delete profile databases", configure_db, "db:cmd_db"),
    Subcommand(
        "demo",
        "make a demo profile database of realistic invented customers "
        "(creates the store if needed)",
        configure_demo,
        "demo:cmd_demo",
    ),
    Subcommand(
        "fields",
        "list, add, relabel or remove the fields of a profile database",
        configure_fields,
        "fields:cmd_fields",
    ),
    Subcommand(
        "import",
        "import profiles from a CSV file into a profile database",
        configure_import,
        "import_:cmd_import",
    ),
    Subcommand(
        "info",
        "show the databases, their field schemas, resources and counts",
        configure_info,
        "info:cmd_info",
    ),
    Subcommand(
        "programs",
        "list or create loyalty programs; load their promo codes",
        configure_programs,
        "programs:cmd_programs",
    ),
    Subcommand(
        "resources",
        "list, create, rename, configure or attach resources",
        configure_resources,
        "resources:cmd_resources",
    ),
    Subcommand(
        "run", "run a job file (update the selected profiles)", configure_run, "run:cmd_run"
    ),
    Subcommand(
        "select",
        "count or export the profiles a job file selects (changes nothing)",
        configure_select,
        "select:cmd_select",
    ),
    Subcommand(
        "tasks",
        "the task history; show, resume, export or revert a task",
        configure_tasks,
        "tasks:cmd_tasks",
    ),
)
