"""The member's basket: lines of offers with an amount and a quantity, kept in the database.

Public API (checkout relies on it; keep it stable):

* ``get_basket(db, member) -> Basket``: the member's lines priced with the catalog's
  current rule (``portal.services.catalog.price_line``), and the totals.
* ``clear_basket(db, member) -> int``: empty the basket. Checkout calls it inside its own
  ``with transaction(db):`` (it joins that transaction), so the basket is emptied if and
  only if the order is written.
* ``add_to_basket``, ``set_quantity``, ``change_quantity``, ``remove_line``: the basket
  screen's changes; each checks the limits in one ``BEGIN IMMEDIATE`` transaction and
  returns the new ``Basket``, or raises ``ShopError`` and changes nothing.
* ``parse_amount``, ``parse_quantity``: read what the member typed.

Totals: ``subtotal_cents`` is the sum of the available lines; ``shipping_cents`` is one
delivery fee per basket, the highest fee among the available lines that are shipped;
``total_cents = subtotal_cents + shipping_cents``. A line whose offer has been withdrawn,
is no longer meant for the member's organization, or whose e-card amount is no longer
sold, stays in the basket with ``available=False`` and counts in no total; checkout must
refuse a basket with such lines (``Basket.has_unavailable``).

Limits: at most ``MAX_QUANTITY_PER_LINE`` units per line, ``MAX_LINES`` lines, and
``MAX_BASKET_TOTAL_CENTS`` for the subtotal. Adding an offer and amount already in the
basket adds to that line.

Authorization: every read and change is limited to ``member.id``'s own lines, and an
offer can only be added if the member's organization may see it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlite_utils import Database

from portal.data import basket as basket_data
from portal.data import catalog as catalog_data
from portal.data.catalog import Offer
from portal.data.db import transaction
from portal.data.members import Member
from portal.data.orders import PricedLine
from portal.i18n import N_
from portal.services.catalog import NOT_AVAILABLE, Money, ShopError, check_amount, price_line
from portal.services.text import ascii_digits

__all__ = [
    "MAX_BASKET_TOTAL_CENTS",
    "MAX_LINES",
    "MAX_QUANTITY_PER_LINE",
    "Basket",
    "BasketLine",
    "ShopError",
    "add_to_basket",
    "change_quantity",
    "clear_basket",
    "count_items",
    "get_basket",
    "parse_amount",
    "parse_quantity",
    "remove_line",
    "set_quantity",
]

MAX_QUANTITY_PER_LINE = 10
"""Most units of one offer and amount in a basket."""
MAX_LINES = 20
"""Most different lines in a basket."""
MAX_BASKET_TOTAL_CENTS = 200_000
"""Highest basket subtotal (2 000 €): above it, an order is split."""


@dataclass(frozen=True)
class BasketLine(PricedLine):
    """One priced line of a basket (all amounts in cents; ``title`` is the offer's)."""

    offer_id: int
    id: int
    """The line's id (used to change or remove it)."""
    partner_name: str
    shipping: bool
    """The item is sent by post."""
    shipping_cents: int
    available: bool = True
    """False when the offer was withdrawn, is no longer for the member's organization, or
    the e-card amount is no longer sold (see the module docstring)."""

    @property
    def offer_title(self) -> str:
        """The offer's title (the line's ``title``)."""
        return self.title


@dataclass(frozen=True)
class Basket:
    """A member's basket and its totals (unavailable lines count in no total)."""

    member_id: int
    lines: tuple[BasketLine, ...]

    @property
    def available_lines(self) -> tuple[BasketLine, ...]:
        """The lines that can be ordered."""
        return tuple(line for line in self.lines if line.available)

    @property
    def subtotal_cents(self) -> int:
        """What the lines cost."""
        return sum(line.line_total_cents for line in self.available_lines)

    @property
    def face_total_cents(self) -> int:
        """What the items are worth at face value."""
        return sum(line.face_value_cents * line.quantity for line in self.available_lines)

    @property
    def savings_cents(self) -> int:
        """What the member saves ("vous économisez")."""
        return sum(line.savings_cents for line in self.available_lines)

    @property
    def needs_shipping(self) -> bool:
        """Whether something will be sent by post (checkout asks for an address)."""
        return any(line.shipping for line in self.available_lines)

    @property
    def shipping_cents(self) -> int:
        """One delivery fee: the highest among the shipped lines."""
        return max(
            (line.shipping_cents for line in self.available_lines if line.shipping), default=0
        )

    @property
    def total_cents(self) -> int:
        """Lines plus delivery: the amount checkout collects."""
        return self.subtotal_cents + self.shipping_cents

    @property
    def item_count(self) -> int:
        """Units in the basket (available lines)."""
        return sum(line.quantity for line in self.available_lines)

    @property
    def is_empty(self) -> bool:
        """No line at all."""
        return not self.lines

    @property
    def has_unavailable(self) -> bool:
        """Some line can no longer be ordered (checkout must refuse)."""
        return any(not line.available for line in self.lines)

    def line(self, line_id: int) -> BasketLine | None:
        """One line by id."""
        return next((line for line in self.lines if line.id == line_id), None)


# -- reading -------------------------------------------------------------------------


def _priced(row: basket_data.BasketRow, offer: Offer, available: bool) -> BasketLine:
    face = row.face_value_cents if offer.kind == "ecard" else None
    price = price_line(offer, face, row.quantity)
    return BasketLine(
        id=row.id,
        offer_id=offer.id,
        title=offer.title,
        partner_name=offer.partner_name,
        kind=offer.kind,
        category=offer.category,
        face_value_cents=price.face_value_cents,
        quantity=row.quantity,
        discount_bp=price.discount_bp,
        unit_price_cents=price.unit_price_cents,
        line_total_cents=price.total_cents,
        savings_cents=price.savings_cents,
        shipping=offer.shipping,
        shipping_cents=offer.shipping_cents,
        available=available,
    )


def get_basket(db: Database, member: Member) -> Basket:
    """The member's basket, priced with the catalog's current offers."""
    rows = basket_data.list_lines(db, member.id)
    offers = catalog_data.get_offers(db, (row.offer_id for row in rows))
    lines = [
        _priced(row, offers[row.offer_id], _orderable(offers[row.offer_id], row, member))
        for row in rows
    ]
    return Basket(member.id, tuple(lines))


def _orderable(offer: Offer, row: basket_data.BasketRow, member: Member) -> bool:
    """The offer is still for the member, and an e-card's amount is still sold."""
    if not offer.visible_to(member.organization_id):
        return False
    if offer.kind != "ecard":
        return True
    try:
        check_amount(offer, row.face_value_cents)
    except ShopError:
        return False
    return True


def count_items(db: Database, member: Member) -> int:
    """How many units the member's basket holds (for a menu badge)."""
    return basket_data.count_items(db, member.id)


# -- input ---------------------------------------------------------------------------

_AMOUNT = re.compile(r"^(\d{1,6})(?:[.,](\d{1,2}))?$", re.ASCII)  # "٣٠" is not 30


def parse_amount(text: str) -> int:
    """Read an amount in euros typed by a member ("50", "50,00", "1 000 €"), in cents."""
    cleaned = text.replace("€", "").replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    cleaned = cleaned.upper().replace("EUR", "")
    match = _AMOUNT.match(cleaned)
    if not match:
        raise ShopError(N_("Enter an amount in euros, for example 50."))
    euros, cents = match.groups()
    return int(euros) * 100 + int((cents or "0").ljust(2, "0"))


def parse_quantity(text: str) -> int:
    """Read a quantity typed by a member; the range is checked when the basket changes."""
    cleaned = text.strip()
    if not ascii_digits(cleaned) or len(cleaned) > 4:
        raise ShopError(N_("Enter the quantity as a whole number, for example 2."))
    return int(cleaned)


def _check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= MAX_QUANTITY_PER_LINE:
        raise ShopError(N_("The quantity must be between 1 and {max}."), max=MAX_QUANTITY_PER_LINE)


def _check_total(basket: Basket, extra_cents: int) -> None:
    total = basket.subtotal_cents + extra_cents
    if total > MAX_BASKET_TOTAL_CENTS:
        raise ShopError(
            N_("Your basket would come to {total}, above the limit of {max} per order."),
            total=Money(total),
            max=Money(MAX_BASKET_TOTAL_CENTS),
        )


# -- changes -------------------------------------------------------------------------


def add_to_basket(
    db: Database,
    member: Member,
    offer_id: int,
    *,
    face_value_cents: int | None = None,
    quantity: int = 1,
) -> Basket:
    """Put ``quantity`` units of an offer (at an amount, for e-cards) in the basket.

    The same offer and amount already in the basket adds to its line.

    Raises:
        ShopError: the offer is not available to the member, the amount or quantity is
            out of range, or a basket limit would be passed. Nothing is written then.
    """
    _check_quantity(quantity)
    with transaction(db):
        offer = catalog_data.get_visible_offer(db, member.organization_id, offer_id)
        if offer is None:
            raise ShopError(NOT_AVAILABLE)
        face = check_amount(offer, face_value_cents)
        basket = get_basket(db, member)
        existing = basket_data.find_line(db, member.id, offer.id, face)
        if existing is not None:
            if existing.quantity + quantity > MAX_QUANTITY_PER_LINE:
                raise ShopError(
                    N_(
                        "You already have {have} of these in your basket; a line holds at"
                        " most {max}."
                    ),
                    have=existing.quantity,
                    max=MAX_QUANTITY_PER_LINE,
                )
        elif len(basket.lines) >= MAX_LINES:
            raise ShopError(N_("Your basket already holds {max} different offers."), max=MAX_LINES)
        _check_total(basket, price_line(offer, face, quantity).total_cents)
        if existing is not None:
            basket_data.set_quantity(db, member.id, existing.id, existing.quantity + quantity)
        else:
            basket_data.insert_line(db, member.id, offer.id, face, quantity)
        return get_basket(db, member)


def set_quantity(db: Database, member: Member, line_id: int, quantity: int) -> Basket:
    """Change the quantity of one of the member's lines.

    Raises:
        ShopError: no such line in the member's basket, quantity out of range, or the
            basket total limit would be passed. Nothing is written then.
    """
    _check_quantity(quantity)
    with transaction(db):
        basket = get_basket(db, member)
        line = basket.line(line_id)
        if line is None:
            raise ShopError(N_("This line is no longer in your basket."))
        if quantity > line.quantity:
            if not line.available:
                raise ShopError(NOT_AVAILABLE)
            _check_total(basket, line.unit_price_cents * (quantity - line.quantity))
        basket_data.set_quantity(db, member.id, line_id, quantity)
        return get_basket(db, member)


def change_quantity(db: Database, member: Member, line_id: int, delta: int) -> Basket:
    """Add ``delta`` (e.g. +1 or -1) to a line's quantity; see ``set_quantity``."""
    with transaction(db):
        row = basket_data.get_line(db, member.id, line_id)
        if row is None:
            raise ShopError(N_("This line is no longer in your basket."))
        target = row.quantity + delta
        if target < 1:
            raise ShopError(N_("The quantity cannot go below 1: remove the line instead."))
        if target > MAX_QUANTITY_PER_LINE:
            raise ShopError(
                N_("The quantity must be between 1 and {max}."), max=MAX_QUANTITY_PER_LINE
            )
        return set_quantity(db, member, line_id, target)


def remove_line(db: Database, member: Member, line_id: int) -> Basket:
    """Remove one of the member's lines.

    Raises:
        ShopError: no such line in the member's basket.
    """
    with transaction(db):
        if not basket_data.delete_line(db, member.id, line_id):
            raise ShopError(N_("This line is no longer in your basket."))
        return get_basket(db, member)


def clear_basket(db: Database, member: Member) -> int:
    """Empty the member's basket (joins the caller's transaction); returns lines removed."""
    with transaction(db):
        return basket_data.delete_all(db, member.id)
