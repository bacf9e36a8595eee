"""Garbage-collector policy for one process holding many sessions.

Measured (tests/bench/bench_ssh.py, 40 typing sessions): with CPython's default policy
a full (generation 2) collection traverses every object of every session and paused the
whole event loop for 0.5 to 0.9 s, several times a minute, which is the whole keystroke
p99. Most of those objects live as long as their session (widgets, styles, caches), so
scanning them again and again finds nothing. A full collection costs about 0.3 µs per
object: 0.4 s at 100 sessions (1.5 million objects), seconds at 2,000.

So CPython's own full collections are switched off while the policy runs (measured at
100 typing sessions: it still ran one about every second, 30 to 70 ms, and found
nothing). Young collections go on as usual; what outlives them is freed by reference
counting when it is no longer used, provided it is not in a reference cycle:

- sessions that end leave no cycles: measured after 300 sessions dropped at once and
  ended, a full collection found 0 objects (``tests/e2e/test_ssh_shell.py`` checks that
  every app is freed);
- typing left 220 cyclic objects per keystroke (455,000 after 2,000 keystrokes), strips
  that cached themselves; ``textual_compat.strips_without_self_cycles`` removes that
  cycle, and what is left is about 14 objects per 1,000 keystrokes.

What exists is frozen (``gc.freeze``) once the server has started, shortly after
sessions open (after a collection of the young generations frees their start-up
garbage: batched, ``freeze_delay`` after the first) and every second, so young
collections never go over it again. The rare cycles left wait for ``reclaim``, a full
collection that runs only where it costs nobody or little:

- when ``reclaim_after_closed`` sessions have closed and none is live;
- at most every ``reclaim_every`` seconds while no more than ``quiet_sessions`` are live
  (a pause of a few tens of milliseconds);
- whatever the load, once ``reclaim_overdue`` seconds have passed (one bounded pause a
  day, so that even a server never quiet frees its few cycles).
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
        freeze_every: float = 1.0,
        reclaim_every: float = 3600.0,
        quiet_sessions: int = 20,
        reclaim_overdue: float = 86400.0,
    ) -> None:
        self.freeze_delay = freeze_delay
        self.reclaim_after_closed = reclaim_after_closed
        self.freeze_every = freeze_every
        """While sessions are live, freeze what survived this long."""
        self.reclaim_every = reclaim_every
        """A reclaim at most this often when the process is quiet."""
        self.quiet_sessions = quiet_sessions
        """Live sessions at most for the process to count as quiet."""
        self.reclaim_overdue = reclaim_overdue
        """A reclaim at least this often, however many sessions are live."""
        self._ticker: asyncio.Task[None] | None = None
        self.closed_since_reclaim = 0
        self.live = 0
        """Live sessions, as the registry last said."""
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
        while self.active:
            await asyncio.sleep(self.freeze_every)
            self.tick()

    def tick(self) -> None:
        """Freeze the survivors; reclaim when it is cheap and due, or overdue.

        While sessions that just opened wait for their collection, nothing is frozen.
        """
        if not self.active:
            return
        since = time.monotonic() - self.last_reclaim
        if since >= self.reclaim_overdue or (
            since >= self.reclaim_every and self.live <= self.quiet_sessions
        ):
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

    def session_opened(self, live_sessions: int | None = None) -> None:
        """A session started: freeze its widgets once it has drawn (batched)."""
        if live_sessions is not None:
            self.live = live_sessions
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
        """A session ended: reclaim when a batch has closed and nobody is live.

        A closed session leaves no cycles (see the module's docstring), so there is
        nothing to gain from a full collection while others are live, and much to pay.
        """
        self.live = live_sessions
        if not self.active:
            return
        self.closed_since_reclaim += 1
        if self.closed_since_reclaim >= self.reclaim_after_closed and live_sessions == 0:
            self.reclaim()

    def reclaim(self) -> None:
        """Collect everything, including frozen cycles, then freeze the survivors again."""
        started = time.perf_counter()
        gc.unfreeze()
        found = gc.collect()
        gc.freeze()
        self.closed_since_reclaim = 0
        self.last_reclaim = time.monotonic()
        took = (time.perf_counter() - started) * 1000
        log.log(
            logging.INFO if took >= 100 else logging.DEBUG,
            "gc reclaim: %d objects in %.0f ms (%d live sessions)",
            found,
            took,
            self.live,
        )
