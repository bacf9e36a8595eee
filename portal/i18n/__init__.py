"""The one translation layer.

Message ids are English; French catalogs live in ``locales/fr/*.po`` (one file per
area, so that features can add theirs without touching another's), read with Babel.
French is the default language. Money, dates and numbers are formatted with Babel for
the member's locale (``47,50 €`` in French).

Each session has its own language: ``use_language`` stores a small holder in a
context variable at the start of the session's app task, so every task the app spawns
sees it and no session can see another's. Code without a session (email, CLI) asks for
a ``Translator`` explicitly with ``get_translator``.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

LANGUAGES: dict[str, str] = {"fr": "Français", "en": "English"}
"""Languages a member may choose, by code, each named in itself."""
DEFAULT_LANGUAGE = "fr"
_LOCALES = {"fr": "fr_FR", "en": "en_GB"}
_LOCALE_DIR = Path(__file__).parent / "locales"
PARIS = ZoneInfo("Europe/Paris")


@cache
def _catalog(language: str) -> dict[str, str | tuple[str, ...]]:
    """All translations of one language, merged from its .po files (read once)."""
    messages: dict[str, str | tuple[str, ...]] = {}
    folder = _LOCALE_DIR / language
    for po in sorted(folder.glob("*.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=language)
        for message in catalog:
            if not message.id or not message.string or message.fuzzy:
                continue
            if isinstance(message.id, (tuple, list)):
                messages[str(message.id[0])] = tuple(str(s) for s in message.string)
            else:
                messages[str(message.id)] = str(message.string)
    return messages


@dataclass(frozen=True)
class Translator:
    """Translations and formats of one language."""

    language: str

    @property
    def locale(self) -> str:
        """The Babel locale used for formats."""
        return _LOCALES.get(self.language, "fr_FR")

    def gettext(self, message: str, **params: Any) -> str:
        """Translate ``message`` and fill its ``{named}`` parameters."""
        text = _catalog(self.language).get(message, message)
        if isinstance(text, tuple):
            text = text[0]
        return text.format(**params) if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> str:
        """Translate a message whose form depends on ``n`` (French: 0 and 1 are singular)."""
        found = _catalog(self.language).get(singular)
        one = n in (0, 1) if self.language == "fr" else n == 1
        if isinstance(found, tuple) and len(found) >= 2:
            text = found[0] if one else found[1]
        else:
            text = singular if one else plural
        return text.format(n=n, **params)

    def money(self, cents: int, currency: str = "EUR") -> str:
        """Format integer cents as money: ``47,50 €`` in French, ``€47.50`` in English."""
        text = format_currency(Decimal(cents) / 100, currency, locale=self.locale)
        return text.replace("\u202f", " ").replace("\xa0", " ")

    def number(self, value: int | float | Decimal) -> str:
        """Format a number for the locale."""
        return format_decimal(value, locale=self.locale).replace("\u202f", " ").replace("\xa0", " ")

    def date(self, value: dt.date | dt.datetime, fmt: str = "medium") -> str:
        """Format a date for the locale."""
        return format_date(value, format=fmt, locale=self.locale)

    def datetime(self, value: dt.datetime, fmt: str = "medium") -> str:
        """Format a timestamp in Paris time for the locale."""
        return format_datetime(value, format=fmt, tzinfo=PARIS, locale=self.locale)


@cache
def get_translator(language: str | None) -> Translator:
    """The translator of ``language``, falling back to French for unknown codes."""
    return Translator(language if language in LANGUAGES else DEFAULT_LANGUAGE)


class _Holder:
    """Mutable per-session box, so a language change reaches every task of the session."""

    __slots__ = ("translator",)

    def __init__(self, translator: Translator) -> None:
        self.translator = translator


_current: contextvars.ContextVar[_Holder | None] = contextvars.ContextVar(
    "portal_language", default=None
)


def use_language(language: str | None) -> None:
    """Set the language of the current session (or change it, if already set)."""
    holder = _current.get()
    if holder is None:
        _current.set(_Holder(get_translator(language)))
    else:
        holder.translator = get_translator(language)


def current() -> Translator:
    """The translator of the current session (French outside any session)."""
    holder = _current.get()
    return holder.translator if holder is not None else get_translator(DEFAULT_LANGUAGE)


def _(message: str, **params: Any) -> str:
    """Translate ``message`` into the current session's language."""
    return current().gettext(message, **params)


def ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
    """Plural-aware translation into the current session's language."""
    return current().ngettext(singular, plural, n, **params)


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it yet (module constants)."""
    return message


def money(cents: int) -> str:
    """Format cents as money in the current session's language."""
    return current().money(cents)
