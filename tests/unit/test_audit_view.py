"""The audit viewer: filters, pages, and isolation (a manager never reads another
organization's rows; an admin reads all, the organization named)."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from portal.data import members as members_data
from portal.data.members import Member
from portal.services import audit, audit_view
from portal.services.audit_view import PAGE_SIZE, AuditFilterError


def member(db: Database, login: str) -> Member:
    found = members_data.get_member_by_login(db, login)
    assert found is not None
    return found


def test_a_manager_reads_their_organization_only(db: Database) -> None:
    marc, bob = member(db, "marc"), member(db, "bob")
    audit.record(db, "viewer.demo", actor_id=marc.id, organization_id=marc.organization_id)
    audit.record(db, "viewer.horizon", actor_id=bob.id, organization_id=bob.organization_id)
    page = audit_view.search(db, marc, audit_view.build_query(action="viewer."))
    assert [r.action for r in page.rows] == ["viewer.demo"]
    # Asking for the other organization by hand changes nothing.
    query = audit_view.build_query(action="viewer.", organization_id=bob.organization_id)
    page = audit_view.search(db, marc, query)
    assert [r.action for r in page.rows] == ["viewer.demo"]
    everything = audit_view.search(
        db, member(db, "admin"), audit_view.build_query(action="viewer.")
    )
    assert [(r.action, r.organization_name) for r in everything.rows] == [
        ("viewer.horizon", "CSE Horizon"),
        ("viewer.demo", "CSE Démo"),
    ]


def test_filters_by_actor_action_target_and_dates(db: Database) -> None:
    marc, alice = member(db, "marc"), member(db, "alice")
    org = marc.organization_id
    audit.record(db, "filter.one", actor_id=marc.id, organization_id=org, target="order:41")
    audit.record(db, "filter.two", actor_id=alice.id, organization_id=org, target="order:42")

    def actions(**filters: str) -> list[str]:
        query = audit_view.build_query(action="filter.", **filters)
        return [r.action for r in audit_view.search(db, marc, query).rows]

    assert actions() == ["filter.two", "filter.one"]
    assert actions(actor_login="ALICE") == ["filter.two"]
    assert actions(target="order:41") == ["filter.one"]
    assert actions(since="2000-01-01", until="2000-12-31") == []
    today = audit.recent(db, limit=1)[0].at[:10]
    assert actions(since=today, until=today) == ["filter.two", "filter.one"]
    assert actions(target="%") == []  # LIKE wildcards are literal


def test_bad_filters_are_refused_with_a_sentence() -> None:
    with pytest.raises(AuditFilterError):
        audit_view.build_query(since="31/12/2026")
    with pytest.raises(AuditFilterError):
        audit_view.build_query(since="2026-12-31", until="2026-01-01")
    with pytest.raises(AuditFilterError):
        audit_view.build_query(target="x\x1b[31m")


def test_pages(db: Database) -> None:
    marc = member(db, "marc")
    for i in range(PAGE_SIZE + 5):
        audit.record(db, "page.row", actor_id=marc.id, organization_id=marc.organization_id, n=i)
    query = audit_view.build_query(action="page.")
    first = audit_view.search(db, marc, query, 0)
    second = audit_view.search(db, marc, query, 1)
    assert (first.total, first.pages, len(first.rows), len(second.rows)) == (
        PAGE_SIZE + 5,
        2,
        PAGE_SIZE,
        5,
    )
    assert audit_view.search(db, marc, query, 99).page == 1
    assert not {r.id for r in first.rows} & {r.id for r in second.rows}


def test_members_cannot_read_the_log(db: Database) -> None:
    with pytest.raises(PermissionError):
        audit_view.search(db, member(db, "alice"), audit_view.build_query())
