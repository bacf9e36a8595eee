"""Membership-card verification counters (one row per member whose card was checked)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database


@dataclass(frozen=True)
class VerificationStats:
    """How many times a member's card was verified, and the last time (ISO UTC)."""

    count: int
    last_at: str | None


def record_verification(db: Database, member_id: int, at: str) -> None:
    """Count one verification of ``member_id``'s card at ``at`` (ISO UTC), atomically."""
    db.execute(
        "INSERT INTO membership_verifications (member_id, count, last_at) VALUES (?, 1, ?) "
        "ON CONFLICT(member_id) DO UPDATE SET count = count + 1, last_at = excluded.last_at",
        [member_id, at],
    )


def get_verification_stats(db: Database, member_id: int) -> VerificationStats:
    """The counter of one member (zero and None when never verified)."""
    row = db.execute(
        "SELECT count, last_at FROM membership_verifications WHERE member_id = ?", [member_id]
    ).fetchone()
    if row is None:
        return VerificationStats(0, None)
    return VerificationStats(int(row["count"]), str(row["last_at"]))
