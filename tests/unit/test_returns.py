"""Returns: physical products within 14 days of delivery, refunded to their sources."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.data import wallet as wallet_data
from portal.services import fulfilment, returns
from portal.services.errors import UserError
from tests.mail_helpers import body_of
from tests.order_helpers import (
    RecordingProvider,
    attachment_names,
    benefit_order,
    card_order,
    emails_to,
    with_address,
)
from tests.unit.test_wallet_support import NOW, line, member, new_member

BODUM = line("Bodum", "product", "home", 3490)
MUG = line("Mug", "product", "home", 1000)


def _shipped(db, settings, carol, detail):  # type: ignore[no-untyped-def]
    fulfilment.mark_shipped(db, member(db, "marc"), detail.order.id, "6A123456789", now=NOW)


def test_a_return_within_14_days_is_refunded_card_first_then_vouchers(db, settings) -> None:
    carol = new_member(db)
    with_address(db, carol)
    detail = card_order(db, settings, carol, [BODUM], shipping=490, voucher_cents=1000)
    assert [(p.source, p.amount_cents) for p in detail.payments] == [("gift", 1000), ("card", 2980)]
    gift = detail.ledger[0].allocation_id
    assert wallet_data.balance(db, gift) == 0
    _shipped(db, settings, carol, detail)
    day14 = NOW + dt.timedelta(days=14)
    asked = returns.request_return(
        db, carol, detail.order.id, reason="Ne convient pas", settings=settings, now=day14
    )
    [pending] = asked.returns
    assert pending.status == "requested" and returns.open_return(asked) == pending
    with pytest.raises(UserError, match="already asked"):
        returns.request_return(db, carol, detail.order.id, reason="encore", settings=settings)
    provider = RecordingProvider()
    done = returns.accept_return(
        db, member(db, "marc"), pending.id, provider=provider, settings=settings, now=day14
    )
    assert provider.refunds == [(f"REF-{detail.order.id}", 2980)]
    assert wallet_data.balance(db, gift) == 1000
    [accepted] = done.returns
    assert (accepted.status, accepted.refund_cents, accepted.card_refund_status) == (
        "accepted",
        3980,
        "refunded",
    )
    assert done.order.status == "refunded"
    assert [(p.source, p.refunded_cents) for p in done.payments] == [("gift", 1000), ("card", 2980)]
    [note] = done.credit_notes
    assert (note.kind, note.amount_cents) == ("return", 3980)
    email_id, subject = emails_to(db, carol.id)[-1]
    assert "remboursé" in subject and attachment_names(db, email_id) == [f"{note.number}.pdf"]
    assert "29,80" in body_of(db, email_id)
    with pytest.raises(UserError, match="already handled"):
        returns.accept_return(
            db, member(db, "marc"), pending.id, provider=provider, settings=settings
        )


def test_a_partial_return_refunds_only_its_lines(db, settings) -> None:
    carol = new_member(db)
    with_address(db, carol)
    detail = benefit_order(db, settings, carol, [BODUM, MUG], shipping=490)
    gift = detail.ledger[0].allocation_id
    _shipped(db, settings, carol, detail)
    mug = next(ln for ln in detail.lines if ln.title == "Mug")
    asked = returns.request_return(
        db, carol, detail.order.id, reason="Cassé", line_ids=[mug.id], settings=settings, now=NOW
    )
    done = returns.accept_return(
        db,
        member(db, "marc"),
        asked.returns[0].id,
        provider=RecordingProvider(),
        settings=settings,
        now=NOW,
    )
    assert wallet_data.balance(db, gift) == 1000  # the mug only, not the delivery
    assert done.order.status == "shipped" and returns.returned_line_ids(done) == {mug.id}
    assert returns.return_block(done, now=NOW) is None  # the Bodum can still come back


def test_after_14_days_a_return_is_refused(db, settings) -> None:
    carol = new_member(db)
    with_address(db, carol)
    detail = benefit_order(db, settings, carol, [BODUM], shipping=490)
    _shipped(db, settings, carol, detail)
    # No delivery recorded: 14 days from shipping plus the 3 days' transit allowance.
    late = NOW + dt.timedelta(days=14 + settings.return_transit_days, minutes=1)
    with pytest.raises(UserError) as refused:
        returns.request_return(db, carol, detail.order.id, reason="x", settings=settings, now=late)
    assert "14-day return period" in str(refused.value)
    assert returns.return_block(returns.order_detail(db, detail.order.id), now=late) is not None


def test_e_cards_and_e_tickets_cannot_be_returned(db, settings) -> None:
    carol = new_member(db)
    with_address(db, carol)
    ecard = benefit_order(db, settings, carol, [line("Fnac", "ecard", "culture", 5000)])
    fulfilment.mark_lines_available(db, ecard.order.id)
    with pytest.raises(UserError) as refused:
        returns.request_return(db, carol, ecard.order.id, reason="x", settings=settings, now=NOW)
    assert refused.value.message == returns.NOT_RETURNABLE_DIGITAL
    mixed = benefit_order(
        db, settings, carol, [BODUM, line("Pathé", "eticket", "cinema", 940)], shipping=490
    )
    _shipped(db, settings, carol, mixed)
    ticket = next(ln for ln in mixed.lines if ln.kind == "eticket")
    with pytest.raises(UserError) as refused:
        returns.request_return(
            db, carol, mixed.order.id, reason="x", line_ids=[ticket.id], settings=settings, now=NOW
        )
    assert refused.value.message == returns.NOT_RETURNABLE_DIGITAL


def test_only_the_member_asks_and_only_their_managers_decide(db, settings) -> None:
    carol = new_member(db)
    with_address(db, carol)
    detail = benefit_order(db, settings, carol, [BODUM], shipping=490)
    _shipped(db, settings, carol, detail)
    with pytest.raises(UserError, match="does not exist"):
        returns.request_return(
            db, member(db, "alice"), detail.order.id, reason="x", settings=settings, now=NOW
        )
    with pytest.raises(UserError, match="Say why"):
        returns.request_return(db, carol, detail.order.id, reason="  ", settings=settings, now=NOW)
    asked = returns.request_return(
        db, carol, detail.order.id, reason="Trop grand", settings=settings, now=NOW
    )
    with pytest.raises((UserError, PermissionError)):
        returns.accept_return(
            db, member(db, "nina"), asked.returns[0].id, provider=None, settings=settings
        )
    refused = returns.refuse_return(
        db, member(db, "marc"), asked.returns[0].id, reason="Colis jamais reçu"
    )
    assert refused.returns[0].status == "refused"
    assert "Colis jamais reçu" in body_of(db, emails_to(db, carol.id)[-1][0])
