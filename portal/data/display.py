"""How a member wants the portal drawn (stored beside their contact preferences)."""

from __future__ import annotations

from sqlite_utils import Database


def get_monochrome(db: Database, member_id: int) -> bool:
    """Whether the member chose to see the portal without colours."""
    row = db.execute(
        "SELECT monochrome FROM contact_details WHERE member_id = ?", [member_id]
    ).fetchone()
    return bool(row and row[0])


def set_monochrome(db: Database, member_id: int, monochrome: bool, *, now: str) -> None:
    """Store the preference (creating the member's preferences row if needed)."""
    db.execute(
        "INSERT INTO contact_details (member_id, monochrome, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (member_id) DO UPDATE SET monochrome = excluded.monochrome,"
        " updated_at = excluded.updated_at",
        [member_id, int(monochrome), now],
    )
