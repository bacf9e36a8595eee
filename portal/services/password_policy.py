"""Password rules: length, common passwords, personal data; and a strength score.

The rules follow NIST SP 800-63B rather than composition rules: at least 12 characters,
up to 256 (any Unicode character but control characters), refused when the password is
a common one (zxcvbn's frequency lists, or so guessable that zxcvbn scores it 0 or 1:
repeated characters, sequences, keyboard walks), or when it contains the login, the
member's name or the organization's name (compared without case or accents). A mix of
upper case, lower case, digits and special characters is *advice*
(``COMPOSITION_ADVICE``), never a rule.

``check_password_policy`` runs anywhere: messages are in the current session's language
(``portal.i18n._``), or in ``translator``'s when given (worker threads do not share the
session's context). It costs a few milliseconds (zxcvbn), cheap enough for a meter
updated while typing.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from zxcvbn import zxcvbn

from portal.i18n import N_, Translator, current

__all__ = [
    "COMPOSITION_ADVICE",
    "MAX_LENGTH",
    "MIN_LENGTH",
    "STRENGTH_LABELS",
    "check_password_policy",
    "strength",
]

MIN_LENGTH = 12
MAX_LENGTH = 256
"""Generous: passphrases are welcome, and argon2 hashes any length in the same time."""
_ZXCVBN_MAX = 72
"""zxcvbn refuses longer input; scoring the first 72 characters is a safe lower bound."""
_MIN_PART = 3
"""Name parts shorter than this (``Li``, ``de``) are too common to forbid."""

COMPOSITION_ADVICE = N_(
    "Advice: mix upper case, lower case, digits and special characters, or use a long "
    "phrase of several unrelated words."
)
STRENGTH_LABELS: tuple[str, ...] = (
    N_("Very weak"),
    N_("Weak"),
    N_("Fair"),
    N_("Strong"),
    N_("Very strong"),
)
"""Label of each ``strength`` score, as message ids."""


def _fold(text: str) -> str:
    """Lower case without accents (``Lefèvre`` -> ``lefevre``), for containment tests."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _parts(text: str) -> list[str]:
    """Words of a name worth forbidding, and the whole name without separators."""
    folded = _fold(text)
    words = [w for w in re.split(r"[\W_]+", folded) if len(w) >= _MIN_PART]
    whole = re.sub(r"[\W_]+", "", folded)
    return sorted({*words, *([whole] if len(whole) >= _MIN_PART else [])}, key=len, reverse=True)


def _analyse(password: str, user_inputs: list[str]) -> dict[str, Any]:
    """zxcvbn's analysis, knowing the member's words (each word of each input, folded)."""
    words = sorted({w for text in user_inputs for w in [_fold(text), *_parts(text)] if w})
    return zxcvbn(password[:_ZXCVBN_MAX], user_inputs=words, max_length=_ZXCVBN_MAX)


def strength(password: str, *, user_inputs: list[str] | None = None) -> int:
    """zxcvbn's score from 0 (very weak) to 4 (very strong); 0 for an empty password."""
    if not password:
        return 0
    return int(_analyse(password, user_inputs or [])["score"])


def _is_common(result: dict[str, Any]) -> bool:
    """True when one entry of the common-password list makes up the whole password."""
    sequence = result.get("sequence") or []
    return (
        len(sequence) == 1
        and sequence[0].get("pattern") == "dictionary"
        and sequence[0].get("dictionary_name") == "passwords"
    )


def check_password_policy(
    password: str,
    *,
    login: str,
    name: str,
    organization: str,
    translator: Translator | None = None,
) -> list[str]:
    """Every reason ``password`` is refused, translated; an empty list means accepted.

    Args:
        password: The candidate, as typed (never normalised, never logged).
        login: The member's login.
        name: The member's full name (each part of 3 letters or more is checked too).
        organization: The organization's name.
        translator: Language of the messages (default: the current session's).
    """
    t = translator or current()
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(t.gettext("Use at least {n} characters.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        problems.append(t.gettext("Use at most {n} characters.", n=MAX_LENGTH))
    if any(unicodedata.category(ch) == "Cc" for ch in password):
        problems.append(t.gettext("Control characters (such as tabs) are not allowed."))
    folded = _fold(password)
    compact = re.sub(r"[\W_]+", "", folded)
    login_parts = _parts(login)
    if any(part in folded or part in compact for part in login_parts):
        problems.append(t.gettext("The password must not contain your login."))
    if any(part in folded or part in compact for part in _parts(name)):
        problems.append(t.gettext("The password must not contain your name."))
    if any(part in folded or part in compact for part in _parts(organization)):
        problems.append(t.gettext("The password must not contain the name of your organization."))
    if password and len(password) >= MIN_LENGTH // 2:
        result = _analyse(password, [login, name, organization])
        if _is_common(result):
            problems.append(t.gettext("This password is among the most common passwords."))
        elif int(result["score"]) <= 1 and len(problems) == 0:
            problems.append(
                t.gettext(
                    "This password is too easy to guess: avoid repeated characters, "
                    "sequences and common words."
                )
            )
    return problems
