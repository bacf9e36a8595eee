"""Paying as a member would on the sandbox provider's page, for tests that need paid orders.

``pay_on_page`` does what the page does (``submit_card``, then ``submit_code`` for
3-D Secure) and records the provider's signed notification as ``/provider/notify``
would, without HTTP (``tests/e2e/test_payment_page.py`` drives the real page). ``pay``
is ``checkout.pay`` followed by that: the order comes back awaiting its capture.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlite_utils import Database

from portal.config import Settings
from portal.data.members import Member
from portal.services import checkout, payment_confirmation
from portal.services.checkout import OrderPlaced
from portal.services.orders import OrderDetail, order_detail
from portal.services.payment_sandbox import SANDBOX_3DS_CODE, SandboxProvider
from portal.services.payments import CardDetails
from portal.services.spending import CheckoutLine, Quote

CARD = CardDetails("4242424242424242", "12/30", "123")
"""The sandbox's card that pays."""


def pay_on_page(
    db: Database,
    provider: SandboxProvider,
    reference: str,
    card: CardDetails = CARD,
    *,
    code: str = SANDBOX_3DS_CODE,
    now: dt.datetime | None = None,
) -> str:
    """Pay on the page and deliver the notification; returns the provider's status."""
    page = provider.page(reference, now=now)
    assert page is not None, "unknown payment"
    status = provider.submit_card(reference, page.csrf_token, card, now=now)
    if status == "requires_action":
        status = provider.submit_code(reference, page.csrf_token, code, now=now)
    body, headers = provider.notification(reference, now=now)
    notification = provider.verify_notification(body, headers, now=now)
    payment_confirmation.record_notification(db, notification, now=now)
    return status


def pay(
    db: Database,
    member: Member,
    quote: Quote,
    *,
    provider: SandboxProvider,
    settings: Settings,
    accepted_terms: bool,
    card: CardDetails = CARD,
    lines: Sequence[CheckoutLine] | None = None,
    now: dt.datetime | None = None,
) -> OrderPlaced:
    """``checkout.pay``, then the member pays on the page: the order awaits its capture."""
    placed = checkout.pay(
        db,
        member,
        quote,
        provider=provider,
        settings=settings,
        accepted_terms=accepted_terms,
        lines=lines,
        now=now,
    )
    if placed.order.card is None:
        return placed
    pay_on_page(db, provider, placed.order.card.provider_ref, card, now=now)
    detail: OrderDetail = order_detail(db, placed.order.order.id)
    return OrderPlaced(detail)
