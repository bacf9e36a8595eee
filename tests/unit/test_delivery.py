"""Delivery: a parcel needs an address, copied onto the order; e-products' email."""

from __future__ import annotations

import pytest

from portal.data import order_delivery
from portal.data import orders as orders_data
from portal.i18n import get_translator
from portal.services import delivery, fulfilment
from portal.services.delivery import DeliveryError
from portal.services.errors import PortalError
from tests.order_helpers import benefit_order, emails_to, with_address
from tests.unit.test_wallet_support import NOW, line, member, new_member

PARCEL = [line("Bodum", "product", "home", 3490)]


def test_a_parcel_without_an_address_is_refused_and_nothing_is_written(db, settings) -> None:
    carol = new_member(db)
    before = orders_data.count_member_orders(db, carol.id)
    with pytest.raises(DeliveryError) as refused:
        benefit_order(db, settings, carol, PARCEL, shipping=490)
    assert "delivery address" in str(refused.value)
    assert "adresse de livraison" in refused.value.text(get_translator("fr"))
    assert orders_data.count_member_orders(db, carol.id) == before


def test_e_products_need_no_address(db, settings) -> None:
    carol = new_member(db)
    detail = benefit_order(db, settings, carol, [line("Fnac", "ecard", "culture", 5000)])
    assert detail.order.delivery_address == ()
    assert detail.order.delivery_email == "carol@example.test"


def test_the_profile_address_is_copied_and_survives_a_profile_edit(db, settings) -> None:
    carol = new_member(db)
    with_address(db, carol)
    detail = benefit_order(db, settings, carol, PARCEL, shipping=490)
    assert detail.order.delivery_address == ("12 rue des Lilas", "69003 Lyon")
    with_address(db, carol, street="1 place Bellecour")
    again = orders_data.get_order(db, detail.order.id)
    assert again is not None and again.delivery_address == ("12 rue des Lilas", "69003 Lyon")


def test_an_address_typed_for_one_order_leaves_the_profile_alone(db, settings) -> None:
    carol = new_member(db)
    with_address(db, carol)
    typed = delivery.save_checkout_delivery(
        db,
        carol,
        line1="  5 avenue   Foch ",
        postal_code="75016",
        city="Paris",
        phone="06 12 34 56 78",
        email="Carol@Elsewhere.Example",
    )
    assert typed.address_lines == ("5 avenue Foch", "75016 Paris") and not typed.from_profile
    parcel_and_card = [*PARCEL, line("Fnac", "ecard", "culture", 2000)]
    detail = benefit_order(db, settings, carol, parcel_and_card, shipping=490)
    order = detail.order
    assert order.delivery_address == ("5 avenue Foch", "75016 Paris")
    assert order.delivery_phone == "0612345678"
    assert order.delivery_email == "Carol@elsewhere.example"
    # used once: the next order goes back to the profile, which never changed
    nxt = delivery.checkout_delivery(db, carol)
    assert nxt.from_profile and nxt.address_lines == ("12 rue des Lilas", "69003 Lyon")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"line1": "5 rue X", "postal_code": "7501", "city": "Paris"}, "postal code"),
        ({"line1": "", "postal_code": "75016", "city": "Paris"}, "street"),
        ({"line1": "5 rue\x1b[31m", "postal_code": "75016", "city": "Paris"}, "control character"),
        ({"line1": "5 rue X", "postal_code": "75016", "city": "Paris", "phone": "12"}, "phone"),
        ({"line1": "5 rue X", "postal_code": "75016", "city": "Paris", "email": "x@"}, "email"),
    ],
)
def test_bad_delivery_input_is_refused_and_changes_nothing(db, fields, expected) -> None:
    carol = new_member(db)
    with pytest.raises(PortalError) as refused:
        delivery.save_checkout_delivery(db, carol, **fields)
    assert expected in str(refused.value)
    assert order_delivery.get_delivery_draft(db, carol.id) is None


def test_shipping_email_gives_the_tracking_number_and_the_address(db, settings) -> None:
    carol = new_member(db)
    with_address(db, carol)
    delivery.save_checkout_delivery(
        db, carol, line1="5 avenue Foch", postal_code="75016", city="Paris", phone="0612345678"
    )
    detail = benefit_order(db, settings, carol, PARCEL, shipping=490)
    shipped = fulfilment.mark_shipped(
        db, member(db, "marc"), detail.order.id, "6a123456789", now=NOW
    )
    assert shipped.order.tracking_number == "6A123456789"
    email_id, subject = emails_to(db, carol.id)[-1]
    assert "expédiée" in subject
    from tests.mail_helpers import body_of

    body = body_of(db, email_id)
    assert "6A123456789" in body and "5 avenue Foch" in body and "75016 Paris" in body
