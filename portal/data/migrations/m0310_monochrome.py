"""The member's display preference: the portal without colours (monochrome).

For members whose terminal draws colours badly or who read better without them; the
terminal's own NO_COLOR (or TERM=dumb) has the same effect without a preference.
"""

from __future__ import annotations

from sqlite_utils import Database


def up(db: Database) -> None:
    """Add the preference to the contact details and preferences."""
    db.execute(
        "ALTER TABLE contact_details ADD COLUMN monochrome INTEGER NOT NULL DEFAULT 0"
        " CHECK (monochrome IN (0, 1))"
    )
