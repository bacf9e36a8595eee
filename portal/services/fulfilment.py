"""Fulfilment: validating a paid order, shipping its postal lines, its issued e-cards.

At validation the invoice is numbered (gapless, per year), written as a PDF to the
member's SFTP outbox and attached to the confirmation email, all in the validating
transaction. Digital lines wait "being prepared" until the e-card service issues them
(``mark_lines_available``); postal lines are dispatched on ``dispatch.dispatch_date`` and
shipped by a manager with a tracking number (``mark_shipped``).
"""

from __future__ import annotations

import datetime as dt
import re

from sqlite_utils import Database

from portal.config import Settings
from portal.data import members as members_data
from portal.data import orders as orders_data
from portal.data.db import transaction
from portal.data.members import Member
from portal.i18n import N_, get_translator
from portal.services import (
    audit,
    authz,
    clock,
    credit_notes,
    dispatch,
    ecard_schedule,
    files,
    invoices,
    notifications,
)
from portal.services.errors import UserError
from portal.services.notifications import recipient_for
from portal.services.order_emails import confirmation_body, notify_shipped
from portal.services.orders import OrderDetail, is_manager_of, iso, not_found, order_detail

__all__ = ["mark_delivered", "mark_lines_available", "mark_shipped", "validate"]

TRACKING = re.compile(r"^[A-Za-z0-9-]{6,40}$")
"""What a tracking number looks like."""


def validate(
    db: Database, order_id: int, *, settings: Settings, now: dt.datetime | None = None
) -> None:
    """Validate a paid order inside the caller's transaction.

    Starts fulfilment (digital lines being prepared, postal lines to ship on the dispatch
    day), numbers the invoice, writes its PDF to the member's outbox and queues the
    confirmation email with the PDF attached. If the transaction rolls back, the same
    invoice number is taken again and the file overwritten.
    """
    moment = now or clock.now()
    with transaction(db):
        order = orders_data.get_order(db, order_id)
        if order is None or order.status != "awaiting_payment":
            return
        year = moment.astimezone(dispatch.PARIS).year
        invoice_number = f"FAC-{year}-{orders_data.next_invoice_number(db, year):06d}"
        dispatch_on = dispatch.dispatch_date(moment).isoformat() if order.has_postal else None
        status = "preparing" if order.has_digital else "validated"
        if not orders_data.change_status(
            db,
            order_id,
            status,
            expected=("awaiting_payment",),
            validated_at=iso(moment),
            dispatch_on=dispatch_on,
            invoice_number=invoice_number,
        ):
            return
        orders_data.change_line_status(
            db, order_id, "preparing", expected=("pending",), fulfilment="digital"
        )
        orders_data.change_line_status(
            db, order_id, "to_ship", expected=("pending",), fulfilment="postal"
        )
        detail = order_detail(db, order_id)
        member = members_data.get_member(db, order.member_id)
        assert member is not None
        t = get_translator(member.language)
        pdf = invoices.render_invoice(
            detail,
            member,
            t,
            settings=settings,
            buyer_address=credit_notes.buyer_address(db, detail.order),
        )
        filename = f"{invoice_number}.pdf"
        files.write_outbox_file(settings, member.login, filename, pdf)
        orders_data.set_invoice_file(db, order_id, f"outbox/{filename}")
        ecard_schedule.schedule_order(db, order_id, settings=settings, now=moment)
        notifications.enqueue(
            db,
            to=recipient_for(db, member.id),
            member_id=member.id,
            subject=t.gettext("Your order {number} is confirmed", number=detail.number),
            body=confirmation_body(detail, member, t),
            attachments=[(filename, "application/pdf", pdf)],
        )


# -- shipping and issued lines --------------------------------------------------------------


def mark_shipped(
    db: Database,
    actor: Member,
    order_id: int,
    tracking_number: str,
    *,
    now: dt.datetime | None = None,
) -> OrderDetail:
    """A manager ships an order's postal lines with a tracking number (audited, emailed)."""
    actor = authz.current_manager(db, actor)
    order = orders_data.get_order(db, order_id)
    if order is None or not is_manager_of(actor, order):
        raise not_found()
    tracking = tracking_number.strip().upper()
    if not TRACKING.match(tracking):
        raise UserError(N_("A tracking number has 6 to 40 letters, digits or dashes."))
    moment = now or clock.now()
    with transaction(db):
        order = orders_data.get_order(db, order_id)
        assert order is not None
        if not order.has_postal:
            raise UserError(N_("This order has nothing to ship."))
        if order.status not in ("validated", "preparing"):
            raise UserError(N_("Only a validated order that is not yet shipped can be shipped."))
        orders_data.change_line_status(
            db, order_id, "shipped", expected=("to_ship",), fulfilment="postal"
        )
        if not orders_data.change_status(
            db,
            order_id,
            "shipped",
            expected=("validated", "preparing"),
            shipped_at=iso(moment),
            tracking_number=tracking,
        ):
            raise UserError(N_("Only a validated order that is not yet shipped can be shipped."))
        audit.record(
            db,
            "order.shipped",
            actor_id=actor.id,
            organization_id=order.organization_id,
            target=f"order:{order_id}",
            tracking_number=tracking,
        )
        notify_shipped(db, order, tracking)
    return order_detail(db, order_id)


def mark_delivered(
    db: Database, actor: Member, order_id: int, *, now: dt.datetime | None = None
) -> OrderDetail:
    """A manager records that a shipped order's parcel was delivered (audited).

    The return window (``services.returns``) then runs from this moment instead of the
    shipping day plus ``settings.return_transit_days``.

    Raises:
        UserError: not a manager of the order's organization, not shipped, or already
            recorded as delivered. Nothing is written.
    """
    actor = authz.current_manager(db, actor)
    order = orders_data.get_order(db, order_id)
    if order is None or not is_manager_of(actor, order):
        raise not_found()
    moment = now or clock.now()
    with transaction(db):
        order = orders_data.get_order(db, order_id)
        assert order is not None
        if order.delivered_at is not None:
            raise UserError(N_("This order is already marked delivered."))
        if order.status != "shipped":
            raise UserError(N_("Only a shipped order can be marked delivered."))
        if not orders_data.mark_delivered(db, order_id, iso(moment)):
            raise UserError(N_("Only a shipped order can be marked delivered."))
        audit.record(
            db,
            "order.delivered",
            actor_id=actor.id,
            organization_id=order.organization_id,
            target=f"order:{order_id}",
        )
    return order_detail(db, order_id)


def mark_lines_available(
    db: Database, order_id: int, line_ids: list[int] | None = None
) -> OrderDetail:
    """Digital lines were issued (called by the e-card service); the order may become available."""
    with transaction(db):
        order = orders_data.get_order(db, order_id)
        if order is None:
            raise not_found()
        orders_data.change_line_status(
            db,
            order_id,
            "available",
            expected=("preparing",),
            fulfilment="digital",
            line_ids=line_ids,
        )
        lines = orders_data.get_lines(db, order_id)
        if order.status == "preparing" and all(
            ln.status in ("available", "cancelled") for ln in lines if ln.fulfilment == "digital"
        ):
            if not order.has_postal:
                orders_data.change_status(db, order_id, "available", expected=("preparing",))
            else:
                orders_data.change_status(db, order_id, "validated", expected=("preparing",))
    return order_detail(db, order_id)
