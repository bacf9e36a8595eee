"""What a manager types for allocations and subsidy rules, read into integer cents, basis
points and days (``parse_euros``, ``parse_percent``, ``parse_brackets``, ``parse_day``).

Plain functions without a database: the allocation form, the rules form and the amounts
file (``services.programs``) share them. Each refuses bad input with a sentence.
"""

from __future__ import annotations

import datetime as dt

from portal.i18n import N_
from portal.services.errors import UserError
from portal.services.text import ascii_digits

__all__ = ["parse_brackets", "parse_day", "parse_euros", "parse_percent"]


def parse_euros(text: str) -> int:
    """Read an amount typed in euros ("50", "49,90", "1 000 €") as cents."""
    cleaned = text.replace("€", "").replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    whole, _sep, decimals = cleaned.replace(",", ".").partition(".")
    if (
        not ascii_digits(whole)
        or len(whole) > 7
        or (decimals and (not ascii_digits(decimals) or len(decimals) > 2))
    ):
        raise UserError(N_("Enter an amount in euros, for example 50 or 49,90."))
    return int(whole) * 100 + int(decimals.ljust(2, "0") or 0)


def parse_percent(text: str) -> int:
    """Read a percentage typed by a manager ("50", "12,5") as basis points."""
    cleaned = text.replace("%", "").replace(" ", "").replace(",", ".")
    whole, _sep, decimals = cleaned.partition(".")
    if not ascii_digits(whole) or len(decimals) > 2 or (decimals and not ascii_digits(decimals)):
        raise UserError(N_("Enter a percentage, for example 50 or 12,5."))
    bp = int(whole) * 100 + int(decimals.ljust(2, "0") or 0)
    if not 0 < bp <= 10_000:
        raise UserError(N_("The percentage must be between 0 and 100."))
    return bp


def parse_brackets(text: str, mode: str) -> list[tuple[int | None, int | None, int | None]]:
    """Read quotient-familial brackets typed as ``700:70, 1200:50`` (QF up to 700: 70 %...).

    For a fixed-amount rule the value after the colon is an amount in euros. Brackets are
    returned as (QF upper bound, percent_bp, fixed_cents), in increasing QF order.
    """
    brackets: list[tuple[int | None, int | None, int | None]] = []
    for part in (p.strip() for p in text.replace(";", ",").split(",")):
        if not part:
            continue
        qf_text, sep, value = part.partition(":")
        if not sep or not ascii_digits(qf_text.strip()):
            raise UserError(N_("Write brackets as QF:value, for example 700:70, 1200:50."))
        qf = int(qf_text.strip())
        if mode == "percent":
            brackets.append((qf, parse_percent(value), None))
        else:
            brackets.append((qf, None, parse_euros(value)))
    brackets.sort(key=lambda b: b[0] or 0)
    return brackets


def parse_day(text: str) -> dt.date:
    """Read a day typed as ``31/12/2026`` (or ``2026-12-31``)."""
    cleaned = text.strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    raise UserError(N_("Enter a date as DD/MM/YYYY, for example 01/09/2026."))
