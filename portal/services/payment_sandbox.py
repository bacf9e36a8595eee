"""The sandbox payment provider: a hosted payment page running in Portal's process.

It stands for a real provider behind ``services.payments.PaymentProvider``: its page is
served by Portal's own web server (``portal.web.pay``) with the test cards of
``TEST_CARDS``, and it posts its signed notifications to Portal's ``/provider/notify``
through real HTTP, like a provider would. Its payments live in memory (a real provider
keeps them on its side): with several worker processes, the page must be served by the
process that created the payment, so the sandbox is meant for one worker (the default).
The card number and cryptogram given to ``submit_card`` are checked and dropped; only
the brand and last four digits are kept.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import json
import logging
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from portal.i18n import N_
from portal.services import clock
from portal.services.clock import today_paris
from portal.services.payments import (
    NONCE_HEADER,
    NOTIFIED_STATUSES,
    PAY_PATH,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    CardDetails,
    Notification,
    PageRefused,
    ProviderPayment,
    ReturnInfo,
    check_card,
    sign,
    verify_signed,
)

log = logging.getLogger(__name__)

__all__ = ["SANDBOX_3DS_CODE", "TEST_CARDS", "HostedPayment", "SandboxProvider"]


# -- the sandbox -----------------------------------------------------------------------------

TEST_CARDS: dict[str, str] = {
    "4242424242424242": "success",
    "5555555555554444": "success",
    "4000000000000002": "declined",
    "4000000000003220": "3ds",
    "4000000000009995": "insufficient_funds",
}
"""Sandbox test cards and what each does; any other valid number is declined."""
SANDBOX_3DS_CODE = "123456"
"""The one code the sandbox's 3-D Secure page accepts."""

_PAYABLE = ("created",)
_FINAL = ("authorized", "captured", "voided", "declined", "insufficient_funds")


@dataclass(frozen=True)
class HostedPayment:
    """What the sandbox's page shows of one payment (never a card number)."""

    reference: str
    amount_cents: int
    order_ref: str
    beneficiary: str
    status: str
    csrf_token: str
    language: str
    expired: bool
    brand: str
    last4: str


@dataclass
class _Intent:
    amount_cents: int
    order_ref: str
    notify_url: str
    language: str
    expires_at: dt.datetime | None
    csrf_token: str
    status: str = "created"
    brand: str = ""
    last4: str = ""
    created_at: dt.datetime = field(default_factory=clock.now)
    refunded_cents: int = 0
    refund_ref: str | None = None


class SandboxProvider:
    """A hosted-page payment provider that runs in the process (development and tests).

    Args:
        key: The notification signing key (``SecretBox.derive_key(NOTIFY_PURPOSE)``);
            random when omitted (the sandbox both signs and verifies).
        page_base: Public address of the web server serving ``/pay/...``.
        notify_delay: Seconds before a notification is posted (the seed's provider
            takes about 20 minutes; 0 in tests).
        beneficiary: The merchant's name shown on the page.
    """

    name = "sandbox"

    def __init__(
        self,
        key: bytes | None = None,
        *,
        page_base: str = "http://localhost:8080",
        notify_delay: float = 0.0,
        beneficiary: str = "Portal CSE",
    ) -> None:
        self._key = key or secrets.token_bytes(32)
        self.page_base = page_base.rstrip("/")
        self.notify_delay = notify_delay
        self.beneficiary = beneficiary
        self._lock = threading.Lock()
        self._intents: dict[str, _Intent] = {}
        self._deliveries: set[asyncio.Task[None]] = set()

    # -- the merchant's API --------------------------------------------------------------

    def create_payment(
        self, amount_cents: int, order_ref: str, return_info: ReturnInfo
    ) -> tuple[str, str]:
        if amount_cents <= 0:
            raise ValueError("nothing to pay")
        reference = "P" + secrets.token_urlsafe(9)
        with self._lock:
            self._intents[reference] = _Intent(
                amount_cents,
                order_ref,
                return_info.notify_url,
                return_info.language,
                return_info.expires_at,
                secrets.token_urlsafe(24),
            )
        return reference, f"{self.page_base}{PAY_PATH}{reference}"

    def verify_notification(
        self, body: bytes, headers: Mapping[str, str], *, now: dt.datetime | None = None
    ) -> Notification:
        return verify_signed(self._key, body, headers, now=now)

    def capture(self, reference: str) -> bool:
        with self._lock:
            intent = self._intents.get(reference)
            if intent is None:
                return True  # authorized before a restart (a real provider remembers)
            if intent.status == "authorized":
                intent.status = "captured"
            return intent.status == "captured"

    def void(self, reference: str) -> None:
        with self._lock:
            intent = self._intents.get(reference)
            if intent is not None and intent.status in ("created", "requires_action", "authorized"):
                intent.status = "voided"

    def refund(self, reference: str, amount_cents: int) -> str:
        with self._lock:
            refund_ref = "R" + secrets.token_urlsafe(9)
            intent = self._intents.get(reference)
            if intent is not None:
                if intent.status == "authorized":
                    intent.status = "captured"
                if intent.status != "captured":
                    raise ValueError(f"nothing captured to refund ({intent.status})")
                if intent.refunded_cents + amount_cents > intent.amount_cents:
                    raise ValueError("refund larger than the payment")
                intent.refunded_cents += amount_cents
                intent.refund_ref = refund_ref
            return refund_ref

    def lookup(self, reference: str) -> ProviderPayment | None:
        with self._lock:
            intent = self._intents.get(reference)
            return None if intent is None else self._view(reference, intent)

    def list_payments(self, *, since: dt.datetime) -> list[ProviderPayment]:
        with self._lock:
            found = [
                self._view(ref, intent)
                for ref, intent in self._intents.items()
                if intent.created_at >= since
            ]
        return sorted(found, key=lambda p: p.created_at)

    @staticmethod
    def _view(reference: str, intent: _Intent) -> ProviderPayment:
        return ProviderPayment(
            reference,
            intent.status,
            intent.amount_cents,
            intent.refunded_cents,
            intent.created_at,
            intent.refund_ref,
            intent.brand,
            intent.last4,
        )

    def status(self, reference: str) -> str | None:
        """The sandbox's own view of a payment (tests)."""
        with self._lock:
            intent = self._intents.get(reference)
            return None if intent is None else intent.status

    # -- the payer's page ----------------------------------------------------------------

    def page(self, reference: str, *, now: dt.datetime | None = None) -> HostedPayment | None:
        """What the page shows of a payment, or None for an unknown reference."""
        moment = now or clock.now()
        with self._lock:
            intent = self._intents.get(reference)
            if intent is None:
                return None
            expired = intent.expires_at is not None and moment >= intent.expires_at
            return HostedPayment(
                reference,
                intent.amount_cents,
                intent.order_ref,
                self.beneficiary,
                intent.status,
                intent.csrf_token,
                intent.language,
                expired and intent.status in ("created", "requires_action"),
                intent.brand,
                intent.last4,
            )

    def _open(
        self,
        reference: str,
        csrf_token: str,
        expected: tuple[str, ...],
        now: dt.datetime | None = None,
    ) -> _Intent:
        """The intent a form may act on (call with the lock held)."""
        intent = self._intents.get(reference)
        if intent is None or not hmac.compare_digest(intent.csrf_token, csrf_token):
            raise PageRefused(N_("This form has expired: open the payment page again."))
        if intent.status == "voided" or (
            intent.expires_at is not None
            and (now or clock.now()) >= intent.expires_at
            and intent.status in ("created", "requires_action")
        ):
            raise PageRefused(N_("This payment has expired: nothing was charged."))
        if intent.status not in expected:
            raise PageRefused(N_("This payment has already been made or refused."))
        return intent

    def submit_card(
        self,
        reference: str,
        csrf_token: str,
        card: CardDetails,
        *,
        now: dt.datetime | None = None,
    ) -> str:
        """The payer's card form: check it, then what the bank says.

        Returns the new status: ``authorized``, ``requires_action`` (3-D Secure),
        ``declined`` or ``insufficient_funds``. Only the brand and last four digits are
        kept; the number and the cryptogram end with this call.

        Raises:
            UserError: a card number, expiry or cryptogram that is not valid (the form
                is shown again; nothing changes).
            PageRefused: the payment expired, was paid or refused already, bad token.
        """
        brand, last4 = check_card(card, today_paris(now))
        outcome = TEST_CARDS.get(card.digits, "declined")
        with self._lock:
            intent = self._open(reference, csrf_token, _PAYABLE, now)
            intent.brand, intent.last4 = brand, last4
            intent.status = {"success": "authorized", "3ds": "requires_action"}.get(
                outcome, outcome
            )
            return intent.status

    def submit_code(
        self, reference: str, csrf_token: str, code: str, *, now: dt.datetime | None = None
    ) -> str:
        """The 3-D Secure page: the right code authorizes, a wrong one declines."""
        with self._lock:
            intent = self._open(reference, csrf_token, ("requires_action",), now)
            intent.status = "authorized" if code.strip() == SANDBOX_3DS_CODE else "declined"
            return intent.status

    # -- notifications -------------------------------------------------------------------

    def notification(
        self, reference: str, *, now: dt.datetime | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The signed notification of a payment's outcome: (body, headers)."""
        with self._lock:
            intent = self._intents[reference]
            status = "authorized" if intent.status == "captured" else intent.status
            if status not in NOTIFIED_STATUSES:
                raise ValueError(f"nothing to notify ({intent.status})")
            body = json.dumps(
                {
                    "reference": reference,
                    "order_ref": intent.order_ref,
                    "status": status,
                    "amount_cents": intent.amount_cents,
                    "brand": intent.brand,
                    "last4": intent.last4,
                },
                sort_keys=True,
            ).encode()
        timestamp = str(int((now or clock.now()).timestamp()))
        nonce = secrets.token_hex(16)
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            NONCE_HEADER: nonce,
            SIGNATURE_HEADER: sign(self._key, timestamp, nonce, body),
        }
        return body, headers

    def notify_url(self, reference: str) -> str:
        """Where the notification of ``reference`` goes (as given at creation)."""
        with self._lock:
            return self._intents[reference].notify_url

    def send_notification(self, reference: str, *, deliver_to: str | None = None) -> None:
        """Post the outcome to the merchant, after ``notify_delay``, retrying a little.

        Must be called on the event loop. ``deliver_to`` replaces the scheme, host and
        port of the notification address (the sandbox runs in Portal's process and posts
        through the port it is bound to, whatever the public address).
        """
        task = asyncio.get_running_loop().create_task(self._deliver(reference, deliver_to))
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def _deliver(self, reference: str, deliver_to: str | None) -> None:
        import aiohttp
        from yarl import URL

        url = URL(self.notify_url(reference))
        if deliver_to:
            url = URL(deliver_to).with_path(url.path)
        if self.notify_delay > 0:
            await asyncio.sleep(self.notify_delay)  # the provider's own pace, not a test wait
        timeout = aiohttp.ClientTimeout(total=10)
        for attempt in range(5):
            body, headers = self.notification(reference)
            try:
                async with (
                    aiohttp.ClientSession(timeout=timeout) as session,
                    session.post(url, data=body, headers=headers) as response,
                ):
                    if response.status < 300:
                        return
                    log.warning("notification of a payment refused: HTTP %d", response.status)
                    if 400 <= response.status < 500 and response.status != 429:
                        return  # the merchant refuses it: retrying changes nothing
            except (aiohttp.ClientError, TimeoutError) as error:
                log.warning("notification of a payment not delivered: %s", type(error).__name__)
            await asyncio.sleep(min(30.0, 0.5 * 2**attempt))
        log.error("notification of a payment given up after 5 tries")

    async def drain(self) -> None:
        """Wait until every notification in flight has been delivered (tests, shutdown)."""
        while self._deliveries:
            await asyncio.gather(*list(self._deliveries), return_exceptions=True)

    def close(self) -> None:
        """Stop deliveries in flight (reconciliation catches up with what they said)."""
        for task in list(self._deliveries):
            if not task.get_loop().is_closed():
                task.cancel()
        self._deliveries.clear()
