"""Pilot tests of the shop and the offer sheet, at 80x24, by keyboard."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable, Input, OptionList, Select, Static

from portal.data import basket as basket_data
from portal.data import members as members_data
from portal.screens.base import TitleBar
from portal.services import catalog
from portal.services.catalog_demo import DEMO_ONLY_TITLE, HORIZON_ONLY_TITLE
from tests.typography import fr

SIZE = (80, 24)


async def settle(app: Any, pilot: Any) -> None:
    """Wait for database workers, and for what their messages start, to finish."""
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def open_section(app: Any, pilot: Any, section_id: str) -> None:
    """Choose a home menu entry by its id (menu order may change)."""
    menu = app.screen.query_one("#menu", OptionList)
    menu.highlighted = menu.get_option_index(section_id)
    await pilot.press("enter")
    await settle(app, pilot)


def text(app: Any, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def table_rows(app: Any, selector: str) -> list[list[str]]:
    table = app.screen.query_one(selector, DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def titles(app: Any) -> list[str]:
    """Titles of the offers listed (the table's cells may be cut to fit)."""
    shown = [row[0] for row in table_rows(app, "#shop-offers")]
    full = [offer.title for offer in app.screen.offers]
    assert len(shown) == len(full)
    assert all(f.startswith(s.rstrip("…")) for s, f in zip(shown, full, strict=True))
    return full


def basket_rows(db: Any, login: str) -> list[tuple[int, int]]:
    member = members_data.get_member_by_login(db, login)
    assert member is not None
    return [(r.face_value_cents, r.quantity) for r in basket_data.list_lines(db, member.id)]


async def open_offer(app: Any, pilot: Any, query: str) -> None:
    """Search the shop and open the first result."""
    await pilot.press("slash")
    await pilot.press(*query)
    await settle(app, pilot)
    await pilot.press("enter")  # search -> results (once they are loaded)
    await settle(app, pilot)
    await pilot.press("enter")  # open the highlighted offer
    await settle(app, pilot)
    assert type(app.screen).__name__ == "OfferScreen"


async def test_browse_a_category_choose_an_amount_and_see_the_savings(app_for, db) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=SIZE) as pilot:
        await open_section(app, pilot, "shop")
        assert type(app.screen).__name__ == "ShopScreen"
        assert "Toutes" in str(
            app.screen.query_one("#shop-categories", OptionList).get_option_at_index(0).prompt
        )
        await pilot.press("shift+tab", "down")  # categories: Courses
        await settle(app, pilot)
        assert titles(app) == [
            "E-carte Auchan",
            "E-carte Carrefour",
            "E-carte Intermarché",
            "E-carte Monoprix",
        ]
        await pilot.press("enter", "down", "enter")  # to the table, Carrefour, open
        await settle(app, pilot)
        assert type(app.screen).__name__ == "OfferScreen"
        assert "E-carte Carrefour" in text(app, "#offer-heading")
        facts = text(app, "#offer-facts")
        assert fr("Remise : 5 %") in facts and fr("20,00 €, 50,00 €, 100,00 €, 150,00 €") in facts
        conditions = text(app, "#offer-conditions")
        assert fr("Validité : 12 mois") in conditions and "Carrefour Market" in conditions
        assert fr("Livraison : Carte électronique") in conditions

        await pilot.press("enter", "down", "enter")  # the amount list: 50,00 €
        assert app.screen.query_one("#offer-amount", Select).value == 5000
        assert text(app, "#offer-preview") == fr("1 × 47,50 € = 47,50 € · vous économisez 2,50 €")
        await pilot.press("a")
        await settle(app, pilot)
        assert text(app, "#offer-message").startswith(fr("Ajouté : 1 × E-carte Carrefour."))
        assert basket_rows(db, "alice") == [(5000, 1)]

        await pilot.press("b")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "BasketScreen"
        assert table_rows(app, "#basket-lines") == [
            ["E-carte Carrefour", fr("50,00 €"), "1", "-5 %", fr("47,50 €")]
        ]
        assert text(app, "#basket-savings") == fr("Vous économisez 2,50 €")
        assert fr("Total 47,50 €") in text(app, "#basket-totals")


async def test_offer_sheet_shows_price_conditions_and_benefits(app_for, db) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=SIZE) as pilot:
        await open_section(app, pilot, "shop")
        await open_offer(app, pilot, "pathe")
        assert fr("Prix : 9,40 € au lieu de 14,90 € (-37 %)") in text(app, "#offer-facts")
        assert "Cinémas Pathé et Gaumont" in text(app, "#offer-conditions")
        benefits = text(app, "#offer-benefits")
        assert "Subvention" in benefits or "Aucun de vos avantages" in benefits
        # A fixed-price ticket asks only for a quantity; "a" adds one at once.
        assert len(app.screen.query(Select)) == 0
        await pilot.press("tab")
        assert app.focused is app.screen.query_one("#offer-quantity", Input)
        await pilot.press("shift+tab", "a")
        await settle(app, pilot)
        assert basket_rows(db, "alice") == [(1490, 1)]


async def test_search_narrows_the_offers_and_says_when_nothing_matches(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=SIZE) as pilot:
        await open_section(app, pilot, "shop")
        await pilot.press("slash")
        assert app.focused is app.screen.query_one("#shop-search", Input)
        await pilot.press(*"cinema")
        await settle(app, pilot)
        assert sorted(titles(app)) == [
            "E-billet CGR",
            "E-billet Kinepolis",
            "E-billet Pathé",
            "E-billet UGC",
        ]
        await pilot.press(*" ugc")
        await settle(app, pilot)
        assert titles(app) == ["E-billet UGC"]
        app.screen.query_one("#shop-search", Input).value = "zzz"
        await settle(app, pilot)
        assert titles(app) == []
        assert text(app, "#shop-status") == fr("Aucune offre ne correspond à « zzz ».")
        await pilot.press("escape")  # leaves the search box, not the shop
        assert type(app.screen).__name__ == "ShopScreen"


async def test_bob_of_another_organization_never_sees_the_restricted_offer(app_for, db) -> None:  # type: ignore[no-untyped-def]
    app = app_for("bob")
    async with app.run_test(size=SIZE) as pilot:
        await open_section(app, pilot, "shop")
        assert app.screen.query_one(TitleBar).title_text == "Shop"
        all_titles = titles(app)
        assert "E-carte Carrefour" in all_titles
        assert DEMO_ONLY_TITLE not in all_titles
        await pilot.press("slash", *"negocie")
        await settle(app, pilot)
        assert titles(app) == [HORIZON_ONLY_TITLE]


async def test_free_amount_bad_input_is_explained_and_nothing_is_written(app_for, db) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=SIZE) as pilot:
        await open_section(app, pilot, "shop")
        await open_offer(app, pilot, "fnac")
        amount = app.screen.query_one("#offer-amount-input", Input)
        quantity = app.screen.query_one("#offer-quantity", Input)
        assert app.focused is amount
        cases = [
            ("abc", "1", "Saisissez un montant en euros, par exemple 50."),
            ("5", "1", fr("Choisissez un montant entre 10,00 € et 500,00 €, en euros entiers.")),
            ("600", "1", fr("Choisissez un montant entre 10,00 € et 500,00 €, en euros entiers.")),
            (
                "75,50",
                "1",
                fr("Choisissez un montant entre 10,00 € et 500,00 €, en euros entiers."),
            ),
            ("75", "0", "La quantité doit être comprise entre 1 et 10."),
            ("75", "11", "La quantité doit être comprise entre 1 et 10."),
            ("75", "deux", "Saisissez la quantité en chiffres, par exemple 2."),
        ]
        for typed_amount, typed_quantity, message in cases:
            amount.value, quantity.value = typed_amount, typed_quantity
            amount.focus()
            await pilot.press("enter")
            await settle(app, pilot)
            assert text(app, "#offer-message") == message, (typed_amount, typed_quantity)
            assert app.screen.query_one("#offer-message").has_class("error")
            assert basket_rows(db, "alice") == []
        amount.value, quantity.value = "", ""
        amount.focus()
        await pilot.press(*"75", "tab", *"2", "enter")
        await settle(app, pilot)
        assert text(app, "#offer-preview") == fr("2 × 70,50 € = 141,00 € · vous économisez 9,00 €")
        assert basket_rows(db, "alice") == [(7500, 2)]
        assert not app.screen.query_one("#offer-message").has_class("error")


async def test_an_offer_withdrawn_meanwhile_is_refused_with_a_sentence(app_for, db) -> None:  # type: ignore[no-untyped-def]
    from portal.data import catalog as catalog_data

    app = app_for("alice")
    async with app.run_test(size=SIZE) as pilot:
        await open_section(app, pilot, "shop")
        await open_offer(app, pilot, "ugc")
        offer_id = app.screen.offer.id
        catalog_data.set_offer_active(db, offer_id, False)
        await pilot.press("a")
        await settle(app, pilot)
        assert text(app, "#offer-message") == (
            "Cette offre n'existe pas ou ne vous est pas proposée."
        )
        assert basket_rows(db, "alice") == []
        member = members_data.get_member_by_login(db, "alice")
        assert catalog.get_offer(db, member, offer_id) is None
