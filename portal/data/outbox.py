"""Email outbox rows: queueing, atomic claims by delivery workers, and their outcome.

Timestamps are UTC text in SQLite's own format (``2026-03-01T09:30:00.000Z``) so that
rows written by the database defaults and by Python compare correctly as strings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlite_utils import Database


def timestamp(value: dt.datetime) -> str:
    """UTC text of ``value`` in the format of the schema's ``DEFAULT`` clauses."""
    utc = value.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> dt.datetime:
    """The aware UTC datetime of a stored timestamp."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class OutboxEmail:
    """One queued email and its delivery state."""

    id: int
    created_at: str
    member_id: int | None
    recipient: str
    subject: str
    body: str
    status: str
    """``pending``, ``sent`` or ``failed`` (given up)."""
    attempts: int
    """Delivery attempts started so far (counted when a worker claims the row)."""
    next_attempt_at: str
    last_error: str | None
    sent_at: str | None
    claim_token: str | None
    sensitive: bool
    """The body holds a one-time secret and is erased once delivered or given up."""
    sealed_body: str | None = field(default=None, repr=False)
    """A sensitive body, encrypted (``body`` is then empty); see ``notifications``."""


@dataclass(frozen=True)
class Attachment:
    """A file attached to a queued email."""

    filename: str
    content_type: str
    content: bytes


_COLUMNS = (
    "id, created_at, member_id, recipient, subject, body, status, attempts, next_attempt_at,"
    " last_error, sent_at, claim_token, sensitive, sealed_body"
)


def _email(row: object) -> OutboxEmail:
    values = dict(row)  # type: ignore[call-overload]
    values["sensitive"] = bool(values["sensitive"])
    return OutboxEmail(**values)


def insert_email(
    db: Database,
    *,
    member_id: int | None,
    recipient: str,
    subject: str,
    body: str,
    sensitive: bool = False,
    sealed_body: str | None = None,
) -> int:
    """Queue one email and return its id (a ``sensitive`` body is erased once sent).

    A sensitive email normally comes with ``body=''`` and its ``sealed_body`` (encrypted
    by the caller: this module never sees a key).
    """
    cur = db.execute(
        "INSERT INTO email_outbox (member_id, recipient, subject, body, sensitive, sealed_body)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [member_id, recipient, subject, body, int(sensitive), sealed_body],
    )
    return int(cur.lastrowid or 0)


def insert_attachment(
    db: Database, email_id: int, filename: str, content_type: str, content: bytes
) -> None:
    """Attach a file to a queued email."""
    db.execute(
        "INSERT INTO email_attachments (email_id, filename, content_type, content)"
        " VALUES (?, ?, ?, ?)",
        [email_id, filename, content_type, content],
    )


def database_file(db: Database) -> str:
    """The file of the main database ('' for an in-memory one); names the outbox."""
    row = db.execute("PRAGMA database_list").fetchone()
    return str(row["file"] or "") if row else ""


def get_email(db: Database, email_id: int) -> OutboxEmail | None:
    """One queued email by id."""
    row = db.execute(f"SELECT {_COLUMNS} FROM email_outbox WHERE id = ?", [email_id]).fetchone()
    return _email(row) if row else None


def list_emails(
    db: Database, *, recipient: str | None = None, status: str | None = None, limit: int = 100
) -> list[OutboxEmail]:
    """Queued emails, newest first, optionally for one recipient or in one status."""
    where, params = [], []
    if recipient is not None:
        where.append("recipient = ? COLLATE NOCASE")
        params.append(recipient)
    if status is not None:
        where.append("status = ?")
        params.append(status)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM email_outbox {clause} ORDER BY id DESC LIMIT ?", [*params, limit]
    ).fetchall()
    return [_email(r) for r in rows]


def attachments_of(db: Database, email_id: int) -> list[Attachment]:
    """The attachments of one email, in the order they were added."""
    rows = db.execute(
        "SELECT filename, content_type, content FROM email_attachments WHERE email_id = ?"
        " ORDER BY id",
        [email_id],
    ).fetchall()
    return [Attachment(r["filename"], r["content_type"], bytes(r["content"])) for r in rows]


def claim_due(
    db: Database, *, now: str, lease_until: str, token: str, limit: int
) -> list[OutboxEmail]:
    """Take up to ``limit`` due pending emails for one worker.

    Must run inside a ``BEGIN IMMEDIATE`` transaction: the write lock taken at its start
    means no other worker can select the same rows between our read and our update.
    Each claimed row gets the worker's token, one more attempt, and ``next_attempt_at``
    pushed to the end of the lease (so a crashed worker's rows come back later).
    """
    ids = [
        r[0]
        for r in db.execute(
            "SELECT id FROM email_outbox WHERE status = 'pending' AND next_attempt_at <= ?"
            " ORDER BY next_attempt_at, id LIMIT ?",
            [now, limit],
        ).fetchall()
    ]
    claimed = []
    for email_id in ids:
        cur = db.execute(
            "UPDATE email_outbox SET claim_token = ?, attempts = attempts + 1,"
            " next_attempt_at = ? WHERE id = ? AND status = 'pending' AND next_attempt_at <= ?",
            [token, lease_until, email_id, now],
        )
        if cur.rowcount == 1:
            claimed.append(email_id)
    if not claimed:
        return []
    marks = ",".join("?" * len(claimed))
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM email_outbox WHERE id IN ({marks}) ORDER BY id", claimed
    ).fetchall()
    return [_email(r) for r in rows]


def mark_sent(db: Database, email_id: int, token: str, sent_at: str) -> bool:
    """Record a delivery (erasing a sensitive body); False when the claim was lost."""
    cur = db.execute(
        "UPDATE email_outbox SET status = 'sent', sent_at = ?, last_error = NULL,"
        " claim_token = NULL, body = CASE WHEN sensitive THEN '' ELSE body END,"
        " sealed_body = NULL"
        " WHERE id = ? AND claim_token = ? AND status = 'pending'",
        [sent_at, email_id, token],
    )
    return cur.rowcount == 1


def mark_retry(db: Database, email_id: int, token: str, next_attempt_at: str, error: str) -> bool:
    """Release a claimed row for a later attempt; False when the claim was lost."""
    cur = db.execute(
        "UPDATE email_outbox SET next_attempt_at = ?, last_error = ?, claim_token = NULL"
        " WHERE id = ? AND claim_token = ? AND status = 'pending'",
        [next_attempt_at, error, email_id, token],
    )
    return cur.rowcount == 1


def mark_failed(db: Database, email_id: int, token: str, error: str) -> bool:
    """Give up on a claimed row (erasing a sensitive body); False when the claim was lost."""
    cur = db.execute(
        "UPDATE email_outbox SET status = 'failed', last_error = ?, claim_token = NULL,"
        " body = CASE WHEN sensitive THEN '' ELSE body END, sealed_body = NULL"
        " WHERE id = ? AND claim_token = ? AND status = 'pending'",
        [error, email_id, token],
    )
    return cur.rowcount == 1


def release_claim(db: Database, email_id: int, token: str, now: str) -> bool:
    """Hand back a claimed row that was not tried (its attempt is not counted)."""
    cur = db.execute(
        "UPDATE email_outbox SET next_attempt_at = ?, attempts = MAX(0, attempts - 1),"
        " claim_token = NULL WHERE id = ? AND claim_token = ? AND status = 'pending'",
        [now, email_id, token],
    )
    return cur.rowcount == 1


def requeue_failed(db: Database, *, now: str) -> int:
    """Put given-up emails back in the queue with a fresh attempt count.

    Sensitive ones are left out: their body was erased, and their code has expired.
    """
    cur = db.execute(
        "UPDATE email_outbox SET status = 'pending', attempts = 0, next_attempt_at = ?,"
        " claim_token = NULL WHERE status = 'failed' AND sensitive = 0",
        [now],
    )
    return int(cur.rowcount)


def next_due_at(db: Database) -> str | None:
    """When the earliest pending email is due (None when nothing waits)."""
    row = db.execute(
        "SELECT MIN(next_attempt_at) FROM email_outbox WHERE status = 'pending'"
    ).fetchone()
    return row[0] if row and row[0] else None


def count_by_status(db: Database) -> dict[str, int]:
    """How many emails are pending, sent and failed."""
    counts = {"pending": 0, "sent": 0, "failed": 0}
    for row in db.execute("SELECT status, COUNT(*) FROM email_outbox GROUP BY status").fetchall():
        counts[row[0]] = int(row[1])
    return counts
