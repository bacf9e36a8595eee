"""Platform admins' organizations: create, rename, deactivate (login refused, sessions end)."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from portal.data import members as members_data
from portal.data.members import Member
from portal.services import audit, gate, org_admin
from portal.services.gate import GatePolicy
from portal.services.organization import OrganizationError
from tests.session_helpers import FakeSessions


def get(db: Database, login: str) -> Member:
    member = members_data.get_member_by_login(db, login)
    assert member is not None
    return member


POLICY = GatePolicy()


def test_a_deactivated_organization_cannot_log_in_and_its_sessions_end(db: Database) -> None:
    admin, bob = get(db, "admin"), get(db, "bob")
    ok = gate.check_password(db, "bob", "Horizon-Bob-2026!", ip="127.0.0.1", policy=POLICY)
    assert ok.member is not None
    sessions = FakeSessions()
    org = bob.organization_id
    assert org is not None
    ended = org_admin.set_active(db, admin, org, False, sessions=sessions)
    closed = {member_id for member_id, _reason in sessions.closed}
    assert closed == {get(db, "bob").id, get(db, "nina").id} and ended == 2
    refused = gate.check_password(db, "bob", "Horizon-Bob-2026!", ip="127.0.0.1", policy=POLICY)
    assert refused.member is None
    assert gate.login_succeeded(db, bob.id, ip=None, method="password", twofactor=False) is None
    # Other organizations are untouched.
    alice = gate.check_password(db, "alice", "Soleil-Vert-2026!", ip="127.0.0.1", policy=POLICY)
    assert alice.member is not None
    assert "organization.deactivated" in [e.action for e in audit.recent(db, limit=5)]

    org_admin.set_active(db, admin, org, True, sessions=sessions)
    again = gate.check_password(db, "bob", "Horizon-Bob-2026!", ip="127.0.0.1", policy=POLICY)
    assert again.member is not None


def test_create_rename_and_list_say_each_organization(db: Database) -> None:
    admin = get(db, "admin")
    created = org_admin.create(db, admin, "CSE Nouveau")
    assert created.identification_key
    org_admin.rename(db, admin, created.id, "CSE Nouveau Monde")
    rows = {r.name: r for r in org_admin.list_all(db, admin)}
    assert rows["CSE Nouveau Monde"].active and rows["CSE Nouveau Monde"].members == 0
    assert rows["CSE Horizon"].managers == "nina"
    with pytest.raises(OrganizationError):
        org_admin.create(db, admin, "cse horizon")  # case-insensitive duplicate
    with pytest.raises(OrganizationError):
        org_admin.rename(db, admin, created.id, "")


def test_managers_of_each_organization(db: Database) -> None:
    admin = get(db, "admin")
    org = get(db, "bob").organization_id
    assert org is not None
    org_admin.set_manager(db, admin, org, "bob", True, sessions=FakeSessions())
    assert get(db, "bob").role == "manager"
    with pytest.raises(OrganizationError):
        org_admin.set_manager(db, admin, org, "alice", True, sessions=FakeSessions())


@pytest.mark.parametrize("login", ["marc", "nina", "alice"])
def test_a_manager_is_refused_at_the_service(db: Database, login: str) -> None:
    actor = get(db, login)
    org = get(db, "bob").organization_id
    assert org is not None
    with pytest.raises(PermissionError):
        org_admin.list_all(db, actor)
    with pytest.raises(PermissionError):
        org_admin.create(db, actor, "CSE Pirate")
    with pytest.raises(PermissionError):
        org_admin.set_active(db, actor, org, False, sessions=FakeSessions())
    with pytest.raises(PermissionError):
        org_admin.rename(db, actor, org, "X")
    assert org_admin.organization_active(db, org)
