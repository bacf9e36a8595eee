"""Everything the SSH input path takes from Textual's private API, in one place.

Textual has no public API for "parse this text into events" (``textual._xterm_parser``)
or for "has this app finished handling what it was given" (its own ``Pilot`` uses
process-wide CPU idleness, useless on a server where hundreds of sessions share one
process). What we rely on, and why:

- ``XTermParser`` and its ``Parser`` base (``_gen``, ``_tokens``, ``_timeout_time``):
  turning the channel's text into key, mouse and paste events, and ending a pending
  escape sequence at once (``flush_escape``) when the next character shows it was a
  lone Escape key.
- ``XTermParser._parse_extended_key`` is an ``lru_cache`` on the class, replaced per
  parser (see ``SessionParser``).
- ``MessagePump._message_queue`` (Textual's own small queue, with ``qsize``),
  ``_is_mounted``, ``_mounted_event``, ``_closing`` and ``_closed``: whether a node
  still has messages queued, and whether it finished mounting. A message in hand is
  waited for with a public ``call_later`` barrier, as ``Pilot`` does.

- The CSS work every app repeats (parsing the same files, matching the same rules) is
  shared in ``textual_css.py``, with its own notes.

- ``Strip.render``, ``Style._ansi``/``_attributes``/``_color``... and Rich's
  ``Console._color_system``: Textual caches escape sequences in the strip and in the
  (process-wide, shared) Rich style, for whichever colour system rendered them first,
  so a 16-colour client received 256-colour codes rendered for another session.
  ``render_per_colour_system`` leaves those caches to 256 colours and renders for the
  other colour systems through caches of its own, keyed by colour system.

- ``Strip._crop_extend_cache`` (a ``FIFOCache``'s ``_cache``): ``divide`` and
  ``crop_extend`` cache a strip inside itself, a reference cycle per line drawn, which
  ``strips_without_self_cycles`` avoids.
- ``Strip.__init__`` and its seven ``FIFOCache`` slots: every strip made its seven
  caches at once, although almost all stay empty (5,142 per session's app for 335
  used: about 650 KB of each session's memory). ``strips_with_lazy_caches`` makes each
  when first used.

``tests/unit/test_input_compat.py`` fails loudly if a Textual upgrade changes any of
this; ``pyproject.toml`` pins Textual below its next minor version.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Iterator
from typing import TYPE_CHECKING, Any

from rich.color import ColorSystem
from rich.style import Style
from textual._ansi_sequences import ANSI_SEQUENCES_KEYS
from textual._parser import ParseTimeout
from textual._xterm_parser import XTermParser
from textual.cache import FIFOCache, LRUCache
from textual.message import Message
from textual.message_pump import MessagePump
from textual.strip import SGR_STYLES, Strip

if TYPE_CHECKING:
    from textual.app import App

BRACKETED_PASTE_START = "\x1b[200~"
BRACKETED_PASTE_END = "\x1b[201~"

_ESCAPE_PAIRS_KEPT = frozenset(
    seq
    for seq, keys in ANSI_SEQUENCES_KEYS.items()
    if len(seq) == 2 and seq[0] == "\x1b" and isinstance(keys, tuple)
)
"""Two-character sequences Textual gives a meaning as a whole (Alt+Backspace, Alt+b/f,
Esc Esc, Esc Tab): kept as one key. ESC followed by any other character that does not
start a CSI/SS3 sequence is an Escape key typed just before that character."""


def _marker_prefix(text: str) -> bool:
    """Whether ``text`` may be the beginning of a paste marker cut by the packet's end."""
    return len(text) < len(BRACKETED_PASTE_START) and (
        BRACKETED_PASTE_START.startswith(text) or BRACKETED_PASTE_END.startswith(text)
    )


def _lone_escape(following: str) -> bool:
    """Whether ESC followed by ``following`` (in the same packet) is the Escape key."""
    if following in "[O\x1b":
        return False  # a CSI or SS3 sequence, or Esc Esc (Textual's own key)
    return "\x1b" + following not in _ESCAPE_PAIRS_KEPT


class SessionParser(XTermParser):
    """Textual's input parser, made fit for a shared server.

    - No process-wide cache: ``XTermParser._parse_extended_key`` is an ``lru_cache`` on
      the class; it keeps a reference to every parser (and through its generator, the
      last key event and the whole App) long after the session ended. Each parser gets
      its own cache instead, which dies with it.
    - Escape followed by a character in the same packet (``Esc 4`` typed fast, over a
      laggy link, or by a password manager) is the Escape key then that character, as
      when typed slowly; Textual would read it as one Alt sequence (``\\x1b4`` is "¢")
      or wait for more. Portal binds no Alt+character, so nothing is lost.
    - An escape character inside a bracketed paste is dropped: pasted text never types
      keys (Textual would end the paste's text and replay the rest as key presses).
    """

    def __init__(self) -> None:
        super().__init__(debug=False)
        unbound = XTermParser._parse_extended_key.__wrapped__  # type: ignore[attr-defined]
        self._parse_extended_key = functools.lru_cache(maxsize=64)(  # type: ignore[method-assign]
            functools.partial(unbound, self)
        )
        self._in_paste = False
        self._carry = ""
        """The end of the last chunk when it may be the start of a paste marker."""

    def feed_text(self, text: str) -> list[Message]:
        """Parse ``text`` (see the class docstring for what differs from ``feed``)."""
        text, self._carry = self._carry + text, ""
        last = text.rfind("\x1b")
        if last != -1 and _marker_prefix(text[last:]):
            # Maybe the start of a paste marker: decide with the next packet, or when
            # the escape delay passes without one (``tick_events``).
            text, self._carry = text[:last], text[last:]
        out: list[Message] = []
        start = index = 0
        while (found := text.find("\x1b", index)) != -1:
            index = found + 1
            if self._in_paste:
                if text.startswith(BRACKETED_PASTE_END, found):
                    self._in_paste = False
                    index = found + len(BRACKETED_PASTE_END)
                else:  # an escape inside a paste never types a key: dropped
                    out += self._feed(text[start:found])
                    start = index
            elif text.startswith(BRACKETED_PASTE_START, found):
                self._in_paste = True
                index = found + len(BRACKETED_PASTE_START)
            elif _lone_escape(text[found + 1]):
                out += self._feed(text[start:index])
                out += self.flush_escape()
                start = index
        out += self._feed(text[start:])
        return out

    def _feed(self, text: str) -> list[Message]:
        return list(self.feed(text)) if text else []  # empty text would mean EOF

    @property
    def escape_pending(self) -> bool:
        """An escape sequence is open: only the escape delay (or more text) ends it."""
        return self._timeout_time is not None or bool(self._carry)

    def tick_events(self) -> list[Message]:
        """The events the escape delay releases (call it once the delay passed)."""
        if self._carry:
            carry, self._carry = self._carry, ""
            return self._feed(carry) + self.flush_escape()
        return list(self.tick())

    def flush_escape(self) -> list[Message]:
        """End a pending escape sequence now, as the escape delay would."""
        if self._timeout_time is None:
            return []
        self._timeout_time = None
        self._awaiting = self._gen.throw(ParseTimeout())
        tokens = list(self._tokens)
        self._tokens.clear()
        return tokens

    def release(self) -> None:
        """Drop the cache and the generator so nothing of the session stays reachable."""
        self._parse_extended_key.cache_clear()  # type: ignore[attr-defined]
        with contextlib.suppress(RuntimeError, ValueError):
            self._gen.close()


# -- escape sequences per colour system ---------------------------------------------------

_STRIP_RENDER = Strip.render
"""Textual's own: renders once, caches the result in the strip whatever the console."""


@functools.lru_cache(maxsize=16384)
def _sgr(style: Style, color_system: ColorSystem) -> str:
    """The SGR parameters of ``style`` in ``color_system``.

    As ``Strip.render_ansi``, without storing the result in ``style._ansi``: Rich and
    Textual keep one rendering per style there, whatever the colour system, and styles
    are shared by every app of the process.
    """
    sgr: list[str] = []
    if attributes := style._attributes & style._set_attributes:
        sgr = [SGR_STYLES[bit] for bit in range(attributes.bit_length()) if attributes & (1 << bit)]
    if (color := style._color) is not None:
        sgr.extend(color.downgrade(color_system).get_ansi_codes())
    if (bgcolor := style._bgcolor) is not None:
        sgr.extend(bgcolor.downgrade(color_system).get_ansi_codes(False))
    return ";".join(sgr)


def _render_segment(style: Style, text: str, color_system: ColorSystem) -> str:
    ansi = _sgr(style, color_system)
    output = f"\x1b[{ansi}m{text}\x1b[0m" if ansi else text
    if style._link:
        output = f"\x1b]8;id={style._link_id};{style._link}\x1b\\{output}\x1b]8;;\x1b\\"
    return output


NATIVE_COLOUR_SYSTEM = ColorSystem.EIGHT_BIT
"""The colour system Textual's own caches are left to: 256 colours, what most clients
announce (``TERM=xterm-256color``; ``COLORTERM`` only travels with ``SendEnv``)."""

_RENDERED: LRUCache[tuple[int, ColorSystem], tuple[Strip, str]] = LRUCache(8192)
"""Strips rendered for the other colour systems; the entry keeps its strip, so the id in
the key cannot be reused while the entry lives."""


def _render_strip(self: Strip, console: Any) -> str:
    color_system = console._color_system or ColorSystem.TRUECOLOR
    if color_system == NATIVE_COLOUR_SYSTEM:
        return _STRIP_RENDER(self, console)  # its caches only ever hold 256-colour codes
    key = (id(self), color_system)
    cached = _RENDERED.get(key)
    if cached is not None and cached[0] is self:
        return cached[1]
    rendered = "".join(
        [
            text if style is None else _render_segment(style, text, color_system)
            for text, style, _ in self._segments
        ]
    )
    _RENDERED[key] = (self, rendered)
    return rendered


def render_per_colour_system() -> None:
    """Render each strip for the colours of the console it is drawn on (idempotent).

    Installed at import of the SSH driver, before any session draws: from then on the
    escape sequences Textual caches in strips and styles are always the 256-colour ones.
    """
    Strip.render = _render_strip  # type: ignore[method-assign]


# -- strips that do not cache themselves --------------------------------------------------

_STRIP_DIVIDE = Strip.divide
_STRIP_CROP_EXTEND = Strip.crop_extend


def _divide(self: Strip, cuts: Any) -> Any:
    cell_length = self.cell_length
    cuts = [cut for cut in cuts if cut <= cell_length]
    if cuts == [cell_length]:
        return [self]  # Textual's own caches this list, which holds the strip itself
    return _STRIP_DIVIDE(self, cuts)


def _crop_extend(self: Strip, start: int, end: int, style: Style | None) -> Strip:
    strip = _STRIP_CROP_EXTEND(self, start, end, style)
    if strip is self:  # cached as its own crop: a cycle; drop that entry
        self._crop_extend_cache._cache.pop((start, end, style), None)
    return strip


def strips_without_self_cycles() -> None:
    """Never let a strip keep itself in its own caches (idempotent).

    ``Strip.divide`` with one cut at the end, and ``Strip.crop_extend`` over the whole
    strip, return the strip itself and cache it in the strip: a reference cycle (the
    strip, its seven ``FIFOCache``, their dicts, its segments), which only a full
    collection frees. Measured over SSH: 220 such objects per keystroke, 455,000 after
    2,000 keystrokes of 100 sessions; at 2,000 sessions a full collection takes seconds.
    Without the cycle, reference counting frees the strips as soon as Textual's caches
    drop them.
    """
    Strip.divide = _divide  # type: ignore[method-assign]
    Strip.crop_extend = _crop_extend  # type: ignore[method-assign]


# -- strips that make their caches when first used ------------------------------------------


def _textual_strip_caches() -> dict[str, int]:
    """The ``FIFOCache`` slots a Textual strip makes in ``__init__``, and their sizes."""
    strip = Strip([])
    return {
        name: getattr(strip, name)._maxsize
        for name in Strip.__slots__
        if isinstance(getattr(strip, name, None), FIFOCache)
    }


_STRIP_CACHES = _textual_strip_caches()
"""Read from Textual's own strip before anything is changed (names and sizes)."""


def _lazy_cache(slot: Any, size: int) -> property:
    def get(self: Strip) -> FIFOCache[Any, Any]:
        try:
            cache: FIFOCache[Any, Any] = slot.__get__(self, Strip)
        except AttributeError:  # not made yet
            cache = FIFOCache(size)
            slot.__set__(self, cache)
        return cache

    def put(self: Strip, value: FIFOCache[Any, Any]) -> None:
        slot.__set__(self, value)

    return property(get, put)


def _strip_init(self: Strip, segments: Any, cell_length: int | None = None) -> None:
    # Textual's __init__ without the caches (each is made by its property when used).
    self._segments = list(segments)
    self._cell_length = cell_length
    self._render_cache = None
    self._link_ids = None
    self._cell_count = None


def strips_with_lazy_caches() -> None:
    """Make each strip's caches when first used, not all seven at once (idempotent).

    A strip is made for every line of every widget drawn, and most are never cropped,
    divided or styled again: their caches stay empty. Made on first use, an idle
    session's app holds about 650 KB less, and each frame makes 7 objects fewer per line.
    """
    if Strip.__init__ is _strip_init:
        return
    for name, size in _STRIP_CACHES.items():
        setattr(Strip, name, _lazy_cache(Strip.__dict__[name], size))
    Strip.__init__ = _strip_init  # type: ignore[method-assign]


# -- "has the app finished handling what it was given" ---------------------------------


def active_nodes(app: App[Any]) -> Iterator[MessagePump]:
    """The app, its current screen and every widget on that screen."""
    yield app
    try:
        screen = app.screen
    except Exception:  # no screen yet (starting) or none left (closing)
        return
    yield from screen.walk_children(with_self=True)


def dispatch_chain(app: App[Any]) -> list[MessagePump]:
    """The nodes a key goes through: the app, the focused widget and its ancestors."""
    chain: list[MessagePump] = [app]
    try:
        screen = app.screen
    except Exception:
        return chain
    focused = screen.focused
    if focused is None:
        chain.append(screen)
    else:
        chain.extend(node for node in focused.ancestors_with_self if node is not app)
    return chain


def _release(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def barrier(node: MessagePump) -> asyncio.Future[None] | None:
    """A future done once ``node`` handled everything queued or in hand before it.

    The same trick as Textual's ``Pilot._wait_for_screen``: a callback queued behind
    whatever the node has (None when the node is closing and takes nothing more).
    """
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    if node.call_later(_release, future):
        return future
    return None


def pending_waiter(node: MessagePump) -> Awaitable[Any] | None:
    """Something to await while ``node`` has messages queued or is still mounting.

    A message in hand is not seen here (Textual's queue does not count it): see
    ``barrier``. None when the node is idle, or closing (nothing more will come).
    """
    if node._closing or node._closed:
        return None
    if not node._is_mounted:
        return node._mounted_event.wait()
    if node._message_queue.qsize():
        return barrier(node)
    return None


def first_pending(app: App[Any]) -> Awaitable[Any] | None:
    """A waiter for the first node of the active screen that is not idle yet."""
    for node in active_nodes(app):
        waiter = pending_waiter(node)
        if waiter is not None:
            return waiter
    return None


__all__ = [
    "SessionParser",
    "render_per_colour_system",
    "strips_with_lazy_caches",
    "strips_without_self_cycles",
    "active_nodes",
    "barrier",
    "dispatch_chain",
    "first_pending",
    "pending_waiter",
]
