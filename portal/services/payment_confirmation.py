"""The provider's notifications and confirmation of a card payment, and what they do.

A card payment starts ``pending``: checkout created it at the provider and the member
pays on the provider's page. The provider's signed notification (``/provider/notify``,
``record_notification``) moves it ``pending -> authorized`` with the brand and last four
digits, or ``pending -> failed`` (declined, insufficient funds, wrong 3-D Secure code)
and the order is cancelled with its benefits re-credited. A payment nobody pays
expires after ``settings.payment_timeout`` (``expire_abandoned``, from the server's
housekeeping): voided at the provider, the order cancelled, its benefits released.

Then the capture is asynchronous, as with a real provider:
``PaymentConfirmer`` waits ``settings.payment_confirm_delay`` seconds with
``loop.call_later`` and then runs ``confirm_payment``:

1. ``claim_capture``: in one transaction, ``authorized -> capturing``, only while the
   order still awaits payment. A cancellation that comes later sees ``capturing`` and is
   refused (``cancellation.CAPTURE_IN_PROGRESS``); one that came earlier voided the
   payment, so nothing is claimed and the provider is never asked to capture.
2. ``provider.capture``: the capture, outside any transaction (the provider is slow).
3. ``record_payment_result``: in one transaction, ``capturing -> captured`` and the order
   validated (``services.fulfilment``), or ``failed`` and the order cancelled with its
   benefits re-credited. A capture that nevertheless finds its order cancelled (nothing
   should allow it, but money is at stake) is refunded at once and audited.

A crash between 2 and 3 leaves a stale ``capturing`` row: ``services.reconciliation``
asks the provider and finishes it. Tests call ``record_payment_result`` or
``confirm_payment`` directly, or use a confirmer with no delay and ``await
confirmer.idle()``; nothing sleeps.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from portal.config import Settings
from portal.data import hosted_payments
from portal.data import orders as orders_data
from portal.data.db import Store, transaction
from portal.data.orders import CardPayment
from portal.i18n import N_
from portal.services import audit, clock
from portal.services.cancellation import cancel_in_transaction, refund_card
from portal.services.fulfilment import validate
from portal.services.orders import OrderDetail, iso, order_detail
from portal.services.payments import (
    NOTIFICATION_MAX_AGE,
    ConfirmedCallback,
    Notification,
    NotificationRefused,
    PaymentProvider,
)

log = logging.getLogger(__name__)

__all__ = [
    "NotificationOutcome",
    "PaymentConfirmer",
    "awaiting_confirmation",
    "claim_capture",
    "confirm_payment",
    "expire_abandoned",
    "record_notification",
    "record_payment_result",
]

_FAILURE_REASONS = {
    "declined": N_("The bank refused the card payment."),
    "insufficient_funds": N_("The bank refused the card payment: insufficient funds."),
}
"""Cancellation reasons of a refused payment (msgids: the order's screen translates them)."""
DECLINED_REASON = _FAILURE_REASONS["declined"]
EXPIRED_REASON = N_("The card payment was not made in time.")


def awaiting_confirmation(db: Database, *, older_than: float = 0.0) -> list[str]:
    """Provider references of card payments still waiting for their confirmation."""
    cutoff = clock.now() - dt.timedelta(seconds=older_than)
    return [ref for _id, ref in orders_data.awaiting_payment(db, created_before=iso(cutoff))]


def claim_capture(
    db: Database, provider_ref: str, *, now: dt.datetime | None = None
) -> CardPayment | None:
    """Claim a payment for its capture (``authorized -> capturing``) in one transaction.

    Returns the claimed payment, or None when there is nothing to capture: unknown
    reference, order no longer awaiting payment (cancelled first: the payment is voided),
    or another confirmation claimed it already.
    """
    moment = now or clock.now()
    with transaction(db):
        payment = orders_data.get_card_payment_by_ref(db, provider_ref)
        if payment is None:
            log.warning("confirmation for an unknown payment reference")
            return None
        order = orders_data.get_order(db, payment.order_id)
        if order is None or order.status != "awaiting_payment":
            return None
        if not orders_data.change_payment_status(
            db, payment.id, "capturing", expected=("authorized",), capture_started_at=iso(moment)
        ):
            return None
    return orders_data.get_card_payment(db, payment.order_id)


def confirm_payment(
    db: Database,
    provider: PaymentProvider,
    provider_ref: str,
    *,
    settings: Settings,
    now: dt.datetime | None = None,
) -> OrderDetail | None:
    """Claim, capture at the provider, record: one payment's whole confirmation.

    Runs in a worker thread. If the provider call fails the payment stays ``capturing``
    (the outcome is unknown) until the reconciliation job asks the provider.
    """
    claimed = claim_capture(db, provider_ref, now=now)
    if claimed is None:
        payment = orders_data.get_card_payment_by_ref(db, provider_ref)
        return None if payment is None else order_detail(db, payment.order_id)
    succeeded = provider.capture(provider_ref)
    return record_payment_result(
        db, provider_ref, succeeded, settings=settings, provider=provider, now=now
    )


def record_payment_result(
    db: Database,
    provider_ref: str,
    succeeded: bool,
    *,
    settings: Settings,
    provider: PaymentProvider | None = None,
    now: dt.datetime | None = None,
) -> OrderDetail | None:
    """Record the provider's confirmation of a card payment (asynchronous, idempotent).

    Success validates the order. Failure cancels it and re-credits the benefits it used.
    A confirmation for a payment already settled (voided by a cancellation, captured,
    failed) changes nothing. A capture whose order is no longer awaiting payment is
    refunded at once through ``provider`` (without one it stays ``refund_pending`` for
    ``retry_refunds`` and the reconciliation job).
    """
    moment = now or clock.now()
    refund: CardPayment | None = None
    with transaction(db):
        payment = orders_data.get_card_payment_by_ref(db, provider_ref)
        if payment is None:
            log.warning("confirmation for an unknown payment reference")
            return None
        order = orders_data.get_order(db, payment.order_id)
        assert order is not None
        if payment.status not in ("authorized", "capturing"):
            return order_detail(db, order.id)
        if order.status != "awaiting_payment":
            if payment.status == "capturing" and succeeded:
                refund = _refund_orphan_capture(db, payment, order, moment)
            elif payment.status == "capturing":
                orders_data.change_payment_status(
                    db, payment.id, "failed", expected=("capturing",), confirmed_at=iso(moment)
                )
            else:
                return order_detail(db, order.id)
        elif succeeded:
            orders_data.change_payment_status(
                db,
                payment.id,
                "captured",
                expected=("authorized", "capturing"),
                confirmed_at=iso(moment),
            )
            validate(db, order.id, settings=settings, now=moment)
        else:
            orders_data.change_payment_status(
                db,
                payment.id,
                "failed",
                expected=("authorized", "capturing"),
                confirmed_at=iso(moment),
            )
            cancel_in_transaction(db, order, actor_id=None, reason="payment failed", now=moment)
            audit.record(
                db,
                "order.payment_failed",
                organization_id=order.organization_id,
                target=f"order:{order.id}",
            )
    if refund is not None:
        if provider is None:
            log.warning("capture of cancelled order %s left for retry_refunds", order.id)
        else:
            refund_card(db, provider, refund)
    return order_detail(db, payment.order_id)


def _refund_orphan_capture(
    db: Database, payment: CardPayment, order: orders_data.Order, moment: dt.datetime
) -> CardPayment:
    """A capture found its order cancelled: owe the refund, in the caller's transaction."""
    orders_data.change_payment_status(
        db, payment.id, "refund_pending", expected=("capturing",), confirmed_at=iso(moment)
    )
    if order.status == "cancelled":
        orders_data.change_status(
            db, order.id, "refunded", expected=("cancelled",), refunded_at=iso(moment)
        )
    audit.record(
        db,
        "order.capture_refunded",
        organization_id=order.organization_id,
        target=f"order:{order.id}",
        order_status=order.status,
        card_refund_cents=payment.amount_cents,
    )
    log.error("card captured for order %s no longer awaiting payment: refunding", order.id)
    fresh = orders_data.get_card_payment(db, order.id)
    assert fresh is not None
    return fresh


# -- the provider's notifications and abandoned payments ---------------------------------


@dataclass(frozen=True)
class NotificationOutcome:
    """What a recorded notification asks of the caller (on the event loop)."""

    order_id: int
    capture: bool = False
    """The payment is authorized: schedule its capture."""
    void: bool = False
    """The provider authorized a payment whose order is gone: release it."""


def record_notification(
    db: Database, notification: Notification, *, now: dt.datetime | None = None
) -> NotificationOutcome | None:
    """Record a verified notification, once (idempotent; a replayed nonce is refused).

    Returns what to do next, or None for a payment we do not know (logged).

    Raises:
        NotificationRefused: the nonce was seen before (a replay), or the amount is not
            the payment's.
    """
    moment = now or clock.now()
    with transaction(db):
        if not hosted_payments.remember_nonce(
            db, notification.nonce, notification.reference, iso(moment)
        ):
            raise NotificationRefused("replayed notification")
        payment = orders_data.get_card_payment_by_ref(db, notification.reference)
        if payment is None:
            log.warning("notification for an unknown payment reference")
            return None
        if notification.amount_cents != payment.amount_cents:
            log.error("notification amount differs from payment of order %s", payment.order_id)
            raise NotificationRefused("amount mismatch")
        order = orders_data.get_order(db, payment.order_id)
        assert order is not None
        authorized = notification.status == "authorized"
        if payment.status != "pending":
            # A repeated notification (new nonce) or one for a payment expired or
            # cancelled meanwhile: release an authorization nobody will capture.
            return NotificationOutcome(
                order.id, void=authorized and payment.status in ("voided", "failed")
            )
        if order.status != "awaiting_payment":
            orders_data.change_payment_status(
                db, payment.id, "voided", expected=("pending",), confirmed_at=iso(moment)
            )
            return NotificationOutcome(order.id, void=authorized)
        if authorized:
            hosted_payments.record_authorization(
                db, payment.id, brand=notification.brand, last4=notification.last4
            )
            audit.record(
                db,
                "order.payment_authorized",
                organization_id=order.organization_id,
                target=f"order:{order.id}",
                provider_ref=payment.provider_ref,
            )
            return NotificationOutcome(order.id, capture=True)
        orders_data.change_payment_status(
            db, payment.id, "failed", expected=("pending",), confirmed_at=iso(moment)
        )
        cancel_in_transaction(
            db,
            order,
            actor_id=None,
            reason=_FAILURE_REASONS.get(notification.status, _FAILURE_REASONS["declined"]),
            now=moment,
        )
        audit.record(
            db,
            "order.payment_failed",
            organization_id=order.organization_id,
            target=f"order:{order.id}",
            outcome=notification.status,
        )
    return NotificationOutcome(order.id)


def expire_abandoned(
    db: Database, provider: PaymentProvider, *, now: dt.datetime | None = None
) -> list[int]:
    """Expire the ``pending`` payments whose time is up; returns their orders' ids.

    Each is first looked up at the provider: one the member did pay (its notification
    was lost or is late) is recorded as authorized instead (its capture follows through
    the confirmer or the reconciliation). The others are voided at the provider — so its
    page refuses them from then on — and their order is cancelled, its benefits
    re-credited, in one transaction per order. Runs in a worker thread.
    """
    moment = now or clock.now()
    expired: list[int] = []
    hosted_payments.forget_nonces(
        db, before=iso(moment - dt.timedelta(seconds=4 * NOTIFICATION_MAX_AGE))
    )
    for pending in hosted_payments.expired_pending(db, now=iso(moment)):
        remote = provider.lookup(pending.provider_ref) if pending.has_page else None
        if remote is not None and remote.status in ("authorized", "captured"):
            with transaction(db):
                hosted_payments.record_authorization(
                    db, pending.payment_id, brand=remote.brand, last4=remote.last4 or ""
                )
            log.warning("payment of order %s authorized without notification", pending.order_id)
            continue
        if pending.has_page:
            provider.void(pending.provider_ref)
        with transaction(db):
            order = orders_data.get_order(db, pending.order_id)
            if order is None or not orders_data.change_payment_status(
                db, pending.payment_id, "voided", expected=("pending",), confirmed_at=iso(moment)
            ):
                continue
            if order.status == "awaiting_payment":
                cancel_in_transaction(db, order, actor_id=None, reason=EXPIRED_REASON, now=moment)
            audit.record(
                db,
                "order.payment_expired",
                organization_id=order.organization_id,
                target=f"order:{order.id}",
            )
        expired.append(pending.order_id)
    if expired:
        log.info("%d abandoned card payment(s) expired", len(expired))
    return expired


# -- the confirmation timer -------------------------------------------------------------


@dataclass
class PaymentConfirmer:
    """Records each payment's confirmation ``delay`` seconds after it was authorized.

    Lives for the process (not a session): a member who logs out still gets their order
    validated. ``schedule`` must be called on the event loop.
    """

    store: Store
    provider: PaymentProvider
    settings: Settings
    delay: float | None = None
    """Seconds to wait (default ``settings.payment_confirm_delay``)."""
    _pending: dict[str, asyncio.Future[Any]] = field(default_factory=dict)
    _handles: dict[str, asyncio.TimerHandle] = field(default_factory=dict)

    def schedule(self, reference: str, on_done: ConfirmedCallback | None = None) -> None:
        """Confirm the payment ``reference`` after the delay, then call ``on_done``."""
        loop = asyncio.get_running_loop()
        delay = self.settings.payment_confirm_delay if self.delay is None else self.delay
        done: asyncio.Future[Any] = self._pending.get(reference) or loop.create_future()
        self._pending[reference] = done
        if on_done is not None:
            done.add_done_callback(lambda f: on_done(None if f.cancelled() else f.result()))
        if reference in self._handles:
            return
        self._handles[reference] = loop.call_later(
            max(0.0, delay), lambda: loop.create_task(self._confirm(reference))
        )

    async def _confirm(self, reference: str) -> None:
        self._handles.pop(reference, None)
        result = None
        try:
            result = await self.store.run(
                confirm_payment, self.provider, reference, settings=self.settings
            )
        except Exception:
            log.exception("payment confirmation failed for %s", reference)
        # Popped only now, so that ``idle`` waits for the capture in progress too.
        done = self._pending.pop(reference, None)
        if done is not None and not done.done():
            done.set_result(result)

    async def catch_up(self) -> int:
        """Schedule confirmations left waiting (after a restart); returns how many."""
        references = await self.store.run(awaiting_confirmation)
        for reference in references:
            self.schedule(reference)
        return len(references)

    async def flush(self) -> None:
        """Confirm every scheduled payment now, without waiting for its delay (tests, shutdown)."""
        loop = asyncio.get_running_loop()
        for reference, handle in list(self._handles.items()):
            handle.cancel()
            del self._handles[reference]
            loop.create_task(self._confirm(reference))
        await self.idle()

    async def idle(self) -> None:
        """Wait until every scheduled confirmation has been recorded (tests)."""
        while self._pending:
            await asyncio.gather(*list(self._pending.values()), return_exceptions=True)

    def close(self) -> None:
        """Forget the timers (the process is stopping; ``catch_up`` resumes them)."""
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()
        for future in self._pending.values():
            if not future.get_loop().is_closed():  # a test's or a stopped server's loop
                future.cancel()
        self._pending.clear()
