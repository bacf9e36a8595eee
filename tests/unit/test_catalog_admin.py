"""Platform admins' catalog: edits audited and seen by members at once; managers refused."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from portal.data import members as members_data
from portal.data.members import Member
from portal.services import audit, catalog, catalog_admin
from portal.services.catalog_admin import CatalogError


def get(db: Database, login: str) -> Member:
    member = members_data.get_member_by_login(db, login)
    assert member is not None
    return member


def first(db: Database, kind: str) -> catalog.Offer:
    return next(
        a.offer for a in catalog_admin.admin_offers(db, get(db, "admin")) if a.offer.kind == kind
    )


def test_a_price_change_is_audited_and_visible_at_once(db: Database) -> None:
    admin = get(db, "admin")
    ecard = first(db, "ecard")
    values = catalog_admin.form_values(ecard, {}) | {"discount": "7,5"}
    spec = catalog_admin.spec_from_form(db, admin, values, offer_id=ecard.id)
    catalog_admin.update_offer(db, admin, ecard.id, spec)
    seen = catalog.get_offer(db, get(db, "alice"), ecard.id)
    assert seen is not None and seen.discount_bp == 750
    assert seen.validity_months == ecard.validity_months
    entry = audit.recent(db, limit=1)[0]
    assert entry.action == "catalog.offer_changed" and entry.actor_id == admin.id


def test_visibility_by_organization_and_withdrawal(db: Database) -> None:
    admin = get(db, "admin")
    ecard = first(db, "ecard")
    values = catalog_admin.form_values(ecard, {}) | {"organizations": "CSE Horizon"}
    catalog_admin.update_offer(db, admin, ecard.id, catalog_admin.spec_from_form(db, admin, values))
    assert catalog.get_offer(db, get(db, "alice"), ecard.id) is None
    assert catalog.get_offer(db, get(db, "bob"), ecard.id) is not None
    row = next(a for a in catalog_admin.admin_offers(db, admin) if a.offer.id == ecard.id)
    assert row.organizations == ("CSE Horizon",)
    catalog_admin.set_offer_active(db, admin, ecard.id, False)
    assert catalog.get_offer(db, get(db, "bob"), ecard.id) is None
    with pytest.raises(CatalogError):
        catalog_admin.spec_from_form(db, admin, values | {"organizations": "CSE Inconnu"})


def test_stock_of_a_product_hides_it_when_none_is_left(db: Database) -> None:
    admin = get(db, "admin")
    product = first(db, "product")
    catalog_admin.set_stock(db, admin, product.id, 3)
    assert catalog.get_offer(db, get(db, "alice"), product.id).stock == 3  # type: ignore[union-attr]
    catalog_admin.set_stock(db, admin, product.id, 0)
    assert catalog.get_offer(db, get(db, "alice"), product.id) is None
    assert product.id not in [o.id for o in catalog.search_offers(db, get(db, "alice"))]
    with pytest.raises(CatalogError):
        catalog_admin.set_stock(db, admin, first(db, "ecard").id, 5)
    assert audit.recent(db, limit=1)[0].action == "catalog.stock_changed"


def test_a_new_offer_and_partner(db: Database) -> None:
    admin = get(db, "admin")
    catalog_admin.save_partner(db, admin, "Librairie du Coin")
    values = catalog_admin.form_values(None, {}) | {
        "title": "Carte Librairie",
        "partner": "Librairie du Coin",
        "kind": "ecard",
        "category": "culture",
        "discount": "4",
        "face_values": "20 50",
    }
    offer_id = catalog_admin.admin_create_offer(
        db, admin, catalog_admin.spec_from_form(db, admin, values)
    )
    seen = catalog.get_offer(db, get(db, "bob"), offer_id)
    assert seen is not None and seen.face_values == (2000, 5000) and seen.discount_bp == 400
    with pytest.raises(CatalogError):
        catalog_admin.spec_from_form(db, admin, values | {"face_values": "vingt"})
    bad = catalog_admin.spec_from_form(db, admin, values | {"face_values": "", "amount_range": ""})
    with pytest.raises(CatalogError):
        catalog_admin.admin_create_offer(db, admin, bad)


@pytest.mark.parametrize("login", ["marc", "alice"])
def test_a_manager_cannot_edit_the_catalog(db: Database, login: str) -> None:
    actor = get(db, login)
    ecard = first(db, "ecard")
    with pytest.raises(PermissionError):
        catalog_admin.admin_offers(db, actor)
    with pytest.raises(PermissionError):
        catalog_admin.update_offer(db, actor, ecard.id, catalog_admin.spec_of(ecard))
    with pytest.raises(PermissionError):
        catalog_admin.set_offer_active(db, actor, ecard.id, False)
    with pytest.raises(PermissionError):
        catalog_admin.set_stock(db, actor, ecard.id, 1)
    with pytest.raises(PermissionError):
        catalog_admin.save_partner(db, actor, "X")
