"""Which column goes into which field: automatic mapping and type inference.

A column maps to a field whose key or label equals the column name once case,
spaces, ``_`` and ``-`` are ignored: ``firstName``, ``First name``,
``first-name`` and ``FIRST_NAME`` all map to ``first_name``.  A key match wins
over a label match.  Columns that map to nothing are skipped, or with
"create fields" become new custom fields whose type is inferred from the
first :data:`INFER_ROWS` values of the column (:func:`infer_type`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence

from ..fields import FIELD_KEY_RE, FieldType
from ..limits import INT64_MAX, INT64_MIN
from ..store import FieldInfo
from .converters import FALSE_WORDS, LEADING_ZERO, TRUE_WORDS

INFER_ROWS = 1000
#: Fields that are never written by an import (``id`` only serves as a match key).
NOT_IMPORTABLE = frozenset({"created_at", "updated_at", "last_interaction_at"})

_SEPARATORS = re.compile(r"[\s_\-]+")
_INTEGER = re.compile(r"[-+]?\d{1,19}")
#: What the boolean converter reads (a column of only 1 and 0 is integer first).
_BOOLEAN_WORDS = TRUE_WORDS | FALSE_WORDS


def normalized(name: str) -> str:
    """The form names are compared in: lower case, no spaces, ``_`` or ``-``."""
    return _SEPARATORS.sub("", name).casefold()


def field_for_column(column: str, fields: Sequence[FieldInfo]) -> FieldInfo | None:
    """The field a column maps to automatically (key first, then label)."""
    wanted = normalized(column)
    if not wanted:
        return None
    for info in fields:
        if normalized(info.key) == wanted:
            return info
    for info in fields:
        if normalized(info.label) == wanted:
            return info
    return None


def auto_mapping(header: Sequence[str], fields: Sequence[FieldInfo]) -> dict[str, str | None]:
    """Column name -> field key (None: no field).  A field is taken by the first
    column that maps to it; a later column naming it again maps to nothing."""
    taken: set[str] = set()
    mapping: dict[str, str | None] = {}
    for column in header:
        info = field_for_column(column, fields)
        if info is None or info.key in taken or info.key in NOT_IMPORTABLE:
            mapping[column] = None
            continue
        taken.add(info.key)
        mapping[column] = info.key
    return mapping


def key_for_column(column: str) -> str:
    """A field key made from a column name: ``Loyalty Level`` -> ``loyalty_level``,
    ``externalId`` -> ``external_id``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", column.strip())
    key = re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")
    if not key or not key[0].isalpha():
        key = f"f_{key}".rstrip("_")
    key = key[:63].rstrip("_")
    return key if FIELD_KEY_RE.match(key) else "field"


def _is_date(value: str) -> bool:
    if len(value) != 10:
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_datetime(value: str) -> bool:
    if len(value) < 16 or value[10] not in "T ":
        return False
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_integer(value: str) -> bool:
    if not _INTEGER.fullmatch(value) or LEADING_ZERO.fullmatch(value):
        return False
    return INT64_MIN <= int(value) <= INT64_MAX


def _is_float(value: str) -> bool:
    if LEADING_ZERO.fullmatch(value):
        return False
    try:
        number = float(value)
    except ValueError:
        return False
    return number == number and abs(number) != float("inf")


def infer_column_type(column: str, values: Iterable[str]) -> FieldType:
    """The type of a new field for ``column``: a column named "tags" holds tags
    (``;``-separated), any other gets :func:`infer_type` of its values."""
    if normalized(column) == "tags":
        return FieldType.TAGS
    return infer_type(values)


def infer_type(values: Iterable[str]) -> FieldType:
    """The narrowest type every non-empty value fits: integer, float, boolean,
    date, datetime, else string (an all-empty column is a string)."""
    seen = [v.strip() for v in values if v.strip()]
    if not seen:
        return FieldType.STRING
    checks: tuple[tuple[FieldType, object], ...] = (
        (FieldType.INTEGER, _is_integer),
        (FieldType.FLOAT, _is_float),
        (FieldType.BOOLEAN, lambda v: v.lower() in _BOOLEAN_WORDS),
        (FieldType.DATE, _is_date),
        (FieldType.DATETIME, _is_datetime),
    )
    for ftype, fits in checks:
        if all(fits(v) for v in seen):  # type: ignore[operator]
            return ftype
    return FieldType.STRING
