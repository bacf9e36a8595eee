"""Help for members, organizations' status, stock of physical products.

``help_entries`` holds the frequently asked questions in French and English: rows with
no ``organization_id`` are the platform's (edited by admins), the others one
organization's additions (shown to that organization's members only). ``organizations``
gains ``active``: a deactivated organization's members can no longer log in. ``offers``
gains ``stock``: the units of a physical product left (NULL: not counted); an offer with
no unit left is not shown. An index on the members' email per organization keeps the
CSV import's look-ups (and ``email_used``) from scanning every member. The platform's starting questions are inserted here, so that
``portal init --empty`` has them too.
"""

from __future__ import annotations

from sqlite_utils import Database

NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))"


def up(db: Database) -> None:
    """Create the help entries; add the organizations' status and the offers' stock."""
    db.executescript(
        f"""
        CREATE TABLE help_entries (
            id INTEGER PRIMARY KEY,
            organization_id INTEGER REFERENCES organizations(id) ON DELETE CASCADE,
            position INTEGER NOT NULL DEFAULT 0,
            question_fr TEXT NOT NULL,
            answer_fr TEXT NOT NULL,
            question_en TEXT NOT NULL,
            answer_en TEXT NOT NULL,
            search_text TEXT NOT NULL DEFAULT '',
            updated_by INTEGER REFERENCES members(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL DEFAULT {NOW},
            updated_at TEXT NOT NULL DEFAULT {NOW}
        );
        CREATE INDEX help_entries_org ON help_entries(organization_id, position);
        ALTER TABLE organizations ADD COLUMN active INTEGER NOT NULL DEFAULT 1
            CHECK (active IN (0, 1));
        ALTER TABLE offers ADD COLUMN stock INTEGER CHECK (stock >= 0);
        CREATE INDEX IF NOT EXISTS members_org_email ON members(organization_id, lower(org_email));
        """
    )
    from portal.data import help as help_data

    help_data.seed_platform_entries(db)
