"""Pilot tests: basket -> checkout -> the provider's page -> the order followed live.

The card is paid on the sandbox's web page through a real HTTP client (the member's
phone); the page's signed notification reaches the portal's endpoint on the same
server, and the order's screen follows it."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from textual.widgets import Checkbox, SelectionList, Static
from textual.worker import WorkerCancelled

from portal.data import orders as orders_data
from portal.services import basket, catalog, payment_confirmation
from portal.services.benefits import usable_benefits
from portal.services.payment_sandbox import SandboxProvider
from portal.services.runtime import Services
from portal.web.server import WebServer
from portal.widgets.qrcode import QRCode
from tests.typography import fr
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
    # A read replaced by a newer one ends cancelled: that is a normal end here.
    while True:
        try:
            await app.workers.wait_for_complete()
            break
        except WorkerCancelled:
            continue
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


async def _confirm_order(app, pilot) -> None:  # type: ignore[no-untyped-def]
    """Tick the conditions and confirm: the order is written, its payment page shown."""
    app.screen.query_one("#checkout-terms", Checkbox).value = True
    await pilot.press("ctrl+p")
    await _settle(app, pilot)


def _confirmer(services) -> payment_confirmation.PaymentConfirmer:  # type: ignore[no-untyped-def]
    """The process's confirmer; its delay stays long, tests ``flush`` it instead of waiting."""
    confirmer = services.payments.confirmer
    confirmer.delay = 3600
    return confirmer


@pytest.fixture
async def web(services: Services) -> AsyncIterator[WebServer]:
    """The process's web server (the sandbox's page) on a free loopback port."""
    settings = dataclasses.replace(services.settings, http_port=0, http_rate_per_ip=0)
    server = WebServer(dataclasses.replace(services, settings=settings))
    provider = services.payments.provider
    assert isinstance(provider, SandboxProvider)
    provider.notify_delay = 0
    await server.start()
    yield server
    await server.close()


def _reference(app) -> str:  # type: ignore[no-untyped-def]
    found = re.search(r"/pay/([A-Za-z0-9_-]+)", _text(app, "#order-pay-link"))
    assert found, _text(app, "#order-pay-link")
    return found.group(1)


async def _pay_on_the_page(web: WebServer, reference: str, number: str) -> str:
    """What the member does on their phone: the sandbox page, through HTTP."""
    url = f"{web.url}/pay/{reference}"
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            page = await response.text()
        found = re.search(r'name="csrf" value="([^"]+)"', page)
        assert found
        form = {"csrf": found.group(1), "number": number, "expiry": "12/30", "cvc": "123"}
        async with http.post(url, data=form) as response:
            return await response.text()


async def test_the_terminal_shows_the_payment_page_and_follows_it_to_validated(
    app_for, db, services, web
) -> None:  # type: ignore[no-untyped-def]
    _fill_basket(db, "alice", CARREFOUR, 15000, 2)  # 285,00 €; alice's gift vouchers pay 170,00 €
    confirmer = _confirmer(services)
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_checkout(app, pilot)
        summary = _text(app, "#checkout-summary")
        assert fr("285,00 €") in summary and fr("115,00 €") in summary
        assert not app.screen.query("#card-number")  # no card form in the terminal
        await _confirm_order(app, pilot)
        assert type(app.screen).__name__ == "OrderDetailScreen"
        assert "Attente de confirmation du paiement" in _text(app, "#order-heading")
        assert "En attente de confirmation du paiement" in _text(app, "#order-progress")
        assert fr("115,00 €") in _text(app, "#order-progress")
        qr = app.screen.query_one("#order-pay-code", QRCode)
        reference = _reference(app)
        assert len(qr.lines) > 10
        result = await _pay_on_the_page(web, reference, "4242424242424242")
        assert "Paiement accepté" in result
        await services.payments.provider.drain()  # the notification reached /provider/notify
        await _settle(app, pilot)
        assert "banque" in _text(app, "#order-progress")  # authorized, capture to come
        assert not app.screen.query("#order-pay-code")  # paid: the page is gone
        await confirmer.flush()
        await _settle(app, pilot)
        heading = _text(app, "#order-heading")
        assert "En préparation" in heading
        assert "Votre paiement est confirmé." in _text(app, "#order-message")
        payments_text = _text(app, "#order-payments")
        assert "Visa •••• 4242" in payments_text and fr("115,00 €") in payments_text
    alice = member(db, "alice")
    [order] = orders_data.list_member_orders(db, alice.id)
    assert order.status == "preparing"
    assert basket.get_basket(db, alice).is_empty


async def test_a_capture_the_provider_refuses_is_never_told_as_confirmed(
    app_for, db, services, web
) -> None:  # type: ignore[no-untyped-def]
    _fill_basket(db, "alice", CARREFOUR, 15000, 2)
    confirmer = _confirmer(services)
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_checkout(app, pilot)
        await _confirm_order(app, pilot)
        reference = _reference(app)
        assert "Paiement accepté" in await _pay_on_the_page(web, reference, "4242424242424242")
        await services.payments.provider.drain()
        await _settle(app, pilot)
        services.payments.provider.void(reference)  # authorized, then the capture fails
        await confirmer.flush()
        await _settle(app, pilot)
        assert "Votre paiement est confirmé." not in _text(app, "#order-message")
        assert "Attente de confirmation" not in _text(app, "#order-heading")
    [order] = orders_data.list_member_orders(db, member(db, "alice").id)
    assert order.status in ("cancelled", "refunded")


async def test_a_refused_card_gives_the_benefits_back_and_the_screen_says_why(
    app_for, db, services, web
) -> None:  # type: ignore[no-untyped-def]
    _fill_basket(db, "alice", CARREFOUR, 15000, 2)
    alice = member(db, "alice")
    balances = [b.remaining_cents for b in usable_benefits(db, alice)]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_checkout(app, pilot)
        await _confirm_order(app, pilot)
        result = await _pay_on_the_page(web, _reference(app), "4000000000000002")
        assert "Paiement refusé" in result
        await services.payments.provider.drain()
        await _settle(app, pilot)
        progress = _text(app, "#order-progress")
        assert "La banque a refusé le paiement par carte." in progress
        assert not app.screen.query("#order-pay-code")
    [order] = orders_data.list_member_orders(db, alice.id)
    assert order.status == "refunded"
    assert [b.remaining_cents for b in usable_benefits(db, alice)] == balances


async def test_the_payment_page_is_shown_again_after_a_reconnection(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    from portal.screens.order_detail import OrderDetailScreen

    _fill_basket(db, "alice", CARREFOUR, 15000, 2)
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_checkout(app, pilot)
        await _confirm_order(app, pilot)
        reference = _reference(app)
    [order] = orders_data.list_member_orders(db, member(db, "alice").id)
    again = app_for("alice")  # a new session: the order still waits for its payment
    async with again.run_test(size=(80, 24)) as pilot:
        await _open(again, pilot, OrderDetailScreen(order.id))
        await _settle(again, pilot)
        assert _reference(again) == reference
        assert again.screen.query_one("#order-pay-code", QRCode)


async def test_benefits_pay_everything_and_a_voucher_can_be_switched_off(
    app_for, db, services
) -> None:  # type: ignore[no-untyped-def]
    _fill_basket(db, "alice", PATHE, None, 2)  # 2 x 9,40 €: subsidy 8,00 €, culture 10,80 €
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_checkout(app, pilot)
        assert fr("subvention -8,00 €") in _text(app, "#checkout-lines")
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
