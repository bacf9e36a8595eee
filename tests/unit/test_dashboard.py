"""The dashboard's figures equal the ledger's (summed here row by row, in Python), and a
manager sees their own organization's only."""

from __future__ import annotations

from collections import defaultdict

import pytest
from sqlite_utils import Database

from portal.data import members as members_data
from portal.data.members import Member
from portal.services import clock, dashboard

YEAR = clock.now().year


def member(db: Database, login: str) -> Member:
    found = members_data.get_member_by_login(db, login)
    assert found is not None
    return found


def spend(db: Database, login: str, cents: int, month: int) -> None:
    """A debit on one of the member's allocations of this year (straight in the ledger)."""
    m = member(db, login)
    row = db.execute(
        "SELECT a.id FROM allocations a JOIN allocation_programs p ON p.id = a.program_id"
        " WHERE a.member_id = ? AND p.year = ?"
        " AND (SELECT SUM(amount_cents) FROM wallet_ledger WHERE allocation_id = a.id) >= ?"
        " ORDER BY a.id LIMIT 1",
        [m.id, YEAR, cents],
    ).fetchone()
    if row is None:
        pytest.skip(f"{login} has no allocation of {YEAR} with {cents} cents left")
    db.execute(
        "INSERT INTO wallet_ledger (allocation_id, member_id, entry, amount_cents, at)"
        " VALUES (?, ?, 'debit', ?, ?)",
        [row[0], m.id, -cents, f"{YEAR}-{month:02d}-15T10:00:00.000Z"],
    )


def ledger_truth(db: Database, organization_id: int | None) -> tuple[dict, dict]:
    """Spending per month and sums per program, from every ledger row, in Python."""
    rows = db.execute(
        "SELECT l.entry, l.amount_cents, l.at, a.program_id, a.organization_id, p.year"
        " FROM wallet_ledger l JOIN allocations a ON a.id = l.allocation_id"
        " JOIN allocation_programs p ON p.id = a.program_id"
    ).fetchall()
    per_month: dict[int, int] = defaultdict(int)
    per_program: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for entry, amount, at, program_id, org, year in rows:
        if organization_id is not None and org != organization_id:
            continue
        if entry in ("debit", "refund") and at.startswith(str(YEAR)):
            per_month[int(at[5:7])] -= amount
        if year == YEAR:
            per_program[program_id][entry] += amount
    return per_month, per_program


def check_against_ledger(db: Database, figures: dashboard.Dashboard) -> None:
    per_month, per_program = ledger_truth(db, figures.organization_id)
    assert {m.month: m.benefits_cents for m in figures.months if m.benefits_cents} == {
        k: v for k, v in per_month.items() if v
    }
    for p in figures.programs:
        sums = per_program.get(p.program_id, {})
        assert p.allocated_cents == sums.get("grant", 0)
        assert p.spent_cents == -(sums.get("debit", 0) + sums.get("refund", 0))
        assert p.lapsed_cents == -sums.get("lapse", 0)
        assert p.remaining_cents == sum(sums.values())


def test_the_figures_equal_the_ledger(db: Database) -> None:
    spend(db, "alice", 1250, 3)
    spend(db, "alice", 700, 3)
    marc = member(db, "marc")
    figures = dashboard.load(db, marc, year=YEAR)
    assert figures.organization_id == marc.organization_id
    assert figures.months[2].benefits_cents >= 1950
    check_against_ledger(db, figures)
    everything = dashboard.load(db, member(db, "admin"), None, YEAR)
    assert everything.organization_id is None
    check_against_ledger(db, everything)
    assert everything.benefits_cents >= figures.benefits_cents


def test_a_manager_never_sees_another_organizations_figures(db: Database) -> None:
    marc, bob = member(db, "marc"), member(db, "bob")
    before = dashboard.load(db, marc, year=YEAR)
    spend(db, "bob", 300, 5)
    asked_for_theirs = dashboard.load(db, marc, bob.organization_id, YEAR)
    assert asked_for_theirs.organization_id == marc.organization_id
    assert asked_for_theirs.months == before.months
    assert {p.organization_id for p in asked_for_theirs.programs} <= {marc.organization_id}
    admin_view = dashboard.load(db, member(db, "admin"), bob.organization_id, YEAR)
    assert admin_view.months[4].benefits_cents >= 300
    check_against_ledger(db, admin_view)


def test_members_and_orders_to_ship(db: Database) -> None:
    marc = member(db, "marc")
    figures = dashboard.load(db, marc, year=YEAR)
    active = db.execute(
        "SELECT count(*) FROM members WHERE organization_id = ? AND status = 'active'"
        " AND role <> 'admin'",
        [marc.organization_id],
    ).fetchone()[0]
    assert figures.members.active == active
    to_ship = db.execute(
        "SELECT count(*) FROM orders WHERE organization_id = ? AND has_postal = 1"
        " AND status IN ('validated', 'preparing')",
        [marc.organization_id],
    ).fetchone()[0]
    assert figures.to_ship == to_ship


def test_members_have_no_dashboard(db: Database) -> None:
    with pytest.raises(PermissionError):
        dashboard.load(db, member(db, "alice"))
