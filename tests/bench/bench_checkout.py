"""Checkout benchmark: checkouts per second with a 1-million-row ledger, order history latency.

Run by hand (prints figures, asserts nothing), pinned to one core:

    python -m tests.bench checkout [--ledger-rows 1000000] [--checkouts 300] [--orders 1000]

1. Fills the wallet ledger to ``--ledger-rows`` rows (10 000 members x 100 rows), through
   the real schema and its overdraft trigger.
2. Times full checkouts (plan + one BEGIN IMMEDIATE transaction) of a 3-item basket:
   paid by benefits only (validated at once: invoice PDF and email included), and paid
   by card through the sandbox (order written, payment made on the page, notified), then
   the confirmations of those card orders (validation, PDF, email).
3. Times the order history query of a member with ``--orders`` orders (target: p99 under
   10 ms) and the order detail query.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
import time
from pathlib import Path

from portal.config import load_settings
from portal.data import members as members_data
from portal.data import orders as orders_data
from portal.data import wallet as wallet_data
from portal.data.db import connect, transaction
from portal.services import checkout, invoices, orders, payment_confirmation
from portal.services.payment_sandbox import SandboxProvider
from portal.services.payments import CardDetails
from portal.services.runtime import init_database
from portal.services.spending import CheckoutLine
from tests import payment_support

YEAR = dt.date.today().year
assert invoices  # imported before timing: fpdf2 takes a moment to load


def _line(title: str, kind: str, category: str, price: int, quantity: int = 1) -> CheckoutLine:
    return CheckoutLine(
        None,
        title,
        kind,
        category,
        price,
        quantity,
        0,
        price,
        price * quantity,
        0,
        kind == "product",
    )


LINES = [
    _line("E-carte Carrefour 50 €", "ecard", "groceries", 4750),
    _line("E-billet Pathé", "eticket", "cinema", 940, 2),
    _line("Gourde isotherme", "product", "sport", 1250),
]


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000, ordered[-1] * 1000


def _program(db, org: int, kind: str, label: str, amount: int) -> int:  # type: ignore[no-untyped-def]
    return wallet_data.insert_program(
        db,
        organization_id=org,
        kind=kind,
        label=label,
        amount_cents=amount,
        year=YEAR,
        valid_from=dt.date(YEAR, 1, 1),
        valid_until=dt.date(YEAR, 12, 31),
    )


def fill_ledger(db, org: int, rows: int) -> float:  # type: ignore[no-untyped-def]
    """Add members and allocations until the ledger holds ``rows`` rows; returns seconds."""
    started = time.perf_counter()
    per_allocation = 100
    count = max(1, (rows - wallet_data.ledger_size(db)) // per_allocation)
    with transaction(db):
        program = _program(db, org, "gift", "Bench filler", 1_000_000)
        for i in range(count):
            member_id = members_data.create_member(
                db,
                organization_id=org,
                login=f"bench{i:06d}",
                first_name="Bench",
                last_name=str(i),
                org_email=f"bench{i}@example.test",
                password_hash=None,
            )
            allocation_id = wallet_data.insert_allocation(
                db,
                program_id=program,
                member_id=member_id,
                organization_id=org,
                amount_cents=1_000_000,
            )
            db.conn.executemany(
                "INSERT INTO wallet_ledger (allocation_id, member_id, entry, amount_cents)"
                " VALUES (?, ?, ?, ?)",
                [(allocation_id, member_id, "grant", 1_000_000)]
                + [(allocation_id, member_id, "debit", -100)] * (per_allocation - 1),
            )
    return time.perf_counter() - started


def bench_checkouts(db, settings, buyer, n: int) -> None:  # type: ignore[no-untyped-def]
    sandbox = SandboxProvider()
    card = CardDetails("4242424242424242", "12/30", "123")
    now = dt.datetime.now(dt.UTC)

    started = time.perf_counter()
    for _ in range(n):
        quote = checkout.prepare_checkout(db, buyer, lines=LINES, shipping_cents=490)
        checkout.place_order(
            db, buyer, quote, settings=settings, accepted_terms=True, lines=LINES, now=now
        )
    elapsed = time.perf_counter() - started
    print(
        f"  benefits only (validated, PDF, email): {n / elapsed:7.1f} checkouts/s "
        f"({elapsed / n * 1000:.1f} ms each)"
    )

    gift = [a.id for a in wallet_data.member_allocations(db, buyer.id) if a.kind != "subsidy"]
    references = []
    started = time.perf_counter()
    for _ in range(n):
        quote = checkout.prepare_checkout(db, buyer, lines=LINES, shipping_cents=490, excluded=gift)
        placed = payment_support.pay(
            db,
            buyer,
            quote,
            provider=sandbox,
            settings=settings,
            accepted_terms=True,
            card=card,
            lines=LINES,
            now=now,
        )
        assert isinstance(placed, checkout.OrderPlaced) and placed.order.card is not None
        references.append(placed.order.card.provider_ref)
    elapsed = time.perf_counter() - started
    print(
        f"  card via sandbox (awaiting confirm.):  {n / elapsed:7.1f} checkouts/s "
        f"({elapsed / n * 1000:.1f} ms each)"
    )

    started = time.perf_counter()
    for reference in references:
        payment_confirmation.record_payment_result(
            db, reference, sandbox.capture(reference), settings=settings, now=now
        )
    elapsed = time.perf_counter() - started
    print(
        f"  card confirmations (validate, PDF):    {n / elapsed:7.1f} per s "
        f"({elapsed / n * 1000:.1f} ms each)"
    )


def make_history(db, org: int, member_id: int, count: int) -> None:  # type: ignore[no-untyped-def]
    """``count`` orders of three lines for one member, written through the data layer."""
    with transaction(db):
        for i in range(count):
            order_id = orders_data.insert_order(
                db,
                member_id=member_id,
                organization_id=org,
                status="preparing",
                total_cents=8000 + i,
                benefits_cents=3000,
                card_cents=5000 + i,
                savings_cents=0,
                shipping_cents=0,
                line_count=3,
                summary=f"Commande {i} (+2)",
                has_postal=False,
                has_digital=True,
                created_at=f"{YEAR}-01-01T10:00:{i % 60:02d}.000000Z",
                terms_accepted_at=f"{YEAR}-01-01T10:00:00.000000Z",
            )
            orders_data.insert_lines(
                db,
                order_id,
                (
                    {
                        "position": p,
                        "offer_id": None,
                        "title": f"Article {p}",
                        "kind": "ecard",
                        "category": "groceries",
                        "face_value_cents": 2000,
                        "quantity": 1,
                        "discount_bp": 0,
                        "unit_price_cents": 2000,
                        "line_total_cents": 2000,
                        "savings_cents": 0,
                        "subsidy_cents": 0,
                        "vat_bp": 0,
                        "fulfilment": "digital",
                        "status": "preparing",
                    }
                    for p in range(3)
                ),
            )


def bench_history(db, member, count: int, repeat: int = 2000) -> None:  # type: ignore[no-untyped-def]
    for label, limit in (("first page (50)", 50), (f"whole history ({count})", count)):
        samples = []
        for _ in range(repeat if limit == 50 else max(50, repeat // 10)):
            started = time.perf_counter()
            page = orders.list_orders(db, member, limit=limit)
            samples.append(time.perf_counter() - started)
        assert len(page) == min(limit, count)
        p50, p99, worst = _percentiles(samples)
        print(
            f"  history {label:<22} p50 {p50:6.3f} ms  p99 {p99:6.3f} ms  max {worst:6.3f} ms"
            + ("  (target p99 < 10 ms)" if limit == 50 else "")
        )
    newest = orders.list_orders(db, member, limit=1)[0]
    samples = []
    for _ in range(500):
        started = time.perf_counter()
        orders.get_order(db, member, newest.id)
        samples.append(time.perf_counter() - started)
    p50, p99, worst = _percentiles(samples)
    print(
        f"  order detail                   p50 {p50:6.3f} ms  p99 {p99:6.3f} ms  max {worst:6.3f} ms"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ledger-rows", type=int, default=1_000_000)
    parser.add_argument("--checkouts", type=int, default=300)
    parser.add_argument("--orders", type=int, default=1000)
    args, _unknown = parser.parse_known_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(environ={}, data_dir=Path(tmp) / "data")
        init_database(settings)
        db = connect(settings.db_path)
        alice = members_data.get_member_by_login(db, "alice")
        assert alice is not None and alice.organization_id is not None
        org = alice.organization_id

        print(f"Filling the ledger to {args.ledger_rows:,} rows…", flush=True)
        seconds = fill_ledger(db, org, args.ledger_rows)
        print(f"  ledger: {wallet_data.ledger_size(db):,} rows (filled in {seconds:.1f} s)")

        with transaction(db):
            buyer_id = members_data.create_member(
                db,
                organization_id=org,
                login="buyer",
                first_name="Bench",
                last_name="Buyer",
                org_email="buyer@example.test",
                password_hash=None,
            )
            for kind, label in (("gift", "Bench gift"), ("culture", "Bench culture")):
                program = _program(db, org, kind, label, 90_000_000)
                allocation_id = wallet_data.insert_allocation(
                    db,
                    program_id=program,
                    member_id=buyer_id,
                    organization_id=org,
                    amount_cents=90_000_000,
                )
                wallet_data.credit(
                    db, allocation_id=allocation_id, member_id=buyer_id, amount_cents=90_000_000
                )
        buyer = members_data.get_member(db, buyer_id)
        print(
            f"Checkouts on one core ({args.checkouts} each, 3-line basket + delivery):", flush=True
        )
        bench_checkouts(db, settings, buyer, args.checkouts)

        with transaction(db):
            reader_id = members_data.create_member(
                db,
                organization_id=org,
                login="reader",
                first_name="Bench",
                last_name="Reader",
                org_email="reader@example.test",
                password_hash=None,
            )
        make_history(db, org, reader_id, args.orders)
        reader = members_data.get_member(db, reader_id)
        print(
            f"Order history of a member with {args.orders:,} orders "
            f"({orders_data.count_member_orders(db, reader_id):,} stored):",
            flush=True,
        )
        bench_history(db, reader, args.orders)
        db.conn.close()


if __name__ == "__main__":
    main()
