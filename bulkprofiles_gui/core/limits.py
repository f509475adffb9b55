"""The limits of what a job file and a rule tree may hold, checked before
anything is compiled or written; and the one way messages quote operator input.

Every limit is refused with one line that names it.  They are documented for
operators in ``docs/limits.md`` (keep the two in step):

=============================  ===========================  ==================================
What                           Limit                        Checked by
=============================  ===========================  ==================================
job file size                  5 MB                         ``Job.load``
JSON nesting of a job file     256 levels                   ``Job.load`` (before ``json.loads``)
numbers in a job file          64-bit whole numbers,        ``Job.load`` (``parse_json``)
                               finite decimals
group nesting of rules         100 groups deep (the root    ``Job.from_dict``, the rule compiler,
                               group is 1)                  every walk over stored rules
conditions and groups          10,000 in one rule tree      same
values in one rule tree        20,000 (each list item and   same
                               comma-separated part counts)
items of one list value        10,000                       rule compiler, ``update_fields``
text values                    the field's column length    rule compiler, ``update_fields``
                               (``store.profiles``), list
                               items 255
whole numbers                  64-bit (limit, rule values,  ``Job.from_dict``, rule compiler,
                               update values, increments)   ``update_fields``
names (database, segment,      200 characters (the name     ``Job.from_dict``, action parsers
resource, program)             columns)
=============================  ===========================  ==================================

Why these: 100 groups is far beyond what the rule builder makes by hand and
keeps every recursive walk (compile, describe, SQL rendering) well inside
Python's recursion limit; 10,000 conditions and 20,000 values keep one
statement under PostgreSQL's 65,535 bound parameters and its compile under a
few seconds.  This module imports nothing from the rest of the package, so
every layer (job file, selection, actions, GUI) can use it.
"""

from __future__ import annotations

import json
import re
import reprlib
from collections.abc import Iterator
from itertools import accumulate
from typing import Any

from .errors import OperatorError

MEGABYTE = 1024 * 1024
#: The largest job file ``Job.load`` reads.
MAX_JOB_FILE_BYTES = 5 * MEGABYTE
#: JSON nesting of a job file (a rule group takes two levels: object and list).
MAX_JSON_DEPTH = 256
#: Groups nested in a rule tree, the root group counting as 1.
MAX_GROUP_DEPTH = 100
#: Conditions and groups of one rule tree (the root group not counted).
MAX_RULE_NODES = 10_000
#: Values of one rule tree: every scalar, list item and comma-separated part.
MAX_RULE_VALUES = 20_000
#: Items of one list value (``in``, tags to add, phones to set...).
MAX_LIST_ITEMS = 10_000
#: Names of databases, segments, resources and loyalty programs (their columns).
MAX_NAME = 200
#: List items (tags, phones) are kept in a String(255) column.
MAX_LIST_ITEM_CHARS = 255
#: Columns of a CSV file to import: each may become a field, i.e. a column of
#: ``profiles`` (SQLite holds at most 2,000, PostgreSQL 1,600); the window
#: shows one row per column to map.
MAX_IMPORT_COLUMNS = 1_000
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
#: How much of the operator's text a message repeats.
QUOTE_CHARS = 60


class LimitError(OperatorError, ValueError):
    """Input beyond a documented limit (or not JSON a job may hold); one line."""


# -- quoting operator input in messages --------------------------------------------
def short(text: str, limit: int = QUOTE_CHARS) -> str:
    """User text shortened for a message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


_REPR = reprlib.Repr()
_REPR.maxlevel = 3
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = _REPR.maxdict = 6
_REPR.maxstring = QUOTE_CHARS
_REPR.maxlong = 30
_REPR.maxother = QUOTE_CHARS


def quote(value: Any, limit: int = QUOTE_CHARS) -> str:
    """``repr`` of operator input for a message, at most about ``limit``
    characters, however long or deeply nested the value is."""
    if isinstance(value, str):
        shown = repr(short(value, limit))
        # escapes (\x00, \U0010ffff) can make the repr longer than the text
        return shown if len(shown) <= limit + 2 else short(shown, limit + 2)
    return short(_REPR.repr(value), limit)


# -- numbers --------------------------------------------------------------------------
def is_int64(value: Any) -> bool:
    """A whole number (not a bool) that fits a 64-bit column."""
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    return INT64_MIN <= value <= INT64_MAX


def int64_problem(value: Any) -> str | None:
    """Why a whole number does not fit a 64-bit column (None when it does)."""
    if isinstance(value, int) and not isinstance(value, bool) and not is_int64(value):
        return f"{quote(value)} is beyond the 64-bit range ({INT64_MIN:,} to {INT64_MAX:,})"
    return None


def limit_problem(value: Any) -> str | None:
    """Why a job's total limit is not one (None when it is): the job file and
    the selection check it with these words."""
    if is_int64(value) and value >= 0:
        return None
    return f"must be a whole number from 0 to {INT64_MAX} (0 = no limit), not {quote(value)}"


def text_problem(value: str, max_chars: int | None, what: str = "the field") -> str | None:
    """Why a text is too long for a column of ``max_chars`` (None when it fits)."""
    if max_chars is not None and len(value) > max_chars:
        return f"{quote(value)} is {len(value):,} characters; {what} holds at most {max_chars:,}"
    return None


def nul_problem(text: str) -> str | None:
    """Why a text cannot be stored: PostgreSQL text holds no NUL character, and
    no store holds half of a UTF-16 pair (a JSON file may write one, ``\\ud800``)."""
    if "\x00" in text:
        return f"{quote(text)} holds a NUL character (\\x00), which no text may hold"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        half = "half of a UTF-16 pair (a lone surrogate)"
        return f"{quote(text)} holds {half}, which is no character"
    return None


def name_problem(value: Any) -> str | None:
    """Why a database / segment / resource / program name cannot be one."""
    if not isinstance(value, str):
        return None
    if nul_problem(value):
        return nul_problem(value)
    if len(value.strip()) <= MAX_NAME:
        return None
    name = value.strip()
    return f"{quote(name)} is {len(name):,} characters; names have at most {MAX_NAME}"


# -- JSON -----------------------------------------------------------------------------
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def json_depth(text: str) -> int:
    """How deep the brackets of a JSON text nest (strings skipped), without
    parsing it: cheap, and never recursive."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if not brackets:
        return 0
    return max(accumulate(1 if c in "[{" else -1 for c in brackets))


def _parse_int(text: str) -> int:
    digits = text.lstrip("-")
    if len(digits) > 19:  # INT64_MAX has 19 digits
        raise LimitError(
            f"the number {short(text, 30)} is beyond the 64-bit range "
            f"({INT64_MIN:,} to {INT64_MAX:,})"
        )
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise LimitError(f"the number {short(text, 30)} is too large for a decimal number")
    return value


def _parse_constant(name: str) -> float:
    raise LimitError(f"{name} is not a number a job file may hold")


def parse_json(text: str) -> Any:
    """``json.loads`` for operator documents: nesting beyond
    :data:`MAX_JSON_DEPTH`, numbers with more digits than 64 bits hold,
    infinite numbers and NaN are refused with :class:`LimitError` (one line)
    before Python's recursion limit or its integer-digits limit could fail.
    ``json.JSONDecodeError`` (a ValueError) is left to the caller."""
    depth = json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise LimitError(
            f"JSON nested {depth:,} levels deep; the limit is {MAX_JSON_DEPTH} "
            f"(rules may nest {MAX_GROUP_DEPTH} groups)"
        )
    try:
        return json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except RecursionError:  # the scan above makes this unreachable; one line all the same
        raise LimitError(f"JSON nested too deep; the limit is {MAX_JSON_DEPTH} levels") from None


# -- rule trees ---------------------------------------------------------------------------
def is_group(node: Any) -> bool:
    """A rule-group node (react-querybuilder or jQuery QueryBuilder shape)."""
    return isinstance(node, dict) and ("rules" in node or "combinator" in node)


def rule_nodes(rules: Any) -> Iterator[tuple[dict[str, Any], int]]:
    """Every dict node of a rule tree with its group depth (the root is 1),
    depth first, without recursion: safe on a tree of any depth.  Children
    are taken from a group's ``rules`` list; a bare list of nodes is walked too."""
    stack: list[tuple[Any, int]] = [(rules, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, list):
            stack.extend((child, depth) for child in reversed(node))
            continue
        if not isinstance(node, dict):
            continue
        yield node, depth
        children = node.get("rules")
        if isinstance(children, list):
            stack.extend((child, depth + 1) for child in reversed(children))


def value_count(value: Any, budget: int) -> int:
    """How many values a condition's value holds (scalars, list items, the
    comma-separated parts of a text), counting no further than ``budget``."""
    total = 0
    stack = [value]
    while stack and total <= budget:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            total += 1 + item.count(",")
        elif item is not None:
            total += 1
    return total


def rules_problem(rules: Any) -> str | None:
    """Why a rule tree is beyond the limits, or says yes or no in other words
    than true and false (None when neither).

    Stops at the first limit passed, so a tree of a million conditions is
    refused after looking at ten thousand of them."""
    nodes = values = 0
    for node, depth in rule_nodes(rules):
        flag = next(
            (k for k in ("not", "disabled") if not isinstance(node.get(k, False), bool)), None
        )
        if flag is not None:  # the window read "yes" as true, or dropped it (audit)
            where = "a group" if is_group(node) else "a condition"
            return f"{flag!r} of {where} must be true or false, not {quote(node[flag])}"
        if is_group(node) and depth > MAX_GROUP_DEPTH:
            return f"groups are nested more than {MAX_GROUP_DEPTH} deep (the limit)"
        if node is rules:
            continue
        nodes += 1
        if nodes > MAX_RULE_NODES:
            return f"more than {MAX_RULE_NODES:,} conditions and groups (the limit)"
        if not is_group(node) and "value" in node:
            values += value_count(node["value"], MAX_RULE_VALUES - values)
            if values > MAX_RULE_VALUES:
                return (
                    f"more than {MAX_RULE_VALUES:,} values in all conditions together "
                    "(the limit; each list item counts)"
                )
    return None


def list_problem(items: list[Any]) -> str | None:
    """Why a list value has too many items (None when it does not)."""
    if len(items) > MAX_LIST_ITEMS:
        return f"{len(items):,} items; a list holds at most {MAX_LIST_ITEMS:,}"
    return None
