"""Credit notes: a cancelled invoiced order gets one, numbered gapless, in the outbox and email."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.data import after_sales
from portal.data import orders as orders_data
from portal.data import wallet as wallet_data
from portal.services import cancellation, files, fulfilment, returns
from portal.services.errors import UserError
from tests.mail_helpers import body_of
from tests.order_helpers import (
    RecordingProvider,
    attachment_names,
    benefit_order,
    emails_to,
    pdf_text,
    with_address,
)
from tests.typography import fr
from tests.unit.test_wallet_support import NOW, line, member, new_member

TICKET = [line("Pathé", "eticket", "cinema", 940, 2)]
PARCEL = [line("Bodum", "product", "home", 3490)]


def test_a_managers_cancellation_issues_a_credit_note_with_the_reason(db, settings) -> None:
    carol = new_member(db)
    detail = benefit_order(db, settings, carol, TICKET)
    assert detail.order.invoice_number == "FAC-2026-000001"
    cancelled = cancellation.cancel_order(
        db,
        member(db, "marc"),
        detail.order.id,
        provider=RecordingProvider(),
        reason="Séance  annulée par le cinéma",
        settings=settings,
        now=NOW,
    )
    assert cancelled.order.status == "refunded"
    assert cancelled.order.cancel_reason == "Séance annulée par le cinéma"
    [note] = cancelled.credit_notes
    assert (note.number, note.kind, note.amount_cents) == ("AV-2026-000001", "cancellation", 1880)
    assert note.file == "outbox/AV-2026-000001.pdf"
    assert "AV-2026-000001.pdf" in [e.name for e in files.list_outbox(settings, carol.login)]
    pdf = (files.outbox_dir(settings, carol.login) / "AV-2026-000001.pdf").read_bytes()
    text = pdf_text(pdf)
    assert "Avoir AV-2026-000001" in text and "FAC-2026-000001" in text
    assert "Séance annulée par le cinéma" in text and settings.seller_siret in text
    email_id, subject = emails_to(db, carol.id)[-1]
    assert "annulée" in subject
    body = body_of(db, email_id)
    assert fr("Motif indiqué par votre CSE : Séance annulée par le cinéma") in body
    assert "Cadeau 1880" in body and "18,80" in body  # the refund per source
    assert "AV-2026-000001" in body
    assert attachment_names(db, email_id) == ["AV-2026-000001.pdf"]


def test_a_member_cancelling_gets_no_reason_line_and_an_unpaid_order_no_note(db, settings) -> None:
    carol = new_member(db)
    detail = benefit_order(db, settings, carol, TICKET)
    cancellation.cancel_order(
        db, carol, detail.order.id, provider=RecordingProvider(), settings=settings, now=NOW
    )
    email_id, _subject = emails_to(db, carol.id)[-1]
    assert "Motif" not in body_of(db, email_id)
    # an order never invoiced (awaiting payment) is cancelled without a credit note
    order_id = orders_data.insert_order(
        db,
        member_id=carol.id,
        organization_id=carol.organization_id,
        status="awaiting_payment",
        total_cents=100,
        benefits_cents=0,
        card_cents=100,
        savings_cents=0,
        shipping_cents=0,
        line_count=0,
        summary="x",
        has_postal=False,
        has_digital=True,
        created_at="2026-06-15T08:00:00.000000Z",
        terms_accepted_at="2026-06-15T08:00:00.000000Z",
    )
    unpaid = cancellation.cancel_order(
        db, carol, order_id, provider=RecordingProvider(), settings=settings, now=NOW
    )
    assert unpaid.credit_notes == ()
    assert "Rien n'avait été payé" in body_of(db, emails_to(db, carol.id)[-1][0])


def test_a_reason_with_control_characters_changes_nothing(db, settings) -> None:
    carol = new_member(db)
    detail = benefit_order(db, settings, carol, TICKET)
    with pytest.raises(UserError):
        cancellation.cancel_order(
            db,
            member(db, "marc"),
            detail.order.id,
            provider=RecordingProvider(),
            reason="rupture\x1b]0;x\x07",
            settings=settings,
        )
    assert orders_data.get_order(db, detail.order.id).status == "preparing"  # type: ignore[union-attr]
    assert after_sales.order_credit_notes(db, detail.order.id) == []


def test_numbering_is_gapless_across_cancellations_returns_and_rollbacks(
    db, settings, monkeypatch
) -> None:
    carol = new_member(db)
    with_address(db, carol)
    marc = member(db, "marc")
    provider = RecordingProvider()
    first = benefit_order(db, settings, carol, TICKET)
    parcel = benefit_order(db, settings, carol, PARCEL, shipping=490)
    third = benefit_order(db, settings, carol, TICKET)

    # a cancellation that fails after taking its number gives the number back
    def broken(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise OSError("disk full")

    monkeypatch.setattr(files, "write_outbox_file", broken)
    balance_before = wallet_data.member_allocations(db, carol.id)
    with pytest.raises(OSError):
        cancellation.cancel_order(
            db, marc, first.order.id, provider=provider, settings=settings, now=NOW
        )
    monkeypatch.undo()
    assert orders_data.get_order(db, first.order.id).status == "preparing"  # type: ignore[union-attr]
    assert wallet_data.member_allocations(db, carol.id) == balance_before

    one = cancellation.cancel_order(
        db, marc, first.order.id, provider=provider, settings=settings, now=NOW
    )
    fulfilment.mark_shipped(db, marc, parcel.order.id, "6A123456789", now=NOW)
    later = NOW + dt.timedelta(days=3)
    asked = returns.request_return(
        db, carol, parcel.order.id, reason="Abîmé", settings=settings, now=later
    )
    two = returns.accept_return(
        db, marc, asked.returns[0].id, provider=provider, settings=settings, now=later
    )
    three = cancellation.cancel_order(
        db, marc, third.order.id, provider=provider, settings=settings, now=later
    )
    numbers = [n.number for d in (one, two, three) for n in d.credit_notes]
    assert numbers == ["AV-2026-000001", "AV-2026-000002", "AV-2026-000003"]
    assert [n.kind for d in (one, two, three) for n in d.credit_notes] == [
        "cancellation",
        "return",
        "cancellation",
    ]
    # the invoices kept their own sequence
    assert [d.order.invoice_number for d in (first, parcel, third)] == [
        "FAC-2026-000001",
        "FAC-2026-000002",
        "FAC-2026-000003",
    ]
