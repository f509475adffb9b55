"""The seven update actions, one module each (see ``base`` for their shape).

:data:`ORDER` lists them in the order of the wizard's action page; each is
checked against the :class:`~.base.Action` protocol (mypy), and everything
else that names the actions (the registry below, the wizard's pages, their
page ids and labels, the task history's labels) is derived from it.  A new
action is one module here, its line in :data:`ORDER`, and its wizard page.
"""

from __future__ import annotations

from ..limits import quote
from . import (
    delete_profiles,
    global_unsubscribe,
    promo_codes,
    subscribe_from_fields,
    subscribe_from_resource,
    update_fields,
    update_subscriptions,
)
from .base import Action, ActionError

#: Every action, in the order of the wizard's action page.
ORDER: tuple[Action, ...] = (
    update_fields,
    subscribe_from_fields,
    subscribe_from_resource,
    update_subscriptions,
    promo_codes,
    delete_profiles,
    global_unsubscribe,
)

#: The actions by their job's ``action.type``, in :data:`ORDER`.
ACTIONS: dict[str, Action] = {action.TYPE: action for action in ORDER}


def get_action(action_type: object) -> Action:
    """The action of ``action_type``; ActionError naming the known types otherwise."""
    if not isinstance(action_type, str) or action_type not in ACTIONS:
        known = ", ".join(ACTIONS) or "none"
        raise ActionError(f"job.action.type: unknown action {quote(action_type)} (known: {known})")
    return ACTIONS[action_type]
