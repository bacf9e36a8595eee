"""Card payments on the provider's hosted page: the provider interface and the sandbox.

The card number never reaches Portal (PCI DSS SAQ-A): checkout asks the provider to
create a payment (``create_payment``) and shows the member the address of the
provider's own page (a short link and a QR code); the member types the card there, on
their phone or browser, answers 3-D Secure, and the provider tells Portal the outcome
server-to-server, with a signed notification that Portal checks with
``verify_notification`` (HMAC-SHA256 over timestamp, nonce and body; stale ones are
refused here, replayed ones by the receiving endpoint, which remembers nonces). Portal
keeps the provider's reference, the brand and the last four digits only.

Then, as before: ``capture`` takes the money once the order is confirmed (through the
state machine of ``services.payment_confirmation``), ``void`` releases an
authorization, ``refund`` gives money back, ``lookup``/``list_payments`` give the
provider's view to ``services.reconciliation``.

``services.payment_sandbox.SandboxProvider`` is such a provider running in the process
(its page is ``portal.web.pay``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from portal.i18n import N_
from portal.services import clock
from portal.services.errors import UserError

log = logging.getLogger(__name__)

__all__ = [
    "CardDetails",
    "Confirmations",
    "ConfirmedCallback",
    "Notification",
    "NotificationRefused",
    "NOTIFY_PATH",
    "PAY_PATH",
    "PageRefused",
    "PaymentDeclined",
    "PaymentProvider",
    "PaymentWatch",
    "PaymentsRuntime",
    "ProviderPayment",
    "ReturnInfo",
    "card_brand",
    "check_card",
    "luhn_ok",
]

PAY_PATH = "/pay/"
"""Where the sandbox's payment page lives (``/pay/<reference>``)."""
NOTIFY_PATH = "/provider/notify"
"""Where Portal receives the provider's signed notifications."""
NOTIFY_PURPOSE = "payments.sandbox.notifications"
"""The ``SecretBox.derive_key`` purpose of the sandbox's notification key."""
NOTIFICATION_MAX_AGE = 300.0
"""Seconds a notification stays acceptable (a stale or future one is refused)."""
SIGNATURE_HEADER = "Provider-Signature"
TIMESTAMP_HEADER = "Provider-Timestamp"
NONCE_HEADER = "Provider-Nonce"
NOTIFIED_STATUSES = ("authorized", "declined", "insufficient_funds")
"""What a notification may say about a payment."""


class PaymentDeclined(UserError):
    """The provider refused the payment (declined, insufficient funds, failed 3-D Secure)."""


class PageRefused(UserError):
    """The payment page cannot take this submission (expired, paid already, bad token)."""


class NotificationRefused(Exception):
    """A notification that is not the provider's, or too old (the reason is for the log)."""


@dataclass(frozen=True, repr=False)
class CardDetails:
    """What the payer typed on the provider's page. Lives only in that request's memory."""

    number: str
    expiry: str
    """``MM/YY`` (``MM/YYYY`` accepted)."""
    cvc: str

    def __repr__(self) -> str:
        return f"CardDetails(number=****{self.digits[-4:]}, expiry=**/**, cvc=***)"

    __str__ = __repr__

    @property
    def digits(self) -> str:
        """The number without spaces or dashes."""
        return "".join(ch for ch in self.number if ch not in " -")


@dataclass(frozen=True)
class ReturnInfo:
    """What the merchant tells the provider when it creates a payment."""

    notify_url: str
    """Where the provider posts its signed notification (Portal's ``/provider/notify``)."""
    language: str = "fr"
    """The payer's language on the provider's page."""
    expires_at: dt.datetime | None = None
    """After this the page refuses to take the payment (the order expires with it)."""


@dataclass(frozen=True)
class ProviderPayment:
    """The provider's own view of one payment (what reconciliation compares with ours)."""

    reference: str
    status: str
    """``created`` (the payer has not paid yet), ``requires_action`` (3-D Secure),
    ``authorized``, ``captured``, ``voided``, ``declined``, ``insufficient_funds``. A
    refund leaves a payment ``captured`` with ``refunded_cents`` > 0."""
    amount_cents: int
    refunded_cents: int
    created_at: dt.datetime
    refund_ref: str | None = None
    """The reference of the latest refund, if any."""
    brand: str = ""
    last4: str = ""

    @property
    def money_taken(self) -> bool:
        """True when the provider holds money of this payment not given back."""
        return self.status == "captured" and self.refunded_cents < self.amount_cents


@dataclass(frozen=True)
class Notification:
    """A provider's notification, once its signature and age are checked."""

    reference: str
    status: str
    """One of ``NOTIFIED_STATUSES``."""
    amount_cents: int
    brand: str
    last4: str
    nonce: str
    sent_at: dt.datetime


class PaymentProvider(Protocol):
    """What Portal needs from a card payment provider with a hosted page."""

    name: str

    def create_payment(
        self, amount_cents: int, order_ref: str, return_info: ReturnInfo
    ) -> tuple[str, str]:
        """Create a payment the payer makes on the provider's page: (reference, page URL)."""
        ...

    def verify_notification(
        self, body: bytes, headers: Mapping[str, str], *, now: dt.datetime | None = None
    ) -> Notification:
        """Check a notification's signature and age; ``NotificationRefused`` otherwise."""
        ...

    def capture(self, reference: str) -> bool:
        """Take the money of an authorized payment: True when it is taken."""
        ...

    def void(self, reference: str) -> None:
        """Release a payment not captured (and close its page)."""
        ...

    def refund(self, reference: str, amount_cents: int) -> str:
        """Give back money taken; returns the refund's reference."""
        ...

    def lookup(self, reference: str) -> ProviderPayment | None:
        """The provider's view of one payment, or None when it does not know it."""
        ...

    def list_payments(self, *, since: dt.datetime) -> list[ProviderPayment]:
        """The payments the provider created since ``since``, oldest first."""
        ...


# -- card checks (on the provider's page) ----------------------------------------------------


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of a card number."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_brand(digits: str) -> str:
    """The card network, from the number's prefix."""
    if digits.startswith("4"):
        return "Visa"
    if digits[:2] in {"51", "52", "53", "54", "55"} or (
        digits[:4].isdigit() and 2221 <= int(digits[:4]) <= 2720
    ):
        return "Mastercard"
    if digits[:2] in {"34", "37"}:
        return "American Express"
    return "Card"


def check_card(card: CardDetails, today: dt.date) -> tuple[str, str]:
    """Validate number, expiry and CVC; returns (brand, last4) or raises ``UserError``."""
    digits = card.digits
    if not digits.isdigit() or not 12 <= len(digits) <= 19 or not luhn_ok(digits):
        raise UserError(N_("The card number is not valid."))
    month_text, _sep, year_text = card.expiry.strip().partition("/")
    if not (month_text.strip().isdigit() and year_text.strip().isdigit()):
        raise UserError(N_("Write the expiry date as MM/YY."))
    month, year = int(month_text), int(year_text)
    if year < 100:
        year += 2000
    if not 1 <= month <= 12:
        raise UserError(N_("Write the expiry date as MM/YY."))
    if (year, month) < (today.year, today.month):
        raise UserError(N_("This card has expired."))
    brand = card_brand(digits)
    cvc_length = 4 if brand == "American Express" else 3
    if not (card.cvc.isdigit() and len(card.cvc) == cvc_length):
        raise UserError(N_("The security code (CVC) must be {n} digits."), n=cvc_length)
    return brand, digits[-4:]


# -- signed notifications --------------------------------------------------------------------


def sign(key: bytes, timestamp: str, nonce: str, body: bytes) -> str:
    """The signature header's value: ``v1=`` and HMAC-SHA256 of ``ts.nonce.body``."""
    mac = hmac.new(key, f"{timestamp}.{nonce}.".encode("ascii") + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify_signed(
    key: bytes, body: bytes, headers: Mapping[str, str], *, now: dt.datetime | None = None
) -> Notification:
    """Check a signed notification (signature first, then age, then content).

    Raises:
        NotificationRefused: unsigned, forged, stale or malformed.
    """
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    nonce = headers.get(NONCE_HEADER, "")
    signature = headers.get(SIGNATURE_HEADER, "")
    if not (timestamp.isdigit() and 16 <= len(nonce) <= 64 and nonce.isalnum() and signature):
        raise NotificationRefused("unsigned notification")
    if not hmac.compare_digest(sign(key, timestamp, nonce, body), signature):
        raise NotificationRefused("bad signature")
    sent_at = dt.datetime.fromtimestamp(int(timestamp), dt.UTC)
    age = ((now or clock.now()) - sent_at).total_seconds()
    if abs(age) > NOTIFICATION_MAX_AGE:
        raise NotificationRefused("stale notification")
    try:
        data = json.loads(body)
        notification = Notification(
            reference=str(data["reference"]),
            status=str(data["status"]),
            amount_cents=int(data["amount_cents"]),
            brand=str(data.get("brand", ""))[:20],
            last4=str(data.get("last4", "")),
            nonce=nonce,
            sent_at=sent_at,
        )
    except (ValueError, KeyError, TypeError) as error:
        raise NotificationRefused("malformed notification") from error
    if notification.status not in NOTIFIED_STATUSES or not (
        notification.last4 == "" or (len(notification.last4) == 4 and notification.last4.isdigit())
    ):
        raise NotificationRefused("malformed notification")
    return notification


# -- following payments live -----------------------------------------------------------------


class PaymentWatch:
    """Callbacks of screens following an order's payment, in this process.

    The notification endpoint and the confirmer publish an order's id when its payment
    changes; the order detail screen subscribes and reads the order again. Used on the
    event loop only (no lock).
    """

    def __init__(self) -> None:
        self._subscribers: dict[int, list[Callable[[], None]]] = {}

    def subscribe(self, order_id: int, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` at each change of the order's payment; returns the unsubscribe."""
        self._subscribers.setdefault(order_id, []).append(callback)

        def unsubscribe() -> None:
            callbacks = self._subscribers.get(order_id, [])
            if callback in callbacks:
                callbacks.remove(callback)
            if not callbacks:
                self._subscribers.pop(order_id, None)

        return unsubscribe

    def publish(self, order_id: int) -> None:
        """Tell the order's followers that its payment changed."""
        for callback in list(self._subscribers.get(order_id, [])):
            try:
                callback()
            except Exception:
                log.exception("a payment follower failed")


# -- asynchronous confirmation ---------------------------------------------------------------

ConfirmedCallback = Callable[[Any], None]
"""Called on the event loop with the order detail (or None) once a payment is settled."""


class Confirmations(Protocol):
    """What the process's payment confirmer does (``services.payment_confirmation``).

    The confirmer records a confirmation into its order, so it lives on the orders side;
    payments only know this interface.
    """

    def schedule(self, reference: str, on_done: ConfirmedCallback | None = None) -> None:
        """Confirm the payment ``reference`` after the delay, then call ``on_done``."""
        ...

    async def catch_up(self) -> int:
        """Schedule confirmations left waiting (after a restart); returns how many."""
        ...

    async def flush(self) -> None:
        """Confirm every scheduled payment now, without waiting for its delay."""
        ...

    async def idle(self) -> None:
        """Wait until every scheduled confirmation has been recorded."""
        ...

    def close(self) -> None:
        """Forget the timers (the process is stopping)."""
        ...


@dataclass
class PaymentsRuntime:
    """The process's payment provider, confirmer and live followers (``services.payments``)."""

    provider: PaymentProvider
    confirmer: Confirmations
    watch: PaymentWatch = field(default_factory=PaymentWatch)

    def close(self) -> None:
        """Stop pending timers and deliveries."""
        self.confirmer.close()
        closer = getattr(self.provider, "close", None)
        if callable(closer):
            closer()
