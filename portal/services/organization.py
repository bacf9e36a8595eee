"""Organization settings: the identification key, 2FA for members, support, URSSAF.

A manager changes their own organization's settings, an admin any organization's; each
change is audited and read from the database by every worker at its next use (the 2FA
rule at the next login). The operators' commands create organizations here too.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlite_utils import Database

from portal.config import Settings
from portal.data import directory as directory_data
from portal.data import members as members_data
from portal.data.db import transaction
from portal.data.directory import OrganizationSettings
from portal.data.members import Member, Organization
from portal.i18n import N_
from portal.services import audit, authz, clock, text, twofactor
from portal.services.errors import UserError
from portal.services.urssaf import urssaf_threshold

__all__ = [
    "OrganizationError",
    "OrganizationView",
    "create_organization",
    "regenerate_key",
    "set_require_twofactor",
    "set_support",
    "set_urssaf_threshold",
    "show",
    "support_info",
    "threshold_for",
    "twofactor_required",
]

_KEY_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
SUPPORT_MAX = 200
NAME_MAX = 80


class OrganizationError(UserError):
    """A refused organization setting (bad input)."""


@dataclass(frozen=True)
class OrganizationView:
    """What the settings screen shows."""

    organization: Organization
    settings: OrganizationSettings
    year: int
    urssaf_threshold_cents: int | None
    """The threshold that applies this year (the organization's own, else the platform's)."""
    urssaf_own: bool
    """True when the organization set its own threshold for the year."""


def new_key() -> str:
    """A fresh identification key, easy to read and type: ``K7QM-2PXT``."""
    raw = "".join(secrets.choice(_KEY_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def _org(db: Database, actor: Member, organization_id: int | None) -> tuple[Member, Organization]:
    org_id = authz.managed_organization(db, actor, organization_id)
    actor_now = authz.current_manager(db, actor)
    organization = members_data.get_organization(db, org_id)
    if organization is None:
        raise PermissionError("no such organization")
    return actor_now, organization


def list_organizations(db: Database, actor: Member) -> list[Organization]:
    """The organizations the actor manages: every one for an admin, their own for a manager."""
    current = authz.current_manager(db, actor)
    if current.role == "admin":
        return members_data.list_organizations(db)
    own = members_data.get_organization(db, current.organization_id or 0)
    return [own] if own else []


def threshold_for(db: Database, settings: Settings, organization_id: int, year: int) -> int | None:
    """The gift-voucher exemption of the year: the organization's own, else the platform's."""
    own = directory_data.get_urssaf_threshold(db, organization_id, year)
    return own if own is not None else urssaf_threshold(settings, year)


def show(
    db: Database, actor: Member, *, settings: Settings, organization_id: int | None = None
) -> OrganizationView:
    """The organization's settings (a manager: their own).

    Raises:
        PermissionError: Not a manager of that organization.
    """
    _actor, organization = _org(db, actor, organization_id)
    year = clock.today_paris().year
    own = directory_data.get_urssaf_threshold(db, organization.id, year)
    return OrganizationView(
        organization,
        directory_data.get_settings(db, organization.id),
        year,
        own if own is not None else urssaf_threshold(settings, year),
        own is not None,
    )


def regenerate_key(db: Database, actor: Member, *, organization_id: int | None = None) -> str:
    """Give the organization a new identification key (the old one stops working at once)."""
    actor_now, organization = _org(db, actor, organization_id)
    with transaction(db):
        key = new_key()
        while directory_data.key_taken(db, key):
            key = new_key()
        directory_data.set_identification_key(db, organization.id, key)
        audit.record(
            db,
            "organization.key_regenerated",
            actor_id=actor_now.id,
            organization_id=organization.id,
            target=organization.name,
        )
    return key


def set_require_twofactor(
    db: Database, actor: Member, required: bool, *, organization_id: int | None = None
) -> OrganizationSettings:
    """Whether members must turn 2FA on (asked at their next login)."""
    actor_now, organization = _org(db, actor, organization_id)
    with transaction(db):
        current = directory_data.get_settings(db, organization.id)
        updated = OrganizationSettings(
            organization.id, required, current.support_hours, current.support_contact
        )
        directory_data.save_settings(db, updated)
        audit.record(
            db,
            "organization.twofactor_required",
            actor_id=actor_now.id,
            organization_id=organization.id,
            target=organization.name,
            required=required,
        )
    return updated


def set_support(
    db: Database, actor: Member, hours: str, contact: str, *, organization_id: int | None = None
) -> OrganizationSettings:
    """The support hours and contact shown to members.

    Raises:
        OrganizationError: Control characters, or more than 200 characters.
    """
    actor_now, organization = _org(db, actor, organization_id)
    hours = text.check_line(hours, error=OrganizationError)
    contact = text.check_line(contact, error=OrganizationError)
    if len(hours) > SUPPORT_MAX or len(contact) > SUPPORT_MAX:
        raise OrganizationError(N_("Support hours and contact have 200 characters at most."))
    with transaction(db):
        current = directory_data.get_settings(db, organization.id)
        updated = OrganizationSettings(organization.id, current.require_twofactor, hours, contact)
        directory_data.save_settings(db, updated)
        audit.record(
            db,
            "organization.support_changed",
            actor_id=actor_now.id,
            organization_id=organization.id,
            target=organization.name,
        )
    return updated


def parse_threshold(raw: str) -> int | None:
    """Euros typed (``200`` or ``200,50``) as cents; empty means the platform's figure.

    Raises:
        OrganizationError: Not an amount.
    """
    value = raw.strip().replace("€", "").replace(" ", "").replace(",", ".")
    if not value:
        return None
    try:
        cents = round(float(value) * 100)
    except ValueError:
        raise OrganizationError(N_("Type an amount in euros, for instance 200.")) from None
    if not 0 <= cents <= 10_000_000 or value.startswith(("+", "-")) or "e" in value.lower():
        raise OrganizationError(N_("Type an amount in euros, for instance 200."))
    return cents


def set_urssaf_threshold(
    db: Database,
    actor: Member,
    year: int,
    threshold_cents: int | None,
    *,
    organization_id: int | None = None,
) -> None:
    """The organization's own gift-voucher threshold of a year (None: the platform's)."""
    actor_now, organization = _org(db, actor, organization_id)
    if not 2000 <= year <= 2100:
        raise OrganizationError(N_("The year is not valid."))
    with transaction(db):
        directory_data.set_urssaf_threshold(db, organization.id, year, threshold_cents)
        audit.record(
            db,
            "organization.urssaf_threshold",
            actor_id=actor_now.id,
            organization_id=organization.id,
            target=organization.name,
            year=year,
            threshold_cents=threshold_cents,
        )


def twofactor_required(db: Database, member: Member) -> bool:
    """Whether this member must have 2FA on: their role, or their organization, says so."""
    if twofactor.is_required(member):
        return True
    if member.organization_id is None:
        return False
    return directory_data.get_settings(db, member.organization_id).require_twofactor


def support_info(db: Database, organization_id: int) -> tuple[str, str]:
    """The support hours and contact an organization shows its members (for the help)."""
    current = directory_data.get_settings(db, organization_id)
    return current.support_hours, current.support_contact


def create_organization(db: Database, name: str) -> Organization:
    """Create an organization with a fresh identification key (the operators' command).

    Raises:
        OrganizationError: An empty, too long or already used name.
    """
    name = text.check_line(name, error=OrganizationError)
    if not name or len(name) > NAME_MAX:
        raise OrganizationError(N_("An organization name has 1 to 80 characters."))
    with transaction(db):
        if directory_data.organization_id_by_name(db, name) is not None:
            raise OrganizationError(N_("An organization of this name already exists."))
        key = new_key()
        while directory_data.key_taken(db, key):
            key = new_key()
        org_id = members_data.create_organization(db, name, key)
        audit.record(db, "organization.created", organization_id=org_id, target=name, via="cli")
    organization = members_data.get_organization(db, org_id)
    assert organization is not None
    return organization


def this_year() -> int:
    """The current year in Paris."""
    return clock.today_paris().year
