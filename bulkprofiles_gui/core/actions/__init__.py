"""The seven update actions, one module each (see ``base`` for their shape).

Modules are discovered here so that each lives on its own; ``ORDER`` is the
order of the wizard's action page.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from ..limits import quote
from .base import ActionError

ORDER = (
    "update_fields",
    "subscribe_from_fields",
    "subscribe_from_resource",
    "update_subscriptions",
    "promo_codes",
    "delete_profiles",
    "global_unsubscribe",
)


def _discover() -> dict[str, ModuleType]:
    found: dict[str, ModuleType] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name == "base" or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found[module.TYPE] = module
    rank = {name: i for i, name in enumerate(ORDER)}
    return dict(sorted(found.items(), key=lambda kv: rank.get(kv[0], len(ORDER))))


ACTIONS: dict[str, ModuleType] = _discover()


def get_action(action_type: object) -> ModuleType:
    """The module of ``action_type``; ActionError naming the known types otherwise."""
    if not isinstance(action_type, str) or action_type not in ACTIONS:
        known = ", ".join(ACTIONS) or "none"
        raise ActionError(f"job.action.type: unknown action {quote(action_type)} (known: {known})")
    return ACTIONS[action_type]
