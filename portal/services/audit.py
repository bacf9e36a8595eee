"""Audit: what happened, who did it, from where. Never secrets.

The table is append-only (triggers refuse UPDATE and DELETE).
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from portal.data import audit as audit_data
from portal.data.audit import AuditEntry

__all__ = ["AuditEntry", "record", "recent"]

_FORBIDDEN_KEYS = {"password", "code", "secret", "totp", "card", "card_number", "cvc", "token"}


def record(
    db: Database,
    action: str,
    *,
    actor_id: int | None = None,
    organization_id: int | None = None,
    target: str | None = None,
    ip: str | None = None,
    **details: Any,
) -> int:
    """Append an entry; refuses detail keys that name secrets, so none slips in."""
    leaked = _FORBIDDEN_KEYS.intersection(k.lower() for k in details)
    if leaked:
        raise ValueError(f"secrets must not be audited: {sorted(leaked)}")
    return audit_data.append(
        db,
        action,
        actor_id=actor_id,
        organization_id=organization_id,
        target=target,
        ip=ip,
        details=details,
    )


def recent(
    db: Database, *, organization_id: int | None = None, limit: int = 100
) -> list[AuditEntry]:
    """Latest entries, newest first (one organization's for a manager)."""
    return audit_data.recent(db, organization_id=organization_id, limit=limit)
