"""Managers' actions on accounts of their organization (admins: any account).

Each action re-reads the actor (``authz.current_manager``), checks the target with
``authz.may_manage`` (no manager action reaches an admin account), is audited, and
takes effect at once in every worker through the session directory.
"""

from __future__ import annotations

import logging
import time

from sqlite_utils import Database

from portal.data import directory as directory_data
from portal.data import identity_gate as gate_data
from portal.data import members as members_data
from portal.data.db import transaction
from portal.data.directory import Group
from portal.data.members import Member
from portal.i18n import N_, get_translator
from portal.services import audit, authz, programs, text, twofactor
from portal.services.gate import ACCOUNT, GateError
from portal.services.session_directory import SessionDirectory

log = logging.getLogger(__name__)

__all__ = [
    "ROLES",
    "add_to_group",
    "change_role",
    "create_group",
    "deactivate_member",
    "delete_group",
    "reactivate_member",
    "remove_from_group",
    "rename_group",
    "reset_twofactor",
    "revoke_invitation",
    "unlock_member",
]

ROLES = ("member", "manager")
"""Roles a manager may give within their organization (admin is given by admins only)."""
GROUP_NAME_MAX = 60


def deactivate_member(
    db: Database, actor: Member, member_id: int, *, sessions: SessionDirectory
) -> Member:
    """Deactivate an account (manager of its organization, or admin) and end its sessions.

    The account can no longer sign in; its live sessions end at once with a sentence in
    the member's language.

    Raises:
        PermissionError: The actor may not manage this member.
        GateError: Deactivating oneself, or an account already deactivated.
    """
    actor_now = authz.current_manager(db, actor)
    target = members_data.get_member(db, member_id)
    if target is None or not authz.may_manage(actor_now, target):
        raise PermissionError("not allowed to deactivate this member")
    if target.id == actor_now.id:
        raise GateError(N_("You cannot deactivate your own account."))
    with transaction(db):
        if not gate_data.deactivate_member(db, target.id):
            raise GateError(N_("This account is already deactivated."))
        audit.record(
            db,
            "member.deactivated",
            actor_id=actor_now.id,
            organization_id=target.organization_id,
            target=target.login,
        )
    t = get_translator(target.language)
    ended = sessions.close_member_sessions(
        db,
        target.id,
        reason=t.gettext(
            "Your account has been deactivated. Contact your CSE if this is a mistake."
        ),
    )
    log.info("member %s deactivated by %s; %d session(s) ended", target.id, actor_now.id, ended)
    updated = members_data.get_member(db, target.id)
    assert updated is not None
    return updated


def _target(db: Database, actor: Member, member_id: int, what: str) -> tuple[Member, Member]:
    """The actor as stored now and a member they may manage; never themself."""
    actor_now = authz.current_manager(db, actor)
    target = members_data.get_member(db, member_id)
    if target is None or not authz.may_manage(actor_now, target):
        raise PermissionError(f"not allowed to {what} this member")
    return actor_now, target


def reactivate_member(db: Database, actor: Member, member_id: int) -> Member:
    """Let a deactivated account sign in again (an account never activated: invited again).

    Nothing else changes: allocations, orders and groups were kept.

    Raises:
        PermissionError: The actor may not manage this member.
        GateError: The account is not deactivated.
    """
    actor_now, target = _target(db, actor, member_id, "reactivate")
    status = "active" if directory_data.has_password(db, target.id) else "invited"
    with transaction(db):
        if not directory_data.reactivate_member(db, target.id, status):
            raise GateError(N_("This account is not deactivated."))
        audit.record(
            db,
            "member.reactivated",
            actor_id=actor_now.id,
            organization_id=target.organization_id,
            target=target.login,
            status=status,
        )
        programs.follow_member(db, target.id, actor_id=actor_now.id)  # owed while away
    updated = members_data.get_member(db, target.id)
    assert updated is not None
    return updated


def reset_twofactor(db: Database, actor: Member, member_id: int) -> None:
    """Turn a member's 2FA off (lost phone): they set it up again at their next login when
    their role or their organization requires it.

    Raises:
        PermissionError: The actor may not manage this member (or it is themself).
        GateError: Two-factor authentication is not on for this member.
    """
    if not twofactor.reset(db, actor, member_id):
        raise GateError(N_("Two-factor authentication is not on for this member."))


def unlock_member(db: Database, actor: Member, member_id: int) -> None:
    """Lift the gate's lock after too many failed logins (and forget the failures).

    Raises:
        PermissionError: The actor may not manage this member.
    """
    actor_now, target = _target(db, actor, member_id, "unlock")
    with transaction(db):
        gate_data.clear_throttle(db, ACCOUNT, target.login.strip().lower()[:128])
        audit.record(
            db,
            "member.unlocked",
            actor_id=actor_now.id,
            organization_id=target.organization_id,
            target=target.login,
        )


def change_role(
    db: Database, actor: Member, member_id: int, role: str, *, sessions: SessionDirectory
) -> Member:
    """Make a member a manager of their organization, or a manager a member again.

    Their live sessions end, so that the new role applies from their next login.

    Raises:
        PermissionError: The actor may not manage this member, or the role is not one a
            manager gives.
        GateError: Their own role, or the role they already have.
    """
    actor_now, target = _target(db, actor, member_id, "change the role of")
    if role not in ROLES:
        raise PermissionError("managers give the roles member and manager only")
    if target.id == actor_now.id:
        raise GateError(N_("You cannot change your own role."))
    with transaction(db):
        if not directory_data.set_role(db, target.id, role):
            raise GateError(N_("This member already has this role."))
        audit.record(
            db,
            "member.role_changed",
            actor_id=actor_now.id,
            organization_id=target.organization_id,
            target=target.login,
            old_role=target.role,
            new_role=role,
        )
    t = get_translator(target.language)
    sessions.close_member_sessions(
        db,
        target.id,
        reason=t.gettext("Your role has changed. Please log in again."),
    )
    updated = members_data.get_member(db, target.id)
    assert updated is not None
    return updated


def revoke_invitation(db: Database, actor: Member, member_id: int) -> None:
    """Withdraw an invitation: its codes stop working and the account is deactivated
    (reactivating it makes it invited again, ready for a new code).

    Raises:
        PermissionError: The actor may not manage this member.
        GateError: The account is not waiting for activation.
    """
    actor_now, target = _target(db, actor, member_id, "revoke the invitation of")
    if target.status != "invited":
        raise GateError(N_("This account is not waiting for activation."))
    with transaction(db):
        gate_data.revoke_open_invitations(db, target.id)
        gate_data.deactivate_member(db, target.id)
        audit.record(
            db,
            "invitation.revoked",
            actor_id=actor_now.id,
            organization_id=target.organization_id,
            target=target.login,
        )


# -- groups --------------------------------------------------------------------------------


def _group_name(raw: str) -> str:
    name = text.check_line(raw, error=GateError)
    if not name or len(name) > GROUP_NAME_MAX:
        raise GateError(N_("A group name has 1 to 60 characters."))
    return name


def _group(db: Database, actor: Member, group_id: int) -> tuple[Member, Group]:
    """The actor as stored now and a group of an organization they manage."""
    group = directory_data.get_group(db, group_id)
    actor_now = authz.current_manager(db, actor)
    if group is None or not authz.may_manage_organization(actor_now, group.organization_id):
        raise PermissionError("not a group of your organization")
    return actor_now, group


def create_group(
    db: Database, actor: Member, name: str, *, organization_id: int | None = None
) -> Group:
    """Create a named group in the manager's organization (an admin names the organization).

    Raises:
        PermissionError: Not a manager of that organization.
        GateError: An empty, too long or already used name.
    """
    org = authz.managed_organization(db, actor, organization_id)
    name = _group_name(name)
    with transaction(db):
        if directory_data.group_name_taken(db, org, name):
            raise GateError(N_("A group of this name already exists."))
        group_id = directory_data.create_group(db, org, name)
        audit.record(
            db, "group.created", actor_id=actor.id, organization_id=org, target=name, group=group_id
        )
    group = directory_data.get_group(db, group_id)
    assert group is not None
    return group


def rename_group(db: Database, actor: Member, group_id: int, name: str) -> Group:
    """Rename a group.

    Raises:
        PermissionError: Not a group of the manager's organization.
        GateError: An empty, too long or already used name.
    """
    actor_now, group = _group(db, actor, group_id)
    name = _group_name(name)
    with transaction(db):
        if directory_data.group_name_taken(db, group.organization_id, name, except_id=group.id):
            raise GateError(N_("A group of this name already exists."))
        directory_data.rename_group(db, group.id, name)
        audit.record(
            db,
            "group.renamed",
            actor_id=actor_now.id,
            organization_id=group.organization_id,
            target=name,
            group=group.id,
            old_name=group.name,
        )
    renamed = directory_data.get_group(db, group.id)
    assert renamed is not None
    return renamed


def delete_group(db: Database, actor: Member, group_id: int) -> None:
    """Delete a group (its members stay, out of it).

    Raises:
        PermissionError: Not a group of the manager's organization.
    """
    actor_now, group = _group(db, actor, group_id)
    with transaction(db):
        directory_data.delete_group(db, group.id)
        audit.record(
            db,
            "group.deleted",
            actor_id=actor_now.id,
            organization_id=group.organization_id,
            target=group.name,
            group=group.id,
            members=group.member_count,
        )


def _group_and_member(
    db: Database, actor: Member, group_id: int, member_id: int
) -> tuple[Member, Group, Member]:
    actor_now, group = _group(db, actor, group_id)
    member = members_data.get_member(db, member_id)
    if (
        member is None
        or not authz.may_manage(actor_now, member)
        or member.organization_id != group.organization_id
    ):
        raise PermissionError("not a member of this group's organization")
    return actor_now, group, member


def add_to_group(db: Database, actor: Member, group_id: int, member_id: int) -> bool:
    """Put a member of the group's organization in it; False when already in it.

    Raises:
        PermissionError: Not a group, or not a member, of the manager's organization.
    """
    actor_now, group, member = _group_and_member(db, actor, group_id, member_id)
    with transaction(db):
        added = directory_data.add_to_group(db, group.id, member.id)
        if added:
            audit.record(
                db,
                "group.member_added",
                actor_id=actor_now.id,
                organization_id=group.organization_id,
                target=member.login,
                group=group.id,
            )
            programs.follow_member(db, member.id, actor_id=actor_now.id)  # the group's programs
    return added


def remove_from_group(db: Database, actor: Member, group_id: int, member_id: int) -> bool:
    """Take a member out of a group; False when not in it.

    Raises:
        PermissionError: Not a group, or not a member, of the manager's organization.
    """
    actor_now, group, member = _group_and_member(db, actor, group_id, member_id)
    with transaction(db):
        removed = directory_data.remove_from_group(db, group.id, member.id)
        if removed:
            audit.record(
                db,
                "group.member_removed",
                actor_id=actor_now.id,
                organization_id=group.organization_id,
                target=member.login,
                group=group.id,
            )
    return removed


def locked_now(db: Database, member_id: int, now: float | None = None) -> bool:
    """Whether the gate holds this member's account locked now."""
    row = directory_data.get_row(db, member_id, time.time() if now is None else now)
    return bool(row and row.locked_until)
