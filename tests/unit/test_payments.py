"""Card payments: checks, the sandbox's test cards, the card flow, and no card data kept."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from portal.data import orders as orders_data
from portal.data import wallet as wallet_data
from portal.services import checkout, orders
from portal.services.checkout import ChallengeRequired, OrderPlaced
from portal.services.payments import (
    CardDetails,
    PaymentConfirmer,
    PaymentDeclined,
    SandboxProvider,
    card_brand,
    check_card,
    luhn_ok,
)
from portal.services.wallet import UserError
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

    def authorize(number: str):  # type: ignore[no-untyped-def]
        token = sandbox.tokenize(card(number), today=TODAY)
        assert token.token.startswith("tok_sbx_") and "4242424242" not in token.token
        return sandbox.authorize(token, 1000, reference="t")

    assert authorize(OK_CARD).status == "authorized"
    assert authorize(DECLINED).status == "declined"
    assert authorize(NO_FUNDS).status == "insufficient_funds"
    challenge = authorize(THREE_DS)
    assert challenge.status == "requires_action"
    assert sandbox.complete_authentication(challenge.reference, "000000").status == "declined"
    second = authorize(THREE_DS)
    assert sandbox.complete_authentication(second.reference, "123456").status == "authorized"
    assert sandbox.confirmation(second.reference) is True
    assert sandbox.status(second.reference) == "captured"


def _carol_with_basket(db, settings, voucher_cents=1000):  # type: ignore[no-untyped-def]
    carol = new_member(db)
    voucher = give(db, settings, carol, "gift", voucher_cents) if voucher_cents else None
    lines = [line("Cafetière", "product", "home", 3490)]
    quote = checkout.prepare_checkout(db, carol, lines=lines, shipping_cents=490, today=TODAY)
    return carol, voucher, lines, quote


def _pay(db, settings, sandbox, carol, quote, lines, number):  # type: ignore[no-untyped-def]
    return checkout.pay(
        db,
        carol,
        quote,
        provider=sandbox,
        settings=settings,
        accepted_terms=True,
        card=card(number),
        lines=lines,
        now=NOW,
    )


def test_card_success_waits_for_confirmation_then_validates(db, settings) -> None:
    sandbox = SandboxProvider()
    carol, voucher, lines, quote = _carol_with_basket(db, settings)
    assert quote.total_cents == 3980 and quote.card_cents == 2980
    token = sandbox.tokenize(card(), today=TODAY)
    authorization = sandbox.authorize(token, quote.card_cents, reference="t")
    detail = checkout.place_order(
        db,
        carol,
        quote,
        settings=settings,
        accepted_terms=True,
        authorization=authorization,
        lines=lines,
        now=NOW,
    )
    assert detail.order.status == "awaiting_payment"
    assert [ln.status for ln in detail.lines] == ["pending"]
    assert detail.card is not None and detail.card.last4 == "4242" and detail.card.brand == "Visa"
    assert wallet_data.balance(db, voucher) == 0
    confirmed = orders.record_payment_result(
        db, authorization.reference, True, settings=settings, now=NOW
    )
    assert confirmed is not None
    assert confirmed.order.status == "validated"
    assert confirmed.order.dispatch_on == "2026-06-15"
    assert [ln.status for ln in confirmed.lines] == ["to_ship"]
    assert confirmed.card is not None and confirmed.card.status == "captured"
    again = orders.record_payment_result(db, authorization.reference, True, settings=settings)
    assert again is not None and again.order.invoice_number == confirmed.order.invoice_number


def test_a_failed_confirmation_cancels_and_gives_benefits_back(db, settings) -> None:
    sandbox = SandboxProvider()
    carol, voucher, lines, quote = _carol_with_basket(db, settings)
    result = _pay(db, settings, sandbox, carol, quote, lines, OK_CARD)
    assert isinstance(result, OrderPlaced) and result.awaiting
    assert result.order.card is not None
    reference = result.order.card.provider_ref
    failed = orders.record_payment_result(db, reference, False, settings=settings, now=NOW)
    assert failed is not None and failed.order.status == "refunded"
    assert wallet_data.balance(db, voucher) == 1000


@pytest.mark.parametrize(
    ("number", "message"),
    [
        (DECLINED, "declined"),
        (NO_FUNDS, "insufficient funds"),
    ],
)
def test_declined_cards_write_nothing(db, settings, number, message) -> None:  # type: ignore[no-untyped-def]
    sandbox = SandboxProvider()
    carol, voucher, lines, quote = _carol_with_basket(db, settings)
    with pytest.raises(PaymentDeclined, match=message):
        _pay(db, settings, sandbox, carol, quote, lines, number)
    assert orders_data.list_member_orders(db, carol.id) == []
    assert wallet_data.balance(db, voucher) == 1000


def test_three_d_secure_asks_a_code(db, settings) -> None:
    sandbox = SandboxProvider()
    carol, _voucher, lines, quote = _carol_with_basket(db, settings)
    result = _pay(db, settings, sandbox, carol, quote, lines, THREE_DS)
    assert isinstance(result, ChallengeRequired)
    assert orders_data.list_member_orders(db, carol.id) == []
    with pytest.raises(PaymentDeclined, match="3-D Secure"):
        checkout.complete_3ds(
            db,
            carol,
            quote,
            provider=sandbox,
            settings=settings,
            challenge=result,
            code="999999",
            lines=lines,
            now=NOW,
        )
    assert orders_data.list_member_orders(db, carol.id) == []
    second = _pay(db, settings, sandbox, carol, quote, lines, THREE_DS)
    assert isinstance(second, ChallengeRequired)
    placed = checkout.complete_3ds(
        db,
        carol,
        quote,
        provider=sandbox,
        settings=settings,
        challenge=second,
        code="123456",
        lines=lines,
        now=NOW,
    )
    assert isinstance(placed, OrderPlaced) and placed.awaiting


def test_an_order_that_cannot_be_written_releases_the_card(db, settings) -> None:
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
    token = sandbox.tokenize(card(), today=TODAY)
    authorization = sandbox.authorize(token, quote.card_cents, reference="t")
    with pytest.raises(checkout.QuoteChanged):
        checkout._after_authorization(
            db, carol, quote, sandbox, authorization, settings, lines, NOW
        )
    assert sandbox.status(authorization.reference) == "voided"


def test_no_card_number_or_cvc_in_the_database_or_the_logs(db, settings, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    sandbox = SandboxProvider()
    carol, _voucher, lines, quote = _carol_with_basket(db, settings, voucher_cents=0)
    details = CardDetails("5555 5555 5555 4444", "11/29", "987")
    token = sandbox.tokenize(details, today=TODAY)
    authorization = sandbox.authorize(token, quote.card_cents, reference="t")
    checkout.place_order(
        db,
        carol,
        quote,
        settings=settings,
        accepted_terms=True,
        authorization=authorization,
        lines=lines,
        now=NOW,
    )
    orders.record_payment_result(db, authorization.reference, True, settings=settings, now=NOW)
    dump = "\n".join(db.conn.iterdump())
    assert "5555555555554444" not in dump and "5555 5555 5555 4444" not in dump
    assert "'987'" not in dump
    assert "5555555555554444" not in caplog.text and "987" not in caplog.text
    stored = orders_data.get_card_payment_by_ref(db, authorization.reference)
    assert stored is not None and stored.last4 == "4444" and stored.brand == "Mastercard"


async def test_the_confirmer_records_the_confirmation_without_sleeping(services, db) -> None:
    sandbox = SandboxProvider()
    carol, _voucher, lines, quote = _carol_with_basket(db, services.settings)
    token = sandbox.tokenize(card(), today=TODAY)
    authorization = sandbox.authorize(token, quote.card_cents, reference="t")
    checkout.place_order(
        db,
        carol,
        quote,
        settings=services.settings,
        accepted_terms=True,
        authorization=authorization,
        lines=lines,
        now=dt.datetime.now(dt.UTC),
    )
    confirmer = PaymentConfirmer(services.store, sandbox, services.settings, delay=0)
    seen = []
    confirmer.schedule(authorization.reference, seen.append)
    await confirmer.idle()
    assert seen and seen[0].order.status == "validated"
    assert sandbox.status(authorization.reference) == "captured"
