"""Benefits ("Mes avantages"): subsidies and gift vouchers given by an organization.

An organization creates a *program* (a kind, an amount, a period) and gives it to one
member, a group or everyone; each member's share is an *allocation* whose balance is the
sum of its ledger rows. Subsidies follow a *rule* per offer category (a percentage with
caps, or a fixed amount per item with a maximum count), optionally graded by quotient
familial. Unused allocations lapse at the end of their period.

Errors meant for a person are ``UserError``: an English message id and its parameters,
translated by the screen (service code runs in worker threads, outside the session's
language context).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlite_utils import Database

from portal.config import Settings
from portal.data import wallet as wallet_data
from portal.data.db import transaction
from portal.data.members import Member
from portal.data.wallet import Allocation, LedgerEntry, Program, SubsidyRule
from portal.i18n import N_, Translator
from portal.services import audit

__all__ = [
    "CULTURE_CATEGORIES",
    "KIND_LABELS",
    "LISTED_EVENTS",
    "AllocationPreview",
    "BenefitSummary",
    "LedgerEntry",
    "Program",
    "SubsidyRule",
    "UserError",
    "allocate",
    "applicable_benefits",
    "benefit_history",
    "create_rule",
    "eligible_offers",
    "describe_rule",
    "lapse_expired",
    "list_benefits",
    "list_programs",
    "list_rules",
    "organization_members",
    "parse_brackets",
    "parse_euros",
    "parse_percent",
    "preview_allocation",
    "set_quotient_familial",
    "subsidy_per_item",
    "today_paris",
    "urssaf_threshold",
]

PARIS = zoneinfo.ZoneInfo("Europe/Paris")

CULTURE_CATEGORIES: tuple[str, ...] = ("culture", "cinema")
"""Offer categories that culture vouchers (e-chèques culture) pay for by default."""

KIND_LABELS: dict[str, str] = {
    "subsidy": N_("Subsidy"),
    "gift": N_("Gift voucher"),
    "culture": N_("Culture voucher"),
}
"""Message ids naming each kind of allocation."""

LISTED_EVENTS: dict[str, str] = {
    "christmas": N_("Christmas"),
    "back_to_school": N_("Back to school"),
    "birth": N_("Birth or adoption"),
    "wedding": N_("Wedding or civil partnership"),
    "retirement": N_("Retirement"),
    "mothers_day": N_("Mother's day"),
    "fathers_day": N_("Father's day"),
    "saint_catherine": N_("Saint Catherine's day"),
    "saint_nicholas": N_("Saint Nicholas' day"),
}
"""Events for which URSSAF assesses gift vouchers separately (each against the threshold)."""


class UserError(Exception):
    """A refusal to show the person: an English message id and its parameters."""

    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid.format(**params) if params else msgid)
        self.msgid = msgid
        self.params = params

    def translated(self, t: Translator) -> str:
        """The message in a given language."""
        return t.gettext(self.msgid, **self.params)


def today_paris(now: dt.datetime | None = None) -> dt.date:
    """Today's date in Paris (allocations start and end on Paris calendar days)."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(PARIS).date()


# -- what a member sees --------------------------------------------------------------------


@dataclass(frozen=True)
class BenefitSummary:
    """One allocation as its member sees it."""

    allocation_id: int
    kind: str
    """``subsidy``, ``gift`` (general voucher) or ``culture`` (restricted voucher)."""
    label: str
    amount_cents: int
    remaining_cents: int
    valid_from: dt.date
    valid_until: dt.date
    categories: tuple[str, ...]
    """Categories it pays for (empty: any offer)."""
    event: str | None
    rule: SubsidyRule | None = None
    quotient_familial: int | None = None
    lapsed: bool = False
    """True once its period is over: what was left is lost."""

    @property
    def restricted(self) -> bool:
        """A voucher limited to some categories (culture vouchers)."""
        return self.kind == "culture" or (self.kind == "gift" and bool(self.categories))

    def applies_to(self, category: str, offer_kind: str) -> bool:
        """Whether this benefit can pay for an offer of that category and kind."""
        if self.kind == "subsidy":
            return self.rule is not None and _rule_matches(self.rule, category, offer_kind)
        return not self.categories or category in self.categories

    def subsidy_for(self, unit_price_cents: int) -> int:
        """What this subsidy takes off one item at that price (0 for vouchers)."""
        if self.rule is None:
            return 0
        return min(
            subsidy_per_item(self.rule, unit_price_cents, self.quotient_familial),
            self.remaining_cents,
        )


def _rule_matches(rule: SubsidyRule, category: str, offer_kind: str) -> bool:
    return rule.active and rule.category == category and rule.offer_kind in (None, offer_kind)


def _summary(
    a: Allocation, rule: SubsidyRule | None, qf: int | None, today: dt.date
) -> BenefitSummary:
    categories = a.categories
    if a.kind == "culture" and not categories:
        categories = CULTURE_CATEGORIES
    if a.kind == "subsidy" and rule is not None:
        categories = (rule.category,)
    return BenefitSummary(
        allocation_id=a.id,
        kind=a.kind,
        label=a.label,
        amount_cents=a.amount_cents,
        remaining_cents=a.balance_cents,
        valid_from=a.valid_from,
        valid_until=a.valid_until,
        categories=categories,
        event=a.event,
        rule=rule,
        quotient_familial=qf,
        lapsed=a.valid_until < today,
    )


def _summaries(
    db: Database, allocations: list[Allocation], member_id: int, today: dt.date
) -> list[BenefitSummary]:
    rules = wallet_data.rules_by_id(db, sorted({a.rule_id for a in allocations if a.rule_id}))
    qf = wallet_data.get_quotient_familial(db, member_id)
    return [_summary(a, rules.get(a.rule_id or 0), qf, today) for a in allocations]


def list_benefits(
    db: Database, member: Member, *, today: dt.date | None = None
) -> list[BenefitSummary]:
    """The member's allocations of this year and last (lapsed ones flagged), soonest-ending first.

    Allocations not yet started are listed too, so a renewal can be seen before January.
    """
    today = today or today_paris()
    allocations = wallet_data.member_allocations(db, member.id, since_year=today.year - 1)
    return _summaries(db, allocations, member.id, today)


def usable_benefits(
    db: Database, member: Member, *, today: dt.date | None = None
) -> list[BenefitSummary]:
    """Allocations the member may spend today (valid, with money left)."""
    today = today or today_paris()
    return _summaries(
        db, wallet_data.member_allocations(db, member.id, usable_on=today), member.id, today
    )


def applicable_benefits(
    db: Database,
    member: Member,
    offer_category: str,
    offer_kind: str,
    *,
    today: dt.date | None = None,
) -> list[BenefitSummary]:
    """Benefits that would pay for an offer of this category and kind, in the order applied.

    For the shop's offer sheet: subsidies first (``subsidy_for(price)`` says how much per
    item), then restricted vouchers, then general vouchers.
    """
    found = [
        b
        for b in usable_benefits(db, member, today=today)
        if b.applies_to(offer_category, offer_kind)
    ]
    rank = {"subsidy": 0}
    return sorted(
        found,
        key=lambda b: (rank.get(b.kind, 1 if b.restricted else 2), b.valid_until, b.allocation_id),
    )


def eligible_offers(db: Database, member: Member, benefit: BenefitSummary) -> list[Any]:
    """Shop offers a benefit pays for ("see all eligible offers"), as the catalog lists them."""
    from portal.services import catalog

    offers = []
    for category in benefit.categories:
        for offer in catalog.search_offers(db, member, category=category):
            if benefit.applies_to(offer.category, offer.kind):
                offers.append(offer)
    return offers


def benefit_history(db: Database, member: Member, allocation_id: int) -> list[LedgerEntry]:
    """Every credit and debit of one of the member's allocations."""
    allocation = wallet_data.get_allocation(db, allocation_id)
    if allocation is None or allocation.member_id != member.id:
        raise UserError(N_("This benefit does not exist."))
    return wallet_data.allocation_entries(db, allocation_id)


# -- subsidy arithmetic (integer cents) -----------------------------------------------------


def rule_terms(rule: SubsidyRule, qf: int | None) -> tuple[int, int]:
    """(percent in basis points, fixed cents) for a member's quotient familial.

    The first bracket whose upper bound is at or above the QF applies; without a QF, or
    above every bound, the rule's own values apply.
    """
    if qf is not None:
        for bracket in rule.brackets:
            if bracket.qf_max is None or qf <= bracket.qf_max:
                return (
                    rule.percent_bp if bracket.percent_bp is None else bracket.percent_bp,
                    rule.fixed_cents if bracket.fixed_cents is None else bracket.fixed_cents,
                )
    return rule.percent_bp, rule.fixed_cents


def subsidy_per_item(rule: SubsidyRule, unit_price_cents: int, qf: int | None) -> int:
    """Cents a rule takes off one item: rounded down, capped per item, never above the price."""
    percent_bp, fixed_cents = rule_terms(rule, qf)
    amount = unit_price_cents * percent_bp // 10_000 if rule.mode == "percent" else fixed_cents
    if rule.cap_per_item_cents is not None:
        amount = min(amount, rule.cap_per_item_cents)
    return max(0, min(amount, unit_price_cents))


def describe_rule(
    rule: SubsidyRule, t: Translator, qf: int | None = None, *, brackets: bool = False
) -> str:
    """One sentence saying what a rule gives (in ``t``'s language).

    Args:
        qf: The member's quotient familial (their bracket's values are described).
        brackets: Also list the brackets (for managers).
    """
    percent_bp, fixed_cents = rule_terms(rule, qf)
    if rule.mode == "percent":
        text = t.gettext("{percent} % of the price", percent=t.number(percent_bp / 100))
    else:
        text = t.gettext("{amount} per item", amount=t.money(fixed_cents))
    parts = [text]
    if rule.cap_per_item_cents is not None and rule.mode == "percent":
        parts.append(t.gettext("up to {amount} per item", amount=t.money(rule.cap_per_item_cents)))
    if rule.cap_per_year_cents is not None:
        parts.append(t.gettext("up to {amount} per year", amount=t.money(rule.cap_per_year_cents)))
    if rule.max_count is not None:
        parts.append(
            t.ngettext("at most {n} item per year", "at most {n} items per year", rule.max_count)
        )
    text = ", ".join(parts)
    if brackets and rule.brackets:
        graded = []
        for b in rule.brackets:
            value = (
                t.number((b.percent_bp if b.percent_bp is not None else rule.percent_bp) / 100)
                + " %"
                if rule.mode == "percent"
                else t.money(b.fixed_cents if b.fixed_cents is not None else rule.fixed_cents)
            )
            graded.append(
                t.gettext("QF up to {qf}: {value}", qf=b.qf_max, value=value)
                if b.qf_max is not None
                else t.gettext("higher QF: {value}", value=value)
            )
        text += " (" + ", ".join(graded) + ")"
    return text


# -- management ------------------------------------------------------------------------------


def _require_manager(member: Member, organization_id: int | None) -> None:
    if member.role == "admin":
        return
    if (
        member.role != "manager"
        or organization_id is None
        or member.organization_id != organization_id
    ):
        raise PermissionError("not a manager of this organization")


def _own_org(member: Member, organization_id: int | None) -> int:
    org = organization_id if organization_id is not None else member.organization_id
    if org is None:
        raise UserError(N_("Choose an organization."))
    _require_manager(member, org)
    return org


def organization_members(
    db: Database, actor: Member, organization_id: int | None = None
) -> list[Member]:
    """Active members of the manager's organization (targets of an allocation)."""
    from portal.data import members as members_data

    org = _own_org(actor, organization_id)
    return [m for m in members_data.list_members(db, org) if m.status == "active"]


def parse_euros(text: str) -> int:
    """Read an amount typed in euros ("50", "49,90", "1 000 €") as cents."""
    cleaned = text.replace("€", "").replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    whole, _sep, decimals = cleaned.replace(",", ".").partition(".")
    if (
        not whole.isdigit()
        or len(whole) > 7
        or (decimals and (not decimals.isdigit() or len(decimals) > 2))
    ):
        raise UserError(N_("Enter an amount in euros, for example 50 or 49,90."))
    return int(whole) * 100 + int(decimals.ljust(2, "0") or 0)


def parse_percent(text: str) -> int:
    """Read a percentage typed by a manager ("50", "12,5") as basis points."""
    cleaned = text.replace("%", "").replace(" ", "").replace(",", ".")
    whole, _sep, decimals = cleaned.partition(".")
    if not whole.isdigit() or len(decimals) > 2 or (decimals and not decimals.isdigit()):
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
        if not sep or not qf_text.strip().isdigit():
            raise UserError(N_("Write brackets as QF:value, for example 700:70, 1200:50."))
        qf = int(qf_text.strip())
        if mode == "percent":
            brackets.append((qf, parse_percent(value), None))
        else:
            brackets.append((qf, None, parse_euros(value)))
    brackets.sort(key=lambda b: b[0] or 0)
    return brackets


def set_quotient_familial(db: Database, actor: Member, member_id: int, value: int | None) -> None:
    """Record a member's quotient familial (a manager of their organization, or an admin).

    Called when a credential proving it is validated; subsidy brackets read it.
    """
    if value is not None and value < 0:
        raise UserError(N_("The quotient familial cannot be negative."))
    status = wallet_data.member_status(db, [member_id])
    if member_id not in status:
        raise UserError(N_("This member does not exist."))
    org = status[member_id][0]
    _require_manager(actor, org)
    with transaction(db):
        wallet_data.set_quotient_familial(db, member_id, value)
        audit.record(
            db,
            "wallet.quotient_familial",
            actor_id=actor.id,
            organization_id=org,
            target=f"member:{member_id}",
            known=value is not None,
        )


def create_rule(
    db: Database,
    actor: Member,
    *,
    label: str,
    category: str,
    mode: str,
    percent_bp: int = 0,
    fixed_cents: int = 0,
    cap_per_item_cents: int | None = None,
    cap_per_year_cents: int | None = None,
    max_count: int | None = None,
    offer_kind: str | None = None,
    brackets: Iterable[tuple[int | None, int | None, int | None]] = (),
    organization_id: int | None = None,
) -> SubsidyRule:
    """Create a subsidy rule for an offer category.

    Args:
        mode: ``percent`` (``percent_bp`` of the price, optional caps) or ``fixed``
            (``fixed_cents`` per item, optional ``max_count`` per year).
        brackets: (QF upper bound or None, percent_bp or None, fixed_cents or None), graded
            by quotient familial.
    """
    org = _own_org(actor, organization_id)
    label, category = label.strip(), category.strip()
    if not label or not category:
        raise UserError(N_("Give the rule a name and an offer category."))
    if mode not in ("percent", "fixed"):
        raise UserError(N_("Choose a percentage or a fixed amount."))
    if mode == "percent" and not 0 < percent_bp <= 10_000:
        raise UserError(N_("The percentage must be between 0 and 100."))
    if mode == "fixed" and fixed_cents <= 0:
        raise UserError(N_("The fixed amount must be positive."))
    for value in (cap_per_item_cents, cap_per_year_cents, max_count):
        if value is not None and value <= 0:
            raise UserError(N_("Caps and counts must be positive."))
    with transaction(db):
        rule_id = wallet_data.insert_rule(
            db,
            organization_id=org,
            label=label,
            category=category,
            mode=mode,
            percent_bp=percent_bp,
            fixed_cents=fixed_cents,
            cap_per_item_cents=cap_per_item_cents,
            cap_per_year_cents=cap_per_year_cents,
            max_count=max_count,
            offer_kind=offer_kind,
        )
        for qf_max, bracket_bp, bracket_fixed in brackets:
            wallet_data.insert_bracket(
                db, rule_id, qf_max=qf_max, percent_bp=bracket_bp, fixed_cents=bracket_fixed
            )
        audit.record(
            db,
            "wallet.rule_created",
            actor_id=actor.id,
            organization_id=org,
            target=f"rule:{rule_id}",
            category=category,
            mode=mode,
        )
    rule = wallet_data.get_rule(db, rule_id)
    assert rule is not None
    return rule


def list_rules(
    db: Database, actor: Member, organization_id: int | None = None
) -> list[SubsidyRule]:
    """An organization's subsidy rules (its managers, or an admin)."""
    return wallet_data.list_rules(db, _own_org(actor, organization_id))


def list_programs(
    db: Database, actor: Member, *, year: int | None = None, organization_id: int | None = None
) -> list[Program]:
    """An organization's programs, newest first."""
    return wallet_data.list_programs(db, _own_org(actor, organization_id), year)


def urssaf_threshold(settings: Settings, year: int) -> int | None:
    """The gift-voucher exemption per employee for a year (the latest known year's before it)."""
    known = {int(y): cents for y, cents in settings.urssaf_thresholds.items()}
    if year in known:
        return known[year]
    earlier = [y for y in known if y <= year]
    return known[max(earlier)] if earlier else None


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
class UrssafWarning:
    """A member whose gift vouchers for the year would pass the exemption threshold."""

    member_id: int
    name: str
    total_cents: int
    threshold_cents: int


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
    org = _own_org(actor, organization_id)
    if request.kind not in wallet_data.KINDS:
        raise UserError(N_("Choose a kind of benefit."))
    if not request.label.strip():
        raise UserError(N_("Give the allocation a name."))
    if request.amount_cents <= 0:
        raise UserError(N_("The amount must be positive."))
    if not 2000 <= request.year <= 2100:
        raise UserError(N_("The year is not valid."))
    if request.valid_until is not None and request.valid_until < dt.date(request.year, 1, 1):
        raise UserError(N_("The end date must fall in or after the year."))
    if request.kind == "subsidy":
        rule = wallet_data.get_rule(db, request.rule_id) if request.rule_id else None
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
    warnings: list[UrssafWarning] = []
    threshold = urssaf_threshold(settings, request.year)
    if request.kind == "gift" and threshold is not None:
        from portal.data import members as members_data

        for member_id in member_ids:
            total = wallet_data.gift_allocated(db, member_id, request.year, request.event)
            total += request.amount_cents
            if total > threshold:
                m = members_data.get_member(db, member_id)
                warnings.append(
                    UrssafWarning(member_id, m.full_name if m else str(member_id), total, threshold)
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
    today = today or today_paris()
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
        organization_id = _own_org(actor, organization_id)
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
