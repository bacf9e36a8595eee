"""Checkout: spend benefits most restrictive first, pay the rest by card, place the order.

Order of benefits (``plan_benefits``, a pure function):

1. subsidies, automatically, on the items their rule covers (soonest-ending first);
2. restricted vouchers (culture) on the items of their categories;
3. general gift vouchers on whatever is left;
4. the card pays the rest.

The member sees this plan (a ``Quote``) and may switch vouchers off. ``place_order``
then writes, in one ``BEGIN IMMEDIATE`` transaction, the order, its lines, the ledger
debits and the card payment, after planning again from fresh balances: if anything
differs from the quote the member accepted (another session spent the same voucher, the
basket changed) nothing is written and the member is asked to confirm again. So two
sessions can never spend the same balance, and a balance never goes negative.

The card flow (``pay`` then, for 3-D Secure, ``complete_3ds``) authorizes the card
*before* the transaction and voids the authorization if the order cannot be written.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from portal.config import Settings
from portal.data import orders as orders_data
from portal.data import wallet as wallet_data
from portal.data.db import transaction
from portal.data.members import Member
from portal.i18n import N_
from portal.services import audit, orders
from portal.services.payments import (
    Authorization,
    CardDetails,
    PaymentDeclined,
    PaymentProvider,
)
from portal.services.wallet import BenefitSummary, UserError, today_paris, usable_benefits

log = logging.getLogger(__name__)

__all__ = [
    "CheckoutLine",
    "ChallengeRequired",
    "Deduction",
    "OrderPlaced",
    "Quote",
    "QuoteChanged",
    "VoucherOption",
    "basket_lines",
    "complete_3ds",
    "pay",
    "place_order",
    "plan_benefits",
    "prepare_checkout",
]

VAT_BP: dict[str, int] = {"ecard": 0, "eticket": 550, "product": 2000}
"""VAT by offer kind: gift cards are multi-purpose vouchers (no VAT at sale), event
tickets 5.5 %, goods 20 %."""
SHIPPING_VAT_BP = 2000
"""Delivery is charged with the goods' standard VAT rate."""


class QuoteChanged(UserError):
    """What would be written differs from what the member saw: nothing was written."""

    def __init__(self) -> None:
        super().__init__(
            N_(
                "Your basket or your balances changed meanwhile: check the amounts "
                "and confirm again."
            )
        )


@dataclass(frozen=True)
class CheckoutLine:
    """One basket line, as the checkout prices it (integer cents)."""

    offer_id: int | None
    title: str
    kind: str
    """``ecard``, ``eticket`` or ``product``."""
    category: str
    face_value_cents: int
    quantity: int
    discount_bp: int
    unit_price_cents: int
    line_total_cents: int
    savings_cents: int = 0
    shipping: bool = False
    """Sent by post (else delivered in the member space)."""

    @property
    def fulfilment(self) -> str:
        """``postal`` or ``digital``."""
        return "postal" if self.shipping else "digital"

    @classmethod
    def of(cls, line: Any) -> CheckoutLine:
        """Copy a basket line (``portal.services.basket.BasketLine`` or alike)."""
        title = getattr(line, "offer_title", None) or line.title
        return cls(
            offer_id=getattr(line, "offer_id", None),
            title=title,
            kind=line.kind,
            category=line.category,
            face_value_cents=line.face_value_cents,
            quantity=line.quantity,
            discount_bp=getattr(line, "discount_bp", 0),
            unit_price_cents=line.unit_price_cents,
            line_total_cents=line.line_total_cents,
            savings_cents=getattr(line, "savings_cents", 0),
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
    """Apply benefits to a basket, most restrictive first, in integer cents.

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
    benefit_list = sorted(benefits, key=lambda b: (b.valid_until, b.allocation_id))

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

    vouchers = [b for b in benefit_list if b.kind != "subsidy"]
    ordered = [b for b in vouchers if b.restricted] + [b for b in vouchers if not b.restricted]
    options: list[VoucherOption] = []
    voucher_cents = 0
    for b in ordered:
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


# -- reading the basket and balances ---------------------------------------------------------


def basket_lines(db: Database, member: Member) -> tuple[list[CheckoutLine], int]:
    """The member's basket as checkout lines, and its delivery fee (shop's basket service).

    Raises:
        UserError: the basket holds offers no longer available.
    """
    from portal.services import basket

    current = basket.get_basket(db, member)
    if current.has_unavailable:
        raise UserError(
            N_("Some offers are no longer available: remove them from your basket to order.")
        )
    return [CheckoutLine.of(line) for line in current.lines], current.shipping_cents


def prepare_checkout(
    db: Database,
    member: Member,
    *,
    excluded: Iterable[int] = (),
    lines: Sequence[CheckoutLine] | None = None,
    shipping_cents: int = 0,
    today: dt.date | None = None,
) -> Quote:
    """Plan the member's basket (or ``lines`` and ``shipping_cents``) against their
    benefits usable today."""
    today = today or today_paris()
    if lines is None:
        lines, shipping_cents = basket_lines(db, member)
    lines = list(lines)
    benefits = usable_benefits(db, member, today=today)
    usage = {}
    for b in benefits:
        if b.rule is not None:
            key = (b.rule.id, b.valid_from.year)
            if key not in usage:
                usage[key] = wallet_data.subsidy_usage(db, member.id, b.rule.id, key[1])
    return plan_benefits(
        lines, benefits, excluded=excluded, usage=usage, shipping_cents=shipping_cents
    )


# -- placing the order -----------------------------------------------------------------------


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def place_order(
    db: Database,
    member: Member,
    quote: Quote,
    *,
    settings: Settings,
    accepted_terms: bool,
    authorization: Authorization | None = None,
    lines: Sequence[CheckoutLine] | None = None,
    now: dt.datetime | None = None,
) -> orders.OrderDetail:
    """Write the order, its lines, its ledger debits and its card payment, or nothing.

    Args:
        quote: The plan the member accepted; planned again inside the transaction.
        authorization: The card authorization for ``quote.card_cents`` (None when benefits
            pay everything).
        lines: Lines to order instead of the basket (the basket is then left alone; the
            delivery fee is then ``quote.shipping_cents``).

    Raises:
        UserError: terms not accepted, empty basket, missing card.
        QuoteChanged: balances or basket changed since the quote; nothing written.
    """
    if not accepted_terms:
        raise UserError(N_("Accept the conditions of sale to pay."))
    if not quote.lines:
        raise UserError(N_("Your basket is empty."))
    if any(line.kind not in VAT_BP for line in quote.lines):
        raise UserError(N_("This basket holds an offer that cannot be ordered."))
    if quote.card_cents > 0 and (authorization is None or authorization.status != "authorized"):
        raise UserError(N_("Enter a card to pay the rest."))
    if authorization is not None and authorization.amount_cents != quote.card_cents:
        raise QuoteChanged()
    moment = _now(now)
    from_basket = lines is None
    with transaction(db):
        fresh = prepare_checkout(
            db,
            member,
            excluded=quote.excluded,
            lines=lines,
            shipping_cents=quote.shipping_cents if lines is not None else 0,
            today=today_paris(moment),
        )
        if fresh.signature != quote.signature:
            raise QuoteChanged()
        order_id = orders_data.insert_order(
            db,
            member_id=member.id,
            organization_id=member.organization_id,
            status="awaiting_payment",
            total_cents=fresh.total_cents,
            benefits_cents=fresh.benefits_cents,
            card_cents=fresh.card_cents,
            savings_cents=fresh.savings_cents,
            shipping_cents=fresh.shipping_cents,
            line_count=len(fresh.lines),
            summary=_summary(fresh.lines),
            has_postal=any(ln.shipping for ln in fresh.lines),
            has_digital=any(not ln.shipping for ln in fresh.lines),
            created_at=_iso(moment),
            terms_accepted_at=_iso(moment),
        )
        orders_data.insert_lines(
            db,
            order_id,
            (
                {
                    "position": i,
                    "offer_id": ln.offer_id,
                    "title": ln.title,
                    "kind": ln.kind,
                    "category": ln.category,
                    "face_value_cents": ln.face_value_cents,
                    "quantity": ln.quantity,
                    "discount_bp": ln.discount_bp,
                    "unit_price_cents": ln.unit_price_cents,
                    "line_total_cents": ln.line_total_cents,
                    "savings_cents": ln.savings_cents,
                    "subsidy_cents": fresh.line_subsidies[i],
                    "vat_bp": VAT_BP[ln.kind],
                    "fulfilment": ln.fulfilment,
                    "status": "pending",
                }
                for i, ln in enumerate(fresh.lines)
            ),
        )
        for d in fresh.deductions:
            if not wallet_data.debit(
                db,
                allocation_id=d.allocation_id,
                member_id=member.id,
                amount_cents=d.amount_cents,
                order_id=order_id,
                item_count=d.item_count,
                actor_id=member.id,
            ):
                raise QuoteChanged()
        if authorization is not None:
            orders_data.insert_card_payment(
                db,
                order_id=order_id,
                provider=authorization.provider,
                provider_ref=authorization.reference,
                brand=authorization.brand,
                last4=authorization.last4,
                amount_cents=authorization.amount_cents,
            )
        if from_basket:
            from portal.services import basket

            basket.clear_basket(db, member)
        audit.record(
            db,
            "order.placed",
            actor_id=member.id,
            organization_id=member.organization_id,
            target=f"order:{order_id}",
            total_cents=fresh.total_cents,
            benefits_cents=fresh.benefits_cents,
            card_cents=fresh.card_cents,
        )
        if authorization is None:
            orders.validate(db, order_id, settings=settings, now=moment)
    return orders.order_detail(db, order_id)


def _summary(lines: Sequence[CheckoutLine]) -> str:
    first = lines[0].title
    return first if len(lines) == 1 else f"{first} (+{len(lines) - 1})"


# -- the card flow ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderPlaced:
    """The order is written; ``awaiting`` when the card payment waits for confirmation."""

    order: orders.OrderDetail

    @property
    def awaiting(self) -> bool:
        """True until the provider confirms the card payment."""
        return self.order.order.status == "awaiting_payment"


@dataclass(frozen=True)
class ChallengeRequired:
    """The bank asks for a 3-D Secure code before the payment can go on."""

    authorization: Authorization


def pay(
    db: Database,
    member: Member,
    quote: Quote,
    *,
    provider: PaymentProvider,
    settings: Settings,
    accepted_terms: bool,
    card: CardDetails | None = None,
    lines: Sequence[CheckoutLine] | None = None,
    now: dt.datetime | None = None,
) -> OrderPlaced | ChallengeRequired:
    """Pay a quote: benefits, then the card for the rest; place the order.

    ``lines`` orders those lines instead of the basket (see ``place_order``).

    Raises:
        UserError: bad card details, terms not accepted; ``PaymentDeclined`` when the bank
            refuses; ``QuoteChanged``. Nothing is written in any of these cases.
    """
    if not accepted_terms:
        raise UserError(N_("Accept the conditions of sale to pay."))
    if not quote.lines:
        raise UserError(N_("Your basket is empty."))
    if quote.card_cents == 0:
        return OrderPlaced(
            place_order(
                db,
                member,
                quote,
                settings=settings,
                accepted_terms=accepted_terms,
                lines=lines,
                now=now,
            )
        )
    if card is None:
        raise UserError(N_("Enter a card to pay the rest."))
    token = provider.tokenize(card, today=today_paris(now))
    authorization = provider.authorize(token, quote.card_cents, reference=f"member:{member.id}")
    return _after_authorization(db, member, quote, provider, authorization, settings, lines, now)


def complete_3ds(
    db: Database,
    member: Member,
    quote: Quote,
    *,
    provider: PaymentProvider,
    settings: Settings,
    challenge: ChallengeRequired,
    code: str,
    lines: Sequence[CheckoutLine] | None = None,
    now: dt.datetime | None = None,
) -> OrderPlaced | ChallengeRequired:
    """Answer the bank's 3-D Secure challenge and place the order if it accepts."""
    authorization = provider.complete_authentication(challenge.authorization.reference, code)
    if authorization.status == "declined":
        raise PaymentDeclined(N_("3-D Secure verification failed: the card payment was declined."))
    return _after_authorization(db, member, quote, provider, authorization, settings, lines, now)


def _after_authorization(
    db: Database,
    member: Member,
    quote: Quote,
    provider: PaymentProvider,
    authorization: Authorization,
    settings: Settings,
    lines: Sequence[CheckoutLine] | None,
    now: dt.datetime | None,
) -> OrderPlaced | ChallengeRequired:
    if authorization.status == "requires_action":
        return ChallengeRequired(authorization)
    if authorization.status == "insufficient_funds":
        raise PaymentDeclined(N_("The card payment was declined: insufficient funds."))
    if authorization.status != "authorized":
        raise PaymentDeclined(N_("The card payment was declined."))
    try:
        detail = place_order(
            db,
            member,
            quote,
            settings=settings,
            accepted_terms=True,
            authorization=authorization,
            lines=lines,
            now=now,
        )
    except BaseException:
        provider.void(authorization.reference)
        raise
    return OrderPlaced(detail)
