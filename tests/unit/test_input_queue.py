"""The session input queue: type-ahead, bounds, rate, slicing, paste and Escape.

Each test runs a small Textual app headless and feeds text through an ``InputQueue``
exactly as the SSH driver does (the driver's ``process_message`` posts to the app).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, Static

from portal.ssh.input_queue import InputLimits, InputQueue
from portal.ssh.textual_compat import SessionParser

FAST = InputLimits(events_per_second=1e6, event_burst=1_000_000)


def queue_for(app: App[Any], limits: InputLimits = FAST, **kw: Any) -> InputQueue:
    def dispatch(message: Message) -> None:
        message.set_sender(app)
        app.post_message(message)

    return InputQueue(app, dispatch, limits=limits, **kw)


async def drained(queue: InputQueue, pilot: Pilot[Any], workers: bool = True) -> None:
    async def loop() -> None:
        while not queue.idle:
            await asyncio.sleep(0)

    await asyncio.wait_for(loop(), 10)
    if workers:
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


class DataScreen(Screen[None]):
    """Loads its field in a worker that waits for the test's go-ahead."""

    def __init__(self, gate: asyncio.Event) -> None:
        super().__init__()
        self.gate = gate

    def compose(self) -> ComposeResult:
        yield Input(id="field")

    def on_mount(self) -> None:
        self.load()

    @work
    async def load(self) -> None:
        await self.gate.wait()
        field = self.query_one("#field", Input)
        field.value = "loaded"
        field.cursor_position = len(field.value)
        field.focus()


class Dialog(Screen[str]):
    def compose(self) -> ComposeResult:
        yield Input(id="answer")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)


class Home(Screen[None]):
    BINDINGS = [Binding("o", "open", "Open"), Binding("d", "ask", "Ask")]
    answer = ""

    @work
    async def action_ask(self) -> None:
        self.answer = await self.app.push_screen_wait(Dialog())

    def __init__(self, gate: asyncio.Event) -> None:
        super().__init__()
        self.gate = gate

    def compose(self) -> ComposeResult:
        yield Static("home")

    def action_open(self) -> None:
        self.app.push_screen(DataScreen(self.gate))


class LoadingApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    def on_mount(self) -> None:
        self.push_screen(Home(self.gate))


class Form(App[None]):
    def compose(self) -> ComposeResult:
        yield Input(id="a")
        yield Input(id="b", max_length=5)
        yield Input(id="c")


async def test_keys_typed_while_a_screen_loads_go_to_that_screen_after_its_data() -> None:
    app = LoadingApp()
    async with app.run_test() as pilot:
        queue = queue_for(app)
        queue.feed("oabc")  # one write: open, then type while it loads

        async def opened() -> None:
            while not isinstance(app.screen, DataScreen) or not app.screen.is_mounted:
                await asyncio.sleep(0)

        await asyncio.wait_for(opened(), 5)
        await pilot.pause()
        assert queue.stats.dispatched == 1  # "abc" wait for the screen's data
        app.gate.set()
        await drained(queue, pilot)
        assert app.screen.query_one("#field", Input).value == "loadedabc"
        assert queue.stats.settle_timeouts == 0


async def test_a_long_worker_holds_the_next_key_at_most_settle_timeout() -> None:
    app = LoadingApp()
    async with app.run_test() as pilot:
        queue = queue_for(app, InputLimits(events_per_second=1e6, settle_timeout=0.2))
        started = time.monotonic()
        queue.feed("oab")  # the gate stays closed: the screen's worker runs on
        await drained(queue, pilot, workers=False)
        assert queue.stats.settle_timeouts == 1  # "a" waited, "b" did not wait again
        assert time.monotonic() - started < 5
        # The keys were applied (to the Input, focused by default on the new screen).
        assert app.screen.query_one("#field", Input).value == "ab"
        app.gate.set()


async def test_keys_go_to_a_dialog_a_worker_waits_on_without_delay() -> None:
    """The worker waiting for the dialog's answer is not waited for: its screen is covered."""
    app = LoadingApp()
    async with app.run_test() as pilot:
        queue = queue_for(app)
        home = app.screen
        queue.feed("dyes\r")
        await drained(queue, pilot)
        assert isinstance(home, Home) and home.answer == "yes"
        assert queue.stats.settle_timeouts == 0


async def test_a_burst_equals_keys_sent_one_by_one() -> None:
    keys = ["x", "\t", "y", "\t", "z", "\x1b[D", "\x7f", "q"]
    results = []
    for burst in (False, True):
        app = Form()
        async with app.run_test() as pilot:
            queue = queue_for(app)
            if burst:
                queue.feed("".join(keys))
                await drained(queue, pilot)
            else:
                for key in keys:
                    queue.feed(key)
                    await drained(queue, pilot)
            results.append([w.value for w in app.query(Input)])
    assert results[0] == results[1] == ["x", "y", "qz"]


async def test_over_budget_input_is_dropped_and_a_persistent_flood_closes() -> None:
    app = Form()
    flooded: list[bool] = []
    async with app.run_test() as pilot:
        limits = InputLimits(
            max_pending_chars=100, close_after_dropped_chars=150, events_per_second=1e6
        )
        queue = queue_for(app, limits, on_flood=lambda: flooded.append(True))
        queue.feed("a" * 150)
        assert queue.pending_chars == 100
        assert queue.stats.dropped_chars == 50
        assert not flooded
        queue.feed("b" * 200)  # still full: everything dropped, past the close threshold
        assert queue.stats.dropped_chars == 250
        assert flooded == [True]
        queue.feed("c" * 200)
        assert flooded == [True]  # reported once
        await drained(queue, pilot)
        assert app.query_one("#a", Input).value == "a" * 100


async def test_dropping_resets_once_the_queue_drained() -> None:
    app = Form()
    flooded: list[bool] = []
    async with app.run_test() as pilot:
        limits = InputLimits(max_pending_chars=50, close_after_dropped_chars=60)
        queue = queue_for(app, limits, on_flood=lambda: flooded.append(True))
        for _ in range(3):  # three separate overflows of 50, each after a drain
            queue.feed("a" * 100)
            await drained(queue, pilot)
        assert queue.stats.dropped_chars == 150
        assert flooded == []


async def test_dispatch_is_rate_limited() -> None:
    app = Form()
    async with app.run_test() as pilot:
        queue = queue_for(app, InputLimits(events_per_second=200, event_burst=10))
        started = time.monotonic()
        queue.feed("a" * 50)
        await drained(queue, pilot)
        # 10 at once, then 40 at 200/s: at least 0.2 s.
        assert time.monotonic() - started >= 0.19
        assert app.query_one("#a", Input).value == "a" * 50


async def test_parsing_is_sliced_so_the_loop_keeps_turning() -> None:
    app = Form()
    async with app.run_test() as pilot:
        queue = queue_for(app, InputLimits(max_pending_chars=1 << 20, **_fast()))
        gaps: list[float] = []
        stop = asyncio.Event()

        async def ticker() -> None:
            last = time.perf_counter()
            while not stop.is_set():
                await asyncio.sleep(0)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        task = asyncio.ensure_future(ticker())
        # A 100 KB paste: one event, parsed 512 characters per turn of the loop.
        queue.feed("\x1b[200~" + "x" * 100_000 + "\x1b[201~")
        await drained(queue, pilot)
        stop.set()
        await task
        assert queue.stats.longest_slice < 0.05
        assert max(gaps) < 0.25, max(gaps)
        assert len(gaps) > 100  # the loop turned between slices


def _fast() -> dict[str, Any]:
    return {"events_per_second": 1e6, "event_burst": 1_000_000}


async def test_a_paste_too_long_for_the_field_is_refused_with_a_sentence() -> None:
    app = Form()
    said: list[str] = []
    async with app.run_test() as pilot:
        app.notify = lambda message, **kw: said.append(str(message))  # type: ignore[method-assign,assignment]
        queue = queue_for(app)
        app.query_one("#b", Input).focus()
        await pilot.pause()
        queue.feed("\x1b[200~123456789\x1b[201~")
        await drained(queue, pilot)
        assert app.query_one("#b", Input).value == ""
        assert said and "9" in said[0] and "5" in said[0]
        assert queue.stats.refused_pastes == 1
        queue.feed("\x1b[200~12345\x1b[201~")  # fits: pasted as one event
        await drained(queue, pilot)
        assert app.query_one("#b", Input).value == "12345"
        assert len(said) == 1


async def test_mouse_goes_through_the_queue_in_order_with_keys() -> None:
    app = Form()
    async with app.run_test() as pilot:
        queue = queue_for(app)
        region = app.query_one("#c", Input).region
        x, y = region.x + 2, region.y + 1  # 1-based terminal coordinates, inside "c"
        moves = "".join(f"\x1b[<35;{x};{y}M" for _ in range(20))  # coalesced to one
        queue.feed(f"ab{moves}\x1b[<0;{x};{y}M\x1b[<0;{x};{y}mcd")  # type, click, type
        await drained(queue, pilot)
        assert [w.value for w in app.query(Input)] == ["ab", "", "cd"]
        assert queue.stats.dispatched < 20


async def test_a_paste_longer_than_the_budget_is_refused_and_typing_goes_on() -> None:
    app = Form()
    said: list[str] = []
    async with app.run_test() as pilot:
        app.notify = lambda message, **kw: said.append(str(message))  # type: ignore[method-assign,assignment]
        queue = queue_for(app, InputLimits(max_pending_chars=100, **_fast()))
        queue.feed("\x1b[200~" + "x" * 300)  # cut by the budget, its end still to come
        queue.feed("y" * 50 + "\x1b[201~ab")  # the end marker arrives, then typing
        await drained(queue, pilot)
        assert said and "100" in said[0]
        assert queue.stats.refused_pastes == 1
        assert app.query_one("#a", Input).value == ""  # nothing pasted; "ab" came over budget
        queue.feed("cd")
        await drained(queue, pilot)
        assert app.query_one("#a", Input).value == "cd"


def keys_of(parser: SessionParser, *chunks: str) -> list[str]:
    out = []
    for chunk in chunks:
        out += [getattr(e, "key", type(e).__name__) for e in parser.feed_text(chunk)]
    return out


def test_escape_followed_by_a_character_is_the_escape_key() -> None:
    parser = SessionParser()
    assert keys_of(parser, "1\x1b4/c\r") == ["1", "escape", "4", "slash", "c", "enter"]
    assert keys_of(parser, "\x1bcin") == ["escape", "c", "i", "n"]


def test_escape_sequences_and_alt_editing_keys_are_kept() -> None:
    parser = SessionParser()
    assert keys_of(parser, "\x1b[A\x1b[B") == ["up", "down"]
    assert keys_of(parser, "\x1b\x7f") == ["ctrl+w"]  # Alt+Backspace
    assert keys_of(parser, "\x1b[200~a\x1bb\x1b[201~") == ["Paste"]  # no key from a paste


def test_escape_inside_a_paste_split_across_packets_stays_in_the_paste() -> None:
    parser = SessionParser()
    assert keys_of(parser, "\x1b[20", "0~a\x1bz", "b\x1b[201~") == ["Paste"]
    assert keys_of(parser, "\x1b4") == ["escape", "4"]  # the paste is over


def test_a_trailing_escape_waits_for_the_next_packet_or_the_delay() -> None:
    parser = SessionParser()
    assert keys_of(parser, "\x1b") == []
    assert parser.escape_pending
    assert keys_of(parser, "[A") == ["up"]
    assert keys_of(parser, "\x1b") == []
    assert [e.key for e in parser.tick_events()] == ["escape"]  # type: ignore[attr-defined]
    assert not parser.escape_pending
    assert keys_of(parser, "\x1b", "4") == ["escape", "4"]  # Esc and 4 in two packets
