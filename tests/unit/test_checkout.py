"""Checkout: one transaction or nothing, quotes checked again, and no double spending."""

from __future__ import annotations

import threading

import pytest

from portal.data import orders as orders_data
from portal.data import outbox as outbox_data
from portal.data import wallet as wallet_data
from portal.data.db import connect
from portal.services import checkout, subsidies
from portal.services.checkout import QuoteChanged
from portal.services.errors import UserError
from tests.unit.test_wallet_support import NOW, TODAY, give, line, member, new_member


def _order_count(db) -> int:  # type: ignore[no-untyped-def]
    return len(orders_data.list_org_orders(db, None, limit=10_000))


def test_benefits_only_order_is_validated_at_once_with_invoice_and_email(db, settings) -> None:
    carol = new_member(db)
    voucher = give(db, settings, carol, "gift", 10000)
    lines = [line("E-carte Fnac", "ecard", "culture", 4700, face_value_cents=5000)]
    quote = checkout.prepare_checkout(db, carol, lines=lines, today=TODAY)
    assert quote.card_cents == 0 and quote.vouchers_cents == 4700
    detail = checkout.place_order(
        db, carol, quote, settings=settings, accepted_terms=True, lines=lines, now=NOW
    )
    order = detail.order
    assert order.status == "preparing"  # digital line: being prepared until issued
    assert [ln.status for ln in detail.lines] == ["preparing"]
    assert order.invoice_number == "FAC-2026-000001"
    assert wallet_data.balance(db, voucher) == 5300
    assert [(p.source, p.amount_cents) for p in detail.payments] == [("gift", 4700)]
    pdf = settings.files_dir / "carol" / "outbox" / "FAC-2026-000001.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    email = db.execute(
        "SELECT id, subject FROM email_outbox WHERE member_id = ?", [carol.id]
    ).fetchone()
    assert "CMD-" in email["subject"]
    attachment = db.execute(
        "SELECT filename, content_type FROM email_attachments WHERE email_id = ?", [email["id"]]
    ).fetchone()
    assert tuple(attachment) == ("FAC-2026-000001.pdf", "application/pdf")
    assert outbox_data is not None


def test_conditions_of_sale_must_be_accepted(db, settings) -> None:
    carol = new_member(db)
    give(db, settings, carol, "gift", 10000)
    lines = [line("Pathé", "eticket", "cinema", 940)]
    quote = checkout.prepare_checkout(db, carol, lines=lines, today=TODAY)
    with pytest.raises(UserError, match="conditions of sale"):
        checkout.place_order(
            db, carol, quote, settings=settings, accepted_terms=False, lines=lines, now=NOW
        )
    assert _order_count(db) == 0


def test_a_card_is_needed_for_the_rest(db, settings) -> None:
    carol = new_member(db)
    lines = [line("Pathé", "eticket", "cinema", 940)]
    quote = checkout.prepare_checkout(db, carol, lines=lines, today=TODAY)
    with pytest.raises(UserError, match="card"):
        checkout.place_order(
            db, carol, quote, settings=settings, accepted_terms=True, lines=lines, now=NOW
        )
    assert _order_count(db) == 0


def test_a_stale_quote_writes_nothing(db, settings) -> None:
    carol = new_member(db)
    voucher = give(db, settings, carol, "gift", 5000)
    lines = [line("E-carte", "ecard", "groceries", 4000)]
    quote = checkout.prepare_checkout(db, carol, lines=lines, today=TODAY)
    other = checkout.prepare_checkout(db, carol, lines=lines, today=TODAY)
    checkout.place_order(
        db, carol, other, settings=settings, accepted_terms=True, lines=lines, now=NOW
    )
    ledger_before = wallet_data.ledger_size(db)
    with pytest.raises(QuoteChanged):
        checkout.place_order(
            db, carol, quote, settings=settings, accepted_terms=True, lines=lines, now=NOW
        )
    assert wallet_data.ledger_size(db) == ledger_before
    assert _order_count(db) == 1
    assert wallet_data.balance(db, voucher) == 1000


def test_subsidy_counts_items_and_lines_keep_their_subsidy(db, settings) -> None:
    carol = new_member(db)
    marc = member(db, "marc")
    rule = subsidies.create_rule(
        db, marc, label="Parcs", category="leisure", mode="fixed", fixed_cents=1500, max_count=2
    )
    subsidy = give(db, settings, carol, "subsidy", 10000, rule_id=rule.id)
    lines = [line("Parc Astérix", "eticket", "leisure", 4700, 3)]
    quote = checkout.prepare_checkout(db, carol, lines=lines, today=TODAY)
    assert quote.subsidies_cents == 3000
    give(db, settings, carol, "gift", 20000)
    quote = checkout.prepare_checkout(db, carol, lines=lines, today=TODAY)
    detail = checkout.place_order(
        db, carol, quote, settings=settings, accepted_terms=True, lines=lines, now=NOW
    )
    assert detail.lines[0].subsidy_cents == 3000
    assert wallet_data.subsidy_usage(db, carol.id, rule.id, 2026) == (3000, 2)
    assert wallet_data.get_allocation(db, subsidy).items_used == 2
    # The maximum count is reached: a second order gets no subsidy.
    again = checkout.prepare_checkout(db, carol, lines=lines, today=TODAY)
    assert again.subsidies_cents == 0


def test_twenty_racing_checkouts_never_spend_a_balance_twice(db, settings) -> None:
    """20 threads, each with its own connection, spend the same 100 € voucher at once."""
    carol = new_member(db)
    voucher = give(db, settings, carol, "gift", 10000)
    lines = [line("E-carte", "ecard", "groceries", 8000)]
    quote = checkout.prepare_checkout(db, carol, lines=lines, today=TODAY)
    assert quote.card_cents == 0
    start = threading.Barrier(20)
    results: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        conn = connect(settings.db_path)
        try:
            start.wait()
            try:
                checkout.place_order(
                    conn, carol, quote, settings=settings, accepted_terms=True, lines=lines, now=NOW
                )
                outcome = "ok"
            except QuoteChanged:
                outcome = "changed"
        finally:
            conn.conn.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["changed"] * 19 + ["ok"]
    assert wallet_data.balance(db, voucher) == 2000
    entries = wallet_data.allocation_entries(db, voucher)
    running = 0
    for entry in entries:
        running += entry.amount_cents
        assert running >= 0
    assert _order_count(db) == 1


def test_racing_checkouts_with_partial_balance_each_pay_what_was_quoted(db, settings) -> None:
    """Several small orders that together exceed the balance: the later ones are refused."""
    carol = new_member(db)
    voucher = give(db, settings, carol, "gift", 10000)
    lines = [line("E-carte", "ecard", "groceries", 3000)]
    quote = checkout.prepare_checkout(db, carol, lines=lines, today=TODAY)
    start = threading.Barrier(20)
    ok = []

    def attempt() -> None:
        conn = connect(settings.db_path)
        try:
            start.wait()
            checkout.place_order(
                conn, carol, quote, settings=settings, accepted_terms=True, lines=lines, now=NOW
            )
            ok.append(1)
        except QuoteChanged:
            pass
        finally:
            conn.conn.close()

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ok) == 3
    assert wallet_data.balance(db, voucher) == 1000


def test_the_confirmation_goes_to_the_verified_communication_email(db, settings) -> None:
    """Once verified, the communication email receives orders instead of the organization's."""
    from portal.data import contact as contact_data

    carol = new_member(db)
    contact_data.set_comm_email(db, carol.id, "carol.perso@example.org", now="2026-01-01T00:00:00Z")
    give(db, settings, carol, "gift", 10000)
    lines = [line("E-carte Fnac", "ecard", "culture", 4700, face_value_cents=5000)]
    quote = checkout.prepare_checkout(db, carol, lines=lines, today=TODAY)
    checkout.place_order(
        db, carol, quote, settings=settings, accepted_terms=True, lines=lines, now=NOW
    )
    recipients = {
        r[0]
        for r in db.execute("SELECT recipient FROM email_outbox WHERE member_id = ?", [carol.id])
    }
    assert recipients == {"carol.perso@example.org"}
