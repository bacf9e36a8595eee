"""French typography for test expectations, written independently of ``portal.i18n``.

``fr("Bonjour Alice !")`` turns the plain spaces a test author types into the no-break
spaces the French translator prints: U+202F before ``; ! ?``, U+00A0 before ``:`` and
inside « », and in amounts ``1 234,50 €`` U+202F between thousands and U+00A0 before €.
Only spaces typed before a mark or inside an amount change, so a SIRET or a time stays.
"""

from __future__ import annotations

import re

NNBSP = "\u202f"
NBSP = "\xa0"

_AMOUNT = re.compile(r"(?<!\d)(?<!\d )(\d{1,3}(?: \d{3})*,\d{2}) €")


def _amount(match: re.Match[str]) -> str:
    return match.group(1).replace(" ", NNBSP) + NBSP + "€"


def fr(text: str) -> str:
    """``text`` as the French translator prints it."""
    text = re.sub(r" ([;!?])", NNBSP + r"\1", text)
    text = text.replace(" :", NBSP + ":").replace("« ", "«" + NBSP).replace(" »", NBSP + "»")
    return _AMOUNT.sub(_amount, text)


def fr_number(text: str) -> str:
    """A French Babel number: ``"1 234"`` → ``"1\u202f234"``."""
    return text.replace(" ", NNBSP)
