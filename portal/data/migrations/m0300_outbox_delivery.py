"""Delivery bookkeeping for the email outbox: which worker holds a row right now.

A worker claims due rows by writing its ``claim_token`` and pushing ``next_attempt_at``
past a lease, in one ``BEGIN IMMEDIATE`` transaction; two processes therefore never
send the same email, and a worker that dies mid-send only delays its rows by the lease.
"""

from __future__ import annotations

from sqlite_utils import Database


def up(db: Database) -> None:
    """Add the claim and sensitive columns to the outbox."""
    db.executescript(
        """
        ALTER TABLE email_outbox ADD COLUMN claim_token TEXT;
        ALTER TABLE email_outbox ADD COLUMN sensitive INTEGER NOT NULL DEFAULT 0;
        """
    )
