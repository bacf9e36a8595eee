"""The one translation layer.

Message ids are English; French catalogs live in ``locales/fr/*.po`` (one file per
area, so that features can add theirs without touching another's), read with Babel.
French is the default language. Money, dates and numbers are formatted with Babel for
the member's locale (``47,50 €`` in French, with Babel's no-break spaces kept).

French translations follow French typography whatever the .po file holds (see
``french_typography``): a narrow no-break space (U+202F) before ``; ! ?``, a no-break
space (U+00A0) before ``:`` and inside « », "…" for "...", and "1er" for the first day of
the month in long dates. It is applied to the translated template before its parameters
are filled, so user data, URLs, times and commands given as parameters are never touched.

Each session has its own language: ``use_language`` stores a small holder in a
context variable at the start of the session's app task, so every task the app spawns
sees it and no session can see another's. Code without a session (email, CLI) asks for
a ``Translator`` explicitly with ``get_translator``.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import re
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


NNBSP = "\u202f"
"""Narrow no-break space: before ``; ! ?`` in French, and Babel's thousands separator."""
NBSP = "\xa0"
"""No-break space: before ``:`` and inside « » in French, and before € in amounts."""

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{[^{}]*\}")
_HOLE = "\ue000"  # stands for a placeholder while the rules run (a private-use character)
_SPACES = " \xa0\u202f"
# A mark is French punctuation when a space precedes it, or when it directly follows a
# word (or a placeholder, a closing bracket or quote) and ends the phrase: "Nom:" but
# never "10:36", "http://", "host:inbox/", "identifiant;montant" or "?page=1".
_AFTER_WORD = r"(?<=[\w\ue000)\]»…])"
_ENDS = r"(?=[\s)\]»\"'.,;:!?]|$)"
_TIGHT = re.compile(rf"[{_SPACES}]+([;!?])|{_AFTER_WORD}([;!?]){_ENDS}")
_COLON = re.compile(rf"[{_SPACES}]+(:)|{_AFTER_WORD}(:){_ENDS}")
_OPEN_QUOTE = re.compile(rf"«[{_SPACES}]*")
_CLOSE_QUOTE = re.compile(rf"[{_SPACES}]*»")
_FIRST_DAY = re.compile(r"(?<![\d/.])1(?=[ \xa0]\D)")


def french_typography(template: str) -> str:
    """Apply French typography to a translated template, leaving its ``{placeholders}``."""
    holes: list[str] = []

    def hide(match: re.Match[str]) -> str:
        holes.append(match.group(0))
        return _HOLE

    text = _PLACEHOLDER.sub(hide, template)
    text = text.replace("...", "…")
    text = _TIGHT.sub(lambda m: NNBSP + (m.group(1) or m.group(2)), text)
    text = _COLON.sub(lambda m: NBSP + (m.group(1) or m.group(2)), text)
    text = _OPEN_QUOTE.sub("«" + NBSP, text)
    text = _CLOSE_QUOTE.sub(NBSP + "»", text)
    if holes:
        parts = iter(holes)
        text = re.sub(_HOLE, lambda _m: next(parts), text)
    return text


@cache
def _typeset(language: str, template: str) -> str:
    """The template as printed in ``language`` (French typography for French)."""
    return french_typography(template) if language == "fr" else template


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
        found = _catalog(self.language).get(message)
        if found is None:
            text = message
        else:
            text = _typeset(self.language, found[0] if isinstance(found, tuple) else found)
        return text.format(**params) if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> str:
        """Translate a message whose form depends on ``n`` (French: 0 and 1 are singular)."""
        found = _catalog(self.language).get(singular)
        one = n in (0, 1) if self.language == "fr" else n == 1
        if isinstance(found, tuple) and len(found) >= 2:
            text = _typeset(self.language, found[0] if one else found[1])
        else:
            text = singular if one else plural
        return text.format(n=n, **params)

    def money(self, cents: int, currency: str = "EUR") -> str:
        """Format integer cents as money: ``1\u202f234,50\xa0€`` in French, ``€1,234.50`` in English.

        Babel's no-break spaces are kept, so an amount never wraps between its digits or
        before its currency sign.
        """
        return format_currency(Decimal(cents) / 100, currency, locale=self.locale)

    def number(self, value: int | float | Decimal) -> str:
        """Format a number for the locale (``1\u202f234`` in French)."""
        return format_decimal(value, locale=self.locale)

    def date(self, value: dt.date | dt.datetime, fmt: str = "medium") -> str:
        """Format a date for the locale ("1er décembre 2026" in long French dates)."""
        return self._first_day(format_date(value, format=fmt, locale=self.locale), value, fmt)

    def datetime(self, value: dt.datetime, fmt: str = "medium") -> str:
        """Format a timestamp in Paris time for the locale."""
        text = format_datetime(value, format=fmt, tzinfo=PARIS, locale=self.locale)
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return self._first_day(text, aware.astimezone(PARIS), fmt)

    def _first_day(self, text: str, value: dt.date, fmt: str) -> str:
        """Write day 1 as "1er" in French long and full dates (Babel gives "1 décembre")."""
        if self.language != "fr" or value.day != 1 or fmt not in ("long", "full"):
            return text
        return _FIRST_DAY.sub("1er", text, count=1)


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
