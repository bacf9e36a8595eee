"""Card payments: the provider interface, the built-in sandbox, and the confirmation timer.

The card number and CVC go from the checkout form straight to ``provider.tokenize`` and
are dropped there: the rest of Portal only ever sees a provider token or reference, the
brand and the last four digits. ``CardDetails`` masks itself in ``repr`` so that even a
debugging print cannot leak the number.

Payment confirmation is asynchronous, as with a real provider (which calls a webhook); it
acts on the order, so it lives on the orders side (``services.payment_confirmation``)
and payments only name its interface (``Confirmations``).

The provider also answers what it holds for a reference (``lookup``) and lists its
recent payments (``list_payments``): the reconciliation job
(``services.reconciliation``) compares that view with our payment rows.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from portal.i18n import N_
from portal.services import clock
from portal.services.clock import today_paris
from portal.services.errors import UserError

log = logging.getLogger(__name__)

__all__ = [
    "Authorization",
    "CardDetails",
    "CardToken",
    "Confirmations",
    "ConfirmedCallback",
    "PaymentDeclined",
    "PaymentProvider",
    "PaymentsRuntime",
    "ProviderPayment",
    "SandboxProvider",
    "TEST_CARDS",
    "card_brand",
    "luhn_ok",
]


class PaymentDeclined(UserError):
    """The provider refused the payment (declined, insufficient funds, failed 3-D Secure)."""


@dataclass(frozen=True, repr=False)
class CardDetails:
    """What the member typed. Lives only in memory, only until ``tokenize``."""

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
class CardToken:
    """A provider's stand-in for a card: safe to pass around, never a card number."""

    provider: str
    token: str
    brand: str
    last4: str


@dataclass(frozen=True)
class Authorization:
    """The provider's answer to a payment request."""

    provider: str
    reference: str
    status: str
    """``authorized``, ``requires_action`` (3-D Secure), ``declined`` or ``insufficient_funds``."""
    amount_cents: int
    brand: str
    last4: str


@dataclass(frozen=True)
class ProviderPayment:
    """The provider's own view of one payment (what reconciliation compares with ours)."""

    reference: str
    status: str
    """``authorized``, ``requires_action``, ``captured``, ``voided``, ``declined``,
    ``insufficient_funds``. A refund leaves a payment ``captured`` with
    ``refunded_cents`` > 0."""
    amount_cents: int
    refunded_cents: int
    created_at: dt.datetime
    refund_ref: str | None = None
    """The reference of the latest refund, if any."""

    @property
    def money_taken(self) -> bool:
        """True when the provider holds money of this payment not given back."""
        return self.status == "captured" and self.refunded_cents < self.amount_cents


class PaymentProvider(Protocol):
    """What Portal needs from a card payment provider (the sandbox, or a real one)."""

    name: str

    def tokenize(self, card: CardDetails, *, today: dt.date | None = None) -> CardToken:
        """Check a card (Luhn, expiry, CVC) and exchange it for a token; ``UserError`` if invalid."""
        ...

    def authorize(self, token: CardToken, amount_cents: int, *, reference: str) -> Authorization:
        """Ask to take ``amount_cents`` from the card."""
        ...

    def complete_authentication(self, reference: str, code: str) -> Authorization:
        """Answer a 3-D Secure challenge."""
        ...

    def confirmation(self, reference: str) -> bool:
        """What the provider's asynchronous confirmation says: True when the money is taken."""
        ...

    def void(self, reference: str) -> None:
        """Release an authorization not yet confirmed."""
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


# -- card checks -----------------------------------------------------------------------------


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


@dataclass
class _Intent:
    amount_cents: int
    outcome: str
    status: str
    brand: str
    last4: str
    created_at: dt.datetime = field(default_factory=clock.now)
    refunded_cents: int = 0
    refund_ref: str | None = None


class SandboxProvider:
    """A payment provider that runs in the process, for development and tests.

    It keeps tokens and payments in memory (a real provider keeps them on its side). A
    reference it no longer knows (after a restart) is one it authorized before, so its
    confirmation succeeds.
    """

    name = "sandbox"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, str, str]] = {}
        self._intents: dict[str, _Intent] = {}

    def tokenize(self, card: CardDetails, *, today: dt.date | None = None) -> CardToken:
        brand, last4 = check_card(card, today or today_paris())
        outcome = TEST_CARDS.get(card.digits, "declined")
        token = "tok_sbx_" + secrets.token_hex(12)
        with self._lock:
            self._tokens[token] = (outcome, brand, last4)
        return CardToken(self.name, token, brand, last4)

    def authorize(self, token: CardToken, amount_cents: int, *, reference: str) -> Authorization:
        if amount_cents <= 0:
            raise ValueError("nothing to authorize")
        with self._lock:
            found = self._tokens.pop(token.token, None)
            if found is None:
                raise PaymentDeclined(N_("The card was not accepted: enter it again."))
            outcome, brand, last4 = found
            ref = "pay_sbx_" + secrets.token_hex(12)
            status = {"success": "authorized", "3ds": "requires_action"}.get(outcome, outcome)
            self._intents[ref] = _Intent(amount_cents, outcome, status, brand, last4)
        return Authorization(self.name, ref, status, amount_cents, brand, last4)

    def complete_authentication(self, reference: str, code: str) -> Authorization:
        with self._lock:
            intent = self._intents.get(reference)
            if intent is None or intent.status != "requires_action":
                raise PaymentDeclined(N_("The card payment was declined."))
            intent.status = "authorized" if code.strip() == SANDBOX_3DS_CODE else "declined"
            return Authorization(
                self.name, reference, intent.status, intent.amount_cents, intent.brand, intent.last4
            )

    def confirmation(self, reference: str) -> bool:
        with self._lock:
            intent = self._intents.get(reference)
            if intent is None:
                return True
            if intent.status == "authorized":
                intent.status = "captured"
            return intent.status == "captured"

    def void(self, reference: str) -> None:
        with self._lock:
            intent = self._intents.get(reference)
            if intent is not None and intent.status in ("authorized", "requires_action"):
                intent.status = "voided"

    def refund(self, reference: str, amount_cents: int) -> str:
        with self._lock:
            refund_ref = "re_sbx_" + secrets.token_hex(12)
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
        )

    def status(self, reference: str) -> str | None:
        """The sandbox's own view of a payment (tests)."""
        with self._lock:
            intent = self._intents.get(reference)
            return None if intent is None else intent.status


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
    """The process's payment provider and confirmer (``services.payments``)."""

    provider: PaymentProvider
    confirmer: Confirmations

    def close(self) -> None:
        """Stop pending timers."""
        self.confirmer.close()
