"""After-sales: credit notes (avoirs, numbered gapless per year) and returns of products.

The credit note number is taken in the transaction that refunds (``credit_note_counters``),
like the invoice number; one open return request per order at most.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database


@dataclass(frozen=True)
class CreditNote:
    """An avoir: money given back on an invoiced order (a cancellation or a return)."""

    id: int
    number: str
    order_id: int
    return_id: int | None
    kind: str
    """``cancellation`` or ``return``."""
    amount_cents: int
    reason: str
    file: str | None
    created_at: str


_CREDIT_COLUMNS = "id, number, order_id, return_id, kind, amount_cents, reason, file, created_at"


def next_credit_note_number(db: Database, year: int) -> int:
    """The next credit note number of a year (gapless: taken in the refunding transaction)."""
    row = db.execute(
        "INSERT INTO credit_note_counters (year, last) VALUES (?, 1)"
        " ON CONFLICT(year) DO UPDATE SET last = last + 1 RETURNING last",
        [year],
    ).fetchone()
    return int(row[0])


def insert_credit_note(
    db: Database,
    *,
    number: str,
    order_id: int,
    return_id: int | None,
    kind: str,
    amount_cents: int,
    reason: str,
    file: str | None,
    created_at: str,
) -> int:
    """Record a credit note and return its id."""
    cur = db.execute(
        "INSERT INTO credit_notes (number, order_id, return_id, kind, amount_cents, reason, file,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [number, order_id, return_id, kind, amount_cents, reason, file, created_at],
    )
    return int(cur.lastrowid or 0)


def order_credit_notes(db: Database, order_id: int) -> list[CreditNote]:
    """An order's credit notes, oldest first."""
    rows = db.execute(
        f"SELECT {_CREDIT_COLUMNS} FROM credit_notes WHERE order_id = ? ORDER BY id", [order_id]
    ).fetchall()
    return [CreditNote(**dict(r)) for r in rows]


# -- returns --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderReturn:
    """A member's request to send physical lines back, and the manager's decision."""

    id: int
    order_id: int
    member_id: int
    line_ids: tuple[int, ...]
    reason: str
    status: str
    """``requested``, ``accepted`` (received and refunded) or ``refused``."""
    requested_at: str
    decided_at: str | None
    decided_by: int | None
    refund_cents: int
    card_refund_cents: int
    card_refund_ref: str | None
    card_refund_status: str | None
    """``refund_pending`` or ``refunded`` when part of the refund goes to the card."""


_RETURN_COLUMNS = (
    "id, order_id, member_id, line_ids, reason, status, requested_at, decided_at, decided_by,"
    " refund_cents, card_refund_cents, card_refund_ref, card_refund_status"
)


def _return(row: Any) -> OrderReturn:
    d = dict(row)
    d["line_ids"] = tuple(int(x) for x in str(d["line_ids"]).split(",") if x)
    return OrderReturn(**d)


def insert_return(
    db: Database,
    *,
    order_id: int,
    member_id: int,
    line_ids: Iterable[int],
    reason: str,
    requested_at: str,
) -> int:
    """Record a return request (one open request per order: a second one fails)."""
    cur = db.execute(
        "INSERT INTO order_returns (order_id, member_id, line_ids, reason, status, requested_at)"
        " VALUES (?, ?, ?, ?, 'requested', ?)",
        [order_id, member_id, ",".join(str(i) for i in line_ids), reason, requested_at],
    )
    return int(cur.lastrowid or 0)


def get_return(db: Database, return_id: int) -> OrderReturn | None:
    """One return request."""
    row = db.execute(
        f"SELECT {_RETURN_COLUMNS} FROM order_returns WHERE id = ?", [return_id]
    ).fetchone()
    return _return(row) if row else None


def order_returns(db: Database, order_id: int) -> list[OrderReturn]:
    """An order's return requests, oldest first."""
    rows = db.execute(
        f"SELECT {_RETURN_COLUMNS} FROM order_returns WHERE order_id = ? ORDER BY id", [order_id]
    ).fetchall()
    return [_return(r) for r in rows]


def decide_return(
    db: Database,
    return_id: int,
    status: str,
    *,
    decided_at: str,
    decided_by: int,
    refund_cents: int = 0,
    card_refund_cents: int = 0,
    card_refund_status: str | None = None,
) -> bool:
    """Accept or refuse a return still ``requested``; False when it was decided meanwhile."""
    cur = db.execute(
        "UPDATE order_returns SET status = ?, decided_at = ?, decided_by = ?, refund_cents = ?,"
        " card_refund_cents = ?, card_refund_status = ? WHERE id = ? AND status = 'requested'",
        [
            status,
            decided_at,
            decided_by,
            refund_cents,
            card_refund_cents,
            card_refund_status,
            return_id,
        ],
    )
    return cur.rowcount == 1


def record_return_card_refund(db: Database, return_id: int, refund_ref: str) -> bool:
    """The provider accepted a return's card refund."""
    cur = db.execute(
        "UPDATE order_returns SET card_refund_status = 'refunded', card_refund_ref = ?"
        " WHERE id = ? AND card_refund_status = 'refund_pending'",
        [refund_ref, return_id],
    )
    return cur.rowcount == 1


def return_card_refunds_pending(db: Database) -> list[OrderReturn]:
    """Returns whose card refund the provider has not accepted yet."""
    rows = db.execute(
        f"SELECT {_RETURN_COLUMNS} FROM order_returns WHERE card_refund_status = 'refund_pending'"
        " ORDER BY id"
    ).fetchall()
    return [_return(r) for r in rows]


def database_dir(db: Database) -> str | None:
    """The folder of the database file (None for an in-memory database)."""
    for row in db.execute("PRAGMA database_list").fetchall():
        if row[1] == "main" and row[2]:
            return str(row[2]).rsplit("/", 1)[0]
    return None
