"""The catalog: price rule and rounding, amounts, search, and visibility by organization."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from portal.data import audit as audit_data
from portal.data import catalog as catalog_data
from portal.data import members as members_data
from portal.data.members import Member
from portal.services import catalog, spending
from portal.services.catalog import OfferSpec, ShopError, check_amount, discount_cents, price_line
from portal.services.catalog_demo import DEMO_ONLY_TITLE, HORIZON_ONLY_TITLE
from tests.typography import fr


def _member(db: Database, login: str) -> Member:
    member = members_data.get_member_by_login(db, login)
    assert member is not None
    return member


def _offer(db: Database, member: Member, title: str) -> catalog.Offer:
    found = [o for o in catalog.search_offers(db, member) if o.title == title]
    assert len(found) == 1, title
    return found[0]


# -- price rule ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("face", "bp", "expected"),
    [
        (2000, 500, 100),  # exact
        (1990, 500, 100),  # 99.5 -> half up
        (2010, 500, 101),  # 100.5 -> half up
        (1989, 500, 99),  # 99.45 -> down
        (1999, 500, 100),  # 99.95 -> up
        (333, 150, 5),  # 4.995 -> up
        (1000, 350, 35),
        (0, 500, 0),
        (5000, 0, 0),
        (5000, 10_000, 5000),
    ],
)
def test_unit_discount_is_rounded_half_up_to_the_cent(face: int, bp: int, expected: int) -> None:
    assert discount_cents(face, bp) == expected


def test_discount_refuses_impossible_values() -> None:
    with pytest.raises(ValueError):
        discount_cents(-1, 500)
    with pytest.raises(ValueError):
        discount_cents(1000, 10_001)


def test_line_is_rounded_per_unit_then_multiplied(db: Database) -> None:
    """3 × 19,90 € at 5 %: 0,995 € rounds to 1,00 € per unit, so 3,00 € saved (not 2,99 €)."""
    alice = _member(db, "alice")
    monoprix = _offer(db, alice, "E-carte Monoprix")  # free amount, 5 %
    price = price_line(monoprix, 1990, 3)
    assert price.unit_discount_cents == 100
    assert price.unit_price_cents == 1890
    assert price.total_cents == 5670
    assert price.face_total_cents == 5970
    assert price.savings_cents == 300
    assert price.discount_bp == 500


def test_eticket_is_priced_at_its_member_price(db: Database) -> None:
    alice = _member(db, "alice")
    pathe = _offer(db, alice, "E-billet Pathé")  # 14,90 € public, 9,40 € member
    price = price_line(pathe, None, 2)
    assert (price.face_value_cents, price.unit_price_cents) == (1490, 940)
    assert price.total_cents == 1880
    assert price.savings_cents == 1100
    assert price.discount_bp == 3691  # 36.912… % rounded half up, for display


def test_ecard_price_needs_an_amount(db: Database) -> None:
    carrefour = _offer(db, _member(db, "alice"), "E-carte Carrefour")
    with pytest.raises(ValueError):
        price_line(carrefour, None, 1)


# -- amounts -------------------------------------------------------------------------


def test_fixed_amount_ecard_accepts_only_its_amounts(db: Database) -> None:
    carrefour = _offer(db, _member(db, "alice"), "E-carte Carrefour")
    assert carrefour.face_values == (2000, 5000, 10000, 15000)
    assert check_amount(carrefour, 5000) == 5000
    with pytest.raises(ShopError) as refused:
        check_amount(carrefour, 4000)
    assert refused.value.text() == "Ce montant n'est pas proposé pour cette e-carte."
    with pytest.raises(ShopError):
        check_amount(carrefour, None)


def test_free_amount_ecard_takes_whole_euros_within_its_range(db: Database) -> None:
    fnac = _offer(db, _member(db, "alice"), "E-carte Fnac")  # 10 € to 500 €
    assert catalog.amount_range(fnac) == (1000, 50000)
    for ok in (1000, 7500, 50000):
        assert check_amount(fnac, ok) == ok
    for bad in (900, 50100, 1050, 0):
        with pytest.raises(ShopError) as refused:
            check_amount(fnac, bad)
        assert refused.value.text() == (
            fr("Choisissez un montant entre 10,00 € et 500,00 €, en euros entiers.")
        )


def test_fixed_price_offer_has_no_amount_to_choose(db: Database) -> None:
    ugc = _offer(db, _member(db, "alice"), "E-billet UGC")
    assert check_amount(ugc, None) == 1350
    assert check_amount(ugc, 1350) == 1350
    with pytest.raises(ShopError):
        check_amount(ugc, 2000)


def test_refusals_are_translated_for_the_reader(db: Database) -> None:
    from portal.i18n import get_translator

    fnac = _offer(db, _member(db, "alice"), "E-carte Fnac")
    with pytest.raises(ShopError) as refused:
        check_amount(fnac, 5)
    assert refused.value.text(get_translator("en")) == (
        "Choose an amount between €10.00 and €500.00, in whole euros."
    )


# -- categories and search -----------------------------------------------------------


def test_categories_come_in_menu_order_with_counts(db: Database) -> None:
    categories = catalog.list_categories(db, _member(db, "alice"))
    assert [c.code for c in categories] == [
        "groceries",
        "culture",
        "cinema",
        "leisure",
        "sport",
        "home",
    ]
    assert {c.code: c.count for c in categories}["cinema"] == 4
    assert all(c.count > 0 for c in categories)


def test_search_ignores_case_and_accents(db: Database) -> None:
    alice = _member(db, "alice")
    cinema = {o.title for o in catalog.search_offers(db, alice, "CINEMA")}
    assert {"E-billet Pathé", "E-billet UGC", "E-billet CGR", "E-billet Kinepolis"} <= cinema
    assert "Parc Astérix — billet 1 jour adulte" in {
        o.title for o in catalog.search_offers(db, alice, "asterix")
    }


def test_search_needs_every_word_and_reads_where_usable(db: Database) -> None:
    alice = _member(db, "alice")
    assert [o.title for o in catalog.search_offers(db, alice, "carrefour city")] == [
        "E-carte Carrefour"
    ]
    assert [o.title for o in catalog.search_offers(db, alice, "e-carte fnac")] == ["E-carte Fnac"]
    assert catalog.search_offers(db, alice, "fnac decathlon") == []


def test_search_within_a_category(db: Database) -> None:
    alice = _member(db, "alice")
    sport = catalog.search_offers(db, alice, "decathlon", category="sport")
    assert {o.title for o in sport} == {"E-carte Decathlon", "Gourde isotherme Quechua 0,5 L"}
    assert catalog.search_offers(db, alice, "decathlon", category="cinema") == []


def test_search_wildcards_are_plain_text(db: Database) -> None:
    alice = _member(db, "alice")
    assert catalog.search_offers(db, alice, "%") == []
    assert catalog.search_offers(db, alice, "_") == []


# -- visibility by organization ------------------------------------------------------


def test_member_sees_offers_of_their_organization_only(db: Database) -> None:
    alice, bob = _member(db, "alice"), _member(db, "bob")
    alice_titles = {o.title for o in catalog.search_offers(db, alice)}
    bob_titles = {o.title for o in catalog.search_offers(db, bob)}
    assert DEMO_ONLY_TITLE in alice_titles and DEMO_ONLY_TITLE not in bob_titles
    assert HORIZON_ONLY_TITLE in bob_titles and HORIZON_ONLY_TITLE not in alice_titles
    assert "E-carte Carrefour" in alice_titles & bob_titles


def test_restricted_offer_cannot_be_opened_by_another_organization(db: Database) -> None:
    alice, bob = _member(db, "alice"), _member(db, "bob")
    restricted = _offer(db, alice, DEMO_ONLY_TITLE)
    assert catalog.get_offer(db, alice, restricted.id) is not None
    assert catalog.get_offer(db, bob, restricted.id) is None
    assert catalog.get_offer_sheet(db, bob, restricted.id) is None
    assert catalog.search_offers(db, bob, "tarif négocié CSE Démo") == []


def test_withdrawn_offer_disappears(db: Database) -> None:
    alice = _member(db, "alice")
    ugc = _offer(db, alice, "E-billet UGC")
    catalog_data.set_offer_active(db, ugc.id, False)
    assert catalog.get_offer(db, alice, ugc.id) is None
    assert "E-billet UGC" not in {o.title for o in catalog.search_offers(db, alice)}
    assert catalog.get_offer(db, alice, 999_999) is None


def test_offer_sheet_lists_the_members_benefits_that_apply(db: Database) -> None:
    """The sheet asks the wallet with the offer's category and kind (demo: alice has some)."""
    alice = _member(db, "alice")
    pathe = _offer(db, alice, "E-billet Pathé")
    sheet = catalog.get_offer_sheet(db, alice, pathe.id)
    assert sheet is not None and sheet.offer == pathe
    assert sheet.benefits == spending.applicable_benefits(db, alice, "cinema", "eticket")
    assert sheet.benefits, "the demo gives alice benefits usable at the cinema"
    assert all(b.applies_to("cinema", "eticket") for b in sheet.benefits)
    carrefour = catalog.get_offer_sheet(db, alice, _offer(db, alice, "E-carte Carrefour").id)
    assert carrefour is not None
    assert all(b.kind != "subsidy" for b in carrefour.benefits)


# -- adding offers -------------------------------------------------------------------


def test_create_offer_checks_the_spec_and_who_adds_it(db: Database) -> None:
    alice, admin = _member(db, "alice"), _member(db, "admin")
    spec = OfferSpec(
        "Gaumont",
        "eticket",
        "cinema",
        "E-billet Gaumont",
        unit_face_value_cents=1400,
        unit_price_cents=900,
    )
    with pytest.raises(PermissionError):
        catalog.create_offer(db, spec, actor=alice)
    with pytest.raises(ValueError):
        catalog.create_offer(db, OfferSpec("Gaumont", "eticket", "cinema", "Sans prix"))
    with pytest.raises(ValueError):
        catalog.create_offer(
            db,
            OfferSpec(
                "X",
                "ecard",
                "home",
                "Both",
                face_values=(1000,),
                min_amount_cents=1000,
                max_amount_cents=2000,
            ),
        )
    offer_id = catalog.create_offer(db, spec, actor=admin)
    assert catalog.get_offer(db, alice, offer_id) is not None
    entry = audit_data.recent(db, limit=1)[0]
    assert (entry.action, entry.target, entry.actor_id) == (
        "catalog.offer_created",
        f"offer:{offer_id}",
        admin.id,
    )
