"""Stock of physical products: an order takes its units, a cancellation, an expired
payment or an accepted return puts them back, and two members never get the last one."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from portal.data import catalog as catalog_data
from portal.data import wallet as wallet_data
from portal.data.db import connect
from portal.services import cancellation, catalog_admin, checkout, fulfilment, returns
from portal.services.errors import UserError
from portal.services.payment_confirmation import expire_abandoned
from portal.services.payment_sandbox import SandboxProvider
from tests.order_helpers import RecordingProvider, benefit_order, with_address
from tests.unit.test_wallet_support import NOW, TODAY, give, line, member, new_member


def _product(db, stock):  # type: ignore[no-untyped-def]
    """A demo physical product whose stock is ``stock`` (None: not counted)."""
    admin = member(db, "admin")
    offer = next(
        a.offer for a in catalog_admin.admin_offers(db, admin) if a.offer.kind == "product"
    )
    catalog_admin.set_stock(db, admin, offer.id, stock)
    return offer


def _line(offer, quantity=1):  # type: ignore[no-untyped-def]
    return line(offer.title, "product", offer.category, 2000, quantity, offer_id=offer.id)


def _buyer(db, login="carol"):  # type: ignore[no-untyped-def]
    buyer = new_member(db, login)
    with_address(db, buyer)
    return buyer


def _orders(db) -> int:  # type: ignore[no-untyped-def]
    return int(db.execute("SELECT COUNT(*) FROM orders").fetchone()[0])


def test_an_order_takes_its_units_and_a_cancellation_puts_them_back(db, settings) -> None:
    offer = _product(db, 5)
    carol = _buyer(db)
    detail = benefit_order(db, settings, carol, [_line(offer, 2)])
    assert catalog_data.stock_left(db, offer.id) == 3
    cancellation.cancel_order(db, carol, detail.order.id, provider=RecordingProvider())
    assert catalog_data.stock_left(db, offer.id) == 5
    # Given back once only: the line's units are spent.
    assert catalog_data.release_stock(db, detail.order.id) == 0
    assert catalog_data.stock_left(db, offer.id) == 5


def test_an_offer_without_stock_tracking_is_unlimited(db, settings) -> None:
    offer = _product(db, None)
    carol = _buyer(db)
    benefit_order(db, settings, carol, [_line(offer, 40)])
    assert catalog_data.stock_left(db, offer.id) is None
    row = db.execute("SELECT stock FROM offers WHERE id = ?", [offer.id]).fetchone()
    assert row[0] is None


def test_more_than_left_is_refused_and_nothing_is_written(db, settings) -> None:
    offer = _product(db, 2)
    carol = _buyer(db)
    voucher = give(db, settings, carol, "gift", 6000)
    lines = [_line(offer, 3)]
    quote = checkout.prepare_checkout(db, carol, lines=lines, today=TODAY)
    before = _orders(db)
    with pytest.raises(UserError) as refused:
        checkout.place_order(
            db, carol, quote, settings=settings, accepted_terms=True, lines=lines, now=NOW
        )
    assert refused.value.msgid == checkout.FEW_LEFT
    assert "Il ne reste que 2" in refused.value.text()
    assert _orders(db) == before
    assert wallet_data.balance(db, voucher) == 6000
    assert catalog_data.stock_left(db, offer.id) == 2


def test_two_members_racing_for_the_last_unit(db, settings) -> None:
    """Two threads, each with its own connection, order the last unit at once."""
    offer = _product(db, 1)
    buyers = [_buyer(db, "carol"), _buyer(db, "dave")]
    lines = [_line(offer)]
    quotes = []
    for buyer in buyers:
        give(db, settings, buyer, "gift", 2000)
        quotes.append(checkout.prepare_checkout(db, buyer, lines=lines, today=TODAY))
    before = _orders(db)
    start = threading.Barrier(2)
    results: list[str] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        conn = connect(settings.db_path)
        try:
            start.wait()
            try:
                checkout.place_order(
                    conn,
                    buyers[i],
                    quotes[i],
                    settings=settings,
                    accepted_terms=True,
                    lines=lines,
                    now=NOW,
                )
                outcome = "ok"
            except UserError as error:
                outcome = error.msgid
        finally:
            conn.conn.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == sorted(["ok", checkout.SOLD_OUT])
    assert catalog_data.stock_left(db, offer.id) == 0
    assert _orders(db) == before + 1
    balances = sorted(
        wallet_data.balance(db, a.id)
        for b in buyers
        for a in wallet_data.member_allocations(db, b.id)
    )
    assert balances == [0, 2000]  # the refused member spent nothing


def test_an_expired_unpaid_order_puts_its_units_back(db, settings) -> None:
    offer = _product(db, 4)
    carol = _buyer(db)
    sandbox = SandboxProvider()
    lines = [_line(offer, 3)]
    quote = checkout.prepare_checkout(db, carol, lines=lines, today=TODAY)
    placed = checkout.pay(
        db,
        carol,
        quote,
        provider=sandbox,
        settings=settings,
        accepted_terms=True,
        lines=lines,
        now=NOW,
    )
    assert placed.awaiting and catalog_data.stock_left(db, offer.id) == 1
    later = NOW + dt.timedelta(seconds=settings.payment_timeout + 60)
    assert expire_abandoned(db, sandbox, now=later) == [placed.order.order.id]
    assert catalog_data.stock_left(db, offer.id) == 4


def test_an_accepted_return_puts_the_returned_units_back(db, settings) -> None:
    offer = _product(db, 6)
    carol = _buyer(db)
    detail = benefit_order(db, settings, carol, [_line(offer, 2)])
    marc = member(db, "marc")
    fulfilment.mark_shipped(db, marc, detail.order.id, "6A123456789", now=NOW)
    assert catalog_data.stock_left(db, offer.id) == 4
    asked = returns.request_return(
        db, carol, detail.order.id, reason="Cassé", settings=settings, now=NOW
    )
    returns.refuse_return(db, marc, asked.returns[0].id, reason="Non reçu")
    assert catalog_data.stock_left(db, offer.id) == 4  # refused: nothing came back
    again = returns.request_return(
        db, carol, detail.order.id, reason="Cassé", settings=settings, now=NOW
    )
    pending = returns.open_return(again)
    assert pending is not None
    returns.accept_return(
        db, marc, pending.id, provider=RecordingProvider(), settings=settings, now=NOW
    )
    assert catalog_data.stock_left(db, offer.id) == 6
