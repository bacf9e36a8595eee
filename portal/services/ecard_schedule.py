"""Queueing the e-cards and e-tickets of a validated order (see ``services.issuing``).

Apart from the issuing loop so that ``fulfilment`` (which calls ``schedule_order`` in the
validating transaction) and ``issuing`` (which calls back ``fulfilment`` when an order's
items are all issued) do not import each other.
"""

from __future__ import annotations

import calendar
import datetime as dt

from sqlite_utils import Database

from portal.config import Settings
from portal.data import catalog as catalog_data
from portal.data import ecards as ecards_data
from portal.data import orders as orders_data
from portal.data.db import transaction
from portal.services import clock
from portal.services.orders import iso

__all__ = ["add_months", "expiry_date", "schedule_order"]


# -- scheduling ------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it has fewer days)."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def expiry_date(purchased: dt.date, months: int = 12) -> dt.date:
    """Valid ``months`` from the day of purchase: bought 10/07/2019, expires 09/07/2020."""
    return add_months(purchased, months) - dt.timedelta(days=1)


def schedule_order(
    db: Database, order_id: int, *, settings: Settings, now: dt.datetime | None = None
) -> int:
    """Queue the e-cards and e-tickets of a validated order (inside its transaction).

    Returns:
        How many items were queued.
    """
    moment = now or clock.now()
    order = orders_data.get_order(db, order_id)
    if order is None:
        return 0
    purchased = moment.astimezone(clock.PARIS).date()
    due = iso(moment + dt.timedelta(seconds=settings.ecard_issue_delay))
    queued = 0
    with transaction(db):
        for line in orders_data.get_lines(db, order_id):
            if line.fulfilment != "digital" or line.kind not in ("ecard", "eticket"):
                continue
            offer = catalog_data.get_offer(db, line.offer_id) if line.offer_id else None
            partner_name = offer.partner_name if offer else line.title
            partner = catalog_data.get_partner_by_name(db, partner_name)
            months = offer.validity_months if offer and offer.validity_months else None
            expires: dt.date | None
            if line.kind == "ecard":
                expires = expiry_date(purchased, months or 12)
                units, people, value = line.quantity, 1, line.face_value_cents
            else:
                expires = expiry_date(purchased, months) if months else None
                units, people, value = 1, line.quantity, line.face_value_cents * line.quantity
            for unit in range(units):
                ecards_data.insert_issue(
                    db,
                    member_id=order.member_id,
                    order_id=order_id,
                    line_id=line.id,
                    unit=unit,
                    kind=line.kind,
                    partner=partner_name,
                    partner_website=partner.website if partner else "",
                    title=line.title,
                    value_cents=value,
                    people=people,
                    usable_at=offer.usable_at if offer else "",
                    conditions=offer.conditions if offer else "",
                    validity=offer.validity if offer else "",
                    purchased_at=iso(moment),
                    expires_on=expires.isoformat() if expires else None,
                    due_at=due,
                )
                queued += 1
    return queued
