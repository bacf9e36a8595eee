"""Identity: two-factor authentication and SSH keys of members.

- ``member_totp``: one row per member who started or finished a 2FA enrolment. The TOTP
  secret (active and pending) and the recovery-code HMAC key are stored encrypted with
  the process's secret box (key file outside the database); ``last_step`` is the last
  accepted 30-second TOTP step, advanced with a conditional UPDATE so a code is accepted
  once only.
- ``recovery_codes``: HMAC-SHA256 digests of single-use recovery codes (never the codes).
- ``ssh_keys``: public keys a member registered to log in without the password.
"""

from __future__ import annotations

from sqlite_utils import Database

NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))"


def up(db: Database) -> None:
    """Create the identity tables."""
    db.executescript(
        f"""
        CREATE TABLE member_totp (
            member_id INTEGER PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
            enabled INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
            secret_enc TEXT,
            pending_secret_enc TEXT,
            pending_since TEXT,
            recovery_key_enc TEXT,
            last_step INTEGER NOT NULL DEFAULT 0,
            enabled_at TEXT,
            CHECK (enabled = 0 OR secret_enc IS NOT NULL)
        );
        CREATE TABLE recovery_codes (
            id INTEGER PRIMARY KEY,
            member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
            code_hash TEXT NOT NULL,
            created_at TEXT NOT NULL DEFAULT {NOW},
            used_at TEXT,
            UNIQUE (member_id, code_hash)
        );
        CREATE TABLE ssh_keys (
            id INTEGER PRIMARY KEY,
            member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
            algorithm TEXT NOT NULL,
            public_key TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            bits INTEGER,
            label TEXT NOT NULL,
            created_at TEXT NOT NULL DEFAULT {NOW},
            last_used_at TEXT,
            UNIQUE (member_id, fingerprint)
        );
        CREATE INDEX ssh_keys_public_key ON ssh_keys(public_key);
        """
    )
