"""When a postal order leaves: the same working day if validated before 15:00 Paris time,
else the next working day. Working days skip weekends and French public holidays.

The eleven national public holidays are computed here (Easter by the anonymous Gregorian
algorithm) rather than taken from a dependency: the list is fixed by the Code du travail
(art. L3133-1) and small enough to test completely.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from portal.services.clock import PARIS

CUTOFF = dt.time(15, 0)
"""Orders validated before this Paris time leave the same working day."""

__all__ = [
    "CUTOFF",
    "dispatch_date",
    "easter_sunday",
    "french_holidays",
    "is_working_day",
    "next_working_day",
]


def easter_sunday(year: int) -> dt.date:
    """Easter Sunday of a Gregorian year (Meeus/Jones/Butcher algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


@cache
def french_holidays(year: int) -> dict[dt.date, str]:
    """The national public holidays of France (metropolitan) in a year, with their names."""
    easter = easter_sunday(year)
    return {
        dt.date(year, 1, 1): "Jour de l'an",
        easter + dt.timedelta(days=1): "Lundi de Pâques",
        dt.date(year, 5, 1): "Fête du Travail",
        dt.date(year, 5, 8): "Victoire 1945",
        easter + dt.timedelta(days=39): "Ascension",
        easter + dt.timedelta(days=50): "Lundi de Pentecôte",
        dt.date(year, 7, 14): "Fête nationale",
        dt.date(year, 8, 15): "Assomption",
        dt.date(year, 11, 1): "Toussaint",
        dt.date(year, 11, 11): "Armistice 1918",
        dt.date(year, 12, 25): "Noël",
    }


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday, and not a public holiday."""
    return day.weekday() < 5 and day not in french_holidays(day.year)


def next_working_day(day: dt.date) -> dt.date:
    """The first working day strictly after ``day``."""
    day += dt.timedelta(days=1)
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def dispatch_date(validated_at: dt.datetime) -> dt.date:
    """The day a postal order validated at ``validated_at`` (aware) is dispatched."""
    if validated_at.tzinfo is None:
        raise ValueError("validated_at must be timezone-aware")
    local = validated_at.astimezone(PARIS)
    if is_working_day(local.date()) and local.time() < CUTOFF:
        return local.date()
    return next_working_day(local.date())
