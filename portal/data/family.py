"""Family data storage: situation, children's birth years, and which credential proves what.

The quotient familial is not here: it stays in ``member_profiles`` where the subsidy
rules read it (``portal.data.subsidies``).
"""

from __future__ import annotations

from sqlite_utils import Database

__all__ = [
    "get_children",
    "get_proofs",
    "get_situation",
    "set_children",
    "set_proof",
    "set_situation",
]


def get_situation(db: Database, member_id: int) -> str | None:
    """The member's family situation, if known."""
    row = db.execute(
        "SELECT situation FROM member_family WHERE member_id = ?", [member_id]
    ).fetchone()
    return None if row is None else row[0]


def set_situation(db: Database, member_id: int, situation: str | None) -> None:
    """Store (or clear) the member's family situation."""
    db.execute(
        "INSERT INTO member_family (member_id, situation) VALUES (?, ?)"
        " ON CONFLICT(member_id) DO UPDATE SET situation = excluded.situation,"
        " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')",
        [member_id, situation],
    )


def get_children(db: Database, member_id: int) -> tuple[int, ...]:
    """The children's birth years, oldest first."""
    rows = db.execute(
        "SELECT birth_year FROM member_children WHERE member_id = ? ORDER BY birth_year, id",
        [member_id],
    ).fetchall()
    return tuple(int(r[0]) for r in rows)


def set_children(db: Database, member_id: int, birth_years: tuple[int, ...]) -> None:
    """Replace the member's children by these birth years (call inside a transaction)."""
    db.execute("DELETE FROM member_children WHERE member_id = ?", [member_id])
    for year in birth_years:
        db.execute(
            "INSERT INTO member_children (member_id, birth_year) VALUES (?, ?)", [member_id, year]
        )


def get_proofs(db: Database, member_id: int) -> dict[str, int]:
    """Field name -> id of the validated credential that proves it."""
    rows = db.execute(
        "SELECT field, credential_id FROM family_proofs WHERE member_id = ?", [member_id]
    ).fetchall()
    return {r["field"]: int(r["credential_id"]) for r in rows}


def set_proof(db: Database, member_id: int, field: str, credential_id: int) -> None:
    """Record that a validated credential proves a field (replacing an older proof)."""
    db.execute(
        "INSERT INTO family_proofs (member_id, field, credential_id) VALUES (?, ?, ?)"
        " ON CONFLICT(member_id, field) DO UPDATE SET credential_id = excluded.credential_id",
        [member_id, field, credential_id],
    )
