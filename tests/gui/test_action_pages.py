"""The seven action pages: driven through their widgets on a real SQLite store.

Each page is filled the way an operator fills it (combo boxes, check boxes,
editors, buttons) and must produce the exact ``action`` JSON of domain.md,
restore itself from that JSON, stay incomplete while the input is invalid,
and only offer what the database allows (attached resources, channels
configured in the resource(s), fitting source fields).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox
from sqlalchemy import delete, insert

from bulkprofiles_gui.core import models as m
from bulkprofiles_gui.core.actions import ACTIONS
from bulkprofiles_gui.core.actions.base import ActionContext
from bulkprofiles_gui.core.config import Settings
from bulkprofiles_gui.core.fields import FieldType
from bulkprofiles_gui.core.jobfile import Job
from bulkprofiles_gui.core.store import Store, open_store
from bulkprofiles_gui.gui.wizard.actions import (
    PAGES,
    ActionPage,
    DeleteProfilesPage,
    GlobalUnsubscribePage,
    PromoCodesPage,
    SubscribeFromFieldsPage,
    SubscribeFromResourcePage,
    UpdateFieldsPage,
    UpdateSubscriptionsPage,
)
from bulkprofiles_gui.gui.wizard.actions.base import ChoiceCombo
from bulkprofiles_gui.gui.wizard.context import WizardContext

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def shop_store(tmp_path: Path) -> Iterator[Store]:
    """Two databases; resources Newsletter, Shop, Partners attached to "Shop
    customers", Elsewhere attached to nothing; custom fields of every kind."""
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}", create=True)
    with store.begin() as conn:
        shop = store.create_database(conn, "Shop customers")
        other = store.create_database(conn, "Other")
        store.add_custom_field(conn, shop, "bonus_points", "Bonus points", FieldType.INTEGER)
        store.add_custom_field(conn, shop, "rating", "Rating", FieldType.FLOAT)
        store.add_custom_field(conn, shop, "tags", "Tags", FieldType.TAGS, ("vip", "new"))
        store.add_custom_field(conn, shop, "vip", "VIP", FieldType.BOOLEAN)
        store.add_custom_field(
            conn, shop, "level", "Level", FieldType.ENUM, ("bronze", "silver", "gold")
        )
        store.add_custom_field(conn, shop, "telegram_id", "Telegram id", FieldType.STRING)
        store.add_custom_field(conn, shop, "last_order", "Last order", FieldType.DATE)
        store.add_custom_field(conn, other, "other_text", "Other text", FieldType.STRING)
        conn.execute(
            insert(m.Resource),
            [
                {"id": 1, "name": "Newsletter"},
                {"id": 2, "name": "Shop"},
                {"id": 3, "name": "Partners"},
                {"id": 4, "name": "Elsewhere"},
            ],
        )
        conn.execute(
            insert(m.ResourceChannel),
            [
                {"resource_id": 1, "channel": "email"},
                {"resource_id": 1, "channel": "sms"},
                {"resource_id": 1, "channel": "push"},
                {"resource_id": 2, "channel": "email"},
                {"resource_id": 2, "channel": "sms"},
                {"resource_id": 2, "channel": "telegram_bot"},
                {"resource_id": 3, "channel": "viber"},
                {"resource_id": 4, "channel": "email"},
                {"resource_id": 4, "channel": "whatsapp"},
            ],
        )
        conn.execute(
            insert(m.ResourceDatabase),
            [
                {"resource_id": 1, "database_id": shop},
                {"resource_id": 2, "database_id": shop},
                {"resource_id": 3, "database_id": shop},
                {"resource_id": 4, "database_id": other},
            ],
        )
        conn.execute(
            insert(m.LoyaltyProgram),
            [
                {"id": 1, "name": "Winter sale", "database_id": shop},
                {"id": 2, "name": "Elsewhere club", "database_id": other},
            ],
        )
        conn.execute(
            insert(m.PromoCode),
            [
                {"program_id": 1, "code": "W1", "status": "free"},
                {"program_id": 1, "code": "W2", "status": "free"},
                {"program_id": 1, "code": "W3", "status": "activated"},
                {"program_id": 2, "code": "E1", "status": "free"},
            ],
        )
    try:
        yield store
    finally:
        store.close()


def _database_id(store: Store, name: str) -> int:
    with store.begin() as conn:
        return store.database_id(conn, name)


@pytest.fixture
def ctx(shop_store: Store) -> WizardContext:
    return WizardContext(
        store=shop_store,
        settings=Settings(),
        database_id=_database_id(shop_store, "Shop customers"),
        database_name="Shop customers",
    )


def _page(qtbot: Any, cls: type[ActionPage], ctx: WizardContext) -> Any:
    page = cls(ctx)
    qtbot.addWidget(page)
    page.initializePage()
    qtbot.waitUntil(lambda: not page.is_loading())  # promo pools are read in a QThread
    return page


def _choose(combo: QComboBox, value: Any) -> None:
    index = combo.findData(value)
    assert index >= 0, f"{value!r} is not offered: {_values(combo)}"
    combo.setCurrentIndex(index)


def _values(combo: QComboBox) -> list[Any]:
    return [combo.itemData(i) for i in range(combo.count())]


def _core_accepts(ctx: WizardContext, action: dict[str, Any]) -> None:
    """The page's JSON is what the core action parses (no ActionError)."""
    assert ctx.database_id is not None
    run_ctx = ActionContext(
        store=ctx.store,
        database_id=ctx.database_id,
        settings=ctx.settings,
        now=dt.datetime(2026, 5, 31, 12, 0),
        task_id=0,
    )
    with ctx.store.begin() as conn:
        ACTIONS[action["type"]].parse(conn, run_ctx, action)


# -- the registry ---------------------------------------------------------------------------------
def test_pages_cover_the_seven_action_types() -> None:
    assert list(PAGES) == [
        "update_fields",
        "subscribe_from_fields",
        "subscribe_from_resource",
        "update_subscriptions",
        "promo_codes",
        "delete_profiles",
        "global_unsubscribe",
    ]
    assert all(key == page.ACTION_TYPE for key, page in PAGES.items())


def test_every_page_shows_a_one_line_explanation(qtbot: Any, ctx: WizardContext) -> None:
    for cls in PAGES.values():
        page = _page(qtbot, cls, ctx)
        assert page.title()
        assert page.description_label.text().strip()


def test_load_action_of_another_type_is_refused(qtbot: Any, ctx: WizardContext) -> None:
    page = _page(qtbot, PromoCodesPage, ctx)
    with pytest.raises(ValueError, match="promo_codes"):
        page.load_action({"type": "delete_profiles"})


# -- update_fields --------------------------------------------------------------------------------
def _add_field(page: UpdateFieldsPage, key: str) -> Any:
    _choose(page.field_combo, key)
    page.add_button.click()
    row = page.rows[-1]
    assert row.info.key == key
    return row


def test_update_fields_builds_the_changes_from_the_rows(qtbot: Any, ctx: WizardContext) -> None:
    page = _page(qtbot, UpdateFieldsPage, ctx)
    assert not page.isComplete()  # no change yet

    city = _add_field(page, "city")
    qtbot.keyClicks(city.editor.line, "Berlin")
    bonus = _add_field(page, "bonus_points")
    _choose(bonus.op_combo, "increment")
    qtbot.keyClicks(bonus.editor.line, "10")
    tags = _add_field(page, "tags")
    _choose(tags.op_combo, "add")
    qtbot.keyClicks(tags.editor.line, "vip, summer")
    last = _add_field(page, "last_name")
    _choose(last.op_combo, "clear")
    level = _add_field(page, "level")
    _choose(level.editor.combo, "gold")
    order = _add_field(page, "last_order")
    order.editor.set_value("2026-03-15")

    assert page.isComplete(), page.problems()
    assert page.action() == {
        "type": "update_fields",
        "changes": [
            {"field": "city", "op": "set", "value": "Berlin"},
            {"field": "bonus_points", "op": "increment", "value": 10},
            {"field": "tags", "op": "add", "value": ["vip", "summer"]},
            {"field": "last_name", "op": "clear"},
            {"field": "level", "op": "set", "value": "gold"},
            {"field": "last_order", "op": "set", "value": "2026-03-15"},
        ],
    }
    _core_accepts(ctx, page.action())


def test_update_fields_offers_operations_by_field_type(qtbot: Any, ctx: WizardContext) -> None:
    page = _page(qtbot, UpdateFieldsPage, ctx)
    assert _values(_add_field(page, "city").op_combo) == ["set", "clear"]
    assert _values(_add_field(page, "bonus_points").op_combo) == ["set", "clear", "increment"]
    assert _values(_add_field(page, "rating").op_combo) == ["set", "clear", "increment"]
    assert _values(_add_field(page, "tags").op_combo) == ["set", "clear", "add", "remove"]
    assert _values(_add_field(page, "phones").op_combo) == ["set", "clear"]


def test_update_fields_offers_only_editable_fields(qtbot: Any, ctx: WizardContext) -> None:
    page = _page(qtbot, UpdateFieldsPage, ctx)
    offered = _values(page.field_combo)
    assert {"email", "city", "bonus_points", "tags", "telegram_id"} <= set(offered)
    assert not {"id", "created_at", "updated_at", "last_interaction_at"} & set(offered)
    assert "other_text" not in offered  # a field of another database


def test_update_fields_editor_fits_the_field_type(qtbot: Any, ctx: WizardContext) -> None:
    page = _page(qtbot, UpdateFieldsPage, ctx)
    vip = _add_field(page, "vip")
    _choose(vip.editor.combo, False)
    level = _add_field(page, "level")
    assert _values(level.editor.combo) == ["bronze", "silver", "gold"]
    rating = _add_field(page, "rating")
    qtbot.keyClicks(rating.editor.line, "4,5")
    assert page.action()["changes"] == [
        {"field": "vip", "op": "set", "value": False},
        {"field": "level", "op": "set", "value": "bronze"},
        {"field": "rating", "op": "set", "value": 4.5},
    ]


def test_update_fields_invalid_values_keep_the_page_incomplete(
    qtbot: Any, ctx: WizardContext
) -> None:
    page = _page(qtbot, UpdateFieldsPage, ctx)
    email = _add_field(page, "email")
    qtbot.keyClicks(email.editor.line, "not-an-address")
    assert not page.isComplete()
    assert "Email" in page.problem_label.text()
    email.editor.line.clear()
    qtbot.keyClicks(email.editor.line, "ann@example.com")
    assert page.isComplete()

    bonus = _add_field(page, "bonus_points")
    _choose(bonus.op_combo, "increment")
    qtbot.keyClicks(bonus.editor.line, "ten")
    assert not page.isComplete()
    bonus.editor.line.clear()
    qtbot.keyClicks(bonus.editor.line, "0")
    assert not page.isComplete()  # increasing by 0 changes nothing
    assert "changes nothing" in page.problem_label.text()

    phones = _add_field(page, "phones")
    qtbot.keyClicks(phones.editor.line, "12345")
    assert not page.isComplete()


def test_update_fields_a_field_is_added_once_and_rows_can_be_removed(
    qtbot: Any, ctx: WizardContext
) -> None:
    page = _page(qtbot, UpdateFieldsPage, ctx)
    city = _add_field(page, "city")
    _choose(page.field_combo, "city")
    assert not page.add_button.isEnabled()
    page.add_chosen_field()
    assert len(page.rows) == 1
    qtbot.mouseClick(city.remove_button, Qt.MouseButton.LeftButton)
    assert page.rows == []
    assert page.add_button.isEnabled()
    assert not page.isComplete()


def test_update_fields_load_action_round_trips(qtbot: Any, ctx: WizardContext) -> None:
    action = {
        "type": "update_fields",
        "changes": [
            {"field": "city", "op": "set", "value": "Paris"},
            {"field": "bonus_points", "op": "increment", "value": -5},
            {"field": "tags", "op": "add", "value": ["vip"]},
            {"field": "tags", "op": "remove", "value": ["new"]},
            {"field": "phones", "op": "set", "value": ["+491701234567"]},
            {"field": "vip", "op": "set", "value": True},
            {"field": "registered_at", "op": "set", "value": "2026-01-02T09:30:00"},
            {"field": "birthday", "op": "clear"},
        ],
    }
    page = _page(qtbot, UpdateFieldsPage, ctx)
    page.load_action(action)
    assert page.isComplete(), page.problems()
    assert page.action() == action
    _core_accepts(ctx, action)
    # Loaded before the page is shown (File -> Open job), then shown.
    later = UpdateFieldsPage(ctx)
    qtbot.addWidget(later)
    later.load_action(action)
    later.initializePage()
    qtbot.waitUntil(lambda: not later.is_loading())  # choices read in a QThread
    assert later.action() == action


def test_update_fields_job_with_an_unknown_field_or_op_is_reported(
    qtbot: Any, ctx: WizardContext
) -> None:
    page = _page(qtbot, UpdateFieldsPage, ctx)
    action = {
        "type": "update_fields",
        "changes": [
            {"field": "city", "op": "set", "value": "Paris"},
            {"field": "nickname", "op": "set", "value": "Bob"},
        ],
    }
    page.load_action(action)
    assert not page.isComplete()
    assert "nickname" in page.problem_label.text()
    assert page.action() == action  # nothing silently dropped
    page.rows[1].remove_button.click()
    assert page.isComplete()

    page.load_action(
        {"type": "update_fields", "changes": [{"field": "city", "op": "increment", "value": 1}]}
    )
    assert not page.isComplete()
    assert "increment" in page.problem_label.text()
    _choose(page.rows[0].op_combo, "clear")
    assert page.isComplete()


def test_update_fields_keeps_its_rows_when_shown_again(qtbot: Any, ctx: WizardContext) -> None:
    page = _page(qtbot, UpdateFieldsPage, ctx)
    qtbot.keyClicks(_add_field(page, "city").editor.line, "Rome")
    page.initializePage()  # Back, then Next again
    qtbot.waitUntil(lambda: not page.is_loading())  # choices read in a QThread
    assert page.action()["changes"] == [{"field": "city", "op": "set", "value": "Rome"}]


# -- subscribe_from_fields ------------------------------------------------------------------------
def test_subscribe_from_fields_action(qtbot: Any, ctx: WizardContext) -> None:
    page = _page(qtbot, SubscribeFromFieldsPage, ctx)
    _choose(page.resource_combo, "Newsletter")
    _choose(page.channel_combo, "sms")
    _choose(page.status_combo, "subscribed")
    _choose(page.source_combo, "phones")
    page.unsafe_option.checkbox.click()
    assert page.isComplete(), page.problems()
    assert page.action() == {
        "type": "subscribe_from_fields",
        "resource": "Newsletter",
        "channel": "sms",
        "status": "subscribed",
        "source_field": "phones",
        "include_unsafe": True,
    }
    _core_accepts(ctx, page.action())


def test_subscribe_from_fields_offers_only_attached_resources_and_their_channels(
    qtbot: Any, ctx: WizardContext
) -> None:
    page = _page(qtbot, SubscribeFromFieldsPage, ctx)
    assert _values(page.resource_combo) == ["Newsletter", "Partners", "Shop"]
    _choose(page.resource_combo, "Shop")
    assert _values(page.channel_combo) == ["email", "sms", "telegram_bot"]
    _choose(page.resource_combo, "Partners")
    assert _values(page.channel_combo) == ["viber"]


def test_subscribe_from_fields_offers_only_fitting_source_fields(
    qtbot: Any, ctx: WizardContext
) -> None:
    page = _page(qtbot, SubscribeFromFieldsPage, ctx)
    _choose(page.resource_combo, "Shop")
    _choose(page.channel_combo, "email")
    assert _values(page.source_combo) == ["email"]
    _choose(page.channel_combo, "sms")
    assert _values(page.source_combo) == ["phones"]
    _choose(page.channel_combo, "telegram_bot")
    assert _values(page.source_combo) == ["telegram_id"]  # custom text fields only
    _choose(page.resource_combo, "Partners")
    assert _values(page.source_combo) == ["phones"]  # viber


def test_subscribe_from_fields_unsafe_option_only_for_subscribed(
    qtbot: Any, ctx: WizardContext
) -> None:
    page = _page(qtbot, SubscribeFromFieldsPage, ctx)
    page.unsafe_option.checkbox.setChecked(True)
    _choose(page.status_combo, "unconfirmed")
    assert not page.unsafe_option.checkbox.isEnabled()
    assert "Subscribed" in page.unsafe_option.checkbox.toolTip()
    assert page.action()["include_unsafe"] is False
    _choose(page.status_combo, "subscribed")
    assert page.unsafe_option.checkbox.isEnabled()
    assert page.action()["include_unsafe"] is True


def test_subscribe_from_fields_round_trip_and_wrong_names(qtbot: Any, ctx: WizardContext) -> None:
    action = {
        "type": "subscribe_from_fields",
        "resource": "Shop",
        "channel": "telegram_bot",
        "status": "unconfirmed",
        "source_field": "telegram_id",
        "include_unsafe": False,
    }
    page = _page(qtbot, SubscribeFromFieldsPage, ctx)
    page.load_action(action)
    assert page.isComplete()
    assert page.action() == action

    page.load_action({**action, "resource": "Elsewhere", "channel": "email"})
    assert not page.isComplete()
    assert "Elsewhere" in page.problem_label.text()
    assert page.action()["resource"] == "Elsewhere"  # shown as unavailable, not swapped

    page.load_action({**action, "channel": "viber"})  # not configured in Shop
    assert not page.isComplete()
    assert "Viber" in page.problem_label.text()

    page.load_action({**action, "source_field": "city"})  # not a custom text field
    assert not page.isComplete()
    assert "city" in page.problem_label.text()


def test_subscription_pages_without_attached_resources(qtbot: Any, shop_store: Store) -> None:
    bare = WizardContext(shop_store, Settings(), _database_id(shop_store, "Other"), "Other")
    with shop_store.begin() as conn:
        conn.execute(
            delete(m.ResourceDatabase).where(m.ResourceDatabase.database_id == bare.database_id)
        )
    for cls in (SubscribeFromFieldsPage, SubscribeFromResourcePage, UpdateSubscriptionsPage):
        page = _page(qtbot, cls, bare)
        assert not page.isComplete(), cls.__name__
        assert "Attach" in page.problem_label.text()


# -- subscribe_from_resource ----------------------------------------------------------------------
def _check(page: SubscribeFromResourcePage, channel: str) -> None:
    items = page.channel_list.findItems(
        {"email": "Email", "sms": "SMS"}[channel], Qt.MatchFlag.MatchExactly
    )
    assert items, f"{channel} is not offered"
    items[0].setCheckState(Qt.CheckState.Checked)


def test_subscribe_from_resource_action(qtbot: Any, ctx: WizardContext) -> None:
    page = _page(qtbot, SubscribeFromResourcePage, ctx)
    _choose(page.source_combo, "Shop")
    _choose(page.resource_combo, "Newsletter")
    assert page.channel_list.channels() == ["email", "sms"]  # configured in both
    assert not page.isComplete()  # no channel checked yet
    _check(page, "email")
    _check(page, "sms")
    _choose(page.status_combo, "subscribed")
    assert page.isComplete(), page.problems()
    assert page.action() == {
        "type": "subscribe_from_resource",
        "source_resource": "Shop",
        "resource": "Newsletter",
        "channels": ["email", "sms"],
        "status": "subscribed",
        "include_unsafe": False,
    }
    _core_accepts(ctx, page.action())


def test_subscribe_from_resource_choices_and_invalid_input(qtbot: Any, ctx: WizardContext) -> None:
    page = _page(qtbot, SubscribeFromResourcePage, ctx)
    assert _values(page.source_combo) == ["Newsletter", "Partners", "Shop"]
    assert _values(page.resource_combo) == ["Newsletter", "Partners", "Shop"]
    assert page.source_combo.current_value() != page.resource_combo.current_value()
    _choose(page.source_combo, "Shop")
    _choose(page.resource_combo, "Shop")
    assert not page.isComplete()
    assert "different" in page.problem_label.text()
    _choose(page.resource_combo, "Partners")
    assert page.channel_list.channels() == []
    assert not page.isComplete()
    assert "no channel" in page.problem_label.text()
    assert "source subscription" in page.unsafe_option.explanation.text()


def test_subscribe_from_resource_round_trip(qtbot: Any, ctx: WizardContext) -> None:
    action = {
        "type": "subscribe_from_resource",
        "source_resource": "Newsletter",
        "resource": "Shop",
        "channels": ["sms"],
        "status": "subscribed",
        "include_unsafe": True,
    }
    page = SubscribeFromResourcePage(ctx)
    qtbot.addWidget(page)
    page.load_action(action)  # before the page is shown
    page.initializePage()
    qtbot.waitUntil(lambda: not page.is_loading())  # choices read in a QThread
    assert page.isComplete(), page.problems()
    assert page.action() == action

    page.load_action({**action, "channels": ["sms", "push"]})  # push is not in Shop
    assert not page.isComplete()
    assert "Push" in page.problem_label.text()
    _check(page, "email")  # the operator looks at the channels again
    assert page.isComplete()
    assert page.action()["channels"] == ["email", "sms"]


# -- update_subscriptions -------------------------------------------------------------------------
def test_update_subscriptions_action_and_round_trip(qtbot: Any, ctx: WizardContext) -> None:
    page = _page(qtbot, UpdateSubscriptionsPage, ctx)
    assert _values(page.resource_combo) == ["Newsletter", "Partners", "Shop"]
    _choose(page.resource_combo, "Newsletter")
    assert _values(page.channel_combo) == ["email", "sms", "push"]  # usual order
    _choose(page.channel_combo, "email")
    _choose(page.status_combo, "unsubscribed")
    assert not page.unsafe_option.checkbox.isEnabled()
    expected = {
        "type": "update_subscriptions",
        "resource": "Newsletter",
        "channel": "email",
        "status": "unsubscribed",
        "include_unsafe": False,
    }
    assert page.isComplete()
    assert page.action() == expected
    _core_accepts(ctx, expected)
    again = _page(qtbot, UpdateSubscriptionsPage, ctx)
    again.load_action({**expected, "status": "subscribed", "include_unsafe": True})
    assert again.action() == {**expected, "status": "subscribed", "include_unsafe": True}
    again.load_action({**expected, "resource": "Nope"})
    assert not again.isComplete()
    assert "Nope" in again.problem_label.text()
    _choose(again.resource_combo, "Shop")
    assert again.isComplete()


def test_a_job_of_another_database_is_kept_until_that_database_is_chosen(
    qtbot: Any, ctx: WizardContext, shop_store: Store
) -> None:
    """File -> Open job while the pages still hold the previous database: the
    job's names stay (marked unavailable) and fit once its database is chosen."""
    action = {
        "type": "update_subscriptions",
        "resource": "Elsewhere",
        "channel": "whatsapp",
        "status": "unsubscribed",
        "include_unsafe": False,
    }
    channels = {
        "type": "subscribe_from_resource",
        "source_resource": "Newsletter",
        "resource": "Shop",
        "channels": ["push", "sms"],
        "status": "subscribed",
        "include_unsafe": False,
    }
    other = _page(qtbot, SubscribeFromResourcePage, ctx)
    other.load_action(channels)
    assert other.action() == channels  # push is not in Shop: kept, and reported
    assert not other.isComplete()
    assert "Push" in other.problem_label.text()
    page = _page(qtbot, UpdateSubscriptionsPage, ctx)  # filled for "Shop customers"
    page.load_action(action)
    assert not page.isComplete()
    assert page.action() == action
    ctx.database_id = _database_id(shop_store, "Other")  # the selection page catches up
    page.initializePage()
    qtbot.waitUntil(lambda: not page.is_loading())  # choices read in a QThread
    assert page.isComplete(), page.problems()
    assert page.action() == action


# -- promo_codes ----------------------------------------------------------------------------------
def test_promo_codes_attach_and_detach(qtbot: Any, ctx: WizardContext) -> None:
    page = _page(qtbot, PromoCodesPage, ctx)
    assert _values(page.program_combo) == ["Winter sale"]  # not another database's program
    assert "2 free codes" in page.program_combo.currentText()
    assert page.isComplete()
    assert page.action() == {"type": "promo_codes", "mode": "attach", "program": "Winter sale"}
    page.detach_radio.click()
    assert page.action() == {"type": "promo_codes", "mode": "detach", "program": "Winter sale"}
    _core_accepts(ctx, page.action())
    again = _page(qtbot, PromoCodesPage, ctx)
    again.load_action(page.action())
    assert again.action() == page.action()
    again.load_action({"type": "promo_codes", "mode": "attach", "program": "Elsewhere club"})
    assert not again.isComplete()
    assert "Elsewhere club" in again.problem_label.text()


def test_promo_codes_reads_the_pools_in_the_background(qtbot: Any, ctx: WizardContext) -> None:
    page = PromoCodesPage(ctx)
    qtbot.addWidget(page)
    page.initializePage()
    assert page.is_loading()
    assert not page.isComplete()  # nothing to choose yet
    action = {"type": "promo_codes", "mode": "detach", "program": "Winter sale"}
    page.load_action(action)  # File -> Open job while the pools are being read
    with qtbot.waitSignal(page.completeChanged, timeout=10_000):
        pass
    qtbot.waitUntil(lambda: not page.is_loading())
    assert page.isComplete()
    assert page.action() == action
    page.initializePage()  # Back and Next: read again, the choice stays
    page.shutdown()  # the wizard closes while reading: nothing arrives, no thread left
    assert not page.is_loading()
    assert page.action() == action


def test_promo_codes_warns_when_the_pool_is_too_small(qtbot: Any, ctx: WizardContext) -> None:
    page = _page(qtbot, PromoCodesPage, ctx)
    page.set_expected_profiles(5)
    assert page.pool_warning.isVisibleTo(page)
    assert "3 will be reported" in page.pool_warning.text()
    page.set_expected_profiles(2)
    assert not page.pool_warning.isVisibleTo(page)
    assert page.isComplete()  # a pool that runs dry is reported, not refused


# -- delete_profiles and global_unsubscribe -------------------------------------------------------
def test_delete_profiles_shows_the_cutoff_in_words(
    qtbot: Any, ctx: WizardContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(DeleteProfilesPage, "today", staticmethod(lambda: dt.date(2026, 5, 31)))
    page = _page(qtbot, DeleteProfilesPage, ctx)
    assert "Profiles with no interaction since 1 January 2026 will be deleted" in (
        page.cutoff_label.text()
    )
    ctx.settings.delete_min_inactive_months = 6
    page.initializePage()
    assert "since 1 November 2025" in page.cutoff_label.text()
    assert "mandatory" in page.conditions_label.text()
    assert "reports" in page.reports_label.text()
    assert page.isComplete()
    assert page.action() == {"type": "delete_profiles"}
    page.load_action({"type": "delete_profiles"})
    assert page.action() == {"type": "delete_profiles"}


@pytest.mark.parametrize("cls", [DeleteProfilesPage, GlobalUnsubscribePage])
def test_conditions_are_mandatory(qtbot: Any, ctx: WizardContext, cls: type[ActionPage]) -> None:
    """The page reads the selection from the wizard's job draft (``ctx.draft``)."""
    ctx.draft = Job(database="Shop customers", rules={"combinator": "and", "rules": []})
    page = cls(ctx)
    qtbot.addWidget(page)
    page.initializePage()
    assert not page.isComplete()
    assert "condition" in page.problem_label.text()
    ctx.draft.rules = {
        "combinator": "and",
        "not": False,
        "rules": [{"field": "city", "operator": "=", "value": "Berlin"}],
    }
    page.initializePage()
    assert page.isComplete()
    assert page.action() == {"type": cls.ACTION_TYPE}
    _core_accepts(ctx, page.action())
    ctx.draft.segment = "Berliners"  # a segment brings conditions of its own
    ctx.draft.rules = {"combinator": "and", "rules": []}
    page.initializePage()
    assert page.isComplete()


def test_promo_codes_takes_the_count_from_the_job_draft(qtbot: Any, ctx: WizardContext) -> None:
    ctx.draft = Job(database="Shop customers")
    ctx.selected_count = 40  # the selection page's last finished count
    page = PromoCodesPage(ctx)
    qtbot.addWidget(page)
    page.initializePage()
    qtbot.waitUntil(lambda: not page.is_loading())
    assert "selection holds 40 profiles" in page.pool_warning.text()
    assert page.isComplete()  # a dry pool is reported, not refused


def test_the_pool_warning_follows_the_selection_count(qtbot: Any, ctx: WizardContext) -> None:
    """It kept warning about the selection before the operator went back and
    narrowed it (audit): not counted yet says nothing, a count that lands on
    the page is taken."""
    ctx.draft = Job(database="Shop customers")
    ctx.selected_count = 40
    page = PromoCodesPage(ctx)
    qtbot.addWidget(page)
    page.initializePage()
    qtbot.waitUntil(lambda: not page.is_loading())
    assert "selection holds 40 profiles" in page.pool_warning.text()
    ctx.selected_count = None  # back, a condition added, Next before the count
    page.initializePage()
    qtbot.waitUntil(lambda: not page.is_loading())
    assert page.pool_warning.text() == ""
    page.selection_counted(1)
    assert page.pool_warning.text() == ""  # one profile: the free codes suffice
    page.selection_counted(41)
    assert "selection holds 41 profiles" in page.pool_warning.text()


def test_global_unsubscribe_explains_itself(qtbot: Any, ctx: WizardContext) -> None:
    page = _page(qtbot, GlobalUnsubscribePage, ctx)
    assert "any channel" in page.explanation_label.text()
    assert "mandatory" in page.conditions_label.text()


def test_every_page_on_demo_data_gives_json_the_core_accepts(qtbot: Any, demo_store: Store) -> None:
    """On the demo database (each backend), the pages' first choices are valid."""
    demo = WizardContext(
        demo_store, Settings(), _database_id(demo_store, "Demo customers"), "Demo customers"
    )
    for cls in PAGES.values():
        page = _page(qtbot, cls, demo)
        if isinstance(page, UpdateFieldsPage):
            qtbot.keyClicks(_add_field(page, "city").editor.line, "Porto")
        if isinstance(page, SubscribeFromResourcePage):
            page.channel_list.item(0).setCheckState(Qt.CheckState.Checked)
        assert page.isComplete(), (cls.__name__, page.problems())
        _core_accepts(demo, page.action())


def test_pages_without_a_database_are_incomplete(qtbot: Any, shop_store: Store) -> None:
    none = WizardContext(shop_store, Settings())
    for cls in PAGES.values():
        page = _page(qtbot, cls, none)
        assert not page.isComplete(), cls.__name__
        assert isinstance(page.problems(), list)


def test_keyboard_labels_have_buddies_and_rows_tab_in_order(qtbot: Any, ctx: WizardContext) -> None:
    for cls in PAGES.values():
        page = _page(qtbot, cls, ctx)
        for row in range(page.form.rowCount()):
            label = page.form.itemAt(row, page.form.ItemRole.LabelRole)
            if label is not None and label.widget() is not None and label.widget().text():
                assert "&" in label.widget().text() or cls is PromoCodesPage
                assert label.widget().buddy() is not None, label.widget().text()
    page = _page(qtbot, UpdateFieldsPage, ctx)
    row = _add_field(page, "city")
    _choose(row.op_combo, "clear")
    _choose(row.op_combo, "set")  # a new editor: it must still come between op and Remove
    assert _tab_stops_after(row.op_combo, 2) == [row.editor.line, row.remove_button]


def _tab_stops_after(widget: Any, n: int) -> list[Any]:
    """The next ``n`` widgets Tab reaches after ``widget``."""
    stops: list[Any] = []
    current = widget
    while len(stops) < n:
        current = current.nextInFocusChain()
        tabbable = bool(current.focusPolicy() & Qt.FocusPolicy.TabFocus)
        if tabbable and current.isEnabled() and not current.isHidden():
            stops.append(current)
    return stops


def test_choice_combo_keeps_an_unknown_value_visible(qtbot: Any) -> None:
    combo = ChoiceCombo()
    qtbot.addWidget(combo)
    combo.set_choices([("A", "a"), ("B", "b")])
    combo.select_value("z", lambda v: f"{v} (missing)")
    assert combo.current_value() is None
    assert combo.missing_value() == "z"
    assert combo.currentText() == "z (missing)"
    combo.setCurrentIndex(1)
    assert combo.missing_value() is None
    combo.select_value("y", lambda v: f"{v} (missing)")  # a second job file
    assert [combo.itemText(i) for i in range(combo.count())] == ["A", "B", "y (missing)"]
    assert combo.missing_value() == "y"


# --- issue 11: ticks kept, words, the fields of the conditions first ----------------------


def test_subscribe_from_resource_ticks_survive_a_switch_of_source_and_back(
    qtbot: Any, ctx: WizardContext
) -> None:
    page = _page(qtbot, SubscribeFromResourcePage, ctx)
    _choose(page.source_combo, "Shop")
    _choose(page.resource_combo, "Newsletter")
    _check(page, "sms")
    assert page.channel_list.checked() == ["sms"]
    _choose(page.source_combo, "Partners")  # viber only: nothing in common with Newsletter
    assert page.channel_list.channels() == []
    _choose(page.source_combo, "Shop")
    assert page.channel_list.checked() == ["sms"]
    assert page.action()["channels"] == ["sms"]
    items = page.channel_list.findItems("SMS", Qt.MatchFlag.MatchExactly)
    items[0].setCheckState(Qt.CheckState.Unchecked)  # an untick is kept as well
    _choose(page.source_combo, "Partners")
    _choose(page.source_combo, "Shop")
    assert page.channel_list.checked() == []


def test_statuses_and_channels_read_as_words_on_the_action_pages(
    qtbot: Any, ctx: WizardContext
) -> None:
    page = _page(qtbot, UpdateSubscriptionsPage, ctx)
    texts = [page.status_combo.itemText(i) for i in range(page.status_combo.count())]
    assert "Hard bounced" in texts and "Unsubscribed" in texts
    assert all(text[0].isupper() for text in texts)
    _choose(page.status_combo, "subscribed")
    assert "Unsubscribed, Complainer, Hard bounced or Invalid" in (
        page.unsafe_option.explanation.text()
    )
    channels = [page.channel_combo.itemText(i) for i in range(page.channel_combo.count())]
    assert "Email" in channels


def test_update_fields_offers_the_fields_of_the_conditions_first(
    qtbot: Any, ctx: WizardContext
) -> None:
    ctx.draft.rules = {
        "combinator": "and",
        "not": False,
        "rules": [
            {"field": "$status", "operator": "=", "value": "subscribed"},
            {"field": "city", "operator": "null", "value": None},
            {"combinator": "or", "rules": [{"field": "level", "operator": "null"}]},
        ],
    }
    page = _page(qtbot, UpdateFieldsPage, ctx)
    assert _values(page.field_combo)[:2] == ["city", "level"]
    assert page.field_combo.current_value() == "city"
    assert "in the conditions" in page.field_combo.itemText(0)
    assert "bonus_points" in _values(page.field_combo)
    assert len(_values(page.field_combo)) == len(set(_values(page.field_combo)))
