"""The member directory: FTS5 search kept in step by triggers, filters, pages, isolation,
a member's detail, the management home's counters, and admins kept out of allocations."""

from __future__ import annotations

import time

import pytest
from sqlite_utils import Database

from portal.data import directory as directory_data
from portal.data import identity_gate as gate_data
from portal.data import members as members_data
from portal.data.db import transaction
from portal.data.members import Member
from portal.services import benefits, clock, directory, family, gate, member_admin
from portal.services.directory import PAGE_SIZE
from portal.services.runtime import Services
from portal.services.text import TextError


def get(db: Database, login: str) -> Member:
    member = members_data.get_member_by_login(db, login)
    assert member is not None
    return member


def logins(result: directory.SearchResult) -> list[str]:
    return [r.login for r in result.rows]


def add(db: Database, org: int, login: str, first: str, last: str, **kw: str) -> int:
    return members_data.create_member(
        db,
        organization_id=org,
        login=login,
        first_name=first,
        last_name=last,
        org_email=f"{login}@demo.example",
        password_hash=None,
        **kw,
    )


def test_search_by_name_prefix_login_and_email_without_accents(db: Database) -> None:
    marc = get(db, "marc")
    add(db, marc.organization_id or 0, "helene", "Hélène", "Lefèvre-Dupré")
    assert logins(directory.search(db, marc, "hel")) == ["helene"]
    assert logins(directory.search(db, marc, "HÉLÈNE lef")) == ["helene"]
    assert logins(directory.search(db, marc, "dupre")) == ["helene"]
    assert logins(directory.search(db, marc, "alice.martin@demo")) == ["alice"]
    assert logins(directory.search(db, marc, "mart")) == ["alice"]
    assert logins(directory.search(db, marc, "zzz")) == []
    # FTS5 syntax typed is just text
    assert logins(directory.search(db, marc, 'ali" OR *')) == []
    assert logins(directory.search(db, marc, "NEAR(")) == []
    with pytest.raises(TextError):
        directory.search(db, marc, "ali\x1b[2J")


def test_the_index_follows_inserts_renames_and_deletes(db: Database) -> None:
    marc = get(db, "marc")
    member_id = add(db, marc.organization_id or 0, "paul", "Paul", "Durand")
    assert logins(directory.search(db, marc, "durand")) == ["paul"]
    db.execute("UPDATE members SET last_name = 'Moreau' WHERE id = ?", [member_id])
    assert logins(directory.search(db, marc, "durand")) == []
    assert logins(directory.search(db, marc, "moreau")) == ["paul"]
    db.execute("DELETE FROM members WHERE id = ?", [member_id])
    assert logins(directory.search(db, marc, "moreau")) == []
    db.execute("INSERT INTO members_fts(members_fts) VALUES ('integrity-check')")


def test_a_manager_sees_only_their_organization_and_never_the_admin(db: Database) -> None:
    marc, nina = get(db, "marc"), get(db, "nina")
    assert sorted(logins(directory.search(db, marc))) == ["alice", "marc"]
    assert logins(directory.search(db, marc, "bob")) == []
    assert logins(directory.search(db, marc, "admin")) == []
    assert sorted(logins(directory.search(db, nina))) == ["bob", "nina"]
    with pytest.raises(PermissionError):
        directory.search(db, marc, organization_id=nina.organization_id)
    with pytest.raises(PermissionError):
        directory.search(db, get(db, "alice"))  # a member


def test_an_admin_sees_every_organization_labelled(db: Database) -> None:
    admin = get(db, "admin")
    result = directory.search(db, admin)
    assert result.all_organizations
    by_login = {r.login: r.organization_name for r in result.rows}
    assert by_login["bob"] == "CSE Horizon" and by_login["alice"] == "CSE Démo"
    one = directory.search(db, admin, organization_id=get(db, "bob").organization_id)
    assert not one.all_organizations and sorted(logins(one)) == ["bob", "nina"]


def test_status_filters_including_locked(db: Database) -> None:
    marc, alice = get(db, "marc"), get(db, "alice")
    org = marc.organization_id or 0
    add(db, org, "ines", "Inès", "Invitée", status="invited")
    add(db, org, "dora", "Dora", "Partie", status="deactivated")
    assert logins(directory.search(db, marc, status="invited")) == ["ines"]
    assert logins(directory.search(db, marc, status="deactivated")) == ["dora"]
    assert logins(directory.search(db, marc, status="locked")) == []
    now = time.time()
    gate_data.add_failure(db, gate.ACCOUNT, "alice", now, forget_before=now - 60)
    gate_data.set_locked_until(db, gate.ACCOUNT, "alice", now + 600)
    locked = directory.search(db, marc, status="locked")
    assert logins(locked) == ["alice"] and locked.rows[0].locked_until
    assert directory.pending_counts(db, marc).locked == 1
    assert directory.pending_counts(db, get(db, "nina")).locked == 0
    member_admin.unlock_member(db, marc, alice.id)
    assert directory.pending_counts(db, marc).locked == 0
    with pytest.raises(Exception, match="Unknown status"):
        directory.search(db, marc, status="bogus")


def test_group_filter_and_another_organizations_group_refused(db: Database) -> None:
    marc, nina, alice = get(db, "marc"), get(db, "nina"), get(db, "alice")
    group = member_admin.create_group(db, marc, "Lyon")
    member_admin.add_to_group(db, marc, group.id, alice.id)
    assert logins(directory.search(db, marc, group_id=group.id)) == ["alice"]
    with pytest.raises(PermissionError):
        directory.search(db, nina, group_id=group.id)
    assert [g.name for g in directory.list_groups(db, marc)] == ["Lyon"]
    assert directory.list_groups(db, nina) == []


def test_pages_of_fifty(db: Database) -> None:
    marc = get(db, "marc")
    org = marc.organization_id or 0
    with transaction(db):
        for n in range(PAGE_SIZE + 5):
            add(db, org, f"user{n:03d}", "Test", f"Zeta{n:03d}")
    first = directory.search(db, marc, "zeta")
    assert len(first.rows) == PAGE_SIZE and first.has_next
    second = directory.search(db, marc, "zeta", page=1)
    assert len(second.rows) == 5 and not second.has_next
    assert not set(logins(first)) & set(logins(second))


def test_member_detail_gathers_everything_and_is_guarded(db: Database) -> None:
    from portal.data import audit as audit_data

    marc, alice, nina, admin = get(db, "marc"), get(db, "alice"), get(db, "nina"), get(db, "admin")
    gate.login_succeeded(db, alice.id, ip="192.0.2.7", method="password", twofactor=False)
    group = member_admin.create_group(db, marc, "Cadres")
    member_admin.add_to_group(db, marc, group.id, alice.id)
    family.set_family(db, marc, alice.id, children_birth_years=(2015, 2019))
    detail = directory.member_detail(db, marc, alice.id)
    assert detail.row.login == "alice" and detail.row.role == "member"
    assert [g.name for g in detail.groups] == ["Cadres"]
    assert detail.family.children_birth_years == (2015, 2019)
    assert detail.family.quotient_familial == 850
    assert detail.benefits and all(b.amount_cents > 0 for b in detail.benefits)
    assert detail.last_logins[0].ip == "192.0.2.7"
    assert detail.last_logins[0].method == "password"
    assert all(d.member_id == alice.id for d in detail.documents)
    assert audit_data.recent(db, limit=1)  # the login row is there
    with pytest.raises(PermissionError):
        directory.member_detail(db, nina, alice.id)  # another organization, by id
    with pytest.raises(PermissionError):
        directory.member_detail(db, marc, admin.id)  # an admin
    with pytest.raises(PermissionError):
        directory.member_detail(db, marc, 999_999)


def test_pending_invitations_of_the_managers_organization(db: Database, services: Services) -> None:
    from portal.services import invitations

    marc, nina = get(db, "marc"), get(db, "nina")
    invitations.invite(
        db,
        marc,
        first_name="Zoé",
        last_name="Petit",
        email="zoe@demo.example",
        login="zoe",
        settings=services.settings,
    )
    pending = directory.pending_invitations(db, marc)
    assert [p.login for p in pending] == ["zoe"] and pending[0].sent_at
    assert directory.pending_invitations(db, nina) == []
    assert [p.organization_name for p in directory.pending_invitations(db, get(db, "admin"))] == [
        "CSE Démo"
    ]


def test_management_home_counts(db: Database) -> None:
    counts = directory.pending_counts(db, get(db, "marc"))
    assert counts.signups >= 0 and counts.documents >= 0 and counts.orders_to_ship >= 0
    with pytest.raises(PermissionError):
        directory.pending_counts(db, get(db, "alice"))


def test_the_admin_receives_no_allocation(db: Database, services: Services) -> None:
    from portal.services import allocations
    from portal.services.allocations import AllocationRequest

    admin, marc = get(db, "admin"), get(db, "marc")
    assert benefits.list_benefits(db, admin) == []  # the demo gives them nothing
    allocations.allocate(
        db,
        marc,
        AllocationRequest(
            kind="culture",
            label="Culture+",
            amount_cents=1000,
            year=clock.today_paris().year,
            everyone=True,
        ),
        settings=services.settings,
    )
    assert benefits.list_benefits(db, admin) == []
    # the program's name says its year
    assert any(
        b.label.startswith("Culture+ ") for b in benefits.list_benefits(db, get(db, "alice"))
    )
    assert "admin" not in [
        m.login
        for m in directory_data.search_members(
            db,
            organization_id=marc.organization_id,
            match=None,
            status=None,
            group_id=None,
            now=time.time(),
            limit=10,
            exclude_admins=True,
        )
    ]


def test_demo_reset_keeps_the_search_index_sound(db: Database) -> None:
    from portal.services import demo, registry

    demo.reset(db, registry.demo_seeders())
    db.execute("INSERT INTO members_fts(members_fts) VALUES ('integrity-check')")
    assert logins(directory.search(db, get(db, "marc"), "ali")) == ["alice"]
