"""The dashboard's figures: sums over the wallet ledger and the orders (issue 13).

Every function takes ``organization_id`` (None: every organization, for admins) and a
calendar ``year``; they are single aggregate queries over ``ledger_monthly`` (the
ledger's sums per organization, program, month and entry, kept by a trigger) or over
covering indexes (migration ``m0480_reporting``), measured at 100,000 members and
1,000,000 ledger rows by ``python -m tests.bench dashboard``.

Benefits spent are what the ledger says: debits (negative) minus refunds (positive) of
the year's rows; orders still awaiting payment, cancelled or refunded are no spending.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

SPENT_STATUSES = ("validated", "preparing", "available", "shipped")
"""Orders that count as spending (paid and not cancelled)."""


@dataclass(frozen=True)
class MonthSpending:
    """What members spent in one month."""

    month: int
    """1 to 12."""
    benefits_cents: int
    """Subsidies and vouchers spent (ledger debits net of refunds)."""
    card_cents: int
    """Paid by card, on orders that count as spending."""
    orders: int
    """Orders that count as spending, made that month."""


@dataclass(frozen=True)
class ProgramUse:
    """One allocation program: what was allocated, spent, lapsed, and what is left."""

    program_id: int
    label: str
    kind: str
    organization_id: int
    members: int
    allocated_cents: int
    spent_cents: int
    lapsed_cents: int
    remaining_cents: int


@dataclass(frozen=True)
class TopOffer:
    """An offer by the amount members ordered."""

    title: str
    quantity: int
    total_cents: int


@dataclass(frozen=True)
class MemberCounts:
    """Accounts of the organization(s)."""

    active: int
    """Active accounts (admins aside)."""
    buyers: int
    """Members with at least one order that counts as spending in the year."""
    pending: int
    """Accounts waiting: sign-up validated but not activated, invited, locked."""


def _org(column: str, organization_id: int | None) -> tuple[str, list[Any]]:
    if organization_id is None:
        return "", []
    return f" AND {column} = ?", [organization_id]


def _span(year: int) -> list[str]:
    return [f"{year:04d}-01-01", f"{year + 1:04d}-01-01"]


def benefits_per_month(db: Database, organization_id: int | None, year: int) -> dict[int, int]:
    """Benefits spent per month (1-12) of ``year``, in cents (months without any left out).

    Read from ``ledger_monthly``, the ledger's sums kept by a trigger (see ``m0480``).
    """
    where, params = _org("organization_id", organization_id)
    rows = db.execute(
        "SELECT CAST(substr(month, 6, 2) AS INTEGER) AS m, -SUM(amount_cents) AS spent"
        " FROM ledger_monthly WHERE month >= ? AND month < ? AND entry IN ('debit', 'refund')"
        f"{where} GROUP BY m",
        [f"{year:04d}-01", f"{year + 1:04d}-01", *params],
    ).fetchall()
    return {int(r["m"]): int(r["spent"]) for r in rows if r["spent"]}


def orders_per_month(
    db: Database, organization_id: int | None, year: int
) -> dict[int, tuple[int, int]]:
    """``{month: (orders, card_cents)}`` of the orders that count as spending."""
    where, params = _org("organization_id", organization_id)
    marks = ", ".join("?" for _ in SPENT_STATUSES)
    rows = db.execute(
        "SELECT CAST(substr(created_at, 6, 2) AS INTEGER) AS month, count(*) AS n,"
        " SUM(card_cents) AS card FROM orders"
        f" WHERE created_at >= ? AND created_at < ? AND status IN ({marks}){where}"
        " GROUP BY month",
        [*_span(year), *SPENT_STATUSES, *params],
    ).fetchall()
    return {int(r["month"]): (int(r["n"]), int(r["card"] or 0)) for r in rows}


def program_use(db: Database, organization_id: int | None, year: int) -> list[ProgramUse]:
    """Every program of ``year`` with its ledger sums (every month's), by kind then label."""
    where, params = _org("p.organization_id", organization_id)
    rows = db.execute(
        "SELECT p.id AS program_id, p.label, p.kind, p.organization_id,"
        " (SELECT count(*) FROM allocations a WHERE a.organization_id = p.organization_id"
        "   AND a.program_id = p.id) AS members,"
        " COALESCE(SUM(CASE WHEN s.entry = 'grant' THEN s.amount_cents END), 0)"
        "   AS allocated_cents,"
        " -COALESCE(SUM(CASE WHEN s.entry IN ('debit', 'refund') THEN s.amount_cents END), 0)"
        "   AS spent_cents,"
        " -COALESCE(SUM(CASE WHEN s.entry = 'lapse' THEN s.amount_cents END), 0)"
        "   AS lapsed_cents,"
        " COALESCE(SUM(s.amount_cents), 0) AS remaining_cents"
        " FROM allocation_programs p"
        " LEFT JOIN ledger_monthly s ON s.organization_id = p.organization_id"
        "   AND s.program_id = p.id"
        f" WHERE p.year = ?{where} GROUP BY p.id ORDER BY p.kind, p.label, p.id",
        [year, *params],
    ).fetchall()
    return [ProgramUse(**dict(r)) for r in rows]


def top_offers(
    db: Database, organization_id: int | None, year: int, *, limit: int = 10
) -> list[TopOffer]:
    """The offers ordered most (by amount) in ``year``."""
    where, params = _org("o.organization_id", organization_id)
    marks = ", ".join("?" for _ in SPENT_STATUSES)
    rows = db.execute(
        "SELECT l.title, SUM(l.quantity) AS quantity, SUM(l.line_total_cents) AS total_cents"
        " FROM orders o JOIN order_lines l ON l.order_id = o.id"
        f" WHERE o.created_at >= ? AND o.created_at < ? AND o.status IN ({marks}){where}"
        " AND l.status <> 'cancelled'"
        " GROUP BY COALESCE(l.offer_id, l.title) ORDER BY total_cents DESC, l.title LIMIT ?",
        [*_span(year), *SPENT_STATUSES, *params, limit],
    ).fetchall()
    return [TopOffer(str(r["title"]), int(r["quantity"]), int(r["total_cents"])) for r in rows]


def member_counts(db: Database, organization_id: int | None, year: int) -> MemberCounts:
    """Active and waiting accounts, and the members who bought in ``year``."""
    where, params = _org("organization_id", organization_id)
    row = db.execute(
        "SELECT SUM(status = 'active') AS active,"
        " SUM(status IN ('pending', 'invited', 'locked')) AS pending"
        f" FROM members WHERE role <> 'admin'{where}",
        params,
    ).fetchone()
    marks = ", ".join("?" for _ in SPENT_STATUSES)
    buyers = db.execute(
        "SELECT count(DISTINCT member_id) FROM orders"
        f" WHERE created_at >= ? AND created_at < ? AND status IN ({marks}){where}",
        [*_span(year), *SPENT_STATUSES, *params],
    ).fetchone()[0]
    return MemberCounts(int(row["active"] or 0), int(buyers or 0), int(row["pending"] or 0))


def orders_to_ship(db: Database, organization_id: int | None) -> tuple[int, str | None]:
    """Paid orders with a parcel still to send, and the day the oldest was ordered."""
    where, params = _org("organization_id", organization_id)
    row = db.execute(
        "SELECT count(*), min(created_at) FROM orders"
        f" WHERE status IN ('validated', 'preparing') AND has_postal = 1{where}",
        params,
    ).fetchone()
    return int(row[0]), (str(row[1])[:10] if row[1] else None)
