"""Pilot tests at 80x24: the delivery step of checkout, for this order only."""

from __future__ import annotations

from textual.widgets import Input, Static

from portal.data import contact as contact_data
from portal.data import order_delivery
from portal.services import basket, catalog
from tests.unit.test_wallet_support import member

BOX = "Coffret Smartbox « Séjour gourmand »"


def _text(app, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(selector, Static).render())


async def _settle(app, pilot) -> None:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.pause()


async def _type(app, pilot, selector: str, text: str) -> None:  # type: ignore[no-untyped-def]
    field = app.screen.query_one(selector, Input)
    field.value = ""
    field.focus()
    await pilot.pause()
    await pilot.press(*text)


async def _checkout_with_a_parcel(app, pilot, db) -> None:  # type: ignore[no-untyped-def]
    alice = member(db, "alice")
    offer = next(o for o in catalog.search_offers(db, alice, "Smartbox") if o.title == BOX)
    basket.add_to_basket(db, alice, offer.id, quantity=1)
    from portal.screens.checkout import CheckoutScreen

    app.call_later(app.push_screen, CheckoutScreen())
    await _settle(app, pilot)
    await _settle(app, pilot)


async def test_checkout_asks_an_address_typed_for_this_order_only(app_for, db) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    alice = member(db, "alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _checkout_with_a_parcel(app, pilot, db)
        assert "Pas encore d'adresse de livraison" in _text(app, "#checkout-delivery")
        await pilot.press("ctrl+d")
        await _settle(app, pilot)
        assert type(app.screen).__name__ == "DeliveryScreen"
        assert "Reprise de votre profil" in app.screen.query(".hint").first(Static).render().plain  # type: ignore[union-attr]
        await _type(app, pilot, "#delivery-line1", "5 avenue Foch")
        await _type(app, pilot, "#delivery-postal-code", "750")  # too short: refused
        await _type(app, pilot, "#delivery-city", "Paris")
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert type(app.screen).__name__ == "DeliveryScreen"
        assert "code postal" in _text(app, "#delivery-message")
        assert order_delivery.get_delivery_draft(db, alice.id) is None
        await _type(app, pilot, "#delivery-postal-code", "75016")
        await _type(app, pilot, "#delivery-phone", "06 12 34 56 78")
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert type(app.screen).__name__ == "CheckoutScreen"
        shown = _text(app, "#checkout-delivery")
        assert "5 avenue Foch, 75016 Paris" in shown and "0612345678" in shown
    draft = order_delivery.get_delivery_draft(db, alice.id)
    assert draft is not None and (draft.line1, draft.postal_code) == ("5 avenue Foch", "75016")
    assert contact_data.get_details(db, alice.id).street == ""  # the profile is unchanged


async def test_the_profile_address_is_prefilled_and_can_come_back(app_for, db) -> None:  # type: ignore[no-untyped-def]
    alice = member(db, "alice")
    contact_data.set_address(
        db,
        alice.id,
        street="12 rue des Lilas",
        street2="",
        postal_code="69003",
        city="Lyon",
        now="x",
    )
    order_delivery.set_delivery_draft(
        db, order_delivery.DeliveryDraft(alice.id, "1 rue X", "", "75001", "Paris", "", "")
    )
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _checkout_with_a_parcel(app, pilot, db)
        assert "1 rue X, 75001 Paris" in _text(app, "#checkout-delivery")
        await pilot.press("ctrl+d")
        await _settle(app, pilot)
        assert app.screen.query_one("#delivery-line1", Input).value == "1 rue X"
        await pilot.press("ctrl+r")  # back to the profile's address
        await _settle(app, pilot)
        assert type(app.screen).__name__ == "CheckoutScreen"
        assert "12 rue des Lilas, 69003 Lyon" in _text(app, "#checkout-delivery")
    assert order_delivery.get_delivery_draft(db, alice.id) is None


async def test_paying_a_parcel_without_an_address_says_so_and_orders_nothing(app_for, db) -> None:  # type: ignore[no-untyped-def]
    from textual.widgets import Checkbox

    from portal.data import orders as orders_data

    app = app_for("alice")
    alice = member(db, "alice")
    before = orders_data.count_member_orders(db, alice.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await _checkout_with_a_parcel(app, pilot, db)
        app.screen.query_one("#checkout-terms", Checkbox).value = True
        await pilot.press("ctrl+p")
        await _settle(app, pilot)
        assert type(app.screen).__name__ == "CheckoutScreen"
        assert "saisissez une adresse de livraison" in _text(app, "#checkout-message")
    assert orders_data.count_member_orders(db, alice.id) == before
