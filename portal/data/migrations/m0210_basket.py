"""The basket: one row per member, offer and face value, kept across sessions.

Prices are not stored: they are computed from the offer when the basket is read, so a
basket always shows the catalog's current discount. The quantity check is a backstop;
the service enforces the real limit.
"""

from __future__ import annotations

from sqlite_utils import Database

NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))"


def up(db: Database) -> None:
    """Create the basket table."""
    db.executescript(
        f"""
        CREATE TABLE basket_lines (
            id INTEGER PRIMARY KEY,
            member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
            offer_id INTEGER NOT NULL REFERENCES offers(id) ON DELETE CASCADE,
            face_value_cents INTEGER NOT NULL CHECK (face_value_cents > 0),
            quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
            added_at TEXT NOT NULL DEFAULT {NOW},
            updated_at TEXT NOT NULL DEFAULT {NOW},
            UNIQUE (member_id, offer_id, face_value_cents)
        );
        CREATE INDEX basket_lines_offer ON basket_lines(offer_id);
        """
    )
