"""One session's input: type-ahead in order, bounded, rate-limited and parsed in slices.

Every byte a client types goes through one ``InputQueue`` per session, between the SSH
channel and the app:

- **Type-ahead.** Events are dispatched one at a time. Before the next one goes, the
  effects of the previous one are in place: the message queues of the app, of its
  current screen and of every widget on it are drained, every node of that screen is
  mounted (a key that pushed a screen has it composed and focused, so keys typed while
  it opens go to it), and the workers started since the previous event (a screen
  loading its data through ``self.portal.call`` in a ``@work`` worker, a basket change)
  have finished. Each event waits at most ``settle_timeout`` for this, so a long worker
  never blocks typing for good. Keys that arrive together thus land exactly where slow
  typing would put them. The queue settles right after each event, so a key typed
  once the app is idle goes at once, with no added latency.
- **Bounds.** Text waiting to be parsed or dispatched is capped at
  ``max_pending_chars``; the excess is dropped (logged once per episode), and a session
  that has more than ``close_after_dropped_chars`` dropped before its queue drains
  (with the defaults: it sent over twice its budget at once) is closed with a farewell.
  Dispatch is rate-limited by a token bucket (``events_per_second``, ``event_burst``);
  a paste counts as one event.
- **Fair share of the loop.** Text is parsed lazily, ``parse_slice_chars`` at a time,
  with a yield to the event loop between slices and between events, so a flood into one
  session never holds the loop shared by every session for more than a few
  milliseconds.
- **Paste.** A bracketed paste reaches the focused field as one ``Paste`` event; one
  longer than the focused ``Input`` accepts (``max_length``) is refused with a visible,
  translated sentence rather than silently dropped by Textual; so is a paste cut short
  by the budget (its end marker is kept, so that typing goes on after it).

Mouse events go through the queue as well (a click lands after the keys typed before
it), with consecutive moves coalesced; window resizes bypass it (``SSHDriver.resize``):
a resize has no order to keep with keys, and must reach the app even behind a burst.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import constants, events
from textual.message import Message
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from portal.i18n import _
from portal.ssh.textual_compat import (
    BRACKETED_PASTE_END,
    BRACKETED_PASTE_START,
    SessionParser,
    barrier,
    dispatch_chain,
    first_pending,
)

if TYPE_CHECKING:
    from textual.app import App

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InputLimits:
    """How much input one session may queue, and how fast it is applied."""

    max_pending_chars: int = 32_768
    """Characters received but not yet dispatched (a paste up to this size fits)."""
    close_after_dropped_chars: int = 32_768
    """Close the session once this much more was dropped before its queue drained."""
    parse_slice_chars: int = 512
    """Characters parsed per turn of the event loop."""
    events_per_second: float = 500.0
    """Sustained dispatch rate (far above any typist; a paste is one event)."""
    event_burst: int = 1_000
    """Events dispatched back to back before the rate applies."""
    settle_timeout: float = 2.0
    """Longest wait for one event's effects before the next event goes anyway."""
    startup_timeout: float = 10.0
    """Longest wait for the app's first screen before the first event goes anyway."""


@dataclass
class InputStats:
    """Counters for tests, the bench and the log."""

    dispatched: int = 0
    dropped_chars: int = 0
    refused_pastes: int = 0
    settle_timeouts: int = 0
    longest_slice: float = 0.0
    """Seconds of the longest parse slice (the longest the queue held the loop parsing)."""


def paste_overflow(app: App[Any], paste: events.Paste) -> tuple[int, int] | None:
    """``(length, max_length)`` when ``paste`` does not fit the focused ``Input``."""
    field = app.focused
    if not isinstance(field, Input) or not field.max_length or not paste.text:
        return None
    line = paste.text.splitlines()[0] if paste.text.splitlines() else ""
    selected = len(field.selected_text)
    if len(field.value) - selected + len(line) <= field.max_length:
        return None
    return len(line), field.max_length


class InputQueue:
    """The single queue of one session's pending input (see the module docstring)."""

    def __init__(
        self,
        app: App[Any],
        dispatch: Callable[[Message], None],
        *,
        limits: InputLimits | None = None,
        on_flood: Callable[[], None] | None = None,
    ) -> None:
        self._app = app
        self._dispatch = dispatch
        self.limits = limits or InputLimits()
        self._on_flood = on_flood
        self._parser: SessionParser | None = SessionParser()
        self._raw: deque[str] = deque()
        self._events: deque[tuple[Message, int]] = deque()
        self._pending = 0
        """Characters queued: raw text plus what parsed events stand for."""
        self._episode_dropped = 0
        self._flooded = False
        self._tokens = float(self.limits.event_burst)
        self._refilled = time.monotonic()
        self._started = False
        self._settled = False
        """The last event's effects are known to be in place."""
        self._workers_before: set[Worker[Any]] = set()
        self._task: asyncio.Task[None] | None = None
        self._tick: asyncio.TimerHandle | None = None
        self._closed = False
        self._intake_in_paste = False
        self._intake_tail = ""
        self._pastes_in = 0
        """Bracketed pastes received (their start markers)."""
        self._pastes_out = 0
        """Paste events parsed."""
        self._cut_pastes: set[int] = set()
        """Numbers of the pastes cut short by the budget: refused when they arrive."""
        self.stats = InputStats()

    # -- intake (on the event loop, from the channel's data_received) --------------------

    @property
    def pending_chars(self) -> int:
        """Characters received and not yet dispatched."""
        return self._pending

    @property
    def idle(self) -> bool:
        """Nothing queued and nothing being dispatched."""
        return self._task is None and not self._pending and not self._events

    def feed(self, text: str) -> None:
        """Queue text typed by the client; what exceeds the budget is dropped."""
        if self._closed or not text:
            return
        room = max(self.limits.max_pending_chars - self._pending, 0)
        if len(text) > room:
            text = self._truncate(text, room)
        else:
            self._track_pastes(text)
        if text:
            self._raw.append(text)
            self._pending += len(text)
            self._wake()

    def _track_pastes(self, text: str) -> None:
        """Follow paste markers in accepted text (counting pastes, knowing if one is open)."""
        window = self._intake_tail + text
        self._pastes_in += window.count(BRACKETED_PASTE_START) - self._intake_tail.count(
            BRACKETED_PASTE_START
        )
        opened, closed = window.rfind(BRACKETED_PASTE_START), window.rfind(BRACKETED_PASTE_END)
        if opened != closed:  # neither: unchanged
            self._intake_in_paste = opened > closed
        self._intake_tail = window[-(len(BRACKETED_PASTE_END) - 1) :]

    def _truncate(self, text: str, room: int) -> str:
        """Keep what fits; a paste cut short is closed and marked, to be refused whole."""
        kept, dropped = text[:room], text[room:]
        self._track_pastes(kept)
        if self._intake_in_paste:
            self._cut_pastes.add(self._pastes_in)
            end = (self._intake_tail + dropped).find(BRACKETED_PASTE_END)
            if end != -1:  # the paste ends in what is dropped: keep its end marker
                kept += BRACKETED_PASTE_END
                self._track_pastes(BRACKETED_PASTE_END)
        self._drop(len(dropped))
        return kept

    def _drop(self, count: int) -> None:
        if not self._episode_dropped:
            log.warning("session input over budget: dropping what exceeds it")
        self._episode_dropped += count
        self.stats.dropped_chars += count
        if (
            not self._flooded
            and self._episode_dropped > self.limits.close_after_dropped_chars
            and self._on_flood is not None
        ):
            self._flooded = True
            log.warning("closing a session that keeps sending more input than it can take")
            self._on_flood()

    def _wake(self) -> None:
        if self._task is None and not self._closed:
            self._task = asyncio.get_running_loop().create_task(self._pump())

    # -- the pump: parse a slice, wait for the app to settle, dispatch one event --------

    async def _pump(self) -> None:
        try:
            while not self._closed:
                if not self._events:
                    if not self._raw:
                        # Settle now, so that a key typed later goes at once.
                        await self._settle()
                        if self._raw or self._events:
                            continue
                        break
                    self._parse_slice()
                    await asyncio.sleep(0)  # one slice per turn of the loop
                    continue
                event, cost = self._events.popleft()
                if self._closed:
                    break
                self._pending -= cost
                if (
                    isinstance(event, events.MouseMove)
                    and self._events
                    and isinstance(self._events[0][0], events.MouseMove)
                ):
                    continue  # only the last of consecutive moves matters
                await self._throttle()
                await self._settle()
                if self._closed:
                    break
                self._send(event)
                await asyncio.sleep(0)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("session input failed; the pending input is dropped")
            self._raw.clear()
            self._events.clear()
            self._pending = 0
        finally:
            self._task = None
            if not self._pending:
                self._episode_dropped = 0

    def _parse_slice(self) -> None:
        parser = self._parser
        assert parser is not None
        size = self.limits.parse_slice_chars
        chunk = self._raw.popleft()
        if len(chunk) > size:
            self._raw.appendleft(chunk[size:])
            chunk = chunk[:size]
        started = time.perf_counter()
        parsed = parser.feed_text(chunk)
        self.stats.longest_slice = max(self.stats.longest_slice, time.perf_counter() - started)
        self._pending -= len(chunk)
        for event in parsed:
            cost = len(event.text) if isinstance(event, events.Paste) else 1
            self._events.append((event, cost))
            self._pending += cost
        if not self._raw and parser.escape_pending:
            self._arm_tick()

    def _arm_tick(self) -> None:
        if self._tick is not None:
            self._tick.cancel()
        loop = asyncio.get_running_loop()
        self._tick = loop.call_later(constants.ESCAPE_DELAY + 0.01, self._run_tick)

    def _run_tick(self) -> None:
        """A lone Escape is only known once nothing followed it for the escape delay."""
        self._tick = None
        if self._closed or self._parser is None or self._raw:
            return  # more text came: the pump's parsing decides
        for event in self._parser.tick_events():
            self._events.append((event, 1))
            self._pending += 1
        if self._events:
            self._wake()

    async def _throttle(self) -> None:
        limits = self.limits
        now = time.monotonic()
        self._tokens = min(
            float(limits.event_burst),
            self._tokens + (now - self._refilled) * limits.events_per_second,
        )
        self._refilled = now
        if self._tokens < 1:
            await asyncio.sleep((1 - self._tokens) / limits.events_per_second)
            self._tokens = 1.0
            self._refilled = time.monotonic()
        self._tokens -= 1

    async def _settle(self) -> None:
        """Wait until the last event's effects are in place (or its time is up).

        In place means: no node of the active screen has messages queued or is still
        mounting; the nodes the event went through (app, focused widget and its
        ancestors) have handled everything they had in hand; and no worker started
        since the event, by the app or on the active screen, is still running. A worker
        of a screen now covered by another (one waiting for a dialog's answer, say) is
        not waited for: the keys that follow are for the screen on top. A worker's end
        may queue more, so the checks run again after it.
        """
        if self._settled:
            return
        app = self._app
        loop = asyncio.get_running_loop()
        limits = self.limits
        timeout = limits.settle_timeout if self._started else limits.startup_timeout
        deadline = loop.time() + timeout
        chain_done = False
        while not self._closed:
            remaining = deadline - loop.time()
            if remaining <= 0:
                self.stats.settle_timeouts += 1
                log.debug("input: the last event did not settle in time; going on")
                break
            waiter: Any = first_pending(app)
            if waiter is None and not chain_done:
                chain_done = True
                waiters = [w for w in map(barrier, dispatch_chain(app)) if w is not None]
                waiter = asyncio.gather(*waiters) if waiters else None
            if waiter is None:
                running = [
                    worker
                    for worker in app.workers
                    if worker not in self._workers_before
                    and worker.state == WorkerState.RUNNING
                    and _on_active_screen(app, worker)
                ]
                if not running:
                    break
                chain_done = False
                waiter = _first_to_finish(running)
            try:
                async with asyncio.timeout(remaining):
                    await waiter
            except TimeoutError:
                pass
        self._settled = True
        self._workers_before = set()

    def _send(self, event: Message) -> None:
        if isinstance(event, events.Paste):
            self._pastes_out += 1
            if self._pastes_out in self._cut_pastes:
                self._cut_pastes.discard(self._pastes_out)
                self.stats.refused_pastes += 1
                limit = self.limits.max_pending_chars
                self._app.call_later(_refuse_long_paste, self._app, limit)
                return
            overflow = paste_overflow(self._app, event)
            if overflow is not None:
                self.stats.refused_pastes += 1
                self._app.call_later(_refuse_paste, self._app, *overflow)
                return
        self._workers_before = set(self._app.workers)
        self._started = True
        self._settled = False
        self.stats.dispatched += 1
        self._dispatch(event)

    # -- end -----------------------------------------------------------------------------

    def close(self) -> None:
        """Stop: drop what is queued, stop the pump and release the parser."""
        self._closed = True
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._raw.clear()
        self._events.clear()
        self._pending = 0
        self._workers_before = set()
        if self._parser is not None:
            self._parser.release()
            self._parser = None


def _on_active_screen(app: App[Any], worker: Worker[Any]) -> bool:
    """Whether ``worker`` runs for the app itself or for a node of its active screen."""
    node = worker.node
    if node is app:
        return True
    try:
        return node.screen is app.screen  # type: ignore[attr-defined, no-any-return]
    except Exception:  # unmounted, or no screen: nothing the next key waits for
        return False


async def _first_to_finish(workers: list[Worker[Any]]) -> None:
    """Wait until one of ``workers`` is done, however it ends.

    The watchers are left to end with their worker, never cancelled: cancelling a task
    that awaits ``Worker.wait`` would cancel the worker itself (asyncio cancels what a
    task awaits). ``asyncio.wait`` leaves them be when this wait is cut short.
    """
    await asyncio.wait(
        [asyncio.ensure_future(_watch(worker)) for worker in workers],
        return_when=asyncio.FIRST_COMPLETED,
    )


async def _watch(worker: Worker[Any]) -> None:
    try:
        await worker.wait()
    except Exception:  # failed or cancelled: finished all the same (handled elsewhere)
        return


def _refuse_long_paste(app: App[Any], limit: int) -> None:
    """Say that a paste too long to be received was not pasted (in the app's task)."""
    app.notify(
        _("Nothing was pasted: the text is too long (at most {max} characters).", max=limit),
        severity="warning",
    )


def _refuse_paste(app: App[Any], length: int, max_length: int) -> None:
    """Say why a paste did not land (runs in the app's task, in its language)."""
    app.notify(
        _(
            "Nothing was pasted: {length} characters, this field takes at most {max}.",
            length=length,
            max=max_length,
        ),
        severity="warning",
    )
