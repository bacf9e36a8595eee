"""The provider's confirmation of a card payment, and what it does to the order.

Confirmation is asynchronous, as with a real provider (which calls a webhook):
``PaymentConfirmer`` waits ``settings.payment_confirm_delay`` seconds with
``loop.call_later`` and then runs ``confirm_payment``:

1. ``claim_capture``: in one transaction, ``authorized -> capturing``, only while the
   order still awaits payment. A cancellation that comes later sees ``capturing`` and is
   refused (``cancellation.CAPTURE_IN_PROGRESS``); one that came earlier voided the
   payment, so nothing is claimed and the provider is never asked to capture.
2. ``provider.confirmation``: the capture, outside any transaction (the provider is slow).
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
from portal.data import orders as orders_data
from portal.data.db import Store, transaction
from portal.data.orders import CardPayment
from portal.services import audit, clock
from portal.services.cancellation import cancel_in_transaction, refund_card
from portal.services.fulfilment import validate
from portal.services.orders import OrderDetail, iso, order_detail
from portal.services.payments import ConfirmedCallback, PaymentProvider

log = logging.getLogger(__name__)

__all__ = [
    "PaymentConfirmer",
    "awaiting_confirmation",
    "claim_capture",
    "confirm_payment",
    "record_payment_result",
]


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
    succeeded = provider.confirmation(provider_ref)
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
        done = self._pending.pop(reference, None)
        result = None
        try:
            result = await self.store.run(
                confirm_payment, self.provider, reference, settings=self.settings
            )
        except Exception:
            log.exception("payment confirmation failed for %s", reference)
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
