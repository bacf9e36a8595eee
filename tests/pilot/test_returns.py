"""Pilot tests at 80x24: returns, what a closed order says, the managers' order detail."""

from __future__ import annotations

from textual.widgets import Static

from portal.data import after_sales
from portal.services import cancellation, fulfilment
from tests.order_helpers import RecordingProvider, benefit_order, with_address
from tests.typography import fr
from tests.unit.test_wallet_support import line, member

GOURDE = [line("Gourde isotherme", "product", "sport", 1250)]


def _text(app, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(selector, Static).render())


def _all_text(app) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(str(s.render()) for s in app.screen.query(Static))


async def _settle(app, pilot) -> None:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.pause()


async def _open(app, pilot, screen) -> None:  # type: ignore[no-untyped-def]
    app.call_later(app.push_screen, screen)
    await _settle(app, pilot)
    await _settle(app, pilot)


def _parcel(db, services, *, shipped: bool = True):  # type: ignore[no-untyped-def]
    alice = member(db, "alice")
    with_address(db, alice)
    detail = benefit_order(db, services.settings, alice, GOURDE, shipping=490, now=None)
    if shipped:
        fulfilment.mark_shipped(db, member(db, "marc"), detail.order.id, "6A12345678901")
    return detail


async def test_alice_returns_a_parcel_and_marc_refunds_it(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    from portal.screens.manage.order_detail import ManageOrderDetailScreen
    from portal.screens.order_detail import OrderDetailScreen

    detail = _parcel(db, services)
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(app, pilot, OrderDetailScreen(detail.order.id))
        assert "6A12345678901" in _text(app, "#order-progress")
        assert "Appuyez sur t pour retourner" in _text(app, "#order-cancel")
        assert app.screen.check_action("cancel_order", ()) is False  # shipped: not offered
        await pilot.press("t")
        await pilot.pause()
        assert type(app.screen).__name__ == "AskDialog"
        await pilot.press(*"Trop petite", "enter")
        await _settle(app, pilot)
        assert "Votre retour est enregistré." in _text(app, "#order-message")
        assert "Retour demandé le" in _text(app, "#order-progress")
        assert app.screen.check_action("return_products", ()) is False
    [asked] = after_sales.order_returns(db, detail.order.id)
    assert (asked.status, asked.reason) == ("requested", "Trop petite")

    manager = app_for("marc")
    async with manager.run_test(size=(80, 24)) as pilot:
        await _open(manager, pilot, ManageOrderDetailScreen(detail.order.id))
        progress = _text(manager, "#order-progress")
        assert "Le colis est parti le" in progress and "Votre" not in progress
        assert "Le bénéficiaire a demandé" in progress and "Trop petite" in progress
        assert fr("Colis livré à : 12 rue des Lilas, 69003 Lyon") in _text(
            manager, "#order-delivery"
        )
        await pilot.press("a")
        await pilot.pause()
        assert type(manager.screen).__name__ == "YesNoDialog"
        await pilot.press("y")
        await _settle(manager, pilot)
        assert "Le retour est remboursé." in _text(manager, "#order-message")
        assert "Avoir AV-" in _text(manager, "#order-credit")
        assert manager.screen.check_action("accept_return", ()) is False
    [done] = after_sales.order_returns(db, detail.order.id)
    assert done.status == "accepted" and done.refund_cents == 1250 + 490


async def test_an_issued_e_card_says_it_cannot_be_returned(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    from portal.screens.order_detail import OrderDetailScreen

    alice = member(db, "alice")
    ecard = benefit_order(
        db, services.settings, alice, [line("E-carte Fnac", "ecard", "culture", 4700)], now=None
    )
    fulfilment.mark_lines_available(db, ecard.order.id)
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(app, pilot, OrderDetailScreen(ecard.order.id))
        said = "ne peuvent être retournés une fois émis"
        assert said in _text(app, "#order-cancel")
        assert app.screen.check_action("return_products", ()) is False
        await pilot.press("t")
        await pilot.pause()
        assert said in _text(app, "#order-message")


async def test_a_cancelled_order_says_it_once_with_the_managers_reason(
    app_for, db, services
) -> None:  # type: ignore[no-untyped-def]
    from portal.screens.manage.order_detail import ManageOrderDetailScreen
    from portal.screens.order_detail import OrderDetailScreen

    detail = _parcel(db, services, shipped=False)
    cancellation.cancel_order(
        db,
        member(db, "marc"),
        detail.order.id,
        provider=RecordingProvider(),
        reason="Rupture de stock",
        settings=services.settings,
    )
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(app, pilot, OrderDetailScreen(detail.order.id))
        everything = _all_text(app)
        assert everything.count("Annulée le") == 1 and everything.count("Rupture de stock") == 1
        assert "déjà annulée" not in everything and _text(app, "#order-cancel") == ""
        assert "Avoir AV-2026-" in _text(app, "#order-credit")
        for action in ("cancel_order", "return_products"):
            assert app.screen.check_action(action, ()) is False
    manager = app_for("marc")
    async with manager.run_test(size=(80, 24)) as pilot:
        await _open(manager, pilot, ManageOrderDetailScreen(detail.order.id))
        assert "Alice" in _text(manager, "#order-heading")
        assert manager.screen.check_action("ship", ()) is False


async def test_a_parcel_to_ship_speaks_to_the_manager(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    from portal.screens.manage.order_detail import ManageOrderDetailScreen

    detail = _parcel(db, services, shipped=False)
    manager = app_for("marc")
    async with manager.run_test(size=(80, 24)) as pilot:
        await _open(manager, pilot, ManageOrderDetailScreen(detail.order.id))
        progress = _text(manager, "#order-progress")
        assert progress.startswith("Le colis part") and "Votre" not in progress
        assert fr("s : expédier") in _text(manager, "#order-cancel")
        await pilot.press("s")
        await pilot.pause()
        await pilot.press(*"6A12345678901", "enter")
        await _settle(manager, pilot)
        assert "marquée expédiée" in _text(manager, "#order-message")
        assert "6A12345678901" in _text(manager, "#order-progress")
