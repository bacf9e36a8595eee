"""Membership-card verifications: how many times each member's card was checked, and when
last (the card itself is a signed token, nothing to store)."""

from __future__ import annotations

from sqlite_utils import Database


def up(db: Database) -> None:
    """Create the verification counter table."""
    db.executescript(
        """
        CREATE TABLE membership_verifications (
            member_id INTEGER PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
            count INTEGER NOT NULL DEFAULT 0 CHECK (count >= 0),
            last_at TEXT NOT NULL
        );
        """
    )
