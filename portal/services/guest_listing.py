"""The guest entry's organization list: only organizations that opted in are named.

A guest whose CSE gave no identification key types ``0`` and picks their organization in
a list (``services.signup.check_key``). Naming every organization to anyone who connects
told strangers who the platform's customers are (issue 9), so the list holds only the
organizations whose manager (or an admin) opted in; the flag is off by default. Any
organization is still reached with its identification key.
"""

from __future__ import annotations

from sqlite_utils import Database

from portal.data import members as members_data
from portal.data.db import transaction
from portal.data.members import Member, Organization
from portal.services import audit, authz

__all__ = ["listed_organizations", "set_guest_listing"]


def listed_organizations(db: Database) -> list[Organization]:
    """The organizations named in the guest entry's list, by name."""
    return members_data.list_guest_listed_organizations(db)


def set_guest_listing(
    db: Database, actor: Member, listed: bool, *, organization_id: int | None = None
) -> Organization:
    """Opt an organization in to (or out of) the list a guest sees after typing ``0``.

    A manager changes their own organization (the default), an admin any; the actor is
    re-read from the database, and the change is audited.

    Raises:
        PermissionError: Not (or no longer) a manager of that organization.
    """
    org_id = authz.managed_organization(db, actor, organization_id)
    with transaction(db):
        current = authz.require_manager(db, actor, org_id)
        organization = members_data.get_organization(db, org_id)
        if organization is None or not members_data.set_guest_listed(db, org_id, listed):
            raise PermissionError("no such organization")
        if organization.guest_listed != listed:
            audit.record(
                db,
                "organization.guest_listing",
                actor_id=current.id,
                organization_id=org_id,
                target=organization.name,
                listed=listed,
            )
    changed = members_data.get_organization(db, org_id)
    assert changed is not None
    return changed
