"""Pilot tests of the basket screen: quantities, removal, checkout key, persistence."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable, Static

from portal.data import basket as basket_data
from portal.data import members as members_data
from portal.screens.base import PortalScreen, TitleBar
from portal.services import basket, catalog
from tests.pilot.test_shop import SIZE, open_offer, open_section, settle, table_rows, text
from tests.typography import fr


def _alice(db: Any) -> Any:
    member = members_data.get_member_by_login(db, "alice")
    assert member is not None
    return member


def _offer_id(db: Any, title: str) -> int:
    return next(o.id for o in catalog.search_offers(db, _alice(db)) if o.title == title)


def _quantities(db: Any) -> list[int]:
    return [r.quantity for r in basket_data.list_lines(db, _alice(db).id)]


async def test_plus_and_minus_change_the_quantity_and_the_totals(app_for, db) -> None:  # type: ignore[no-untyped-def]
    basket.add_to_basket(db, _alice(db), _offer_id(db, "E-billet UGC"), quantity=2)
    app = app_for("alice")
    async with app.run_test(size=SIZE) as pilot:
        await open_section(app, pilot, "basket")
        assert table_rows(app, "#basket-lines") == [
            ["E-billet UGC", fr("13,50 €"), "2", "-36 %", fr("17,20 €")]
        ]
        assert text(app, "#basket-savings") == fr("Vous économisez 9,80 €")
        await pilot.press("plus")
        await settle(app, pilot)
        assert _quantities(db) == [3]
        assert table_rows(app, "#basket-lines")[0][2:] == ["3", "-36 %", fr("25,80 €")]
        assert text(app, "#basket-savings") == fr("Vous économisez 14,70 €")
        await pilot.press("minus", "minus")
        await settle(app, pilot)
        assert _quantities(db) == [1]
        await pilot.press("minus")
        await settle(app, pilot)
        assert text(app, "#basket-message") == (
            fr("La quantité ne peut pas descendre sous 1 : retirez plutôt la ligne.")
        )
        assert _quantities(db) == [1]


async def test_remove_a_line(app_for, db) -> None:  # type: ignore[no-untyped-def]
    alice = _alice(db)
    basket.add_to_basket(db, alice, _offer_id(db, "E-carte Carrefour"), face_value_cents=2000)
    basket.add_to_basket(db, alice, _offer_id(db, "E-billet Pathé"), quantity=2)
    app = app_for("alice")
    async with app.run_test(size=SIZE) as pilot:
        await open_section(app, pilot, "basket")
        assert [row[0] for row in table_rows(app, "#basket-lines")] == [
            "E-carte Carrefour",
            "E-billet Pathé",
        ]
        await pilot.press("down", "d")
        await settle(app, pilot)
        assert [row[0] for row in table_rows(app, "#basket-lines")] == ["E-carte Carrefour"]
        assert text(app, "#basket-message") == fr("Retiré : E-billet Pathé.")
        await pilot.press("delete")
        await settle(app, pilot)
        assert app.screen.query_one("#basket-lines", DataTable).row_count == 0
        assert text(app, "#basket-totals") == (
            "Votre panier est vide. Appuyez sur s pour parcourir la boutique."
        )
        assert _quantities(db) == []
        await pilot.press("s")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "ShopScreen"


async def test_quantity_beyond_the_maximum_is_refused(app_for, db) -> None:  # type: ignore[no-untyped-def]
    basket.add_to_basket(
        db, _alice(db), _offer_id(db, "E-billet CGR"), quantity=basket.MAX_QUANTITY_PER_LINE
    )
    app = app_for("alice")
    async with app.run_test(size=SIZE) as pilot:
        await open_section(app, pilot, "basket")
        await pilot.press("plus")
        await settle(app, pilot)
        assert text(app, "#basket-message") == "La quantité doit être comprise entre 1 et 10."
        assert app.screen.query_one("#basket-message", Static).has_class("error")
        assert _quantities(db) == [basket.MAX_QUANTITY_PER_LINE]


async def test_basket_survives_reconnection(app_for, db) -> None:  # type: ignore[no-untyped-def]
    first = app_for("alice")
    async with first.run_test(size=SIZE) as pilot:
        await open_section(first, pilot, "shop")
        await open_offer(first, pilot, "kinepolis")
        await pilot.press("tab", *"3", "enter")  # the quantity field (its text is selected)
        await settle(first, pilot)
        await pilot.press("ctrl+q")
    assert _quantities(db) == [3]

    second = app_for("alice")  # a new session of the same member
    async with second.run_test(size=SIZE) as pilot:
        await open_section(second, pilot, "basket")
        assert table_rows(second, "#basket-lines") == [
            ["E-billet Kinepolis", fr("13,20 €"), "3", "-36 %", fr("25,50 €")]
        ]
        assert fr("Total 25,50 €") in text(second, "#basket-totals")


async def test_shop_shows_the_basket_and_b_opens_it(app_for, db) -> None:  # type: ignore[no-untyped-def]
    basket.add_to_basket(db, _alice(db), _offer_id(db, "E-billet UGC"), quantity=2)
    app = app_for("alice")
    async with app.run_test(size=SIZE) as pilot:
        await open_section(app, pilot, "shop")
        assert text(app, "#shop-status") == fr("Panier : 2 articles · 17,20 €")
        await pilot.press("b")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "BasketScreen"
        await pilot.press("plus")
        await settle(app, pilot)
        await pilot.press("escape")  # back to the shop, whose summary follows
        await settle(app, pilot)
        assert text(app, "#shop-status") == fr("Panier : 3 articles · 25,80 €")


async def test_a_withdrawn_offer_is_flagged_and_blocks_checkout_until_removed(app_for, db) -> None:  # type: ignore[no-untyped-def]
    from portal.data import catalog as catalog_data

    alice = _alice(db)
    ugc = _offer_id(db, "E-billet UGC")
    basket.add_to_basket(db, alice, ugc, quantity=2)
    basket.add_to_basket(db, alice, _offer_id(db, "E-billet CGR"))
    catalog_data.set_offer_active(db, ugc, False)
    app = app_for("alice")
    async with app.run_test(size=SIZE) as pilot:
        await open_section(app, pilot, "basket")
        rows = table_rows(app, "#basket-lines")
        assert rows[0] == ["E-billet UGC (plus disponible)", fr("13,50 €"), "2", "—", "—"]
        assert fr("Total 7,90 €") in text(app, "#basket-totals")
        message = fr("Certaines offres ne sont plus disponibles : retirez-les pour commander.")
        assert text(app, "#basket-message") == message
        await pilot.press("plus")
        await settle(app, pilot)
        assert text(app, "#basket-message") == (
            "Cette offre n'existe pas ou ne vous est pas proposée."
        )
        await pilot.press("c")
        assert text(app, "#basket-message") == message
        assert type(app.screen).__name__ == "BasketScreen"
        await pilot.press("d")
        await settle(app, pilot)
        assert [row[0] for row in table_rows(app, "#basket-lines")] == ["E-billet CGR"]


async def test_checkout_key_refuses_an_empty_basket(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=SIZE) as pilot:
        await open_section(app, pilot, "basket")
        await pilot.press("c")
        assert text(app, "#basket-message") == "Votre panier est vide."
        assert type(app.screen).__name__ == "BasketScreen"


async def test_checkout_key_opens_the_checkout_screen(app_for, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """``c`` pushes the ``CheckoutScreen`` the basket imports (a stand-in here)."""

    class CheckoutScreen(PortalScreen):
        pass

    monkeypatch.setattr("portal.screens.basket.CheckoutScreen", CheckoutScreen)
    basket.add_to_basket(db, _alice(db), _offer_id(db, "E-billet UGC"))
    app = app_for("alice")
    async with app.run_test(size=SIZE) as pilot:
        await open_section(app, pilot, "basket")
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, CheckoutScreen)


async def test_basket_is_translated_for_an_english_member(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("bob")
    async with app.run_test(size=SIZE) as pilot:
        await open_section(app, pilot, "basket")
        assert app.screen.query_one(TitleBar).title_text == "Basket"
        assert text(app, "#basket-totals") == "Your basket is empty. Press s to browse the shop."
