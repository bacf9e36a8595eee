"""The hosted payment flow on the portal's side: notifications, expiry, benefits-only orders."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from portal.data import orders as orders_data
from portal.data import wallet as wallet_data
from portal.services import cancellation, checkout, payment_confirmation, reconciliation
from portal.services.payment_confirmation import expire_abandoned, record_notification
from portal.services.payment_sandbox import SandboxProvider
from portal.services.payments import (
    NONCE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    NotificationRefused,
    PageRefused,
    sign,
)
from tests.payment_support import CARD
from tests.unit.test_wallet_support import NOW, TODAY, give, line, new_member

LATER = NOW + dt.timedelta(minutes=31)
"""Past the default ``payment_timeout`` (30 minutes)."""


def _placed(db, settings, sandbox, voucher_cents=1000):  # type: ignore[no-untyped-def]
    carol = new_member(db)
    voucher = give(db, settings, carol, "gift", voucher_cents)
    lines = [line("E-carte", "ecard", "groceries", 3000)]
    quote = checkout.prepare_checkout(db, carol, lines=lines, today=TODAY)
    placed = checkout.pay(
        db,
        carol,
        quote,
        provider=sandbox,
        settings=settings,
        accepted_terms=True,
        lines=lines,
        now=NOW,
    )
    assert placed.order.card is not None
    return carol, voucher, placed, placed.order.card.provider_ref


def _authorized_message(sandbox, reference):  # type: ignore[no-untyped-def]
    page = sandbox.page(reference, now=NOW)
    sandbox.submit_card(reference, page.csrf_token, CARD, now=NOW)
    return sandbox.notification(reference, now=NOW)


def test_a_forged_notification_is_refused_and_changes_nothing(db, settings) -> None:
    sandbox = SandboxProvider()
    _carol, _voucher, placed, reference = _placed(db, settings, sandbox)
    body, headers = _authorized_message(sandbox, reference)
    forged_key = sign(b"not the provider's key", headers[TIMESTAMP_HEADER], "a" * 32, body)
    cases = [
        {**headers, SIGNATURE_HEADER: forged_key, NONCE_HEADER: "a" * 32},
        {**headers, SIGNATURE_HEADER: "v1=" + "0" * 64},
        {k: v for k, v in headers.items() if k != SIGNATURE_HEADER},
    ]
    for bad in cases:
        with pytest.raises(NotificationRefused):
            sandbox.verify_notification(body, bad, now=NOW)
    tampered = body.replace(b'"amount_cents": 2000', b'"amount_cents": 1')
    assert tampered != body
    with pytest.raises(NotificationRefused, match="signature"):
        sandbox.verify_notification(tampered, headers, now=NOW)
    other_sandbox = SandboxProvider()  # another key: another provider
    with pytest.raises(NotificationRefused, match="signature"):
        other_sandbox.verify_notification(body, headers, now=NOW)
    payment = orders_data.get_card_payment(db, placed.order.order.id)
    assert payment is not None and payment.status == "pending"


def test_a_stale_or_future_notification_is_refused(db, settings) -> None:
    sandbox = SandboxProvider()
    _carol, _voucher, _placed_order, reference = _placed(db, settings, sandbox)
    body, headers = _authorized_message(sandbox, reference)
    for moment in (NOW + dt.timedelta(minutes=6), NOW - dt.timedelta(minutes=6)):
        with pytest.raises(NotificationRefused, match="stale"):
            sandbox.verify_notification(body, headers, now=moment)
    assert sandbox.verify_notification(body, headers, now=NOW + dt.timedelta(minutes=4))


def test_a_replayed_notification_is_refused(db, settings) -> None:
    sandbox = SandboxProvider()
    _carol, _voucher, placed, reference = _placed(db, settings, sandbox)
    body, headers = _authorized_message(sandbox, reference)
    notification = sandbox.verify_notification(body, headers, now=NOW)
    outcome = record_notification(db, notification, now=NOW)
    assert outcome is not None and outcome.capture
    with pytest.raises(NotificationRefused, match="replayed"):
        record_notification(db, notification, now=NOW)
    # A fresh notification of the same outcome (a provider's retry) changes nothing.
    again = sandbox.verify_notification(*sandbox.notification(reference, now=NOW), now=NOW)
    repeat = record_notification(db, again, now=NOW)
    assert repeat is not None and not repeat.capture and not repeat.void
    payment = orders_data.get_card_payment(db, placed.order.order.id)
    assert payment is not None and payment.status == "authorized"


def test_a_notification_of_another_amount_is_refused(db, settings) -> None:
    sandbox = SandboxProvider()
    _carol, _voucher, placed, reference = _placed(db, settings, sandbox)
    notification = sandbox.verify_notification(*_authorized_message(sandbox, reference), now=NOW)
    wrong = dataclasses.replace(notification, amount_cents=1)
    with pytest.raises(NotificationRefused, match="amount"):
        record_notification(db, wrong, now=NOW)
    payment = orders_data.get_card_payment(db, placed.order.order.id)
    assert payment is not None and payment.status == "pending"


def test_an_abandoned_payment_expires_and_releases_its_benefits(db, settings) -> None:
    sandbox = SandboxProvider()
    _carol, voucher, placed, reference = _placed(db, settings, sandbox)
    order_id = placed.order.order.id
    assert wallet_data.balance(db, voucher) == 0
    assert expire_abandoned(db, sandbox, now=NOW + dt.timedelta(minutes=29)) == []
    assert expire_abandoned(db, sandbox, now=LATER) == [order_id]
    order = orders_data.get_order(db, order_id)
    payment = orders_data.get_card_payment(db, order_id)
    assert order is not None and order.status == "refunded" and order.cancel_reason
    assert payment is not None and payment.status == "voided"
    assert wallet_data.balance(db, voucher) == 1000
    assert sandbox.status(reference) == "voided"  # the page refuses it from now on
    page = sandbox.page(reference, now=NOW)
    assert page is not None
    with pytest.raises(PageRefused, match="expired"):
        sandbox.submit_card(reference, page.csrf_token, CARD, now=NOW)
    assert expire_abandoned(db, sandbox, now=LATER) == []  # idempotent


def test_the_timeout_is_configurable(db, settings) -> None:
    sandbox = SandboxProvider()
    quick = dataclasses.replace(settings, payment_timeout=60)
    _carol, _voucher, placed, _reference = _placed(db, quick, sandbox)
    assert expire_abandoned(db, sandbox, now=NOW + dt.timedelta(seconds=61)) == [
        placed.order.order.id
    ]


def test_a_payment_made_but_not_notified_is_recorded_not_expired(db, settings) -> None:
    sandbox = SandboxProvider()
    _carol, voucher, placed, reference = _placed(db, settings, sandbox)
    _authorized_message(sandbox, reference)  # paid on the page; the notification got lost
    assert expire_abandoned(db, sandbox, now=LATER) == []
    payment = orders_data.get_card_payment(db, placed.order.order.id)
    assert payment is not None and payment.status == "authorized" and payment.last4 == "4242"
    assert wallet_data.balance(db, voucher) == 0


def test_reconciliation_records_a_lost_notification(db, settings) -> None:
    sandbox = SandboxProvider()
    _carol, _voucher, placed, reference = _placed(db, settings, sandbox)
    _authorized_message(sandbox, reference)
    report = reconciliation.reconcile(
        db, sandbox, settings=settings, now=NOW + dt.timedelta(minutes=20)
    )
    assert [(m.kind, m.repaired) for m in report.mismatches] == [("notification_recorded", True)]
    payment = orders_data.get_card_payment(db, placed.order.order.id)
    assert payment is not None and payment.status == "authorized"


def test_a_late_authorization_of_an_expired_order_is_released(db, settings) -> None:
    sandbox = SandboxProvider()
    _carol, _voucher, placed, reference = _placed(db, settings, sandbox)
    body, headers = _authorized_message(sandbox, reference)
    notification = sandbox.verify_notification(body, headers, now=NOW)
    # The member paid at the last second; the expiry job looked just before.
    cancellation.cancel_order(db, _carol, placed.order.order.id, provider=sandbox, now=NOW)
    outcome = record_notification(db, notification, now=NOW)
    assert outcome is not None and outcome.void and not outcome.capture
    payment = orders_data.get_card_payment(db, placed.order.order.id)
    assert payment is not None and payment.status == "voided"


def test_cancelling_an_order_awaiting_payment_closes_its_page(db, settings) -> None:
    sandbox = SandboxProvider()
    carol, voucher, placed, reference = _placed(db, settings, sandbox)
    cancellation.cancel_order(db, carol, placed.order.order.id, provider=sandbox, now=NOW)
    assert sandbox.status(reference) == "voided"
    assert wallet_data.balance(db, voucher) == 1000
    assert checkout.payment_page(db, carol, placed.order.order.id) is None


def test_an_order_paid_entirely_by_benefits_needs_no_provider_page(db, settings) -> None:
    class NoCalls(SandboxProvider):
        def create_payment(self, amount_cents, order_ref, return_info):  # type: ignore[no-untyped-def]
            raise AssertionError("the provider must not be asked")

    carol = new_member(db)
    voucher = give(db, settings, carol, "gift", 5000)
    lines = [line("E-carte", "ecard", "groceries", 3000)]
    quote = checkout.prepare_checkout(db, carol, lines=lines, today=TODAY)
    assert quote.card_cents == 0
    placed = checkout.pay(
        db,
        carol,
        quote,
        provider=NoCalls(),
        settings=settings,
        accepted_terms=True,
        lines=lines,
        now=NOW,
    )
    assert placed.payment_url is None and not placed.awaiting
    assert placed.order.card is None
    assert placed.order.order.status in ("validated", "preparing")
    assert wallet_data.balance(db, voucher) == 2000


def test_the_notification_body_holds_no_card_number(db, settings) -> None:
    sandbox = SandboxProvider()
    _carol, _voucher, _placed_order, reference = _placed(db, settings, sandbox)
    body, _headers = _authorized_message(sandbox, reference)
    data = json.loads(body)
    assert data["last4"] == "4242" and "4242424242424242" not in body.decode()
    assert set(data) == {"reference", "order_ref", "status", "amount_cents", "brand", "last4"}


async def test_the_server_housekeeping_expires_abandoned_payments(services, db, frozen_clock):  # type: ignore[no-untyped-def]
    from portal.ssh.server import PortalServer

    frozen_clock.set(NOW)
    provider = services.payments.provider
    _carol, voucher, placed, _reference = _placed(db, services.settings, provider)
    seen: list[int] = []
    services.payments.watch.subscribe(placed.order.order.id, lambda: seen.append(1))
    frozen_clock.set(LATER)
    await PortalServer(services)._expire_payments()
    assert wallet_data.balance(db, voucher) == 1000
    assert seen == [1]  # the order's screen is told
    order = orders_data.get_order(db, placed.order.order.id)
    assert order is not None and order.status == "refunded"
    assert payment_confirmation.awaiting_confirmation(db) == []
