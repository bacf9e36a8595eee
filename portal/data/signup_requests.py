"""Sign-up requests: made at the guest entry, decided by a manager of the organization."""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database


@dataclass(frozen=True)
class SignupRequest:
    """One request to join an organization (the password is only kept hashed, until decided)."""

    id: int
    organization_id: int
    organization_name: str
    first_name: str
    last_name: str
    email: str
    login: str
    language: str
    key_verified: bool
    status: str
    reason: str | None
    created_at: str
    decided_at: str | None
    decided_by: int | None
    member_id: int | None

    @property
    def full_name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"


_SELECT = """
    SELECT r.id, r.organization_id, o.name AS organization_name, r.first_name, r.last_name,
           r.email, r.login, r.language, r.key_verified, r.status, r.reason, r.created_at,
           r.decided_at, r.decided_by, r.member_id
    FROM signup_requests r JOIN organizations o ON o.id = r.organization_id
"""


def _request(row: object) -> SignupRequest:
    values = dict(row)  # type: ignore[call-overload]
    values["key_verified"] = bool(values["key_verified"])
    return SignupRequest(**values)


def insert_request(
    db: Database,
    *,
    organization_id: int,
    first_name: str,
    last_name: str,
    email: str,
    login: str,
    password_hash: str,
    language: str,
    key_verified: bool,
    ip: str | None,
) -> int:
    """Record a pending request and return its id."""
    cur = db.execute(
        "INSERT INTO signup_requests (organization_id, first_name, last_name, email, login,"
        " password_hash, language, key_verified, ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            organization_id,
            first_name,
            last_name,
            email,
            login,
            password_hash,
            language,
            int(key_verified),
            ip,
        ],
    )
    return int(cur.lastrowid or 0)


def get_request(db: Database, request_id: int) -> SignupRequest | None:
    """One request by id."""
    row = db.execute(_SELECT + " WHERE r.id = ?", [request_id]).fetchone()
    return _request(row) if row else None


def get_password_hash(db: Database, request_id: int) -> str | None:
    """The hash of the password chosen with a pending request."""
    row = db.execute(
        "SELECT password_hash FROM signup_requests WHERE id = ?", [request_id]
    ).fetchone()
    return row[0] if row else None


def list_pending(db: Database, organization_id: int | None) -> list[SignupRequest]:
    """Pending requests, oldest first; of one organization when given."""
    if organization_id is None:
        rows = db.execute(_SELECT + " WHERE r.status = 'pending' ORDER BY r.id").fetchall()
    else:
        rows = db.execute(
            _SELECT + " WHERE r.status = 'pending' AND r.organization_id = ? ORDER BY r.id",
            [organization_id],
        ).fetchall()
    return [_request(r) for r in rows]


def login_pending(db: Database, login: str) -> bool:
    """True when a pending request wants this login (case-insensitive).

    Several pending requests may want the same login: it is settled when one is approved
    (``services.signup.approve``), so that the guest entry never tells whether it exists.
    """
    row = db.execute(
        "SELECT EXISTS (SELECT 1 FROM signup_requests WHERE login = ? AND status = 'pending')",
        [login],
    ).fetchone()
    return bool(row[0])


def decide(
    db: Database,
    request_id: int,
    *,
    status: str,
    decided_by: int,
    reason: str | None = None,
    member_id: int | None = None,
) -> bool:
    """Approve or refuse a pending request (and forget its password hash).

    Returns:
        False when the request was not pending any more (another manager was faster).
    """
    cur = db.execute(
        "UPDATE signup_requests SET status = ?, reason = ?, member_id = ?, decided_by = ?,"
        " decided_at = strftime('%Y-%m-%dT%H:%M:%fZ','now'), password_hash = NULL"
        " WHERE id = ? AND status = 'pending'",
        [status, reason, member_id, decided_by, request_id],
    )
    return cur.rowcount == 1


def count_pending(db: Database, organization_id: int | None) -> int:
    """How many requests wait (for a menu badge)."""
    if organization_id is None:
        row = db.execute("SELECT count(*) FROM signup_requests WHERE status = 'pending'").fetchone()
    else:
        row = db.execute(
            "SELECT count(*) FROM signup_requests WHERE status = 'pending' AND organization_id = ?",
            [organization_id],
        ).fetchone()
    return int(row[0])
