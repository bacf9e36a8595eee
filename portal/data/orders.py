"""Orders, order lines, card payments and invoice numbers.

State changes are conditional updates (``WHERE status IN (...)``) that report whether
they applied, so two racing actions (a payment confirmation and a cancellation, two
managers shipping) cannot both win.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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

    @property
    def number(self) -> str:
        """The number a member quotes (derived from the id, so it never changes)."""
        return f"CMD-{self.id:07d}"


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
class OrderLine:
    """What was bought, at the price paid then."""

    id: int
    order_id: int
    position: int
    offer_id: int | None
    title: str
    kind: str
    category: str
    face_value_cents: int
    quantity: int
    discount_bp: int
    unit_price_cents: int
    line_total_cents: int
    savings_cents: int
    subsidy_cents: int
    vat_bp: int
    fulfilment: str
    status: str


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


_ORDER_COLUMNS = (
    "id, member_id, organization_id, status, total_cents, benefits_cents, card_cents,"
    " savings_cents, shipping_cents, line_count, summary, has_postal, has_digital, created_at, terms_accepted_at,"
    " validated_at, dispatch_on, shipped_at, tracking_number, cancelled_at, cancelled_by,"
    " cancel_reason, refunded_at, invoice_number, invoice_file"
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
    """Insert an order's lines (dicts with the ``OrderLine`` fields but ids)."""
    db.conn.executemany(
        "INSERT INTO order_lines (order_id, position, offer_id, title, kind, category,"
        " face_value_cents, quantity, discount_bp, unit_price_cents, line_total_cents,"
        " savings_cents, subsidy_cents, vat_bp, fulfilment, status)"
        " VALUES (:order_id, :position, :offer_id, :title, :kind, :category, :face_value_cents,"
        " :quantity, :discount_bp, :unit_price_cents, :line_total_cents, :savings_cents,"
        " :subsidy_cents, :vat_bp, :fulfilment, :status)",
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
) -> int:
    """Record the card part of an order."""
    cur = db.execute(
        "INSERT INTO card_payments (order_id, provider, provider_ref, brand, last4, amount_cents,"
        " status) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [order_id, provider, provider_ref, brand, last4, amount_cents, status],
    )
    return int(cur.lastrowid or 0)


def get_order(db: Database, order_id: int) -> Order | None:
    """One order."""
    row = db.execute(f"SELECT {_ORDER_COLUMNS} FROM orders WHERE id = ?", [order_id]).fetchone()
    return _order(row) if row else None


def get_lines(db: Database, order_id: int) -> list[OrderLine]:
    """An order's lines in basket order."""
    rows = db.execute(
        "SELECT id, order_id, position, offer_id, title, kind, category, face_value_cents,"
        " quantity, discount_bp, unit_price_cents, line_total_cents, savings_cents, subsidy_cents,"
        " vat_bp, fulfilment, status FROM order_lines WHERE order_id = ? ORDER BY position",
        [order_id],
    ).fetchall()
    return [OrderLine(**dict(r)) for r in rows]


_PAYMENT_SELECT = (
    "SELECT id, order_id, provider, provider_ref, brand, last4, amount_cents, status, created_at,"
    " confirmed_at, refund_ref, refunded_at FROM card_payments"
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
    """Orders of an organization (or all), newest first, each with its member's name."""
    where: list[str] = []
    params: list[Any] = []
    if organization_id is not None:
        where.append("o.organization_id = ?")
        params.append(organization_id)
    if statuses:
        where.append(f"o.status IN ({','.join('?' * len(statuses))})")
        params += list(statuses)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    cols = ", ".join(f"o.{c.strip()}" for c in _SUMMARY_COLUMNS.split(","))
    rows = db.execute(
        f"SELECT {cols}, m.first_name || ' ' || m.last_name AS member_name FROM orders o"
        f" JOIN members m ON m.id = o.member_id{clause} ORDER BY o.id DESC LIMIT ?",
        [*params, limit],
    ).fetchall()
    result = []
    for r in rows:
        d = dict(r)
        name = d.pop("member_name")
        result.append((OrderSummary(**d), name))
    return result


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
    allowed = {"confirmed_at", "refund_ref", "refunded_at"}
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
