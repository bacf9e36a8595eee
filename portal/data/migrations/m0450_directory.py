"""The member directory: groups, a full-text index of members, organization settings.

``members_fts`` is an FTS5 index over first name, last name, login and organization
email, with ``members`` as its content table; triggers keep it in step with every
insert, delete and change of those four columns, whoever makes it (sign-up, invitation,
import). Prefix indexes of 1 to 3 characters keep search-as-you-type fast.
"""

from __future__ import annotations

from sqlite_utils import Database

NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))"


def up(db: Database) -> None:
    """Create groups, the search index and the organization settings."""
    db.executescript(
        f"""
        CREATE TABLE member_groups (
            id INTEGER PRIMARY KEY,
            organization_id INTEGER NOT NULL REFERENCES organizations(id),
            name TEXT NOT NULL COLLATE NOCASE,
            created_at TEXT NOT NULL DEFAULT {NOW},
            UNIQUE (organization_id, name)
        );
        CREATE TABLE group_memberships (
            group_id INTEGER NOT NULL REFERENCES member_groups(id) ON DELETE CASCADE,
            member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
            added_at TEXT NOT NULL DEFAULT {NOW},
            PRIMARY KEY (group_id, member_id)
        ) WITHOUT ROWID;
        CREATE INDEX group_memberships_member ON group_memberships(member_id);

        CREATE INDEX members_org_name ON members(organization_id, last_name, first_name);
        CREATE INDEX audit_actor_action ON audit_log(actor_id, action);

        CREATE VIRTUAL TABLE members_fts USING fts5(
            first_name, last_name, login, org_email,
            content='members', content_rowid='id',
            tokenize='unicode61 remove_diacritics 2', prefix='1 2 3'
        );
        INSERT INTO members_fts(members_fts) VALUES ('rebuild');
        CREATE TRIGGER members_fts_insert AFTER INSERT ON members BEGIN
            INSERT INTO members_fts(rowid, first_name, last_name, login, org_email)
            VALUES (new.id, new.first_name, new.last_name, new.login, new.org_email);
        END;
        CREATE TRIGGER members_fts_delete AFTER DELETE ON members BEGIN
            INSERT INTO members_fts(members_fts, rowid, first_name, last_name, login, org_email)
            VALUES ('delete', old.id, old.first_name, old.last_name, old.login, old.org_email);
        END;
        CREATE TRIGGER members_fts_update
        AFTER UPDATE OF first_name, last_name, login, org_email ON members BEGIN
            INSERT INTO members_fts(members_fts, rowid, first_name, last_name, login, org_email)
            VALUES ('delete', old.id, old.first_name, old.last_name, old.login, old.org_email);
            INSERT INTO members_fts(rowid, first_name, last_name, login, org_email)
            VALUES (new.id, new.first_name, new.last_name, new.login, new.org_email);
        END;

        CREATE TABLE organization_settings (
            organization_id INTEGER PRIMARY KEY REFERENCES organizations(id),
            require_twofactor INTEGER NOT NULL DEFAULT 0 CHECK (require_twofactor IN (0, 1)),
            support_hours TEXT NOT NULL DEFAULT '',
            support_contact TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL DEFAULT {NOW}
        );
        CREATE TABLE organization_urssaf (
            organization_id INTEGER NOT NULL REFERENCES organizations(id),
            year INTEGER NOT NULL,
            threshold_cents INTEGER NOT NULL CHECK (threshold_cents >= 0),
            PRIMARY KEY (organization_id, year)
        );
        """
    )
