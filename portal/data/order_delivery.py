"""Delivery of orders: the address typed at checkout for the next order, and the copy
kept on each order (so a later profile edit never moves a parcel already ordered)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database


@dataclass(frozen=True)
class DeliveryDraft:
    """What a member typed at checkout for their next order only (empty strings: unset)."""

    member_id: int
    line1: str
    line2: str
    postal_code: str
    city: str
    phone: str
    email: str


def get_delivery_draft(db: Database, member_id: int) -> DeliveryDraft | None:
    """The member's delivery for their next order, if they typed one."""
    row = db.execute(
        "SELECT member_id, line1, line2, postal_code, city, phone, email"
        " FROM checkout_delivery WHERE member_id = ?",
        [member_id],
    ).fetchone()
    return DeliveryDraft(**dict(row)) if row else None


def set_delivery_draft(db: Database, draft: DeliveryDraft) -> None:
    """Store (or replace) the delivery the member typed for their next order."""
    db.execute(
        "INSERT INTO checkout_delivery (member_id, line1, line2, postal_code, city, phone, email,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
        " ON CONFLICT(member_id) DO UPDATE SET line1 = excluded.line1, line2 = excluded.line2,"
        " postal_code = excluded.postal_code, city = excluded.city, phone = excluded.phone,"
        " email = excluded.email, updated_at = excluded.updated_at",
        [
            draft.member_id,
            draft.line1,
            draft.line2,
            draft.postal_code,
            draft.city,
            draft.phone,
            draft.email,
        ],
    )


def delete_delivery_draft(db: Database, member_id: int) -> None:
    """Forget the member's typed delivery (the order that used it is placed)."""
    db.execute("DELETE FROM checkout_delivery WHERE member_id = ?", [member_id])


def set_order_delivery(
    db: Database,
    order_id: int,
    *,
    line1: str | None,
    line2: str | None,
    postal_code: str | None,
    city: str | None,
    phone: str | None,
    email: str | None,
) -> None:
    """Copy the delivery address, phone and e-product email onto an order."""
    db.execute(
        "UPDATE orders SET delivery_line1 = ?, delivery_line2 = ?, delivery_postal_code = ?,"
        " delivery_city = ?, delivery_phone = ?, delivery_email = ? WHERE id = ?",
        [line1, line2, postal_code, city, phone, email, order_id],
    )
