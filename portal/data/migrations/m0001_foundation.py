"""Organizations, members and the append-only audit log."""

from __future__ import annotations

from sqlite_utils import Database

NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))"


def up(db: Database) -> None:
    """Create the foundation tables."""
    db.executescript(
        f"""
        CREATE TABLE organizations (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            identification_key TEXT UNIQUE,
            created_at TEXT NOT NULL DEFAULT {NOW}
        );
        CREATE TABLE members (
            id INTEGER PRIMARY KEY,
            organization_id INTEGER REFERENCES organizations(id),
            login TEXT NOT NULL UNIQUE COLLATE NOCASE,
            first_name TEXT NOT NULL,
            last_name TEXT NOT NULL,
            org_email TEXT NOT NULL,
            role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member','manager','admin')),
            status TEXT NOT NULL DEFAULT 'active'
                CHECK (status IN ('active','pending','invited','locked','deactivated')),
            language TEXT NOT NULL DEFAULT 'fr' CHECK (language IN ('fr','en')),
            password_hash TEXT,
            created_at TEXT NOT NULL DEFAULT {NOW}
        );
        CREATE INDEX members_org ON members(organization_id);
        CREATE TRIGGER members_login_immutable BEFORE UPDATE OF login ON members
        WHEN NEW.login IS NOT OLD.login
        BEGIN SELECT RAISE(ABORT, 'login is immutable'); END;

        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL DEFAULT {NOW},
            actor_id INTEGER,
            organization_id INTEGER,
            action TEXT NOT NULL,
            target TEXT,
            ip TEXT,
            details TEXT NOT NULL DEFAULT '{{}}'
        );
        CREATE INDEX audit_org_at ON audit_log(organization_id, at);
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
        """
    )
