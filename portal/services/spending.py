"""The spending order of benefits, in one place, and the plan of a basket's payment.

Benefits are spent most restrictive first (``spending_order``):

1. subsidies, automatically, on the items their rule covers;
2. restricted vouchers (culture vouchers, gift vouchers limited to some categories) on
   the items of their categories;
3. general gift vouchers on whatever is left, the delivery fee included;
4. the card pays the rest.

Within each group the soonest-ending allocation goes first (then the oldest). The offer
sheet lists a member's benefits in this order (``applicable_benefits``) and checkout
spends them in it (``plan_benefits``, a pure function in integer cents).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from portal.data.members import Member
from portal.data.orders import PricedLine
from portal.services.benefits import BenefitSummary, usable_benefits

__all__ = [
    "CheckoutLine",
    "Deduction",
    "Quote",
    "VoucherOption",
    "applicable_benefits",
    "plan_benefits",
    "spending_order",
]


def _rank(benefit: BenefitSummary) -> int:
    if benefit.kind == "subsidy":
        return 0
    return 1 if benefit.restricted else 2


def spending_order(benefits: Iterable[BenefitSummary]) -> list[BenefitSummary]:
    """Benefits in the order they are spent: subsidies, restricted vouchers (culture),
    general vouchers; soonest-ending first within each, then the oldest allocation."""
    return sorted(benefits, key=lambda b: (_rank(b), b.valid_until, b.allocation_id))


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
    return spending_order(
        b
        for b in usable_benefits(db, member, today=today)
        if b.applies_to(offer_category, offer_kind)
    )


@dataclass(frozen=True)
class CheckoutLine(PricedLine):
    """One basket line, as the checkout prices it (integer cents)."""

    shipping: bool = False
    """Sent by post (else delivered in the member space)."""

    @property
    def fulfilment(self) -> str:
        """``postal`` or ``digital``."""
        return "postal" if self.shipping else "digital"

    @classmethod
    def of(cls, line: PricedLine) -> CheckoutLine:
        """Copy a priced line (a ``services.basket.BasketLine``, an order line...)."""
        return cls(
            offer_id=line.offer_id,
            title=line.title,
            kind=line.kind,
            category=line.category,
            face_value_cents=line.face_value_cents,
            quantity=line.quantity,
            discount_bp=line.discount_bp,
            unit_price_cents=line.unit_price_cents,
            line_total_cents=line.line_total_cents,
            savings_cents=line.savings_cents,
            shipping=bool(getattr(line, "shipping", line.kind == "product")),
        )


@dataclass(frozen=True)
class Deduction:
    """What one allocation pays in an order."""

    allocation_id: int
    kind: str
    label: str
    amount_cents: int
    item_count: int = 0
    """Items subsidized (subsidies only; counted against a rule's maximum)."""


@dataclass(frozen=True)
class VoucherOption:
    """A voucher the member may use (or switch off) for this basket."""

    allocation_id: int
    kind: str
    label: str
    balance_cents: int
    valid_until: dt.date
    restricted: bool
    eligible: bool
    """Some line of the basket qualifies."""
    selected: bool
    used_cents: int


@dataclass(frozen=True)
class Quote:
    """The plan the member sees before paying."""

    lines: tuple[CheckoutLine, ...]
    line_subsidies: tuple[int, ...]
    """Subsidy cents taken off each line."""
    deductions: tuple[Deduction, ...]
    vouchers: tuple[VoucherOption, ...]
    excluded: frozenset[int]
    """Vouchers the member switched off."""
    total_cents: int
    subsidies_cents: int
    vouchers_cents: int
    card_cents: int
    shipping_cents: int = 0
    """One delivery fee for the order (part of ``total_cents``)."""

    @property
    def benefits_cents(self) -> int:
        """What benefits pay."""
        return self.subsidies_cents + self.vouchers_cents

    @property
    def savings_cents(self) -> int:
        """Discounts on the face value."""
        return sum(line.savings_cents for line in self.lines)

    @property
    def signature(self) -> tuple[Any, ...]:
        """What must not change between the quote and the order."""
        return (
            tuple(
                (ln.offer_id, ln.kind, ln.quantity, ln.unit_price_cents, ln.line_total_cents)
                for ln in self.lines
            ),
            tuple((d.allocation_id, d.amount_cents, d.item_count) for d in self.deductions),
            self.shipping_cents,
            self.card_cents,
        )


# -- planning (pure) -------------------------------------------------------------------------


def plan_benefits(
    lines: Sequence[CheckoutLine],
    benefits: Iterable[BenefitSummary],
    *,
    excluded: Iterable[int] = (),
    usage: dict[tuple[int, int], tuple[int, int]] | None = None,
    shipping_cents: int = 0,
) -> Quote:
    """Apply benefits to a basket in the spending order, in integer cents.

    Args:
        lines: The basket.
        shipping_cents: The delivery fee; only general vouchers and the card pay it.
        benefits: Usable allocations (valid today, money left).
        excluded: Voucher allocation ids the member switched off (subsidies always apply).
        usage: ``(rule id, year) -> (cents, items)`` already subsidized this year.
    """
    excluded_set = frozenset(excluded)
    usage = dict(usage or {})
    due = [line.line_total_cents for line in lines] + [shipping_cents]
    line_subsidy = [0] * len(lines)
    deductions: list[Deduction] = []
    benefit_list = spending_order(benefits)

    for b in (b for b in benefit_list if b.kind == "subsidy" and b.rule is not None):
        rule = b.rule
        assert rule is not None
        key = (rule.id, b.valid_from.year)
        used_cents, used_items = usage.get(key, (0, 0))
        budget = b.remaining_cents
        if rule.cap_per_year_cents is not None:
            budget = min(budget, rule.cap_per_year_cents - used_cents)
        items_left = None if rule.max_count is None else rule.max_count - used_items
        taken = items = 0
        for i, line in enumerate(lines):
            if budget - taken <= 0 or (items_left is not None and items_left - items <= 0):
                break
            if not b.applies_to(line.category, line.kind) or due[i] <= 0:
                continue
            per_item = b.subsidy_for(line.unit_price_cents)
            if per_item <= 0:
                continue
            units = line.quantity if items_left is None else min(line.quantity, items_left - items)
            amount = min(per_item * units, due[i], budget - taken)
            if amount <= 0:
                continue
            units_used = min(units, -(-amount // per_item))
            due[i] -= amount
            line_subsidy[i] += amount
            taken += amount
            items += units_used
        if taken:
            deductions.append(Deduction(b.allocation_id, b.kind, b.label, taken, items))
            usage[key] = (used_cents + taken, used_items + items)

    options: list[VoucherOption] = []
    voucher_cents = 0
    for b in (b for b in benefit_list if b.kind != "subsidy"):
        eligible = [i for i, line in enumerate(lines) if b.applies_to(line.category, line.kind)]
        if not b.restricted and shipping_cents:
            eligible.append(len(lines))
        selected = b.allocation_id not in excluded_set
        used = 0
        if selected:
            left = b.remaining_cents
            for i in eligible:
                take = min(left - used, due[i])
                if take > 0:
                    due[i] -= take
                    used += take
            if used:
                deductions.append(Deduction(b.allocation_id, b.kind, b.label, used))
                voucher_cents += used
        options.append(
            VoucherOption(
                b.allocation_id,
                b.kind,
                b.label,
                b.remaining_cents,
                b.valid_until,
                b.restricted,
                bool(eligible),
                selected,
                used,
            )
        )
    total = sum(line.line_total_cents for line in lines) + shipping_cents
    subsidies = sum(line_subsidy)
    return Quote(
        lines=tuple(lines),
        line_subsidies=tuple(line_subsidy),
        deductions=tuple(deductions),
        vouchers=tuple(options),
        excluded=excluded_set,
        total_cents=total,
        subsidies_cents=subsidies,
        vouchers_cents=voucher_cents,
        card_cents=sum(due),
        shipping_cents=shipping_cents,
    )
