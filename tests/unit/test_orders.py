"""Orders: history, access rules, shipping, cancellation refunds."""

from __future__ import annotations

import pytest

from portal.data import wallet as wallet_data
from portal.services import (
    audit,
    cancellation,
    checkout,
    fulfilment,
    orders,
    payment_confirmation,
)
from portal.services.errors import UserError
from portal.services.payment_sandbox import SandboxProvider
from portal.services.payments import CardDetails
from tests import payment_support
from tests.order_helpers import with_address
from tests.unit.test_wallet_support import NOW, TODAY, give, line, member, new_member

CARD = CardDetails("4242424242424242", "12/30", "123")


def _order(db, settings, sandbox, buyer, lines, *, shipping=0, confirm=True):  # type: ignore[no-untyped-def]
    if any(ln.shipping for ln in lines):  # a parcel needs a delivery address
        with_address(db, buyer)
    quote = checkout.prepare_checkout(db, buyer, lines=lines, shipping_cents=shipping, today=TODAY)
    placed = payment_support.pay(
        db,
        buyer,
        quote,
        provider=sandbox,
        settings=settings,
        accepted_terms=True,
        card=CARD,
        lines=lines,
        now=NOW,
    )
    assert isinstance(placed, checkout.OrderPlaced)
    detail = placed.order
    if confirm and detail.card is not None:
        detail = payment_confirmation.record_payment_result(
            db, detail.card.provider_ref, True, settings=settings, now=NOW
        )
    return detail


def test_cancellation_refunds_every_source(db, settings) -> None:
    sandbox = SandboxProvider()
    carol = new_member(db)
    marc = member(db, "marc")
    rule = __import__("portal.services.subsidies", fromlist=["x"]).create_rule(
        db, marc, label="Ciné", category="cinema", mode="percent", percent_bp=5000
    )
    subsidy = give(db, settings, carol, "subsidy", 2000, rule_id=rule.id)
    culture = give(db, settings, carol, "culture", 500)
    detail = _order(
        db, settings, sandbox, carol, [line("Pathé", "eticket", "cinema", 940, 2)], shipping=0
    )
    # 18,80: subsidy 9,40, culture 5,00, card 4,40
    assert [(p.source, p.amount_cents) for p in detail.payments] == [
        ("subsidy", 940),
        ("culture", 500),
        ("card", 440),
    ]
    assert wallet_data.subsidy_usage(db, carol.id, rule.id, 2026) == (940, 2)
    cancelled = cancellation.cancel_order(db, carol, detail.order.id, provider=sandbox, now=NOW)
    assert cancelled.order.status == "refunded"
    assert [ln.status for ln in cancelled.lines] == ["cancelled"]
    assert wallet_data.balance(db, subsidy) == 2000 and wallet_data.balance(db, culture) == 500
    assert wallet_data.subsidy_usage(db, carol.id, rule.id, 2026) == (0, 0)
    assert cancelled.card is not None and cancelled.card.status == "refunded"
    assert cancelled.card.refund_ref and sandbox.status(cancelled.card.provider_ref) == "captured"
    assert [(p.source, p.refunded_cents) for p in cancelled.payments] == [
        ("subsidy", 940),
        ("culture", 500),
        ("card", 440),
    ]
    with pytest.raises(UserError, match="already cancelled"):
        cancellation.cancel_order(db, carol, detail.order.id, provider=sandbox)


def test_cancelling_before_confirmation_releases_the_card(db, settings) -> None:
    sandbox = SandboxProvider()
    carol = new_member(db)
    detail = _order(
        db, settings, sandbox, carol, [line("E-carte", "ecard", "groceries", 2000)], confirm=False
    )
    assert detail.order.status == "awaiting_payment"
    cancelled = cancellation.cancel_order(db, carol, detail.order.id, provider=sandbox, now=NOW)
    assert cancelled.order.status == "cancelled"
    assert cancelled.card is not None and cancelled.card.status == "voided"
    assert sandbox.status(cancelled.card.provider_ref) == "voided"
    # The provider's late confirmation changes nothing.
    late = payment_confirmation.record_payment_result(
        db, cancelled.card.provider_ref, True, settings=settings
    )
    assert late is not None and late.order.status == "cancelled"


def test_shipped_or_issued_orders_cannot_be_cancelled_and_say_why(db, settings) -> None:
    sandbox = SandboxProvider()
    alice, marc = member(db, "alice"), member(db, "marc")
    parcel = _order(
        db, settings, sandbox, alice, [line("Gourde", "product", "sport", 1250)], shipping=490
    )
    assert parcel.order.status == "validated" and parcel.cancellable
    shipped = fulfilment.mark_shipped(db, marc, parcel.order.id, "6a12345678901", now=NOW)
    assert shipped.order.status == "shipped" and shipped.order.tracking_number == "6A12345678901"
    assert not shipped.cancellable and "shipped" in (shipped.cancel_block or "")
    with pytest.raises(UserError, match="shipped"):
        cancellation.cancel_order(db, alice, parcel.order.id, provider=sandbox)

    ecard = _order(db, settings, sandbox, alice, [line("E-carte", "ecard", "groceries", 2000)])
    assert ecard.order.status == "preparing"
    issued = fulfilment.mark_lines_available(db, ecard.order.id)
    assert issued.order.status == "available"
    with pytest.raises(UserError, match="issued"):
        cancellation.cancel_order(db, marc, ecard.order.id, provider=sandbox)


def test_members_and_managers_see_only_what_is_theirs(db, settings) -> None:
    sandbox = SandboxProvider()
    alice, bob = member(db, "alice"), member(db, "bob")
    marc, nina, admin = member(db, "marc"), member(db, "nina"), member(db, "admin")
    detail = _order(
        db, settings, sandbox, alice, [line("Gourde", "product", "sport", 1250)], shipping=490
    )
    order_id = detail.order.id
    assert orders.get_order(db, marc, order_id).number == detail.number
    assert orders.get_order(db, admin, order_id).number == detail.number
    for outsider in (bob, nina):
        with pytest.raises(UserError, match="does not exist"):
            orders.get_order(db, outsider, order_id)
    with pytest.raises(UserError, match="does not exist"):
        fulfilment.mark_shipped(db, nina, order_id, "NINA123456")
    with pytest.raises(UserError, match="does not exist"):
        cancellation.cancel_order(db, nina, order_id, provider=sandbox)
    with pytest.raises(UserError, match="does not exist"):
        cancellation.cancel_order(db, bob, order_id, provider=sandbox)
    assert [s.id for s, _name in orders.list_org_orders(db, nina)] == []
    assert order_id in [s.id for s, _name in orders.list_org_orders(db, marc)]
    with pytest.raises(PermissionError):
        orders.list_org_orders(db, alice)
    assert orders.get_order(db, alice, order_id).order.status == "validated"


def test_manager_actions_are_audited(db, settings) -> None:
    sandbox = SandboxProvider()
    alice, marc = member(db, "alice"), member(db, "marc")
    one = _order(db, settings, sandbox, alice, [line("Gourde", "product", "sport", 1250)])
    two = _order(db, settings, sandbox, alice, [line("Bodum", "product", "home", 3490)])
    fulfilment.mark_shipped(db, marc, one.order.id, "TRACK-0001")
    cancellation.cancel_order(db, marc, two.order.id, provider=sandbox, reason="rupture de stock")
    actions = [
        (e.action, e.actor_id, e.target)
        for e in audit.recent(db, organization_id=marc.organization_id, limit=10)
    ]
    assert ("order.shipped", marc.id, f"order:{one.order.id}") in actions
    assert ("order.cancelled", marc.id, f"order:{two.order.id}") in actions


def test_bad_tracking_numbers_change_nothing(db, settings) -> None:
    sandbox = SandboxProvider()
    alice, marc = member(db, "alice"), member(db, "marc")
    detail = _order(db, settings, sandbox, alice, [line("Gourde", "product", "sport", 1250)])
    for bad in ("", "abc", "has space 123", "x" * 41):
        with pytest.raises(UserError, match="tracking"):
            fulfilment.mark_shipped(db, marc, detail.order.id, bad)
    assert orders.get_order(db, alice, detail.order.id).order.status == "validated"


def test_history_is_newest_first_and_paged(db, settings) -> None:
    sandbox = SandboxProvider()
    carol = new_member(db)
    ids = [
        _order(
            db, settings, sandbox, carol, [line(f"E{i}", "ecard", "groceries", 1000 + i)]
        ).order.id
        for i in range(5)
    ]
    first = orders.list_orders(db, carol, limit=3)
    assert [o.id for o in first] == ids[::-1][:3]
    rest = orders.list_orders(db, carol, limit=3, before_id=first[-1].id)
    assert [o.id for o in rest] == ids[::-1][3:]
    assert orders.list_orders(db, member(db, "alice")) == [] or all(
        o.member_id != carol.id for o in orders.list_orders(db, member(db, "alice"))
    )


def test_invoice_numbers_are_sequential_and_vat_is_split(db, settings) -> None:
    sandbox = SandboxProvider()
    carol = new_member(db)
    first = _order(
        db, settings, sandbox, carol, [line("Bodum", "product", "home", 3490)], shipping=490
    )
    second = _order(db, settings, sandbox, carol, [line("Pathé", "eticket", "cinema", 940)])
    assert first.order.invoice_number == "FAC-2026-000001"
    assert second.order.invoice_number == "FAC-2026-000002"
    # 34,90 + 4,90 at 20 % contain 6,63 of VAT (5,82 + 0,82 rounded per line); 9,40 at 5.5 %: 0,49
    assert first.vat_cents == 582 + 82
    assert second.vat_cents == 49
