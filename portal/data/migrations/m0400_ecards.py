"""E-cards and e-tickets: the issuing queue, the issued items, the sandbox issuer's ledger.

``ecard_issues`` is the queue: one row per e-card (a line of 3 cards is 3 rows) or per
e-ticket line (for its number of people), written in the transaction that validates the
order, so it survives a restart. The issuing loop claims due rows with a lease, asks the
issuer, and records the result or a retry with backoff.

``ecards`` holds what was issued: the number (and the PIN) only encrypted with the
process's secret box, plus a masked number (first and last four digits) for lists.

``sandbox_issuer_cards`` is the built-in sandbox issuer's own ledger (what a partner
keeps on its side): references, values, amounts spent; numbers encrypted there too.
"""

from __future__ import annotations

from sqlite_utils import Database

NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))"

STATEMENTS = (
    f"""
    CREATE TABLE ecard_issues (
        id INTEGER PRIMARY KEY,
        member_id INTEGER NOT NULL REFERENCES members(id),
        order_id INTEGER REFERENCES orders(id),
        line_id INTEGER REFERENCES order_lines(id),
        unit INTEGER NOT NULL DEFAULT 0,
        kind TEXT NOT NULL CHECK (kind IN ('ecard','eticket')),
        partner TEXT NOT NULL,
        partner_website TEXT NOT NULL DEFAULT '',
        title TEXT NOT NULL,
        value_cents INTEGER NOT NULL CHECK (value_cents >= 0),
        people INTEGER NOT NULL DEFAULT 1 CHECK (people > 0),
        usable_at TEXT NOT NULL DEFAULT '',
        conditions TEXT NOT NULL DEFAULT '',
        validity TEXT NOT NULL DEFAULT '',
        purchased_at TEXT NOT NULL,
        expires_on TEXT,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending','issued','cancelled')),
        due_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        claimed_until TEXT,
        card_id INTEGER,
        preset_spent_cents INTEGER,
        preset_archived INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL DEFAULT {NOW},
        UNIQUE (line_id, unit)
    )
    """,
    "CREATE INDEX ecard_issues_due ON ecard_issues(due_at) WHERE status = 'pending'",
    "CREATE INDEX ecard_issues_order ON ecard_issues(order_id)",
    f"""
    CREATE TABLE ecards (
        id INTEGER PRIMARY KEY,
        member_id INTEGER NOT NULL REFERENCES members(id),
        issue_id INTEGER NOT NULL UNIQUE REFERENCES ecard_issues(id),
        order_id INTEGER REFERENCES orders(id),
        kind TEXT NOT NULL CHECK (kind IN ('ecard','eticket')),
        partner TEXT NOT NULL,
        partner_website TEXT NOT NULL DEFAULT '',
        title TEXT NOT NULL,
        issuer TEXT NOT NULL,
        reference TEXT NOT NULL,
        number_enc TEXT NOT NULL,
        number_masked TEXT NOT NULL,
        pin_enc TEXT,
        value_cents INTEGER NOT NULL,
        people INTEGER NOT NULL DEFAULT 1,
        usable_at TEXT NOT NULL DEFAULT '',
        terms TEXT NOT NULL DEFAULT '',
        validity TEXT NOT NULL DEFAULT '',
        purchased_at TEXT NOT NULL,
        issued_at TEXT NOT NULL DEFAULT {NOW},
        expires_on TEXT,
        archived_at TEXT,
        balance_cents INTEGER,
        balance_checked_at TEXT,
        balance_known INTEGER,
        pdf_file TEXT
    )
    """,
    "CREATE INDEX ecards_member ON ecards(member_id, archived_at, id DESC)",
    f"""
    CREATE TABLE sandbox_issuer_cards (
        reference TEXT PRIMARY KEY,
        request_id TEXT NOT NULL UNIQUE,
        partner TEXT NOT NULL,
        kind TEXT NOT NULL,
        value_cents INTEGER NOT NULL,
        spent_cents INTEGER NOT NULL DEFAULT 0 CHECK (spent_cents >= 0),
        number_enc TEXT NOT NULL,
        pin_enc TEXT,
        created_at TEXT NOT NULL DEFAULT {NOW},
        CHECK (spent_cents <= value_cents)
    )
    """,
)


def up(db: Database) -> None:
    """Create the e-card tables."""
    for statement in STATEMENTS:
        db.execute(statement)
