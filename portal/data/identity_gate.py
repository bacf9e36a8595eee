"""Queries of the authentication gate: failure counters and invitations.

A failure counter is keyed by a scope (``account``: a login in lower case, known or not, so
that unknown logins are throttled exactly like real ones; ``ip``: a client address;
``reset``: reset emails sent to one member) and counts consecutive failures.

The same table counts code emails for rate limits (``take_quota``): ``signup_to`` (sign-up
codes sent to one address, lower case), ``signup_ip`` and ``reset_ip`` (sign-up codes and
reset requests from one client address).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlite_utils import Database


@dataclass(frozen=True)
class Throttle:
    """Consecutive failures of one key, and the lock if any (Unix seconds)."""

    scope: str
    key: str
    failures: int
    last_failure_at: float
    locked_until: float | None


@dataclass(frozen=True)
class Invitation:
    """An open invitation of a member (the code itself is only stored hashed)."""

    id: int
    member_id: int
    expires_at: float
    status: str


_THROTTLE_COLUMNS = "scope, key, failures, last_failure_at, locked_until"


def get_throttle(db: Database, scope: str, key: str) -> Throttle | None:
    """The counter of one key, if it failed recently."""
    row = db.execute(
        f"SELECT {_THROTTLE_COLUMNS} FROM auth_throttle WHERE scope = ? AND key = ?", [scope, key]
    ).fetchone()
    return Throttle(**dict(row)) if row else None


def add_failure(
    db: Database, scope: str, key: str, now: float, *, forget_before: float
) -> Throttle:
    """Count one more failure, starting again from 1 when the last one is older than
    ``forget_before``; returns the counter as it now stands (atomic in one statement)."""
    row = db.execute(
        f"""
        INSERT INTO auth_throttle (scope, key, failures, last_failure_at) VALUES (?, ?, 1, ?)
        ON CONFLICT (scope, key) DO UPDATE SET
            failures = CASE WHEN auth_throttle.last_failure_at < ? THEN 1
                            ELSE auth_throttle.failures + 1 END,
            last_failure_at = excluded.last_failure_at
        RETURNING {_THROTTLE_COLUMNS}
        """,
        [scope, key, now, forget_before],
    ).fetchone()
    return Throttle(**dict(row))


def take_quota(
    db: Database, quotas: Iterable[tuple[str, str, int]], now: float, *, window: float
) -> tuple[str, str] | None:
    """Count one event on each (scope, key) if every one is under its limit.

    ``quotas`` are (scope, key, limit): at most ``limit`` events per key, a counter
    starting again once its last event is older than ``window`` seconds. All or nothing:
    when one key is at its limit nothing is counted and that (scope, key) is returned;
    else each is counted and None returned. Call it inside the caller's transaction.
    """
    wanted = list(quotas)
    for scope, key, limit in wanted:
        counter = get_throttle(db, scope, key)
        if counter and counter.failures >= limit and counter.last_failure_at > now - window:
            return scope, key
    for scope, key, _limit in wanted:
        add_failure(db, scope, key, now, forget_before=now - window)
    return None


def set_locked_until(db: Database, scope: str, key: str, until: float | None) -> None:
    """Lock a key until a time (None unlocks)."""
    db.execute(
        "UPDATE auth_throttle SET locked_until = ? WHERE scope = ? AND key = ?", [until, scope, key]
    )


def clear_throttle(db: Database, scope: str, key: str) -> None:
    """Forget a key's failures and lock."""
    db.execute("DELETE FROM auth_throttle WHERE scope = ? AND key = ?", [scope, key])


def prune_throttles(db: Database, before: float) -> int:
    """Drop counters whose last failure is older than ``before`` and that hold no lock."""
    cur = db.execute(
        "DELETE FROM auth_throttle WHERE last_failure_at < ?"
        " AND (locked_until IS NULL OR locked_until < ?)",
        [before, before],
    )
    return int(cur.rowcount or 0)


def active_member_ids_by_email(db: Database, email: str) -> list[int]:
    """Active members whose organization email is ``email`` (case-insensitive)."""
    rows = db.execute(
        "SELECT id FROM members WHERE lower(org_email) = lower(?) AND status = 'active'", [email]
    ).fetchall()
    return [int(r[0]) for r in rows]


def manager_ids(db: Database, organization_id: int) -> list[int]:
    """Active managers of one organization."""
    rows = db.execute(
        "SELECT id FROM members WHERE organization_id = ? AND role = 'manager'"
        " AND status = 'active' ORDER BY id",
        [organization_id],
    ).fetchall()
    return [int(r[0]) for r in rows]


# -- invitations ---------------------------------------------------------------------------


def insert_invitation(
    db: Database, *, member_id: int, code_hash: str, expires_at: float, created_by: int | None
) -> int:
    """Record an invitation and return its id."""
    cur = db.execute(
        "INSERT INTO invitations (member_id, code_hash, expires_at, created_by) VALUES (?, ?, ?, ?)",
        [member_id, code_hash, expires_at, created_by],
    )
    return int(cur.lastrowid or 0)


def revoke_open_invitations(db: Database, member_id: int) -> int:
    """Revoke a member's open invitations (a new one replaces them)."""
    cur = db.execute(
        "UPDATE invitations SET status = 'revoked' WHERE member_id = ? AND status = 'open'",
        [member_id],
    )
    return int(cur.rowcount or 0)


def find_open_invitation(db: Database, code_hash: str, now: float) -> Invitation | None:
    """The open, unexpired invitation with this code hash."""
    row = db.execute(
        "SELECT id, member_id, expires_at, status FROM invitations"
        " WHERE code_hash = ? AND status = 'open' AND expires_at > ?",
        [code_hash, now],
    ).fetchone()
    return Invitation(**dict(row)) if row else None


def use_invitation(db: Database, invitation_id: int) -> bool:
    """Mark an open invitation used; False when it was not open any more (a race lost)."""
    cur = db.execute(
        "UPDATE invitations SET status = 'used', used_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')"
        " WHERE id = ? AND status = 'open'",
        [invitation_id],
    )
    return cur.rowcount == 1


def activate_invited_member(db: Database, member_id: int, password_hash: str) -> bool:
    """Give an invited member a password and make them active; False if not invited."""
    cur = db.execute(
        "UPDATE members SET password_hash = ?, status = 'active' WHERE id = ? AND status = 'invited'",
        [password_hash, member_id],
    )
    return cur.rowcount == 1


def deactivate_member(db: Database, member_id: int) -> bool:
    """Deactivate a member; False when already deactivated."""
    cur = db.execute(
        "UPDATE members SET status = 'deactivated' WHERE id = ? AND status != 'deactivated'",
        [member_id],
    )
    return cur.rowcount == 1


def organization_id_by_key(db: Database, identification_key: str) -> int | None:
    """The organization whose identification key this is (case-insensitive)."""
    row = db.execute(
        "SELECT id FROM organizations WHERE identification_key IS NOT NULL"
        " AND upper(identification_key) = upper(?)",
        [identification_key],
    ).fetchone()
    return int(row[0]) if row else None
