"""The member directory of managers: search with filters, and one member's whole picture.

A manager sees the members and managers of their own organization (never an admin
account); an admin sees every organization's, each row saying which it belongs to.
Search is instant at 100,000 members through the FTS5 index ``members_fts``
(``tests/bench/bench_directory.py`` measures it).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from sqlite_utils import Database

from portal.data import credentials as credentials_data
from portal.data import directory as directory_data
from portal.data import members as members_data
from portal.data.credentials import Credential
from portal.data.directory import STATUSES, DirectoryRow, Group, LoginEntry, PendingInvitation
from portal.data.members import Member
from portal.data.orders import OrderSummary
from portal.i18n import N_
from portal.services import authz, benefits, credentials, family, orders, text, twofactor
from portal.services.benefits import BenefitSummary
from portal.services.errors import UserError
from portal.services.family import FamilyData

__all__ = [
    "PAGE_SIZE",
    "DirectoryRow",
    "Group",
    "LoginEntry",
    "PendingInvitation",
    "STATUSES",
    "MemberDetail",
    "SearchResult",
    "fts_query",
    "member_detail",
    "pending_invitations",
    "pending_counts",
    "search",
]

PAGE_SIZE = 50
"""Rows on one page of the directory."""
_MAX_TERMS = 6


@dataclass(frozen=True)
class SearchResult:
    """One page of the directory."""

    rows: tuple[DirectoryRow, ...]
    page: int
    """From 0."""
    has_next: bool
    all_organizations: bool
    """True for an admin's view across organizations (rows name their organization)."""


@dataclass(frozen=True)
class MemberDetail:
    """What a manager sees of one member."""

    row: DirectoryRow
    groups: tuple[Group, ...]
    twofactor_enabled: bool
    family: FamilyData
    benefits: tuple[BenefitSummary, ...]
    orders: tuple[OrderSummary, ...]
    last_logins: tuple[LoginEntry, ...]
    documents: tuple[Credential, ...] = ()
    """Credential documents, newest first."""


@dataclass(frozen=True)
class PendingCounts:
    """What waits for a manager, shown on the management home."""

    signups: int
    documents: int
    orders_to_ship: int
    locked: int


def fts_query(raw: str) -> str | None:
    """An FTS5 expression matching every word typed as a prefix; None for no word.

    Words are cut at anything but letters and digits (so ``alice.martin@demo`` finds
    the email), and each one is quoted: nothing typed can be read as FTS5 syntax.
    """
    words = re.findall(r"\w+", raw.casefold())[:_MAX_TERMS]
    return " ".join(f'"{w}"*' for w in words) or None


def _scope(db: Database, actor: Member, organization_id: int | None) -> tuple[Member, int | None]:
    """The actor as stored now, and the organization they look at (None: all, admins)."""
    current = authz.current_manager(db, actor)
    if current.role == "admin":
        return current, organization_id
    if organization_id not in (None, current.organization_id):
        raise PermissionError("not a manager of this organization")
    return current, current.organization_id


def search(
    db: Database,
    actor: Member,
    query: str = "",
    *,
    status: str | None = None,
    group_id: int | None = None,
    page: int = 0,
    organization_id: int | None = None,
    now: float | None = None,
) -> SearchResult:
    """One page of the members matching ``query`` (name, login or email prefixes).

    Raises:
        PermissionError: Not a manager, or another organization (or its group) for one.
        TextError: Control characters typed.
    """
    now = time.time() if now is None else now
    current, org = _scope(db, actor, organization_id)
    query = text.check_line(query)
    if status is not None and status not in STATUSES:
        raise UserError(N_("Unknown status filter."))
    if group_id is not None:
        group = directory_data.get_group(db, group_id)
        if group is None or not authz.may_manage_organization(current, group.organization_id):
            raise PermissionError("not a group of your organization")
    page = max(0, page)
    rows = directory_data.search_members(
        db,
        organization_id=org,
        match=fts_query(query),
        status=status,
        group_id=group_id,
        exclude_admins=current.role != "admin",
        now=now,
        limit=PAGE_SIZE + 1,
        offset=page * PAGE_SIZE,
    )
    return SearchResult(
        tuple(rows[:PAGE_SIZE]),
        page,
        len(rows) > PAGE_SIZE,
        current.role == "admin" and org is None,
    )


def managed_target(db: Database, actor: Member, member_id: int) -> tuple[Member, Member]:
    """The actor as stored now and a member they may manage (a manager: never an admin).

    Raises:
        PermissionError: Unknown member, or one the actor may not manage.
    """
    current = authz.current_manager(db, actor)
    target = members_data.get_member(db, member_id)
    if target is None or not authz.may_manage(current, target):
        raise PermissionError("not allowed to see this member")
    return current, target


def member_detail(
    db: Database, actor: Member, member_id: int, *, now: float | None = None
) -> MemberDetail:
    """Identity, status, role, groups, family, benefits, orders and last logins of a member.

    Raises:
        PermissionError: The actor may not manage this member.
    """
    now = time.time() if now is None else now
    current, target = managed_target(db, actor, member_id)
    row = directory_data.get_row(db, target.id, now)
    assert row is not None
    return MemberDetail(
        row=row,
        groups=tuple(directory_data.member_groups(db, target.id)),
        twofactor_enabled=twofactor.is_enabled(db, target.id),
        family=family.get_family(db, current, target.id),
        benefits=tuple(benefits.list_benefits(db, target)),
        orders=tuple(orders.list_orders(db, target, limit=10)),
        last_logins=tuple(directory_data.last_logins(db, target.id)),
        documents=tuple(credentials_data.list_for_member(db, target.id)[:5]),
    )


def list_groups(db: Database, actor: Member, organization_id: int | None = None) -> list[Group]:
    """The groups a manager may use (an admin: every organization's, or one's)."""
    _current, org = _scope(db, actor, organization_id)
    return directory_data.list_groups(db, org)


def pending_invitations(
    db: Database, actor: Member, organization_id: int | None = None
) -> list[PendingInvitation]:
    """Invited accounts still waiting for activation (a manager: their organization's)."""
    current, org = _scope(db, actor, organization_id)
    return directory_data.pending_invitations(db, org, exclude_admins=current.role != "admin")


def pending_counts(db: Database, actor: Member, *, now: float | None = None) -> PendingCounts:
    """Sign-ups, documents, orders to ship and locked accounts waiting for the manager."""
    from portal.services import signup

    now = time.time() if now is None else now
    current, org = _scope(db, actor, None)
    return PendingCounts(
        signups=signup.count_pending(db, current),
        documents=credentials.count_pending(db, current),
        orders_to_ship=directory_data.count_orders_to_ship(db, org),
        locked=directory_data.count_locked(db, org, now),
    )
