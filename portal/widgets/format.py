"""Formatting shared by the screens: table cells, percentages, names, dates, statuses.

Pure functions of their arguments and the session's language (``portal.i18n``): no
screen is imported here, so any screen may use them without importing another screen.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from portal.data.catalog import Offer
from portal.i18n import _, current, money, ngettext
from portal.services import catalog
from portal.services import orders as orders_service
from portal.services.catalog import KINDS, amount_range, price_line
from portal.services.orders import STATUS_LABELS

# -- table cells -----------------------------------------------------------------------


def clip(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` cells with an ellipsis."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


# -- catalog -----------------------------------------------------------------------------


def kind_label(kind: str) -> str:
    """The translated name of an offer kind."""
    return _(KINDS.get(kind, kind))


def category_name(code: str) -> str:
    """The translated name of a category."""
    return _(catalog.category_label(code))


def _percent_value(discount_bp: int, whole: bool) -> str:
    # An e-card's discount is set by the catalog (3,5 %); a discount derived from two
    # prices (38,76 %) reads better rounded to a whole percent, half up.
    if whole:
        return current().number((discount_bp + 50) // 100)
    return current().number(Decimal(discount_bp) / 100)


def percent(discount_bp: int, kind: str = "ecard") -> str:
    """Basis points as a percentage in the session's locale (500 -> "5 %").

    Discounts of e-tickets and products come from two prices: shown as whole percents.
    """
    return _("{value}%", value=_percent_value(discount_bp, kind != "ecard"))


def discount_text(discount_bp: int, kind: str = "ecard") -> str:
    """A discount for a table cell ("-5 %"), or a dash when there is none."""
    if not discount_bp:
        return "—"
    return _("-{value}%", value=_percent_value(discount_bp, kind != "ecard"))


def from_price(offer: Offer) -> str:
    """The price of an offer for the list: the member price, or "from ..." for e-cards."""
    if offer.kind != "ecard":
        return money(price_line(offer, None, 1).unit_price_cents)
    limits = amount_range(offer)
    lowest = limits[0] if limits else offer.face_values[0]
    return _("from {price}", price=money(price_line(offer, lowest, 1).unit_price_cents))


def basket_summary(count: int, total_cents: int) -> str:
    """ "Basket: 3 items · 142,50 €" (or that it is empty)."""
    if count == 0:
        return _("Your basket is empty.")
    return ngettext(
        "Basket: {n} item · {total}", "Basket: {n} items · {total}", count, total=money(total_cents)
    )


# -- orders and dates ----------------------------------------------------------------------


def status_text(status: str) -> str:
    """An order status, translated."""
    return _(STATUS_LABELS.get(status, status))


def when_text(iso: str | None, fmt: str = "short") -> str:
    """A stored UTC timestamp in Paris time, in the session's language."""
    if not iso:
        return ""
    return current().datetime(orders_service.parse_time(iso), fmt)


def day_text(iso_day: str) -> str:
    """A calendar day (``2026-06-15``) written out in the session's language."""
    return current().date(dt.date.fromisoformat(iso_day), "full")
