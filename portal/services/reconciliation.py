"""Reconciliation: compare our card payment rows with the provider's view, and repair.

Our database is consistent with itself by construction (conditional updates inside
``BEGIN IMMEDIATE``), but the provider is a second ledger that a crash, a lost
webhook or a refused call can leave out of step with ours. ``reconcile`` reads both and,
for each mismatch, repairs what has one safe repair and reports the rest:

- ``capture_refunded``: the provider holds money of an order that is cancelled (our row
  ``voided``/``failed``, or ``captured`` on a cancelled order): refunded at once.
- ``capture_recorded``: the provider captured a payment we still show ``authorized`` or
  ``capturing`` (we crashed between the capture and its record): recorded, the order
  validated — or refunded if the order is cancelled.
- ``capture_resumed``: a ``capturing`` (or long ``authorized``) row the provider has not
  captured: the confirmation is run again (the claim makes it safe).
- ``failure_recorded``: the provider voided or declined a payment we still wait for: the
  order is cancelled and its benefits re-credited.
- ``notification_recorded``: the member paid on the provider's page but its notification
  never reached us (a ``pending`` row the provider shows authorized): recorded, and the
  capture follows (the next run, or the confirmer's catch-up).
- ``authorization_voided``: the provider still holds an authorization of a cancelled
  order (our void call failed): released.
- ``refund_recorded`` / ``refund_retried``: a ``refund_pending`` row the provider already
  refunded (we crashed after the call) / has not refunded (the call failed).
- ``orphan_voided`` / ``orphan_refunded``: a stale provider payment with no row of ours
  (the order was never written): released or refunded.
- reported only: ``unknown_at_provider``, ``amount_mismatch``, ``refund_missing``
  (ours refunded, theirs not), ``not_captured_at_provider`` (ours paid, theirs not),
  ``refunded_at_provider`` (ours paid, theirs refunded), and any repair that failed.

Each repair is audited (``payment.reconciled``). Rows and provider payments younger than
``stale_after`` are left alone, except where money is held for a cancelled order: the
confirmer may be working on them. The SSH server runs it in its housekeeping loop;
``portal reconcile`` runs it by hand.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlite_utils import Database

from portal.config import Settings
from portal.data import hosted_payments
from portal.data import orders as orders_data
from portal.data.db import transaction
from portal.data.orders import CardPayment
from portal.services import audit, clock
from portal.services.cancellation import cancel_in_transaction, refund_card
from portal.services.orders import iso, parse_time
from portal.services.payment_confirmation import (
    DECLINED_REASON,
    claim_capture,
    confirm_payment,
    record_payment_result,
)
from portal.services.payments import PaymentProvider, ProviderPayment

log = logging.getLogger(__name__)

__all__ = ["STALE_AFTER", "LOOKBACK", "Mismatch", "ReconciliationReport", "reconcile"]

STALE_AFTER = dt.timedelta(minutes=15)
"""How long the confirmer may take before reconciliation steps in."""
LOOKBACK = dt.timedelta(days=7)
"""How far back settled rows and provider payments are compared."""

_CANCELLED = ("cancelled", "refunded")
_NOT_TAKEN = ("voided", "declined", "insufficient_funds")


@dataclass(frozen=True)
class Mismatch:
    """One difference between our row and the provider's, and what was done about it."""

    reference: str
    kind: str
    repaired: bool
    order_id: int | None = None
    detail: str = ""

    def line(self) -> str:
        """One line for the operator (English: it goes to the log and the CLI)."""
        state = "repaired" if self.repaired else "REPORTED"
        order = f" order {self.order_id}" if self.order_id is not None else ""
        extra = f" ({self.detail})" if self.detail else ""
        return f"{state:<8} {self.kind:<24} {self.reference}{order}{extra}"


@dataclass
class ReconciliationReport:
    """What one run compared and found."""

    checked: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def repaired(self) -> list[Mismatch]:
        """Mismatches repaired (each audited)."""
        return [m for m in self.mismatches if m.repaired]

    @property
    def unresolved(self) -> list[Mismatch]:
        """Mismatches only reported: an operator looks at them."""
        return [m for m in self.mismatches if not m.repaired]

    def text(self) -> str:
        """The report as lines for the operator."""
        head = (
            f"{self.checked} payment(s) compared: {len(self.repaired)} repaired, "
            f"{len(self.unresolved)} to look at"
        )
        return "\n".join([head, *(m.line() for m in self.mismatches)])


def reconcile(
    db: Database,
    provider: PaymentProvider,
    *,
    settings: Settings,
    now: dt.datetime | None = None,
    stale_after: dt.timedelta = STALE_AFTER,
    lookback: dt.timedelta = LOOKBACK,
) -> ReconciliationReport:
    """Compare our card payments with the provider's and repair or report each mismatch.

    Runs in a worker thread, outside any transaction: provider calls are slow, and each
    repair takes its own transaction with conditional updates, so a confirmer or a
    cancellation racing with it can never be undone by it.
    """
    moment = now or clock.now()
    stale_before = moment - stale_after
    report = ReconciliationReport()
    rows = orders_data.payments_to_reconcile(db, created_since=iso(moment - lookback))
    for payment, order_status in rows:
        report.checked += 1
        try:
            remote = provider.lookup(payment.provider_ref)
            found = _compare(
                db, provider, payment, order_status, remote, settings, moment, stale_before
            )
        except Exception as error:
            log.exception("reconciling payment of order %s failed", payment.order_id)
            found = _m(payment, "repair_failed", False, type(error).__name__)
        if found is not None:
            report.mismatches.append(found)
    try:
        listed = provider.list_payments(since=moment - lookback)
    except Exception:
        log.exception("the provider's payment list could not be read")
        listed = []
    known = orders_data.known_provider_refs(db, (p.reference for p in listed))
    for remote in listed:
        if remote.reference in known or remote.created_at > stale_before:
            continue
        report.checked += 1
        try:
            orphan = _orphan(db, provider, remote)
        except Exception as error:
            log.exception("reconciling an orphan provider payment failed")
            orphan = Mismatch(remote.reference, "repair_failed", False, None, type(error).__name__)
        if orphan is not None:
            report.mismatches.append(orphan)
    for mismatch in report.mismatches:
        (log.info if mismatch.repaired else log.warning)("reconciliation: %s", mismatch.line())
    return report


def _m(payment: CardPayment, kind: str, repaired: bool, detail: str = "") -> Mismatch:
    return Mismatch(payment.provider_ref, kind, repaired, payment.order_id, detail)


def _audit(db: Database, payment: CardPayment, repair: str, result: str = "") -> None:
    order = orders_data.get_order(db, payment.order_id)
    audit.record(
        db,
        "payment.reconciled",
        organization_id=order.organization_id if order else None,
        target=f"order:{payment.order_id}",
        repair=repair,
        provider_ref=payment.provider_ref,
        amount_cents=payment.amount_cents,
        previous=payment.status,
        result=result,
    )


def _compare(
    db: Database,
    provider: PaymentProvider,
    payment: CardPayment,
    order_status: str,
    remote: ProviderPayment | None,
    settings: Settings,
    moment: dt.datetime,
    stale_before: dt.datetime,
) -> Mismatch | None:
    """One row against the provider's view: the mismatch found (repaired or not)."""
    status = payment.status
    if status == "pending":
        return _finish_pending(db, payment, remote, moment, stale_before)
    if remote is not None and remote.amount_cents != payment.amount_cents:
        return _m(
            payment, "amount_mismatch", False, f"{payment.amount_cents} != {remote.amount_cents}"
        )
    if status in ("authorized", "capturing"):
        started = payment.capture_started_at if status == "capturing" else payment.created_at
        if started is None or parse_time(started) > stale_before:
            return None  # the confirmer is on it
        return _finish_capture(db, provider, payment, remote, settings, moment)
    if remote is None:
        if status in ("voided", "failed"):
            return None  # nothing held under a reference the provider does not know
        return _m(payment, "unknown_at_provider", False, status)
    if status in ("voided", "failed") or (status == "captured" and order_status in _CANCELLED):
        if remote.money_taken:
            return _refund_now(db, provider, payment, expected=(status,), moment=moment)
        if status in ("voided", "failed") and remote.status in ("authorized", "requires_action"):
            provider.void(payment.provider_ref)
            with transaction(db):
                _audit(db, payment, "authorization_voided", payment.status)
            return _m(payment, "authorization_voided", True)
        return None
    if status == "refund_pending":
        if remote.refunded_cents >= payment.amount_cents:
            with transaction(db):
                if not orders_data.change_payment_status(
                    db,
                    payment.id,
                    "refunded",
                    expected=("refund_pending",),
                    refund_ref=remote.refund_ref,
                    refunded_at=iso(moment),
                ):
                    return None
                _audit(db, payment, "refund_recorded", "refunded")
            return _m(payment, "refund_recorded", True)
        done = refund_card(db, provider, payment)
        if done:
            with transaction(db):
                _audit(db, payment, "refund_retried", "refunded")
        return _m(payment, "refund_retried", done)
    if status == "refunded" and remote.refunded_cents < payment.amount_cents:
        return _m(payment, "refund_missing", False, f"refunded {remote.refunded_cents}")
    if status == "captured":
        if remote.status != "captured":
            return _m(payment, "not_captured_at_provider", False, remote.status)
        if remote.refunded_cents > 0:
            return _m(payment, "refunded_at_provider", False, f"refunded {remote.refunded_cents}")
    return None


def _finish_pending(
    db: Database,
    payment: CardPayment,
    remote: ProviderPayment | None,
    moment: dt.datetime,
    stale_before: dt.datetime,
) -> Mismatch | None:
    """A ``pending`` row (the member pays on the provider's page) whose notification the
    provider has had time to send: record what it says (``notification_recorded``);
    ``expire_abandoned`` handles payments nobody paid."""
    if remote is None or parse_time(payment.created_at) > stale_before:
        return None
    if remote.amount_cents != payment.amount_cents:
        return _m(
            payment, "amount_mismatch", False, f"{payment.amount_cents} != {remote.amount_cents}"
        )
    if remote.status in ("authorized", "captured"):
        with transaction(db):
            if not hosted_payments.record_authorization(
                db, payment.id, brand=remote.brand, last4=remote.last4
            ):
                return None
            _audit(db, payment, "notification_recorded", "authorized")
        return _m(payment, "notification_recorded", True, "authorized")
    if remote.status in _NOT_TAKEN and remote.status != "voided":
        with transaction(db):
            order = orders_data.get_order(db, payment.order_id)
            if order is None or not orders_data.change_payment_status(
                db, payment.id, "failed", expected=("pending",), confirmed_at=iso(moment)
            ):
                return None
            if order.status == "awaiting_payment":
                cancel_in_transaction(db, order, actor_id=None, reason=DECLINED_REASON, now=moment)
            _audit(db, payment, "failure_recorded", "failed")
        return _m(payment, "failure_recorded", True, "failed")
    return None


def _finish_capture(
    db: Database,
    provider: PaymentProvider,
    payment: CardPayment,
    remote: ProviderPayment | None,
    settings: Settings,
    moment: dt.datetime,
) -> Mismatch | None:
    """A stale ``authorized``/``capturing`` row: record what the provider did, or do it."""
    if remote is not None and remote.money_taken:
        kind = "capture_recorded"
        # An authorized row is claimed first, so that no cancellation slips in.
        if (
            payment.status == "authorized"
            and claim_capture(db, payment.provider_ref, now=moment) is None
        ):
            return _after_lost_claim(db, provider, payment, remote, moment)
        record_payment_result(
            db, payment.provider_ref, True, settings=settings, provider=provider, now=moment
        )
    elif remote is not None and remote.status in _NOT_TAKEN:
        kind = "failure_recorded"
        record_payment_result(
            db, payment.provider_ref, False, settings=settings, provider=provider, now=moment
        )
    elif payment.status == "capturing":
        kind = "capture_resumed"
        succeeded = provider.capture(payment.provider_ref)
        record_payment_result(
            db, payment.provider_ref, succeeded, settings=settings, provider=provider, now=moment
        )
    else:
        kind = "capture_resumed"
        confirm_payment(db, provider, payment.provider_ref, settings=settings, now=moment)
    after = orders_data.get_card_payment(db, payment.order_id)
    if after is None or after.status == payment.status:
        return None  # someone else settled it first, or nothing could be done
    with transaction(db):
        _audit(db, payment, kind, after.status)
    return _m(payment, kind, True, after.status)


def _after_lost_claim(
    db: Database,
    provider: PaymentProvider,
    payment: CardPayment,
    remote: ProviderPayment,
    moment: dt.datetime,
) -> Mismatch | None:
    """The provider took the money of an ``authorized`` row we could not claim: the order
    was cancelled meanwhile (the row is now ``voided``), so refund it."""
    fresh = orders_data.get_card_payment(db, payment.order_id)
    if fresh is None or fresh.status not in ("voided", "failed") or not remote.money_taken:
        return None
    return _refund_now(db, provider, fresh, expected=(fresh.status,), moment=moment)


def _refund_now(
    db: Database,
    provider: PaymentProvider,
    payment: CardPayment,
    *,
    expected: tuple[str, ...],
    moment: dt.datetime,
) -> Mismatch | None:
    """The provider holds money of a cancelled order: owe the refund, then make it."""
    with transaction(db):
        if not orders_data.change_payment_status(
            db, payment.id, "refund_pending", expected=expected
        ):
            return None
        orders_data.change_status(
            db, payment.order_id, "refunded", expected=("cancelled",), refunded_at=iso(moment)
        )
        _audit(db, payment, "capture_refunded", "refund_pending")
    fresh = orders_data.get_card_payment(db, payment.order_id)
    assert fresh is not None
    done = refund_card(db, provider, fresh)
    return _m(payment, "capture_refunded", done, "" if done else "refund pending")


def _orphan(db: Database, provider: PaymentProvider, remote: ProviderPayment) -> Mismatch | None:
    """A stale provider payment with no row of ours: no order was written for it."""
    if remote.status in ("created", "authorized", "requires_action"):
        provider.void(remote.reference)
        kind = "orphan_voided"
    elif remote.money_taken:
        provider.refund(remote.reference, remote.amount_cents - remote.refunded_cents)
        kind = "orphan_refunded"
    else:
        return None
    with transaction(db):
        audit.record(
            db,
            "payment.reconciled",
            target=f"payment:{remote.reference}",
            repair=kind,
            provider_ref=remote.reference,
            amount_cents=remote.amount_cents,
        )
    return Mismatch(remote.reference, kind, True)
