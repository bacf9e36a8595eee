"""The catalog: partners, their offers, and which organizations may see each offer.

An offer is an e-card (``ecard``: fixed face values or a free amount range, sold at a
discount in basis points), an e-ticket (``eticket``: a unit face value and a unit member
price) or a physical product (``product``: a public price, a member price, maybe shipped).
An offer with no row in ``offer_organizations`` is visible to every organization; with
rows, only to those organizations.
"""

from __future__ import annotations

from sqlite_utils import Database

NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))"


def up(db: Database) -> None:
    """Create the catalog tables."""
    db.executescript(
        f"""
        CREATE TABLE partners (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            website TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL DEFAULT {NOW}
        );
        CREATE TABLE offers (
            id INTEGER PRIMARY KEY,
            partner_id INTEGER NOT NULL REFERENCES partners(id),
            kind TEXT NOT NULL CHECK (kind IN ('ecard','eticket','product')),
            category TEXT NOT NULL,
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            discount_bp INTEGER NOT NULL DEFAULT 0 CHECK (discount_bp BETWEEN 0 AND 10000),
            face_values TEXT NOT NULL DEFAULT '[]',
            min_amount_cents INTEGER CHECK (min_amount_cents > 0),
            max_amount_cents INTEGER CHECK (max_amount_cents >= min_amount_cents),
            unit_face_value_cents INTEGER CHECK (unit_face_value_cents > 0),
            unit_price_cents INTEGER
                CHECK (unit_price_cents BETWEEN 0 AND unit_face_value_cents),
            shipping INTEGER NOT NULL DEFAULT 0 CHECK (shipping IN (0, 1)),
            shipping_cents INTEGER NOT NULL DEFAULT 0 CHECK (shipping_cents >= 0),
            validity_months INTEGER CHECK (validity_months > 0),
            validity TEXT NOT NULL DEFAULT '',
            usable_at TEXT NOT NULL DEFAULT '',
            conditions TEXT NOT NULL DEFAULT '',
            active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
            search_text TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL DEFAULT {NOW},
            updated_at TEXT NOT NULL DEFAULT {NOW},
            CHECK (
                (kind = 'ecard' AND (face_values <> '[]' OR max_amount_cents IS NOT NULL))
                OR (kind <> 'ecard' AND unit_face_value_cents IS NOT NULL
                    AND unit_price_cents IS NOT NULL)
            )
        );
        CREATE INDEX offers_category ON offers(active, category);
        CREATE INDEX offers_partner ON offers(partner_id);
        CREATE TABLE offer_organizations (
            offer_id INTEGER NOT NULL REFERENCES offers(id) ON DELETE CASCADE,
            organization_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            PRIMARY KEY (offer_id, organization_id)
        ) WITHOUT ROWID;
        CREATE INDEX offer_organizations_org ON offer_organizations(organization_id);
        """
    )
