"""Managers' actions on accounts and groups: confirmed by screens, checked and audited here.

Every action re-reads the actor, refuses a manager of another organization (by id),
refuses an admin target for a manager, refuses a deactivated actor, and leaves an
audit row.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlite_utils import Database

from portal.data import identity_gate as gate_data
from portal.data import members as members_data
from portal.data.members import Member
from portal.services import audit, gate, member_admin, twofactor
from portal.services.gate import GateError
from portal.services.runtime import Services
from tests.session_helpers import FakeSessions


def get(db: Database, login: str) -> Member:
    member = members_data.get_member_by_login(db, login)
    assert member is not None
    return member


def actions(db: Database) -> list[str]:
    return [e.action for e in audit.recent(db, limit=20)]


def lock(db: Database, login: str) -> None:
    now = time.time()
    gate_data.add_failure(db, gate.ACCOUNT, login, now, forget_before=now - 60)
    gate_data.set_locked_until(db, gate.ACCOUNT, login, now + 3600)


def test_reactivate_gives_the_account_back_and_is_audited(db: Database) -> None:
    marc, alice = get(db, "marc"), get(db, "alice")
    sessions = FakeSessions()
    member_admin.deactivate_member(db, marc, alice.id, sessions=sessions)
    assert sessions.closed and sessions.closed[0][0] == alice.id
    again = member_admin.reactivate_member(db, marc, alice.id)
    assert again.status == "active"
    assert actions(db)[0] == "member.reactivated"
    with pytest.raises(GateError):
        member_admin.reactivate_member(db, marc, alice.id)  # not deactivated any more


def test_reset_twofactor_delegates_and_says_when_it_was_off(
    db: Database, services: Services
) -> None:
    marc, alice = get(db, "marc"), get(db, "alice")
    twofactor.enroll_for_test(db, services.secrets, alice.id)
    member_admin.reset_twofactor(db, marc, alice.id)
    assert not twofactor.is_enabled(db, alice.id)
    assert actions(db)[0] == "twofactor.reset"
    with pytest.raises(GateError):
        member_admin.reset_twofactor(db, marc, alice.id)


def test_unlock_lifts_the_gates_lock(db: Database) -> None:
    marc, alice = get(db, "marc"), get(db, "alice")
    lock(db, "alice")
    assert member_admin.locked_now(db, alice.id)
    member_admin.unlock_member(db, marc, alice.id)
    assert not member_admin.locked_now(db, alice.id)
    assert gate_data.get_throttle(db, gate.ACCOUNT, "alice") is None
    assert actions(db)[0] == "member.unlocked"


def test_change_role_ends_the_sessions_and_never_reaches_admin(db: Database) -> None:
    marc, alice = get(db, "marc"), get(db, "alice")
    sessions = FakeSessions()
    promoted = member_admin.change_role(db, marc, alice.id, "manager", sessions=sessions)
    assert promoted.role == "manager"
    assert sessions.closed[0][0] == alice.id
    entry = audit.recent(db, limit=1)[0]
    assert entry.action == "member.role_changed"
    assert entry.details == {"old_role": "member", "new_role": "manager"}
    with pytest.raises(GateError):
        member_admin.change_role(db, marc, alice.id, "manager", sessions=sessions)
    with pytest.raises(PermissionError):
        member_admin.change_role(db, marc, alice.id, "admin", sessions=sessions)
    with pytest.raises(GateError):
        member_admin.change_role(db, marc, marc.id, "member", sessions=sessions)
    assert get(db, "marc").role == "manager"


def test_revoke_invitation_deactivates_and_reactivation_invites_again(
    db: Database, services: Services
) -> None:
    from portal.services import invitations

    marc = get(db, "marc")
    invited = invitations.invite(
        db,
        marc,
        first_name="Zoé",
        last_name="Petit",
        email="zoe.petit@demo.example",
        login="zoe",
        settings=services.settings,
    )
    member_admin.revoke_invitation(db, marc, invited.id)
    assert get(db, "zoe").status == "deactivated"
    assert actions(db)[0] == "invitation.revoked"
    assert member_admin.reactivate_member(db, marc, invited.id).status == "invited"


def test_invite_refuses_an_email_already_used_in_the_organization(
    db: Database, services: Services
) -> None:
    from portal.services import invitations

    with pytest.raises(GateError):
        invitations.invite(
            db,
            get(db, "marc"),
            first_name="Alice",
            last_name="Bis",
            email="ALICE.martin@demo.example",
            login="alice2",
            settings=services.settings,
        )
    assert members_data.get_member_by_login(db, "alice2") is None


def _every_action(
    db: Database, services: Services, target: Member
) -> list[Callable[[Member], Any]]:
    group = member_admin.create_group(
        db, get(db, "admin"), "Site X", organization_id=target.organization_id
    )
    s = FakeSessions()
    return [
        lambda actor: member_admin.deactivate_member(db, actor, target.id, sessions=s),
        lambda actor: member_admin.reactivate_member(db, actor, target.id),
        lambda actor: member_admin.reset_twofactor(db, actor, target.id),
        lambda actor: member_admin.unlock_member(db, actor, target.id),
        lambda actor: member_admin.change_role(db, actor, target.id, "manager", sessions=s),
        lambda actor: member_admin.revoke_invitation(db, actor, target.id),
        lambda actor: member_admin.add_to_group(db, actor, group.id, target.id),
        lambda actor: member_admin.remove_from_group(db, actor, group.id, target.id),
    ]


def test_a_manager_of_another_organization_is_refused_everything(
    db: Database, services: Services
) -> None:
    nina, alice = get(db, "nina"), get(db, "alice")
    before = len(audit.recent(db, limit=1000))
    for action in _every_action(db, services, alice):
        with pytest.raises(PermissionError):
            action(nina)
    assert len(audit.recent(db, limit=1000)) == before + 1  # only the admin's group creation
    assert get(db, "alice").status == "active" and get(db, "alice").role == "member"


def test_an_admin_target_is_refused_to_a_manager(db: Database, services: Services) -> None:
    marc, admin = get(db, "marc"), get(db, "admin")
    for action in _every_action(db, services, admin):
        with pytest.raises(PermissionError):
            action(marc)
    assert get(db, "admin").status == "active" and get(db, "admin").role == "admin"


def test_a_deactivated_manager_is_refused(db: Database, services: Services) -> None:
    marc, alice = get(db, "marc"), get(db, "alice")
    actions_list = _every_action(db, services, alice)
    members_data.set_status(db, marc.id, "deactivated")
    for action in actions_list:
        with pytest.raises(PermissionError):
            action(marc)  # marc's session snapshot still says "active manager"
    with pytest.raises(PermissionError):
        member_admin.create_group(db, marc, "Nouveau")


def test_groups_create_rename_delete_and_membership(db: Database) -> None:
    marc, alice, bob = get(db, "marc"), get(db, "alice"), get(db, "bob")
    group = member_admin.create_group(db, marc, "  Site de Lyon ")
    assert group.name == "Site de Lyon" and group.organization_id == marc.organization_id
    assert actions(db)[0] == "group.created"
    with pytest.raises(GateError):
        member_admin.create_group(db, marc, "site de lyon")  # names are unique per org
    with pytest.raises(GateError):
        member_admin.create_group(db, marc, "")
    with pytest.raises(GateError):
        member_admin.create_group(db, marc, "bad\x1bname")
    # the same name in another organization is fine
    member_admin.create_group(db, get(db, "nina"), "Site de Lyon")
    assert member_admin.add_to_group(db, marc, group.id, alice.id)
    assert not member_admin.add_to_group(db, marc, group.id, alice.id)
    assert actions(db)[0] == "group.member_added"
    with pytest.raises(PermissionError):
        member_admin.add_to_group(db, marc, group.id, bob.id)  # another organization's
    renamed = member_admin.rename_group(db, marc, group.id, "Lyon")
    assert renamed.name == "Lyon" and renamed.member_count == 1
    assert actions(db)[0] == "group.renamed"
    assert member_admin.remove_from_group(db, marc, group.id, alice.id)
    assert actions(db)[0] == "group.member_removed"
    member_admin.delete_group(db, marc, group.id)
    assert actions(db)[0] == "group.deleted"
    with pytest.raises(PermissionError):
        member_admin.rename_group(db, marc, group.id, "Gone")


def test_a_manager_cannot_touch_another_organizations_group_by_id(db: Database) -> None:
    marc, nina = get(db, "marc"), get(db, "nina")
    theirs = member_admin.create_group(db, nina, "Horizon Paris")
    with pytest.raises(PermissionError):
        member_admin.rename_group(db, marc, theirs.id, "Pris")
    with pytest.raises(PermissionError):
        member_admin.delete_group(db, marc, theirs.id)
    with pytest.raises(PermissionError):
        member_admin.create_group(db, marc, "X", organization_id=nina.organization_id)
