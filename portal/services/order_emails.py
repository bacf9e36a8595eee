"""The emails about an order: its confirmation, and the notices when it changes.

Written in the member's language, queued to the member's address inside the transaction
that causes them (``services.notifications``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlite_utils import Database

from portal.data import members as members_data
from portal.data.members import Member
from portal.data.orders import Order
from portal.i18n import Translator, get_translator
from portal.services import notifications
from portal.services.notifications import recipient_for
from portal.services.orders import OrderDetail, amount_line, payment_label

__all__ = ["confirmation_body", "letter", "notify_order_member"]


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
) -> None:
    """Queue a notice about ``order`` to its member, in their language, at their address."""
    member = members_data.get_member(db, order.member_id)
    if member is None:
        return
    t = get_translator(member.language)
    notifications.enqueue(
        db,
        to=recipient_for(db, member.id),
        member_id=member.id,
        subject=subject(t),
        body=letter(member, t, lines(t)),
    )
