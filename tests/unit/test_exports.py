"""Managers' CSV exports: BOM, ``;``, a header row, parsed back with the csv module;
a manager's file holds their organization only."""

from __future__ import annotations

import csv
import io

import pytest
from sqlite_utils import Database

from portal.config import Settings
from portal.data import members as members_data
from portal.data.members import Member
from portal.services import audit, audit_view, exports, files


def member(db: Database, login: str) -> Member:
    found = members_data.get_member_by_login(db, login)
    assert found is not None
    return found


def parse(settings: Settings, login: str, name: str) -> list[dict[str, str]]:
    raw = (files.outbox_dir(settings, login) / name).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark"
    text = raw.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def test_members_export_holds_the_organization_only(db: Database, settings: Settings) -> None:
    marc = member(db, "marc")
    result = exports.export(db, settings, marc, "members")
    rows = parse(settings, "marc", result.name)
    assert result.rows == len(rows) > 0
    logins = {r["Identifiant"] for r in rows}
    assert "alice" in logins and "bob" not in logins and "nina" not in logins
    assert {r["Organisation"] for r in rows} == {"CSE Démo"}
    alice = next(r for r in rows if r["Identifiant"] == "alice")
    assert alice["Nom"] == "Martin" and alice["Prénom"] == "Alice"
    assert result.sftp_command == files.sftp_command(settings, "marc")
    entry = audit.recent(db, limit=1)[0]
    assert entry.action == "export.members" and entry.target == result.name


def test_allocations_and_balances_agree_with_the_ledger(db: Database, settings: Settings) -> None:
    marc = member(db, "marc")
    result = exports.export(db, settings, marc, "allocations")
    rows = parse(settings, "marc", result.name)
    assert rows and {r["Organisation"] for r in rows} == {"CSE Démo"}

    def cents(text: str) -> int:
        return int(text.replace(",", ""))

    exported = sum(cents(r["Solde (EUR)"]) for r in rows)
    ledger = db.execute(
        "SELECT COALESCE(SUM(l.amount_cents), 0) FROM wallet_ledger l"
        " JOIN members m ON m.id = l.member_id WHERE m.organization_id = ?",
        [marc.organization_id],
    ).fetchone()[0]
    assert exported == ledger
    for r in rows:
        assert cents(r["Alloué (EUR)"]) - cents(r["Dépensé (EUR)"]) - cents(
            r["Expiré (EUR)"]
        ) == cents(r["Solde (EUR)"])


def test_orders_export_and_an_admin_sees_every_organization(
    db: Database, settings: Settings
) -> None:
    admin = member(db, "admin")
    result = exports.export(db, settings, admin, "orders")
    rows = parse(settings, "admin", result.name)
    total = db.execute("SELECT count(*) FROM orders").fetchone()[0]
    assert len(rows) == total
    header = (files.outbox_dir(settings, "admin") / result.name).read_text("utf-8-sig")
    assert header.splitlines()[0].startswith("Organisation;Commande;Date")


def test_a_member_cannot_export_and_a_manager_cannot_choose_another_organization(
    db: Database, settings: Settings
) -> None:
    with pytest.raises(PermissionError):
        exports.export(db, settings, member(db, "alice"), "members")
    marc = member(db, "marc")
    bob = member(db, "bob")
    result = exports.export(db, settings, marc, "members", organization_id=bob.organization_id)
    logins = {r["Identifiant"] for r in parse(settings, "marc", result.name)}
    assert "bob" not in logins


def test_formulas_are_neutralised() -> None:
    raw = exports.csv_bytes(["a", "b"], [["=HYPERLINK(1)", "-12,50"]])
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[1] == ["'=HYPERLINK(1)", "-12,50"]


def test_audit_export_follows_the_filters_and_the_organization(
    db: Database, settings: Settings
) -> None:
    marc, bob = member(db, "marc"), member(db, "bob")
    audit.record(db, "test.mine", actor_id=marc.id, organization_id=marc.organization_id)
    audit.record(db, "test.theirs", actor_id=bob.id, organization_id=bob.organization_id)
    query = audit_view.build_query(action="test.")
    result = audit_view.export_csv(db, settings, marc, query)
    rows = parse(settings, "marc", result.name)
    assert [r["Action"] for r in rows] == ["test.mine"]
    assert rows[0]["Auteur"] == "marc"


def test_urssaf_report_when_available(db: Database, settings: Settings) -> None:
    marc = member(db, "marc")
    if not exports.urssaf_available():
        assert "urssaf" not in exports.kinds()
        pytest.skip("portal.services.urssaf.report is not there yet")
    year = 2026
    result = exports.export(db, settings, marc, "urssaf", year=year)
    rows = parse(settings, "marc", result.name)
    gifts = db.execute(
        "SELECT count(DISTINCT a.member_id) FROM allocations a"
        " JOIN allocation_programs p ON p.id = a.program_id"
        " WHERE p.kind = 'gift' AND p.year = ? AND a.organization_id = ?",
        [year, marc.organization_id],
    ).fetchone()[0]
    assert len(rows) == gifts
    assert "bob" not in {r["Identifiant"] for r in rows}
    for r in rows:
        assert int(r["Soumis à cotisations (EUR)"].replace(",", "")) <= int(
            r["Chèques cadeaux (EUR)"].replace(",", "")
        )
