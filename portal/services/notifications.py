"""Email notifications through an outbox table.

Callers render the message in the recipient's language (``get_translator``, or the
helpers of ``portal.services.emails``) and call ``enqueue`` inside the same transaction
as the change that causes it, so an email is sent if and only if the change was written.

Delivery is done by ``portal.services.mailer.Mailer``, which uses the functions below:
``claim_due`` takes due rows atomically (so two workers or two processes never send the
same email), then ``record_sent`` / ``record_failure`` store the outcome, with an
exponential backoff between attempts and a final ``failed`` after ``max_attempts``.

Sensitive emails (a code or a link that grants access: ``enqueue(..., sensitive=True)``)
are sealed: their body is written only encrypted with the data directory's secret box
(``secrets.key`` beside the database file, see ``box_for``), ``claim_due`` opens it for
the mailer, and the sealed copy is erased once the email is sent or given up. So the code
never reaches the database file, its WAL or a backup in clear; and since connections
use ``secure_delete``, the erased ciphertext does not linger in free space either.
Use ``readable_body`` to read any queued body (tests do).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet
from sqlite_utils import Database

from portal.data import contact as contact_data
from portal.data import members as members_data
from portal.data import outbox
from portal.data.db import transaction
from portal.data.outbox import Attachment, OutboxEmail, parse_timestamp, timestamp
from portal.services.crypto import InvalidToken, SecretBox, load_or_create_box

__all__ = [
    "Attachment",
    "Backoff",
    "OutboxEmail",
    "box_for",
    "claim_due",
    "enqueue",
    "next_due_at",
    "outbox_key",
    "readable_body",
    "recipient_for",
    "record_failure",
    "release_claims",
    "record_sent",
    "retry_failed",
    "status_counts",
    "subscribe",
]

log = logging.getLogger(__name__)


def utcnow() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


# -- wake-up of the delivery workers ---------------------------------------------------
#
# ``enqueue`` only receives a connection, yet the mailer of this process should start at
# once rather than at its next periodic check. Mailers therefore subscribe a thread-safe
# callback under the database file they serve. This is process-wide wiring, not session
# state: it holds one callback per running mailer and no member data, and keying it by
# file keeps two databases in one process (tests) apart.

_doorbells: dict[str, set[Callable[[], None]]] = {}
_doorbells_lock = threading.Lock()


def subscribe(database_file: str, callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` (from any thread) whenever an email is queued in that database.

    Args:
        database_file: The database's ``outbox_key``.
        callback: Called from the thread that queued the email; must be quick.

    Returns:
        A function that removes the subscription.
    """
    with _doorbells_lock:
        _doorbells.setdefault(database_file, set()).add(callback)

    def unsubscribe() -> None:
        with _doorbells_lock:
            callbacks = _doorbells.get(database_file)
            if callbacks is not None:
                callbacks.discard(callback)
                if not callbacks:
                    del _doorbells[database_file]

    return unsubscribe


def outbox_key(db: Database) -> str:
    """The name under which mailers of this database subscribe (its file, as SQLite sees it)."""
    return outbox.database_file(db)


def _ring(db: Database) -> None:
    if not _doorbells:  # no mailer in this process (CLI, most tests): skip the lookup
        return
    key = outbox_key(db)
    with _doorbells_lock:
        callbacks = list(_doorbells.get(key, ()))
    for callback in callbacks:
        try:
            callback()
        except Exception:  # a stopped mailer must never break the caller's transaction
            log.exception("outbox wake-up callback failed")


# -- sealing of sensitive bodies ---------------------------------------------------------
#
# ``enqueue`` only receives a connection, so the box is found from the database itself:
# the key file is ``secrets.key`` in the folder of the main database file (the data
# directory, ``Settings.secret_key_path``), loaded once per path and kept for the life of
# the process. Like the doorbells above this is process-wide wiring keyed by file, with no
# session or member data. An in-memory database gets a key that lives as long as the
# process (its rows cannot outlive it anyway). ``portal restore`` replaces the key file
# only while the server is stopped, so a cached box never goes stale in a live process.

_boxes: dict[str, SecretBox] = {}
_boxes_lock = threading.Lock()
KEY_FILE = "secrets.key"


def box_for(db: Database) -> SecretBox:
    """The secret box of this database's data directory (created on first use)."""
    key = outbox_key(db)
    with _boxes_lock:
        box = _boxes.get(key)
        if box is None:
            if key:
                box = load_or_create_box(Path(key).parent / KEY_FILE)
            else:
                box = SecretBox(Fernet.generate_key())
            _boxes[key] = box
        return box


def readable_body(db: Database, email: OutboxEmail) -> str:
    """The text of a queued email: its sealed body opened, else its stored body.

    Raises:
        InvalidToken: The sealed body cannot be opened (the key file was changed).
    """
    if email.sealed_body:
        return box_for(db).decrypt(email.sealed_body)
    return email.body


# -- queueing --------------------------------------------------------------------------


def enqueue(
    db: Database,
    *,
    to: str,
    subject: str,
    body: str,
    member_id: int | None = None,
    attachments: Iterable[tuple[str, str, bytes]] = (),
    sensitive: bool = False,
) -> int:
    """Queue one email; ``attachments`` are (filename, content type, bytes). Returns its id.

    ``sensitive=True`` marks a body holding a one-time secret (a code, a link that grants
    access): it is stored only sealed (encrypted, see ``box_for``), opened by the mailer
    at send time, and erased once delivered or given up.

    Joins the caller's transaction when there is one (the usual case), so the email
    exists only if the caller's change is committed. The mailer is woken at once: its
    claim takes the write lock, so it waits for that commit and never sees half a message.
    """
    sealed = box_for(db).encrypt(body) if sensitive else None
    with transaction(db):
        email_id = outbox.insert_email(
            db,
            member_id=member_id,
            recipient=to,
            subject=subject,
            body="" if sensitive else body,
            sensitive=sensitive,
            sealed_body=sealed,
        )
        for filename, content_type, content in attachments:
            outbox.insert_attachment(db, email_id, filename, content_type, content)
    _ring(db)
    return email_id


def recipient_for(db: Database, member_id: int) -> str:
    """Where a member's email goes: their verified communication email, else the
    organization email (also exported by ``portal.services.emails``).

    Raises:
        LookupError: No such member.
    """
    verified = contact_data.verified_comm_email(db, member_id)
    if verified:
        return verified
    member = members_data.get_member(db, member_id)
    if member is None:
        raise LookupError(f"no member {member_id}")
    return member.org_email


# -- delivery bookkeeping (used by the mailer) -----------------------------------------


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff between delivery attempts.

    The wait after attempt ``n`` (1-based) is ``base * factor**(n-1)`` seconds, capped at
    ``cap``; after ``max_attempts`` failed attempts the email is marked ``failed``.
    """

    base: float = 60.0
    factor: float = 2.0
    cap: float = 6 * 3600.0
    max_attempts: int = 8

    def delay(self, attempts: int) -> dt.timedelta:
        """The wait after the given number of attempts."""
        seconds = min(self.cap, self.base * self.factor ** max(0, attempts - 1))
        return dt.timedelta(seconds=seconds)


def claim_due(
    db: Database,
    *,
    token: str,
    now: dt.datetime | None = None,
    limit: int = 20,
    lease: dt.timedelta = dt.timedelta(minutes=10),
) -> list[tuple[OutboxEmail, list[Attachment]]]:
    """Atomically take up to ``limit`` due emails for the worker named by ``token``.

    Each claimed email counts one more attempt and is hidden from other workers for
    ``lease`` (after which a worker that died mid-send loses it to another). Sealed
    bodies come back opened (``body`` in clear, in memory only, ``sealed_body`` None);
    one that cannot be opened (another ``secrets.key``) is given up at once.
    """
    now = now or utcnow()
    with transaction(db):
        emails = outbox.claim_due(
            db, now=timestamp(now), lease_until=timestamp(now + lease), token=token, limit=limit
        )
        claimed = []
        for email in emails:
            if email.sealed_body:
                try:
                    email = dataclasses.replace(
                        email, body=readable_body(db, email), sealed_body=None
                    )
                except InvalidToken:
                    log.error("email %s: its sealed body cannot be opened; given up", email.id)
                    outbox.mark_failed(db, email.id, token, "sealed body cannot be opened")
                    continue
            claimed.append((email, outbox.attachments_of(db, email.id)))
        return claimed


def record_sent(db: Database, email_id: int, token: str, *, now: dt.datetime | None = None) -> bool:
    """Mark a claimed email as delivered; False when the claim had been lost."""
    with transaction(db):
        return outbox.mark_sent(db, email_id, token, timestamp(now or utcnow()))


def record_failure(
    db: Database,
    email: OutboxEmail,
    token: str,
    error: str,
    *,
    permanent: bool = False,
    backoff: Backoff = Backoff(),
    now: dt.datetime | None = None,
) -> str:
    """Store a failed attempt: retry later with backoff, or give up.

    Args:
        email: The email as claimed (its ``attempts`` already counts this attempt).
        token: The claim token.
        error: What went wrong (kept in ``last_error``; must not hold secrets).
        permanent: The relay refused the message for good (e.g. unknown recipient).

    Returns:
        ``"retry"``, ``"failed"``, or ``"lost"`` when the claim had been taken over.
    """
    now = now or utcnow()
    error = error[:500]
    with transaction(db):
        if permanent or email.attempts >= backoff.max_attempts:
            return "failed" if outbox.mark_failed(db, email.id, token, error) else "lost"
        due = timestamp(now + backoff.delay(email.attempts))
        return "retry" if outbox.mark_retry(db, email.id, token, due, error) else "lost"


def release_claims(
    db: Database, email_ids: list[int], token: str, *, now: dt.datetime | None = None
) -> None:
    """Give claimed emails back untried (a worker stopping), due again at once."""
    with transaction(db):
        for email_id in email_ids:
            outbox.release_claim(db, email_id, token, timestamp(now or utcnow()))


def next_due_at(db: Database) -> dt.datetime | None:
    """When the earliest pending email is due (None when the queue is empty)."""
    text = outbox.next_due_at(db)
    return parse_timestamp(text) if text else None


def status_counts(db: Database) -> dict[str, int]:
    """How many emails are pending, sent and failed (for operators)."""
    return outbox.count_by_status(db)


def retry_failed(db: Database, *, now: dt.datetime | None = None) -> int:
    """Queue every given-up email again (after an operator fixed the relay)."""
    with transaction(db):
        count = outbox.requeue_failed(db, now=timestamp(now or utcnow()))
    if count:
        _ring(db)
    return count
