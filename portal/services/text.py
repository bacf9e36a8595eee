"""One validation layer for the text people type.

Whatever a person types may be shown to another (a manager reads a sign-up, a member
reads a refusal reason), so every text field goes through these checks before it is
stored: Unicode is normalised (NFC, so "é" typed two ways is one value), control
characters and text-direction overrides are refused with a sentence that names the
problem, email addresses follow one strict rule, and amounts accept ASCII digits only
("٣٠" is not read as 30 €). The screens' output guard (``widgets.output_guard``) strips
the same characters again when drawing: defence in depth.

Each check takes the error class to raise, so every area keeps its own refusal type
(``GateError``, ``ContactError``...) and its screens show the sentence where they show
their other errors.
"""

from __future__ import annotations

import re
import unicodedata

from portal.i18n import N_
from portal.services.errors import PortalError

__all__ = [
    "EMAIL",
    "UNSAFE",
    "TextError",
    "ascii_digits",
    "check_line",
    "has_unsafe",
    "normalize_email",
]

UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 (but tab and newline), DEL, C1 (one-byte CSI, OSC, ST)
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"  # bidi marks, embeddings, overrides
)
"""Characters that must never be stored from input nor reach a terminal from data."""

EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
"""The one rule for an email address (ASCII, a dotted domain)."""

_ASCII_DIGITS = re.compile(r"^[0-9]+$")

UNSAFE_TEXT = N_(
    "This text contains an invisible control character or a text-direction mark: "
    "type it again without it."
)
BAD_EMAIL = N_("Enter a valid email address, such as name@example.fr.")


class TextError(PortalError):
    """Typed text refused (when the caller names no error class of its own)."""


def has_unsafe(text: str) -> bool:
    """True when ``text`` holds a control or bidi character (tab and newline excepted)."""
    return UNSAFE.search(text) is not None


def check_line(
    raw: str,
    *,
    error: type[PortalError] = TextError,
    multiline: bool = False,
) -> str:
    """``raw`` normalised (NFC, outer spaces removed), or ``error`` if it holds controls.

    A single line also refuses tabs and newlines.
    """
    text = unicodedata.normalize("NFC", raw).strip()
    if has_unsafe(text) or (not multiline and ("\n" in text or "\t" in text)):
        raise error(UNSAFE_TEXT)
    return text


def normalize_email(
    raw: str, *, error: type[PortalError] = TextError, message: str = BAD_EMAIL
) -> str:
    """A plausible address, trimmed, with its domain in lower case; else ``error``."""
    email = raw.strip()
    if len(email) > 254 or not EMAIL.match(email):
        raise error(message)
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def ascii_digits(text: str) -> bool:
    """True when ``text`` is made of ASCII digits 0-9 only (``str.isdigit`` takes any script)."""
    return _ASCII_DIGITS.match(text) is not None
