"""Cancelling an order not yet shipped or issued, refunded to the sources it was paid from.

Allocations are re-credited through the ledger in the cancelling transaction; a confirmed
card payment is refunded through the provider after it (a refund the provider does not
accept stays pending and ``retry_refunds`` tries it again), an unconfirmed one released.

A card payment being captured right now (``capturing``: the confirmer claimed it and is
asking the provider) cannot be cancelled: the member is told to try again in a moment,
when the payment is either captured (then the cancellation refunds it) or failed. So a
cancellation can never slip between the capture and its record.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlite_utils import Database

from portal.config import Settings
from portal.data import catalog as catalog_data
from portal.data import orders as orders_data
from portal.data import wallet as wallet_data
from portal.data.db import transaction
from portal.data.members import Member
from portal.data.orders import CardPayment, Order
from portal.i18n import N_
from portal.services import audit, clock, credit_notes
from portal.services import text as text_rules
from portal.services.errors import UserError
from portal.services.order_emails import notify_cancelled
from portal.services.orders import (
    SHIPPING_VAT_BP,
    OrderDetail,
    PaymentPart,
    cancel_block,
    is_manager_of,
    iso,
    not_found,
    order_detail,
)

log = logging.getLogger(__name__)

__all__ = [
    "CANCELLABLE",
    "CAPTURE_IN_PROGRESS",
    "cancel_in_transaction",
    "cancel_order",
    "check_reason",
    "refund_card",
    "refund_parts",
    "retry_refunds",
]

CANCELLABLE = ("awaiting_payment", "validated", "preparing")
"""Order statuses a cancellation may start from."""
CAPTURE_IN_PROGRESS = N_("The payment is being confirmed: try again in a moment.")
"""The refusal while the provider captures the order's card payment."""


def cancel_in_transaction(
    db: Database, order: Order, *, actor_id: int | None, reason: str, now: dt.datetime
) -> str:
    """Cancel, re-credit benefits; returns the new status. The card is handled by the caller.

    Raises:
        UserError: the card payment is being captured (``CAPTURE_IN_PROGRESS``), or the
            order changed meanwhile. The caller's transaction then rolls back.
    """
    payment = orders_data.get_card_payment(db, order.id)
    if payment is not None and payment.status == "capturing":
        raise UserError(CAPTURE_IN_PROGRESS)
    refunded_any = False
    net: dict[int, list[int]] = {}
    for entry in wallet_data.order_entries(db, order.id):
        cents_items = net.setdefault(entry.allocation_id, [0, 0])
        cents_items[0] -= entry.amount_cents
        cents_items[1] += entry.item_count
    for allocation_id, (cents, items) in net.items():
        if cents > 0:
            wallet_data.credit(
                db,
                allocation_id=allocation_id,
                member_id=order.member_id,
                amount_cents=cents,
                entry="refund",
                order_id=order.id,
                item_count=-items,
                actor_id=actor_id,
            )
            refunded_any = True
    if payment is not None and payment.status == "captured":
        refunded_any = True
    status = "refunded" if refunded_any else "cancelled"
    if not orders_data.change_status(
        db,
        order.id,
        status,
        expected=CANCELLABLE,
        cancelled_at=iso(now),
        cancelled_by=actor_id,
        cancel_reason=reason[:200] or None,
        refunded_at=iso(now) if refunded_any else None,
    ):
        raise UserError(N_("This order changed meanwhile: look at it again."))
    catalog_data.release_stock(db, order.id)  # products' units back on sale
    orders_data.change_line_status(
        db, order.id, "cancelled", expected=("pending", "preparing", "to_ship")
    )
    return status


MAX_REASON = 200
"""Longest cancellation or return reason kept."""


def check_reason(raw: str) -> str:
    """A reason typed by a person, checked (no control characters, at most 200 characters).

    Raises:
        UserError: control characters, or too long. Nothing changes.
    """
    reason = " ".join(text_rules.check_line(raw, error=UserError).split())
    if len(reason) > MAX_REASON:
        raise UserError(N_("A reason may have at most {n} characters."), n=MAX_REASON)
    return reason


def refund_parts(detail: OrderDetail) -> list[PaymentPart]:
    """What went back to each source of a cancelled order (the card even while pending)."""
    return [
        PaymentPart(part.source, part.label, part.refunded_cents, part.refunded_cents, part.status)
        for part in detail.payments
        if part.refunded_cents > 0
    ]


def cancellation_lines(detail: OrderDetail) -> list[credit_notes.CreditLine]:
    """A cancelled order's lines (and its delivery) as credit-note lines."""
    lines = [
        credit_notes.CreditLine(ln.title, ln.quantity, ln.line_total_cents, ln.vat_bp)
        for ln in detail.lines
    ]
    if detail.order.shipping_cents:
        lines.append(
            credit_notes.CreditLine(
                N_("Delivery"), 1, detail.order.shipping_cents, SHIPPING_VAT_BP, translate=True
            )
        )
    return lines


def cancel_order(
    db: Database,
    actor: Member,
    order_id: int,
    *,
    provider: Any,
    reason: str = "",
    settings: Settings | None = None,
    now: dt.datetime | None = None,
) -> OrderDetail:
    """Cancel an order not yet shipped or issued, refunding each source it was paid from.

    Allocations are re-credited through the ledger; a confirmed card payment is refunded
    through the provider, an unconfirmed one released. The member cancels their own
    orders; a manager their organization's (audited).

    The member's email gives the reason (when a manager cancels), what went back to
    each source, and, for an invoiced order, the credit note (also in the outbox).

    Raises:
        UserError: not found, not cancellable (the message says why), or a bad reason.
    """
    reason = check_reason(reason)
    order = orders_data.get_order(db, order_id)
    if order is None or not (is_manager_of(actor, order) or actor.id == order.member_id):
        raise not_found()
    moment = now or clock.now()
    void_ref: str | None = None
    refund: CardPayment | None = None
    with transaction(db):
        order = orders_data.get_order(db, order_id)
        assert order is not None
        block = cancel_block(order, orders_data.get_lines(db, order_id))
        if block is not None:
            raise UserError(block)
        status = cancel_in_transaction(db, order, actor_id=actor.id, reason=reason, now=moment)
        payment = orders_data.get_card_payment(db, order_id)
        if payment is not None and payment.status in ("pending", "authorized"):
            orders_data.change_payment_status(
                db, payment.id, "voided", expected=("pending", "authorized")
            )
            void_ref = payment.provider_ref
        elif payment is not None and payment.status == "captured":
            orders_data.change_payment_status(
                db, payment.id, "refund_pending", expected=("captured",)
            )
            refund = payment
        audit.record(
            db,
            "order.cancelled",
            actor_id=actor.id,
            organization_id=order.organization_id,
            target=f"order:{order_id}",
            status=status,
            by_member=actor.id == order.member_id,
            card_refund_cents=refund.amount_cents if refund else 0,
        )
        detail = order_detail(db, order_id)
        issued = None
        if order.invoice_number:
            issued = credit_notes.issue_credit_note(
                db,
                detail.order,
                settings=credit_notes.settings_for(db, settings),
                kind="cancellation",
                lines=cancellation_lines(detail),
                refunds=refund_parts(detail),
                reason=reason,
                now=moment,
            )
        notify_cancelled(
            db,
            detail,
            reason=reason if actor.id != order.member_id else "",
            refunds=refund_parts(detail),
            credit_note=issued,
        )
    if void_ref is not None:
        try:
            provider.void(void_ref)
        except Exception:
            log.exception("voiding a card authorization failed (order %s)", order_id)
    if refund is not None:
        refund_card(db, provider, refund)
    return order_detail(db, order_id)


def refund_card(db: Database, provider: Any, payment: CardPayment) -> bool:
    """Ask the provider to refund a ``refund_pending`` payment and record its answer.

    Runs outside any transaction (the provider is slow); a refusal leaves the payment
    ``refund_pending`` for ``retry_refunds``. Returns True when the refund is recorded.
    """
    try:
        refund_ref = provider.refund(payment.provider_ref, payment.amount_cents)
    except Exception:
        log.exception("card refund failed (order %s); it stays pending", payment.order_id)
        return False
    with transaction(db):
        return orders_data.change_payment_status(
            db,
            payment.id,
            "refunded",
            expected=("refund_pending",),
            refund_ref=refund_ref,
            refunded_at=iso(clock.now()),
        )


def retry_refunds(db: Database, provider: Any) -> int:
    """Try again the card refunds the provider did not accept; returns how many succeeded.

    (Card refunds of accepted returns: ``returns.retry_return_refunds``.)"""
    return sum(refund_card(db, provider, p) for p in orders_data.refunds_pending(db))
