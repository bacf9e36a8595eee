"""Pilot tests: order history, order detail, and cancellation by the member."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from portal.data import wallet as wallet_data
from portal.services import checkout, fulfilment, payment_confirmation
from portal.services.payment_sandbox import SandboxProvider
from portal.services.payments import CardDetails
from tests import payment_support
from tests.order_helpers import with_address
from tests.typography import fr
from tests.unit.test_wallet_support import line, member


def _text(app, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(selector, Static).render())


async def _settle(app, pilot) -> None:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.pause()


async def _open(app, pilot, screen) -> None:  # type: ignore[no-untyped-def]
    """Push a screen from the app's own task (so it runs in the session's language)."""
    app.call_later(app.push_screen, screen)
    await _settle(app, pilot)


def _place(db, services, login: str, lines, *, card: bool = True, confirm: bool = True):  # type: ignore[no-untyped-def]
    """An order placed through the services, paid with the process's sandbox provider."""
    who = member(db, login)
    if any(ln.shipping for ln in lines):  # a parcel needs a delivery address
        with_address(db, who)
    provider = services.payments.provider
    quote = checkout.prepare_checkout(
        db,
        who,
        lines=lines,
        excluded=()
        if not card
        else [v.allocation_id for v in checkout.prepare_checkout(db, who, lines=lines).vouchers],
    )
    placed = payment_support.pay(
        db,
        who,
        quote,
        provider=provider,
        settings=services.settings,
        accepted_terms=True,
        card=CardDetails("4242424242424242", "12/30", "123"),
        lines=lines,
    )
    detail = placed.order
    if confirm and detail.card is not None:
        detail = payment_confirmation.record_payment_result(
            db, detail.card.provider_ref, True, settings=services.settings
        )
    return detail


async def test_history_lists_orders_and_opens_the_detail(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    first = _place(db, services, "alice", [line("Gourde isotherme", "product", "sport", 1250)])
    second = _place(db, services, "alice", [line("E-carte Fnac", "ecard", "culture", 4700)])
    _place(db, services, "bob", [line("E-carte Bob", "ecard", "groceries", 1000)])
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        from portal.screens.orders import OrdersScreen

        await _open(app, pilot, OrdersScreen())
        await _settle(app, pilot)
        table = app.screen.query_one("#orders-table", DataTable)
        assert table.row_count == 2  # bob's order is not there
        assert str(table.get_row_at(0)[0]) == second.number
        await pilot.press("down", "enter")
        await _settle(app, pilot)
        assert type(app.screen).__name__ == "OrderDetailScreen"
        assert first.number in _text(app, "#order-heading")
        assert "Validée" in _text(app, "#order-heading")
        assert "Votre colis" in _text(app, "#order-progress")
        assert "Carte Visa •••• 4242" in _text(app, "#order-payments")
        assert "FAC-" in _text(app, "#order-invoice")
        await pilot.press("i")
        assert "sftp" in _text(app, "#order-message")


async def test_member_cancels_an_order_and_is_refunded(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    alice = member(db, "alice")
    lines = [line("E-billet Pathé", "eticket", "cinema", 940, 2)]
    quote = checkout.prepare_checkout(db, alice, lines=lines)
    detail = checkout.place_order(
        db, alice, quote, settings=services.settings, accepted_terms=True, lines=lines
    )
    balances = {d.allocation_id: wallet_data.balance(db, d.allocation_id) for d in quote.deductions}
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        from portal.screens.order_detail import OrderDetailScreen

        await _open(app, pilot, OrderDetailScreen(detail.order.id))
        await _settle(app, pilot)
        await pilot.press("c")
        await pilot.pause()
        assert type(app.screen).__name__ == "YesNoDialog"
        await pilot.press("y")
        await _settle(app, pilot)
        assert "Remboursée" in _text(app, "#order-heading")
        assert "La commande est annulée." in _text(app, "#order-message")
        await pilot.press("c")
        assert "déjà annulée" in _text(app, "#order-message")
    for allocation_id, before in balances.items():
        assert wallet_data.balance(db, allocation_id) == before + next(
            d.amount_cents for d in quote.deductions if d.allocation_id == allocation_id
        )


async def test_a_shipped_order_says_why_it_cannot_be_cancelled(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    detail = _place(db, services, "alice", [line("Gourde isotherme", "product", "sport", 1250)])
    fulfilment.mark_shipped(db, member(db, "marc"), detail.order.id, "6A12345678901")
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        from portal.screens.order_detail import OrderDetailScreen

        await _open(app, pilot, OrderDetailScreen(detail.order.id))
        await _settle(app, pilot)
        assert "6A12345678901" in _text(app, "#order-progress")
        await pilot.press("c")
        await pilot.pause()
        assert type(app.screen).__name__ == "OrderDetailScreen"
        assert fr("a été expédiée : elle ne peut plus être annulée") in _text(app, "#order-message")


async def test_another_members_order_does_not_exist(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    detail = _place(db, services, "alice", [line("Gourde", "product", "sport", 1250)])
    app = app_for("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        from portal.screens.order_detail import OrderDetailScreen

        await _open(app, pilot, OrderDetailScreen(detail.order.id))
        await _settle(app, pilot)
        assert "This order does not exist." in _text(app, "#order-message")
        assert "Gourde" not in _text(app, "#order-payments")


def test_sandbox_is_the_default_provider(services) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(services.payments.provider, SandboxProvider)
