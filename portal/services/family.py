"""Family data of a member: situation, children's birth years, quotient familial.

Managers set these values when they validate a credential document that proves them
(``services.credentials``), or by hand for a field no validated document proves yet. The
subsidy rules read the quotient familial where it always lived (``member_profiles``,
through ``portal.data.subsidies``), so a validated tax notice changes a member's subsidy
bracket at once. Who may read: the member themself, a manager of their organization, an
admin; who may write: managers and admins only, re-read from the database at every call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from types import EllipsisType

from sqlite_utils import Database

from portal.data import family as family_data
from portal.data import members as members_data
from portal.data import subsidies as subsidies_data
from portal.data.db import transaction
from portal.data.members import Member
from portal.i18n import N_
from portal.services import audit, clock
from portal.services import subsidies as subsidies_service
from portal.services.authz import current_actor, current_manager, may_manage
from portal.services.errors import UserError

__all__ = [
    "FIELDS",
    "SITUATIONS",
    "FamilyData",
    "FamilyError",
    "get_family",
    "parse_birth_years",
    "quotient_from_tax_notice",
    "record_proven",
    "set_family",
]

SITUATIONS: dict[str, str] = {
    "single": N_("Single"),
    "married": N_("Married"),
    "pacs": N_("Civil partnership (PACS)"),
    "cohabiting": N_("Living together"),
    "divorced": N_("Divorced"),
    "widowed": N_("Widowed"),
}
"""Family situations and the message ids naming them."""

FIELDS: dict[str, str] = {
    "situation": N_("family situation"),
    "children": N_("children"),
    "quotient_familial": N_("quotient familial"),
}
"""Fields a credential may prove, and the message ids naming them."""

PROVEN: dict[str, str] = {
    "situation": N_(
        "The family situation is proven by a validated document: a new document must"
        " prove a change."
    ),
    "children": N_(
        "The children are proven by a validated document: a new document must prove a change."
    ),
    "quotient_familial": N_(
        "The quotient familial is proven by a validated document: a new tax notice must"
        " prove a change."
    ),
}
"""Refusals of a hand-made change to a proven field."""

MAX_CHILDREN = 20


class FamilyError(UserError):
    """Family data refused (bad value, field proven by a document, not allowed)."""


@dataclass(frozen=True)
class FamilyData:
    """What the subsidy rules may know of a member's family."""

    situation: str | None
    """One of ``SITUATIONS`` (None: unknown)."""
    children_birth_years: tuple[int, ...]
    quotient_familial: int | None
    """In euros (None: unknown, the least favourable subsidy bracket applies)."""
    proven_by: dict[str, int] = field(default_factory=dict)
    """Field name (``situation``, ``children``, ``quotient_familial``) -> validated credential id."""


def _read(db: Database, member_id: int) -> FamilyData:
    return FamilyData(
        situation=family_data.get_situation(db, member_id),
        children_birth_years=family_data.get_children(db, member_id),
        quotient_familial=subsidies_data.get_quotient_familial(db, member_id),
        proven_by=family_data.get_proofs(db, member_id),
    )


def _target(db: Database, member_id: int) -> Member:
    target = members_data.get_member(db, member_id)
    if target is None:
        raise FamilyError(N_("This member does not exist."))
    return target


def _managed_target(db: Database, actor: Member, member_id: int) -> tuple[Member, Member]:
    """(the actor as stored now, the target), once the actor is known to manage the target."""
    current = current_manager(db, actor)
    target = _target(db, member_id)
    if not may_manage(current, target):
        raise PermissionError("not a manager of this member")
    return current, target


def get_family(db: Database, actor: Member, member_id: int) -> FamilyData:
    """A member's family data (the member themself, a manager of their organization, an admin)."""
    current = current_actor(db, actor)
    if current.id != member_id:
        target = _target(db, member_id)
        if not (current.is_manager and may_manage(current, target)):
            raise PermissionError("not this member's data")
    return _read(db, member_id)


def parse_birth_years(text: str) -> tuple[int, ...]:
    """Birth years typed as ``2015, 2018`` (commas or spaces), checked and sorted."""
    parts = [p for p in text.replace(",", " ").replace(";", " ").split() if p]
    if not all(p.isascii() and p.isdigit() for p in parts):
        raise FamilyError(N_("Type the children's birth years as numbers, such as 2015, 2018."))
    return _check_years(tuple(int(p) for p in parts))


def _check_years(years: tuple[int, ...]) -> tuple[int, ...]:
    this_year = clock.today_paris().year
    if len(years) > MAX_CHILDREN:
        raise FamilyError(N_("At most {n} children can be recorded."), n=MAX_CHILDREN)
    for year in years:
        if not 1900 <= year <= this_year:
            raise FamilyError(N_("A birth year must be between 1900 and {year}."), year=this_year)
    return tuple(sorted(years))


def _check_situation(situation: str | None) -> str | None:
    if situation is not None and situation not in SITUATIONS:
        raise FamilyError(N_("Choose a family situation from the list."))
    return situation


def _check_quotient(value: int | None) -> int | None:
    if value is not None and not 0 <= value <= 1_000_000:
        raise FamilyError(N_("The quotient familial must be a whole number of euros, 0 or more."))
    return value


def quotient_from_tax_notice(rfr_euros: int, parts: str | Decimal) -> int:
    """Quotient familial from a tax notice: RFR ÷ nombre de parts ÷ 12, rounded to the euro.

    Args:
        rfr_euros: The revenu fiscal de référence, in whole euros.
        parts: The nombre de parts (``2,5`` or ``2.5``; quarter parts allowed).
    """
    if rfr_euros < 0:
        raise FamilyError(N_("The revenu fiscal de référence cannot be negative."))
    try:
        count = Decimal(str(parts).strip().replace(",", "."))
    except InvalidOperation:
        count = Decimal(0)
    if not count.is_finite() or count < 1 or count > 50 or (count * 4) % 1 != 0:
        raise FamilyError(
            N_("The number of parts must be 1 or more, in quarter parts (such as 2.5).")
        )
    quotient = (Decimal(rfr_euros) / count / 12).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(quotient)


def _write(
    db: Database,
    actor: Member,
    target: Member,
    *,
    situation: str | None | EllipsisType,
    children_birth_years: tuple[int, ...] | EllipsisType,
    quotient_familial: int | None | EllipsisType,
) -> list[str]:
    """Write the given fields (inside the caller's transaction); the names of those written."""
    written = []
    if not isinstance(situation, EllipsisType):
        family_data.set_situation(db, target.id, situation)
        written.append("situation")
    if not isinstance(children_birth_years, EllipsisType):
        family_data.set_children(db, target.id, children_birth_years)
        written.append("children")
    if not isinstance(quotient_familial, EllipsisType):
        subsidies_service.set_quotient_familial(db, actor, target.id, quotient_familial)
        written.append("quotient_familial")
    return written


def set_family(
    db: Database,
    actor: Member,
    member_id: int,
    *,
    situation: str | None | EllipsisType = ...,
    children_birth_years: tuple[int, ...] | EllipsisType = ...,
    quotient_familial: int | None | EllipsisType = ...,
) -> FamilyData:
    """Set some of a member's family fields by hand (managers of their organization, admins).

    A field left out (``...``) is kept. A field already proven by a validated credential is
    refused: a new document must prove the change.
    """
    current, target = _managed_target(db, actor, member_id)
    if not isinstance(situation, EllipsisType):
        situation = _check_situation(situation)
    if not isinstance(children_birth_years, EllipsisType):
        children_birth_years = _check_years(tuple(children_birth_years))
    if not isinstance(quotient_familial, EllipsisType):
        quotient_familial = _check_quotient(quotient_familial)
    asked = {
        "situation": situation,
        "children": children_birth_years,
        "quotient_familial": quotient_familial,
    }
    with transaction(db):
        proofs = family_data.get_proofs(db, member_id)
        for name, value in asked.items():
            if not isinstance(value, EllipsisType) and name in proofs:
                raise FamilyError(PROVEN[name])
        written = _write(
            db,
            current,
            target,
            situation=situation,
            children_birth_years=children_birth_years,
            quotient_familial=quotient_familial,
        )
        if written:
            audit.record(
                db,
                "family.updated",
                actor_id=current.id,
                organization_id=target.organization_id,
                target=f"member:{member_id}",
                fields=written,
            )
        return _read(db, member_id)


def record_proven(
    db: Database,
    actor: Member,
    member_id: int,
    credential_id: int,
    *,
    situation: str | None | EllipsisType = ...,
    children_birth_years: tuple[int, ...] | EllipsisType = ...,
    quotient_familial: int | None | EllipsisType = ...,
) -> list[str]:
    """Write the values a validated credential proves, and record it as their proof.

    Called by ``services.credentials.validate`` inside its transaction (it has checked the
    credential); the actor is checked again here. Returns the fields written.
    """
    current, target = _managed_target(db, actor, member_id)
    if not isinstance(situation, EllipsisType):
        situation = _check_situation(situation)
    if not isinstance(children_birth_years, EllipsisType):
        children_birth_years = _check_years(tuple(children_birth_years))
    if not isinstance(quotient_familial, EllipsisType):
        quotient_familial = _check_quotient(quotient_familial)
    with transaction(db):
        written = _write(
            db,
            current,
            target,
            situation=situation,
            children_birth_years=children_birth_years,
            quotient_familial=quotient_familial,
        )
        for name in written:
            family_data.set_proof(db, member_id, name, credential_id)
        return written
