"""Credential documents (justificatifs) and the family data they prove.

A credential's file lives outside the database, under a random name in the data
directory's ``credentials/`` folder; the row keeps the member's file name as metadata
only, with the file's type, size and SHA-256. The family data (situation, children's
birth years) sits beside ``member_profiles`` (which keeps the quotient familial the
subsidy rules read); ``family_proofs`` says which validated credential proves a field.
"""

from __future__ import annotations

from sqlite_utils import Database

NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))"


def up(db: Database) -> None:
    """Create the credential and family tables."""
    db.executescript(
        f"""
        CREATE TABLE credentials (
            id INTEGER PRIMARY KEY,
            member_id INTEGER NOT NULL REFERENCES members(id),
            organization_id INTEGER NOT NULL REFERENCES organizations(id),
            type TEXT NOT NULL CHECK (type IN ('family_book', 'marriage_pacs', 'birth',
                'tax_notice', 'school', 'other')),
            label TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT '',
            original_name TEXT NOT NULL,
            stored_name TEXT NOT NULL UNIQUE,
            content_type TEXT NOT NULL
                CHECK (content_type IN ('application/pdf', 'image/png', 'image/jpeg')),
            size INTEGER NOT NULL CHECK (size >= 0),
            sha256 TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'validated', 'refused')),
            reason TEXT,
            decided_by INTEGER REFERENCES members(id),
            decided_at TEXT,
            created_at TEXT NOT NULL DEFAULT {NOW},
            updated_at TEXT NOT NULL DEFAULT {NOW},
            CHECK (type != 'other' OR label != ''),
            CHECK (status != 'refused' OR reason IS NOT NULL)
        );
        CREATE INDEX credentials_member ON credentials(member_id, created_at);
        CREATE INDEX credentials_pending ON credentials(organization_id, status, created_at);

        CREATE TABLE member_family (
            member_id INTEGER PRIMARY KEY REFERENCES members(id),
            situation TEXT CHECK (situation IS NULL OR situation IN ('single', 'married',
                'pacs', 'cohabiting', 'divorced', 'widowed')),
            updated_at TEXT NOT NULL DEFAULT {NOW}
        );
        CREATE TABLE member_children (
            id INTEGER PRIMARY KEY,
            member_id INTEGER NOT NULL REFERENCES members(id),
            birth_year INTEGER NOT NULL CHECK (birth_year BETWEEN 1900 AND 2200)
        );
        CREATE INDEX member_children_member ON member_children(member_id);
        CREATE TABLE family_proofs (
            member_id INTEGER NOT NULL REFERENCES members(id),
            field TEXT NOT NULL CHECK (field IN ('situation', 'children', 'quotient_familial')),
            credential_id INTEGER NOT NULL REFERENCES credentials(id),
            PRIMARY KEY (member_id, field)
        );
        """
    )
