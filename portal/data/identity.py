"""Identity rows: TOTP state, recovery-code digests and SSH public keys.

Everything here stores what the service layer hands it: secrets arrive already
encrypted and recovery codes already hashed, so no function of this module ever sees a
secret in clear. Write functions that guard a race return ``bool`` (their conditional
UPDATE or DELETE touched a row or not); callers run them inside ``transaction(db)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlite_utils import Database

_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"


@dataclass(frozen=True)
class TotpRecord:
    """A member's two-factor state (secrets encrypted)."""

    member_id: int
    enabled: bool
    secret_enc: str | None
    pending_secret_enc: str | None
    pending_since: str | None
    recovery_key_enc: str | None
    last_step: int
    enabled_at: str | None


@dataclass(frozen=True)
class SshKeyRecord:
    """A registered SSH public key."""

    id: int
    member_id: int
    algorithm: str
    public_key: str
    """``algorithm base64`` without comment, as OpenSSH writes it."""
    fingerprint: str
    """``SHA256:...``."""
    bits: int | None
    label: str
    created_at: str
    last_used_at: str | None


# -- TOTP ------------------------------------------------------------------------------


def get_totp(db: Database, member_id: int) -> TotpRecord | None:
    """A member's 2FA row, if they ever started an enrolment."""
    row = db.execute(
        "SELECT member_id, enabled, secret_enc, pending_secret_enc, pending_since,"
        " recovery_key_enc, last_step, enabled_at FROM member_totp WHERE member_id = ?",
        [member_id],
    ).fetchone()
    if row is None:
        return None
    data = dict(row)
    data["enabled"] = bool(data["enabled"])
    return TotpRecord(**data)


def is_totp_enabled(db: Database, member_id: int) -> bool:
    """True when the member's 2FA is on."""
    row = db.execute("SELECT enabled FROM member_totp WHERE member_id = ?", [member_id]).fetchone()
    return bool(row and row[0])


def set_pending_secret(db: Database, member_id: int, secret_enc: str) -> bool:
    """Store a new (not yet confirmed) secret; False when 2FA is already on."""
    cur = db.execute(
        "INSERT INTO member_totp (member_id, pending_secret_enc, pending_since)"
        f" VALUES (?, ?, {_NOW})"
        " ON CONFLICT (member_id) DO UPDATE SET pending_secret_enc = excluded.pending_secret_enc,"
        " pending_since = excluded.pending_since WHERE member_totp.enabled = 0",
        [member_id, secret_enc],
    )
    return cur.rowcount == 1


def enable_totp(
    db: Database, member_id: int, *, pending_secret_enc: str, recovery_key_enc: str, step: int
) -> bool:
    """Turn the pending secret into the active one, if it is still the one that was checked."""
    cur = db.execute(
        "UPDATE member_totp SET enabled = 1, secret_enc = pending_secret_enc,"
        " pending_secret_enc = NULL, pending_since = NULL, recovery_key_enc = ?,"
        f" last_step = ?, enabled_at = {_NOW}"
        " WHERE member_id = ? AND enabled = 0 AND pending_secret_enc = ?",
        [recovery_key_enc, step, member_id, pending_secret_enc],
    )
    return cur.rowcount == 1


def enable_totp_directly(
    db: Database, member_id: int, *, secret_enc: str, recovery_key_enc: str
) -> None:
    """Turn 2FA on with a given secret, without enrolment (tests and demo data)."""
    db.execute(
        "INSERT INTO member_totp (member_id, enabled, secret_enc, recovery_key_enc, enabled_at)"
        f" VALUES (?, 1, ?, ?, {_NOW})"
        " ON CONFLICT (member_id) DO UPDATE SET enabled = 1, secret_enc = excluded.secret_enc,"
        " pending_secret_enc = NULL, pending_since = NULL, last_step = 0,"
        " recovery_key_enc = excluded.recovery_key_enc, enabled_at = excluded.enabled_at",
        [member_id, secret_enc, recovery_key_enc],
    )


def advance_step(db: Database, member_id: int, step: int) -> bool:
    """Record ``step`` as the last accepted one, only if it is newer (replay guard)."""
    cur = db.execute(
        "UPDATE member_totp SET last_step = ? WHERE member_id = ? AND enabled = 1"
        " AND last_step < ?",
        [step, member_id, step],
    )
    return cur.rowcount == 1


def delete_totp(db: Database, member_id: int) -> bool:
    """Forget a member's 2FA state and recovery codes; False when there was none."""
    db.execute("DELETE FROM recovery_codes WHERE member_id = ?", [member_id])
    cur = db.execute("DELETE FROM member_totp WHERE member_id = ?", [member_id])
    return cur.rowcount == 1


# -- recovery codes --------------------------------------------------------------------


def replace_recovery_codes(db: Database, member_id: int, code_hashes: Iterable[str]) -> None:
    """Drop every recovery code of a member and store new digests."""
    db.execute("DELETE FROM recovery_codes WHERE member_id = ?", [member_id])
    db.conn.executemany(
        "INSERT INTO recovery_codes (member_id, code_hash) VALUES (?, ?)",
        [(member_id, h) for h in code_hashes],
    )


def consume_recovery_code(db: Database, member_id: int, code_hash: str) -> bool:
    """Mark an unused code as used; False when it does not exist or was used already."""
    cur = db.execute(
        f"UPDATE recovery_codes SET used_at = {_NOW}"
        " WHERE member_id = ? AND code_hash = ? AND used_at IS NULL",
        [member_id, code_hash],
    )
    return cur.rowcount == 1


def set_recovery_key(db: Database, member_id: int, recovery_key_enc: str) -> None:
    """Replace the (encrypted) key that recovery-code digests are made with."""
    db.execute(
        "UPDATE member_totp SET recovery_key_enc = ? WHERE member_id = ?",
        [recovery_key_enc, member_id],
    )


def count_unused_recovery_codes(db: Database, member_id: int) -> int:
    """How many recovery codes a member may still use."""
    row = db.execute(
        "SELECT COUNT(*) FROM recovery_codes WHERE member_id = ? AND used_at IS NULL",
        [member_id],
    ).fetchone()
    return int(row[0])


# -- SSH keys --------------------------------------------------------------------------

_KEY_COLUMNS = (
    "id, member_id, algorithm, public_key, fingerprint, bits, label, created_at, last_used_at"
)


def insert_ssh_key(
    db: Database,
    member_id: int,
    *,
    algorithm: str,
    public_key: str,
    fingerprint: str,
    bits: int | None,
    label: str,
) -> int:
    """Register a key and return its id."""
    cur = db.execute(
        "INSERT INTO ssh_keys (member_id, algorithm, public_key, fingerprint, bits, label)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [member_id, algorithm, public_key, fingerprint, bits, label],
    )
    return int(cur.lastrowid or 0)


def list_ssh_keys(db: Database, member_id: int) -> list[SshKeyRecord]:
    """A member's keys, oldest first."""
    rows = db.execute(
        f"SELECT {_KEY_COLUMNS} FROM ssh_keys WHERE member_id = ? ORDER BY id", [member_id]
    ).fetchall()
    return [SshKeyRecord(**dict(r)) for r in rows]


def get_ssh_key(db: Database, member_id: int, key_id: int) -> SshKeyRecord | None:
    """One of a member's keys (None for another member's key)."""
    row = db.execute(
        f"SELECT {_KEY_COLUMNS} FROM ssh_keys WHERE member_id = ? AND id = ?",
        [member_id, key_id],
    ).fetchone()
    return SshKeyRecord(**dict(row)) if row else None


def has_ssh_key(db: Database, member_id: int, fingerprint: str) -> bool:
    """True when the member already registered this key."""
    row = db.execute(
        "SELECT EXISTS (SELECT 1 FROM ssh_keys WHERE member_id = ? AND fingerprint = ?)",
        [member_id, fingerprint],
    ).fetchone()
    return bool(row[0])


def count_ssh_keys(db: Database, member_id: int) -> int:
    """How many keys a member registered."""
    return int(
        db.execute("SELECT COUNT(*) FROM ssh_keys WHERE member_id = ?", [member_id]).fetchone()[0]
    )


def delete_ssh_key(db: Database, member_id: int, key_id: int) -> bool:
    """Remove one of the member's own keys; False when no such key is theirs."""
    cur = db.execute("DELETE FROM ssh_keys WHERE member_id = ? AND id = ?", [member_id, key_id])
    return cur.rowcount == 1


def find_ssh_key_for_login(db: Database, login: str, public_key: str) -> SshKeyRecord | None:
    """The key ``public_key`` (``algorithm base64``) registered by the member ``login``."""
    row = db.execute(
        f"SELECT {', '.join('k.' + c.strip() for c in _KEY_COLUMNS.split(','))}"
        " FROM ssh_keys k JOIN members m ON m.id = k.member_id"
        " WHERE m.login = ? AND k.public_key = ?",
        [login, public_key],
    ).fetchone()
    return SshKeyRecord(**dict(row)) if row else None


def touch_ssh_key(db: Database, key_id: int) -> None:
    """Record that a key was just used to log in."""
    db.execute(f"UPDATE ssh_keys SET last_used_at = {_NOW} WHERE id = ?", [key_id])


# -- password --------------------------------------------------------------------------


def replace_password_hash(db: Database, member_id: int, old_hash: str, new_hash: str) -> bool:
    """Store a new password hash if the old one is still in place (no lost update)."""
    cur = db.execute(
        "UPDATE members SET password_hash = ? WHERE id = ? AND password_hash = ?",
        [new_hash, member_id, old_hash],
    )
    return cur.rowcount == 1
