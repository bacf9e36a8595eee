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
