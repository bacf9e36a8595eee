"""Sealed bodies: the body of a sensitive email (it carries a code) is kept encrypted.

``sealed_body`` holds the body encrypted with the data directory's ``secrets.key``
(``portal.services.crypto.SecretBox``); ``body`` stays empty for such rows, so a
sign-up, reset or invitation code is never written in clear to the database, its WAL or
a backup. Both are erased once the email is sent or given up.
"""

from __future__ import annotations

from sqlite_utils import Database


def up(db: Database) -> None:
    """Add the sealed body column, and erase sensitive bodies already sent or given up."""
    db.executescript(
        """
        ALTER TABLE email_outbox ADD COLUMN sealed_body TEXT;
        UPDATE email_outbox SET body = '' WHERE sensitive = 1 AND status != 'pending';
        """
    )
