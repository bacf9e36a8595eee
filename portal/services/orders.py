"""Orders ("Mes dernières commandes") as people see them: history, detail, how they were paid.

Life of an order::

    awaiting_payment --(card confirmed, or nothing to pay by card)--> validated / preparing
    validated|preparing --(manager ships the postal lines)--> shipped
    preparing --(every e-card / e-ticket issued)--> available
    awaiting_payment|validated|preparing --(cancel)--> refunded (or cancelled if nothing was paid)

Where each step lives: placing an order in ``services.checkout``; the provider's card
confirmation in ``services.payment_confirmation``; validation (invoice, confirmation
email), shipping and issued lines in ``services.fulfilment``; cancelling and refunding in
``services.cancellation``; the emails about an order in ``services.order_emails``.

A member sees only their orders; a manager only their organization's; an admin all.
An order another person may not see is reported as not existing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlite_utils import Database

from portal.data import after_sales, order_search
from portal.data import members as members_data
from portal.data import orders as orders_data
from portal.data import wallet as wallet_data
from portal.data.after_sales import CreditNote, OrderReturn
from portal.data.members import Member
from portal.data.orders import CardPayment, Order, OrderLine, OrderSummary
from portal.data.wallet import LedgerEntry
from portal.i18n import N_, Translator
from portal.services import authz
from portal.services import text as text_rules
from portal.services.benefits import KIND_LABELS
from portal.services.errors import UserError

__all__ = [
    "LINE_STATUS_LABELS",
    "PAYMENT_STATUS_LABELS",
    "SHIPPING_VAT_BP",
    "STATUS_LABELS",
    "VAT_BP",
    "CardPayment",
    "CreditNote",
    "Order",
    "OrderDetail",
    "OrderLine",
    "OrderReturn",
    "OrderSummary",
    "OrgOrdersPage",
    "PaymentPart",
    "amount_line",
    "cancel_block",
    "get_order",
    "iso",
    "list_org_orders",
    "list_orders",
    "order_detail",
    "org_orders_page",
    "parse_time",
    "payment_label",
    "vat_included",
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
    "pending": N_("awaiting payment on the payment page"),
    "authorized": N_("awaiting confirmation"),
    "capturing": N_("awaiting confirmation"),
    "captured": N_("paid"),
    "failed": N_("failed"),
    "voided": N_("cancelled"),
    "refund_pending": N_("refund in progress"),
    "refunded": N_("refunded"),
}
VAT_BP: dict[str, int] = {"ecard": 0, "eticket": 550, "product": 2000}
"""VAT by offer kind: gift cards are multi-purpose vouchers (no VAT at sale), event
tickets 5.5 %, goods 20 %."""
SHIPPING_VAT_BP = 2000
"""Delivery is charged with the goods' standard VAT rate."""


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
    credit_notes: tuple[CreditNote, ...] = ()
    """Avoirs issued for it (cancellation, returns), oldest first."""
    returns: tuple[OrderReturn, ...] = ()
    """Return requests, oldest first."""

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


def may_see(actor: Member, order: Order) -> bool:
    """Its member, a manager of its organization, or an admin."""
    if actor.role == "admin" or actor.id == order.member_id:
        return True
    return actor.role == "manager" and actor.organization_id == order.organization_id


def is_manager_of(actor: Member, order: Order) -> bool:
    """A manager of the order's organization, or an admin."""
    if actor.role == "admin":
        return True
    return actor.role == "manager" and actor.organization_id == order.organization_id


def not_found() -> UserError:
    """The refusal for an order that does not exist or that the person may not see."""
    return UserError(N_("This order does not exist."))


def order_detail(db: Database, order_id: int) -> OrderDetail:
    """Everything about one order (no access check: callers check)."""
    order = orders_data.get_order(db, order_id)
    if order is None:
        raise not_found()
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
        if not refunded:
            refunded = sum(
                r.card_refund_cents
                for r in after_sales.order_returns(db, order_id)
                if r.status == "accepted"
            )
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
        credit_notes=tuple(after_sales.order_credit_notes(db, order_id)),
        returns=tuple(after_sales.order_returns(db, order_id)),
    )


def get_order(db: Database, actor: Member, order_id: int) -> OrderDetail:
    """One order, if ``actor`` may see it (its member, a manager of its organization, an admin)."""
    actor = authz.current_actor(db, actor)
    order = orders_data.get_order(db, order_id)
    if order is None or not may_see(actor, order):
        raise not_found()
    return order_detail(db, order_id)


def list_orders(
    db: Database, member: Member, *, limit: int = 50, before_id: int | None = None
) -> list[OrderSummary]:
    """The member's own orders, newest first, a page at a time."""
    return orders_data.list_member_orders(db, member.id, limit=limit, before_id=before_id)


@dataclass(frozen=True)
class OrgOrdersPage:
    """One page of an organization's orders, with the count of all that match."""

    rows: tuple[tuple[OrderSummary, str], ...]
    """Orders with their member's name, newest first."""
    total: int
    offset: int
    page_size: int

    @property
    def has_next(self) -> bool:
        """More orders after this page."""
        return self.offset + len(self.rows) < self.total


def _org_scope(db: Database, actor: Member) -> int | None:
    actor = authz.current_manager(db, actor)
    if actor.role == "admin":
        return None
    if actor.role == "manager" and actor.organization_id is not None:
        return actor.organization_id
    raise PermissionError("managers only")


def list_org_orders(
    db: Database,
    actor: Member,
    *,
    statuses: tuple[str, ...] = (),
    limit: int = 200,
    offset: int = 0,
    search: str = "",
) -> list[tuple[OrderSummary, str]]:
    """Orders of the manager's organization (an admin: every organization), with member names.

    ``search`` matches the order number or the member's login or name.
    """
    org = _org_scope(db, actor)
    term = text_rules.check_line(search, error=UserError)[:80]
    return order_search.search_org_orders(
        db, org, statuses=statuses, limit=limit, offset=max(0, offset), search=term
    )


def org_orders_page(
    db: Database,
    actor: Member,
    *,
    statuses: tuple[str, ...] = (),
    search: str = "",
    offset: int = 0,
    page_size: int = 50,
) -> OrgOrdersPage:
    """One page of the organization's orders matching ``statuses`` and ``search``."""
    org = _org_scope(db, actor)
    term = text_rules.check_line(search, error=UserError)[:80]
    total = order_search.count_org_orders(db, org, statuses=statuses, search=term)
    offset = max(0, min(offset, max(0, total - 1) // page_size * page_size))
    rows = order_search.search_org_orders(
        db, org, statuses=statuses, limit=page_size, offset=offset, search=term
    )
    return OrgOrdersPage(tuple(rows), total, offset, page_size)


def iso(moment: dt.datetime) -> str:
    """A moment as stored (UTC, ISO 8601 with microseconds and a ``Z``)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> dt.datetime:
    """A stored UTC timestamp as an aware datetime."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def payment_label(part: PaymentPart, t: Translator) -> str:
    """How a payment part is named to a person: its allocation's name (with its kind when
    the name does not say it), or the card's brand and last digits."""
    if part.source == "card":
        return t.gettext("Card {card}", card=part.label)
    kind = t.gettext(KIND_LABELS.get(part.source, part.source))
    if kind.split()[0].casefold() in part.label.casefold():
        return part.label
    return f"{part.label} ({kind.casefold()})"


def amount_line(label: str, cents: int, t: Translator) -> str:
    """``label: amount`` with the language's punctuation (a space before the colon in French)."""
    return t.gettext("{label}: {amount}", label=label, amount=t.money(cents))
