"""The sentences of an order's detail: progress, returns, delivery, credit notes.

Shared by the member's order screen and the managers' one: each function takes
``manager`` and then speaks to a manager ("Le colis part…") instead of the member
("Votre colis part…").
"""

from __future__ import annotations

from portal.i18n import _, money
from portal.services.clock import today_paris
from portal.services.orders import OrderDetail
from portal.widgets.format import day_text, when_text

__all__ = [
    "credit_text",
    "delivery_text",
    "paid_note",
    "payment_state",
    "progress_text",
    "return_texts",
]


def progress_text(detail: OrderDetail, *, manager: bool = False) -> str:
    """What happens next, in one or two sentences (to the member, or to a manager)."""
    order = detail.order
    parts: list[str] = []
    if order.status == "awaiting_payment":
        parts.append(payment_wait_text(detail, manager=manager))
    elif order.status in ("cancelled", "refunded") and order.cancelled_at:
        parts.append(_("Cancelled on {date}.", date=when_text(order.cancelled_at)))
        if order.cancel_reason and (manager or order.cancelled_by != order.member_id):
            parts.append(_("Reason: {reason}", reason=_(order.cancel_reason)))
        if order.status == "refunded":
            parts.append(_("Refunded to the sources it was paid from."))
    elif order.status == "refunded":
        parts.append(_("Returned and refunded on {date}.", date=when_text(order.refunded_at)))
    else:
        if order.status == "shipped" and order.tracking_number:
            text = (
                _("The parcel left on {date}, tracking number {tracking}.")
                if manager
                else _("Shipped on {date}, tracking number {tracking}.")
            )
            parts.append(
                text.format(date=when_text(order.shipped_at), tracking=order.tracking_number)
            )
        elif order.dispatch_on:
            if order.dispatch_on == today_paris().isoformat():
                parts.append(
                    _("The parcel leaves today.") if manager else _("Your parcel leaves today.")
                )
            else:
                text = (
                    _("The parcel is to be dispatched on {date}.")
                    if manager
                    else _("Your parcel will be dispatched on {date}.")
                )
                parts.append(text.format(date=day_text(order.dispatch_on)))
        if any(line.status == "preparing" for line in detail.lines):
            parts.append(
                _("The e-cards and e-tickets are being prepared.")
                if manager
                else _("Your e-cards and e-tickets are being prepared.")
            )
        elif order.status == "available":
            parts.append(
                _("The e-cards and e-tickets are available.")
                if manager
                else _("Your e-cards and e-tickets are available.")
            )
    parts += return_texts(detail, manager=manager)
    return " ".join(parts)


def payment_wait_text(detail: OrderDetail, *, manager: bool = False) -> str:
    """The seed's "awaiting payment confirmation", and what the member has to do."""
    card = detail.card
    if card is not None and card.status == "pending":
        if manager:
            return _("Awaiting payment confirmation: the member pays on the payment page.")
        return _(
            "Awaiting payment confirmation: pay {amount} on the payment page (link and QR "
            "code below), from your phone or browser.",
            amount=money(card.amount_cents),
        )
    if manager:
        return _("Waiting for the bank to confirm the member's card payment.")
    return _("Waiting for the bank to confirm your card payment.")


def return_texts(detail: OrderDetail, *, manager: bool = False) -> list[str]:
    """The state of the order's returns, newest last."""
    texts: list[str] = []
    for item in detail.returns:
        if item.status == "requested":
            texts.append(
                _(
                    "The member asked on {date} to return products: {reason}.",
                    date=when_text(item.requested_at),
                    reason=item.reason,
                )
                if manager
                else _(
                    "Return asked on {date}: send the products back to your CSE; you are"
                    " refunded when they are received.",
                    date=when_text(item.requested_at),
                )
            )
        elif item.status == "accepted" and detail.order.status != "refunded":
            texts.append(
                _(
                    "Returned products refunded on {date}: {amount}.",
                    date=when_text(item.decided_at),
                    amount=money(item.refund_cents),
                )
            )
        elif item.status == "refused":
            texts.append(_("Return refused on {date}.", date=when_text(item.decided_at)))
    return texts


def delivery_text(detail: OrderDetail, *, manager: bool = False) -> str:
    """Where the order goes: the parcel's address (and phone, for a manager), the email."""
    order = detail.order
    parts: list[str] = []
    if order.delivery_address:
        text = _("Parcel to: {address}", address=", ".join(order.delivery_address))
        if manager and order.delivery_phone:
            text += " · " + _("phone {phone}", phone=order.delivery_phone)
        parts.append(text)
    elif order.has_postal and manager:
        parts.append(_("No delivery address on this order."))
    if order.delivery_email and order.has_digital:
        parts.append(_("E-cards and e-tickets to: {email}", email=order.delivery_email))
    return "\n".join(parts)


def credit_text(detail: OrderDetail) -> str:
    """The credit notes issued for the order, one per line."""
    return "\n".join(
        _(
            "Credit note {number} of {amount}: {file}",
            number=note.number,
            amount=money(note.amount_cents),
            file=note.file or "",
        )
        for note in detail.credit_notes
    )


def payment_state(detail: OrderDetail) -> tuple[str, str | None]:
    """The order's status and its card payment's: what a new read may have changed."""
    return detail.order.status, detail.card.status if detail.card else None


def paid_note(before: OrderDetail | None, after: OrderDetail, *, manager: bool = False) -> str:
    """What to say when the card payment was awaited and is now captured (else "")."""
    if before is None or before.card is None or after.card is None:
        return ""
    if before.card.status in ("pending", "authorized", "capturing") and (
        after.card.status == "captured"
    ):
        return (
            _("The member's card payment is confirmed.")
            if manager
            else _("Your payment is confirmed.")
        )
    return ""
