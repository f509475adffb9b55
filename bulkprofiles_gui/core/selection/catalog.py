"""The rule builder's field list: every field and reserved kind with its operators."""

from __future__ import annotations

from sqlalchemy import Connection

from ..fields import CHANNELS, EVENT_TYPES, STATUSES
from ..store import Store
from . import operators as ops
from .context import load_context
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
