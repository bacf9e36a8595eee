"""The one family of errors a person reads.

Services raise a :class:`PortalError` (or a subclass naming the area) with an English
message id, marked with ``N_``, and its parameters. Services run in worker threads that do
not know the reader's language, so nothing is translated when raised: whoever shows the
error calls :meth:`PortalError.text` with the reader's translator (a screen's default, the
session's current language, is right in any screen). Amounts are passed as :class:`Money`
so they print in the reader's locale (``47,50 €`` in French).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal.i18n import Translator, current

__all__ = ["Money", "PortalError", "UserError"]


@dataclass(frozen=True)
class Money:
    """An amount in cents passed to an error message (formatted in the reader's locale)."""

    cents: int

    def __format__(self, spec: str) -> str:
        # Only for the English ``str(error)`` seen in logs and tests.
        return f"{self.cents / 100:.2f} EUR"


class PortalError(Exception):
    """A refusal to show the person: an English message id and its parameters."""

    def __init__(self, message: str, **params: Any) -> None:
        try:
            english = message.format(**params) if params else message
        except (KeyError, IndexError, ValueError):
            english = message
        super().__init__(english)
        self.message = message
        """The English message id (translated by :meth:`text`)."""
        self.params = params
        """Values for the message's ``{placeholders}``."""

    @property
    def msgid(self) -> str:
        """The English message id (same as ``message``)."""
        return self.message

    def text(self, translator: Translator | None = None) -> str:
        """The sentence in the translator's language (default: the current session's)."""
        t = translator or current()
        params = {
            key: t.money(value.cents) if isinstance(value, Money) else value
            for key, value in self.params.items()
        }
        return t.gettext(self.message, **params)


class UserError(PortalError):
    """A refusal about benefits, orders or payments (bad input, not allowed, changed meanwhile)."""
