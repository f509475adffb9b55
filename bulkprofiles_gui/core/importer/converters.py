"""Cell converters: the text of a CSV cell to the value stored for a field type.

One converter is built per mapped column before the file is read, so the
per-cell work is one call: strip, check, convert.  An empty cell is ``None``
(the import then keeps or clears the value, as the operator chose).  A bad
value raises :class:`~bulkprofiles_gui.core.fields.FieldValueError` whose
text is the reject reason.  The rules are those of
:func:`bulkprofiles_gui.core.fields.coerce_value` (the update actions' own
checks), written out per type for speed, plus column lengths and 64-bit
integers.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import re
from collections.abc import Callable
from typing import Any

from ..fields import EMAIL_RE, LIST_SEPARATOR, PHONE_RE, FieldType, FieldValueError
from ..limits import INT64_MAX, INT64_MIN

Converter = Callable[[str], Any]
TRUE_WORDS = frozenset({"true", "yes", "1"})
FALSE_WORDS = frozenset({"false", "no", "0"})
#: Characters dropped from a phone before it is checked (``+49 (170) 123-45``).
_PHONE_NOISE = str.maketrans("", "", " -().\u00a0")


def _text(length: int | None) -> Converter:
    def convert(cell: str) -> str | None:
        value = cell.strip()
        if not value:
            return None
        if length is not None and len(value) > length:
            raise FieldValueError(f"longer than {length} characters")
        return value

    return convert


def _email(length: int | None) -> Converter:
    def convert(cell: str) -> str | None:
        value = cell.strip()
        if not value:
            return None
        if not EMAIL_RE.match(value):
            raise FieldValueError("not an email address")
        if length is not None and len(value) > length:
            raise FieldValueError(f"longer than {length} characters")
        return value

    return convert


#: Digits with a leading zero are a code (zip, customer number), not a number:
#: 01067 read as 1067 would lose a digit without a word.
LEADING_ZERO = re.compile(r"[-+]?0\d+")
_CODE_NOT_NUMBER = "a leading zero: a code, not a number (import the column as text)"


def _integer(cell: str) -> int | None:
    value = cell.strip()
    if not value:
        return None
    if LEADING_ZERO.fullmatch(value):
        raise FieldValueError(_CODE_NOT_NUMBER)
    try:
        number = int(value)
    except ValueError:
        raise FieldValueError("not a whole number") from None
    if not INT64_MIN <= number <= INT64_MAX:
        raise FieldValueError("whole number out of range (64-bit)")
    return number


def _float(cell: str) -> float | None:
    value = cell.strip()
    if not value:
        return None
    if LEADING_ZERO.fullmatch(value):
        raise FieldValueError(_CODE_NOT_NUMBER)
    try:
        number = float(value)
    except ValueError:
        raise FieldValueError("not a number") from None
    if not math.isfinite(number):
        raise FieldValueError("not a finite number")
    return number


def _boolean(cell: str) -> bool | None:
    value = cell.strip().lower()
    if not value:
        return None
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise FieldValueError("not true or false (true/false, yes/no, 1/0)")


def _date(cell: str) -> dt.date | None:
    value = cell.strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FieldValueError("not a date (expected YYYY-MM-DD)") from None


def _datetime(cell: str) -> dt.datetime | None:
    """ISO 8601; a time zone is converted to UTC (the store keeps naive UTC)."""
    value = cell.strip()
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise FieldValueError(
            "not a date-time (expected ISO 8601, e.g. 2026-05-01T10:00)"
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def _enum(options: tuple[str, ...]) -> Converter:
    allowed = frozenset(options)

    def convert(cell: str) -> str | None:
        value = cell.strip()
        if not value:
            return None
        if value not in allowed:
            raise FieldValueError(f"not one of: {', '.join(options)}")
        return value

    return convert


def _ip(cell: str) -> str | None:
    value = cell.strip()
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise FieldValueError("not an IP address") from None


def _items(cell: str) -> list[str]:
    seen = dict.fromkeys(i.strip() for i in cell.split(LIST_SEPARATOR))
    seen.pop("", None)
    return list(seen)


def _phones(cell: str) -> list[str]:
    phones = list(dict.fromkeys(p.replace("(0)", "").translate(_PHONE_NOISE) for p in _items(cell)))
    for phone in phones:
        if not PHONE_RE.match(phone):
            raise FieldValueError(f"{phone!r} is not a phone number (expected +<7-15 digits>)")
    return phones


def _tags(cell: str) -> list[str]:
    tags = _items(cell)
    for tag in tags:
        if len(tag) > 255:
            raise FieldValueError("a tag is longer than 255 characters")
    return tags


def converter_for(ftype: FieldType, options: tuple[str, ...], length: int | None) -> Converter:
    """The converter of a column mapped to a field of type ``ftype``; list types
    return a list (empty for an empty cell)."""
    if ftype is FieldType.PHONES:
        return _phones
    if ftype is FieldType.TAGS:
        return _tags
    simple: dict[FieldType, Converter] = {
        FieldType.INTEGER: _integer,
        FieldType.FLOAT: _float,
        FieldType.BOOLEAN: _boolean,
        FieldType.IP: _ip,
        FieldType.STRING: _text(length),
        FieldType.EMAIL: _email(length),
        FieldType.DATE: _date,
        FieldType.DATETIME: _datetime,
        FieldType.ENUM: _enum(options),
    }
    return simple[ftype]
