"""The basket: lines and totals, limits, changes, ownership, and persistence."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from portal.config import Settings
from portal.data import basket as basket_data
from portal.data import catalog as catalog_data
from portal.data import members as members_data
from portal.data.db import Store, connect, transaction
from portal.data.members import Member
from portal.services import basket, catalog
from portal.services.basket import (
    MAX_BASKET_TOTAL_CENTS,
    MAX_LINES,
    MAX_QUANTITY_PER_LINE,
    parse_amount,
    parse_quantity,
)
from portal.services.catalog import ShopError
from portal.services.catalog_demo import DEMO_ONLY_TITLE
from tests.typography import fr


def _member(db: Database, login: str) -> Member:
    member = members_data.get_member_by_login(db, login)
    assert member is not None
    return member


def _offer_id(db: Database, member: Member, title: str) -> int:
    found = [o.id for o in catalog.search_offers(db, member) if o.title == title]
    assert len(found) == 1, title
    return found[0]


def _rows(db: Database, member: Member) -> list[tuple[int, int, int]]:
    return [
        (r.offer_id, r.face_value_cents, r.quantity) for r in basket_data.list_lines(db, member.id)
    ]


def _refused(fn, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ShopError) as refused:
        fn(*args, **kwargs)
    return refused.value.text()


# -- lines and totals ----------------------------------------------------------------


def test_a_line_carries_amount_quantity_discount_and_price(db: Database) -> None:
    alice = _member(db, "alice")
    carrefour = _offer_id(db, alice, "E-carte Carrefour")
    result = basket.add_to_basket(db, alice, carrefour, face_value_cents=5000, quantity=2)
    (line,) = result.lines
    assert (line.offer_id, line.offer_title, line.kind, line.category) == (
        carrefour,
        "E-carte Carrefour",
        "ecard",
        "groceries",
    )
    assert (line.face_value_cents, line.quantity, line.discount_bp) == (5000, 2, 500)
    assert (line.unit_price_cents, line.line_total_cents, line.savings_cents) == (4750, 9500, 500)
    assert line.available and not line.shipping
    assert (result.subtotal_cents, result.total_cents, result.savings_cents) == (9500, 9500, 500)
    assert result.face_total_cents == 10000 and result.item_count == 2
    assert basket.get_basket(db, alice) == result


def test_totals_add_lines_of_every_kind_and_one_delivery_fee(db: Database) -> None:
    alice = _member(db, "alice")
    basket.add_to_basket(
        db, alice, _offer_id(db, alice, "E-carte Fnac"), face_value_cents=7500, quantity=1
    )  # 70,50 €
    basket.add_to_basket(db, alice, _offer_id(db, alice, "E-billet UGC"), quantity=3)  # 25,80 €
    basket.add_to_basket(
        db, alice, _offer_id(db, alice, "Gourde isotherme Quechua 0,5 L"), quantity=2
    )  # 25,00 € + 4,90 € delivery
    result = basket.add_to_basket(
        db, alice, _offer_id(db, alice, "Cafetière à piston Bodum Chambord 1 L")
    )  # 34,90 €
    assert result.subtotal_cents == 7050 + 2580 + 2500 + 3490
    assert result.needs_shipping
    assert result.shipping_cents == 490  # one fee per order: the highest, not the sum
    assert result.total_cents == result.subtotal_cents + 490
    assert result.savings_cents == 450 + 3 * 490 + 2 * 250 + 1000
    assert result.item_count == 7


def test_same_offer_and_amount_adds_to_its_line(db: Database) -> None:
    alice = _member(db, "alice")
    carrefour = _offer_id(db, alice, "E-carte Carrefour")
    basket.add_to_basket(db, alice, carrefour, face_value_cents=5000, quantity=2)
    basket.add_to_basket(db, alice, carrefour, face_value_cents=2000)
    result = basket.add_to_basket(db, alice, carrefour, face_value_cents=5000, quantity=3)
    assert [(line.face_value_cents, line.quantity) for line in result.lines] == [
        (5000, 5),
        (2000, 1),
    ]


# -- bad input and limits: a sentence, and nothing written ---------------------------


@pytest.mark.parametrize("quantity", [0, -1, MAX_QUANTITY_PER_LINE + 1, 1000])
def test_quantity_out_of_range_is_refused(db: Database, quantity: int) -> None:
    alice = _member(db, "alice")
    ugc = _offer_id(db, alice, "E-billet UGC")
    text = _refused(basket.add_to_basket, db, alice, ugc, quantity=quantity)
    assert text == "La quantité doit être comprise entre 1 et 10."
    assert _rows(db, alice) == []


def test_a_line_holds_at_most_the_maximum(db: Database) -> None:
    alice = _member(db, "alice")
    ugc = _offer_id(db, alice, "E-billet UGC")
    basket.add_to_basket(db, alice, ugc, quantity=8)
    text = _refused(basket.add_to_basket, db, alice, ugc, quantity=3)
    assert text == fr("Vous en avez déjà 8 dans votre panier ; une ligne en compte au plus 10.")
    assert _rows(db, alice) == [(ugc, 1350, 8)]


def test_amount_out_of_range_is_refused(db: Database) -> None:
    alice = _member(db, "alice")
    fnac = _offer_id(db, alice, "E-carte Fnac")
    text = _refused(basket.add_to_basket, db, alice, fnac, face_value_cents=60000)
    assert fr("entre 10,00 € et 500,00 €") in text
    assert _refused(basket.add_to_basket, db, alice, fnac) == "Choisissez le montant de l'e-carte."
    assert _rows(db, alice) == []


def test_basket_total_is_capped(db: Database) -> None:
    alice = _member(db, "alice")
    fnac = _offer_id(db, alice, "E-carte Fnac")
    basket.add_to_basket(db, alice, fnac, face_value_cents=50000, quantity=4)  # 1 880,00 €
    text = _refused(basket.add_to_basket, db, alice, fnac, face_value_cents=50000)
    assert text == (
        fr("Votre panier atteindrait 2 350,00 €, au-delà de la limite de 2 000,00 € par commande.")
    )
    assert _rows(db, alice) == [(fnac, 50000, 4)]
    line = basket.get_basket(db, alice).lines[0]
    _refused(basket.set_quantity, db, alice, line.id, 5)
    assert basket.get_basket(db, alice).subtotal_cents <= MAX_BASKET_TOTAL_CENTS


def test_basket_holds_a_limited_number_of_lines(db: Database) -> None:
    alice = _member(db, "alice")
    monoprix = _offer_id(db, alice, "E-carte Monoprix")  # free amount: one line per amount
    for euros in range(10, 10 + MAX_LINES):
        basket.add_to_basket(db, alice, monoprix, face_value_cents=euros * 100)
    text = _refused(basket.add_to_basket, db, alice, _offer_id(db, alice, "E-billet UGC"))
    assert text == "Votre panier contient déjà 20 offres différentes."
    assert len(_rows(db, alice)) == MAX_LINES


# -- parsing what the member typed ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("50", 5000),
        ("50,00", 5000),
        ("50.5", 5050),
        (" 75 € ", 7500),
        ("1 000", 100000),
        ("120 EUR", 12000),
        ("0", 0),
    ],
)
def test_parse_amount(text: str, cents: int) -> None:
    assert parse_amount(text) == cents


@pytest.mark.parametrize("text", ["", "abc", "50,000", "-5", "5e3", "cinquante", "12,3,4"])
def test_parse_amount_refuses_what_is_not_an_amount(text: str) -> None:
    assert _refused(parse_amount, text) == "Saisissez un montant en euros, par exemple 50."


def test_parse_quantity() -> None:
    assert parse_quantity(" 3 ") == 3
    assert parse_quantity("0") == 0  # the range is the basket's to check
    for bad in ("", "deux", "1.5", "-1", "99999"):
        assert _refused(parse_quantity, bad) == (
            "Saisissez la quantité en chiffres, par exemple 2."
        )


# -- changes -------------------------------------------------------------------------


def test_change_quantity_and_remove(db: Database) -> None:
    alice = _member(db, "alice")
    ugc = _offer_id(db, alice, "E-billet UGC")
    line = basket.add_to_basket(db, alice, ugc, quantity=2).lines[0]
    assert basket.change_quantity(db, alice, line.id, +1).lines[0].quantity == 3
    assert basket.set_quantity(db, alice, line.id, 1).lines[0].quantity == 1
    text = _refused(basket.change_quantity, db, alice, line.id, -1)
    assert text == fr("La quantité ne peut pas descendre sous 1 : retirez plutôt la ligne.")
    basket.set_quantity(db, alice, line.id, MAX_QUANTITY_PER_LINE)
    _refused(basket.change_quantity, db, alice, line.id, +1)
    _refused(basket.set_quantity, db, alice, line.id, 0)
    assert _rows(db, alice) == [(ugc, 1350, MAX_QUANTITY_PER_LINE)]
    assert basket.remove_line(db, alice, line.id).is_empty
    assert _refused(basket.remove_line, db, alice, line.id) == (
        "Cette ligne n'est plus dans votre panier."
    )


def test_clear_basket_empties_it_within_the_callers_transaction(db: Database) -> None:
    alice = _member(db, "alice")
    basket.add_to_basket(db, alice, _offer_id(db, alice, "E-billet UGC"))
    with pytest.raises(RuntimeError), transaction(db):
        assert basket.clear_basket(db, alice) == 1
        raise RuntimeError("the order could not be written")
    assert len(_rows(db, alice)) == 1  # rolled back with the caller
    assert basket.clear_basket(db, alice) == 1
    assert basket.get_basket(db, alice).is_empty


# -- authorization -------------------------------------------------------------------


def test_bob_cannot_add_an_offer_restricted_to_another_organization(db: Database) -> None:
    alice, bob = _member(db, "alice"), _member(db, "bob")
    restricted = _offer_id(db, alice, DEMO_ONLY_TITLE)
    text = _refused(basket.add_to_basket, db, bob, restricted)
    assert text == "Cette offre n'existe pas ou ne vous est pas proposée."
    assert basket.get_basket(db, bob).is_empty
    assert basket.add_to_basket(db, alice, restricted).lines[0].offer_title == DEMO_ONLY_TITLE


def test_a_member_only_reads_and_changes_their_own_basket(db: Database) -> None:
    alice, bob = _member(db, "alice"), _member(db, "bob")
    ugc = _offer_id(db, alice, "E-billet UGC")
    line = basket.add_to_basket(db, alice, ugc, quantity=2).lines[0]
    assert basket.get_basket(db, bob).is_empty
    for change in (
        lambda: basket.set_quantity(db, bob, line.id, 5),
        lambda: basket.change_quantity(db, bob, line.id, 1),
        lambda: basket.remove_line(db, bob, line.id),
    ):
        with pytest.raises(ShopError):
            change()
    assert basket.clear_basket(db, bob) == 0
    assert _rows(db, alice) == [(ugc, 1350, 2)]


def test_a_line_whose_offer_is_no_longer_for_the_member_counts_in_no_total(db: Database) -> None:
    alice, bob = _member(db, "alice"), _member(db, "bob")
    carrefour = _offer_id(db, alice, "E-carte Carrefour")
    basket.add_to_basket(db, alice, carrefour, face_value_cents=5000)
    ugc_line = basket.add_to_basket(db, alice, _offer_id(db, alice, "E-billet UGC")).lines[1]
    assert bob.organization_id is not None
    catalog_data.set_offer_organizations(db, carrefour, [bob.organization_id])
    result = basket.get_basket(db, alice)
    gone = result.lines[0]
    assert not gone.available and result.has_unavailable
    assert result.subtotal_cents == ugc_line.line_total_cents
    _refused(basket.set_quantity, db, alice, gone.id, 2)
    assert basket.remove_line(db, alice, gone.id).has_unavailable is False


def test_a_line_at_an_amount_no_longer_sold_is_unavailable(db: Database) -> None:
    alice = _member(db, "alice")
    carrefour = _offer_id(db, alice, "E-carte Carrefour")
    basket.add_to_basket(db, alice, carrefour, face_value_cents=15000)
    basket.add_to_basket(db, alice, carrefour, face_value_cents=5000)
    catalog_data.set_face_values(db, carrefour, [2000, 5000, 10000])
    result = basket.get_basket(db, alice)
    assert [(line.face_value_cents, line.available) for line in result.lines] == [
        (15000, False),
        (5000, True),
    ]
    assert result.subtotal_cents == 4750 and result.has_unavailable


# -- persistence ---------------------------------------------------------------------


def test_basket_survives_reconnection(settings: Settings) -> None:
    """A basket written by one session's connection is there for the next session."""
    first = Store(settings.db_path, threads=1)
    db = connect(settings.db_path)
    try:
        alice = _member(db, "alice")
        fnac = _offer_id(db, alice, "E-carte Fnac")
        first.run_sync(basket.add_to_basket, alice, fnac, face_value_cents=7500, quantity=2)
        first.close()
        second = Store(settings.db_path, threads=1)
        try:
            again = second.run_sync(basket.get_basket, alice)
        finally:
            second.close()
        assert [(line.offer_id, line.face_value_cents, line.quantity) for line in again.lines] == [
            (fnac, 7500, 2)
        ]
        assert again.total_cents == 2 * 7050
    finally:
        db.conn.close()
