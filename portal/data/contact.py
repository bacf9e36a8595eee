"""Contact details and preferences, and communication-email verification codes.

A member without a ``contact_details`` row has the defaults: no communication email
(mail goes to the organization email), no postal address, no newsletter.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database


@dataclass(frozen=True)
class ContactDetails:
    """A member's contact details and preferences."""

    member_id: int
    comm_email: str | None = None
    """Verified communication email; None means the organization email is used."""
    comm_email_verified_at: str | None = None
    street: str = ""
    street2: str = ""
    """Additional address line (building, floor, lieu-dit...)."""
    postal_code: str = ""
    city: str = ""
    newsletter: bool = False

    @property
    def has_address(self) -> bool:
        """True when a postal address is on file."""
        return bool(self.street and self.postal_code and self.city)


@dataclass(frozen=True)
class EmailVerification:
    """A code sent to an address to prove the member reads it (the code itself is hashed)."""

    id: int
    member_id: int
    email: str
    code_hash: str
    created_at: str
    expires_at: str
    attempts: int
    """Wrong codes entered so far."""
    status: str
    """``pending``, ``verified``, ``replaced`` (a new code was sent), ``exhausted``
    (too many wrong codes) or ``cancelled``."""


def get_details(db: Database, member_id: int) -> ContactDetails:
    """A member's details (the defaults when none were saved)."""
    row = db.execute(
        "SELECT member_id, comm_email, comm_email_verified_at, street, street2, postal_code,"
        " city, newsletter FROM contact_details WHERE member_id = ?",
        [member_id],
    ).fetchone()
    if row is None:
        return ContactDetails(member_id=member_id)
    values = dict(row)
    values["newsletter"] = bool(values["newsletter"])
    return ContactDetails(**values)


def _ensure_row(db: Database, member_id: int) -> None:
    db.execute("INSERT OR IGNORE INTO contact_details (member_id) VALUES (?)", [member_id])


def set_address(
    db: Database,
    member_id: int,
    *,
    street: str,
    street2: str,
    postal_code: str,
    city: str,
    now: str,
) -> None:
    """Store a member's postal address (all empty strings clear it)."""
    _ensure_row(db, member_id)
    db.execute(
        "UPDATE contact_details SET street = ?, street2 = ?, postal_code = ?, city = ?,"
        " updated_at = ? WHERE member_id = ?",
        [street, street2, postal_code, city, now, member_id],
    )


def set_newsletter(db: Database, member_id: int, subscribed: bool, *, now: str) -> None:
    """Store the newsletter opt-in."""
    _ensure_row(db, member_id)
    db.execute(
        "UPDATE contact_details SET newsletter = ?, updated_at = ? WHERE member_id = ?",
        [int(subscribed), now, member_id],
    )


def set_comm_email(db: Database, member_id: int, email: str | None, *, now: str) -> None:
    """Store a verified communication email, or None to go back to the organization email."""
    _ensure_row(db, member_id)
    db.execute(
        "UPDATE contact_details SET comm_email = ?, comm_email_verified_at = ?, updated_at = ?"
        " WHERE member_id = ?",
        [email, now if email else None, now, member_id],
    )


def verified_comm_email(db: Database, member_id: int) -> str | None:
    """The member's verified communication email, if any."""
    row = db.execute(
        "SELECT comm_email FROM contact_details WHERE member_id = ?"
        " AND comm_email_verified_at IS NOT NULL",
        [member_id],
    ).fetchone()
    return row[0] if row and row[0] else None


_VERIFICATION_COLUMNS = "id, member_id, email, code_hash, created_at, expires_at, attempts, status"


def pending_verification(db: Database, member_id: int) -> EmailVerification | None:
    """The member's code waiting to be entered, if any (expired or not)."""
    row = db.execute(
        f"SELECT {_VERIFICATION_COLUMNS} FROM email_verifications"
        " WHERE member_id = ? AND status = 'pending'",
        [member_id],
    ).fetchone()
    return EmailVerification(**dict(row)) if row else None


def close_pending_verifications(db: Database, member_id: int, status: str) -> None:
    """End the member's pending code with the given status."""
    db.execute(
        "UPDATE email_verifications SET status = ? WHERE member_id = ? AND status = 'pending'",
        [status, member_id],
    )


def add_verification(
    db: Database, member_id: int, *, email: str, code_hash: str, created_at: str, expires_at: str
) -> int:
    """Store a new pending code (close the previous one first)."""
    cur = db.execute(
        "INSERT INTO email_verifications (member_id, email, code_hash, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [member_id, email, code_hash, created_at, expires_at],
    )
    return int(cur.lastrowid or 0)


def count_verifications_since(db: Database, member_id: int, since: str) -> int:
    """Codes sent to the member after a time (to limit how often codes are sent)."""
    row = db.execute(
        "SELECT COUNT(*) FROM email_verifications WHERE member_id = ? AND created_at > ?",
        [member_id, since],
    ).fetchone()
    return int(row[0])


def record_wrong_code(db: Database, verification_id: int) -> int:
    """Count one wrong code on a pending verification; returns the new count."""
    db.execute(
        "UPDATE email_verifications SET attempts = attempts + 1 WHERE id = ? AND status = 'pending'",
        [verification_id],
    )
    row = db.execute(
        "SELECT attempts FROM email_verifications WHERE id = ?", [verification_id]
    ).fetchone()
    return int(row[0]) if row else 0


def set_verification_status(db: Database, verification_id: int, status: str) -> None:
    """Close one verification (verified, exhausted...)."""
    db.execute("UPDATE email_verifications SET status = ? WHERE id = ?", [status, verification_id])
