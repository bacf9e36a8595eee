"""Orders keep where they go, credit notes get their own sequence, parcels can come back.

- ``orders`` gains the delivery address, phone and e-product email *copied* at checkout
  (a later profile edit never moves a parcel already ordered), and ``delivered_at``.
- ``checkout_delivery``: the address a member typed for their next order only (one row
  per member, taken and deleted by the order that uses it).
- ``credit_notes`` (avoirs) and ``credit_note_counters``: numbered per year, gapless,
  the number taken in the transaction that cancels or refunds.
- ``order_returns``: a member's request to send physical lines back, then the
  manager's decision on receipt and what was refunded to which source.
"""

from __future__ import annotations

from sqlite_utils import Database

NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))"


def up(db: Database) -> None:
    """Add the delivery columns and the credit note and return tables."""
    for column in (
        "delivery_line1",
        "delivery_line2",
        "delivery_postal_code",
        "delivery_city",
        "delivery_phone",
        "delivery_email",
        "delivered_at",
    ):
        db.execute(f"ALTER TABLE orders ADD COLUMN {column} TEXT")
    db.executescript(
        f"""
        CREATE TABLE checkout_delivery (
            member_id INTEGER PRIMARY KEY REFERENCES members(id),
            line1 TEXT NOT NULL DEFAULT '',
            line2 TEXT NOT NULL DEFAULT '',
            postal_code TEXT NOT NULL DEFAULT '',
            city TEXT NOT NULL DEFAULT '',
            phone TEXT NOT NULL DEFAULT '',
            email TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL DEFAULT {NOW}
        );

        CREATE TABLE credit_note_counters (
            year INTEGER PRIMARY KEY,
            last INTEGER NOT NULL
        );

        CREATE TABLE order_returns (
            id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL REFERENCES orders(id),
            member_id INTEGER NOT NULL REFERENCES members(id),
            line_ids TEXT NOT NULL,
            reason TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('requested','accepted','refused')),
            requested_at TEXT NOT NULL,
            decided_at TEXT,
            decided_by INTEGER REFERENCES members(id),
            refund_cents INTEGER NOT NULL DEFAULT 0,
            card_refund_cents INTEGER NOT NULL DEFAULT 0,
            card_refund_ref TEXT,
            card_refund_status TEXT
        );
        CREATE INDEX order_returns_order ON order_returns(order_id);
        CREATE UNIQUE INDEX order_returns_open ON order_returns(order_id)
            WHERE status = 'requested';

        CREATE TABLE credit_notes (
            id INTEGER PRIMARY KEY,
            number TEXT NOT NULL UNIQUE,
            order_id INTEGER NOT NULL REFERENCES orders(id),
            return_id INTEGER REFERENCES order_returns(id),
            kind TEXT NOT NULL CHECK (kind IN ('cancellation','return')),
            amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
            reason TEXT NOT NULL DEFAULT '',
            file TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX credit_notes_order ON credit_notes(order_id);
        """
    )
