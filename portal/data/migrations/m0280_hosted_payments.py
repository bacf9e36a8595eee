"""Card payments on the provider's hosted page: a ``pending`` state, its page, its expiry.

Checkout now creates the payment at the provider before the member has typed any card
(they do it on the provider's page, never in the terminal): the row starts ``pending``
with no brand nor last four digits (``''`` until the provider's signed notification
says them), the page's address (``payment_url``) so that the order detail shows it
again after a reconnection, and the time after which the abandoned payment expires
(``expires_at``) and releases the benefits it reserved.

``provider_notifications`` keeps the nonce of every notification accepted, so that a
replayed one is refused whichever worker process receives it.

SQLite cannot change a CHECK constraint in place: the table is rebuilt with the same
rows (nothing references ``card_payments``).
"""

from __future__ import annotations

from sqlite_utils import Database

NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))"

_COLUMNS = (
    "id, order_id, provider, provider_ref, brand, last4, amount_cents, status, created_at,"
    " confirmed_at, refund_ref, refunded_at, capture_started_at"
)


def up(db: Database) -> None:
    """Rebuild ``card_payments`` with ``pending``, ``payment_url`` and ``expires_at``."""
    db.executescript(
        f"""
        DROP INDEX IF EXISTS card_payments_open;
        CREATE TABLE card_payments_new (
            id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL UNIQUE REFERENCES orders(id),
            provider TEXT NOT NULL,
            provider_ref TEXT NOT NULL UNIQUE,
            brand TEXT NOT NULL DEFAULT '',
            last4 TEXT NOT NULL DEFAULT '' CHECK (last4 = '' OR length(last4) = 4),
            amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
            status TEXT NOT NULL CHECK (status IN ('pending','authorized','capturing',
                'captured','failed','voided','refund_pending','refunded')),
            created_at TEXT NOT NULL DEFAULT {NOW},
            confirmed_at TEXT,
            refund_ref TEXT,
            refunded_at TEXT,
            capture_started_at TEXT,
            payment_url TEXT,
            expires_at TEXT
        );
        INSERT INTO card_payments_new ({_COLUMNS}) SELECT {_COLUMNS} FROM card_payments;
        DROP TABLE card_payments;
        ALTER TABLE card_payments_new RENAME TO card_payments;
        CREATE INDEX card_payments_open ON card_payments(status)
            WHERE status IN ('pending','authorized','capturing','voided','failed',
                'refund_pending');
        CREATE INDEX card_payments_expiry ON card_payments(expires_at)
            WHERE status = 'pending';
        CREATE TABLE provider_notifications (
            nonce TEXT PRIMARY KEY,
            reference TEXT NOT NULL,
            received_at TEXT NOT NULL DEFAULT {NOW}
        );
        """
    )
