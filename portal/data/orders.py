"""Orders, order lines, card payments and invoice numbers.

State changes are conditional updates (``WHERE status IN (...)``) that report whether
they applied, so two racing actions (a payment confirmation and a cancellation, two
managers shipping) cannot both win.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from sqlite_utils import Database


@dataclass(frozen=True)
class Order:
    """An order as listed (its lines and payments are read separately)."""

    id: int
    member_id: int
    organization_id: int | None
    status: str
    total_cents: int
    benefits_cents: int
    card_cents: int
    savings_cents: int
    shipping_cents: int
    line_count: int
    summary: str
    has_postal: bool
    has_digital: bool
    created_at: str
    terms_accepted_at: str
    validated_at: str | None
    dispatch_on: str | None
    shipped_at: str | None
    tracking_number: str | None
    cancelled_at: str | None
    cancelled_by: int | None
    cancel_reason: str | None
    refunded_at: str | None
    invoice_number: str | None
    invoice_file: str | None
    delivery_line1: str | None = None
    """Delivery address copied at checkout (a later profile edit never changes it)."""
    delivery_line2: str | None = None
    delivery_postal_code: str | None = None
    delivery_city: str | None = None
    delivery_phone: str | None = None
    """The member's phone for the carrier, if they gave one."""
    delivery_email: str | None = None
    """Where e-cards and e-tickets are sent (None: the member's usual address)."""
    delivered_at: str | None = None

    @property
    def number(self) -> str:
        """The number a member quotes (derived from the id, so it never changes)."""
        return f"CMD-{self.id:07d}"

    @property
    def delivery_address(self) -> tuple[str, ...]:
        """The delivery address as printed lines (empty when none is stored)."""
        if not (self.delivery_line1 and self.delivery_postal_code and self.delivery_city):
            return ()
        lines = [self.delivery_line1]
        if self.delivery_line2:
            lines.append(self.delivery_line2)
        lines.append(f"{self.delivery_postal_code} {self.delivery_city}")
        return tuple(lines)


@dataclass(frozen=True)
class OrderSummary:
    """One row of an order history (the fields a list shows)."""

    id: int
    member_id: int
    status: str
    total_cents: int
    line_count: int
    summary: str
    created_at: str
    dispatch_on: str | None
    tracking_number: str | None

    @property
    def number(self) -> str:
        """The order number."""
        return f"CMD-{self.id:07d}"


@dataclass(frozen=True)
class PricedLine:
    """Offers at a price: the fields a basket line, a checkout line and an order line share.

    Defined once here; ``services.basket.BasketLine``, ``services.spending.CheckoutLine``
    and ``OrderLine`` extend it.
    """

    offer_id: int | None
    title: str
    kind: str
    """``ecard``, ``eticket`` or ``product``."""
    category: str
    face_value_cents: int
    """Face value of one unit (the e-card amount, the ticket's public price)."""
    quantity: int
    discount_bp: int
    unit_price_cents: int
    line_total_cents: int
    savings_cents: int


@dataclass(frozen=True)
class OrderLine(PricedLine):
    """What was bought, at the price paid then."""

    id: int
    order_id: int
    position: int
    subsidy_cents: int
    vat_bp: int
    fulfilment: str
    status: str


def priced_values(line: PricedLine) -> dict[str, Any]:
    """A priced line's shared fields by name (the start of an ``insert_lines`` row)."""
    return {f.name: getattr(line, f.name) for f in fields(PricedLine)}


_LINE_INSERTED = tuple(f.name for f in fields(OrderLine) if f.name != "id")
"""The ``order_lines`` columns an insert writes (every field but the id)."""
_LINE_COLUMNS = ", ".join(f.name for f in fields(OrderLine))


@dataclass(frozen=True)
class CardPayment:
    """The card part of an order: a provider reference, brand and last four digits only."""

    id: int
    order_id: int
    provider: str
    provider_ref: str
    brand: str
    last4: str
    amount_cents: int
    status: str
    created_at: str
    confirmed_at: str | None
    refund_ref: str | None
    refunded_at: str | None
    capture_started_at: str | None = None
    """When a confirmation claimed the payment (``capturing``); a stale one is a crash."""


PAYMENT_STATUSES = (
    "authorized",
    "capturing",
    "captured",
    "failed",
    "voided",
    "refund_pending",
    "refunded",
)
"""A card payment's states. ``authorized -> capturing -> captured`` is the confirmation
(claimed, then recorded, in two transactions); ``authorized -> voided`` a cancellation,
``authorized|capturing -> failed`` a refused capture; a captured payment of a cancelled
order goes ``refund_pending -> refunded``."""


_ORDER_COLUMNS = (
    "id, member_id, organization_id, status, total_cents, benefits_cents, card_cents,"
    " savings_cents, shipping_cents, line_count, summary, has_postal, has_digital, created_at, terms_accepted_at,"
    " validated_at, dispatch_on, shipped_at, tracking_number, cancelled_at, cancelled_by,"
    " cancel_reason, refunded_at, invoice_number, invoice_file, delivery_line1, delivery_line2,"
    " delivery_postal_code, delivery_city, delivery_phone, delivery_email, delivered_at"
)
_SUMMARY_COLUMNS = (
    "id, member_id, status, total_cents, line_count, summary, created_at, dispatch_on,"
    " tracking_number"
)


def _order(row: Any) -> Order:
    d = dict(row)
    return Order(
        **{**d, "has_postal": bool(d["has_postal"]), "has_digital": bool(d["has_digital"])}
    )


def insert_order(
    db: Database,
    *,
    member_id: int,
    organization_id: int | None,
    status: str,
    total_cents: int,
    benefits_cents: int,
    card_cents: int,
    savings_cents: int,
    shipping_cents: int,
    line_count: int,
    summary: str,
    has_postal: bool,
    has_digital: bool,
    created_at: str,
    terms_accepted_at: str,
) -> int:
    """Insert an order and return its id."""
    cur = db.execute(
        "INSERT INTO orders (member_id, organization_id, status, total_cents, benefits_cents,"
        " card_cents, savings_cents, shipping_cents, line_count, summary, has_postal, has_digital,"
        " created_at, terms_accepted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            member_id,
            organization_id,
            status,
            total_cents,
            benefits_cents,
            card_cents,
            savings_cents,
            shipping_cents,
            line_count,
            summary,
            int(has_postal),
            int(has_digital),
            created_at,
            terms_accepted_at,
        ],
    )
    return int(cur.lastrowid or 0)


def insert_lines(db: Database, order_id: int, lines: Iterable[dict[str, Any]]) -> None:
    """Insert an order's lines (dicts with the ``OrderLine`` fields but ``id`` and
    ``order_id``)."""
    db.conn.executemany(
        f"INSERT INTO order_lines ({', '.join(_LINE_INSERTED)})"
        f" VALUES ({', '.join(':' + name for name in _LINE_INSERTED)})",
        [{**line, "order_id": order_id} for line in lines],
    )


def insert_card_payment(
    db: Database,
    *,
    order_id: int,
    provider: str,
    provider_ref: str,
    brand: str,
    last4: str,
    amount_cents: int,
    status: str = "authorized",
    created_at: str | None = None,
) -> int:
    """Record the card part of an order (``created_at`` defaults to the database's now)."""
    cur = db.execute(
        "INSERT INTO card_payments (order_id, provider, provider_ref, brand, last4, amount_cents,"
        " status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?,"
        " COALESCE(?, strftime('%Y-%m-%dT%H:%M:%fZ','now')))",
        [order_id, provider, provider_ref, brand, last4, amount_cents, status, created_at],
    )
    return int(cur.lastrowid or 0)


def get_order(db: Database, order_id: int) -> Order | None:
    """One order."""
    row = db.execute(f"SELECT {_ORDER_COLUMNS} FROM orders WHERE id = ?", [order_id]).fetchone()
    return _order(row) if row else None


def get_lines(db: Database, order_id: int) -> list[OrderLine]:
    """An order's lines in basket order."""
    rows = db.execute(
        f"SELECT {_LINE_COLUMNS} FROM order_lines WHERE order_id = ? ORDER BY position",
        [order_id],
    ).fetchall()
    return [OrderLine(**dict(r)) for r in rows]


_PAYMENT_SELECT = (
    "SELECT id, order_id, provider, provider_ref, brand, last4, amount_cents, status, created_at,"
    " confirmed_at, refund_ref, refunded_at, capture_started_at FROM card_payments"
)


def get_card_payment(db: Database, order_id: int) -> CardPayment | None:
    """The card payment of an order, if part of it was paid by card."""
    row = db.execute(_PAYMENT_SELECT + " WHERE order_id = ?", [order_id]).fetchone()
    return CardPayment(**dict(row)) if row else None


def get_card_payment_by_ref(db: Database, provider_ref: str) -> CardPayment | None:
    """A card payment by the provider's reference."""
    row = db.execute(_PAYMENT_SELECT + " WHERE provider_ref = ?", [provider_ref]).fetchone()
    return CardPayment(**dict(row)) if row else None


def list_member_orders(
    db: Database,
    member_id: int,
    *,
    limit: int = 50,
    before_id: int | None = None,
) -> list[OrderSummary]:
    """A member's orders, newest first, a page at a time (``before_id`` continues a page)."""
    params: list[Any] = [member_id]
    clause = ""
    if before_id is not None:
        clause = " AND id < ?"
        params.append(before_id)
    rows = db.execute(
        f"SELECT {_SUMMARY_COLUMNS} FROM orders WHERE member_id = ?{clause}"
        " ORDER BY id DESC LIMIT ?",
        [*params, limit],
    ).fetchall()
    # Positional: the columns are selected in the dataclass's field order (a hot path).
    return [OrderSummary(*r) for r in rows]


def list_org_orders(
    db: Database,
    organization_id: int | None,
    *,
    statuses: tuple[str, ...] = (),
    limit: int = 200,
) -> list[tuple[OrderSummary, str]]:
    """Orders of an organization (or all), newest first, each with its member's name
    (``order_search`` pages and searches them)."""
    from portal.data.order_search import search_org_orders

    return search_org_orders(db, organization_id, statuses=statuses, limit=limit)


def awaiting_payment(db: Database, *, created_before: str) -> list[tuple[int, str]]:
    """(order id, provider reference) of card payments still awaiting confirmation."""
    rows = db.execute(
        "SELECT o.id, p.provider_ref FROM orders o JOIN card_payments p ON p.order_id = o.id"
        " WHERE o.status = 'awaiting_payment' AND p.status = 'authorized' AND o.created_at <= ?"
        " ORDER BY o.id",
        [created_before],
    ).fetchall()
    return [(int(r[0]), str(r[1])) for r in rows]


def refunds_pending(db: Database) -> list[CardPayment]:
    """Card refunds recorded but not yet confirmed by the provider."""
    rows = db.execute(_PAYMENT_SELECT + " WHERE status = 'refund_pending' ORDER BY id").fetchall()
    return [CardPayment(**dict(r)) for r in rows]


def payments_to_reconcile(db: Database, *, created_since: str) -> list[tuple[CardPayment, str]]:
    """Card payments the reconciliation job compares with the provider, with their order's
    status: every one not settled yet (``authorized``, ``capturing``, ``refund_pending``),
    every captured one whose order is cancelled, and every one created since
    ``created_since`` (a voided one the provider captured anyway shows up there)."""
    rows = db.execute(
        "SELECT p.id, p.order_id, p.provider, p.provider_ref, p.brand, p.last4, p.amount_cents,"
        " p.status, p.created_at, p.confirmed_at, p.refund_ref, p.refunded_at,"
        " p.capture_started_at, o.status AS order_status"
        " FROM card_payments p JOIN orders o ON o.id = p.order_id"
        " WHERE p.status IN ('authorized','capturing','refund_pending')"
        " OR (p.status = 'captured' AND o.status IN ('cancelled','refunded'))"
        " OR p.created_at >= ? ORDER BY p.id",
        [created_since],
    ).fetchall()
    result = []
    for row in rows:
        d = dict(row)
        order_status = str(d.pop("order_status"))
        result.append((CardPayment(**d), order_status))
    return result


def known_provider_refs(db: Database, references: Iterable[str]) -> set[str]:
    """Which of ``references`` are card payments of ours."""
    refs = list(references)
    known: set[str] = set()
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        rows = db.execute(
            "SELECT provider_ref FROM card_payments"
            f" WHERE provider_ref IN ({','.join('?' * len(chunk))})",
            chunk,
        ).fetchall()
        known.update(str(r[0]) for r in rows)
    return known


def change_status(
    db: Database, order_id: int, status: str, *, expected: tuple[str, ...], **fields: Any
) -> bool:
    """Move an order to ``status`` (and set ``fields``) only from one of ``expected``."""
    allowed = {
        "validated_at",
        "dispatch_on",
        "shipped_at",
        "tracking_number",
        "cancelled_at",
        "cancelled_by",
        "cancel_reason",
        "refunded_at",
        "invoice_number",
        "invoice_file",
    }
    if not set(fields) <= allowed:
        raise ValueError(f"unknown order fields: {sorted(set(fields) - allowed)}")
    sets = ", ".join(["status = ?", *(f"{name} = ?" for name in fields)])
    marks = ",".join("?" * len(expected))
    cur = db.execute(
        f"UPDATE orders SET {sets} WHERE id = ? AND status IN ({marks})",
        [status, *fields.values(), order_id, *expected],
    )
    return cur.rowcount == 1


def mark_delivered(db: Database, order_id: int, delivered_at: str) -> bool:
    """Record when a shipped order's parcel was delivered, once (conditional update)."""
    cur = db.execute(
        "UPDATE orders SET delivered_at = ?"
        " WHERE id = ? AND status = 'shipped' AND delivered_at IS NULL",
        [delivered_at, order_id],
    )
    return cur.rowcount == 1


def set_invoice_file(db: Database, order_id: int, invoice_file: str) -> None:
    """Remember where the invoice PDF was written."""
    db.execute("UPDATE orders SET invoice_file = ? WHERE id = ?", [invoice_file, order_id])


def change_line_status(
    db: Database,
    order_id: int,
    status: str,
    *,
    expected: tuple[str, ...],
    fulfilment: str | None = None,
    line_ids: Iterable[int] | None = None,
) -> int:
    """Move lines of an order (one fulfilment, or some lines) from ``expected`` to ``status``."""
    where = ["order_id = ?", f"status IN ({','.join('?' * len(expected))})"]
    params: list[Any] = [order_id, *expected]
    if fulfilment is not None:
        where.append("fulfilment = ?")
        params.append(fulfilment)
    if line_ids is not None:
        ids = list(line_ids)
        where.append(f"id IN ({','.join('?' * len(ids))})")
        params += ids
    cur = db.execute(
        f"UPDATE order_lines SET status = ? WHERE {' AND '.join(where)}", [status, *params]
    )
    return int(cur.rowcount)


def change_payment_status(
    db: Database, payment_id: int, status: str, *, expected: tuple[str, ...], **fields: Any
) -> bool:
    """Move a card payment to ``status`` (setting ``fields``) only from one of ``expected``."""
    allowed = {"confirmed_at", "refund_ref", "refunded_at", "capture_started_at"}
    if not set(fields) <= allowed:
        raise ValueError(f"unknown payment fields: {sorted(set(fields) - allowed)}")
    sets = ", ".join(["status = ?", *(f"{name} = ?" for name in fields)])
    marks = ",".join("?" * len(expected))
    cur = db.execute(
        f"UPDATE card_payments SET {sets} WHERE id = ? AND status IN ({marks})",
        [status, *fields.values(), payment_id, *expected],
    )
    return cur.rowcount == 1


def next_invoice_number(db: Database, year: int) -> int:
    """The next invoice number of a year (gapless: taken inside the validating transaction)."""
    row = db.execute(
        "INSERT INTO invoice_counters (year, last) VALUES (?, 1)"
        " ON CONFLICT(year) DO UPDATE SET last = last + 1 RETURNING last",
        [year],
    ).fetchone()
    return int(row[0])


def count_member_orders(db: Database, member_id: int) -> int:
    """How many orders a member has (benchmark and paging)."""
    return int(
        db.execute("SELECT COUNT(*) FROM orders WHERE member_id = ?", [member_id]).fetchone()[0]
    )
