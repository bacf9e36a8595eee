"""Who may manage whom: the one rule, read from the database at every privileged call.

A session keeps the member it logged in as, but a manager may be demoted or deactivated
while their session runs (by another worker, even): privileged services therefore never
trust that snapshot. They re-read the actor with :func:`current_manager` and check the
target with :func:`may_manage`. Admin accounts are managed by admins only.
"""

from __future__ import annotations

from sqlite_utils import Database

from portal.data import members as members_data
from portal.data.members import Member
from portal.i18n import N_
from portal.services.errors import UserError

__all__ = [
    "current_actor",
    "current_manager",
    "managed_organization",
    "may_manage",
    "may_manage_organization",
    "organization_members",
    "require_manager",
]


def current_actor(db: Database, actor: Member) -> Member:
    """The actor as stored now (role and status of now, not of the login).

    Raises:
        PermissionError: The account is gone or no longer active.
    """
    current = members_data.get_member(db, actor.id)
    if current is None or current.status != "active":
        raise PermissionError("this account is not active")
    return current


def current_manager(db: Database, actor: Member) -> Member:
    """The actor as stored now, if still an active manager or admin.

    Raises:
        PermissionError: The account is gone, deactivated, or no longer manages.
    """
    current = members_data.get_member(db, actor.id)
    if current is None or current.status != "active" or not current.is_manager:
        raise PermissionError("managers and admins only")
    return current


def may_manage(actor: Member, target: Member) -> bool:
    """Admins manage everyone; managers the non-admins of their own organization."""
    if actor.role == "admin":
        return True
    return (
        actor.role == "manager"
        and target.organization_id == actor.organization_id
        and target.role != "admin"
    )


def may_manage_organization(actor: Member, organization_id: int | None) -> bool:
    """Admins manage every organization; a manager only their own."""
    return actor.role == "admin" or (
        actor.role == "manager"
        and organization_id is not None
        and organization_id == actor.organization_id
    )


def require_manager(db: Database, actor: Member, organization_id: int | None) -> Member:
    """The actor as stored now, if they manage ``organization_id`` (or are an admin).

    Raises:
        PermissionError: Not (or no longer) a manager of that organization.
    """
    current = current_manager(db, actor)
    if not may_manage_organization(current, organization_id):
        raise PermissionError("not a manager of this organization")
    return current


def managed_organization(db: Database, actor: Member, organization_id: int | None) -> int:
    """The organization a manager acts on (their own by default), once checked."""
    org = organization_id if organization_id is not None else actor.organization_id
    if org is None:
        raise UserError(N_("Choose an organization."))
    require_manager(db, actor, org)
    return org


def organization_members(
    db: Database, actor: Member, organization_id: int | None = None
) -> list[Member]:
    """Active members of the manager's organization (targets of an allocation; the
    platform's admins are nobody's members)."""
    org = managed_organization(db, actor, organization_id)
    return [
        m for m in members_data.list_members(db, org) if m.status == "active" and m.role != "admin"
    ]
