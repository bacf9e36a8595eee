"""The append-only audit log (a trigger refuses UPDATE and DELETE)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database


@dataclass(frozen=True)
class AuditEntry:
    """One recorded action."""

    id: int
    at: str
    actor_id: int | None
    organization_id: int | None
    action: str
    target: str | None
    ip: str | None
    details: dict[str, Any]


def append(
    db: Database,
    action: str,
    *,
    actor_id: int | None = None,
    organization_id: int | None = None,
    target: str | None = None,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    """Record an action. Never pass secrets, passwords, codes or card numbers in details."""
    cur = db.execute(
        "INSERT INTO audit_log (actor_id, organization_id, action, target, ip, details)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [actor_id, organization_id, action, target, ip, json.dumps(details or {}, sort_keys=True)],
    )
    return int(cur.lastrowid or 0)


def recent(
    db: Database, *, organization_id: int | None = None, limit: int = 100
) -> list[AuditEntry]:
    """The latest entries, newest first; one organization's when given."""
    where, params = (
        ("WHERE organization_id = ?", [organization_id]) if organization_id else ("", [])
    )
    rows = db.execute(
        f"SELECT * FROM audit_log {where} ORDER BY id DESC LIMIT ?", [*params, limit]
    ).fetchall()
    return [AuditEntry(**{**dict(r), "details": json.loads(r["details"] or "{}")}) for r in rows]


# -- the viewer (issue 13) ------------------------------------------------------------


@dataclass(frozen=True)
class AuditRow:
    """One entry as the viewer shows it: who (by login) and which organization (by name)."""

    id: int
    at: str
    actor_id: int | None
    actor_login: str | None
    organization_id: int | None
    organization_name: str | None
    action: str
    target: str | None
    ip: str | None
    details: str
    """The details as stored: JSON text, never parsed into markup."""


@dataclass(frozen=True)
class AuditQuery:
    """Filters of the viewer; each one is ignored when empty."""

    organization_id: int | None = None
    """One organization's rows only (a manager's own, always set for managers)."""
    actor_login: str = ""
    """Rows by the member with this login (exact, case-insensitive)."""
    action: str = ""
    """Actions starting with this text (``auth.`` finds every login event; actions are
    lower-case names, compared as typed)."""
    target: str = ""
    """Targets containing this text."""
    since: str = ""
    """First day included, ``YYYY-MM-DD``."""
    until: str = ""
    """Last day included, ``YYYY-MM-DD``."""


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(query: AuditQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if query.organization_id is not None:
        clauses.append("a.organization_id = ?")
        params.append(query.organization_id)
    if query.actor_login:
        clauses.append("a.actor_id = (SELECT id FROM members WHERE login = ?)")
        params.append(query.actor_login)
    if query.action:  # a prefix, as a range: the index on action serves it
        clauses.append("a.action >= ? AND a.action < ?")
        params.extend([query.action, query.action + "\U0010ffff"])
    if query.target:
        clauses.append("a.target LIKE ? ESCAPE '\\'")
        params.append("%" + _escape_like(query.target) + "%")
    if query.since:
        clauses.append("a.at >= ?")
        params.append(query.since)
    if query.until:
        clauses.append("a.at < date(?, '+1 day')")
        params.append(query.until)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


_ROW_SELECT = """
    SELECT a.id, a.at, a.actor_id, m.login AS actor_login, a.organization_id,
           o.name AS organization_name, a.action, a.target, a.ip, a.details
    FROM audit_log a
    LEFT JOIN members m ON m.id = a.actor_id
    LEFT JOIN organizations o ON o.id = a.organization_id
"""


def search(db: Database, query: AuditQuery, *, limit: int, offset: int = 0) -> list[AuditRow]:
    """Entries matching ``query``, newest first, one page of them."""
    where, params = _where(query)
    rows = db.execute(
        f"{_ROW_SELECT}{where} ORDER BY a.id DESC LIMIT ? OFFSET ?", [*params, limit, offset]
    ).fetchall()
    return [AuditRow(**dict(r)) for r in rows]


def count(db: Database, query: AuditQuery) -> int:
    """How many entries match ``query``."""
    where, params = _where(query)
    return int(db.execute(f"SELECT count(*) FROM audit_log a{where}", params).fetchone()[0])


# -- erasure of a member's personal data (GDPR) ----------------------------------------


def rows_mentioning(db: Database, needles: list[str]) -> list[tuple[int, str | None, str]]:
    """``(id, target, details)`` of the rows whose target or details hold any needle
    (case-insensitive)."""
    needles = [n.lower() for n in needles if n]
    if not needles:
        return []
    test = " OR ".join(
        "instr(lower(COALESCE(target, '')), ?) > 0 OR instr(lower(details), ?) > 0" for _ in needles
    )
    params = [n for n in needles for _ in (0, 1)]
    rows = db.execute(f"SELECT id, target, details FROM audit_log WHERE {test}", params)
    return [(int(r[0]), r[1], str(r[2])) for r in rows.fetchall()]


def rewrite_for_erasure(db: Database, entry_id: int, target: str | None, details: str) -> None:
    """Replace the target and details of one row (only inside :func:`erasing`'s window)."""
    db.execute(
        "UPDATE audit_log SET target = ?, details = ? WHERE id = ?", [target, details, entry_id]
    )


def open_erasure(db: Database) -> None:
    """Allow :func:`rewrite_for_erasure` until :func:`close_erasure`, in one transaction."""
    db.execute("INSERT INTO erasure_in_progress (id) VALUES (1)")


def close_erasure(db: Database) -> None:
    """Make the audit log append-only again."""
    db.execute("DELETE FROM erasure_in_progress")
