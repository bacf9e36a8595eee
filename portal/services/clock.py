"""The one source of "now" for the services, replaceable in tests.

Business rules read the time through :func:`now` (aware UTC) and the calendar through
:func:`today_paris` (allocations, dispatch days and invoices follow Paris days). Tests
travel in time with ``with clock.use(FrozenClock(...)) as frozen: frozen.advance(30)``
instead of monkeypatching a module's private global: one seam for every service.

The active clock is process-wide on purpose: time is the same for every session, and the
clock holds no member data (per-session state never lives in module globals).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

__all__ = [
    "PARIS",
    "Clock",
    "FrozenClock",
    "SystemClock",
    "now",
    "timestamp",
    "today_paris",
    "use",
]

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
"""The platform's calendar: allocation years, dispatch cut-off, invoice dates."""


class Clock(Protocol):
    """Something that tells the current time."""

    def now(self) -> dt.datetime:
        """The current time, aware, in UTC."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FrozenClock:
    """A clock that moves only when told to (tests)."""

    def __init__(self, at: dt.datetime | float) -> None:
        self._at = _aware(at)

    def now(self) -> dt.datetime:
        return self._at

    def set(self, at: dt.datetime | float) -> None:
        """Jump to a moment."""
        self._at = _aware(at)

    def advance(self, seconds: float) -> dt.datetime:
        """Move forward by ``seconds``; returns the new time."""
        self._at += dt.timedelta(seconds=seconds)
        return self._at


def _aware(at: dt.datetime | float) -> dt.datetime:
    if isinstance(at, int | float):
        return dt.datetime.fromtimestamp(at, dt.UTC)
    if at.tzinfo is None:
        raise ValueError("FrozenClock needs an aware datetime")
    return at.astimezone(dt.UTC)


_active: Clock = SystemClock()


def now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return _active.now()


def timestamp() -> float:
    """The current Unix time (seconds)."""
    return _active.now().timestamp()


def today_paris(at: dt.datetime | None = None) -> dt.date:
    """The Paris calendar day of ``at`` (default: now)."""
    return (at or now()).astimezone(PARIS).date()


@contextmanager
def use(clock: Clock) -> Iterator[Clock]:
    """Make ``clock`` the services' time source until the block ends."""
    global _active
    previous, _active = _active, clock
    try:
        yield clock
    finally:
        _active = previous
