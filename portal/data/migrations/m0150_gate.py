"""The authentication gate: failure counters (throttling, lockout), sign-up requests and
invitations.

Times that the gate compares with "now" are stored as Unix seconds (REAL) so that tests can
inject a clock; creation stamps stay ISO text like the rest of the schema.
"""

from __future__ import annotations

from sqlite_utils import Database

NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))"


def up(db: Database) -> None:
    """Create the gate, sign-up and invitation tables."""
    db.executescript(
        f"""
        CREATE TABLE auth_throttle (
            scope TEXT NOT NULL,
            key TEXT NOT NULL,
            failures INTEGER NOT NULL DEFAULT 0,
            last_failure_at REAL NOT NULL,
            locked_until REAL,
            PRIMARY KEY (scope, key)
        );
        CREATE INDEX auth_throttle_last ON auth_throttle(last_failure_at);

        CREATE TABLE signup_requests (
            id INTEGER PRIMARY KEY,
            organization_id INTEGER NOT NULL REFERENCES organizations(id),
            first_name TEXT NOT NULL,
            last_name TEXT NOT NULL,
            email TEXT NOT NULL,
            login TEXT NOT NULL COLLATE NOCASE,
            password_hash TEXT,
            language TEXT NOT NULL DEFAULT 'fr' CHECK (language IN ('fr','en')),
            key_verified INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending','approved','refused')),
            reason TEXT,
            ip TEXT,
            created_at TEXT NOT NULL DEFAULT {NOW},
            decided_at TEXT,
            decided_by INTEGER REFERENCES members(id),
            member_id INTEGER REFERENCES members(id)
        );
        CREATE UNIQUE INDEX signup_pending_login ON signup_requests(login)
            WHERE status = 'pending';
        CREATE INDEX signup_org_status ON signup_requests(organization_id, status);

        CREATE TABLE invitations (
            id INTEGER PRIMARY KEY,
            member_id INTEGER NOT NULL REFERENCES members(id),
            code_hash TEXT NOT NULL UNIQUE,
            expires_at REAL NOT NULL,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','used','revoked')),
            created_by INTEGER REFERENCES members(id),
            created_at TEXT NOT NULL DEFAULT {NOW},
            used_at TEXT
        );
        CREATE INDEX invitations_member ON invitations(member_id, status);
        """
    )
