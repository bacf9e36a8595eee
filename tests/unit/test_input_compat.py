"""Guards for what ``portal/ssh/textual_compat.py`` takes from Textual's private API.

Each test names one thing the SSH input path relies on; a Textual upgrade that changes
it fails here, loudly, instead of silently breaking type-ahead on the server.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import inspect

from textual import events
from textual._ansi_sequences import ANSI_SEQUENCES_KEYS
from textual._parser import Parser, ParseTimeout
from textual._xterm_parser import XTermParser
from textual.app import App, ComposeResult
from textual.message_pump import MessagePump
from textual.widgets import Input

from portal.ssh.textual_compat import (
    SessionParser,
    active_nodes,
    barrier,
    dispatch_chain,
    first_pending,
)


def test_textual_is_the_tested_minor_version() -> None:
    major, minor, *_ = importlib.metadata.version("textual").split(".")
    assert (int(major), int(minor)) == (8, 2), "re-check textual_compat.py, then the pin"


def test_the_parser_internals_we_use_exist() -> None:
    assert hasattr(XTermParser._parse_extended_key, "__wrapped__")  # an lru_cache
    parser = XTermParser()
    for name in ("_gen", "_tokens", "_timeout_time", "_awaiting"):
        assert hasattr(parser, name), name
    assert "ParseTimeout" in inspect.getsource(Parser.tick)
    assert issubclass(ParseTimeout, Exception)
    # ESC then one character: the pairs Textual reads as one key, and a digit it maps
    # to a character (the reason Esc + 4 needs splitting).
    assert ANSI_SEQUENCES_KEYS["\x1bb"]  # Alt+b, a tuple of keys
    assert isinstance(ANSI_SEQUENCES_KEYS.get("\x1b4"), str)


def test_textual_alone_would_misread_esc_4() -> None:
    """What SessionParser fixes; if Textual fixes it, the split can go."""
    plain = XTermParser()
    assert [e.key for e in plain.feed("\x1b4") if isinstance(e, events.Key)] != ["escape", "4"]
    ours = SessionParser()
    assert [getattr(e, "key", "") for e in ours.feed_text("\x1b4")] == ["escape", "4"]


def test_a_bracketed_paste_is_one_event() -> None:
    parser = SessionParser()
    (paste,) = parser.feed_text("\x1b[200~hello\nworld\x1b[201~")
    assert isinstance(paste, events.Paste) and paste.text == "hello\nworld"


class _Form(App[None]):
    def compose(self) -> ComposeResult:
        yield Input(id="a", max_length=3)


async def test_message_pump_internals_we_use_exist() -> None:
    app = _Form()
    async with app.run_test() as pilot:
        await pilot.pause()
        for node in active_nodes(app):
            assert isinstance(node, MessagePump)
            assert node._is_mounted is True
            assert isinstance(node._mounted_event, asyncio.Event)
            assert node._closing is False and node._closed is False
            assert node._message_queue.qsize() == 0
        assert first_pending(app) is None
        # A message posted is seen as pending until handled; the barrier waits for it.
        field = app.query_one(Input)
        field.post_message(events.Key("x", "x"))
        assert field._message_queue.qsize() == 1
        assert first_pending(app) is not None
        waiter = barrier(field)
        assert waiter is not None
        await asyncio.wait_for(waiter, 5)
        assert field.value == "x"

        async def settle() -> None:  # the key's own effects (Changed messages) follow
            while (pending := first_pending(app)) is not None:
                await pending

        await asyncio.wait_for(settle(), 5)
        assert set(dispatch_chain(app)) == {app, app.screen, field}


async def test_input_still_pastes_the_first_line_and_enforces_max_length() -> None:
    """``paste_overflow`` mirrors Input._on_paste: first line only, max_length checked."""
    app = _Form()
    async with app.run_test() as pilot:
        field = app.query_one(Input)
        field.focus()
        field.post_message(events.Paste("ab\ncd"))
        await pilot.pause()
        assert field.value == "ab"
        field.post_message(events.Paste("xyz"))  # would pass max_length: Textual refuses
        await pilot.pause()
        assert field.value == "ab"
        assert "splitlines()[0]" in inspect.getsource(Input._on_paste)


def test_strips_make_their_caches_only_when_used() -> None:
    import gc

    from rich.segment import Segment
    from rich.style import Style
    from textual.cache import FIFOCache
    from textual.strip import Strip

    from portal.ssh import textual_compat

    # Textual's strip makes these seven caches in __init__ (read before any change).
    assert set(textual_compat._STRIP_CACHES) == {
        "_divide_cache",
        "_crop_cache",
        "_style_cache",
        "_filter_cache",
        "_line_length_cache",
        "_crop_extend_cache",
        "_offsets_cache",
    }
    textual_compat.strips_with_lazy_caches()
    textual_compat.strips_with_lazy_caches()  # idempotent

    def caches() -> int:
        gc.collect()
        return sum(1 for o in gc.get_objects() if type(o) is FIFOCache)

    before = caches()
    strips = [Strip([Segment(f"ligne {i}", Style(bold=True))]) for i in range(100)]
    assert caches() == before  # none made for strips never cropped or styled
    strip = strips[0]
    assert strip.crop(0, 3) is strip.crop(0, 3)  # the crop cache works once made
    assert caches() == before + 1
    assert strip.crop(0, 3).text == "lig"
    assert [s.text for s in strip.divide([2, 7])] == ["li", "gne 0"]
    red = Style(color="red")
    assert strip.apply_style(red) is strip.apply_style(red)
    assert strip._crop_cache._maxsize == textual_compat._STRIP_CACHES["_crop_cache"]
