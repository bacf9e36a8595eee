"""Privileged calls re-read the actor, and no manager action reaches an admin account."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from portal.data import members as members_data
from portal.data.members import Member
from portal.services import member_admin, twofactor
from portal.services.runtime import Services, StoredSessions


def _get(db: Database, login: str) -> Member:
    member = members_data.get_member_by_login(db, login)
    assert member is not None
    return member


def test_a_manager_cannot_reset_an_admins_two_factor(db: Database, services: Services) -> None:
    marc, admin = _get(db, "marc"), _get(db, "admin")
    assert marc.organization_id == admin.organization_id  # same organization
    twofactor.enroll_for_test(db, services.secrets, admin.id)
    with pytest.raises(PermissionError):
        twofactor.reset(db, marc, admin.id)
    assert twofactor.is_enabled(db, admin.id)
    with pytest.raises(PermissionError):
        member_admin.deactivate_member(db, marc, admin.id, sessions=StoredSessions())


def test_a_manager_resets_a_member_of_their_organization_only(
    db: Database, services: Services
) -> None:
    marc, alice, bob = _get(db, "marc"), _get(db, "alice"), _get(db, "bob")
    twofactor.enroll_for_test(db, services.secrets, alice.id)
    twofactor.enroll_for_test(db, services.secrets, bob.id)
    with pytest.raises(PermissionError):
        twofactor.reset(db, marc, bob.id)  # another organization
    assert twofactor.reset(db, marc, alice.id)
    assert not twofactor.is_enabled(db, alice.id)


def test_the_role_is_read_now_not_from_the_sessions_snapshot(
    db: Database, services: Services
) -> None:
    marc, alice = _get(db, "marc"), _get(db, "alice")  # marc's snapshot says "manager"
    twofactor.enroll_for_test(db, services.secrets, alice.id)
    members_data.set_status(db, marc.id, "deactivated")
    with pytest.raises(PermissionError):
        twofactor.reset(db, marc, alice.id)
    assert twofactor.is_enabled(db, alice.id)


def test_benefits_and_orders_read_the_managers_role_now(db: Database) -> None:
    from portal.data.db import transaction
    from portal.services import orders, subsidies

    marc, alice = _get(db, "marc"), _get(db, "alice")
    assert orders.list_org_orders(db, marc) is not None  # allowed while manager
    with transaction(db):
        db.execute("UPDATE members SET role = 'member' WHERE id = ?", [marc.id])
    with pytest.raises(PermissionError):
        orders.list_org_orders(db, marc)  # the snapshot still says "manager"
    with pytest.raises(PermissionError):
        subsidies.set_quotient_familial(db, marc, alice.id, 800)
