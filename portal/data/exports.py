"""Rows of the managers' CSV exports (members, allocations and balances, orders).

Each function returns plain tuples in the column order of its export, one
organization's rows (or every organization's for ``None``), ordered for reading.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database


def _org(column: str, organization_id: int | None) -> tuple[str, list[Any]]:
    if organization_id is None:
        return "", []
    return f" AND {column} = ?", [organization_id]


def members(db: Database, organization_id: int | None) -> list[tuple[Any, ...]]:
    """``(organization, login, last name, first name, email, role, status, created)``."""
    where, params = _org("m.organization_id", organization_id)
    rows = db.execute(
        "SELECT COALESCE(o.name, ''), m.login, m.last_name, m.first_name, m.org_email,"
        " m.role, m.status, substr(m.created_at, 1, 10)"
        " FROM members m LEFT JOIN organizations o ON o.id = m.organization_id"
        f" WHERE m.role <> 'admin'{where} ORDER BY o.name, m.last_name, m.first_name, m.id",
        params,
    ).fetchall()
    return [tuple(r) for r in rows]


def allocations(db: Database, organization_id: int | None) -> list[tuple[Any, ...]]:
    """``(organization, login, last name, first name, program, kind, year, valid until,
    allocated, spent, lapsed, balance)`` in cents, one row per allocation."""
    where, params = _org("a.organization_id", organization_id)
    rows = db.execute(
        "SELECT COALESCE(o.name, ''), m.login, m.last_name, m.first_name, p.label, p.kind,"
        " p.year, p.valid_until,"
        " COALESCE(SUM(CASE WHEN l.entry = 'grant' THEN l.amount_cents END), 0),"
        " -COALESCE(SUM(CASE WHEN l.entry IN ('debit', 'refund') THEN l.amount_cents END), 0),"
        " -COALESCE(SUM(CASE WHEN l.entry = 'lapse' THEN l.amount_cents END), 0),"
        " COALESCE(SUM(l.amount_cents), 0)"
        " FROM allocations a"
        " JOIN allocation_programs p ON p.id = a.program_id"
        " JOIN members m ON m.id = a.member_id"
        " LEFT JOIN organizations o ON o.id = a.organization_id"
        " LEFT JOIN wallet_ledger l ON l.allocation_id = a.id"
        f" WHERE 1 = 1{where}"
        " GROUP BY a.id ORDER BY o.name, m.last_name, m.first_name, p.year, p.label, a.id",
        params,
    ).fetchall()
    return [tuple(r) for r in rows]


def orders(db: Database, organization_id: int | None) -> list[tuple[Any, ...]]:
    """``(organization, order id, date, login, last name, first name, status, total,
    benefits, card, invoice number, tracking number)``."""
    where, params = _org("r.organization_id", organization_id)
    rows = db.execute(
        "SELECT COALESCE(o.name, ''), r.id, substr(r.created_at, 1, 10), m.login,"
        " m.last_name, m.first_name, r.status, r.total_cents, r.benefits_cents, r.card_cents,"
        " COALESCE(r.invoice_number, ''), COALESCE(r.tracking_number, '')"
        " FROM orders r JOIN members m ON m.id = r.member_id"
        " LEFT JOIN organizations o ON o.id = r.organization_id"
        f" WHERE 1 = 1{where} ORDER BY r.id",
        params,
    ).fetchall()
    return [tuple(r) for r in rows]
