"""Dispatch days: 15:00 Paris cut-off, weekends and French public holidays."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.services.dispatch import (
    dispatch_date,
    easter_sunday,
    french_holidays,
    is_working_day,
    next_working_day,
)

PARIS = dt.timezone(dt.timedelta(hours=2))  # summer time, for readable literals


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2024, dt.date(2024, 3, 31)),
        (2025, dt.date(2025, 4, 20)),
        (2026, dt.date(2026, 4, 5)),
        (2027, dt.date(2027, 3, 28)),
        (2038, dt.date(2038, 4, 25)),
        (2000, dt.date(2000, 4, 23)),
    ],
)
def test_easter(year: int, easter: dt.date) -> None:
    assert easter_sunday(year) == easter


def test_the_eleven_holidays_of_2026() -> None:
    days = sorted(french_holidays(2026))
    assert days == [
        dt.date(2026, 1, 1),
        dt.date(2026, 4, 6),
        dt.date(2026, 5, 1),
        dt.date(2026, 5, 8),
        dt.date(2026, 5, 14),
        dt.date(2026, 5, 25),
        dt.date(2026, 7, 14),
        dt.date(2026, 8, 15),
        dt.date(2026, 11, 1),
        dt.date(2026, 11, 11),
        dt.date(2026, 12, 25),
    ]


def test_working_days() -> None:
    assert is_working_day(dt.date(2026, 6, 15))  # Monday
    assert not is_working_day(dt.date(2026, 6, 13))  # Saturday
    assert not is_working_day(dt.date(2026, 7, 14))  # Tuesday, Fête nationale
    assert next_working_day(dt.date(2026, 12, 24)) == dt.date(2026, 12, 28)  # Christmas Friday


@pytest.mark.parametrize(
    ("validated", "expected"),
    [
        (
            dt.datetime(2026, 6, 15, 14, 59, tzinfo=PARIS),
            dt.date(2026, 6, 15),
        ),  # Monday before 15:00
        (dt.datetime(2026, 6, 15, 15, 0, tzinfo=PARIS), dt.date(2026, 6, 16)),  # at 15:00: next day
        (
            dt.datetime(2026, 6, 19, 16, 0, tzinfo=PARIS),
            dt.date(2026, 6, 22),
        ),  # Friday late: Monday
        (dt.datetime(2026, 6, 20, 9, 0, tzinfo=PARIS), dt.date(2026, 6, 22)),  # Saturday: Monday
        (dt.datetime(2026, 5, 13, 16, 0, tzinfo=PARIS), dt.date(2026, 5, 15)),  # eve of Ascension
        (
            dt.datetime(2026, 5, 7, 18, 0, tzinfo=PARIS),
            dt.date(2026, 5, 11),
        ),  # 8 May Friday, weekend
        (
            dt.datetime(2026, 4, 3, 15, 30, tzinfo=PARIS),
            dt.date(2026, 4, 7),
        ),  # Easter Monday skipped
    ],
)
def test_dispatch_date(validated: dt.datetime, expected: dt.date) -> None:
    assert dispatch_date(validated) == expected


def test_the_cut_off_is_paris_time_not_utc() -> None:
    # 13:30 UTC in January is 14:30 in Paris (before the cut-off); in July it is 15:30.
    assert dispatch_date(dt.datetime(2026, 1, 12, 13, 30, tzinfo=dt.UTC)) == dt.date(2026, 1, 12)
    assert dispatch_date(dt.datetime(2026, 7, 13, 13, 30, tzinfo=dt.UTC)) == dt.date(2026, 7, 15)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        dispatch_date(dt.datetime(2026, 6, 15, 10, 0))
