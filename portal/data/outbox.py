"""Email outbox rows."""

from __future__ import annotations

from sqlite_utils import Database


def insert_email(db: Database, *, member_id: int | None, recipient: str, subject: str,
                 body: str) -> int:
    """Queue one email and return its id."""
    cur = db.execute(
        "INSERT INTO email_outbox (member_id, recipient, subject, body) VALUES (?, ?, ?, ?)",
        [member_id, recipient, subject, body],
    )
    return int(cur.lastrowid or 0)


def insert_attachment(db: Database, email_id: int, filename: str, content_type: str,
                      content: bytes) -> None:
    """Attach a file to a queued email."""
    db.execute(
        "INSERT INTO email_attachments (email_id, filename, content_type, content)"
        " VALUES (?, ?, ?, ?)",
        [email_id, filename, content_type, content],
    )
