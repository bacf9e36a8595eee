"""Orders ("Mes dernières commandes"): history, detail, validation, shipping, cancellation.

Life of an order::

    awaiting_payment --(card confirmed, or nothing to pay by card)--> validated / preparing
    validated|preparing --(manager ships the postal lines)--> shipped
    preparing --(every e-card / e-ticket issued)--> available
    awaiting_payment|validated|preparing --(cancel)--> refunded (or cancelled if nothing was paid)

At validation the invoice is numbered (gapless, per year), written as a PDF to the
member's SFTP outbox and attached to the confirmation email, all in the validating
transaction. Digital lines wait "being prepared" until the e-card service issues them
(``mark_lines_available``); postal lines are dispatched on ``dispatch.dispatch_date``.

A member sees only their orders; a manager only their organization's; an admin all.
An order another person may not see is reported as not existing.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from portal.config import Settings
from portal.data import members as members_data
from portal.data import orders as orders_data
from portal.data import wallet as wallet_data
from portal.data.db import transaction
from portal.data.members import Member
from portal.data.orders import CardPayment, Order, OrderLine, OrderSummary
from portal.data.wallet import LedgerEntry
from portal.i18n import N_, get_translator
from portal.services import audit, dispatch, notifications
from portal.services.notifications import recipient_for
from portal.services.wallet import KIND_LABELS, UserError

log = logging.getLogger(__name__)

__all__ = [
    "LINE_STATUS_LABELS",
    "STATUS_LABELS",
    "CardPayment",
    "Order",
    "OrderDetail",
    "OrderLine",
    "OrderSummary",
    "PaymentPart",
    "awaiting_confirmation",
    "cancel_order",
    "get_order",
    "list_org_orders",
    "list_orders",
    "mark_lines_available",
    "mark_shipped",
    "order_detail",
    "record_payment_result",
    "retry_refunds",
    "validate",
]

STATUS_LABELS: dict[str, str] = {
    "awaiting_payment": N_("Awaiting payment confirmation"),
    "validated": N_("Validated"),
    "preparing": N_("Being prepared"),
    "available": N_("Available"),
    "shipped": N_("Shipped"),
    "cancelled": N_("Cancelled"),
    "refunded": N_("Refunded"),
}
LINE_STATUS_LABELS: dict[str, str] = {
    "pending": N_("Awaiting payment"),
    "preparing": N_("Being prepared"),
    "to_ship": N_("To be shipped"),
    "available": N_("Available"),
    "shipped": N_("Shipped"),
    "cancelled": N_("Cancelled"),
}
PAYMENT_STATUS_LABELS: dict[str, str] = {
    "authorized": N_("awaiting confirmation"),
    "captured": N_("paid"),
    "failed": N_("failed"),
    "voided": N_("cancelled"),
    "refund_pending": N_("refund in progress"),
    "refunded": N_("refunded"),
}
CANCELLABLE = ("awaiting_payment", "validated", "preparing")
TRACKING = re.compile(r"^[A-Za-z0-9-]{6,40}$")


@dataclass(frozen=True)
class PaymentPart:
    """One source that paid part of an order."""

    source: str
    """``subsidy``, ``gift``, ``culture`` or ``card``."""
    label: str
    amount_cents: int
    refunded_cents: int = 0
    status: str | None = None
    """Card payments: ``authorized``, ``captured``, ``refunded``..."""


@dataclass(frozen=True)
class OrderDetail:
    """An order with its lines, how it was paid, and whether it can be cancelled."""

    order: Order
    lines: tuple[OrderLine, ...]
    payments: tuple[PaymentPart, ...]
    card: CardPayment | None
    ledger: tuple[LedgerEntry, ...]
    member_name: str
    member_login: str
    cancel_block: str | None
    """Message id saying why it cannot be cancelled (None when it can)."""

    @property
    def number(self) -> str:
        """The order number."""
        return self.order.number

    @property
    def cancellable(self) -> bool:
        """Whether a cancellation would be accepted now."""
        return self.cancel_block is None

    @property
    def vat_cents(self) -> int:
        """VAT included in the total (per line, rounded to the cent)."""
        from portal.services.checkout import SHIPPING_VAT_BP

        return sum(vat_included(line.line_total_cents, line.vat_bp) for line in self.lines) + (
            vat_included(self.order.shipping_cents, SHIPPING_VAT_BP)
        )


def vat_included(gross_cents: int, vat_bp: int) -> int:
    """VAT contained in a price that includes it (rounded half up to the cent)."""
    if vat_bp <= 0:
        return 0
    return (gross_cents * vat_bp * 2 + (10_000 + vat_bp)) // (2 * (10_000 + vat_bp))


def cancel_block(order: Order, lines: tuple[OrderLine, ...] | list[OrderLine]) -> str | None:
    """Why an order cannot be cancelled (a message id), or None when it can."""
    if order.status in ("cancelled", "refunded"):
        return N_("This order is already cancelled.")
    if order.status == "shipped" or any(line.status == "shipped" for line in lines):
        return N_("This order has been shipped: it can no longer be cancelled.")
    if order.status == "available" or any(line.status == "available" for line in lines):
        return N_(
            "Its e-cards or e-tickets have been issued: this order can no longer be cancelled."
        )
    return None


def _may_see(actor: Member, order: Order) -> bool:
    if actor.role == "admin" or actor.id == order.member_id:
        return True
    return actor.role == "manager" and actor.organization_id == order.organization_id


def _is_manager_of(actor: Member, order: Order) -> bool:
    if actor.role == "admin":
        return True
    return actor.role == "manager" and actor.organization_id == order.organization_id


def _not_found() -> UserError:
    return UserError(N_("This order does not exist."))


def order_detail(db: Database, order_id: int) -> OrderDetail:
    """Everything about one order (no access check: callers check)."""
    order = orders_data.get_order(db, order_id)
    if order is None:
        raise _not_found()
    lines = tuple(orders_data.get_lines(db, order_id))
    ledger = tuple(wallet_data.order_entries(db, order_id))
    card = orders_data.get_card_payment(db, order_id)
    parts: dict[int, list[int]] = {}
    labels: dict[int, tuple[str, str]] = {}
    for entry in ledger:
        sums = parts.setdefault(entry.allocation_id, [0, 0])
        if entry.entry == "debit":
            sums[0] -= entry.amount_cents
        elif entry.entry == "refund":
            sums[1] += entry.amount_cents
        labels[entry.allocation_id] = (entry.kind, entry.label)
    payments = [
        PaymentPart(labels[a][0], labels[a][1], paid, refunded)
        for a, (paid, refunded) in parts.items()
    ]
    if card is not None:
        refunded = card.amount_cents if card.status in ("refunded", "refund_pending") else 0
        payments.append(
            PaymentPart(
                "card", f"{card.brand} •••• {card.last4}", card.amount_cents, refunded, card.status
            )
        )
    member = members_data.get_member(db, order.member_id)
    return OrderDetail(
        order=order,
        lines=lines,
        payments=tuple(payments),
        card=card,
        ledger=ledger,
        member_name=member.full_name if member else "",
        member_login=member.login if member else "",
        cancel_block=cancel_block(order, lines),
    )


def get_order(db: Database, actor: Member, order_id: int) -> OrderDetail:
    """One order, if ``actor`` may see it (its member, a manager of its organization, an admin)."""
    order = orders_data.get_order(db, order_id)
    if order is None or not _may_see(actor, order):
        raise _not_found()
    return order_detail(db, order_id)


def list_orders(
    db: Database, member: Member, *, limit: int = 50, before_id: int | None = None
) -> list[OrderSummary]:
    """The member's own orders, newest first, a page at a time."""
    return orders_data.list_member_orders(db, member.id, limit=limit, before_id=before_id)


def list_org_orders(
    db: Database, actor: Member, *, statuses: tuple[str, ...] = (), limit: int = 200
) -> list[tuple[OrderSummary, str]]:
    """Orders of the manager's organization (an admin: every organization), with member names."""
    if actor.role == "admin":
        org = None
    elif actor.role == "manager" and actor.organization_id is not None:
        org = actor.organization_id
    else:
        raise PermissionError("managers only")
    return orders_data.list_org_orders(db, org, statuses=statuses, limit=limit)


def awaiting_confirmation(db: Database, *, older_than: float = 0.0) -> list[str]:
    """Provider references of card payments still waiting for their confirmation."""
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=older_than)
    return [ref for _id, ref in orders_data.awaiting_payment(db, created_before=_iso(cutoff))]


# -- validation ------------------------------------------------------------------------------


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> dt.datetime:
    """A stored UTC timestamp as an aware datetime."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def outbox_dir(settings: Settings, login: str) -> Path:
    """The member's SFTP outbox folder (created on demand)."""
    folder = settings.files_dir / login / "outbox"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def validate(
    db: Database, order_id: int, *, settings: Settings, now: dt.datetime | None = None
) -> None:
    """Validate a paid order inside the caller's transaction.

    Starts fulfilment (digital lines being prepared, postal lines to ship on the dispatch
    day), numbers the invoice, writes its PDF to the member's outbox and queues the
    confirmation email with the PDF attached. If the transaction rolls back, the same
    invoice number is taken again and the file overwritten.
    """
    from portal.services import invoices

    moment = now or dt.datetime.now(dt.UTC)
    with transaction(db):
        order = orders_data.get_order(db, order_id)
        if order is None or order.status != "awaiting_payment":
            return
        year = moment.astimezone(dispatch.PARIS).year
        invoice_number = f"FAC-{year}-{orders_data.next_invoice_number(db, year):06d}"
        dispatch_on = dispatch.dispatch_date(moment).isoformat() if order.has_postal else None
        status = "preparing" if order.has_digital else "validated"
        if not orders_data.change_status(
            db,
            order_id,
            status,
            expected=("awaiting_payment",),
            validated_at=_iso(moment),
            dispatch_on=dispatch_on,
            invoice_number=invoice_number,
        ):
            return
        orders_data.change_line_status(
            db, order_id, "preparing", expected=("pending",), fulfilment="digital"
        )
        orders_data.change_line_status(
            db, order_id, "to_ship", expected=("pending",), fulfilment="postal"
        )
        detail = order_detail(db, order_id)
        member = members_data.get_member(db, order.member_id)
        assert member is not None
        t = get_translator(member.language)
        pdf = invoices.render_invoice(detail, member, t)
        filename = f"{invoice_number}.pdf"
        (outbox_dir(settings, member.login) / filename).write_bytes(pdf)
        orders_data.set_invoice_file(db, order_id, f"outbox/{filename}")
        notifications.enqueue(
            db,
            to=recipient_for(db, member.id),
            member_id=member.id,
            subject=t.gettext("Your order {number} is confirmed", number=detail.number),
            body=_confirmation_body(detail, member, t),
            attachments=[(filename, "application/pdf", pdf)],
        )


def _confirmation_body(detail: OrderDetail, member: Member, t: Any) -> str:
    order = detail.order
    lines = [t.gettext("Your order {number} is confirmed.", number=detail.number), ""]
    for line in detail.lines:
        lines.append(
            "- " + amount_line(f"{line.quantity} × {line.title}", line.line_total_cents, t)
        )
    if order.shipping_cents:
        lines.append("- " + amount_line(t.gettext("Delivery"), order.shipping_cents, t))
    lines += ["", t.gettext("Total: {amount}", amount=t.money(order.total_cents))]
    for part in detail.payments:
        lines.append("  " + amount_line(payment_label(part, t), part.amount_cents, t))
    lines.append("")
    if order.dispatch_on:
        lines.append(
            t.gettext(
                "Your parcel will be dispatched on {date}.",
                date=t.date(dt.date.fromisoformat(order.dispatch_on), "full"),
            )
        )
    if order.has_digital:
        lines.append(
            t.gettext(
                "Your e-cards and e-tickets are being prepared; you will find "
                "them in the member space."
            )
        )
    lines += ["", t.gettext("Your invoice is attached and kept in your outbox folder.")]
    return _letter(member, t, lines)


def _letter(member: Member, t: Any, lines: list[str]) -> str:
    """An order email's body: the greeting, ``lines``, and the CSE's signature."""
    return "\n".join(
        [
            t.gettext("Hello {name},", name=member.first_name),
            "",
            *lines,
            "",
            t.gettext("The {organization} team", organization=member.organization_name),
        ]
    )


def _notify_order_member(
    db: Database,
    order: Order,
    subject: Callable[[Any], str],
    lines: Callable[[Any], list[str]],
) -> None:
    """Queue a notice about ``order`` to its member, in their language, at their address."""
    member = members_data.get_member(db, order.member_id)
    if member is None:
        return
    t = get_translator(member.language)
    notifications.enqueue(
        db,
        to=recipient_for(db, member.id),
        member_id=member.id,
        subject=subject(t),
        body=_letter(member, t, lines(t)),
    )


def payment_label(part: PaymentPart, t: Any) -> str:
    """How a payment part is named to a person: its allocation's name (with its kind when
    the name does not say it), or the card's brand and last digits."""
    if part.source == "card":
        return t.gettext("Card {card}", card=part.label)
    kind = t.gettext(KIND_LABELS.get(part.source, part.source))
    if kind.split()[0].casefold() in part.label.casefold():
        return part.label
    return f"{part.label} ({kind.casefold()})"


def amount_line(label: str, cents: int, t: Any) -> str:
    """``label: amount`` with the language's punctuation (a space before the colon in French)."""
    return t.gettext("{label}: {amount}", label=label, amount=t.money(cents))


def record_payment_result(
    db: Database,
    provider_ref: str,
    succeeded: bool,
    *,
    settings: Settings,
    now: dt.datetime | None = None,
) -> OrderDetail | None:
    """Record the provider's confirmation of a card payment (asynchronous, idempotent).

    Success validates the order. Failure cancels it and re-credits the benefits it used.
    A confirmation for an order no longer awaiting payment changes nothing.
    """
    moment = now or dt.datetime.now(dt.UTC)
    with transaction(db):
        payment = orders_data.get_card_payment_by_ref(db, provider_ref)
        if payment is None:
            log.warning("confirmation for an unknown payment reference")
            return None
        order = orders_data.get_order(db, payment.order_id)
        assert order is not None
        if order.status != "awaiting_payment" or payment.status != "authorized":
            return order_detail(db, order.id)
        if succeeded:
            orders_data.change_payment_status(
                db, payment.id, "captured", expected=("authorized",), confirmed_at=_iso(moment)
            )
            validate(db, order.id, settings=settings, now=moment)
        else:
            orders_data.change_payment_status(
                db, payment.id, "failed", expected=("authorized",), confirmed_at=_iso(moment)
            )
            _cancel_in_transaction(db, order, actor_id=None, reason="payment failed", now=moment)
            audit.record(
                db,
                "order.payment_failed",
                organization_id=order.organization_id,
                target=f"order:{order.id}",
            )
    return order_detail(db, payment.order_id)


# -- fulfilment ------------------------------------------------------------------------------


def mark_shipped(
    db: Database,
    actor: Member,
    order_id: int,
    tracking_number: str,
    *,
    now: dt.datetime | None = None,
) -> OrderDetail:
    """A manager ships an order's postal lines with a tracking number (audited, emailed)."""
    order = orders_data.get_order(db, order_id)
    if order is None or not _is_manager_of(actor, order):
        raise _not_found()
    tracking = tracking_number.strip().upper()
    if not TRACKING.match(tracking):
        raise UserError(N_("A tracking number has 6 to 40 letters, digits or dashes."))
    moment = now or dt.datetime.now(dt.UTC)
    with transaction(db):
        order = orders_data.get_order(db, order_id)
        assert order is not None
        if not order.has_postal:
            raise UserError(N_("This order has nothing to ship."))
        if order.status not in ("validated", "preparing"):
            raise UserError(N_("Only a validated order that is not yet shipped can be shipped."))
        orders_data.change_line_status(
            db, order_id, "shipped", expected=("to_ship",), fulfilment="postal"
        )
        if not orders_data.change_status(
            db,
            order_id,
            "shipped",
            expected=("validated", "preparing"),
            shipped_at=_iso(moment),
            tracking_number=tracking,
        ):
            raise UserError(N_("Only a validated order that is not yet shipped can be shipped."))
        audit.record(
            db,
            "order.shipped",
            actor_id=actor.id,
            organization_id=order.organization_id,
            target=f"order:{order_id}",
            tracking_number=tracking,
        )
        _notify_order_member(
            db,
            order,
            lambda t: t.gettext("Your order {number} has been shipped", number=order.number),
            lambda t: [
                t.gettext("Your order {number} has been shipped.", number=order.number),
                t.gettext("Tracking number: {tracking}", tracking=tracking),
            ],
        )
    return order_detail(db, order_id)


def mark_lines_available(
    db: Database, order_id: int, line_ids: list[int] | None = None
) -> OrderDetail:
    """Digital lines were issued (called by the e-card service); the order may become available."""
    with transaction(db):
        order = orders_data.get_order(db, order_id)
        if order is None:
            raise _not_found()
        orders_data.change_line_status(
            db,
            order_id,
            "available",
            expected=("preparing",),
            fulfilment="digital",
            line_ids=line_ids,
        )
        lines = orders_data.get_lines(db, order_id)
        if order.status == "preparing" and all(
            ln.status in ("available", "cancelled") for ln in lines if ln.fulfilment == "digital"
        ):
            if not order.has_postal:
                orders_data.change_status(db, order_id, "available", expected=("preparing",))
            else:
                orders_data.change_status(db, order_id, "validated", expected=("preparing",))
    return order_detail(db, order_id)


# -- cancellation ----------------------------------------------------------------------------


def _cancel_in_transaction(
    db: Database, order: Order, *, actor_id: int | None, reason: str, now: dt.datetime
) -> str:
    """Cancel, re-credit benefits; returns the new status. The card is handled by the caller."""
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
    payment = orders_data.get_card_payment(db, order.id)
    if payment is not None and payment.status == "captured":
        refunded_any = True
    status = "refunded" if refunded_any else "cancelled"
    if not orders_data.change_status(
        db,
        order.id,
        status,
        expected=CANCELLABLE,
        cancelled_at=_iso(now),
        cancelled_by=actor_id,
        cancel_reason=reason[:200] or None,
        refunded_at=_iso(now) if refunded_any else None,
    ):
        raise UserError(N_("This order changed meanwhile: look at it again."))
    orders_data.change_line_status(
        db, order.id, "cancelled", expected=("pending", "preparing", "to_ship")
    )
    return status


def cancel_order(
    db: Database,
    actor: Member,
    order_id: int,
    *,
    provider: Any,
    reason: str = "",
    now: dt.datetime | None = None,
) -> OrderDetail:
    """Cancel an order not yet shipped or issued, refunding each source it was paid from.

    Allocations are re-credited through the ledger; a confirmed card payment is refunded
    through the provider, an unconfirmed one released. The member cancels their own
    orders; a manager their organization's (audited).

    Raises:
        UserError: not found, or not cancellable (the message says why).
    """
    order = orders_data.get_order(db, order_id)
    if order is None or not (_is_manager_of(actor, order) or actor.id == order.member_id):
        raise _not_found()
    moment = now or dt.datetime.now(dt.UTC)
    void_ref: str | None = None
    refund: CardPayment | None = None
    with transaction(db):
        order = orders_data.get_order(db, order_id)
        assert order is not None
        block = cancel_block(order, orders_data.get_lines(db, order_id))
        if block is not None:
            raise UserError(block)
        status = _cancel_in_transaction(db, order, actor_id=actor.id, reason=reason, now=moment)
        payment = orders_data.get_card_payment(db, order_id)
        if payment is not None and payment.status == "authorized":
            orders_data.change_payment_status(db, payment.id, "voided", expected=("authorized",))
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
        _notify_order_member(
            db,
            order,
            lambda t: t.gettext("Your order {number} is cancelled", number=order.number),
            lambda t: [
                t.gettext("Your order {number} is cancelled.", number=order.number),
                t.gettext("It is refunded to the sources it was paid from."),
            ],
        )
    if void_ref is not None:
        try:
            provider.void(void_ref)
        except Exception:
            log.exception("voiding a card authorization failed (order %s)", order_id)
    if refund is not None:
        _refund_card(db, provider, refund)
    return order_detail(db, order_id)


def _refund_card(db: Database, provider: Any, payment: CardPayment) -> bool:
    try:
        refund_ref = provider.refund(payment.provider_ref, payment.amount_cents)
    except Exception:
        log.exception("card refund failed (order %s); it stays pending", payment.order_id)
        return False
    with transaction(db):
        orders_data.change_payment_status(
            db,
            payment.id,
            "refunded",
            expected=("refund_pending",),
            refund_ref=refund_ref,
            refunded_at=_iso(dt.datetime.now(dt.UTC)),
        )
    return True


def retry_refunds(db: Database, provider: Any) -> int:
    """Try again the card refunds the provider did not accept; returns how many succeeded."""
    return sum(_refund_card(db, provider, p) for p in orders_data.refunds_pending(db))
