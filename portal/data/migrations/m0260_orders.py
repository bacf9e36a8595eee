"""Orders, their lines, card payments and the invoice number sequence.

Order lines copy what the member saw at checkout (title, prices, discount), so an order
reads the same after the catalog changes. Card payments hold a provider reference, the
brand and the last four digits: never a card number or a CVC.
"""

from __future__ import annotations

from sqlite_utils import Database

NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))"


def up(db: Database) -> None:
    """Create the order tables."""
    db.executescript(
        f"""
        CREATE TABLE orders (
            id INTEGER PRIMARY KEY,
            member_id INTEGER NOT NULL REFERENCES members(id),
            organization_id INTEGER REFERENCES organizations(id),
            status TEXT NOT NULL CHECK (status IN ('awaiting_payment','validated','preparing',
                'available','shipped','cancelled','refunded')),
            total_cents INTEGER NOT NULL CHECK (total_cents >= 0),
            benefits_cents INTEGER NOT NULL CHECK (benefits_cents >= 0),
            card_cents INTEGER NOT NULL CHECK (card_cents >= 0),
            savings_cents INTEGER NOT NULL DEFAULT 0,
            shipping_cents INTEGER NOT NULL DEFAULT 0 CHECK (shipping_cents >= 0),
            line_count INTEGER NOT NULL,
            summary TEXT NOT NULL,
            has_postal INTEGER NOT NULL DEFAULT 0,
            has_digital INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL DEFAULT {NOW},
            terms_accepted_at TEXT NOT NULL,
            validated_at TEXT,
            dispatch_on TEXT,
            shipped_at TEXT,
            tracking_number TEXT,
            cancelled_at TEXT,
            cancelled_by INTEGER REFERENCES members(id),
            cancel_reason TEXT,
            refunded_at TEXT,
            invoice_number TEXT UNIQUE,
            invoice_file TEXT,
            CHECK (benefits_cents + card_cents = total_cents)
        );
        CREATE INDEX orders_member ON orders(member_id, id DESC);
        CREATE INDEX orders_org ON orders(organization_id, id DESC);
        CREATE INDEX orders_awaiting ON orders(status) WHERE status = 'awaiting_payment';

        CREATE TABLE order_lines (
            id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL REFERENCES orders(id),
            position INTEGER NOT NULL,
            offer_id INTEGER,
            title TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('ecard','eticket','product')),
            category TEXT NOT NULL,
            face_value_cents INTEGER NOT NULL,
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            discount_bp INTEGER NOT NULL DEFAULT 0,
            unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents >= 0),
            line_total_cents INTEGER NOT NULL CHECK (line_total_cents >= 0),
            savings_cents INTEGER NOT NULL DEFAULT 0,
            subsidy_cents INTEGER NOT NULL DEFAULT 0,
            vat_bp INTEGER NOT NULL DEFAULT 0,
            fulfilment TEXT NOT NULL CHECK (fulfilment IN ('digital','postal')),
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','preparing',
                'to_ship','available','shipped','cancelled'))
        );
        CREATE INDEX order_lines_order ON order_lines(order_id);

        CREATE TABLE card_payments (
            id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL UNIQUE REFERENCES orders(id),
            provider TEXT NOT NULL,
            provider_ref TEXT NOT NULL UNIQUE,
            brand TEXT NOT NULL,
            last4 TEXT NOT NULL CHECK (length(last4) = 4),
            amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
            status TEXT NOT NULL CHECK (status IN ('authorized','captured','failed','voided',
                'refund_pending','refunded')),
            created_at TEXT NOT NULL DEFAULT {NOW},
            confirmed_at TEXT,
            refund_ref TEXT,
            refunded_at TEXT
        );

        CREATE TABLE invoice_counters (
            year INTEGER PRIMARY KEY,
            last INTEGER NOT NULL
        );
        """
    )
