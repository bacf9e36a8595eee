"""Card payments on the provider's hosted page: the rows' page, expiry and card details.

The ``card_payments`` row itself is read through ``portal.data.orders`` (``CardPayment``);
this module holds what the hosted flow adds (``m0280_hosted_payments``): a ``pending``
row created with the order, the provider's page address, the expiry time, the brand and
last four digits once the provider's notification gives them, and the nonces of the
notifications accepted (replays are refused).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

__all__ = [
    "HostedPage",
    "PendingPayment",
    "attach_provider_payment",
    "expired_pending",
    "forget_nonces",
    "get_page",
    "insert_pending_payment",
    "record_authorization",
    "remember_nonce",
]


@dataclass(frozen=True)
class HostedPage:
    """Where the member pays an order's card part, and until when."""

    payment_url: str | None
    expires_at: str | None


@dataclass(frozen=True)
class PendingPayment:
    """A ``pending`` payment whose time is up."""

    payment_id: int
    order_id: int
    provider_ref: str
    has_page: bool
    """False when the provider never answered (the reference is still our placeholder)."""


def insert_pending_payment(
    db: Database,
    *,
    order_id: int,
    provider: str,
    placeholder_ref: str,
    amount_cents: int,
    created_at: str,
    expires_at: str,
) -> int:
    """Create the ``pending`` card part of an order, before the provider is asked."""
    cur = db.execute(
        "INSERT INTO card_payments (order_id, provider, provider_ref, brand, last4,"
        " amount_cents, status, created_at, expires_at)"
        " VALUES (?, ?, ?, '', '', ?, 'pending', ?, ?)",
        [order_id, provider, placeholder_ref, amount_cents, created_at, expires_at],
    )
    return int(cur.lastrowid or 0)


def attach_provider_payment(
    db: Database, payment_id: int, *, provider_ref: str, payment_url: str
) -> bool:
    """Store the provider's reference and page of a payment still ``pending``."""
    cur = db.execute(
        "UPDATE card_payments SET provider_ref = ?, payment_url = ?"
        " WHERE id = ? AND status = 'pending' AND payment_url IS NULL",
        [provider_ref, payment_url, payment_id],
    )
    return cur.rowcount == 1


def record_authorization(db: Database, payment_id: int, *, brand: str, last4: str) -> bool:
    """``pending -> authorized`` with the card's brand and last four digits (only those)."""
    cur = db.execute(
        "UPDATE card_payments SET status = 'authorized', brand = ?, last4 = ?"
        " WHERE id = ? AND status = 'pending'",
        [brand, last4, payment_id],
    )
    return cur.rowcount == 1


def get_page(db: Database, order_id: int) -> HostedPage | None:
    """The provider's page of an order's card payment, if it has one."""
    row = db.execute(
        "SELECT payment_url, expires_at FROM card_payments WHERE order_id = ?", [order_id]
    ).fetchone()
    return HostedPage(row[0], row[1]) if row else None


def expired_pending(db: Database, *, now: str, limit: int = 200) -> list[PendingPayment]:
    """``pending`` payments whose ``expires_at`` is past, oldest first."""
    rows = db.execute(
        "SELECT id, order_id, provider_ref, payment_url IS NOT NULL FROM card_payments"
        " WHERE status = 'pending' AND expires_at <= ? ORDER BY expires_at LIMIT ?",
        [now, limit],
    ).fetchall()
    return [PendingPayment(int(r[0]), int(r[1]), str(r[2]), bool(r[3])) for r in rows]


def remember_nonce(db: Database, nonce: str, reference: str, received_at: str) -> bool:
    """Record a notification's nonce; False when it was seen before (a replay)."""
    cur = db.execute(
        "INSERT OR IGNORE INTO provider_notifications (nonce, reference, received_at)"
        " VALUES (?, ?, ?)",
        [nonce, reference, received_at],
    )
    return cur.rowcount == 1


def forget_nonces(db: Database, *, before: str) -> int:
    """Drop nonces older than the staleness window (a replay of them is stale anyway)."""
    cur = db.execute("DELETE FROM provider_notifications WHERE received_at < ?", [before])
    return int(cur.rowcount)
