"""The cancel/confirm race on card payments (issue 9), and the reconciliation job.

A confirmation claims its payment (``capturing``) before the provider captures, so a
cancellation can never fall between the capture and its record: these tests force that
interleaving deterministically with a provider that blocks inside its capture, race 200
cancel/confirm pairs on separate connections, and check that the reconciliation job
repairs (and audits) each kind of mismatch between our rows and the provider's.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlite_utils import Database

from portal import cli
from portal.config import Settings
from portal.data import orders as orders_data
from portal.data import wallet as wallet_data
from portal.data.db import connect
from portal.data.members import Member
from portal.i18n import get_translator
from portal.services import (
    audit,
    cancellation,
    checkout,
    clock,
    payment_confirmation,
    reconciliation,
)
from portal.services.clock import FrozenClock
from portal.services.errors import UserError
from portal.services.payment_sandbox import SandboxProvider
from portal.services.payments import ReturnInfo
from tests.payment_support import CARD, pay_on_page
from tests.typography import fr
from tests.unit.test_wallet_support import NOW, TODAY, give, line, new_member

LATER = NOW + dt.timedelta(hours=1)
"""When the reconciliation job runs: every row of the test is stale by then."""
WAIT = 10.0
"""Upper bound for a thread event (a hang fails the test instead of blocking it)."""
PAID = ("validated", "preparing")


@pytest.fixture(autouse=True)
def frozen() -> Iterator[FrozenClock]:
    """The services' time (and the sandbox's) frozen at the orders' moment."""
    frozen_clock = FrozenClock(NOW)
    with clock.use(frozen_clock):
        yield frozen_clock


class GatedProvider(SandboxProvider):
    """A sandbox whose capture stops until the test lets it go on."""

    def __init__(self) -> None:
        super().__init__()
        self.capturing = threading.Event()
        self.release = threading.Event()
        self.captures = 0

    def capture(self, reference: str) -> bool:
        self.captures += 1
        self.capturing.set()
        assert self.release.wait(WAIT), "the test never released the capture"
        return super().capture(reference)


class CountingProvider(SandboxProvider):
    """A sandbox that counts captures, and can refuse voids and refunds."""

    def __init__(self) -> None:
        super().__init__()
        self.captures = 0
        self.refuse_void = False
        self.refuse_refund = False

    def capture(self, reference: str) -> bool:
        self.captures += 1
        return super().capture(reference)

    def void(self, reference: str) -> None:
        if self.refuse_void:
            raise ConnectionError("provider unreachable")
        super().void(reference)

    def refund(self, reference: str, amount_cents: int) -> str:
        if self.refuse_refund:
            raise ConnectionError("provider unreachable")
        return super().refund(reference, amount_cents)


def place(
    db: Database, settings: Settings, provider: SandboxProvider, buyer: Member, cents: int = 2000
) -> tuple[int, str]:
    """An order paid by card, awaiting its confirmation: (order id, provider reference)."""
    lines = [line("E-carte", "ecard", "groceries", cents)]
    quote = checkout.prepare_checkout(db, buyer, lines=lines, today=TODAY)
    placed = checkout.pay(
        db,
        buyer,
        quote,
        provider=provider,
        settings=settings,
        accepted_terms=True,
        lines=lines,
        now=NOW,
    )
    assert isinstance(placed, checkout.OrderPlaced) and placed.awaiting
    assert placed.order.card is not None
    reference = placed.order.card.provider_ref
    assert pay_on_page(db, provider, reference, CARD, now=NOW) == "authorized"
    return placed.order.order.id, reference


def state(db: Database, provider: SandboxProvider, order_id: int) -> tuple[str, str, str]:
    """(order, our payment row, provider) as in the issue."""
    order = orders_data.get_order(db, order_id)
    payment = orders_data.get_card_payment(db, order_id)
    assert order is not None and payment is not None
    return order.status, payment.status, str(provider.status(payment.provider_ref))


def in_thread(settings: Settings, work: Callable[[Database], Any]) -> tuple[threading.Thread, list]:  # type: ignore[type-arg]
    """Run ``work(db)`` in a thread with its own connection; its result or error in a list."""
    outcome: list = []  # type: ignore[type-arg]

    def run() -> None:
        own = connect(settings.db_path)
        try:
            outcome.append(work(own))
        except BaseException as error:  # the test thread inspects it
            outcome.append(error)
        finally:
            own.conn.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def repairs(db: Database) -> list[tuple[str, str]]:
    """(repair, target) of the reconciliation's audit entries, oldest first."""
    entries = [e for e in audit.recent(db, limit=1000) if e.action == "payment.reconciled"]
    return [(e.details["repair"], str(e.target)) for e in reversed(entries)]


# -- the forced interleaving -------------------------------------------------------------------


def test_a_cancellation_during_the_capture_is_refused_and_changes_nothing(db, settings) -> None:
    provider = GatedProvider()
    carol = new_member(db)
    voucher = give(db, settings, carol, "gift", 500)
    order_id, ref = place(db, settings, provider, carol, cents=2500)
    assert wallet_data.balance(db, voucher) == 0
    confirming, result = in_thread(
        settings,
        lambda own: payment_confirmation.confirm_payment(
            own, provider, ref, settings=settings, now=NOW
        ),
    )
    assert provider.capturing.wait(WAIT)  # the provider is capturing right now
    assert state(db, provider, order_id) == ("awaiting_payment", "capturing", "authorized")
    with pytest.raises(UserError) as refused:
        cancellation.cancel_order(db, carol, order_id, provider=provider, now=NOW)
    assert refused.value.text(get_translator("fr")) == (
        fr("Le paiement est en cours de confirmation : réessayez dans un instant.")
    )
    # Refused means nothing changed: no benefit re-credited, no audit, no email.
    assert wallet_data.balance(db, voucher) == 0
    assert not [e for e in audit.recent(db) if e.action == "order.cancelled"]
    provider.release.set()
    confirming.join(WAIT)
    assert not confirming.is_alive() and not isinstance(result[0], BaseException)
    order_status, payment_status, at_provider = state(db, provider, order_id)
    assert order_status in PAID and (payment_status, at_provider) == ("captured", "captured")
    # Once the capture is recorded, the cancellation goes through and refunds the card.
    detail = cancellation.cancel_order(db, carol, order_id, provider=provider, now=NOW)
    assert detail.order.status == "refunded" and detail.card is not None
    assert detail.card.status == "refunded"
    remote = provider.lookup(ref)
    assert remote is not None and remote.refunded_cents == remote.amount_cents == 2000
    assert wallet_data.balance(db, voucher) == 500


def test_a_cancellation_first_means_the_provider_never_captures(db, settings) -> None:
    provider = CountingProvider()
    carol = new_member(db)
    order_id, ref = place(db, settings, provider, carol)
    cancellation.cancel_order(db, carol, order_id, provider=provider, now=NOW)
    late = payment_confirmation.confirm_payment(db, provider, ref, settings=settings, now=NOW)
    assert late is not None and late.order.status == "cancelled"
    assert provider.captures == 0
    assert state(db, provider, order_id) == ("cancelled", "voided", "voided")


def test_a_capture_that_finds_its_order_cancelled_refunds_at_once(db, settings) -> None:
    provider = CountingProvider()
    carol = new_member(db)
    order_id, ref = place(db, settings, provider, carol)
    assert payment_confirmation.claim_capture(db, ref, now=NOW) is not None
    # Some path that ignores the claim cancels the order while the provider captures.
    assert orders_data.change_status(
        db, order_id, "cancelled", expected=("awaiting_payment",), cancelled_at="x"
    )
    succeeded = provider.capture(ref)
    payment_confirmation.record_payment_result(
        db, ref, succeeded, settings=settings, provider=provider, now=NOW
    )
    assert state(db, provider, order_id) == ("refunded", "refunded", "captured")
    remote = provider.lookup(ref)
    assert remote is not None and remote.refunded_cents == 2000 and not remote.money_taken
    payment = orders_data.get_card_payment(db, order_id)
    assert payment is not None and payment.refund_ref == remote.refund_ref
    assert [e.target for e in audit.recent(db) if e.action == "order.capture_refunded"] == [
        f"order:{order_id}"
    ]


def test_the_old_two_step_interleaving_is_repaired_by_reconciliation(db, settings) -> None:
    """The issue's sequence: capture, cancellation, record. Reconciliation refunds it."""
    provider = CountingProvider()
    carol = new_member(db)
    order_id, ref = place(db, settings, provider, carol)
    assert provider.capture(ref)  # step 1 without a claim (a provider-side capture)
    cancellation.cancel_order(db, carol, order_id, provider=provider, now=NOW)
    payment_confirmation.record_payment_result(db, ref, True, settings=settings, now=NOW)
    assert state(db, provider, order_id) == ("cancelled", "voided", "captured")  # the bug
    report = reconciliation.reconcile(db, provider, settings=settings, now=LATER)
    assert [(m.kind, m.repaired) for m in report.mismatches] == [("capture_refunded", True)]
    assert state(db, provider, order_id) == ("refunded", "refunded", "captured")
    remote = provider.lookup(ref)
    assert remote is not None and not remote.money_taken
    assert repairs(db) == [("capture_refunded", f"order:{order_id}")]
    again = reconciliation.reconcile(db, provider, settings=settings, now=LATER)
    assert again.mismatches == []


# -- the soak ------------------------------------------------------------------------------------


def test_200_racing_cancel_confirm_pairs_never_keep_money_of_a_cancelled_order(
    db, settings
) -> None:
    provider = SandboxProvider()
    carol = new_member(db)
    orders = [place(db, settings, provider, carol, cents=1000 + i) for i in range(200)]
    cancel_outcomes: list[str] = []
    for start in range(0, len(orders), 10):
        threads = []
        for order_id, ref in orders[start : start + 10]:
            gate = threading.Barrier(2, timeout=WAIT)

            def confirm(own: Database, ref: str = ref, gate: threading.Barrier = gate) -> Any:
                gate.wait()
                return payment_confirmation.confirm_payment(
                    own, provider, ref, settings=settings, now=NOW
                )

            def cancel(
                own: Database, order_id: int = order_id, gate: threading.Barrier = gate
            ) -> Any:
                gate.wait()
                try:
                    return cancellation.cancel_order(own, carol, order_id, provider=provider)
                except UserError as error:
                    return error.msgid

            threads.append(in_thread(settings, confirm))
            threads.append(in_thread(settings, cancel))
        for thread, outcome in threads:
            thread.join(WAIT)
            assert not thread.is_alive()
            assert not isinstance(outcome[0], BaseException), outcome[0]
            if isinstance(outcome[0], str):
                cancel_outcomes.append(outcome[0])
    assert set(cancel_outcomes) <= {cancellation.CAPTURE_IN_PROGRESS}
    seen = set()
    for order_id, ref in orders:
        order_status, payment_status, at_provider = state(db, provider, order_id)
        remote = provider.lookup(ref)
        assert remote is not None
        if remote.money_taken:  # captured and kept: the order is paid
            assert (order_status, payment_status) in {(s, "captured") for s in PAID}, order_id
        elif at_provider == "captured":  # captured, then refunded: the order is cancelled
            assert remote.refunded_cents == remote.amount_cents
            assert (order_status, payment_status) == ("refunded", "refunded"), order_id
        else:  # never captured
            assert (order_status, payment_status, at_provider) == (
                "cancelled",
                "voided",
                "voided",
            ), order_id
        seen.add((order_status, payment_status, at_provider))
    report = reconciliation.reconcile(db, provider, settings=settings, now=LATER)
    assert report.mismatches == [] and report.checked == 200, seen


# -- reconciliation: each kind of mismatch ---------------------------------------------------------


def test_reconciliation_records_a_capture_we_crashed_before_recording(db, settings) -> None:
    provider = CountingProvider()
    carol = new_member(db)
    crashed_after, ref1 = place(db, settings, provider, carol)
    assert payment_confirmation.claim_capture(db, ref1, now=NOW)
    assert provider.capture(ref1)  # ...and the process died before the record
    webhook_lost, ref2 = place(db, settings, provider, carol)
    assert provider.capture(ref2)  # the provider captured; we never heard of it
    crashed_before, ref3 = place(db, settings, provider, carol)
    assert payment_confirmation.claim_capture(db, ref3, now=NOW)  # died before the capture
    fresh, _ref4 = place(db, settings, provider, carol)
    recent = reconciliation.reconcile(db, provider, settings=settings, now=NOW)
    assert recent.mismatches == []  # nothing is stale yet: the confirmer may be on it
    report = reconciliation.reconcile(
        db, provider, settings=settings, now=LATER, stale_after=dt.timedelta(minutes=30)
    )
    assert sorted((m.order_id, m.kind, m.repaired) for m in report.mismatches) == sorted(
        [
            (crashed_after, "capture_recorded", True),
            (webhook_lost, "capture_recorded", True),
            (crashed_before, "capture_resumed", True),
            (fresh, "capture_resumed", True),
        ]
    )
    for order_id in (crashed_after, webhook_lost, crashed_before, fresh):
        order_status, payment_status, at_provider = state(db, provider, order_id)
        assert order_status in PAID and (payment_status, at_provider) == ("captured", "captured")
    assert provider.captures == 4  # each payment captured once, none twice
    assert sorted(repairs(db)) == sorted(
        [
            ("capture_recorded", f"order:{crashed_after}"),
            ("capture_recorded", f"order:{webhook_lost}"),
            ("capture_resumed", f"order:{crashed_before}"),
            ("capture_resumed", f"order:{fresh}"),
        ]
    )
    assert reconciliation.reconcile(db, provider, settings=settings, now=LATER).mismatches == []


def test_reconciliation_records_a_failure_and_releases_stale_authorizations(db, settings) -> None:
    provider = CountingProvider()
    carol = new_member(db)
    voucher = give(db, settings, carol, "gift", 300)
    declined, ref1 = place(db, settings, provider, carol)
    provider.void(ref1)  # the provider gave up on it (authorization expired)
    unreleased, ref2 = place(db, settings, provider, carol)
    provider.refuse_void = True
    cancellation.cancel_order(db, carol, unreleased, provider=provider, now=NOW)
    provider.refuse_void = False
    assert state(db, provider, unreleased) == ("cancelled", "voided", "authorized")
    report = reconciliation.reconcile(db, provider, settings=settings, now=LATER)
    assert sorted((m.order_id, m.kind) for m in report.mismatches) == sorted(
        [(declined, "failure_recorded"), (unreleased, "authorization_voided")]
    )
    assert state(db, provider, declined)[1:] == ("failed", "voided")
    assert state(db, provider, declined)[0] in ("cancelled", "refunded")
    assert state(db, provider, unreleased) == ("cancelled", "voided", "voided")
    assert wallet_data.balance(db, voucher) == 300  # the failed order's voucher came back
    assert provider.captures == 0
    assert sorted(repairs(db)) == sorted(
        [("failure_recorded", f"order:{declined}"), ("authorization_voided", f"order:{unreleased}")]
    )


def test_reconciliation_finishes_refunds(db, settings) -> None:
    provider = CountingProvider()
    carol = new_member(db)
    ids = []
    for _ in range(2):
        order_id, ref = place(db, settings, provider, carol)
        payment_confirmation.confirm_payment(db, provider, ref, settings=settings, now=NOW)
        provider.refuse_refund = True
        cancellation.cancel_order(db, carol, order_id, provider=provider, now=NOW)
        provider.refuse_refund = False
        assert state(db, provider, order_id) == ("refunded", "refund_pending", "captured")
        ids.append((order_id, ref))
    (went_through, ref1), (refused, _ref2) = ids
    provider.refund(ref1, 2000)  # the call reached the provider; we crashed before recording
    report = reconciliation.reconcile(db, provider, settings=settings, now=LATER)
    assert sorted((m.order_id, m.kind, m.repaired) for m in report.mismatches) == sorted(
        [(went_through, "refund_recorded", True), (refused, "refund_retried", True)]
    )
    for order_id, ref in ids:
        remote = provider.lookup(ref)
        assert remote is not None and remote.refunded_cents == 2000  # once, not twice
        payment = orders_data.get_card_payment(db, order_id)
        assert payment is not None and payment.status == "refunded" and payment.refund_ref
    payment1 = orders_data.get_card_payment(db, went_through)
    assert payment1 is not None and payment1.refund_ref == provider.lookup(ref1).refund_ref  # type: ignore[union-attr]
    assert sorted(repairs(db)) == sorted(
        [("refund_recorded", f"order:{went_through}"), ("refund_retried", f"order:{refused}")]
    )


def test_reconciliation_releases_or_refunds_provider_payments_without_an_order(
    db, settings
) -> None:
    provider = CountingProvider()
    back = ReturnInfo(notify_url="http://127.0.0.1:9/provider/notify")
    held, _url = provider.create_payment(1500, "CMD-0000001", back)
    taken, _url = provider.create_payment(900, "CMD-0000002", back)
    for reference in (held, taken):
        page = provider.page(reference)
        assert page is not None
        provider.submit_card(reference, page.csrf_token, CARD)
    provider.capture(taken)
    young = reconciliation.reconcile(db, provider, settings=settings)
    assert young.mismatches == []  # a checkout may be writing its order right now
    report = reconciliation.reconcile(db, provider, settings=settings, now=LATER)
    assert sorted((m.reference, m.kind) for m in report.mismatches) == sorted(
        [(held, "orphan_voided"), (taken, "orphan_refunded")]
    )
    assert provider.status(held) == "voided"
    remote = provider.lookup(taken)
    assert remote is not None and remote.refunded_cents == 900
    assert sorted(repairs(db)) == sorted(
        [
            ("orphan_voided", f"payment:{held}"),
            ("orphan_refunded", f"payment:{taken}"),
        ]
    )


def test_reconciliation_reports_what_it_cannot_repair(db, settings) -> None:
    provider = CountingProvider()
    carol = new_member(db)
    order_id, ref = place(db, settings, provider, carol)
    payment_confirmation.confirm_payment(db, provider, ref, settings=settings, now=NOW)
    provider.refund(ref, 500)  # refunded from the provider's back office
    forgetful = CountingProvider()  # a provider that does not know the payment at all
    at_provider = reconciliation.reconcile(db, provider, settings=settings, now=LATER)
    unknown = reconciliation.reconcile(db, forgetful, settings=settings, now=LATER)
    assert [(m.kind, m.repaired) for m in at_provider.mismatches] == [
        ("refunded_at_provider", False)
    ]
    assert [(m.kind, m.repaired) for m in unknown.mismatches] == [("unknown_at_provider", False)]
    assert "REPORTED" in unknown.text() and ref in unknown.text()
    assert repairs(db) == []  # reported, not repaired: nothing to audit
    assert state(db, provider, order_id)[1] == "captured"


def test_portal_reconcile_prints_the_report(settings, capsys) -> None:
    assert cli.main(["--data-dir", str(settings.data_dir), "reconcile"]) in (0, 1)
    out = capsys.readouterr().out
    assert "payment(s) compared" in out


async def test_the_server_housekeeping_reconciles(services, db, frozen) -> None:
    from portal.ssh.server import PortalServer

    provider = services.payments.provider
    carol = new_member(db)
    order_id, ref = place(db, services.settings, provider, carol)
    assert provider.capture(ref)
    cancellation.cancel_order(db, carol, order_id, provider=provider, now=NOW)
    assert state(db, provider, order_id) == ("cancelled", "voided", "captured")
    frozen.set(LATER)
    await PortalServer(services)._housekeeping()
    assert state(db, provider, order_id) == ("refunded", "refunded", "captured")
    assert repairs(db) == [("capture_refunded", f"order:{order_id}")]
