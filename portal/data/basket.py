"""Basket lines: what each member has put aside, kept across sessions.

Every query takes the member's id, so a line of another member can neither be read nor
changed (the ``WHERE member_id = ?`` is the authorization). Prices are computed by
``portal.services.basket`` from the current offer.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"
_SELECT = "SELECT id, member_id, offer_id, face_value_cents, quantity FROM basket_lines"


@dataclass(frozen=True)
class BasketRow:
    """One stored basket line (no price: prices follow the catalog)."""

    id: int
    member_id: int
    offer_id: int
    face_value_cents: int
    quantity: int


def list_lines(db: Database, member_id: int) -> list[BasketRow]:
    """A member's lines, oldest first."""
    rows = db.execute(_SELECT + " WHERE member_id = ? ORDER BY id", [member_id]).fetchall()
    return [BasketRow(**dict(r)) for r in rows]


def get_line(db: Database, member_id: int, line_id: int) -> BasketRow | None:
    """One of the member's lines."""
    row = db.execute(_SELECT + " WHERE id = ? AND member_id = ?", [line_id, member_id]).fetchone()
    return BasketRow(**dict(row)) if row else None


def find_line(
    db: Database, member_id: int, offer_id: int, face_value_cents: int
) -> BasketRow | None:
    """The member's line for this offer and face value, if any."""
    row = db.execute(
        _SELECT + " WHERE member_id = ? AND offer_id = ? AND face_value_cents = ?",
        [member_id, offer_id, face_value_cents],
    ).fetchone()
    return BasketRow(**dict(row)) if row else None


def insert_line(
    db: Database, member_id: int, offer_id: int, face_value_cents: int, quantity: int
) -> int:
    """Add a line and return its id."""
    cur = db.execute(
        "INSERT INTO basket_lines (member_id, offer_id, face_value_cents, quantity)"
        " VALUES (?, ?, ?, ?)",
        [member_id, offer_id, face_value_cents, quantity],
    )
    return int(cur.lastrowid or 0)


def set_quantity(db: Database, member_id: int, line_id: int, quantity: int) -> bool:
    """Change the quantity of one of the member's lines; False when there is no such line."""
    cur = db.execute(
        f"UPDATE basket_lines SET quantity = ?, updated_at = {_NOW} WHERE id = ? AND member_id = ?",
        [quantity, line_id, member_id],
    )
    return cur.rowcount == 1


def delete_line(db: Database, member_id: int, line_id: int) -> bool:
    """Remove one of the member's lines; False when there is no such line."""
    cur = db.execute(
        "DELETE FROM basket_lines WHERE id = ? AND member_id = ?", [line_id, member_id]
    )
    return cur.rowcount == 1


def delete_all(db: Database, member_id: int) -> int:
    """Empty the member's basket; returns how many lines were removed."""
    cur = db.execute("DELETE FROM basket_lines WHERE member_id = ?", [member_id])
    return int(cur.rowcount)


def count_items(db: Database, member_id: int) -> int:
    """How many items (sum of quantities) the member's basket holds."""
    row = db.execute(
        "SELECT COALESCE(SUM(quantity), 0) FROM basket_lines WHERE member_id = ?", [member_id]
    ).fetchone()
    return int(row[0])
