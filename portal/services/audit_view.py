"""Reading the audit log: filters, pages, and a CSV export to the manager's outbox.

A manager reads their organization's rows only, whatever filter they pass; an admin
reads every row, with the organization named. Details are returned as the stored JSON
text, which never holds a secret (``audit.record`` refuses secret keys); screens show it
as plain text, never as markup.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlite_utils import Database

from portal.config import Settings
from portal.data import audit as audit_data
from portal.data.audit import AuditQuery, AuditRow
from portal.data.members import Member
from portal.i18n import N_, get_translator
from portal.services import authz, exports
from portal.services.errors import UserError
from portal.services.exports import ExportResult
from portal.services.text import check_line

__all__ = [
    "PAGE_SIZE",
    "AuditPage",
    "AuditQuery",
    "AuditRow",
    "build_query",
    "export_csv",
    "search",
]

PAGE_SIZE = 50
"""Rows per page."""
EXPORT_LIMIT = 100_000
"""Most rows one CSV export holds (the newest)."""

BAD_DATE = N_("Write the date as YYYY-MM-DD, for example 2026-03-31.")
BAD_RANGE = N_("The first day comes after the last one.")
TOO_LONG = N_("A filter holds at most 100 characters.")


class AuditFilterError(UserError):
    """A filter that cannot be read (a bad date, control characters)."""


@dataclass(frozen=True)
class AuditPage:
    """One page of entries, newest first."""

    rows: tuple[AuditRow, ...]
    page: int
    """0-based page number."""
    total: int
    """Entries matching the filters in all."""

    @property
    def pages(self) -> int:
        """How many pages the filters give (at least 1)."""
        return max(1, -(-self.total // PAGE_SIZE))


def _date(text: str) -> str:
    text = check_line(text, error=AuditFilterError)
    if not text:
        return ""
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise AuditFilterError(BAD_DATE) from None


def _text(text: str) -> str:
    text = check_line(text, error=AuditFilterError)
    if len(text) > 100:
        raise AuditFilterError(TOO_LONG)
    return text


def build_query(
    *,
    actor_login: str = "",
    action: str = "",
    target: str = "",
    since: str = "",
    until: str = "",
    organization_id: int | None = None,
) -> AuditQuery:
    """Filters as typed, checked: dates ``YYYY-MM-DD``, no control characters.

    Raises:
        AuditFilterError: A filter that cannot be read (with the sentence to show).
    """
    query = AuditQuery(
        organization_id=organization_id,
        actor_login=_text(actor_login),
        action=_text(action).lower(),
        target=_text(target),
        since=_date(since),
        until=_date(until),
    )
    if query.since and query.until and query.since > query.until:
        raise AuditFilterError(BAD_RANGE)
    return query


def _scoped(db: Database, actor: Member, query: AuditQuery) -> tuple[Member, AuditQuery]:
    current = authz.current_manager(db, actor)
    if current.role == "admin":
        return current, query
    if current.organization_id is None:
        raise PermissionError("a manager without an organization")
    return current, replace(query, organization_id=current.organization_id)


def search(db: Database, actor: Member, query: AuditQuery, page: int = 0) -> AuditPage:
    """One page of the entries the actor may read that match ``query``."""
    _, scoped = _scoped(db, actor, query)
    total = audit_data.count(db, scoped)
    last = max(0, -(-total // PAGE_SIZE) - 1)
    page = min(max(0, page), last)
    rows = audit_data.search(db, scoped, limit=PAGE_SIZE, offset=page * PAGE_SIZE)
    return AuditPage(tuple(rows), page, total)


def export_csv(db: Database, settings: Settings, actor: Member, query: AuditQuery) -> ExportResult:
    """The entries matching ``query`` (newest first) as CSV in the actor's outbox."""
    current, scoped = _scoped(db, actor, query)
    rows = audit_data.search(db, scoped, limit=EXPORT_LIMIT)
    t = get_translator(current.language)  # worker threads do not know the session's language
    header = [
        t.gettext("Date"),
        t.gettext("Organization"),
        t.gettext("Actor"),
        t.gettext("Action"),
        t.gettext("Target"),
        t.gettext("IP address"),
        t.gettext("Details"),
    ]
    table = [
        [
            r.at,
            r.organization_name or "",
            r.actor_login or "",
            r.action,
            r.target or "",
            r.ip or "",
            r.details,
        ]
        for r in rows
    ]
    return exports.write_csv(
        db, settings, current, "audit", header, table, organization_id=scoped.organization_id
    )
