"""Checkout: plan the basket's payment, place the order, take the card for the rest.

The member sees the plan (a ``Quote`` from ``services.spending.plan_benefits``: benefits
spent in ``spending_order``, the card for the rest) and may switch vouchers off.
``place_order`` then writes, in one ``BEGIN IMMEDIATE`` transaction, the order, its
lines, the ledger debits and the card payment, after planning again from fresh balances:
if anything differs from the quote the member accepted (another session spent the same
voucher, the basket changed) nothing is written and the member is asked to confirm
again. So two sessions can never spend the same balance, and a balance never goes
negative.

The card is never typed into Portal: ``pay`` writes the order with its card part
``pending`` (benefits are spent in that same transaction), then asks the provider to
create the payment and returns the address of the provider's page, where the member
pays with 3-D Secure. The provider's signed notification then moves the order on
(``services.payment_confirmation``); an abandoned payment expires after
``settings.payment_timeout`` and gives its benefits back.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlite_utils import Database

from portal.config import Settings
from portal.data import catalog as catalog_data
from portal.data import hosted_payments
from portal.data import orders as orders_data
from portal.data import wallet as wallet_data
from portal.data.db import transaction
from portal.data.members import Member
from portal.i18n import N_
from portal.services import audit, basket, clock, delivery
from portal.services.benefits import usable_benefits
from portal.services.cancellation import cancel_in_transaction
from portal.services.clock import today_paris
from portal.services.errors import UserError
from portal.services.fulfilment import validate
from portal.services.orders import VAT_BP, OrderDetail, get_order, iso, order_detail
from portal.services.payments import NOTIFY_PATH, PaymentProvider, ReturnInfo
from portal.services.spending import CheckoutLine, Quote, plan_benefits

log = logging.getLogger(__name__)

__all__ = [
    "OrderPlaced",
    "QuoteChanged",
    "basket_lines",
    "pay",
    "payment_page",
    "place_order",
    "prepare_checkout",
]


class QuoteChanged(UserError):
    """What would be written differs from what the member saw: nothing was written."""

    def __init__(self) -> None:
        super().__init__(
            N_(
                "Your basket or your balances changed meanwhile: check the amounts "
                "and confirm again."
            )
        )


# -- reading the basket and balances ---------------------------------------------------------


def basket_lines(db: Database, member: Member) -> tuple[list[CheckoutLine], int]:
    """The member's basket as checkout lines, and its delivery fee (shop's basket service).

    Raises:
        UserError: the basket holds offers no longer available.
    """
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


def place_order(
    db: Database,
    member: Member,
    quote: Quote,
    *,
    settings: Settings,
    accepted_terms: bool,
    card_provider: str | None = None,
    lines: Sequence[CheckoutLine] | None = None,
    now: dt.datetime | None = None,
) -> OrderDetail:
    """Write the order, its lines, its ledger debits and its card payment, or nothing.

    Args:
        quote: The plan the member accepted; planned again inside the transaction.
        card_provider: The provider's name when a card pays ``quote.card_cents``: the
            card part is written ``pending`` (the member pays it on the provider's page,
            ``pay``). None when benefits pay everything: the order is validated.
        lines: Lines to order instead of the basket (the basket is then left alone; the
            delivery fee is then ``quote.shipping_cents``).

    Raises:
        UserError: terms not accepted, empty basket, missing card.
        QuoteChanged: balances or basket changed since the quote; nothing written.
        UserError: a product's stock ran out meanwhile (``SOLD_OUT``, ``FEW_LEFT``);
            nothing written.
    """
    if not accepted_terms:
        raise UserError(N_("Accept the conditions of sale to pay."))
    if not quote.lines:
        raise UserError(N_("Your basket is empty."))
    if any(line.kind not in VAT_BP for line in quote.lines):
        raise UserError(N_("This basket holds an offer that cannot be ordered."))
    if quote.card_cents > 0 and card_provider is None:
        raise UserError(N_("The rest must be paid by card on the payment page."))
    moment = now or clock.now()
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
            created_at=iso(moment),
            terms_accepted_at=iso(moment),
        )
        delivery.attach_to_order(  # copies the address; refuses a parcel without one
            db,
            member,
            order_id,
            has_postal=any(ln.shipping for ln in fresh.lines),
            has_digital=any(not ln.shipping for ln in fresh.lines),
        )
        orders_data.insert_lines(
            db,
            order_id,
            (
                {
                    **orders_data.priced_values(ln),
                    "position": i,
                    "subsidy_cents": fresh.line_subsidies[i],
                    "vat_bp": VAT_BP[ln.kind],
                    "fulfilment": ln.fulfilment,
                    "status": "pending",
                }
                for i, ln in enumerate(fresh.lines)
            ),
        )
        _take_stock(db, order_id, fresh.lines)
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
        if fresh.card_cents > 0:
            assert card_provider is not None
            hosted_payments.insert_pending_payment(
                db,
                order_id=order_id,
                provider=card_provider,
                placeholder_ref=f"pending:{order_id}:{secrets.token_hex(8)}",
                amount_cents=fresh.card_cents,
                created_at=iso(moment),
                expires_at=iso(moment + dt.timedelta(seconds=settings.payment_timeout)),
            )
        if from_basket:
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
        if fresh.card_cents == 0:
            validate(db, order_id, settings=settings, now=moment)
    return order_detail(db, order_id)


SOLD_OUT = N_("“{title}” is sold out meanwhile: remove it from your basket; nothing was ordered.")
"""The refusal when another member took the last units of a product (a msgid)."""
FEW_LEFT = N_(
    "Only {left} of “{title}” left: lower the quantity in your basket; nothing was ordered."
)
"""The refusal when fewer units are left than ordered (a msgid)."""


def _take_stock(db: Database, order_id: int, lines: Sequence[CheckoutLine]) -> None:
    """Take the ordered units of counted products from stock, or refuse the whole order.

    Runs inside ``place_order``'s transaction: a refusal rolls back the order, its lines
    and its debits. Offers whose stock is not counted (NULL) are unlimited.
    """
    for position, ln in enumerate(lines):
        if ln.kind != "product" or ln.offer_id is None:
            continue
        taken = catalog_data.take_stock(db, ln.offer_id, ln.quantity)
        if taken is None:
            left = catalog_data.stock_left(db, ln.offer_id) or 0
            if left == 0:
                raise UserError(SOLD_OUT, title=ln.title)
            raise UserError(FEW_LEFT, title=ln.title, left=left)
        if taken:
            catalog_data.record_stock_taken(db, order_id, position, taken)


def _summary(lines: Sequence[CheckoutLine]) -> str:
    first = lines[0].title
    return first if len(lines) == 1 else f"{first} (+{len(lines) - 1})"


# -- the card flow ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderPlaced:
    """The order is written; ``awaiting`` while its card payment waits for the provider."""

    order: OrderDetail
    payment_url: str | None = None
    """The provider's page where the member pays the card part (None: nothing to pay)."""

    @property
    def awaiting(self) -> bool:
        """True until the provider confirms the card payment."""
        return self.order.order.status == "awaiting_payment"


def pay(
    db: Database,
    member: Member,
    quote: Quote,
    *,
    provider: PaymentProvider,
    settings: Settings,
    accepted_terms: bool,
    lines: Sequence[CheckoutLine] | None = None,
    now: dt.datetime | None = None,
) -> OrderPlaced:
    """Pay a quote: benefits now, the rest on the provider's page; place the order.

    The order, its benefit debits and its ``pending`` card payment are written in one
    transaction (``place_order``); then the provider creates the payment and its page,
    whose address the member opens on their phone or browser. An order that benefits pay
    entirely is validated at once and needs no page. ``lines`` orders those lines
    instead of the basket (see ``place_order``).

    Raises:
        UserError: terms not accepted, empty basket, provider unreachable (then the
            order is cancelled and its benefits are back); ``QuoteChanged``.
    """
    if not accepted_terms:
        raise UserError(N_("Accept the conditions of sale to pay."))
    if not quote.lines:
        raise UserError(N_("Your basket is empty."))
    moment = now or clock.now()
    if quote.card_cents == 0:
        return OrderPlaced(
            place_order(
                db,
                member,
                quote,
                settings=settings,
                accepted_terms=accepted_terms,
                lines=lines,
                now=moment,
            )
        )
    detail = place_order(
        db,
        member,
        quote,
        settings=settings,
        accepted_terms=accepted_terms,
        card_provider=provider.name,
        lines=lines,
        now=moment,
    )
    payment = detail.card
    assert payment is not None
    return_info = ReturnInfo(
        notify_url=settings.public_url + NOTIFY_PATH,
        language=member.language or settings.default_language,
        expires_at=moment + dt.timedelta(seconds=settings.payment_timeout),
    )
    try:
        reference, url = provider.create_payment(payment.amount_cents, detail.number, return_info)
    except Exception:
        log.exception(
            "the payment provider did not create the payment of order %s", payment.order_id
        )
        _give_up(db, payment.order_id, payment.id, moment)
        raise UserError(
            N_(
                "The payment provider cannot be reached: nothing was charged and your "
                "benefits are back. Try again in a moment."
            )
        ) from None
    with transaction(db):
        attached = hosted_payments.attach_provider_payment(
            db, payment.id, provider_ref=reference, payment_url=url
        )
    if not attached:  # cancelled in the meantime: close the page
        provider.void(reference)
        return OrderPlaced(order_detail(db, payment.order_id))
    return OrderPlaced(order_detail(db, payment.order_id), url)


PROVIDER_DOWN_REASON = N_("The payment provider could not be reached.")
"""The cancellation reason when the provider never created the payment (a msgid)."""


def _give_up(db: Database, order_id: int, payment_id: int, moment: dt.datetime) -> None:
    """The provider never created the payment: cancel the order, benefits back."""
    with transaction(db):
        order = orders_data.get_order(db, order_id)
        if order is None or not orders_data.change_payment_status(
            db, payment_id, "voided", expected=("pending",), confirmed_at=iso(moment)
        ):
            return
        cancel_in_transaction(db, order, actor_id=None, reason=PROVIDER_DOWN_REASON, now=moment)


def payment_page(db: Database, actor: Member, order_id: int) -> str | None:
    """The address of the provider's page where the order's card part is still to pay.

    None once the payment is made, refused or expired (or for an order without one).

    Raises:
        UserError: the order does not exist or is not the actor's to see.
    """
    detail = get_order(db, actor, order_id)
    card = detail.card
    if card is None or card.status != "pending" or detail.order.status != "awaiting_payment":
        return None
    page = hosted_payments.get_page(db, order_id)
    return page.payment_url if page is not None else None
