"""The action pages of the update wizard, one module each.

``PAGES`` maps each core action type to its page class, in the core's order
(:data:`bulkprofiles_gui.core.actions.ORDER`): the core's list is the only
one, and a page names its action by ``ACTION_TYPE``.  Every core action
must have exactly one page here, and every page a core action: the wizard
refuses to start otherwise.
"""

from __future__ import annotations

from ....core.actions import ACTIONS
from .base import ActionPage
from .delete_profiles import DeleteProfilesPage
from .global_unsubscribe import GlobalUnsubscribePage
from .promo_codes import PromoCodesPage
from .subscribe_from_fields import SubscribeFromFieldsPage
from .subscribe_from_resource import SubscribeFromResourcePage
from .update_fields import UpdateFieldsPage
from .update_subscriptions import UpdateSubscriptionsPage


def pages_in_core_order(pages: tuple[type[ActionPage], ...]) -> dict[str, type[ActionPage]]:
    """The pages by action type, in the core's order; RuntimeError naming an
    action without a page, or a page without an action."""
    by_type = {page.ACTION_TYPE: page for page in pages}
    without_page = [t for t in ACTIONS if t not in by_type]
    without_action = [t for t in by_type if t not in ACTIONS]
    if without_page or without_action or len(by_type) != len(pages):
        raise RuntimeError(
            f"action pages do not match the core's actions: no page for {without_page}, "
            f"no action for {without_action}, {len(pages) - len(by_type)} page(s) twice"
        )
    return {action_type: by_type[action_type] for action_type in ACTIONS}


PAGES: dict[str, type[ActionPage]] = pages_in_core_order(
    (
        DeleteProfilesPage,
        GlobalUnsubscribePage,
        PromoCodesPage,
        SubscribeFromFieldsPage,
        SubscribeFromResourcePage,
        UpdateFieldsPage,
        UpdateSubscriptionsPage,
    )
)

__all__ = [
    "PAGES",
    "ActionPage",
    "DeleteProfilesPage",
    "GlobalUnsubscribePage",
    "PromoCodesPage",
    "SubscribeFromFieldsPage",
    "SubscribeFromResourcePage",
    "UpdateFieldsPage",
    "UpdateSubscriptionsPage",
    "pages_in_core_order",
]
