"""Contact details and preferences, and the codes that verify a communication email.

Codes are stored hashed (argon2), never in clear; one pending code per member at most.
"""

from __future__ import annotations

from sqlite_utils import Database

NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))"


def up(db: Database) -> None:
    """Create the contact tables."""
    db.executescript(
        f"""
        CREATE TABLE contact_details (
            member_id INTEGER PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
            comm_email TEXT,
            comm_email_verified_at TEXT,
            street TEXT NOT NULL DEFAULT '',
            street2 TEXT NOT NULL DEFAULT '',
            postal_code TEXT NOT NULL DEFAULT '',
            city TEXT NOT NULL DEFAULT '',
            newsletter INTEGER NOT NULL DEFAULT 0 CHECK (newsletter IN (0, 1)),
            updated_at TEXT NOT NULL DEFAULT {NOW},
            CHECK ((comm_email IS NULL) = (comm_email_verified_at IS NULL))
        );
        CREATE TABLE email_verifications (
            id INTEGER PRIMARY KEY,
            member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
            email TEXT NOT NULL,
            code_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'verified', 'replaced', 'exhausted', 'cancelled'))
        );
        CREATE UNIQUE INDEX email_verifications_one_pending
            ON email_verifications(member_id) WHERE status = 'pending';
        CREATE INDEX email_verifications_member_created
            ON email_verifications(member_id, created_at);
        """
    )
