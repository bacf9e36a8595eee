"""Delivery of a parcel: a manager records it, and the return window runs from it
(absent a delivery date, from the shipping day plus ``return_transit_days``)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from portal.data import orders as orders_data
from portal.services import fulfilment, returns
from portal.services.errors import UserError
from portal.services.orders import order_detail
from tests.order_helpers import benefit_order, with_address
from tests.unit.test_wallet_support import NOW, line, member, new_member

MUG = line("Mug", "product", "home", 1000)
DAY = dt.timedelta(days=1)
MINUTE = dt.timedelta(minutes=1)


def _shipped_order(db, settings):  # type: ignore[no-untyped-def]
    carol = new_member(db)
    with_address(db, carol)
    detail = benefit_order(db, settings, carol, [MUG])
    fulfilment.mark_shipped(db, member(db, "marc"), detail.order.id, "6A123456789", now=NOW)
    return carol, detail.order.id


def test_without_a_delivery_date_the_window_counts_the_transit_allowance(db, settings) -> None:
    carol, order_id = _shipped_order(db, settings)
    detail = order_detail(db, order_id)
    assert settings.return_transit_days == 3  # the documented default
    end = NOW + 17 * DAY
    assert returns.window_end(detail, 14, 3) == end
    assert returns.return_block(detail, now=end - MINUTE) is None
    assert returns.return_block(detail, now=end + MINUTE) is not None
    # Configurable: no allowance, the window ends 14 days after shipping.
    strict = dataclasses.replace(settings, return_transit_days=0)
    with pytest.raises(UserError, match="14-day return period"):
        returns.request_return(
            db, carol, order_id, reason="x", settings=strict, now=NOW + 14 * DAY + MINUTE
        )
    asked = returns.request_return(
        db, carol, order_id, reason="x", settings=settings, now=NOW + 14 * DAY + MINUTE
    )
    assert returns.open_return(asked) is not None


def test_a_recorded_delivery_starts_the_window_and_is_audited(db, settings) -> None:
    carol, order_id = _shipped_order(db, settings)
    marc = member(db, "marc")
    delivered = NOW + 6 * DAY
    done = fulfilment.mark_delivered(db, marc, order_id, now=delivered)
    assert done.order.delivered_at is not None
    assert returns.window_end(done, 14, 3) == delivered + 14 * DAY
    row = db.execute(
        "SELECT actor_id FROM audit_log WHERE action = 'order.delivered' AND target = ?",
        [f"order:{order_id}"],
    ).fetchone()
    assert row is not None and row[0] == marc.id
    # 19 days after shipping: past shipping + 3 + 14, still within delivery + 14.
    asked = returns.request_return(
        db, carol, order_id, reason="x", settings=settings, now=delivered + 14 * DAY - MINUTE
    )
    assert returns.open_return(asked) is not None
    with pytest.raises(UserError, match="already marked delivered"):
        fulfilment.mark_delivered(db, marc, order_id, now=delivered)


def test_only_a_shipped_order_of_their_organization_is_marked_delivered(db, settings) -> None:
    carol = new_member(db)
    with_address(db, carol)
    detail = benefit_order(db, settings, carol, [MUG])
    order_id = detail.order.id
    with pytest.raises(UserError, match="Only a shipped order"):
        fulfilment.mark_delivered(db, member(db, "marc"), order_id, now=NOW)
    fulfilment.mark_shipped(db, member(db, "marc"), order_id, "6A123456789", now=NOW)
    for outsider in (member(db, "nina"), carol):  # another organization, a plain member
        with pytest.raises((UserError, PermissionError)):
            fulfilment.mark_delivered(db, outsider, order_id, now=NOW)
    order = orders_data.get_order(db, order_id)
    assert order is not None and order.delivered_at is None
