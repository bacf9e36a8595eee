"""The managers' order list: paged, searchable by order number and member, per organization."""

from __future__ import annotations

import pytest

from portal.data import orders as orders_data
from portal.services import orders
from portal.services.errors import UserError
from tests.unit.test_wallet_support import member, new_member


def _orders(db, buyer, n: int) -> list[int]:  # type: ignore[no-untyped-def]
    return [
        orders_data.insert_order(
            db,
            member_id=buyer.id,
            organization_id=buyer.organization_id,
            status="validated",
            total_cents=100 + i,
            benefits_cents=100 + i,
            card_cents=0,
            savings_cents=0,
            shipping_cents=0,
            line_count=1,
            summary=f"Article {i}",
            has_postal=False,
            has_digital=True,
            created_at="2026-06-15T08:00:00.000000Z",
            terms_accepted_at="2026-06-15T08:00:00.000000Z",
        )
        for i in range(n)
    ]


def test_search_by_member_pages_through_every_order(db) -> None:
    carol = new_member(db, "carol")
    ids = _orders(db, carol, 60)
    marc = member(db, "marc")
    first = orders.org_orders_page(db, marc, search="carol", page_size=50)
    assert first.total == 60 and len(first.rows) == 50 and first.has_next
    assert [s.id for s, _name in first.rows] == sorted(ids, reverse=True)[:50]
    second = orders.org_orders_page(db, marc, search="Carol Test", offset=50, page_size=50)
    assert len(second.rows) == 10 and not second.has_next
    assert {s.id for s, _ in first.rows + second.rows} == set(ids)
    # past the end: the last page
    assert orders.org_orders_page(db, marc, search="carol", offset=500).offset == 50


def test_search_by_order_number_and_other_organizations(db) -> None:
    carol = new_member(db, "carol")
    ids = _orders(db, carol, 3)
    marc = member(db, "marc")
    for typed in (f"CMD-{ids[1]:07d}", f"cmd-{ids[1]:07d}", str(ids[1])):
        page = orders.org_orders_page(db, marc, search=typed)
        assert ids[1] in [s.id for s, _ in page.rows], typed
        assert all(s.id == ids[1] or "carol" not in n.lower() for s, n in page.rows)
    assert orders.org_orders_page(db, member(db, "nina"), search="carol").total == 0
    assert orders.org_orders_page(db, marc, search="%").total == 0  # wildcards are literal
    with pytest.raises(UserError):
        orders.org_orders_page(db, marc, search="car\x1bol")
    with pytest.raises(PermissionError):
        orders.org_orders_page(db, member(db, "alice"))
