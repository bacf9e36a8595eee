"""Platform admins' catalog: offers, prices and discounts, denominations, stock, visibility.

Admins only: every function re-reads the actor and refuses anyone else at the service
(``PermissionError``), whatever screen or path called it. Refusals are sentences that
name what to correct (``CatalogError``); every change is audited, and members see it at
their next read of the shop (nothing is cached). An offer's stock counts the units of a
physical product left: at 0 the offer is hidden from members. Placing an order takes
its units (``checkout.place_order``, a conditional update in the order's transaction);
cancelling it, its payment expiring or failing, and an accepted return put them back
(``portal.data.catalog.release_stock``). NULL: not counted, unlimited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from portal.data import catalog as catalog_data
from portal.data.catalog import Offer, Partner
from portal.data.db import transaction
from portal.data.members import Member
from portal.i18n import N_
from portal.services import audit, authz, text
from portal.services.catalog import (
    CATEGORIES,
    KINDS,
    SEARCH_MAX_LENGTH,
    OfferSpec,
    ShopError,
    _derived_bp,
    _validate,
    create_offer,
    fold,
    search_text,
)

__all__ = [
    "AdminOffer",
    "CatalogError",
    "FORM_FIELDS",
    "Offer",
    "Partner",
    "admin_create_offer",
    "admin_offer",
    "admin_offers",
    "form_values",
    "list_partners",
    "organization_names",
    "save_partner",
    "set_offer_active",
    "set_stock",
    "spec_from_form",
    "spec_of",
    "update_offer",
]


# -- platform admins: offers, prices, denominations, stock, visibility, partners -------


class CatalogError(ShopError):
    """A catalog change refused (inconsistent offer, unknown partner or organization)."""


@dataclass(frozen=True)
class AdminOffer:
    """One offer as the admins' catalog lists it, labelled with who sees it."""

    offer: Offer
    organizations: tuple[str, ...]
    """Names of the organizations that see it; empty: every organization."""


def _require_admin(db: Database, actor: Member) -> Member:
    """The actor as stored now, if a platform admin (managers are refused here)."""
    current = authz.current_manager(db, actor)
    if current.role != "admin":
        raise PermissionError("only platform admins manage the catalog")
    return current


def admin_offers(db: Database, actor: Member, query: str = "") -> list[AdminOffer]:
    """Every offer, withdrawn ones too, with the organizations that see it (admins only)."""
    _require_admin(db, actor)
    words = fold(query[:SEARCH_MAX_LENGTH]).split()[:8]
    names = catalog_data.organization_names(db)
    return [
        AdminOffer(o, tuple(sorted(names.get(i, str(i)) for i in o.organization_ids)))
        for o in catalog_data.list_all_offers(db, words)
    ]


def admin_offer(db: Database, actor: Member, offer_id: int) -> Offer:
    """One offer, whatever its status (admins only)."""
    _require_admin(db, actor)
    offer = catalog_data.get_offer(db, offer_id)
    if offer is None:
        raise CatalogError(N_("This offer does not exist."))
    return offer


def _check_spec(db: Database, spec: OfferSpec) -> None:
    """Refusals an admin reads (the same rules as ``_validate``, in sentences)."""
    for value in (spec.title, spec.partner, spec.usable_at, spec.validity, spec.category):
        text.check_line(value, error=CatalogError)
    for value in (spec.description, spec.conditions):
        text.check_line(value, error=CatalogError, multiline=True)
    if not spec.title.strip() or not spec.partner.strip():
        raise CatalogError(N_("An offer needs a title and a partner."))
    if spec.kind not in KINDS:
        raise CatalogError(N_("Choose the kind: e-card, e-ticket or product."))
    if spec.category not in CATEGORIES:
        raise CatalogError(N_("Choose a category from the list."))
    if spec.kind == "ecard":
        if not 0 <= spec.discount_bp < 10_000:
            raise CatalogError(N_("The discount is between 0 and 99.99 %."))
        fixed = bool(spec.face_values)
        free = spec.min_amount_cents is not None or spec.max_amount_cents is not None
        if fixed == free:
            raise CatalogError(
                N_("An e-card has either fixed amounts or a range of amounts, not both.")
            )
        if fixed and any(v <= 0 for v in spec.face_values):
            raise CatalogError(N_("Every amount must be more than 0."))
        if free and not (
            spec.min_amount_cents
            and spec.max_amount_cents
            and 0 < spec.min_amount_cents <= spec.max_amount_cents
            and spec.min_amount_cents % 100 == 0
            and spec.max_amount_cents % 100 == 0
        ):
            raise CatalogError(N_("The range of amounts is in whole euros, the smallest first."))
    else:
        face, price = spec.unit_face_value_cents, spec.unit_price_cents
        if face is None or price is None or face <= 0 or not 0 <= price <= face:
            raise CatalogError(
                N_("An e-ticket or product needs a public price and a member price not above it.")
            )
    if spec.shipping_cents < 0 or (spec.shipping_cents and not spec.shipping):
        raise CatalogError(N_("A delivery fee needs delivery by post."))
    known = catalog_data.organization_names(db)
    if any(i not in known for i in spec.organization_ids):
        raise CatalogError(N_("This organization does not exist."))
    try:
        _validate(spec)
    except ValueError:
        raise CatalogError(N_("This offer is not consistent: check its prices.")) from None


def admin_create_offer(db: Database, actor: Member, spec: OfferSpec) -> int:
    """Add an offer (admins only), with readable refusals; audited."""
    current = _require_admin(db, actor)
    _check_spec(db, spec)
    return create_offer(db, spec, actor=current)


def update_offer(db: Database, actor: Member, offer_id: int, spec: OfferSpec) -> Offer:
    """Change an offer: texts, prices and discount, amounts, delivery, who sees it.

    Members see the change at their next read (the shop reads the catalog each time).
    Lines already in a basket are re-priced by the basket's own checks.

    Raises:
        PermissionError: Not a platform admin.
        CatalogError: Unknown offer, or an inconsistent one.
    """
    current = _require_admin(db, actor)
    before = admin_offer(db, current, offer_id)
    _check_spec(db, spec)
    discount_bp = (
        spec.discount_bp
        if spec.kind == "ecard"
        else _derived_bp(spec.unit_face_value_cents or 0, spec.unit_price_cents or 0)
    )
    with transaction(db):
        partner = catalog_data.get_partner_by_name(db, spec.partner.strip())
        partner_id = (
            partner.id
            if partner
            else catalog_data.create_partner(db, spec.partner.strip(), spec.partner_website)
        )
        catalog_data.update_offer(
            db,
            offer_id,
            partner_id=partner_id,
            kind=spec.kind,
            category=spec.category,
            title=spec.title.strip(),
            description=spec.description.strip(),
            discount_bp=discount_bp,
            face_values=list(spec.face_values),
            min_amount_cents=spec.min_amount_cents,
            max_amount_cents=spec.max_amount_cents,
            unit_face_value_cents=spec.unit_face_value_cents,
            unit_price_cents=spec.unit_price_cents,
            shipping=spec.shipping,
            shipping_cents=spec.shipping_cents,
            validity_months=spec.validity_months,
            validity=spec.validity.strip(),
            usable_at=spec.usable_at.strip(),
            conditions=spec.conditions.strip(),
            search_text=search_text(spec),
        )
        catalog_data.set_offer_organizations(db, offer_id, spec.organization_ids)
        audit.record(
            db,
            "catalog.offer_changed",
            actor_id=current.id,
            target=f"offer:{offer_id}",
            title=spec.title,
            old_discount_bp=before.discount_bp,
            discount_bp=discount_bp,
            old_unit_price_cents=before.unit_price_cents,
            unit_price_cents=spec.unit_price_cents,
            face_values=list(spec.face_values),
            organization_ids=list(spec.organization_ids),
        )
    return admin_offer(db, current, offer_id)


def set_offer_active(db: Database, actor: Member, offer_id: int, active: bool) -> Offer:
    """Open an offer or withdraw it from the shop (admins only; audited)."""
    current = _require_admin(db, actor)
    admin_offer(db, current, offer_id)
    with transaction(db):
        catalog_data.set_offer_active(db, offer_id, active)
        audit.record(
            db,
            "catalog.offer_opened" if active else "catalog.offer_withdrawn",
            actor_id=current.id,
            target=f"offer:{offer_id}",
        )
    return admin_offer(db, current, offer_id)


def set_stock(db: Database, actor: Member, offer_id: int, stock: int | None) -> Offer:
    """Units of a physical product left (None: not counted; 0 hides it from the shop)."""
    current = _require_admin(db, actor)
    offer = admin_offer(db, current, offer_id)
    if offer.kind != "product":
        raise CatalogError(N_("Only physical products have a stock."))
    if stock is not None and not 0 <= stock <= 1_000_000:
        raise CatalogError(N_("The stock is a whole number between 0 and 1,000,000."))
    with transaction(db):
        catalog_data.set_stock(db, offer_id, stock)
        audit.record(
            db,
            "catalog.stock_changed",
            actor_id=current.id,
            target=f"offer:{offer_id}",
            old_stock=offer.stock,
            stock=stock,
        )
    return admin_offer(db, current, offer_id)


def list_partners(db: Database, actor: Member) -> list[Partner]:
    """Every partner, by name (admins only)."""
    _require_admin(db, actor)
    return catalog_data.list_partners(db)


def save_partner(
    db: Database, actor: Member, name: str, website: str = "", *, partner_id: int | None = None
) -> Partner:
    """Add a partner, or rename one / change its website (admins only; audited)."""
    current = _require_admin(db, actor)
    name = text.check_line(name, error=CatalogError)
    website = text.check_line(website, error=CatalogError)
    if not name or len(name) > 80 or len(website) > 200:
        raise CatalogError(N_("A partner name has 1 to 80 characters."))
    with transaction(db):
        same = catalog_data.get_partner_by_name(db, name)
        if same is not None and same.id != partner_id:
            raise CatalogError(N_("A partner of this name already exists."))
        if partner_id is None:
            partner_id = catalog_data.create_partner(db, name, website)
            action = "catalog.partner_created"
        else:
            if catalog_data.get_partner(db, partner_id) is None:
                raise CatalogError(N_("This partner does not exist."))
            catalog_data.update_partner(db, partner_id, name, website)
            action = "catalog.partner_changed"
        audit.record(db, action, actor_id=current.id, target=f"partner:{partner_id}", name=name)
    partner = catalog_data.get_partner(db, partner_id)
    assert partner is not None
    return partner


def spec_of(offer: Offer) -> OfferSpec:
    """The spec of an existing offer (the edit form starts from it)."""
    return OfferSpec(
        partner=offer.partner_name,
        kind=offer.kind,
        category=offer.category,
        title=offer.title,
        description=offer.description,
        discount_bp=offer.discount_bp if offer.kind == "ecard" else 0,
        face_values=offer.face_values,
        min_amount_cents=offer.min_amount_cents,
        max_amount_cents=offer.max_amount_cents,
        unit_face_value_cents=offer.unit_face_value_cents,
        unit_price_cents=offer.unit_price_cents,
        shipping=offer.shipping,
        shipping_cents=offer.shipping_cents,
        validity_months=offer.validity_months,
        validity=offer.validity,
        usable_at=offer.usable_at,
        conditions=offer.conditions,
        organization_ids=offer.organization_ids,
    )


FORM_FIELDS = (
    "title",
    "partner",
    "kind",
    "category",
    "description",
    "discount",
    "face_values",
    "amount_range",
    "unit_face_value",
    "unit_price",
    "shipping_fee",
    "usable_at",
    "validity",
    "conditions",
    "organizations",
)
"""The fields of the offer form, in order (each a line of text)."""


AMOUNT_MESSAGES = {
    "discount": N_("Discount: type a percentage, for instance 5 or 4,5."),
    "shipping_fee": N_("Delivery fee: type an amount in euros, for instance 4,90 (0: free)."),
    "unit_face_value": N_("Public price: type an amount in euros, for instance 19,90."),
    "unit_price": N_("Member price: type an amount in euros, for instance 17,50."),
}


def _euros(raw: str, *, field_name: str) -> int | None:
    """Euros typed (``19,90`` or ``19.90``) as cents; empty is None."""
    value = raw.strip().replace("€", "").replace(" ", "").replace(",", ".")
    if not value:
        return None
    whole, _dot, fraction = value.partition(".")
    if (
        not text.ascii_digits(whole)
        or (fraction and not text.ascii_digits(fraction))
        or len(fraction) > 2
    ):
        raise CatalogError(AMOUNT_MESSAGES[field_name])
    return int(whole) * 100 + int((fraction + "00")[:2])


def form_values(offer: Offer | None, organization_names: dict[int, str]) -> dict[str, str]:
    """The form's text for an offer (empty fields for a new one)."""
    if offer is None:
        return {name: "" for name in FORM_FIELDS} | {"kind": "ecard", "category": "groceries"}

    def euros(cents: int | None) -> str:
        return "" if cents is None else f"{cents // 100},{cents % 100:02d}"

    return {
        "title": offer.title,
        "partner": offer.partner_name,
        "kind": offer.kind,
        "category": offer.category,
        "description": offer.description,
        "discount": f"{offer.discount_bp / 100:g}" if offer.kind == "ecard" else "",
        "face_values": " ".join(str(v // 100) for v in offer.face_values),
        "amount_range": (
            f"{(offer.min_amount_cents or 0) // 100}-{offer.max_amount_cents // 100}"
            if offer.max_amount_cents
            else ""
        ),
        "unit_face_value": euros(offer.unit_face_value_cents),
        "unit_price": euros(offer.unit_price_cents),
        "shipping_fee": euros(offer.shipping_cents) if offer.shipping else "",
        "usable_at": offer.usable_at,
        "validity": offer.validity,
        "conditions": offer.conditions,
        "organizations": ", ".join(
            organization_names.get(i, str(i)) for i in offer.organization_ids
        ),
    }


def spec_from_form(
    db: Database, actor: Member, values: dict[str, str], *, offer_id: int | None = None
) -> OfferSpec:
    """The offer typed in the form, or a ``CatalogError`` naming the field (admins only).

    Amounts are euros; the e-card discount a percentage (``5`` or ``4,5``); fixed amounts
    whole euros separated by spaces (``20 50 100``); a free range ``10-150``; an empty
    delivery fee means no delivery by post (``0`` is free delivery); organizations are
    names separated by commas (empty: every organization).
    """
    _require_admin(db, actor)
    base = catalog_data.get_offer(db, offer_id) if offer_id is not None else None
    get = {name: values.get(name, "").strip() for name in FORM_FIELDS}
    kind = get["kind"]
    discount_bp = 0
    if get["discount"]:
        percent = _euros(get["discount"], field_name="discount")
        discount_bp = percent or 0  # "5" -> 500 cents-like: percent with 2 decimals = bp
    face_values: tuple[int, ...] = ()
    if get["face_values"]:
        parts = get["face_values"].replace(",", " ").replace(";", " ").split()
        if not all(p.isascii() and p.isdigit() for p in parts):
            raise CatalogError(N_("Fixed amounts are whole euros separated by spaces: 20 50 100."))
        face_values = tuple(sorted({int(p) * 100 for p in parts}))
    low = high = None
    if get["amount_range"]:
        a, _sep, b = get["amount_range"].replace(" ", "").partition("-")
        if not (a.isascii() and a.isdigit() and b.isascii() and b.isdigit()):
            raise CatalogError(N_("A range of amounts is typed 10-150 (whole euros)."))
        low, high = int(a) * 100, int(b) * 100
    fee = _euros(get["shipping_fee"], field_name="shipping_fee")
    names = [n.strip() for n in get["organizations"].split(",") if n.strip()]
    by_name = {v.casefold(): k for k, v in catalog_data.organization_names(db).items()}
    ids = []
    for name in names:
        if name.casefold() not in by_name:
            raise CatalogError(N_('Unknown organization "{name}".'), name=name)
        ids.append(by_name[name.casefold()])
    return OfferSpec(
        partner=get["partner"],
        kind=kind,
        category=get["category"],
        title=get["title"],
        description=get["description"],
        discount_bp=discount_bp if kind == "ecard" else 0,
        face_values=face_values if kind == "ecard" else (),
        min_amount_cents=low if kind == "ecard" else None,
        max_amount_cents=high if kind == "ecard" else None,
        unit_face_value_cents=(
            _euros(get["unit_face_value"], field_name="unit_face_value")
            if kind != "ecard"
            else None
        ),
        unit_price_cents=(
            _euros(get["unit_price"], field_name="unit_price") if kind != "ecard" else None
        ),
        shipping=fee is not None,
        shipping_cents=fee or 0,
        validity_months=(
            base.validity_months if base is not None else (12 if kind != "product" else None)
        ),
        validity=get["validity"],
        usable_at=get["usable_at"],
        conditions=get["conditions"],
        organization_ids=tuple(ids),
    )


def organization_names(db: Database, actor: Member) -> dict[int, str]:
    """Every organization's name by id (admins only: the offer form's visibility field)."""
    _require_admin(db, actor)
    return catalog_data.organization_names(db)
