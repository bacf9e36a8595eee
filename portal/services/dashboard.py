"""The management dashboard: the year's figures of one organization, or of all (admins).

A manager always gets their own organization's figures, whatever they ask; an admin
gets every organization's (``organization_id=None``) or the one they choose. The actor
is read again from the database on every call (a demoted manager sees nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from portal.data import dashboard as dashboard_data
from portal.data import members as members_data
from portal.data.dashboard import MemberCounts, MonthSpending, ProgramUse, TopOffer
from portal.data.members import Member, Organization
from portal.services import authz, clock

__all__ = [
    "Dashboard",
    "MemberCounts",
    "MonthSpending",
    "ProgramUse",
    "TopOffer",
    "load",
    "organizations",
]


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows, read at one time."""

    organization_id: int | None
    """The organization shown (None: every organization)."""
    year: int
    months: tuple[MonthSpending, ...]
    """January to December of ``year``, months without spending included (as zeros)."""
    programs: tuple[ProgramUse, ...]
    members: MemberCounts
    top_offers: tuple[TopOffer, ...]
    to_ship: int
    """Orders with a parcel still to send."""
    oldest_to_ship: str | None
    """Day (``YYYY-MM-DD``) the oldest of them was ordered."""

    @property
    def benefits_cents(self) -> int:
        """Benefits spent in the year."""
        return sum(m.benefits_cents for m in self.months)

    @property
    def card_cents(self) -> int:
        """Paid by card in the year."""
        return sum(m.card_cents for m in self.months)


def _scope(db: Database, actor: Member, organization_id: int | None) -> int | None:
    current = authz.current_manager(db, actor)
    if current.role == "admin":
        return organization_id
    return authz.managed_organization(db, current, current.organization_id)


def load(
    db: Database, actor: Member, organization_id: int | None = None, year: int | None = None
) -> Dashboard:
    """The dashboard of ``year`` (this year by default).

    Raises:
        PermissionError: The actor is not (or no longer) a manager or an admin.
    """
    org = _scope(db, actor, organization_id)
    year = year or clock.now().year
    benefits = dashboard_data.benefits_per_month(db, org, year)
    orders = dashboard_data.orders_per_month(db, org, year)
    months = tuple(
        MonthSpending(
            month,
            benefits.get(month, 0),
            orders.get(month, (0, 0))[1],
            orders.get(month, (0, 0))[0],
        )
        for month in range(1, 13)
    )
    to_ship, oldest = dashboard_data.orders_to_ship(db, org)
    return Dashboard(
        organization_id=org,
        year=year,
        months=months,
        programs=tuple(dashboard_data.program_use(db, org, year)),
        members=dashboard_data.member_counts(db, org, year),
        top_offers=tuple(dashboard_data.top_offers(db, org, year)),
        to_ship=to_ship,
        oldest_to_ship=oldest,
    )


def organizations(db: Database, actor: Member) -> list[Organization]:
    """The organizations the actor may choose: every one for an admin, their own else."""
    current = authz.current_manager(db, actor)
    every = members_data.list_organizations(db)
    if current.role == "admin":
        return every
    return [o for o in every if o.id == current.organization_id]
