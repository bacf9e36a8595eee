"""Pilot tests at 80x24: a manager records a parcel delivered (``l``), the member reads
"Livrée le …" on their order."""

from __future__ import annotations

from textual.widgets import Static

from portal.services import audit, fulfilment, orders
from tests.pilot.test_manage_orders import _parcel
from tests.unit.test_wallet_support import member


def _text(app, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(selector, Static).render())


async def _settle(app, pilot) -> None:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_marc_marks_a_parcel_delivered_and_alice_reads_it(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    detail = _parcel(db, services)
    marc = member(db, "marc")
    fulfilment.mark_shipped(db, marc, detail.order.id, "6A12345678901")
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        from portal.screens.manage.order_detail import ManageOrderDetailScreen

        app.call_later(app.push_screen, ManageOrderDetailScreen(detail.order.id))
        await _settle(app, pilot)
        await _settle(app, pilot)
        assert "l : le colis est livré" in _text(app, "#order-cancel").replace("\xa0", " ")
        await pilot.press("l")
        await _settle(app, pilot)
        assert type(app.screen).__name__ == "YesNoDialog"
        await pilot.press("y")
        await _settle(app, pilot)
        await _settle(app, pilot)
        assert "Livrée le" in _text(app, "#order-delivery")
        assert not app.screen.check_action("delivered", ())  # once only
    stored = orders.get_order(db, member(db, "alice"), detail.order.id)
    assert stored.order.delivered_at is not None
    entry = audit.recent(db, organization_id=marc.organization_id, limit=1)[0]
    assert entry.action == "order.delivered" and entry.actor_id == marc.id
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        from portal.screens.order_detail import OrderDetailScreen

        app.call_later(app.push_screen, OrderDetailScreen(detail.order.id))
        await _settle(app, pilot)
        await _settle(app, pilot)
        assert "Livrée le" in _text(app, "#order-delivery")
