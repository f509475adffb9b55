"""Field types, statuses and channels: the vocabulary every other part shares.

A profile database has *system fields* (stored in fixed columns of the
``profiles`` table) and *custom fields* (stored in columns ``cf_<id>`` that the
store adds when the field is created, or, for list types, in
``profile_list_values``).  Every field, system or custom, has one row in the
``fields`` table naming its key, type and where its value lives, so the rule
compiler and the update actions only ever take column names from the schema.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .limits import INT64_MAX, INT64_MIN, nul_problem, quote


class FieldType(StrEnum):
    INTEGER = "integer"
    FLOAT = "float"
    STRING = "string"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    ENUM = "enum"
    IP = "ip"
    TAGS = "tags"
    EMAIL = "email"
    PHONES = "phones"

    @property
    def is_list(self) -> bool:
        """List types keep one row per item in ``profile_list_values``."""
        return self in (FieldType.TAGS, FieldType.PHONES)

    @property
    def is_numeric(self) -> bool:
        return self in (FieldType.INTEGER, FieldType.FLOAT)

    @property
    def is_temporal(self) -> bool:
        return self in (FieldType.DATE, FieldType.DATETIME)

    @property
    def is_textual(self) -> bool:
        return self in (FieldType.STRING, FieldType.EMAIL, FieldType.IP, FieldType.ENUM)


class Status(StrEnum):
    """Subscription and global statuses."""

    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"
    COMPLAINER = "complainer"
    HARDBOUNCED = "hardbounced"
    UNCONFIRMED = "unconfirmed"
    SUSPENDED = "suspended"
    INVALID = "invalid"


UNSAFE_STATUSES: frozenset[str] = frozenset(
    {Status.UNSUBSCRIBED, Status.COMPLAINER, Status.HARDBOUNCED, Status.INVALID}
)
STATUSES: tuple[str, ...] = tuple(s.value for s in Status)


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"
    WHATSAPP = "whatsapp"
    VIBER = "viber"
    TELEGRAM_BOT = "telegram_bot"
    NOTIFY = "notify"


CHANNELS: tuple[str, ...] = tuple(c.value for c in Channel)
PHONE_CHANNELS: frozenset[str] = frozenset({Channel.SMS, Channel.WHATSAPP, Channel.VIBER})

EVENT_TYPES: tuple[str, ...] = (
    "sent",
    "delivered",
    "opened",
    "clicked",
    "unsubscribed",
    "complained",
    "bounced",
    "purchase",
    "visit",
    "form_submitted",
)

GENDERS: tuple[str, ...] = ("male", "female")


@dataclass(frozen=True)
class SystemField:
    key: str
    label: str
    type: FieldType
    column: str | None  # None for list fields (kept in profile_list_values)
    editable: bool = True
    options: tuple[str, ...] = ()


#: Fields every profile database has, in display order.  ``id`` and the
#: bookkeeping timestamps are shown but never offered for update.
SYSTEM_FIELDS: tuple[SystemField, ...] = (
    SystemField("id", "Profile ID", FieldType.INTEGER, "id", editable=False),
    SystemField("email", "Email", FieldType.EMAIL, "email"),
    SystemField("phones", "Phones", FieldType.PHONES, None),
    SystemField("first_name", "First name", FieldType.STRING, "first_name"),
    SystemField("last_name", "Last name", FieldType.STRING, "last_name"),
    SystemField("birthday", "Birthday", FieldType.DATE, "birthday"),
    SystemField("gender", "Gender", FieldType.ENUM, "gender", options=GENDERS),
    SystemField("city", "City", FieldType.STRING, "city"),
    SystemField("country", "Country", FieldType.STRING, "country"),
    SystemField("registered_at", "Registration date", FieldType.DATETIME, "registered_at"),
    SystemField("created_at", "Created", FieldType.DATETIME, "created_at", editable=False),
    SystemField("updated_at", "Updated", FieldType.DATETIME, "updated_at", editable=False),
    SystemField(
        "last_interaction_at",
        "Last interaction",
        FieldType.DATETIME,
        "last_interaction_at",
        editable=False,
    ),
)
SYSTEM_FIELD_KEYS: frozenset[str] = frozenset(f.key for f in SYSTEM_FIELDS)

FIELD_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+[1-9][0-9]{6,14}$")
#: Between the items of a list field (tags, phones) in one CSV cell, exported
#: and imported alike: so no tag may hold it.
LIST_SEPARATOR = ";"


class FieldValueError(ValueError):
    """A value that does not fit its field type; the message says why."""


def _parse_date(raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, str):
        try:
            return dt.date.fromisoformat(raw.strip())
        except ValueError:
            pass
    raise FieldValueError(f"{quote(raw)} is not a date (expected YYYY-MM-DD)")


def _parse_datetime(raw: Any) -> dt.datetime:
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, dt.date):
        value = dt.datetime(raw.year, raw.month, raw.day)
    elif isinstance(raw, str):
        try:
            value = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        except ValueError:
            raise FieldValueError(
                f"{quote(raw)} is not a date-time (expected ISO 8601, e.g. 2026-05-01T10:00)"
            ) from None
    else:
        raise FieldValueError(f"{quote(raw)} is not a date-time (expected ISO 8601)")
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _whole_number(raw: Any) -> int:
    """A whole number that fits the 64-bit integer columns."""
    value: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif (isinstance(raw, float) and raw.is_integer()) or (
        isinstance(raw, str) and re.fullmatch(r"\s*[-+]?\d{1,30}\s*", raw)
    ):
        value = int(raw)
    elif isinstance(raw, str) and re.fullmatch(r"\s*[-+]?\d+\s*", raw):
        value = INT64_MAX + 1  # too many digits to convert: out of range
    if value is None:
        raise FieldValueError(f"{quote(raw)} is not a whole number")
    if not INT64_MIN <= value <= INT64_MAX:
        raise FieldValueError(
            f"{quote(raw)} is beyond the 64-bit range ({INT64_MIN:,} to {INT64_MAX:,})"
        )
    return value


def _decimal_number(raw: Any) -> float:
    """A finite number (NaN and infinities are not values a profile holds)."""
    value: float | None = None
    try:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            value = float(raw)
        elif isinstance(raw, str):
            value = float(raw.strip())
    except (ValueError, OverflowError):
        value = None
    if value is None or not math.isfinite(value):
        raise FieldValueError(f"{quote(raw)} is not a number")
    return value


def coerce_value(ftype: FieldType, raw: Any, options: tuple[str, ...] | list[str] = ()) -> Any:
    """Convert a JSON/editor value to the Python value stored for ``ftype``.

    Raises :class:`FieldValueError` with a readable reason for a bad value.
    List types take a list (or one string) and return a list of strings.
    """
    if ftype is FieldType.INTEGER:
        return _whole_number(raw)
    if ftype is FieldType.FLOAT:
        return _decimal_number(raw)
    if ftype is FieldType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false", "yes", "no", "1", "0"):
            return raw.strip().lower() in ("true", "yes", "1")
        if isinstance(raw, int) and raw in (0, 1):
            return bool(raw)
        raise FieldValueError(f"{quote(raw)} is not true or false")
    if ftype is FieldType.DATE:
        return _parse_date(raw)
    if ftype is FieldType.DATETIME:
        return _parse_datetime(raw)
    if ftype.is_list:
        items = [raw] if isinstance(raw, str) else raw
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise FieldValueError(f"{quote(raw)} is not a list of strings")
        cleaned = [i.strip() for i in items if i.strip()]
        unusable = next((p for i in cleaned if (p := nul_problem(i))), None)
        if unusable:
            raise FieldValueError(unusable)
        if ftype is FieldType.TAGS:
            joined = next((i for i in cleaned if LIST_SEPARATOR in i), None)
            if joined is not None:
                raise FieldValueError(
                    f"{quote(joined)} holds {LIST_SEPARATOR!r}, which separates tags in CSV "
                    "files; give them as separate tags"
                )
        if ftype is FieldType.PHONES:
            for phone in cleaned:
                if not PHONE_RE.match(phone):
                    raise FieldValueError(
                        f"{quote(phone)} is not a phone number (expected +<digits>)"
                    )
        return cleaned
    if not isinstance(raw, str):
        raise FieldValueError(f"{quote(raw)} is not text")
    if nul_problem(raw):
        raise FieldValueError(str(nul_problem(raw)))
    text = raw.strip()
    if ftype is FieldType.ENUM:
        if text not in options:
            raise FieldValueError(f"{quote(raw)} is not one of: {', '.join(options)}")
    elif ftype is FieldType.EMAIL:
        if not EMAIL_RE.match(text):
            raise FieldValueError(f"{quote(raw)} is not an email address")
    elif ftype is FieldType.IP:
        try:
            text = str(ipaddress.ip_address(text))
        except ValueError:
            raise FieldValueError(f"{quote(raw)} is not an IP address") from None
    return text


def to_json_value(value: Any) -> Any:
    """The JSON form of a stored value (dates as ISO 8601 text)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value
