"""Garbage-collector policy for one process holding many sessions.

Measured (tests/bench/bench_ssh.py, 40 typing sessions): with CPython's default policy
a full (generation 2) collection traverses every object of every session and paused the
whole event loop for 0.5 to 0.9 s, several times a minute, which is the whole keystroke
p99. Most of those objects live as long as their session (widgets, styles, caches), so
scanning them again and again finds nothing.

The policy: freeze (``gc.freeze``) what exists once the server has started, shortly
after sessions open, and every second while they run (typing fills caches that live as
long as the session), so routine collections only look at young objects.

CPython's own full collections are switched off while the policy runs. Measured at 100
typing sessions: even with everything old frozen, it still ran one about every second
(30 to 70 ms each) over the objects promoted since the last freeze, and found nothing.
Full collections happen where the policy puts them instead:

- when sessions open (batched, ``freeze_delay`` after the first): a collection of the
  young generations frees their start-up garbage before it is frozen, then the freeze. The
  per-second freeze waits for it, or that garbage would be frozen first;
- ``reclaim``: frozen objects are still freed by reference counting; only the
  reference cycles of closed sessions wait for it: a full collection once
  ``reclaim_after_closed`` sessions have closed (about 1 MiB each), at once when no
  session is live, otherwise not more often than ``min_interval``. One bounded, rare
  pause then replaces many unbounded ones; ``reclaim_every`` bounds how long cycles
  made by sessions that stay open can wait.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

log = logging.getLogger(__name__)

_running = 0
"""Policies started in this process (tests run several servers in one)."""
_saved_thresholds: tuple[int, int, int] | None = None
"""CPython's collection thresholds before the first policy started."""


class GcPolicy:
    """Decides when the process freezes long-lived objects and reclaims old cycles."""

    def __init__(
        self,
        *,
        freeze_delay: float = 2.0,
        reclaim_after_closed: int = 32,
        min_interval: float = 300.0,
        freeze_every: float = 1.0,
        reclaim_every: float = 900.0,
    ) -> None:
        self.freeze_delay = freeze_delay
        self.reclaim_after_closed = reclaim_after_closed
        self.min_interval = min_interval
        self.freeze_every = freeze_every
        """While sessions are live, freeze what survived this long (typing promotes caches)."""
        self.reclaim_every = reclaim_every
        """A full reclaim at least this often, for cycles made by long-lived sessions."""
        self._ticker: asyncio.Task[None] | None = None
        self.closed_since_reclaim = 0
        self.last_reclaim = time.monotonic()
        self._freeze_handle: asyncio.TimerHandle | None = None
        self.active = False

    def start(self) -> None:
        """Freeze what start-up created (modules, caches): it lives as long as the process.

        Automatic full collections stop here (generation 2 threshold out of reach) and
        come back with ``stop``.
        """
        self.active = True
        gc.collect()
        gc.freeze()
        global _running, _saved_thresholds
        if _running == 0:
            _saved_thresholds = gc.get_threshold()
            gc.set_threshold(_saved_thresholds[0], _saved_thresholds[1], 2**30)
        _running += 1
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._ticker = loop.create_task(self._tick_forever())

    async def _tick_forever(self) -> None:
        """Measured: without this, objects promoted while members type made a full
        collection of 150-190 ms run every 0.85 s at 100 active sessions."""
        while self.active:
            await asyncio.sleep(self.freeze_every)
            self.tick()

    def tick(self) -> None:
        """Freeze the survivors; reclaim everything when the last reclaim is old.

        While sessions that just opened wait for their collection, nothing is frozen.
        """
        if not self.active:
            return
        if time.monotonic() - self.last_reclaim >= self.reclaim_every:
            self.reclaim()
        elif self._freeze_handle is None:
            gc.freeze()

    def stop(self) -> None:
        """Give everything back to the collector (server shutdown)."""
        if self._freeze_handle is not None:
            self._freeze_handle.cancel()
            self._freeze_handle = None
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        if self.active:
            self.active = False
            global _running
            _running -= 1
            if _running == 0 and _saved_thresholds is not None:
                gc.set_threshold(*_saved_thresholds)
            gc.unfreeze()
            gc.collect()

    def session_opened(self) -> None:
        """A session started: freeze its widgets once it has drawn (batched)."""
        if not self.active or self._freeze_handle is not None:
            return
        loop = asyncio.get_running_loop()
        self._freeze_handle = loop.call_later(self.freeze_delay, self._freeze)

    def _freeze(self) -> None:
        """Collect the young objects (start-up garbage of the new sessions), freeze the rest.

        The young generations only: measured with sessions opening steadily among
        2,000, a full collection here went over every object promoted since the last
        freeze (the new sessions' live widgets) and held the loop 100-180 ms each time;
        start-up garbage is young, and what is older waits for ``reclaim``.
        """
        self._freeze_handle = None
        if self.active:
            gc.collect(1)
            gc.freeze()

    def session_closed(self, live_sessions: int) -> None:
        """A session ended: reclaim its cycles when it costs nobody, or when overdue."""
        if not self.active:
            return
        self.closed_since_reclaim += 1
        if self.closed_since_reclaim < self.reclaim_after_closed:
            return
        if live_sessions == 0 or time.monotonic() - self.last_reclaim >= self.min_interval:
            self.reclaim()

    def reclaim(self) -> None:
        """Collect everything, including frozen cycles, then freeze the survivors again."""
        started = time.perf_counter()
        gc.unfreeze()
        found = gc.collect()
        gc.freeze()
        self.closed_since_reclaim = 0
        self.last_reclaim = time.monotonic()
        log.debug(
            "gc reclaim: %d objects in %.0f ms", found, (time.perf_counter() - started) * 1000
        )
