"""Email notifications through an outbox table.

Callers render the message in the recipient's language (``get_translator``) and call
``enqueue`` inside the same transaction as the change that causes it, so an email is
sent if and only if the change was written. Delivery with retries is done elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlite_utils import Database

from portal.data import outbox


def enqueue(
    db: Database,
    *,
    to: str,
    subject: str,
    body: str,
    member_id: int | None = None,
    attachments: Iterable[tuple[str, str, bytes]] = (),
) -> int:
    """Queue one email; ``attachments`` are (filename, content type, bytes). Returns its id."""
    email_id = outbox.insert_email(db, member_id=member_id, recipient=to, subject=subject, body=body)
    for filename, content_type, content in attachments:
        outbox.insert_attachment(db, email_id, filename, content_type, content)
    return email_id
