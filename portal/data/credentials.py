"""Credential documents storage: one row per document, its file kept outside the database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

__all__ = [
    "Credential",
    "count_pending",
    "data_directory",
    "delete_credential",
    "get_credential",
    "insert_credential",
    "list_for_member",
    "list_pending",
    "mark_decided",
    "replace_file",
]


@dataclass(frozen=True)
class Credential:
    """A document a member attached to prove a change of situation."""

    id: int
    member_id: int
    organization_id: int
    type: str
    label: str
    """The member's name for an ``other`` document ('' for the other types)."""
    note: str
    original_name: str
    """The member's file name: metadata only, never a path."""
    stored_name: str
    """The random name of the file in the storage folder."""
    content_type: str
    size: int
    sha256: str
    status: str
    """``pending``, ``validated`` or ``refused``."""
    reason: str | None
    decided_by: int | None
    decided_at: str | None
    created_at: str
    updated_at: str
    member_name: str = ""
    """First and last name of the member (for managers' lists)."""
    member_login: str = ""


_SELECT = """
    SELECT c.id, c.member_id, c.organization_id, c.type, c.label, c.note, c.original_name,
           c.stored_name, c.content_type, c.size, c.sha256, c.status, c.reason, c.decided_by,
           c.decided_at, c.created_at, c.updated_at,
           m.first_name || ' ' || m.last_name AS member_name, m.login AS member_login
    FROM credentials c JOIN members m ON m.id = c.member_id
"""

_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"


def _credential(row: object) -> Credential:
    return Credential(**dict(row))  # type: ignore[call-overload]


def data_directory(db: Database) -> Path | None:
    """The folder of the main database file (None for an in-memory database)."""
    row = db.execute("PRAGMA database_list").fetchone()
    name = str(row["file"] or "") if row else ""
    return Path(name).parent if name else None


def insert_credential(
    db: Database,
    *,
    member_id: int,
    organization_id: int,
    type: str,
    label: str,
    note: str,
    original_name: str,
    stored_name: str,
    content_type: str,
    size: int,
    sha256: str,
) -> int:
    """Insert a pending credential and return its id."""
    cur = db.execute(
        "INSERT INTO credentials (member_id, organization_id, type, label, note, original_name,"
        " stored_name, content_type, size, sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            member_id,
            organization_id,
            type,
            label,
            note,
            original_name,
            stored_name,
            content_type,
            size,
            sha256,
        ],
    )
    return int(cur.lastrowid or 0)


def get_credential(db: Database, credential_id: int) -> Credential | None:
    """One credential by id."""
    row = db.execute(f"{_SELECT} WHERE c.id = ?", [credential_id]).fetchone()
    return _credential(row) if row else None


def list_for_member(db: Database, member_id: int) -> list[Credential]:
    """A member's credentials, newest first."""
    rows = db.execute(
        f"{_SELECT} WHERE c.member_id = ? ORDER BY c.created_at DESC, c.id DESC", [member_id]
    ).fetchall()
    return [_credential(r) for r in rows]


def list_pending(db: Database, organization_id: int | None) -> list[Credential]:
    """Pending credentials of one organization (every one for None), oldest first."""
    where, params = "c.status = 'pending'", []
    if organization_id is not None:
        where += " AND c.organization_id = ?"
        params.append(organization_id)
    rows = db.execute(f"{_SELECT} WHERE {where} ORDER BY c.updated_at, c.id", params).fetchall()
    return [_credential(r) for r in rows]


def count_pending(db: Database, organization_id: int | None) -> int:
    """How many credentials wait for a decision (in one organization, or in all)."""
    sql = "SELECT COUNT(*) FROM credentials WHERE status = 'pending'"
    params: list[object] = []
    if organization_id is not None:
        sql += " AND organization_id = ?"
        params.append(organization_id)
    return int(db.execute(sql, params).fetchone()[0])


def replace_file(
    db: Database,
    credential_id: int,
    *,
    original_name: str,
    stored_name: str,
    content_type: str,
    size: int,
    sha256: str,
) -> bool:
    """Put a new file on a credential not validated (it waits for a decision again)."""
    cur = db.execute(
        "UPDATE credentials SET original_name = ?, stored_name = ?, content_type = ?, size = ?,"
        " sha256 = ?, status = 'pending', reason = NULL, decided_by = NULL, decided_at = NULL,"
        f" updated_at = {_NOW} WHERE id = ? AND status != 'validated'",
        [original_name, stored_name, content_type, size, sha256, credential_id],
    )
    return cur.rowcount == 1


def delete_credential(db: Database, credential_id: int) -> bool:
    """Delete a credential that is not validated; False if it is (or is gone)."""
    cur = db.execute(
        "DELETE FROM credentials WHERE id = ? AND status != 'validated'", [credential_id]
    )
    return cur.rowcount == 1


def mark_decided(
    db: Database, credential_id: int, *, status: str, reason: str | None, decided_by: int
) -> bool:
    """Validate or refuse a pending credential; False if it is no longer pending."""
    cur = db.execute(
        f"UPDATE credentials SET status = ?, reason = ?, decided_by = ?, decided_at = {_NOW},"
        f" updated_at = {_NOW} WHERE id = ? AND status = 'pending'",
        [status, reason, decided_by, credential_id],
    )
    return cur.rowcount == 1
