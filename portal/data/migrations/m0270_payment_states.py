"""Card payments get a ``capturing`` state and the time the capture was claimed.

A confirmation claims its payment (``authorized -> capturing``) in one transaction
before it asks the provider to capture, and records the result in another: a
cancellation that comes in between sees ``capturing`` and is refused, so the money can
never be taken for an order already cancelled. ``capture_started_at`` lets the
reconciliation job find a capture left unfinished by a crash.

SQLite cannot change a CHECK constraint in place: the table is rebuilt with the same
rows (nothing references ``card_payments``).
"""

from __future__ import annotations

from sqlite_utils import Database

NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))"

_COLUMNS = (
    "id, order_id, provider, provider_ref, brand, last4, amount_cents, status, created_at,"
    " confirmed_at, refund_ref, refunded_at"
)


def up(db: Database) -> None:
    """Rebuild ``card_payments`` with the ``capturing`` state and ``capture_started_at``."""
    db.executescript(
        f"""
        CREATE TABLE card_payments_new (
            id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL UNIQUE REFERENCES orders(id),
            provider TEXT NOT NULL,
            provider_ref TEXT NOT NULL UNIQUE,
            brand TEXT NOT NULL,
            last4 TEXT NOT NULL CHECK (length(last4) = 4),
            amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
            status TEXT NOT NULL CHECK (status IN ('authorized','capturing','captured','failed',
                'voided','refund_pending','refunded')),
            created_at TEXT NOT NULL DEFAULT {NOW},
            confirmed_at TEXT,
            refund_ref TEXT,
            refunded_at TEXT,
            capture_started_at TEXT
        );
        INSERT INTO card_payments_new ({_COLUMNS}) SELECT {_COLUMNS} FROM card_payments;
        DROP TABLE card_payments;
        ALTER TABLE card_payments_new RENAME TO card_payments;
        CREATE INDEX card_payments_open ON card_payments(status)
            WHERE status IN ('authorized','capturing','voided','failed','refund_pending');
        """
    )
