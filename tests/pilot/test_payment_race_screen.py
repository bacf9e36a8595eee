"""Pilot test: cancelling an order whose card payment is being captured says so (issue 9)."""

from __future__ import annotations

from textual.widgets import Static

from portal.data import orders as orders_data
from portal.services import payment_confirmation
from tests.pilot.test_orders import _open, _place, _settle
from tests.unit.test_wallet_support import line


async def test_cancel_during_the_capture_is_refused_with_a_sentence(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    detail = _place(
        db, services, "alice", [line("E-carte Fnac", "ecard", "culture", 4700)], confirm=False
    )
    assert detail.card is not None
    assert payment_confirmation.claim_capture(db, detail.card.provider_ref) is not None
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
        message = str(app.screen.query_one("#order-message", Static).render())
        assert "Le paiement est en cours de confirmation" in message
        assert "capturing" not in str(app.screen.query_one("#order-payments", Static).render())
    order = orders_data.get_order(db, detail.order.id)
    payment = orders_data.get_card_payment(db, detail.order.id)
    assert order is not None and order.status == "awaiting_payment"
    assert payment is not None and payment.status == "capturing"
