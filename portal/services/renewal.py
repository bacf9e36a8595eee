"""The yearly renewal of programs: next year's program, under next year's name.

``preview_renewal`` says what renewing a year would credit and which members' gift
vouchers of that year would become liable to social contributions (the URSSAF rule,
against each member's year, the batch included); ``renew`` does it — refused while such
warnings are not acknowledged — after lapsing what ended. Programs given to everyone or
to groups go to their members of now (and go on following them); listed ones go again
to those of their members still active, each with the amount they had. A program is
renewed once: running it twice changes nothing. Used by the allocations screen and the
``portal renew`` command.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlite_utils import Database

from portal.config import Settings
from portal.data import programs as programs_data
from portal.data import wallet as wallet_data
from portal.data.db import transaction
from portal.data.members import Member
from portal.data.wallet import Program
from portal.i18n import N_
from portal.services import audit, clock, programs
from portal.services.allocations import AllocationRequest, create_program, lapse_expired
from portal.services.authz import managed_organization
from portal.services.errors import UserError
from portal.services.programs import program_label
from portal.services.urssaf import UrssafWarning, gift_warnings

__all__ = ["RenewalPlan", "RenewalPreview", "RenewalResult", "preview_renewal", "renew"]


@dataclass(frozen=True)
class RenewalResult:
    """What a yearly renewal did."""

    year: int
    programs: int
    allocations: int
    lapsed: int
    liable_cents: int = 0
    """What the renewed gift vouchers made liable to social contributions (acknowledged)."""


@dataclass(frozen=True)
class RenewalPlan:
    """One program to renew: next year's request and who receives what."""

    source: Program
    request: AllocationRequest
    amounts: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class RenewalPreview:
    """What a renewal would write, and the URSSAF warnings to acknowledge first."""

    year: int
    plans: tuple[RenewalPlan, ...]
    warnings: tuple[UrssafWarning, ...]

    @property
    def allocations(self) -> int:
        """Member allocations it would credit."""
        return sum(len(p.amounts) for p in self.plans)

    @property
    def liable_cents(self) -> int:
        """What it would make liable, in all."""
        return sum(w.added_liable_cents for w in self.warnings)


def _renewal_plans(db: Database, year: int, organization_id: int | None) -> list[RenewalPlan]:
    plans: list[RenewalPlan] = []
    for program in wallet_data.list_programs(db, organization_id, year - 1):
        if not program.renews or wallet_data.program_renewed(db, program.id) is not None:
            continue
        group_ids: tuple[int, ...] = ()
        if program.target == "member":
            previous = programs_data.program_amounts(db, program.id)
            status = wallet_data.member_status(db, list(previous))
            amounts = tuple(
                (m, cents)
                for m, cents in sorted(previous.items())
                if status.get(m) == (program.organization_id, "active")
            )
        else:
            if program.target == "group":
                group_ids = tuple(programs_data.program_group_ids(db, program.id))
                if not group_ids:  # its groups were deleted
                    continue
            amounts = tuple((m, program.amount_cents) for m in programs.audience(db, program))
        if not amounts and program.target != "group":
            continue
        request = AllocationRequest(
            kind=program.kind,
            label=program_label(program.label, year),
            amount_cents=program.amount_cents,
            year=year,
            everyone=program.target == "all",
            rule_id=program.rule_id,
            categories=program.categories,
            event=program.event,
            valid_from=_next_year(program.valid_from),
            valid_until=(
                dt.date(year, 12, 31)
                if program.valid_until == dt.date(year - 1, 12, 31)
                else _next_year(program.valid_until)
            ),
            renews=True,
            group_ids=group_ids,
            late_joiners=program.late_joiners,
            member_ids=tuple(m for m, _c in amounts) if program.target == "member" else (),
        )
        plans.append(RenewalPlan(program, request, amounts))
    return plans


def preview_renewal(
    db: Database,
    year: int,
    *,
    settings: Settings | None = None,
    actor: Member | None = None,
    organization_id: int | None = None,
    today: dt.date | None = None,
) -> RenewalPreview:
    """What renewing ``year`` would credit, and the members whose gift vouchers of that
    year would become liable (checked against each member's year, the batch included).

    Raises:
        UserError: ``year`` is over.
    """
    if actor is not None:
        organization_id = managed_organization(db, actor, organization_id)
    today = today or clock.today_paris()
    if not 2000 <= year <= 2100:
        raise UserError(N_("The year is not valid."))
    if year < today.year:
        raise UserError(N_("{year} is over: renew for this year or a later one."), year=year)
    settings = settings or Settings()
    plans = _renewal_plans(db, year, organization_id)
    warnings: list[UrssafWarning] = []
    pending: dict[int, dict[str | None, int]] = {}
    for plan in plans:
        if plan.request.kind != "gift":
            continue
        warnings += gift_warnings(
            db,
            settings,
            kind="gift",
            year=year,
            event=plan.request.event,
            amounts=dict(plan.amounts),
            organization_id=plan.source.organization_id,
            pending=pending,
        )
        for member_id, cents in plan.amounts:
            pools = pending.setdefault(member_id, {})
            pools[plan.request.event] = pools.get(plan.request.event, 0) + cents
    return RenewalPreview(year, tuple(plans), tuple(warnings))


def renew(
    db: Database,
    year: int,
    *,
    actor: Member | None = None,
    organization_id: int | None = None,
    today: dt.date | None = None,
    settings: Settings | None = None,
    acknowledge_urssaf: bool = False,
) -> RenewalResult:
    """Create ``year``'s program, under ``year``'s name, for every renewing program of
    ``year - 1``, and credit its members.

    Programs given to everyone or to groups go to their members of now (and follow them);
    listed ones go again to those of their members still active, each with the amount
    they had. Running it twice changes nothing (a program is renewed once). Expired
    allocations are lapsed first.

    Args:
        actor: The manager or admin (None for the ``portal renew`` command).
        organization_id: Renew one organization only (a manager: always their own).
        acknowledge_urssaf: Go on although gift vouchers become liable (see
            ``preview_renewal``); without it such a renewal is refused, nothing written.
    """
    if actor is not None:
        organization_id = managed_organization(db, actor, organization_id)
    with transaction(db):
        preview = preview_renewal(
            db, year, settings=settings, organization_id=organization_id, today=today
        )
        if preview.warnings and not acknowledge_urssaf:
            raise UserError(
                N_(
                    "This renewal passes the URSSAF exemption threshold for "
                    "{count} member(s): confirm to go on."
                ),
                count=len({w.member_id for w in preview.warnings}),
            )
        lapsed = lapse_expired(db, today=today)
        allocations = 0
        for plan in preview.plans:
            create_program(
                db,
                actor.id if actor else None,
                plan.source.organization_id,
                plan.request,
                plan.amounts,
                renewed_from=plan.source.id,
            )
            allocations += len(plan.amounts)
        audit.record(
            db,
            "wallet.renewed",
            actor_id=actor.id if actor else None,
            organization_id=organization_id,
            year=year,
            programs=len(preview.plans),
            allocations=allocations,
            urssaf_warnings=len(preview.warnings),
            urssaf_liable_cents=preview.liable_cents,
        )
    return RenewalResult(year, len(preview.plans), allocations, lapsed, preview.liable_cents)


def _next_year(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)
