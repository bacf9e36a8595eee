"""Returns: a member sends physical products back within 14 days of delivery.

The member asks (``request_return``: which shipped lines, and why); the manager accepts
it when the parcel comes back (``accept_return``) or refuses it (``refuse_return``, with a
reason). Accepting refunds the returned lines to the sources that paid them, in one
transaction with the return's record and its credit note: the lines' subsidy back to the
subsidy, then the card (money the member paid), then the vouchers. The card refund is
asked of the provider after the transaction; a refusal stays pending and
``retry_return_refunds`` tries again. The delivery fee is refunded with the last
physical line returned.

E-cards and e-tickets cannot be returned once issued (seed's order FAQ: they do not fall
under the right of withdrawal), and the refusal says so.

The window runs ``return_window_days`` from the delivery (``delivered_at``, recorded by
a manager with ``fulfilment.mark_delivered``), else from the shipping day plus
``return_transit_days`` (the parcel's assumed journey). Accepting a return puts the
products' units back in stock.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from portal.config import Settings
from portal.data import after_sales
from portal.data import catalog as catalog_data
from portal.data import orders as orders_data
from portal.data import wallet as wallet_data
from portal.data.after_sales import OrderReturn
from portal.data.db import transaction
from portal.data.members import Member
from portal.data.orders import OrderLine
from portal.i18n import N_
from portal.services import audit, authz, clock, credit_notes
from portal.services.cancellation import check_reason
from portal.services.errors import UserError
from portal.services.order_emails import notify_order_member, notify_return_accepted
from portal.services.orders import (
    SHIPPING_VAT_BP,
    OrderDetail,
    PaymentPart,
    is_manager_of,
    iso,
    not_found,
    order_detail,
    parse_time,
)

log = logging.getLogger(__name__)

__all__ = [
    "NOT_RETURNABLE_DIGITAL",
    "NOT_SHIPPED",
    "accept_return",
    "open_return",
    "refuse_return",
    "request_return",
    "retry_return_refunds",
    "return_block",
    "returnable_lines",
]

NOT_RETURNABLE_DIGITAL = N_(
    "E-cards and e-tickets cannot be returned once issued; only products sent by post can."
)

NOT_SHIPPED = N_("Products can be returned once shipped.")


def returned_line_ids(detail: OrderDetail) -> set[int]:
    """Lines already sent back (accepted returns)."""
    return {i for r in detail.returns if r.status == "accepted" for i in r.line_ids}


def open_return(detail: OrderDetail) -> OrderReturn | None:
    """The return waiting for the manager, if any."""
    return next((r for r in detail.returns if r.status == "requested"), None)


def returnable_lines(detail: OrderDetail) -> list[OrderLine]:
    """Shipped postal lines not returned yet."""
    done = returned_line_ids(detail)
    return [
        ln
        for ln in detail.lines
        if ln.fulfilment == "postal" and ln.status == "shipped" and ln.id not in done
    ]


def window_end(detail: OrderDetail, window_days: int, transit_days: int = 3) -> dt.datetime | None:
    """The last moment a return may be asked (None before the parcel left).

    From the recorded delivery when there is one, else from the shipping day plus
    ``transit_days`` (the parcel's assumed journey).
    """
    order = detail.order
    if order.delivered_at is not None:
        return parse_time(order.delivered_at) + dt.timedelta(days=window_days)
    if order.shipped_at is None:
        return None
    return parse_time(order.shipped_at) + dt.timedelta(days=window_days + transit_days)


def return_block(
    detail: OrderDetail,
    *,
    window_days: int = 14,
    transit_days: int = 3,
    now: dt.datetime | None = None,
) -> str | None:
    """Why the order's products cannot be returned now (a message id), or None."""
    moment = now or clock.now()
    if open_return(detail) is not None:
        return N_("A return is already asked for this order: the CSE handles it on receipt.")
    if not any(ln.fulfilment == "postal" for ln in detail.lines):
        return NOT_RETURNABLE_DIGITAL
    end = window_end(detail, window_days, transit_days)
    if end is None:
        return NOT_SHIPPED
    if not returnable_lines(detail):
        return N_("Every product of this order has been returned.")
    if moment > end:
        return N_("The {days}-day return period of this order is over.")
    return None


def block_text_params(window_days: int) -> dict[str, Any]:
    """Parameters of ``return_block``'s messages."""
    return {"days": window_days}


@dataclass(frozen=True)
class _Refund:
    parts: list[PaymentPart]
    credits: list[tuple[int, int, int]]
    """(allocation id, cents, items) to re-credit."""
    card_cents: int


def _plan_refund(db: Database, detail: OrderDetail, lines: list[OrderLine], amount: int) -> _Refund:
    """Which sources get ``amount`` back: subsidy share, then card, then vouchers."""
    net: dict[int, list[Any]] = {}
    for entry in detail.ledger:
        sums = net.setdefault(entry.allocation_id, [0, 0, entry.kind, entry.label])
        sums[0] -= entry.amount_cents
        sums[1] += entry.item_count
    parts: list[PaymentPart] = []
    credits: list[tuple[int, int, int]] = []
    subsidy_due = min(amount, sum(ln.subsidy_cents for ln in lines))
    subsidized_items = sum(ln.quantity for ln in lines if ln.subsidy_cents)
    for allocation_id, (cents, items, kind, label) in net.items():
        if kind != "subsidy" or subsidy_due <= 0 or cents <= 0:
            continue
        take = min(cents, subsidy_due)
        give_items = min(items, subsidized_items)
        credits.append((allocation_id, take, give_items))
        parts.append(PaymentPart(kind, label, take, take))
        subsidy_due -= take
        subsidized_items -= give_items
    rest = amount - sum(p.amount_cents for p in parts)
    card_cents = 0
    card = detail.card
    if card is not None and card.status == "captured" and rest > 0:
        already = sum(r.card_refund_cents for r in detail.returns if r.status == "accepted")
        card_cents = min(rest, card.amount_cents - already)
        if card_cents > 0:
            label = f"{card.brand} •••• {card.last4}"
            parts.append(PaymentPart("card", label, card_cents, card_cents, "refund_pending"))
            rest -= card_cents
    for allocation_id, (cents, _items, kind, label) in net.items():
        if kind == "subsidy" or rest <= 0 or cents <= 0:
            continue
        take = min(cents, rest)
        credits.append((allocation_id, take, 0))
        parts.append(PaymentPart(kind, label, take, take))
        rest -= take
    return _Refund(parts, credits, card_cents)


# -- the member asks -------------------------------------------------------------------------


def request_return(
    db: Database,
    member: Member,
    order_id: int,
    *,
    reason: str,
    line_ids: list[int] | None = None,
    settings: Settings,
    now: dt.datetime | None = None,
) -> OrderDetail:
    """The member asks to send back shipped products (all of them unless ``line_ids``).

    Raises:
        UserError: not their order, no reason, e-products, outside the window, already
            asked. Nothing is written.
    """
    reason = check_reason(reason)
    if not reason:
        raise UserError(N_("Say why you return the products."))
    moment = now or clock.now()
    with transaction(db):
        order = orders_data.get_order(db, order_id)
        if order is None or order.member_id != member.id:
            raise not_found()
        detail = order_detail(db, order_id)
        block = return_block(
            detail,
            window_days=settings.return_window_days,
            transit_days=settings.return_transit_days,
            now=moment,
        )
        if block is not None:
            raise UserError(block, days=settings.return_window_days)
        candidates = returnable_lines(detail)
        chosen = [ln for ln in candidates if line_ids is None or ln.id in line_ids]
        if line_ids is not None:
            digital = {ln.id for ln in detail.lines if ln.fulfilment == "digital"}
            if set(line_ids) & digital:
                raise UserError(NOT_RETURNABLE_DIGITAL)
            if len(chosen) != len(set(line_ids)):
                raise UserError(N_("Choose products of this order that can still be returned."))
        if not chosen:
            raise UserError(N_("Choose products of this order that can still be returned."))
        return_id = after_sales.insert_return(
            db,
            order_id=order_id,
            member_id=member.id,
            line_ids=[ln.id for ln in chosen],
            reason=reason,
            requested_at=iso(moment),
        )
        audit.record(
            db,
            "order.return_requested",
            actor_id=member.id,
            organization_id=order.organization_id,
            target=f"order:{order_id}",
            return_id=return_id,
            lines=len(chosen),
        )
        notify_order_member(
            db,
            order,
            lambda t: t.gettext(
                "Your return for order {number} is registered", number=order.number
            ),
            lambda t: [
                t.gettext("Your return for order {number} is registered.", number=order.number),
                t.gettext(
                    "Send the products back to your CSE; you are refunded when they are received."
                ),
            ],
        )
    return order_detail(db, order_id)


# -- the manager decides ---------------------------------------------------------------------


def _requested(db: Database, actor: Member, return_id: int) -> tuple[Member, OrderReturn]:
    actor = authz.current_manager(db, actor)
    found = after_sales.get_return(db, return_id)
    order = orders_data.get_order(db, found.order_id) if found else None
    if found is None or order is None or not is_manager_of(actor, order):
        raise UserError(N_("This return does not exist."))
    if found.status != "requested":
        raise UserError(N_("This return is already handled."))
    return actor, found


def accept_return(
    db: Database,
    actor: Member,
    return_id: int,
    *,
    provider: Any,
    settings: Settings,
    now: dt.datetime | None = None,
) -> OrderDetail:
    """The products came back: refund them to their sources, issue the credit note.

    Raises:
        UserError: not a manager of the order's organization, or already handled.
    """
    actor, _found = _requested(db, actor, return_id)
    moment = now or clock.now()
    card_ref: str | None = None
    with transaction(db):
        found = after_sales.get_return(db, return_id)
        if found is None or found.status != "requested":
            raise UserError(N_("This return is already handled."))
        detail = order_detail(db, found.order_id)
        order = detail.order
        lines = [ln for ln in detail.lines if ln.id in found.line_ids]
        done = returned_line_ids(detail) | set(found.line_ids)
        last = all(ln.id in done for ln in detail.lines if ln.fulfilment == "postal")
        amount = sum(ln.line_total_cents for ln in lines)
        credit_lines = [
            credit_notes.CreditLine(ln.title, ln.quantity, ln.line_total_cents, ln.vat_bp)
            for ln in lines
        ]
        if last and order.shipping_cents:
            amount += order.shipping_cents
            credit_lines.append(
                credit_notes.CreditLine(
                    N_("Delivery"), 1, order.shipping_cents, SHIPPING_VAT_BP, translate=True
                )
            )
        refund = _plan_refund(db, detail, lines, amount)
        for allocation_id, cents, items in refund.credits:
            wallet_data.credit(
                db,
                allocation_id=allocation_id,
                member_id=order.member_id,
                amount_cents=cents,
                entry="refund",
                order_id=order.id,
                item_count=-items,
                actor_id=actor.id,
            )
        if not after_sales.decide_return(
            db,
            return_id,
            "accepted",
            decided_at=iso(moment),
            decided_by=actor.id,
            refund_cents=amount,
            card_refund_cents=refund.card_cents,
            card_refund_status="refund_pending" if refund.card_cents else None,
        ):
            raise UserError(N_("This return is already handled."))
        catalog_data.release_stock(db, order.id, found.line_ids)  # the units came back
        if refund.card_cents and detail.card is not None:
            card_ref = detail.card.provider_ref
        if last and all(ln.fulfilment == "postal" for ln in detail.lines):
            orders_data.change_status(
                db, order.id, "refunded", expected=("shipped",), refunded_at=iso(moment)
            )
        issued = None
        if order.invoice_number:
            issued = credit_notes.issue_credit_note(
                db,
                order,
                settings=settings,
                kind="return",
                lines=credit_lines,
                refunds=refund.parts,
                reason=found.reason,
                return_id=return_id,
                now=moment,
            )
        audit.record(
            db,
            "order.return_accepted",
            actor_id=actor.id,
            organization_id=order.organization_id,
            target=f"order:{order.id}",
            return_id=return_id,
            refund_cents=amount,
            card_refund_cents=refund.card_cents,
        )
        notify_return_accepted(
            db,
            order,
            titles=[f"{ln.quantity} × {ln.title}" for ln in lines],
            refunds=refund.parts,
            credit_note=issued,
        )
    if card_ref is not None:
        _refund_return_card(db, provider, return_id, card_ref, refund.card_cents)
    return order_detail(db, found.order_id)


def refuse_return(db: Database, actor: Member, return_id: int, *, reason: str) -> OrderDetail:
    """The products did not come back (or not as sold): refuse, telling the member why.

    Raises:
        UserError: no reason, not a manager of the order's organization, already handled.
    """
    reason = check_reason(reason)
    if not reason:
        raise UserError(N_("Say why the return is refused."))
    actor, found = _requested(db, actor, return_id)
    with transaction(db):
        if not after_sales.decide_return(
            db, return_id, "refused", decided_at=iso(clock.now()), decided_by=actor.id
        ):
            raise UserError(N_("This return is already handled."))
        order = orders_data.get_order(db, found.order_id)
        assert order is not None
        audit.record(
            db,
            "order.return_refused",
            actor_id=actor.id,
            organization_id=order.organization_id,
            target=f"order:{order.id}",
            return_id=return_id,
        )
        notify_order_member(
            db,
            order,
            lambda t: t.gettext("Your return for order {number} is refused", number=order.number),
            lambda t: [
                t.gettext("Your return for order {number} is refused.", number=order.number),
                t.gettext("Reason given by your CSE: {reason}", reason=reason),
            ],
        )
    return order_detail(db, found.order_id)


def _refund_return_card(
    db: Database, provider: Any, return_id: int, reference: str, cents: int
) -> bool:
    try:
        refund_ref = provider.refund(reference, cents)
    except Exception:
        log.exception("card refund of return %s failed; it stays pending", return_id)
        return False
    with transaction(db):
        return after_sales.record_return_card_refund(db, return_id, str(refund_ref))


def retry_return_refunds(db: Database, provider: Any) -> int:
    """Ask again the card refunds of returns the provider did not accept."""
    done = 0
    for pending in after_sales.return_card_refunds_pending(db):
        payment = orders_data.get_card_payment(db, pending.order_id)
        if payment is not None:
            done += _refund_return_card(
                db, provider, pending.id, payment.provider_ref, pending.card_refund_cents
            )
    return done
