"""Pilot tests: basket -> checkout -> order detail, for each payment outcome."""

from __future__ import annotations

from textual.widgets import Checkbox, Input, SelectionList, Static

from portal.data import orders as orders_data
from portal.data import wallet as wallet_data
from portal.services import basket, catalog, payments
from tests.unit.test_wallet_support import member

CARREFOUR = "E-carte Carrefour"
PATHE = "E-billet Pathé"


def _fill_basket(db, login: str, title: str, face: int | None, quantity: int) -> None:  # type: ignore[no-untyped-def]
    who = member(db, login)
    offer = next(o for o in catalog.search_offers(db, who, title) if o.title == title)
    basket.add_to_basket(db, who, offer.id, face_value_cents=face, quantity=quantity)


def _text(app, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(selector, Static).render())


async def _settle(app, pilot) -> None:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.pause()


async def _open(app, pilot, screen) -> None:  # type: ignore[no-untyped-def]
    """Push a screen from the app's own task (so it runs in the session's language)."""
    app.call_later(app.push_screen, screen)
    await _settle(app, pilot)


async def _open_checkout(app, pilot) -> None:  # type: ignore[no-untyped-def]
    from portal.screens.basket import BasketScreen

    await _open(app, pilot, BasketScreen())
    await _settle(app, pilot)
    await pilot.press("c")
    await _settle(app, pilot)
    assert type(app.screen).__name__ == "CheckoutScreen"


async def _pay_by_card(app, pilot, number: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.click("#card-number")
    await pilot.press(*number)
    await pilot.click("#card-expiry")
    await pilot.press(*"12/30")
    await pilot.click("#card-cvc")
    await pilot.press(*"123")
    app.screen.query_one("#checkout-terms", Checkbox).value = True
    await pilot.press("ctrl+p")
    await _settle(app, pilot)


def _confirmer(services) -> payments.PaymentConfirmer:  # type: ignore[no-untyped-def]
    """The process's confirmer; its delay stays long, tests ``flush`` it instead of waiting."""
    confirmer = payments.runtime_for(services).confirmer
    confirmer.delay = 3600
    return confirmer


async def test_card_payment_succeeds_and_the_order_follows_its_confirmation(
    app_for, db, services
) -> None:  # type: ignore[no-untyped-def]
    _fill_basket(db, "alice", CARREFOUR, 15000, 2)  # 285,00 €; alice's gift vouchers pay 170,00 €
    confirmer = _confirmer(services)
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_checkout(app, pilot)
        summary = _text(app, "#checkout-summary")
        assert "285,00 €" in summary and "115,00 €" in summary
        await _pay_by_card(app, pilot, "4242424242424242")
        assert type(app.screen).__name__ == "OrderDetailScreen"
        assert "Attente de confirmation du paiement" in _text(app, "#order-heading")
        await confirmer.flush()
        await _settle(app, pilot)
        heading = _text(app, "#order-heading")
        assert "En préparation" in heading
        assert "Votre paiement est confirmé." in _text(app, "#order-message")
        payments_text = _text(app, "#order-payments")
        assert "Visa •••• 4242" in payments_text and "115,00 €" in payments_text
    alice = member(db, "alice")
    [order] = orders_data.list_member_orders(db, alice.id)
    assert order.status == "preparing"
    assert basket.get_basket(db, alice).is_empty


async def test_declined_card_changes_nothing_and_says_why(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    _fill_basket(db, "alice", CARREFOUR, 15000, 2)
    alice = member(db, "alice")
    before = wallet_data.ledger_size(db)
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_checkout(app, pilot)
        await _pay_by_card(app, pilot, "4000000000000002")
        assert type(app.screen).__name__ == "CheckoutScreen"
        assert "refusé" in _text(app, "#checkout-message")
        assert app.screen.query_one("#card-number", Input).value == ""
        assert app.screen.query_one("#card-cvc", Input).value == ""
    assert orders_data.list_member_orders(db, alice.id) == []
    assert wallet_data.ledger_size(db) == before
    assert not basket.get_basket(db, alice).is_empty


async def test_insufficient_funds_is_explained(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    _fill_basket(db, "alice", CARREFOUR, 15000, 2)
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_checkout(app, pilot)
        await _pay_by_card(app, pilot, "4000000000009995")
        assert "provision insuffisante" in _text(app, "#checkout-message")
    assert orders_data.list_member_orders(db, member(db, "alice").id) == []


async def test_three_d_secure_asks_the_code_then_places_the_order(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    _fill_basket(db, "alice", CARREFOUR, 15000, 2)
    confirmer = _confirmer(services)
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_checkout(app, pilot)
        await _pay_by_card(app, pilot, "4000000000003220")
        assert type(app.screen).__name__ == "AskDialog"
        await pilot.press(*"123456", "enter")
        await _settle(app, pilot)
        assert type(app.screen).__name__ == "OrderDetailScreen"
        assert "Attente de confirmation du paiement" in _text(app, "#order-heading")
        await confirmer.flush()
        await _settle(app, pilot)
        assert "En préparation" in _text(app, "#order-heading")


async def test_wrong_three_d_secure_code_declines(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    _fill_basket(db, "alice", CARREFOUR, 15000, 2)
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_checkout(app, pilot)
        await _pay_by_card(app, pilot, "4000000000003220")
        await pilot.press(*"000000", "enter")
        await _settle(app, pilot)
        assert type(app.screen).__name__ == "CheckoutScreen"
        assert "3-D Secure" in _text(app, "#checkout-message")
    assert orders_data.list_member_orders(db, member(db, "alice").id) == []


async def test_benefits_pay_everything_and_a_voucher_can_be_switched_off(
    app_for, db, services
) -> None:  # type: ignore[no-untyped-def]
    _fill_basket(db, "alice", PATHE, None, 2)  # 2 x 9,40 €: subsidy 8,00 €, culture 10,80 €
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_checkout(app, pilot)
        assert "subvention -8,00 €" in _text(app, "#checkout-lines")
        assert not app.screen.query_one("#checkout-card").display
        vouchers = app.screen.query_one("#checkout-vouchers", SelectionList)
        culture = next(v for v in app.screen.quote.vouchers if v.kind == "culture")
        vouchers.deselect(culture.allocation_id)
        await _settle(app, pilot)
        assert culture.allocation_id in app.screen.quote.excluded
        assert app.screen.quote.card_cents == 0  # a gift voucher takes over
        await pilot.press("ctrl+p")
        await _settle(app, pilot)
        assert "conditions générales" in _text(app, "#checkout-message")
        app.screen.query_one("#checkout-terms", Checkbox).value = True
        await pilot.press("ctrl+p")
        await _settle(app, pilot)
        assert type(app.screen).__name__ == "OrderDetailScreen"
        assert "En préparation" in _text(app, "#order-heading")
        assert "Subvention" in _text(app, "#order-payments")


async def test_bad_card_details_are_refused_before_the_bank(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    _fill_basket(db, "alice", CARREFOUR, 15000, 2)
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_checkout(app, pilot)
        await _pay_by_card(app, pilot, "4242424242424241")
        assert "numéro de carte" in _text(app, "#checkout-message")
    assert orders_data.list_member_orders(db, member(db, "alice").id) == []
