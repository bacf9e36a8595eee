"""Platform admins' organizations: create, rename, deactivate, and their managers.

Admins only: every function re-reads the actor and refuses anyone else at the service
(``PermissionError``), whatever screen or path called it. Deactivating an organization
stops its members from logging in (the gate checks the organization's status at every
step) and ends their live sessions at once; reactivating lets them in again. Every
change is audited.
"""

from __future__ import annotations

from sqlite_utils import Database

from portal.data import directory as directory_data
from portal.data import members as members_data
from portal.data import org_admin as org_data
from portal.data.db import transaction
from portal.data.members import Member, Organization
from portal.data.org_admin import OrganizationRow
from portal.i18n import N_, get_translator
from portal.services import audit, authz, member_admin, organization, text
from portal.services.organization import OrganizationError
from portal.services.session_directory import SessionDirectory

__all__ = [
    "OrganizationError",
    "OrganizationRow",
    "create",
    "list_all",
    "organization_active",
    "rename",
    "require_admin",
    "set_active",
    "set_manager",
]


def require_admin(db: Database, actor: Member) -> Member:
    """The actor as stored now, if a platform admin.

    Raises:
        PermissionError: Not (or no longer) an active platform admin.
    """
    current = authz.current_manager(db, actor)
    if current.role != "admin":
        raise PermissionError("platform admins only")
    return current


def organization_active(db: Database, organization_id: int | None) -> bool:
    """Whether members of this organization may log in (no organization: yes)."""
    return organization_id is None or org_data.is_active(db, organization_id)


def list_all(db: Database, actor: Member) -> list[OrganizationRow]:
    """Every organization with its status, member count and managers (admins only)."""
    require_admin(db, actor)
    return org_data.list_organizations(db)


def _name(db: Database, name: str, *, except_id: int = 0) -> str:
    name = text.check_line(name, error=OrganizationError)
    if not name or len(name) > organization.NAME_MAX:
        raise OrganizationError(N_("An organization name has 1 to 80 characters."))
    existing = directory_data.organization_id_by_name(db, name)
    if existing is not None and existing != except_id:
        raise OrganizationError(N_("An organization of this name already exists."))
    return name


def create(db: Database, actor: Member, name: str) -> Organization:
    """Create an organization with a fresh identification key.

    Raises:
        PermissionError: Not an admin.
        OrganizationError: An empty, too long or already used name.
    """
    current = require_admin(db, actor)
    with transaction(db):
        name = _name(db, name)
        key = organization.new_key()
        while directory_data.key_taken(db, key):
            key = organization.new_key()
        org_id = members_data.create_organization(db, name, key)
        audit.record(
            db, "organization.created", actor_id=current.id, organization_id=org_id, target=name
        )
    created = members_data.get_organization(db, org_id)
    assert created is not None
    return created


def _get(db: Database, organization_id: int) -> Organization:
    found = members_data.get_organization(db, organization_id)
    if found is None:
        raise OrganizationError(N_("This organization does not exist."))
    return found


def rename(db: Database, actor: Member, organization_id: int, name: str) -> Organization:
    """Rename an organization (its members see the new name at once)."""
    current = require_admin(db, actor)
    with transaction(db):
        old = _get(db, organization_id)
        name = _name(db, name, except_id=old.id)
        org_data.rename(db, old.id, name)
        audit.record(
            db,
            "organization.renamed",
            actor_id=current.id,
            organization_id=old.id,
            target=name,
            old_name=old.name,
        )
    return _get(db, organization_id)


def set_active(
    db: Database,
    actor: Member,
    organization_id: int,
    active: bool,
    *,
    sessions: SessionDirectory,
) -> int:
    """Deactivate an organization (its members can no longer log in, their sessions end)
    or activate it again.

    Returns:
        How many live sessions were ended.

    Raises:
        PermissionError: Not an admin.
        OrganizationError: Unknown organization, already in that state, or the admin's own.
    """
    current = require_admin(db, actor)
    target = _get(db, organization_id)
    if not active and current.organization_id == target.id:
        raise OrganizationError(N_("You cannot deactivate your own organization."))
    with transaction(db):
        if not org_data.set_active(db, target.id, active):
            raise OrganizationError(
                N_("This organization is already active.")
                if active
                else N_("This organization is already deactivated.")
            )
        audit.record(
            db,
            "organization.activated" if active else "organization.deactivated",
            actor_id=current.id,
            organization_id=target.id,
            target=target.name,
        )
        ids = org_data.member_ids(db, target.id) if not active else []
    ended = 0
    for member_id in ids:
        member = members_data.get_member(db, member_id)
        if member is None:
            continue
        t = get_translator(member.language)
        ended += sessions.close_member_sessions(
            db,
            member_id,
            reason=t.gettext(
                "Your organization's access to the portal is suspended. Contact your CSE."
            ),
        )
    return ended


def set_manager(
    db: Database,
    actor: Member,
    organization_id: int,
    login: str,
    manager: bool,
    *,
    sessions: SessionDirectory,
) -> Member:
    """Make a member of the organization one of its managers (or a member again).

    Raises:
        PermissionError: Not an admin.
        OrganizationError: No such login in this organization.
        GateError: The role they already have, or one's own.
    """
    require_admin(db, actor)
    target = members_data.get_member_by_login(db, login.strip().lower())
    if target is None or target.organization_id != organization_id or target.role == "admin":
        raise OrganizationError(N_("No member of this organization has this login."))
    return member_admin.change_role(
        db, actor, target.id, "manager" if manager else "member", sessions=sessions
    )
