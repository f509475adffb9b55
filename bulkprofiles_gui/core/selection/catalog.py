"""The rule builder's field list: every field and reserved kind with its operators."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from ..fields import CHANNELS, EVENT_TYPES, STATUSES
from ..store import Store
from . import operators as ops
from .context import ambiguous_name_message, keys_named, load_context
from .model import FieldChoice

PROFILE_FIELDS = "Profile fields"


def field_catalog(store: Store, conn: Connection, database_id: int) -> list[FieldChoice]:
    """Profile fields (display order), then global status, subscriptions, action
    history and promo codes; operators come from :mod:`.operators` only."""
    ctx = load_context(store, conn, database_id)
    choices = [
        FieldChoice(
            key=f.key,
            label=f.label,
            group=PROFILE_FIELDS,
            type=f.type.value,
            options=f.options,
            operators=ops.operator_choices(f.type.value),
        )
        for f in ctx.fields.values()
    ]
    resources = tuple(sorted(ctx.resources))
    resource_channels = {
        f"channels:{name}": tuple(sorted(info.channels)) for name, info in ctx.resources.items()
    }
    choices += [
        FieldChoice(
            key=ops.STATUS_FIELD,
            label="Global status",
            group="Global status",
            type="status",
            options=STATUSES,
            operators=ops.operator_choices("status"),
        ),
        FieldChoice(
            key=ops.SUBSCRIPTION_FIELD,
            label="Subscription",
            group="Subscriptions",
            type="subscription",
            options=resources,
            operators=ops.operator_choices("subscription"),
            details={"channels": CHANNELS, "statuses": STATUSES, **resource_channels},
        ),
        FieldChoice(
            key=ops.EVENT_FIELD,
            label="Action history",
            group="Action history",
            type="event",
            options=EVENT_TYPES,
            operators=ops.operator_choices("event"),
            details={"channels": CHANNELS, "resources": resources},
        ),
        FieldChoice(
            key=ops.PROMO_FIELD,
            label="Promo codes",
            group="Promo codes",
            type="promo",
            options=tuple(sorted(ctx.programs)),
            operators=ops.operator_choices("promo"),
        ),
    ]
    return choices


def comparable_fields(
    catalog: Sequence[FieldChoice], choice: FieldChoice, operator: str
) -> list[FieldChoice]:
    """The profile fields a condition on ``choice`` with ``operator`` may compare
    with (``"valueSource": "field"``): of a compatible type, not itself; none
    when the operator cannot take a field (see :mod:`.operators`)."""
    if not ops.takes_field(choice.type, operator):
        return []
    return [
        other
        for other in catalog
        if other.group == PROFILE_FIELDS
        and other.key != choice.key
        and ops.comparable_types(choice.type, other.type)
    ]


def catalog_key(keys: Sequence[str], name: Any) -> Any:
    """The one of ``keys`` that ``name`` means (exactly, else ignoring case and
    separators, as the compiler matches field names); ``name`` itself when no
    single key matches, so an unknown name stays visible as it was written."""
    if not isinstance(name, str):
        return name
    found = keys_named(keys, name)
    return found[0] if len(found) == 1 else name


def field_name_problem(keys: Sequence[str], name: Any) -> str | None:
    """The compiler's line for a name that matches several of ``keys``
    (``nickName``: ``nick_name`` and ``nickname``); None otherwise."""
    if not isinstance(name, str):
        return None
    found = keys_named(keys, name)
    return ambiguous_name_message(name, found) if len(found) > 1 else None
