"""Regenerate the parts of docs/*.md that are copies of the code or of examples/.

    .venv/bin/python scripts/gen_docs.py          # rewrite the generated blocks
    .venv/bin/python scripts/gen_docs.py --check  # exit 1 naming the docs out of date

A generated block sits between two marker lines::

    <!-- generated: NAME -->
    ...
    <!-- end generated -->

NAME is ``operators`` (the operator table of each field type and reserved
field, from ``core/selection/operators.py``), ``vocabulary`` (statuses,
channels, event types, field types from ``core/fields.py``), ``example
FILE`` (the file of ``examples/`` verbatim) or ``commands`` (every
subcommand's usage and options, from the argument parser).  Everything outside
the blocks is written by hand.  ``tests/test_docs.py`` fails when a block is
not what this script would write, so the docs cannot drift from the code.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bulkprofiles_gui.core.actions.base import SKIP_REASONS  # noqa: E402
from bulkprofiles_gui.core.fields import (  # noqa: E402
    CHANNELS,
    EVENT_TYPES,
    STATUSES,
    UNSAFE_STATUSES,
    FieldType,
)
from bulkprofiles_gui.core.selection import operators as ops  # noqa: E402

DOCS = ROOT / "docs"
BLOCK = re.compile(
    r"(?P<start><!-- generated: (?P<name>[^>]+?) -->\n)"
    r"(?P<body>.*?)"
    r"(?P<end><!-- end generated -->)",
    re.DOTALL,
)

#: What the operator writes as ``value``, per value kind of the operator table.
VALUE_TEXT: dict[str, str] = {
    "none": "none (leave `value` out or `null`)",
    "number": "a number; a whole one for integer fields",
    "text": "text",
    "choice": "one of the options",
    "bool": "`true` or `false`",
    "date": '`"YYYY-MM-DD"`',
    "datetime": '`"YYYY-MM-DDTHH:MM[:SS]"` (UTC), or a date: the whole day',
    "list": '`[v1, v2, ...]` (or the text `"v1, v2"`)',
    "pair": '`[from, to]` (or the text `"from, to"`), both included',
    "days": "a whole number of days, 1-36500",
    "subscription": '`{"resource", "channel"?, "status"?}`',
    "event": '`{"type", "channel"?, "resource"?, "lastDays"? or "from"?/"to"?, "atLeast"?}`',
    "promo": '`{"program"}`',
    "task": '`{"task", "outcomes"}`',
}

#: The reserved fields in the order the docs present them, with their kind.
RESERVED = tuple(ops.RESERVED_KINDS.items())


def _operator_rows(kind: str) -> list[tuple[str, str, str]]:
    return [(f"`{c.name}`", c.label, VALUE_TEXT[c.value_kind]) for c in ops.operator_choices(kind)]


def _table(rows: list[tuple[str, str, str]]) -> list[str]:
    lines = ["| operator | in the window | value |", "| --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return lines


def operators_block() -> str:
    """One table per group of field types that offer the same operators, then
    one per reserved field."""
    groups: dict[tuple[tuple[str, str, str], ...], list[str]] = {}
    for ftype in FieldType:
        groups.setdefault(tuple(_operator_rows(ftype.value)), []).append(ftype.value)
    lines: list[str] = []
    for rows, kinds in groups.items():
        names = ", ".join(f"`{k}`" for k in kinds)
        lines += [f"#### {names}", ""]
        lines += _table(list(rows))
        aliases = {a for k in kinds for a in ops.ALIASES.get(k, {}).items()}
        if aliases:
            same = ", ".join(f"`{a}` = `{b}`" for a, b in sorted(aliases))
            lines += ["", f"Also accepted: {same}."]
        lines.append("")
    for field, kind in RESERVED:
        offered = "" if field in ops.RESERVED_FIELDS else " (not offered in the rule builder)"
        lines += [f"#### `{field}`{offered}", ""]
        lines += _table(_operator_rows(kind))
        lines.append("")
    return "\n".join(lines)


def vocabulary_block() -> str:
    def words(items: Iterator[str] | tuple[str, ...] | list[str]) -> str:
        return ", ".join(f"`{w}`" for w in items)

    unsafe = [s for s in STATUSES if s in UNSAFE_STATUSES]
    lines = [
        f"- **Field types**: {words(t.value for t in FieldType)}.",
        f"- **Statuses** (global and subscription): {words(STATUSES)}.",
        f"- **Unsafe statuses**: {words(unsafe)}.",
        f"- **Channels**: {words(CHANNELS)}.",
        f"- **Event types** (`$event`): {words(EVENT_TYPES)}.",
        "- **Outcomes** (`$task`, the Tasks view, `tasks export`): `changed`, `not_processed` "
        "(the task stopped before the profile), `skipped` (any skip reason) or one of the skip "
        "reasons:",
        "",
        "| skip reason | what the window and `run` say |",
        "| --- | --- |",
        *(f"| `{reason}` | {text} |" for reason, text in SKIP_REASONS.items()),
        "",
    ]
    return "\n".join(lines)


def example_block(name: str) -> str:
    path = ROOT / name
    fence = "csv" if path.suffix == ".csv" else "json"
    text = path.read_text(encoding="utf-8").rstrip("\n")
    return f"[{name}](../{name}):\n\n```{fence}\n{text}\n```\n"


HELP_WIDTH = 88


def _parsers() -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """(``bulkprofiles ...`` words, parser) of every subcommand and nested action."""
    from bulkprofiles_gui.cli import build_parser

    def walk(
        words: str, parser: argparse.ArgumentParser
    ) -> Iterator[tuple[str, argparse.ArgumentParser]]:
        nested = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not nested or words == "bulkprofiles":
            yield words, parser
        for sub in nested:
            for name, child in sub.choices.items():
                yield from walk(f"{words} {name}", child)

    yield from walk("bulkprofiles", build_parser())


def _usage(parser: argparse.ArgumentParser) -> str:
    formatter = argparse.HelpFormatter(parser.prog, width=HELP_WIDTH)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups)
    return formatter.format_help().strip()


def _option_rows(parser: argparse.ArgumentParser, *, top: bool) -> list[tuple[str, str]]:
    """(argument, meaning) rows; ``--db`` only on the top level (every command takes it)."""
    rows = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        if action.dest == "db" and not top:
            continue
        if action.option_strings:
            name = ", ".join(action.option_strings)
            if action.nargs != 0:
                metavar = action.metavar or (action.dest.upper() if not action.choices else None)
                name += (
                    f" {metavar}"
                    if metavar
                    else " {" + ",".join(map(str, action.choices or ())) + "}"
                )
        else:
            name = str(action.metavar or action.dest)
        help_text = (action.help or "").replace("%%", "%").replace("|", "\\|")
        if action.choices and not action.option_strings and not action.metavar:
            help_text += f" ({', '.join(map(str, action.choices))})"
        rows.append((f"`{name}`", help_text or "—"))
    return rows


def commands_block() -> str:
    lines: list[str] = []
    for words, parser in _parsers():
        lines += [f"#### `{words}`", "", parser.description or "", ""]
        lines += ["```", _usage(parser), "```", ""]
        rows = _option_rows(parser, top=words == "bulkprofiles")
        if rows:
            lines += ["| argument | meaning |", "| --- | --- |"]
            lines += [f"| {a} | {b} |" for a, b in rows]
            lines.append("")
    return "\n".join(lines)


def render_block(name: str) -> str:
    makers: dict[str, Callable[[], str]] = {
        "operators": operators_block,
        "vocabulary": vocabulary_block,
        "commands": commands_block,
    }
    if name.startswith("example "):
        return example_block(name.removeprefix("example ").strip())
    if name not in makers:
        raise SystemExit(f"unknown generated block {name!r}")
    return makers[name]()


def render(text: str) -> str:
    """``text`` with every generated block made anew."""
    return BLOCK.sub(
        lambda m: m["start"] + render_block(m["name"]) + m["end"],
        text,
    )


def doc_paths() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report docs out of date")
    args = parser.parse_args(argv)
    stale = []
    for path in doc_paths():
        text = path.read_text(encoding="utf-8")
        new = render(text)
        if new == text:
            continue
        stale.append(path)
        if not args.check:
            path.write_text(new, encoding="utf-8")
            print(f"rewrote {path.relative_to(ROOT)}")
    if args.check and stale:
        names = ", ".join(str(p.relative_to(ROOT)) for p in stale)
        print(f"out of date: {names} (run scripts/gen_docs.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
