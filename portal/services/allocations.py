"""Giving benefits: a manager's allocations, the yearly renewal and lapsing.

A manager allocates a *program* (a kind, an amount, a period) to listed members (each
the same amount, or their own amount read from a file), to directory groups or to
everyone; programs given to groups or everyone follow them (``services.programs``).
``preview_allocation`` checks it — its period may not be over, its name says its year —
and lists the URSSAF warnings against each member's year (``services.urssaf``) and a
duplicate of less than a minute ago; ``allocate`` writes the program and credits each
member's allocation through the ledger. Unused allocations lapse at the end of their
period (``lapse_expired``); ``services.renewal`` creates next year's programs, under next
year's name, after the same URSSAF check. The amounts and percentages a manager types
are read by ``services.allocation_input`` (re-exported here).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from sqlite_utils import Database

from portal.config import Settings
from portal.data import directory as directory_data
from portal.data import programs as programs_data
from portal.data import subsidies as subsidies_data
from portal.data import wallet as wallet_data
from portal.data.db import transaction
from portal.data.members import Member
from portal.data.wallet import Program
from portal.i18n import N_
from portal.services import audit, clock, programs
from portal.services.allocation_input import (
    parse_brackets,
    parse_day,
    parse_euros,
    parse_percent,
)
from portal.services.authz import managed_organization
from portal.services.errors import UserError
from portal.services.programs import LATE_JOINERS, program_label
from portal.services.text import check_line
from portal.services.urssaf import LISTED_EVENTS, UrssafWarning, gift_warnings

__all__ = [
    "AllocationPreview",
    "AllocationRequest",
    "DuplicateAllocation",
    "Program",
    "allocate",
    "create_program",
    "lapse_expired",
    "list_programs",
    "parse_brackets",
    "parse_day",
    "parse_euros",
    "parse_percent",
    "preview_allocation",
]

DUPLICATE_WINDOW = 60.0
"""Seconds within which a second identical allocation asks for confirmation."""


class DuplicateAllocation(UserError):
    """The same allocation was made less than a minute ago (``confirm_duplicate=True``)."""


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
    """Listed targets (ignored when ``everyone`` or ``group_ids``)."""
    everyone: bool = False
    """Every active member, now and those who join during the period."""
    rule_id: int | None = None
    categories: tuple[str, ...] = ()
    event: str | None = None
    valid_until: dt.date | None = None
    """Default: 31 December of ``year``."""
    renews: bool = True
    group_ids: tuple[int, ...] = ()
    """Directory groups: their members now, and those who enter them later."""
    late_joiners: str = "prorata"
    """What a member who joins later receives: ``prorata`` or ``whole``."""
    valid_from: dt.date | None = None
    """Default: 1 January of ``year``."""
    amounts: tuple[tuple[int, int], ...] = ()
    """Per-member amounts (member id, cents), e.g. from a file; replaces ``member_ids``."""

    @property
    def target(self) -> str:
        """``all``, ``group`` or ``member`` (listed members)."""
        if self.everyone:
            return "all"
        return "group" if self.group_ids else "member"


@dataclass(frozen=True)
class AllocationPreview:
    """Who would receive an allocation, the URSSAF warnings to acknowledge, and a duplicate."""

    request: AllocationRequest
    organization_id: int
    member_ids: tuple[int, ...]
    warnings: tuple[UrssafWarning, ...] = field(default=())
    amounts: tuple[tuple[int, int], ...] = ()
    """(member id, cents) each member receives."""
    duplicate_of: int | None = None
    """The same program, made less than a minute ago (confirm to make it again)."""

    @property
    def total_cents(self) -> int:
        """What the organization gives in all."""
        return sum(cents for _member, cents in self.amounts)

    @property
    def liable_cents(self) -> int:
        """What the allocation makes liable to social contributions, in all."""
        return sum(w.added_liable_cents for w in self.warnings)


def _stamp(at: dt.datetime) -> str:
    """ISO UTC as the database writes it (``%Y-%m-%dT%H:%M:%fZ``)."""
    at = at.astimezone(dt.UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _check_period(request: AllocationRequest, today: dt.date) -> tuple[dt.date, dt.date]:
    if not 2000 <= request.year <= 2100:
        raise UserError(N_("The year is not valid."))
    start = request.valid_from or dt.date(request.year, 1, 1)
    end = request.valid_until or dt.date(request.year, 12, 31)
    if start.year != request.year:
        raise UserError(N_("The period must start in its year."))
    if end < start or end < dt.date(request.year, 1, 1):
        raise UserError(N_("The end date must fall in or after the year."))
    if end < today:
        raise UserError(
            N_("This period is over ({end}): choose this year or a later one."),
            end=end.strftime("%d/%m/%Y"),
        )
    return start, end


def preview_allocation(
    db: Database,
    actor: Member,
    request: AllocationRequest,
    *,
    settings: Settings,
    organization_id: int | None = None,
    today: dt.date | None = None,
) -> AllocationPreview:
    """Check an allocation and say who gets it and which members pass the URSSAF threshold.

    Nothing is written. The program's name gets its year (``program_label``). Culture
    vouchers and subsidies are exempt; gift vouchers are assessed against each member's
    year (what they already received), per event when the voucher names one.
    """
    org = managed_organization(db, actor, organization_id)
    today = today or clock.today_paris()
    if request.kind not in wallet_data.KINDS:
        raise UserError(N_("Choose a kind of benefit."))
    check_line(request.label, error=UserError)
    if not request.label.strip():
        raise UserError(N_("Give the allocation a name."))
    if request.amount_cents <= 0 and not request.amounts:
        raise UserError(N_("The amount must be positive."))
    _check_period(request, today)
    if request.late_joiners not in LATE_JOINERS:
        raise UserError(N_("Choose what members who join later receive."))
    if request.kind == "subsidy":
        rule = subsidies_data.get_rule(db, request.rule_id, on=today) if request.rule_id else None
        if rule is None or rule.organization_id != org:
            raise UserError(N_("Choose the subsidy rule it follows."))
        if not rule.active:
            raise UserError(N_("This subsidy rule is switched off."))
    if request.event is not None and request.event not in LISTED_EVENTS:
        raise UserError(N_("This event is not one URSSAF lists."))
    if request.everyone:
        member_ids = tuple(wallet_data.active_member_ids(db, org))
    elif request.group_ids:
        for group_id in request.group_ids:
            group = directory_data.get_group(db, group_id)
            if group is None or group.organization_id != org:
                raise UserError(N_("Some of these groups are not in your organization."))
        member_ids = tuple(programs_data.active_group_member_ids(db, list(request.group_ids)))
    else:
        given = dict(request.amounts) if request.amounts else {}
        if request.amounts and (
            len(given) != len(request.amounts) or any(c <= 0 for c in given.values())
        ):
            raise UserError(N_("Each member needs one positive amount."))
        member_ids = tuple(sorted(given or set(request.member_ids)))
        status = wallet_data.member_status(db, list(member_ids))
        if any(status.get(m, (None, ""))[0] != org for m in member_ids):
            raise UserError(N_("Some of these members are not in your organization."))
        if any(status[m][1] != "active" for m in member_ids):
            raise UserError(N_("Some of these members are not active."))
        if not member_ids:
            raise UserError(N_("Choose at least one member."))
    per_member = dict(request.amounts) if request.amounts and request.target == "member" else {}
    amounts = tuple((m, per_member.get(m, request.amount_cents)) for m in member_ids)
    if any(cents <= 0 for _m, cents in amounts):
        raise UserError(N_("The amount must be positive."))
    label = program_label(request.label, request.year)
    checked = replace(
        request,
        label=label,
        member_ids=member_ids,
        amounts=tuple(per_member.items()),
        amount_cents=max(per_member.values()) if per_member else request.amount_cents,
    )
    warnings = gift_warnings(
        db,
        settings,
        kind=request.kind,
        year=request.year,
        event=request.event,
        amounts=dict(amounts),
        organization_id=org,
    )
    return AllocationPreview(
        checked, org, member_ids, tuple(warnings), amounts, _duplicate(db, org, checked)
    )


def _duplicate(db: Database, org: int, request: AllocationRequest) -> int | None:
    since = _stamp(clock.now() - dt.timedelta(seconds=DUPLICATE_WINDOW))
    found = programs_data.recent_duplicate(
        db,
        organization_id=org,
        kind=request.kind,
        label=request.label,
        amount_cents=request.amount_cents,
        year=request.year,
        target=request.target,
        since=since,
    )
    if found is None:
        return None
    if request.target == "group":
        same = set(programs_data.program_group_ids(db, found)) == set(request.group_ids)
    elif request.target == "member":
        same = set(wallet_data.program_member_ids(db, found)) == set(request.member_ids)
    else:
        same = True
    return found if same else None


def allocate(
    db: Database,
    actor: Member,
    request: AllocationRequest,
    *,
    settings: Settings,
    acknowledge_urssaf: bool = False,
    confirm_duplicate: bool = False,
    organization_id: int | None = None,
    today: dt.date | None = None,
) -> Program:
    """Create a program and credit each target member's allocation through the ledger.

    Raises:
        DuplicateAllocation: The same allocation was made less than a minute ago and
            ``confirm_duplicate`` is not set (nothing is written).
        UserError: bad input, or URSSAF warnings not acknowledged (nothing is written).
    """
    with transaction(db):
        preview = preview_allocation(
            db, actor, request, settings=settings, organization_id=organization_id, today=today
        )
        if preview.duplicate_of is not None and not confirm_duplicate:
            raise DuplicateAllocation(
                N_(
                    "You made this same allocation less than a minute ago: "
                    "confirm to make it a second time."
                )
            )
        if preview.warnings and not acknowledge_urssaf:
            raise UserError(
                N_(
                    "This allocation passes the URSSAF exemption threshold for "
                    "{count} member(s): confirm to go on."
                ),
                count=len(preview.warnings),
            )
        program = create_program(
            db,
            actor.id,
            preview.organization_id,
            preview.request,
            preview.amounts,
        )
        audit.record(
            db,
            "wallet.allocated",
            actor_id=actor.id,
            organization_id=preview.organization_id,
            target=f"program:{program.id}",
            kind=request.kind,
            amount_cents=preview.request.amount_cents,
            members=len(preview.member_ids),
            year=request.year,
            audience=program.target,
            urssaf_warnings=len(preview.warnings),
            urssaf_liable_cents=preview.liable_cents,
            duplicate=preview.duplicate_of is not None,
        )
    return program


def create_program(
    db: Database,
    actor_id: int | None,
    org: int,
    request: AllocationRequest,
    amounts: tuple[tuple[int, int], ...],
    *,
    renewed_from: int | None = None,
) -> Program:
    program_id = wallet_data.insert_program(
        db,
        organization_id=org,
        kind=request.kind,
        label=request.label.strip(),
        amount_cents=request.amount_cents,
        year=request.year,
        valid_from=request.valid_from or dt.date(request.year, 1, 1),
        valid_until=request.valid_until or dt.date(request.year, 12, 31),
        rule_id=request.rule_id if request.kind == "subsidy" else None,
        categories=request.categories,
        event=request.event,
        target=request.target,
        renews=request.renews,
        renewed_from=renewed_from,
        created_by=actor_id,
        late_joiners=request.late_joiners,
        created_at=_stamp(clock.now()),
    )
    for group_id in request.group_ids if request.target == "group" else ():
        programs_data.add_program_group(db, program_id, group_id)
    program = wallet_data.get_program(db, program_id)
    assert program is not None
    for member_id, cents in amounts:
        programs.give(db, program, member_id, cents, actor_id=actor_id)
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
