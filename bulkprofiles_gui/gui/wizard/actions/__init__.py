"""The seven action pages of the update wizard, one module each.

``PAGES`` maps a core action type (``bulkprofiles_gui.core.actions`` TYPE) to
its page class, in the order of the wizard's action choice.
"""

from __future__ import annotations

from .base import ActionPage
from .delete_profiles import DeleteProfilesPage
from .global_unsubscribe import GlobalUnsubscribePage
from .promo_codes import PromoCodesPage
from .subscribe_from_fields import SubscribeFromFieldsPage
from .subscribe_from_resource import SubscribeFromResourcePage
from .update_fields import UpdateFieldsPage
from .update_subscriptions import UpdateSubscriptionsPage

PAGES: dict[str, type[ActionPage]] = {
    page.ACTION_TYPE: page
    for page in (
        UpdateFieldsPage,
        SubscribeFromFieldsPage,
        SubscribeFromResourcePage,
        UpdateSubscriptionsPage,
        PromoCodesPage,
        DeleteProfilesPage,
        GlobalUnsubscribePage,
    )
}

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
]
