"""Card payments: checks, the sandbox's test cards, the hosted flow, and no card data kept."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from portal.data import orders as orders_data
from portal.data import wallet as wallet_data
from portal.services import checkout, payment_confirmation
from portal.services.checkout import OrderPlaced
from portal.services.errors import UserError
from portal.services.payment_confirmation import PaymentConfirmer
from portal.services.payment_sandbox import SandboxProvider
from portal.services.payments import (
    CardDetails,
    PageRefused,
    ReturnInfo,
    card_brand,
    check_card,
    luhn_ok,
)
from tests.payment_support import pay_on_page
from tests.unit.test_wallet_support import NOW, TODAY, give, line, new_member

OK_CARD = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
THREE_DS = "4000 0000 0000 3220"
NO_FUNDS = "4000 0000 0000 9995"


def card(number: str = OK_CARD, expiry: str = "12/30", cvc: str = "123") -> CardDetails:
    return CardDetails(number, expiry, cvc)


def test_luhn_and_brand() -> None:
    assert luhn_ok("4242424242424242") and not luhn_ok("4242424242424241")
    assert card_brand("4242424242424242") == "Visa"
    assert card_brand("5555555555554444") == "Mastercard"
    assert card_brand("2221000000000009") == "Mastercard"
    assert card_brand("378282246310005") == "American Express"


@pytest.mark.parametrize(
    ("details", "message"),
    [
        (card("4242 4242 4242 4241"), "number"),
        (card(expiry="1230"), "MM/YY"),
        (card(expiry="13/30"), "MM/YY"),
        (card(expiry="05/26"), "expired"),
        (card(cvc="12"), "CVC"),
        (CardDetails("3782 822463 10005", "12/30", "123"), "4 digits"),
    ],
)
def test_bad_card_details_are_refused_with_a_reason(details, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UserError, match=message):
        check_card(details, TODAY)


def test_a_card_of_the_current_month_is_still_valid() -> None:
    assert check_card(card(expiry="06/26"), TODAY) == ("Visa", "4242")


def test_card_details_never_show_in_repr() -> None:
    text = repr(card()) + str(card())
    assert "4242424242424242" not in text and "4242 4242" not in text and "123" not in text


def test_sandbox_outcomes() -> None:
    sandbox = SandboxProvider()
    back = ReturnInfo(notify_url="http://127.0.0.1:9/provider/notify")

    def submit(number: str) -> tuple[str, str]:
        reference, url = sandbox.create_payment(1000, "CMD-0000001", back)
        assert url.endswith("/pay/" + reference) and len(reference) <= 16
        page = sandbox.page(reference, now=NOW)
        assert page is not None and page.status == "created"
        return reference, sandbox.submit_card(reference, page.csrf_token, card(number), now=NOW)

    assert submit(OK_CARD)[1] == "authorized"
    assert submit(DECLINED)[1] == "declined"
    assert submit(NO_FUNDS)[1] == "insufficient_funds"
    challenge, status = submit(THREE_DS)
    assert status == "requires_action"
    token = sandbox.page(challenge).csrf_token  # type: ignore[union-attr]
    assert sandbox.submit_code(challenge, token, "000000", now=NOW) == "declined"
    second, _status = submit(THREE_DS)
    token = sandbox.page(second).csrf_token  # type: ignore[union-attr]
    assert sandbox.submit_code(second, token, "123456", now=NOW) == "authorized"
    assert sandbox.capture(second) is True
    assert sandbox.status(second) == "captured"
    remote = sandbox.lookup(second)
    assert remote is not None and remote.brand == "Visa" and remote.last4 == "3220"


def test_the_page_refuses_a_bad_token_a_second_payment_and_an_expired_one() -> None:
    sandbox = SandboxProvider()
    soon = NOW + dt.timedelta(minutes=30)
    reference, _url = sandbox.create_payment(
        1000, "CMD-0000001", ReturnInfo(notify_url="http://x/provider/notify", expires_at=soon)
    )
    page = sandbox.page(reference, now=NOW)
    assert page is not None
    with pytest.raises(PageRefused):
        sandbox.submit_card(reference, "forged", card(), now=NOW)
    with pytest.raises(UserError, match="number"):
        sandbox.submit_card(reference, page.csrf_token, card("4242 4242 4242 4241"), now=NOW)
    assert sandbox.status(reference) == "created"  # bad input changes nothing
    with pytest.raises(PageRefused, match="expired"):
        sandbox.submit_card(reference, page.csrf_token, card(), now=soon)
    assert sandbox.submit_card(reference, page.csrf_token, card(), now=NOW) == "authorized"
    with pytest.raises(PageRefused, match="already"):
        sandbox.submit_card(reference, page.csrf_token, card(), now=NOW)


def _carol_with_basket(db, settings, voucher_cents=1000):  # type: ignore[no-untyped-def]
    carol = new_member(db)
    voucher = give(db, settings, carol, "gift", voucher_cents) if voucher_cents else None
    lines = [line("Billet Pathé", "eticket", "cinema", 3490)]
    quote = checkout.prepare_checkout(db, carol, lines=lines, today=TODAY)
    return carol, voucher, lines, quote


def _pay(db, settings, sandbox, carol, quote, lines):  # type: ignore[no-untyped-def]
    return checkout.pay(
        db,
        carol,
        quote,
        provider=sandbox,
        settings=settings,
        accepted_terms=True,
        lines=lines,
        now=NOW,
    )


def test_card_success_waits_for_confirmation_then_validates(db, settings) -> None:
    sandbox = SandboxProvider()
    carol, voucher, lines, quote = _carol_with_basket(db, settings)
    assert quote.total_cents == 3490 and quote.card_cents == 2490
    placed = _pay(db, settings, sandbox, carol, quote, lines)
    assert isinstance(placed, OrderPlaced) and placed.awaiting
    detail = placed.order
    assert detail.order.status == "awaiting_payment"
    assert [ln.status for ln in detail.lines] == ["pending"]
    assert detail.card is not None and detail.card.status == "pending"
    assert detail.card.last4 == "" and detail.card.amount_cents == 2490
    assert wallet_data.balance(db, voucher) == 0  # benefits spent with the order
    reference = detail.card.provider_ref
    assert placed.payment_url == f"{sandbox.page_base}/pay/{reference}"
    assert checkout.payment_page(db, carol, detail.order.id) == placed.payment_url
    assert pay_on_page(db, sandbox, reference, card(), now=NOW) == "authorized"
    authorized = orders_data.get_card_payment_by_ref(db, reference)
    assert authorized is not None and authorized.status == "authorized"
    assert (authorized.brand, authorized.last4) == ("Visa", "4242")
    assert checkout.payment_page(db, carol, detail.order.id) is None  # paid: no more page
    confirmed = payment_confirmation.record_payment_result(
        db, reference, True, settings=settings, now=NOW
    )
    assert confirmed is not None
    assert confirmed.order.status in ("validated", "preparing")  # e-tickets then issue
    assert confirmed.card is not None and confirmed.card.status == "captured"
    again = payment_confirmation.record_payment_result(db, reference, True, settings=settings)
    assert again is not None and again.order.invoice_number == confirmed.order.invoice_number


def test_a_failed_confirmation_cancels_and_gives_benefits_back(db, settings) -> None:
    sandbox = SandboxProvider()
    carol, voucher, lines, quote = _carol_with_basket(db, settings)
    result = _pay(db, settings, sandbox, carol, quote, lines)
    assert result.order.card is not None
    reference = result.order.card.provider_ref
    pay_on_page(db, sandbox, reference, card(), now=NOW)
    failed = payment_confirmation.record_payment_result(
        db, reference, False, settings=settings, now=NOW
    )
    assert failed is not None and failed.order.status == "refunded"
    assert wallet_data.balance(db, voucher) == 1000


@pytest.mark.parametrize(
    ("number", "code", "outcome"),
    [
        (DECLINED, "", "declined"),
        (NO_FUNDS, "", "insufficient_funds"),
        (THREE_DS, "999999", "declined"),
    ],
)
def test_a_refused_card_cancels_the_order_and_gives_benefits_back(  # type: ignore[no-untyped-def]
    db, settings, number, code, outcome
) -> None:
    sandbox = SandboxProvider()
    carol, voucher, lines, quote = _carol_with_basket(db, settings)
    placed = _pay(db, settings, sandbox, carol, quote, lines)
    assert placed.order.card is not None
    reference = placed.order.card.provider_ref
    assert pay_on_page(db, sandbox, reference, card(number), code=code, now=NOW) == outcome
    order = orders_data.get_order(db, placed.order.order.id)
    payment = orders_data.get_card_payment(db, placed.order.order.id)
    assert order is not None and order.status == "refunded"  # benefits given back
    assert payment is not None and payment.status == "failed"
    assert wallet_data.balance(db, voucher) == 1000
    assert checkout.payment_page(db, carol, placed.order.order.id) is None


def test_three_d_secure_with_the_right_code_authorizes(db, settings) -> None:
    sandbox = SandboxProvider()
    carol, _voucher, lines, quote = _carol_with_basket(db, settings)
    placed = _pay(db, settings, sandbox, carol, quote, lines)
    assert placed.order.card is not None
    reference = placed.order.card.provider_ref
    assert pay_on_page(db, sandbox, reference, card(THREE_DS), code="123456", now=NOW) == (
        "authorized"
    )
    payment = orders_data.get_card_payment_by_ref(db, reference)
    assert payment is not None and payment.status == "authorized" and payment.last4 == "3220"


def test_a_stale_quote_writes_nothing_and_asks_no_provider(db, settings) -> None:
    sandbox = SandboxProvider()
    carol, voucher, lines, quote = _carol_with_basket(db, settings)
    # Another session spends the voucher first.
    other = checkout.prepare_checkout(
        db, carol, lines=[line("x", "ecard", "groceries", 1000)], today=TODAY
    )
    checkout.place_order(
        db,
        carol,
        other,
        settings=settings,
        accepted_terms=True,
        lines=[line("x", "ecard", "groceries", 1000)],
        now=NOW,
    )
    with pytest.raises(checkout.QuoteChanged):
        _pay(db, settings, sandbox, carol, quote, lines)
    assert sandbox.list_payments(since=NOW - dt.timedelta(days=1)) == []
    assert len(orders_data.list_member_orders(db, carol.id)) == 1


def test_an_unreachable_provider_cancels_the_order_and_gives_benefits_back(db, settings) -> None:
    class Down(SandboxProvider):
        def create_payment(self, amount_cents, order_ref, return_info):  # type: ignore[no-untyped-def]
            raise ConnectionError("provider unreachable")

    carol, voucher, lines, quote = _carol_with_basket(db, settings)
    with pytest.raises(UserError, match="cannot be reached"):
        _pay(db, settings, Down(), carol, quote, lines)
    [order] = orders_data.list_member_orders(db, carol.id)
    assert order.status == "refunded"
    assert wallet_data.balance(db, voucher) == 1000


def test_no_card_number_or_cvc_in_the_database_or_the_logs(db, settings, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    sandbox = SandboxProvider()
    carol, _voucher, lines, quote = _carol_with_basket(db, settings, voucher_cents=0)
    placed = _pay(db, settings, sandbox, carol, quote, lines)
    assert placed.order.card is not None
    reference = placed.order.card.provider_ref
    details = CardDetails("5555 5555 5555 4444", "11/29", "987")
    pay_on_page(db, sandbox, reference, details, now=NOW)
    payment_confirmation.record_payment_result(db, reference, True, settings=settings, now=NOW)
    db.conn.execute("PRAGMA wal_checkpoint(FULL)")
    dump = "\n".join(db.conn.iterdump())
    assert "5555555555554444" not in dump and "5555 5555 5555 4444" not in dump
    assert "'987'" not in dump
    raw = settings.db_path.read_bytes()
    assert b"5555555555554444" not in raw and b"5555 5555 5555 4444" not in raw
    assert "5555555555554444" not in caplog.text and "987" not in caplog.text
    stored = orders_data.get_card_payment_by_ref(db, reference)
    assert stored is not None and stored.last4 == "4444" and stored.brand == "Mastercard"


async def test_the_confirmer_records_the_confirmation_without_sleeping(services, db) -> None:
    sandbox = SandboxProvider()
    carol, _voucher, lines, quote = _carol_with_basket(db, services.settings)
    now = dt.datetime.now(dt.UTC)
    placed = checkout.pay(
        db,
        carol,
        quote,
        provider=sandbox,
        settings=services.settings,
        accepted_terms=True,
        lines=lines,
        now=now,
    )
    assert placed.order.card is not None
    reference = placed.order.card.provider_ref
    pay_on_page(db, sandbox, reference, card())
    confirmer = PaymentConfirmer(services.store, sandbox, services.settings, delay=0)
    seen = []
    confirmer.schedule(reference, seen.append)
    await confirmer.idle()
    assert seen and seen[0].order.status in ("validated", "preparing")
    assert sandbox.status(reference) == "captured"
