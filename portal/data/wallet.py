"""Benefits storage: programs, allocations and the ledger.

A balance is the sum of an allocation's ledger rows; nothing here edits an amount in
place. ``debit`` is a conditional insert (it writes only while the balance covers it),
and a trigger refuses any row that would take a balance below zero.
Subsidy rules and the quotient familial are stored by ``portal.data.subsidies``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

KINDS = ("subsidy", "gift", "culture")


@dataclass(frozen=True)
class Program:
    """An organization's grant: one kind, amount and period, given to some members."""

    id: int
    organization_id: int
    kind: str
    label: str
    amount_cents: int
    year: int
    valid_from: dt.date
    valid_until: dt.date
    rule_id: int | None
    categories: tuple[str, ...]
    """Offer categories a restricted voucher pays for (empty: any)."""
    event: str | None
    target: str
    renews: bool
    renewed_from: int | None
    late_joiners: str = "prorata"
    """What a member who joins later receives: ``prorata`` (remaining months) or ``whole``."""
    created_at: str = ""
    members: int = 0
    """How many members received it."""


@dataclass(frozen=True)
class Allocation:
    """One member's share of a program, with its balance from the ledger."""

    id: int
    program_id: int
    member_id: int
    organization_id: int
    kind: str
    label: str
    amount_cents: int
    balance_cents: int
    items_used: int
    year: int
    valid_from: dt.date
    valid_until: dt.date
    rule_id: int | None
    categories: tuple[str, ...]
    event: str | None

    def usable_on(self, day: dt.date) -> bool:
        """Whether the allocation may be spent on ``day`` (and has money left)."""
        return self.valid_from <= day <= self.valid_until and self.balance_cents > 0


@dataclass(frozen=True)
class LedgerEntry:
    """A credit or debit of an allocation."""

    id: int
    allocation_id: int
    member_id: int
    entry: str
    amount_cents: int
    item_count: int
    order_id: int | None
    at: str
    kind: str
    label: str


def _categories(text: str | None) -> tuple[str, ...]:
    return tuple(c for c in (text or "").split(",") if c)


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# -- programs and allocations -------------------------------------------------------------


def insert_program(
    db: Database,
    *,
    organization_id: int,
    kind: str,
    label: str,
    amount_cents: int,
    year: int,
    valid_from: dt.date,
    valid_until: dt.date,
    rule_id: int | None = None,
    categories: tuple[str, ...] = (),
    event: str | None = None,
    target: str = "member",
    renews: bool = True,
    renewed_from: int | None = None,
    created_by: int | None = None,
    late_joiners: str = "prorata",
    created_at: str | None = None,
) -> int:
    """Insert a program and return its id (``created_at``: the services' clock, ISO UTC)."""
    cur = db.execute(
        "INSERT INTO allocation_programs (organization_id, kind, label, amount_cents, year,"
        " valid_from, valid_until, rule_id, categories, event, target, renews, renewed_from,"
        " created_by, late_joiners, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
        " COALESCE(?, strftime('%Y-%m-%dT%H:%M:%fZ','now')))",
        [
            organization_id,
            kind,
            label,
            amount_cents,
            year,
            valid_from.isoformat(),
            valid_until.isoformat(),
            rule_id,
            ",".join(categories) or None,
            event,
            target,
            int(renews),
            renewed_from,
            created_by,
            late_joiners,
            created_at,
        ],
    )
    return int(cur.lastrowid or 0)


_PROGRAM_SELECT = """
    SELECT p.id, p.organization_id, p.kind, p.label, p.amount_cents, p.year, p.valid_from,
           p.valid_until, p.rule_id, p.categories, p.event, p.target, p.renews, p.renewed_from,
           p.late_joiners, p.created_at,
           (SELECT COUNT(*) FROM allocations a WHERE a.program_id = p.id) AS members
    FROM allocation_programs p
"""


def _program(row: Any) -> Program:
    d = dict(row)
    return Program(
        **{
            **d,
            "valid_from": _date(d["valid_from"]),
            "valid_until": _date(d["valid_until"]),
            "categories": _categories(d["categories"]),
            "renews": bool(d["renews"]),
        }
    )


def get_program(db: Database, program_id: int) -> Program | None:
    """One program."""
    row = db.execute(_PROGRAM_SELECT + " WHERE p.id = ?", [program_id]).fetchone()
    return _program(row) if row else None


def list_programs(
    db: Database, organization_id: int | None, year: int | None = None
) -> list[Program]:
    """Programs of one organization (or all), newest first."""
    where, params = [], []
    if organization_id is not None:
        where.append("p.organization_id = ?")
        params.append(organization_id)
    if year is not None:
        where.append("p.year = ?")
        params.append(year)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    rows = db.execute(_PROGRAM_SELECT + clause + " ORDER BY p.year DESC, p.id DESC", params)
    return [_program(r) for r in rows.fetchall()]


def program_renewed(db: Database, program_id: int) -> int | None:
    """The id of the program that renewed ``program_id``, if any."""
    row = db.execute(
        "SELECT id FROM allocation_programs WHERE renewed_from = ?", [program_id]
    ).fetchone()
    return None if row is None else int(row[0])


def program_member_ids(db: Database, program_id: int) -> list[int]:
    """Members who received a program."""
    rows = db.execute(
        "SELECT member_id FROM allocations WHERE program_id = ? ORDER BY member_id", [program_id]
    )
    return [int(r[0]) for r in rows.fetchall()]


def insert_allocation(
    db: Database,
    *,
    program_id: int,
    member_id: int,
    organization_id: int,
    amount_cents: int,
) -> int:
    """Insert an allocation (its credit is a separate ledger row) and return its id."""
    cur = db.execute(
        "INSERT INTO allocations (program_id, member_id, organization_id, amount_cents)"
        " VALUES (?, ?, ?, ?)",
        [program_id, member_id, organization_id, amount_cents],
    )
    return int(cur.lastrowid or 0)


_ALLOCATION_SELECT = """
    SELECT a.id, a.program_id, a.member_id, a.organization_id, p.kind, p.label, a.amount_cents,
           (SELECT COALESCE(SUM(l.amount_cents), 0) FROM wallet_ledger l
             WHERE l.allocation_id = a.id) AS balance_cents,
           (SELECT COALESCE(SUM(l.item_count), 0) FROM wallet_ledger l
             WHERE l.allocation_id = a.id) AS items_used,
           p.year, p.valid_from, p.valid_until, p.rule_id, p.categories, p.event
    FROM allocations a JOIN allocation_programs p ON p.id = a.program_id
"""


def _allocation(row: Any) -> Allocation:
    d = dict(row)
    return Allocation(
        **{
            **d,
            "valid_from": _date(d["valid_from"]),
            "valid_until": _date(d["valid_until"]),
            "categories": _categories(d["categories"]),
        }
    )


def member_allocations(
    db: Database,
    member_id: int,
    *,
    usable_on: dt.date | None = None,
    since_year: int | None = None,
) -> list[Allocation]:
    """A member's allocations, soonest-ending first.

    Args:
        usable_on: Only those valid that day with money left.
        since_year: Only those of this year or later.
    """
    where: list[str] = ["a.member_id = ?"]
    params: list[Any] = [member_id]
    if usable_on is not None:
        where.append("p.valid_from <= ? AND p.valid_until >= ?")
        params += [usable_on.isoformat(), usable_on.isoformat()]
    if since_year is not None:
        where.append("p.year >= ?")
        params.append(since_year)
    rows = db.execute(
        _ALLOCATION_SELECT + " WHERE " + " AND ".join(where) + " ORDER BY p.valid_until, a.id",
        params,
    ).fetchall()
    found = [_allocation(r) for r in rows]
    if usable_on is not None:
        found = [a for a in found if a.balance_cents > 0]
    return found


def get_allocation(db: Database, allocation_id: int) -> Allocation | None:
    """One allocation with its balance."""
    row = db.execute(_ALLOCATION_SELECT + " WHERE a.id = ?", [allocation_id]).fetchone()
    return _allocation(row) if row else None


def balance(db: Database, allocation_id: int) -> int:
    """An allocation's balance: the sum of its ledger rows."""
    row = db.execute(
        "SELECT COALESCE(SUM(amount_cents), 0) FROM wallet_ledger WHERE allocation_id = ?",
        [allocation_id],
    ).fetchone()
    return int(row[0])


def subsidy_usage(db: Database, member_id: int, rule_id: int, year: int) -> tuple[int, int]:
    """Cents and items a member has had subsidized under a rule in a year (net of refunds)."""
    row = db.execute(
        "SELECT COALESCE(-SUM(l.amount_cents), 0), COALESCE(SUM(l.item_count), 0)"
        " FROM wallet_ledger l JOIN allocations a ON a.id = l.allocation_id"
        " JOIN allocation_programs p ON p.id = a.program_id"
        " WHERE a.member_id = ? AND p.rule_id = ? AND p.year = ? AND l.entry IN ('debit','refund')",
        [member_id, rule_id, year],
    ).fetchone()
    return int(row[0]), int(row[1])


def gift_allocated(db: Database, member_id: int, year: int, event: str | None) -> int:
    """Gift-voucher cents allocated to a member for a year (for one event, or untied ones)."""
    clause = "p.event = ?" if event else "p.event IS NULL"
    params: list[Any] = [member_id, year] + ([event] if event else [])
    row = db.execute(
        "SELECT COALESCE(SUM(a.amount_cents), 0) FROM allocations a"
        " JOIN allocation_programs p ON p.id = a.program_id"
        f" WHERE a.member_id = ? AND p.kind = 'gift' AND p.year = ? AND {clause}",
        params,
    ).fetchone()
    return int(row[0])


# -- ledger -------------------------------------------------------------------------------


def credit(
    db: Database,
    *,
    allocation_id: int,
    member_id: int,
    amount_cents: int,
    entry: str = "grant",
    order_id: int | None = None,
    item_count: int = 0,
    actor_id: int | None = None,
) -> int:
    """Append a credit (``grant`` or ``refund``) and return its id."""
    if amount_cents <= 0 or entry not in ("grant", "refund"):
        raise ValueError("a credit is a positive grant or refund")
    cur = db.execute(
        "INSERT INTO wallet_ledger (allocation_id, member_id, entry, amount_cents, item_count,"
        " order_id, actor_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [allocation_id, member_id, entry, amount_cents, item_count, order_id, actor_id],
    )
    return int(cur.lastrowid or 0)


def debit(
    db: Database,
    *,
    allocation_id: int,
    member_id: int,
    amount_cents: int,
    entry: str = "debit",
    order_id: int | None = None,
    item_count: int = 0,
    actor_id: int | None = None,
) -> bool:
    """Append a debit only if the balance covers it; False (nothing written) otherwise.

    Runs inside the caller's ``BEGIN IMMEDIATE`` transaction, so the balance read and the
    insert cannot be separated by another writer.
    """
    if amount_cents <= 0 or entry not in ("debit", "lapse"):
        raise ValueError("a debit is a positive amount taken by a debit or lapse")
    cur = db.execute(
        "INSERT INTO wallet_ledger (allocation_id, member_id, entry, amount_cents, item_count,"
        " order_id, actor_id)"
        " SELECT ?, ?, ?, ?, ?, ?, ? WHERE (SELECT COALESCE(SUM(amount_cents), 0)"
        " FROM wallet_ledger WHERE allocation_id = ?) >= ?",
        [
            allocation_id,
            member_id,
            entry,
            -amount_cents,
            item_count,
            order_id,
            actor_id,
            allocation_id,
            amount_cents,
        ],
    )
    return cur.rowcount == 1


def order_entries(db: Database, order_id: int) -> list[LedgerEntry]:
    """Ledger rows of one order (debits at checkout, refunds at cancellation)."""
    rows = db.execute(
        "SELECT l.id, l.allocation_id, l.member_id, l.entry, l.amount_cents, l.item_count,"
        " l.order_id, l.at, p.kind, p.label FROM wallet_ledger l"
        " JOIN allocations a ON a.id = l.allocation_id"
        " JOIN allocation_programs p ON p.id = a.program_id"
        " WHERE l.order_id = ? ORDER BY l.id",
        [order_id],
    ).fetchall()
    return [LedgerEntry(**dict(r)) for r in rows]


def allocation_entries(db: Database, allocation_id: int) -> list[LedgerEntry]:
    """Every ledger row of one allocation, oldest first."""
    rows = db.execute(
        "SELECT l.id, l.allocation_id, l.member_id, l.entry, l.amount_cents, l.item_count,"
        " l.order_id, l.at, p.kind, p.label FROM wallet_ledger l"
        " JOIN allocations a ON a.id = l.allocation_id"
        " JOIN allocation_programs p ON p.id = a.program_id"
        " WHERE l.allocation_id = ? ORDER BY l.id",
        [allocation_id],
    ).fetchall()
    return [LedgerEntry(**dict(r)) for r in rows]


def expired_with_balance(db: Database, before: dt.date) -> list[Allocation]:
    """Allocations whose period ended before ``before`` and still hold money."""
    rows = db.execute(
        "SELECT * FROM (" + _ALLOCATION_SELECT + " WHERE p.valid_until < ?) WHERE balance_cents > 0"
        " ORDER BY id",
        [before.isoformat()],
    ).fetchall()
    return [_allocation(r) for r in rows]


def active_member_ids(db: Database, organization_id: int) -> list[int]:
    """Active members of an organization, admins apart (programs given to everyone)."""
    rows = db.execute(
        "SELECT id FROM members WHERE organization_id = ? AND status = 'active'"
        " AND role != 'admin' ORDER BY id",
        [organization_id],
    )
    return [int(r[0]) for r in rows.fetchall()]


def member_status(db: Database, member_ids: list[int]) -> dict[int, tuple[int | None, str]]:
    """Organization and status of several members."""
    if not member_ids:
        return {}
    marks = ",".join("?" * len(member_ids))
    rows = db.execute(
        f"SELECT id, organization_id, status FROM members WHERE id IN ({marks})", member_ids
    ).fetchall()
    return {int(r[0]): (r[1], r[2]) for r in rows}


def ledger_size(db: Database) -> int:
    """Rows in the ledger (benchmark)."""
    return int(db.execute("SELECT COUNT(*) FROM wallet_ledger").fetchone()[0])
