"""The sandbox provider's payment page, driven with a real HTTP client (aiohttp).

A web server on a free loopback port serves ``/pay/<ref>``; the page posts its signed
notification to ``/provider/notify`` on the same server through HTTP, as a provider
would. Tests wait for the deliveries (``drain``) and the captures (``idle``), never sleep.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlite_utils import Database

from portal.config import Settings
from portal.data import orders as orders_data
from portal.data import wallet as wallet_data
from portal.data.members import Member
from portal.i18n import get_translator
from portal.services import checkout, clock, payment_confirmation
from portal.services.checkout import OrderPlaced
from portal.services.payment_sandbox import SandboxProvider
from portal.services.payments import (
    NOTIFY_PATH,
    SIGNATURE_HEADER,
    CardDetails,
)
from portal.services.runtime import Services, make_services
from portal.web.app import SECURITY_HEADERS
from portal.web.server import WebServer
from tests.unit.test_wallet_support import give, line, new_member

OK = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
THREE_DS = "4000 0000 0000 3220"
NO_FUNDS = "4000 0000 0000 9995"
SECRET_CARD = "5555555555554444"


@pytest.fixture
async def web(settings: Settings) -> AsyncIterator[tuple[WebServer, Services]]:
    """Portal's web server on a free port; notifications and captures without delay."""
    services = make_services(
        dataclasses.replace(
            settings,
            http_port=0,
            http_rate_per_ip=0,
            payment_notify_delay=0,
            payment_confirm_delay=0,
        )
    )
    server = WebServer(services)
    await server.start()
    try:
        yield server, services
    finally:
        await server.close()
        services.close()


def _sandbox(services: Services) -> SandboxProvider:
    provider = services.payments.provider
    assert isinstance(provider, SandboxProvider)
    return provider


def _order(
    db: Database, services: Services, login: str = "carol"
) -> tuple[Member, int, OrderPlaced]:
    carol = new_member(db, login)
    allocation = give(db, services.settings, carol, "gift", 1000)
    lines = [line("E-carte Carrefour", "ecard", "groceries", 4750)]
    quote = checkout.prepare_checkout(db, carol, lines=lines)
    placed = checkout.pay(
        db,
        carol,
        quote,
        provider=services.payments.provider,
        settings=services.settings,
        accepted_terms=True,
        lines=lines,
    )
    assert placed.payment_url is not None and placed.order.card is not None
    return carol, allocation, placed


def _url(server: WebServer, placed: OrderPlaced) -> str:
    assert placed.payment_url is not None
    return server.url + "/pay/" + placed.payment_url.rsplit("/", 1)[1]


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


async def _submit(
    http: aiohttp.ClientSession, url: str, number: str, *, expiry: str = "12/30", cvc: str = "123"
) -> tuple[int, str]:
    async with http.get(url) as response:
        assert response.status == 200
        page = await response.text()
    form = {"csrf": _csrf(page), "number": number, "expiry": expiry, "cvc": cvc}
    async with http.post(url, data=form) as response:
        return response.status, await response.text()


async def _settled(services: Services) -> None:
    """Wait for the notifications in flight, then for the captures they scheduled."""
    await _sandbox(services).drain()
    await services.payments.confirmer.idle()


def _state(db: Database, order_id: int) -> tuple[str, str]:
    order = orders_data.get_order(db, order_id)
    payment = orders_data.get_card_payment(db, order_id)
    assert order is not None and payment is not None
    return order.status, payment.status


async def test_the_page_shows_the_seed_fields_with_strict_headers(web, db) -> None:  # type: ignore[no-untyped-def]
    server, services = web
    _carol, _voucher, placed = _order(db, services)
    async with aiohttp.ClientSession() as http, http.get(_url(server, placed)) as response:
        page = await response.text()
        assert response.status == 200
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value
    assert "<script" not in page
    for expected in (
        "Paiement sécurisé",
        "Numéro de carte",
        "MM/AA",
        "Cryptogramme",
        "Bénéficiaire",
        placed.order.number,
        get_translator("fr").money(3750),
        'name="number"',
        'name="expiry"',
        'name="cvc"',
    ):
        assert expected in page, expected
    async with (
        aiohttp.ClientSession() as http,
        http.get(_url(server, placed) + "?lang=en") as response,
    ):
        english = await response.text()
    assert "Secure payment" in english and "Card number" in english
    async with aiohttp.ClientSession() as http, http.get(server.url + "/pay/nothing") as response:
        assert response.status == 404


async def test_a_card_that_pays_validates_the_order_through_the_notification(  # type: ignore[no-untyped-def]
    web, db, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    server, services = web
    _carol, _voucher, placed = _order(db, services)
    order_id = placed.order.order.id
    assert _state(db, order_id) == ("awaiting_payment", "pending")
    seen: list[int] = []
    services.payments.watch.subscribe(order_id, lambda: seen.append(order_id))
    async with aiohttp.ClientSession() as http:
        status, result = await _submit(http, _url(server, placed), "5555 5555 5555 4444")
    assert status == 200 and "Paiement accepté" in result and "4444" in result
    await _settled(services)
    order_status, payment_status = _state(db, order_id)
    assert order_status in ("validated", "preparing") and payment_status == "captured"
    assert seen  # the terminal following the order was told
    payment = orders_data.get_card_payment(db, order_id)
    assert payment is not None and (payment.brand, payment.last4) == ("Mastercard", "4444")
    assert SECRET_CARD not in caplog.text and "5555 5555 5555 4444" not in caplog.text
    db.conn.execute("PRAGMA wal_checkpoint(FULL)")
    raw = services.settings.db_path.read_bytes()
    assert SECRET_CARD.encode() not in raw and b"5555 5555 5555 4444" not in raw
    async with aiohttp.ClientSession() as http:
        again, page = await _resubmit(http, _url(server, placed))
    assert again == 200 and "Paiement accepté" in page  # no second payment


async def _resubmit(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    form = {"csrf": "whatever", "number": OK, "expiry": "12/30", "cvc": "123"}
    async with http.post(url, data=form) as response:
        return response.status, await response.text()


@pytest.mark.parametrize(
    ("number", "text"),
    [(DECLINED, "Votre banque a refusé"), (NO_FUNDS, "provisions insuffisantes")],
)
async def test_a_refused_card_cancels_the_order_and_gives_benefits_back(  # type: ignore[no-untyped-def]
    web, db, number, text
) -> None:
    server, services = web
    _carol, voucher, placed = _order(db, services)
    assert wallet_data.balance(db, voucher) == 0
    async with aiohttp.ClientSession() as http:
        status, result = await _submit(http, _url(server, placed), number)
    assert status == 200 and "Paiement refusé" in result and text in result
    await _settled(services)
    assert _state(db, placed.order.order.id) == ("refunded", "failed")
    assert wallet_data.balance(db, voucher) == 1000


async def test_three_d_secure_asks_a_code_and_a_wrong_one_refuses(web, db) -> None:  # type: ignore[no-untyped-def]
    server, services = web
    _carol, _voucher, right = _order(db, services)
    _carol2, _voucher2, wrong = _order(db, services, "carla")
    async with aiohttp.ClientSession() as http:
        for placed, code, title in (
            (right, "123456", "Paiement accepté"),
            (wrong, "000000", "Paiement refusé"),
        ):
            status, challenge = await _submit(http, _url(server, placed), THREE_DS)
            assert status == 200 and "Vérification 3-D Secure" in challenge
            form = {"csrf": _csrf(challenge), "code": code}
            async with http.post(_url(server, placed) + "/3ds", data=form) as response:
                assert response.status == 200
                assert title in await response.text()
    await _settled(services)
    assert _state(db, right.order.order.id)[1] == "captured"
    assert _state(db, wrong.order.order.id) == ("refunded", "failed")


async def test_bad_card_details_are_refused_on_the_page_and_change_nothing(web, db) -> None:  # type: ignore[no-untyped-def]
    server, services = web
    _carol, _voucher, placed = _order(db, services)
    url = _url(server, placed)
    async with aiohttp.ClientSession() as http:
        status, page = await _submit(http, url, "4242 4242 4242 4241")
        assert status == 422 and "numéro de carte" in page and "pas valide" in page
        status, page = await _submit(http, url, OK, expiry="01/20")
        assert status == 422 and "expiré" in page
        status, page = await _submit(http, url, OK, expiry="2030")
        assert status == 422 and "MM/AA" in page
        form = {"csrf": "forged", "number": OK, "expiry": "12/30", "cvc": "123"}
        async with http.post(url, data=form) as response:
            assert response.status == 403
    assert _sandbox(services).status(placed.order.card.provider_ref) == "created"  # type: ignore[union-attr]
    assert _state(db, placed.order.order.id) == ("awaiting_payment", "pending")


async def test_an_abandoned_payment_expires_and_its_page_says_so(web, db) -> None:  # type: ignore[no-untyped-def]
    server, services = web
    _carol, voucher, placed = _order(db, services)
    later = clock.now() + dt.timedelta(seconds=services.settings.payment_timeout + 1)
    expired = await services.store.run(
        payment_confirmation.expire_abandoned, services.payments.provider, now=later
    )
    assert expired == [placed.order.order.id]
    assert wallet_data.balance(db, voucher) == 1000
    async with aiohttp.ClientSession() as http, http.get(_url(server, placed)) as response:
        assert response.status == 410
        assert "Paiement expiré" in await response.text()
    async with aiohttp.ClientSession() as http:
        status, _page = await _resubmit(http, _url(server, placed))
    assert status == 410


async def test_forged_replayed_and_stale_notifications_are_refused(web, db) -> None:  # type: ignore[no-untyped-def]
    server, services = web
    sandbox = _sandbox(services)
    _carol, _voucher, placed = _order(db, services)
    reference = placed.order.card.provider_ref  # type: ignore[union-attr]
    page = sandbox.page(reference)
    assert page is not None
    sandbox.submit_card(
        reference, page.csrf_token, CardDetails(OK, "12/30", "123")
    )  # paid; not notified yet
    body, headers = sandbox.notification(reference)
    notify = server.url + NOTIFY_PATH
    async with aiohttp.ClientSession() as http:
        forged = {**headers, SIGNATURE_HEADER: "v1=" + "0" * 64}
        async with http.post(notify, data=body, headers=forged) as response:
            assert response.status == 400
        stale_body, stale_headers = sandbox.notification(
            reference, now=clock.now() - dt.timedelta(minutes=10)
        )
        async with http.post(notify, data=stale_body, headers=stale_headers) as response:
            assert response.status == 400
        assert _state(db, placed.order.order.id) == ("awaiting_payment", "pending")
        async with http.post(notify, data=body, headers=headers) as response:
            assert response.status == 200
        async with http.post(notify, data=body, headers=headers) as response:
            assert response.status == 400  # the same nonce again: a replay
    await services.payments.confirmer.idle()
    assert _state(db, placed.order.order.id)[1] == "captured"


async def test_the_ssh_terminal_follows_the_payment_and_never_carries_the_card(  # type: ignore[no-untyped-def]
    tmp_path, demo_database
) -> None:
    from portal.data import members as members_data
    from portal.data.db import connect as connect_db
    from tests.e2e.conftest import ALICE
    from tests.e2e.harness import connect, open_terminal, running_server

    async with running_server(
        tmp_path / "data",
        demo_database,
        http_port=0,
        http_rate_per_ip=0,
        payment_notify_delay=0,
        payment_confirm_delay=0,
    ) as server:
        services = server.services
        web = WebServer(services)
        await web.start()
        db = connect_db(services.settings.db_path)
        try:
            alice = members_data.get_member_by_login(db, "alice")
            assert alice is not None
            lines = [line("E-carte Carrefour", "ecard", "groceries", 4750)]
            everything = checkout.prepare_checkout(db, alice, lines=lines)
            quote = checkout.prepare_checkout(
                db, alice, lines=lines, excluded=[v.allocation_id for v in everything.vouchers]
            )
            placed = checkout.pay(
                db,
                alice,
                quote,
                provider=services.payments.provider,
                settings=services.settings,
                accepted_terms=True,
                lines=lines,
            )
            conn, _answerer = await connect(server.port, *ALICE)
            async with conn:
                term = await open_terminal(conn)
                await term.wait_for("Bonjour Alice")
                term.send("6")  # My latest orders
                await term.wait_for(placed.order.number)
                term.send("\r")
                await term.wait_for("En attente de confirmation du paiement")
                await term.wait_for("/pay/")  # the short link (and its QR code)
                async with aiohttp.ClientSession() as http:
                    status, page = await _submit(http, _url(web, placed), "5555 5555 5555 4444")
                assert status == 200 and "Paiement accepté" in page
                # The note and the order's new status arrive together (one read after the
                # capture); on a timeout the whole screen is printed.
                await term.wait_until(
                    lambda t: (
                        "Votre paiement est confirmé." in t.text()
                        and ("En préparation" in t.text() or "Validée" in t.text())
                    )
                )
                assert "Attente de confirmation" not in term.text(), term.text()
                output = "".join(term.raw)
                assert SECRET_CARD not in output and "5555 5555 5555 4444" not in output
        finally:
            db.conn.close()
            await web.close()
