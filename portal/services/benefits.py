"""Benefits ("Mes avantages") as a member sees them: subsidies and gift vouchers.

An organization gives a *program* (a kind, an amount, a period) to members; each member's
share is an *allocation* whose balance is the sum of its ledger rows. This module reads
them for the member: ``list_benefits`` (this year and last), ``usable_benefits`` (what may
be spent today) and ``benefit_history``. The order in which they are spent lives in
``services.spending``; giving them in ``services.allocations``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlite_utils import Database

from portal.data import subsidies as subsidies_data
from portal.data import wallet as wallet_data
from portal.data.members import Member
from portal.data.subsidies import SubsidyRule
from portal.data.wallet import Allocation, LedgerEntry
from portal.i18n import N_
from portal.services import clock
from portal.services.errors import UserError
from portal.services.subsidies import rule_matches, subsidy_per_item

__all__ = [
    "CULTURE_CATEGORIES",
    "KIND_LABELS",
    "BenefitSummary",
    "LedgerEntry",
    "benefit_history",
    "list_benefits",
    "usable_benefits",
]


CULTURE_CATEGORIES: tuple[str, ...] = ("culture", "cinema")
"""Offer categories that culture vouchers (e-chèques culture) pay for by default."""

KIND_LABELS: dict[str, str] = {
    "subsidy": N_("Subsidy"),
    "gift": N_("Gift voucher"),
    "culture": N_("Culture voucher"),
}
"""Message ids naming each kind of allocation."""


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
            return self.rule is not None and rule_matches(self.rule, category, offer_kind)
        return not self.categories or category in self.categories

    def subsidy_for(self, unit_price_cents: int) -> int:
        """What this subsidy takes off one item at that price (0 for vouchers)."""
        if self.rule is None:
            return 0
        return min(
            subsidy_per_item(self.rule, unit_price_cents, self.quotient_familial),
            self.remaining_cents,
        )


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
    rule_ids = sorted({a.rule_id for a in allocations if a.rule_id})
    rules = subsidies_data.rules_by_id(db, rule_ids, on=today)  # the terms in force today
    qf = subsidies_data.get_quotient_familial(db, member_id)
    return [_summary(a, rules.get(a.rule_id or 0), qf, today) for a in allocations]


def list_benefits(
    db: Database, member: Member, *, today: dt.date | None = None
) -> list[BenefitSummary]:
    """The member's allocations of this year and last (lapsed ones flagged), soonest-ending first.

    Allocations not yet started are listed too, so a renewal can be seen before January.
    """
    today = today or clock.today_paris()
    allocations = wallet_data.member_allocations(db, member.id, since_year=today.year - 1)
    return _summaries(db, allocations, member.id, today)


def usable_benefits(
    db: Database, member: Member, *, today: dt.date | None = None
) -> list[BenefitSummary]:
    """Allocations the member may spend today (valid, with money left)."""
    today = today or clock.today_paris()
    return _summaries(
        db, wallet_data.member_allocations(db, member.id, usable_on=today), member.id, today
    )


def benefit_history(db: Database, member: Member, allocation_id: int) -> list[LedgerEntry]:
    """Every credit and debit of one of the member's allocations."""
    allocation = wallet_data.get_allocation(db, allocation_id)
    if allocation is None or allocation.member_id != member.id:
        raise UserError(N_("This benefit does not exist."))
    return wallet_data.allocation_entries(db, allocation_id)
