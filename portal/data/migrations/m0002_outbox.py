"""The email outbox: messages are written in the same transaction as what causes them,
then delivered (with retries) by the notification worker."""

from __future__ import annotations

from sqlite_utils import Database

NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))"


def up(db: Database) -> None:
    """Create the outbox tables."""
    db.executescript(
        f"""
        CREATE TABLE email_outbox (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL DEFAULT {NOW},
            member_id INTEGER REFERENCES members(id),
            recipient TEXT NOT NULL,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','sent','failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL DEFAULT {NOW},
            last_error TEXT,
            sent_at TEXT
        );
        CREATE INDEX email_outbox_pending ON email_outbox(status, next_attempt_at);
        CREATE TABLE email_attachments (
            id INTEGER PRIMARY KEY,
            email_id INTEGER NOT NULL REFERENCES email_outbox(id) ON DELETE CASCADE,
            filename TEXT NOT NULL,
            content_type TEXT NOT NULL,
            content BLOB NOT NULL
        );
        """
    )
