"""App starts take turns: a burst of logins reaches home first come, first served.

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
from collections import deque
from collections.abc import Callable


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

    @property
    def waiting(self) -> int:
        """Apps waiting for a turn."""
        return sum(1 for f in self._waiting if not f.done())

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
