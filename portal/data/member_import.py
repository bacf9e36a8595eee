"""Queries of the CSV member import: look-ups by login and email, name and email changes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlite_utils import Database


@dataclass(frozen=True)
class ExistingMember:
    """What the import compares a row with."""

    id: int
    organization_id: int | None
    login: str
    first_name: str
    last_name: str
    org_email: str
    role: str


_SELECT = "SELECT id, organization_id, login, first_name, last_name, org_email, role FROM members"


def by_login(db: Database, login: str) -> ExistingMember | None:
    """The account with this login (any organization)."""
    row = db.execute(_SELECT + " WHERE login = ?", [login]).fetchone()
    return ExistingMember(*row) if row else None


def by_email(db: Database, organization_id: int, email: str) -> list[ExistingMember]:
    """The organization's accounts with this email (case-insensitive)."""
    rows = db.execute(
        _SELECT + " WHERE organization_id = ? AND lower(org_email) = lower(?) ORDER BY id",
        [organization_id, email],
    ).fetchall()
    return [ExistingMember(*r) for r in rows]


def set_identity(db: Database, member_id: int, first_name: str, last_name: str, email: str) -> None:
    """Change a member's names and organization email (the search index follows by trigger)."""
    db.execute(
        "UPDATE members SET first_name = ?, last_name = ?, org_email = ? WHERE id = ?",
        [first_name, last_name, email, member_id],
    )


def group_ids_by_name(db: Database, organization_id: int) -> dict[str, int]:
    """The organization's groups: case-folded name -> id."""
    rows = db.execute(
        "SELECT id, name FROM member_groups WHERE organization_id = ?", [organization_id]
    ).fetchall()
    return {str(r[1]).casefold(): int(r[0]) for r in rows}


def member_group_ids(db: Database, member_id: int) -> set[int]:
    """Ids of the groups a member is in."""
    rows = db.execute(
        "SELECT group_id FROM group_memberships WHERE member_id = ?", [member_id]
    ).fetchall()
    return {int(r[0]) for r in rows}


@contextmanager
def savepoint(db: Database, name: str = "import_row") -> Iterator[None]:
    """Run a block inside a savepoint of the current transaction: on error only the block
    is undone (one rejected row does not undo its batch)."""
    db.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        db.execute(f"ROLLBACK TO {name}")
        db.execute(f"RELEASE {name}")
        raise
    else:
        db.execute(f"RELEASE {name}")
