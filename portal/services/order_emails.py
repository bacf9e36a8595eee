"""The emails about an order: its confirmation, and the notices when it changes.

Written in the member's language, queued to the member's address inside the transaction
that causes them (notices through ``emails.notify_member_with``: same footer as every
email). A cancellation says why (a manager's reason) and what went back to each source;
a credit note, when one is issued, is attached.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from sqlite_utils import Database

from portal.data import members as members_data
from portal.data.members import Member
from portal.data.orders import Order
from portal.i18n import Translator
from portal.services import emails
from portal.services.orders import OrderDetail, PaymentPart, amount_line, payment_label

if TYPE_CHECKING:
    from portal.services.credit_notes import IssuedCreditNote

__all__ = [
    "confirmation_body",
    "letter",
    "notify_cancelled",
    "notify_order_member",
    "notify_return_accepted",
    "notify_shipped",
    "refund_lines",
]


def confirmation_body(detail: OrderDetail, member: Member, t: Translator) -> str:
    """The confirmation email's body: lines, total, how it was paid, what comes next."""
    order = detail.order
    lines = [t.gettext("Your order {number} is confirmed.", number=detail.number), ""]
    for line in detail.lines:
        lines.append(
            "- " + amount_line(f"{line.quantity} × {line.title}", line.line_total_cents, t)
        )
    if order.shipping_cents:
        lines.append("- " + amount_line(t.gettext("Delivery"), order.shipping_cents, t))
    lines += ["", t.gettext("Total: {amount}", amount=t.money(order.total_cents))]
    for part in detail.payments:
        lines.append("  " + amount_line(payment_label(part, t), part.amount_cents, t))
    lines.append("")
    if order.delivery_address:
        lines.append(
            t.gettext("Delivered to: {address}", address=", ".join(order.delivery_address))
        )
    if order.dispatch_on:
        lines.append(
            t.gettext(
                "Your parcel will be dispatched on {date}.",
                date=t.date(dt.date.fromisoformat(order.dispatch_on), "full"),
            )
        )
    if order.has_digital:
        lines.append(
            t.gettext(
                "Your e-cards and e-tickets are being prepared; you will find "
                'them in Portal under "My e-tickets & e-cards", and an email will '
                "tell you when they are available."
            )
        )
    lines += ["", t.gettext("Your invoice is attached and kept in your outbox folder.")]
    return letter(member, t, lines)


def letter(member: Member, t: Translator, lines: list[str]) -> str:
    """An order email's body: the greeting, ``lines``, and the CSE's signature."""
    return "\n".join(
        [
            t.gettext("Hello {name},", name=member.first_name),
            "",
            *lines,
            "",
            t.gettext("The {organization} team", organization=member.organization_name),
        ]
    )


def notify_order_member(
    db: Database,
    order: Order,
    subject: Callable[[Translator], str],
    lines: Callable[[Translator], list[str]],
    *,
    attachments: Iterable[tuple[str, str, bytes]] = (),
) -> None:
    """Queue a notice about ``order`` to its member, in their language, at their address."""
    if members_data.get_member(db, order.member_id) is None:
        return

    def write(t: Translator, member: Member) -> tuple[str, str]:
        return subject(t), letter(member, t, lines(t))

    emails.notify_member_with(db, order.member_id, write, attachments=list(attachments))


def refund_lines(t: Translator, refunds: Sequence[PaymentPart]) -> list[str]:
    """``- source: amount`` for each source refunded."""
    return ["- " + amount_line(payment_label(p, t), p.amount_cents, t) for p in refunds]


def notify_cancelled(
    db: Database,
    detail: OrderDetail,
    *,
    reason: str,
    refunds: Sequence[PaymentPart],
    credit_note: IssuedCreditNote | None,
) -> None:
    """Tell the member their order is cancelled: why, and what went back where."""
    order = detail.order
    released = detail.card is not None and detail.card.status == "voided"

    def lines(t: Translator) -> list[str]:
        text = [t.gettext("Your order {number} is cancelled.", number=order.number)]
        if reason:
            text.append(t.gettext("Reason given by your CSE: {reason}", reason=reason))
        text.append("")
        if refunds:
            text.append(t.gettext("Refunded to the sources it was paid from:"))
            text += refund_lines(t, refunds)
        if released and detail.card is not None:
            text.append(
                t.gettext(
                    "Your card {card} was not charged: the payment is released.",
                    card=f"{detail.card.brand} •••• {detail.card.last4}",
                )
            )
        if not refunds and not released:
            text.append(t.gettext("Nothing had been paid for it."))
        return text + _credit_note_lines(t, credit_note)

    notify_order_member(
        db,
        order,
        lambda t: t.gettext("Your order {number} is cancelled", number=order.number),
        lines,
        attachments=_credit_note_attachments(credit_note),
    )


def _credit_note_lines(t: Translator, credit_note: IssuedCreditNote | None) -> list[str]:
    """The paragraph naming the attached credit note (none without one)."""
    if credit_note is None:
        return []
    return [
        "",
        t.gettext(
            "Credit note {number} is attached and kept in your outbox folder.",
            number=credit_note.note.number,
        ),
    ]


def _credit_note_attachments(
    credit_note: IssuedCreditNote | None,
) -> list[tuple[str, str, bytes]]:
    """The credit note's PDF as an email attachment (none without one)."""
    return [credit_note.attachment] if credit_note is not None else []


def notify_shipped(db: Database, order: Order, tracking: str) -> None:
    """Tell the member their parcel left, with its tracking number and where it goes."""

    def lines(t: Translator) -> list[str]:
        text = [
            t.gettext("Your order {number} has been shipped.", number=order.number),
            t.gettext("Tracking number: {tracking}", tracking=tracking),
        ]
        if order.delivery_address:
            text += ["", t.gettext("It goes to:"), *("  " + ln for ln in order.delivery_address)]
        return text

    notify_order_member(
        db,
        order,
        lambda t: t.gettext("Your order {number} has been shipped", number=order.number),
        lines,
    )


def notify_return_accepted(
    db: Database,
    order: Order,
    *,
    titles: Sequence[str],
    refunds: Sequence[PaymentPart],
    credit_note: IssuedCreditNote | None,
) -> None:
    """Tell the member their returned parcel was received and refunded."""

    def lines(t: Translator) -> list[str]:
        text = [
            t.gettext(
                "We received the products you returned from order {number}:", number=order.number
            ),
            *("- " + title for title in titles),
            "",
            t.gettext("Refunded to the sources it was paid from:"),
            *refund_lines(t, refunds),
        ]
        return text + _credit_note_lines(t, credit_note)

    notify_order_member(
        db,
        order,
        lambda t: t.gettext("Your return for order {number} is refunded", number=order.number),
        lines,
        attachments=_credit_note_attachments(credit_note),
    )
