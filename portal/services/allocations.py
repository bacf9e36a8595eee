"""Giving benefits: a manager's allocations, the yearly renewal and lapsing.

A manager allocates a *program* (a kind, an amount, a period) to one member, a group or
everyone: ``preview_allocation`` checks it and lists the URSSAF warnings
(``services.urssaf``), ``allocate`` writes the program and credits each member's
allocation through the ledger. Unused allocations lapse at the end of their period
(``lapse_expired``); ``renew`` gives a program's amounts again the next year. The amounts
and percentages a manager types are read here too (``parse_euros``...).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from sqlite_utils import Database

from portal.config import Settings
from portal.data import subsidies as subsidies_data
from portal.data import wallet as wallet_data
from portal.data.db import transaction
from portal.data.members import Member
from portal.data.wallet import Program
from portal.i18n import N_
from portal.services import audit, clock
from portal.services.authz import managed_organization
from portal.services.errors import UserError
from portal.services.text import ascii_digits, check_line
from portal.services.urssaf import LISTED_EVENTS, UrssafWarning, gift_warnings

__all__ = [
    "AllocationPreview",
    "AllocationRequest",
    "Program",
    "RenewalResult",
    "allocate",
    "lapse_expired",
    "list_programs",
    "parse_brackets",
    "parse_euros",
    "parse_percent",
    "preview_allocation",
    "renew",
]


# -- what a manager types -------------------------------------------------------------------


def parse_euros(text: str) -> int:
    """Read an amount typed in euros ("50", "49,90", "1 000 €") as cents."""
    cleaned = text.replace("€", "").replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    whole, _sep, decimals = cleaned.replace(",", ".").partition(".")
    if (
        not ascii_digits(whole)
        or len(whole) > 7
        or (decimals and (not ascii_digits(decimals) or len(decimals) > 2))
    ):
        raise UserError(N_("Enter an amount in euros, for example 50 or 49,90."))
    return int(whole) * 100 + int(decimals.ljust(2, "0") or 0)


def parse_percent(text: str) -> int:
    """Read a percentage typed by a manager ("50", "12,5") as basis points."""
    cleaned = text.replace("%", "").replace(" ", "").replace(",", ".")
    whole, _sep, decimals = cleaned.partition(".")
    if not ascii_digits(whole) or len(decimals) > 2 or (decimals and not ascii_digits(decimals)):
        raise UserError(N_("Enter a percentage, for example 50 or 12,5."))
    bp = int(whole) * 100 + int(decimals.ljust(2, "0") or 0)
    if not 0 < bp <= 10_000:
        raise UserError(N_("The percentage must be between 0 and 100."))
    return bp


def parse_brackets(text: str, mode: str) -> list[tuple[int | None, int | None, int | None]]:
    """Read quotient-familial brackets typed as ``700:70, 1200:50`` (QF up to 700: 70 %...).

    For a fixed-amount rule the value after the colon is an amount in euros. Brackets are
    returned as (QF upper bound, percent_bp, fixed_cents), in increasing QF order.
    """
    brackets: list[tuple[int | None, int | None, int | None]] = []
    for part in (p.strip() for p in text.replace(";", ",").split(",")):
        if not part:
            continue
        qf_text, sep, value = part.partition(":")
        if not sep or not ascii_digits(qf_text.strip()):
            raise UserError(N_("Write brackets as QF:value, for example 700:70, 1200:50."))
        qf = int(qf_text.strip())
        if mode == "percent":
            brackets.append((qf, parse_percent(value), None))
        else:
            brackets.append((qf, None, parse_euros(value)))
    brackets.sort(key=lambda b: b[0] or 0)
    return brackets


# -- allocating ----------------------------------------------------------------------------


def list_programs(
    db: Database, actor: Member, *, year: int | None = None, organization_id: int | None = None
) -> list[Program]:
    """An organization's programs, newest first."""
    return wallet_data.list_programs(db, managed_organization(db, actor, organization_id), year)


@dataclass(frozen=True)
class AllocationRequest:
    """What a manager asks to allocate."""

    kind: str
    label: str
    amount_cents: int
    year: int
    member_ids: tuple[int, ...] = ()
    """Targets (ignored when ``everyone``)."""
    everyone: bool = False
    rule_id: int | None = None
    categories: tuple[str, ...] = ()
    event: str | None = None
    valid_until: dt.date | None = None
    """Default: 31 December of ``year``."""
    renews: bool = True


@dataclass(frozen=True)
class AllocationPreview:
    """Who would receive an allocation, and the URSSAF warnings to acknowledge."""

    request: AllocationRequest
    organization_id: int
    member_ids: tuple[int, ...]
    warnings: tuple[UrssafWarning, ...] = field(default=())

    @property
    def total_cents(self) -> int:
        """What the organization gives in all."""
        return self.request.amount_cents * len(self.member_ids)


def preview_allocation(
    db: Database,
    actor: Member,
    request: AllocationRequest,
    *,
    settings: Settings,
    organization_id: int | None = None,
) -> AllocationPreview:
    """Check an allocation and say who gets it and which members pass the URSSAF threshold.

    Nothing is written. Culture vouchers and subsidies are exempt; gift vouchers tied to a
    listed event are assessed per event.
    """
    org = managed_organization(db, actor, organization_id)
    if request.kind not in wallet_data.KINDS:
        raise UserError(N_("Choose a kind of benefit."))
    check_line(request.label, error=UserError)
    if not request.label.strip():
        raise UserError(N_("Give the allocation a name."))
    if request.amount_cents <= 0:
        raise UserError(N_("The amount must be positive."))
    if not 2000 <= request.year <= 2100:
        raise UserError(N_("The year is not valid."))
    if request.valid_until is not None and request.valid_until < dt.date(request.year, 1, 1):
        raise UserError(N_("The end date must fall in or after the year."))
    if request.kind == "subsidy":
        rule = subsidies_data.get_rule(db, request.rule_id) if request.rule_id else None
        if rule is None or rule.organization_id != org:
            raise UserError(N_("Choose the subsidy rule it follows."))
    if request.event is not None and request.event not in LISTED_EVENTS:
        raise UserError(N_("This event is not one URSSAF lists."))
    if request.everyone:
        member_ids = tuple(wallet_data.active_member_ids(db, org))
    else:
        member_ids = tuple(sorted(set(request.member_ids)))
        status = wallet_data.member_status(db, list(member_ids))
        if any(status.get(m, (None, ""))[0] != org for m in member_ids):
            raise UserError(N_("Some of these members are not in your organization."))
        if any(status[m][1] != "active" for m in member_ids):
            raise UserError(N_("Some of these members are not active."))
    if not member_ids:
        raise UserError(N_("Choose at least one member."))
    warnings = gift_warnings(
        db,
        settings,
        kind=request.kind,
        year=request.year,
        event=request.event,
        amount_cents=request.amount_cents,
        member_ids=member_ids,
        organization_id=org,
    )
    return AllocationPreview(
        replace(request, member_ids=member_ids), org, member_ids, tuple(warnings)
    )


def allocate(
    db: Database,
    actor: Member,
    request: AllocationRequest,
    *,
    settings: Settings,
    acknowledge_urssaf: bool = False,
    organization_id: int | None = None,
) -> Program:
    """Create a program and credit each target member's allocation through the ledger.

    Raises:
        UserError: bad input, or URSSAF warnings not acknowledged (nothing is written).
    """
    with transaction(db):
        preview = preview_allocation(
            db, actor, request, settings=settings, organization_id=organization_id
        )
        if preview.warnings and not acknowledge_urssaf:
            raise UserError(
                N_(
                    "This allocation passes the URSSAF exemption threshold for "
                    "{count} member(s): confirm to go on."
                ),
                count=len(preview.warnings),
            )
        program = _create_program(
            db,
            actor.id,
            preview.organization_id,
            request,
            preview.member_ids,
            target="all"
            if request.everyone
            else ("member" if len(preview.member_ids) == 1 else "group"),
        )
        audit.record(
            db,
            "wallet.allocated",
            actor_id=actor.id,
            organization_id=preview.organization_id,
            target=f"program:{program.id}",
            kind=request.kind,
            amount_cents=request.amount_cents,
            members=len(preview.member_ids),
            year=request.year,
            urssaf_warnings=len(preview.warnings),
        )
    return program


def _create_program(
    db: Database,
    actor_id: int | None,
    org: int,
    request: AllocationRequest,
    member_ids: tuple[int, ...],
    *,
    target: str,
    renewed_from: int | None = None,
) -> Program:
    valid_until = request.valid_until or dt.date(request.year, 12, 31)
    program_id = wallet_data.insert_program(
        db,
        organization_id=org,
        kind=request.kind,
        label=request.label.strip(),
        amount_cents=request.amount_cents,
        year=request.year,
        valid_from=dt.date(request.year, 1, 1),
        valid_until=valid_until,
        rule_id=request.rule_id if request.kind == "subsidy" else None,
        categories=request.categories,
        event=request.event,
        target=target,
        renews=request.renews,
        renewed_from=renewed_from,
        created_by=actor_id,
    )
    for member_id in member_ids:
        allocation_id = wallet_data.insert_allocation(
            db,
            program_id=program_id,
            member_id=member_id,
            organization_id=org,
            amount_cents=request.amount_cents,
        )
        wallet_data.credit(
            db,
            allocation_id=allocation_id,
            member_id=member_id,
            amount_cents=request.amount_cents,
            entry="grant",
            actor_id=actor_id,
        )
    program = wallet_data.get_program(db, program_id)
    assert program is not None
    return program


# -- lapsing and renewal ---------------------------------------------------------------------


def lapse_expired(db: Database, *, today: dt.date | None = None) -> int:
    """Write a ``lapse`` debit for what is left on allocations whose period is over.

    Expired allocations can no longer be spent in any case; this makes the ledger say so.
    Returns how many allocations lapsed.
    """
    today = today or clock.today_paris()
    count = 0
    with transaction(db):
        for allocation in wallet_data.expired_with_balance(db, today):
            if wallet_data.debit(
                db,
                allocation_id=allocation.id,
                member_id=allocation.member_id,
                amount_cents=allocation.balance_cents,
                entry="lapse",
            ):
                count += 1
        if count:
            audit.record(db, "wallet.lapsed", allocations=count, day=today.isoformat())
    return count


@dataclass(frozen=True)
class RenewalResult:
    """What a yearly renewal did."""

    year: int
    programs: int
    allocations: int
    lapsed: int


def renew(
    db: Database,
    year: int,
    *,
    actor: Member | None = None,
    organization_id: int | None = None,
    today: dt.date | None = None,
) -> RenewalResult:
    """Credit ``year``'s amounts for every renewing program of ``year - 1``.

    Programs given to everyone go to the organization's active members of now; others go
    again to those of their members still active. Running it twice changes nothing (a
    program is renewed once). Expired allocations are lapsed first.

    Args:
        actor: The manager or admin (None for the ``portal renew`` command).
        organization_id: Renew one organization only (a manager: always their own).
    """
    if actor is not None:
        organization_id = managed_organization(db, actor, organization_id)
    lapsed = lapse_expired(db, today=today)
    programs = allocations = 0
    with transaction(db):
        for program in wallet_data.list_programs(db, organization_id, year - 1):
            if not program.renews or wallet_data.program_renewed(db, program.id) is not None:
                continue
            if program.target == "all":
                member_ids = wallet_data.active_member_ids(db, program.organization_id)
            else:
                previous = wallet_data.program_member_ids(db, program.id)
                status = wallet_data.member_status(db, previous)
                member_ids = [
                    m for m in previous if status.get(m) == (program.organization_id, "active")
                ]
            if not member_ids:
                continue
            shift = (
                dt.date(year, 12, 31)
                if program.valid_until == dt.date(year - 1, 12, 31)
                else _next_year(program.valid_until)
            )
            request = AllocationRequest(
                kind=program.kind,
                label=program.label,
                amount_cents=program.amount_cents,
                year=year,
                rule_id=program.rule_id,
                categories=program.categories,
                event=program.event,
                valid_until=shift,
                renews=True,
            )
            _create_program(
                db,
                actor.id if actor else None,
                program.organization_id,
                request,
                tuple(member_ids),
                target=program.target,
                renewed_from=program.id,
            )
            programs += 1
            allocations += len(member_ids)
        audit.record(
            db,
            "wallet.renewed",
            actor_id=actor.id if actor else None,
            organization_id=organization_id,
            year=year,
            programs=programs,
            allocations=allocations,
        )
    return RenewalResult(year, programs, allocations, lapsed)


def _next_year(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)
