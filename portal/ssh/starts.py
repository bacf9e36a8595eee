"""App starts take turns, and the apps of clients that left end in the loop's spare
time: a burst of logins reaches home first come, first served, even during a mass drop.

Starting a session's app (composing the first screen, styling, laying out and drawing
it) is about 50 ms of work on the shared event loop, in callbacks of 10 to 25 ms. When
50 members log in at the same second and every app starts at once, the loop shares
itself among all of them: each waits for all the others, so everyone reaches home at
the end of the burst (the last and the first alike), and every live session's keystroke
waits behind a queue of 50 start-up callbacks (the loop lag measured 0.3 to 0.8 s).

``StartTurns`` lets ``at_once`` apps start at a time (two: while one waits for the
database, another works); the next one starts when one has drawn its first frame. The
burst then costs the same CPU, but the first member is home after one start instead of
fifty, and the loop only ever holds a couple of start-up callbacks: keystrokes of live
sessions slip between them. A turn is also given back when the app ends, and after
``hold_limit`` seconds whatever happens (an app that never draws cannot block others).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable

log = logging.getLogger(__name__)


class StartTurns:
    """First come, first served turns for starting apps."""

    def __init__(self, at_once: int = 2, hold_limit: float = 2.0) -> None:
        if at_once < 1:
            raise ValueError("at_once must be at least 1")
        self.at_once = at_once
        self.hold_limit = hold_limit
        self.starting = 0
        """Apps that hold a turn now."""
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._idle = asyncio.Event()
        """Set when the last turn was given back (see ``wait_idle``)."""

    @property
    def waiting(self) -> int:
        """Apps waiting for a turn."""
        return sum(1 for f in self._waiting if not f.done())

    @property
    def busy(self) -> bool:
        """Whether an app is starting or waiting to."""
        return self.starting > 0 or self.waiting > 0

    async def wait_idle(self) -> None:
        """Wait until no app starts or waits to (see ``Reaper``)."""
        while self.busy:
            self._idle.clear()
            await self._idle.wait()

    async def take(self) -> Callable[[], None]:
        """Wait for a turn; returns the function that gives it back (safe to call twice).

        Cancelled while waiting (the client left), it takes nothing.
        """
        if self.starting >= self.at_once or self.waiting:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting.append(future)
            try:
                await future
            except asyncio.CancelledError:
                if future.done() and not future.cancelled():
                    self._pass_on()  # it was handed a turn just as it was cancelled
                raise
        else:
            self.starting += 1
        return self._giver()

    def _giver(self) -> Callable[[], None]:
        given_back = False
        timer: asyncio.TimerHandle | None = None

        def give_back() -> None:
            nonlocal given_back
            if given_back:
                return
            given_back = True
            if timer is not None:
                timer.cancel()
            self._pass_on()

        timer = asyncio.get_running_loop().call_later(self.hold_limit, give_back)
        return give_back

    def _pass_on(self) -> None:
        """A turn ends: hand it to the first app still waiting, or free it."""
        while self._waiting:
            future = self._waiting.popleft()
            if not future.done():
                future.set_result(None)  # the turn passes on: ``starting`` is unchanged
                return
        self.starting -= 1
        if self.starting == 0:
            self._idle.set()


class Reaper:
    """Ends, one after another, the apps of sessions whose client left, giving way to
    app starts.

    When a network blip drops 2,000 sessions at once, ending their 2,000 apps at once
    (each unmounts its widgets and closes their message pumps, 10 to 20 ms of loop work)
    queued every live session's keystrokes and every new login behind all of them: the
    50 logins that followed such a drop took 33 s. The reaper ends one app at a time,
    and before each waits up to ``patience`` seconds for the starts of ``turns`` to be
    over (a member logging in comes before a session nobody looks at any more), so the
    teardown of a crowd happens in the loop's spare time; a steady stream of logins
    cannot postpone it for ever. An app that does not end within ``hold_limit``
    seconds does not hold the others back.
    """

    def __init__(self, turns: StartTurns, patience: float = 0.5, hold_limit: float = 5.0) -> None:
        self.turns = turns
        self.patience = patience
        self.hold_limit = hold_limit
        self._queue: deque[Callable[[], asyncio.Task[None] | None]] = deque()
        self._task: asyncio.Task[None] | None = None
        self.ended = 0
        """Apps ended so far (for tests and the curious)."""

    @property
    def pending(self) -> int:
        """Apps waiting to be ended."""
        return len(self._queue)

    def reap(self, end_app: Callable[[], asyncio.Task[None] | None]) -> None:
        """Queue an app's end: ``end_app`` asks the app to exit and returns the task
        that runs it (or None when there is nothing left to wait for)."""
        self._queue.append(end_app)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while self._queue:
            if self.turns.busy:
                # Logins that keep coming cannot postpone it for ever: after
                # ``patience``, one app ends anyway.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.turns.wait_idle(), self.patience)
            end_app = self._queue.popleft()
            try:
                task = end_app()
            except Exception:
                log.exception("could not end the app of a session whose client left")
                continue
            self.ended += 1
            if task is not None and not task.done():
                await asyncio.wait({task}, timeout=self.hold_limit)

    def stop(self) -> None:
        """The server stops: it ends every session itself."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
