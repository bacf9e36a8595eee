"""The shop's catalog: categories, search, offers, and the price rule.

Public API (used by the shop screens, the basket and checkout; keep it stable):

* ``list_categories(db, member) -> list[Category]``: categories holding at least one offer
  the member may see, in menu order, with counts.
* ``search_offers(db, member, query="", category=None) -> list[Offer]``: visible offers
  whose text holds every word of ``query`` (case and accents ignored).
* ``get_offer(db, member, offer_id) -> Offer | None``: one offer, or None when it does not
  exist, is withdrawn, or is not meant for the member's organization (the three are
  indistinguishable on purpose).
* ``get_offer_sheet(db, member, offer_id) -> OfferSheet | None``: the offer and the
  member's benefits that apply to it.
* ``price_line(offer, face_value_cents, quantity) -> LinePrice``: the price rule.
* ``create_offer(db, spec, actor=None) -> int``: add an offer (system or an admin).

Categories are codes (``CATEGORIES``), the same codes the subsidy rules
(``services.subsidies``) match: ``groceries`` (Courses), ``culture``, ``cinema`` (Cinéma),
``leisure`` (Loisirs), ``sport``, ``home`` (Maison). Kinds are ``ecard``, ``eticket`` and
``product``.

Price rule, in integer cents: the discount of ONE unit is ``face × discount_bp / 10 000``
rounded half up to the cent; the unit price is the face value minus that discount; the
line is the unit price times the quantity (so a line never holds a fraction of a cent and
every unit of a line costs the same). E-tickets and products carry their member price
(``unit_price_cents``) directly; their discount in basis points is derived for display.

Authorization: a member sees only active offers with no organization restriction or
restricted to their own organization (``Offer.visible_to``).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlite_utils import Database

from portal.data import catalog as catalog_data
from portal.data.catalog import Offer
from portal.data.db import transaction
from portal.data.members import Member
from portal.i18n import N_, get_translator
from portal.services import audit, spending
from portal.services.benefits import BenefitSummary
from portal.services.errors import Money, PortalError

__all__ = [
    "CATEGORIES",
    "KINDS",
    "Category",
    "LinePrice",
    "Money",
    "Offer",
    "OfferSheet",
    "OfferSpec",
    "ShopError",
    "amount_range",
    "applicable_benefits",
    "check_amount",
    "create_offer",
    "discount_cents",
    "eligible_offers",
    "fold",
    "get_offer",
    "get_offer_sheet",
    "list_categories",
    "price_line",
    "search_offers",
]

log = logging.getLogger(__name__)

CATEGORIES: dict[str, str] = {
    "groceries": N_("Groceries"),
    "culture": N_("Culture"),
    "cinema": N_("Cinema"),
    "leisure": N_("Leisure"),
    "sport": N_("Sport"),
    "home": N_("Home & garden"),
}
"""Category codes in menu order, with the message id of their label."""

KINDS: dict[str, str] = {
    "ecard": N_("E-card"),
    "eticket": N_("E-ticket"),
    "product": N_("Product"),
}
"""Offer kinds, with the message id of their label."""

SEARCH_MAX_LENGTH = 60
"""Longest search text considered (longer input is cut)."""


# -- errors --------------------------------------------------------------------------


class ShopError(PortalError):
    """A refusal in the shop or the basket (see ``services.errors``)."""


NOT_AVAILABLE = N_("This offer does not exist or is not available to you.")


# -- categories and search -----------------------------------------------------------


@dataclass(frozen=True)
class Category:
    """A category with at least one offer the member may see."""

    code: str
    label: str
    """Message id of the label (the code itself for a category unknown here)."""
    count: int


def category_label(code: str) -> str:
    """The message id of a category's label."""
    return CATEGORIES.get(code, code)


def fold(text: str) -> str:
    """Lower case without accents, spaces collapsed: how search text is compared."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def list_categories(db: Database, member: Member) -> list[Category]:
    """Categories holding offers the member may see, in menu order, with their counts."""
    counts = catalog_data.visible_category_counts(db, member.organization_id)
    known = [code for code in CATEGORIES if code in counts]
    unknown = sorted(code for code in counts if code not in CATEGORIES)
    return [Category(code, category_label(code), counts[code]) for code in known + unknown]


def search_offers(
    db: Database, member: Member, query: str = "", category: str | None = None
) -> list[Offer]:
    """Offers the member may see, in ``category`` if given, matching every word of ``query``.

    Matching ignores case and accents ("cinema" finds "Cinéma") and looks at the title,
    partner, description, category, kind and where the offer is usable.
    """
    words = fold(query[:SEARCH_MAX_LENGTH]).split()
    found = catalog_data.list_visible_offers(
        db, member.organization_id, category=category or None, words=words[:8]
    )
    order = {code: i for i, code in enumerate(CATEGORIES)}
    return sorted(found, key=lambda o: (order.get(o.category, len(order)), o.category))


def get_offer(db: Database, member: Member, offer_id: int) -> Offer | None:
    """One offer the member may see, or None (unknown, withdrawn or for another organization)."""
    return catalog_data.get_visible_offer(db, member.organization_id, offer_id)


@dataclass(frozen=True)
class OfferSheet:
    """What the offer screen shows: the offer and the member's benefits that apply."""

    offer: Offer
    benefits: list[BenefitSummary] = field(default_factory=list)
    """The member's usable benefits that would pay for this offer, in the order checkout
    spends them (subsidies, then restricted vouchers, then general vouchers)."""


def applicable_benefits(db: Database, member: Member, offer: Offer) -> list[BenefitSummary]:
    """The member's benefits (subsidies, vouchers) that would apply to this offer.

    The spending order owns the rules (``portal.services.spending.applicable_benefits``);
    the shop only asks with the offer's category and kind.
    """
    return spending.applicable_benefits(db, member, offer.category, offer.kind)


def eligible_offers(db: Database, member: Member, benefit: BenefitSummary) -> list[Offer]:
    """Shop offers a benefit pays for ("see all eligible offers"), as the catalog lists them."""
    offers = []
    for category in benefit.categories:
        for offer in search_offers(db, member, category=category):
            if benefit.applies_to(offer.category, offer.kind):
                offers.append(offer)
    return offers


def get_offer_sheet(db: Database, member: Member, offer_id: int) -> OfferSheet | None:
    """The offer and the member's applicable benefits, or None if the member may not see it."""
    offer = get_offer(db, member, offer_id)
    if offer is None:
        return None
    return OfferSheet(offer, applicable_benefits(db, member, offer))


# -- price rule ----------------------------------------------------------------------


def discount_cents(face_value_cents: int, discount_bp: int) -> int:
    """The discount on one unit: ``face × bp / 10 000`` rounded half up to the cent.

    >>> discount_cents(1990, 500)   # 99.5 cents
    100
    >>> discount_cents(2000, 500)
    100
    """
    if face_value_cents < 0 or not 0 <= discount_bp <= 10_000:
        raise ValueError("face value must be >= 0 and discount between 0 and 10000 bp")
    return (face_value_cents * discount_bp + 5_000) // 10_000


def _derived_bp(face_value_cents: int, price_cents: int) -> int:
    """The discount in basis points between a public and a member price, rounded half up."""
    if face_value_cents <= 0:
        return 0
    saved = face_value_cents - price_cents
    return (2 * saved * 10_000 + face_value_cents) // (2 * face_value_cents)


@dataclass(frozen=True)
class LinePrice:
    """The price of ``quantity`` units of one offer at one face value."""

    face_value_cents: int
    quantity: int
    discount_bp: int
    unit_discount_cents: int
    unit_price_cents: int
    total_cents: int
    """What the member pays: ``unit_price_cents × quantity``."""
    face_total_cents: int
    """What the items are worth: ``face_value_cents × quantity``."""
    savings_cents: int
    """``face_total_cents − total_cents`` ("vous économisez")."""


def price_line(offer: Offer, face_value_cents: int | None, quantity: int) -> LinePrice:
    """Apply the price rule (see the module docstring) to one line.

    Args:
        offer: The offer.
        face_value_cents: The chosen amount of an e-card; ignored (None is fine) for
            e-tickets and products, whose unit face value is fixed.
        quantity: How many units (not checked here: see ``portal.services.basket``).
    """
    if offer.kind == "ecard":
        if face_value_cents is None:
            raise ValueError("an e-card needs a face value")
        face = face_value_cents
        bp = offer.discount_bp
        unit_discount = discount_cents(face, bp)
    else:
        face = offer.unit_face_value_cents or 0
        price = offer.unit_price_cents if offer.unit_price_cents is not None else face
        unit_discount = face - price
        bp = _derived_bp(face, price)
    unit_price = face - unit_discount
    return LinePrice(
        face_value_cents=face,
        quantity=quantity,
        discount_bp=bp,
        unit_discount_cents=unit_discount,
        unit_price_cents=unit_price,
        total_cents=unit_price * quantity,
        face_total_cents=face * quantity,
        savings_cents=unit_discount * quantity,
    )


def amount_range(offer: Offer) -> tuple[int, int] | None:
    """``(min, max)`` in cents for an e-card with a free amount, else None."""
    if offer.kind == "ecard" and not offer.face_values and offer.max_amount_cents:
        return (offer.min_amount_cents or 100, offer.max_amount_cents)
    return None


def check_amount(offer: Offer, face_value_cents: int | None) -> int:
    """The face value to store for a line of this offer, or a ``ShopError``.

    E-cards in fixed amounts accept only those; e-cards with a free amount accept whole
    euros within their range; e-tickets and products have a fixed unit face value.
    """
    if offer.kind != "ecard":
        face = offer.unit_face_value_cents or 0
        if face_value_cents not in (None, face):
            raise ShopError(N_("This offer has a fixed price: no amount to choose."))
        return face
    if face_value_cents is None:
        raise ShopError(N_("Choose the amount of the e-card."))
    limits = amount_range(offer)
    if limits is not None:
        low, high = limits
        if not low <= face_value_cents <= high or face_value_cents % 100:
            raise ShopError(
                N_("Choose an amount between {min} and {max}, in whole euros."),
                min=Money(low),
                max=Money(high),
            )
        return face_value_cents
    if face_value_cents not in offer.face_values:
        raise ShopError(N_("This amount is not offered for this e-card."))
    return face_value_cents


# -- catalog administration ----------------------------------------------------------


@dataclass(frozen=True)
class OfferSpec:
    """Everything needed to add an offer (amounts in cents)."""

    partner: str
    kind: str
    category: str
    title: str
    description: str = ""
    discount_bp: int = 0
    """E-cards: the discount in basis points (500 = 5 %)."""
    face_values: Sequence[int] = ()
    """E-cards sold in fixed amounts."""
    min_amount_cents: int | None = None
    """E-cards with a free amount (whole euros): the smallest."""
    max_amount_cents: int | None = None
    """E-cards with a free amount: the largest."""
    unit_face_value_cents: int | None = None
    """E-tickets and products: the public price of one unit."""
    unit_price_cents: int | None = None
    """E-tickets and products: the member price of one unit."""
    shipping: bool = False
    shipping_cents: int = 0
    validity_months: int | None = None
    validity: str = ""
    usable_at: str = ""
    conditions: str = ""
    organization_ids: Sequence[int] = ()
    """Only these organizations see the offer; empty: every organization."""
    partner_website: str = ""


def _validate(spec: OfferSpec) -> None:
    if spec.kind not in KINDS:
        raise ValueError(f"unknown kind {spec.kind!r}")
    if not spec.title.strip() or not spec.category.strip() or not spec.partner.strip():
        raise ValueError("title, category and partner are required")
    if spec.shipping_cents < 0 or (spec.shipping_cents and not spec.shipping):
        raise ValueError("a shipping fee needs shipping")
    if spec.kind == "ecard":
        if not 0 <= spec.discount_bp < 10_000:
            raise ValueError("discount must be within [0, 10000) basis points")
        fixed = bool(spec.face_values)
        free = spec.min_amount_cents is not None or spec.max_amount_cents is not None
        if fixed == free:
            raise ValueError("an e-card has either fixed face values or an amount range")
        if fixed and any(v <= 0 for v in spec.face_values):
            raise ValueError("face values must be positive")
        if free and not (
            spec.min_amount_cents
            and spec.max_amount_cents
            and 0 < spec.min_amount_cents <= spec.max_amount_cents
            and spec.min_amount_cents % 100 == 0
            and spec.max_amount_cents % 100 == 0
        ):
            raise ValueError("the amount range must be whole euros, min <= max")
        if spec.unit_face_value_cents is not None or spec.unit_price_cents is not None:
            raise ValueError("e-cards have no unit price")
    else:
        face, price = spec.unit_face_value_cents, spec.unit_price_cents
        if face is None or price is None or not 0 <= price <= face or face <= 0:
            raise ValueError("e-tickets and products need 0 <= unit price <= unit face value")
        if spec.face_values or spec.min_amount_cents or spec.max_amount_cents:
            raise ValueError("only e-cards have amounts to choose")


def search_text(spec: OfferSpec) -> str:
    """The folded text an offer is found by (both languages' category and kind names)."""
    parts = [spec.title, spec.partner, spec.description, spec.usable_at, spec.category]
    for language in ("fr", "en"):
        t = get_translator(language)
        parts.append(t.gettext(category_label(spec.category)))
        parts.append(t.gettext(KINDS[spec.kind]))
    return fold(" ".join(parts))


def create_offer(db: Database, spec: OfferSpec, *, actor: Member | None = None) -> int:
    """Add an offer to the catalog (creating its partner if needed); returns its id.

    Args:
        spec: The offer.
        actor: The admin adding it, or None for the system (demo data, imports).

    Raises:
        PermissionError: ``actor`` is not a platform admin.
        ValueError: the spec is inconsistent (e.g. an e-ticket without a price).
    """
    if actor is not None and actor.role != "admin":
        raise PermissionError("only platform admins manage the catalog")
    _validate(spec)
    discount_bp = (
        spec.discount_bp
        if spec.kind == "ecard"
        else _derived_bp(spec.unit_face_value_cents or 0, spec.unit_price_cents or 0)
    )
    with transaction(db):
        partner = catalog_data.get_partner_by_name(db, spec.partner)
        partner_id = (
            partner.id
            if partner
            else catalog_data.create_partner(db, spec.partner, spec.partner_website)
        )
        offer_id = catalog_data.create_offer(
            db,
            partner_id=partner_id,
            kind=spec.kind,
            category=spec.category,
            title=spec.title,
            description=spec.description,
            discount_bp=discount_bp,
            face_values=list(spec.face_values),
            min_amount_cents=spec.min_amount_cents,
            max_amount_cents=spec.max_amount_cents,
            unit_face_value_cents=spec.unit_face_value_cents,
            unit_price_cents=spec.unit_price_cents,
            shipping=spec.shipping,
            shipping_cents=spec.shipping_cents,
            validity_months=spec.validity_months,
            validity=spec.validity,
            usable_at=spec.usable_at,
            conditions=spec.conditions,
            search_text=search_text(spec),
        )
        if spec.organization_ids:
            catalog_data.set_offer_organizations(db, offer_id, spec.organization_ids)
        if actor is not None:
            audit.record(
                db,
                "catalog.offer_created",
                actor_id=actor.id,
                organization_id=actor.organization_id,
                target=f"offer:{offer_id}",
                title=spec.title,
            )
    return offer_id
