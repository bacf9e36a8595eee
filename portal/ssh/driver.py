"""A Textual driver that draws on an SSH channel instead of the process's terminal.

Why not ``LinuxDriver``: it reads ``sys.__stdin__``, installs process-wide signal
handlers (a suspend would stop the whole server) and starts threads. This driver has no
thread: the SSH session feeds it the channel's text (``feed``) and size changes
(``resize``) on the event loop, and it writes frames to the channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from typing import TYPE_CHECKING, Any, Protocol

from textual import constants, events
from textual._xterm_parser import XTermParser
from textual.driver import Driver
from textual.geometry import Size
from textual.message import Message

if TYPE_CHECKING:
    from textual.app import App


class Terminal(Protocol):
    """What the driver needs from the SSH session it draws on."""

    size: tuple[int, int]

    def write(self, data: str) -> None:
        """Send text to the client."""

    def attach(self, driver: SSHDriver | None) -> None:
        """Start (or with None, stop) forwarding input and resizes to ``driver``."""


class SessionParser(XTermParser):
    """Textual's input parser without its process-wide cache.

    ``XTermParser._parse_extended_key`` is an ``lru_cache`` on the class: it keeps a
    reference to every parser (and through its generator, the last key event and the
    whole App) long after the session ended. Each parser gets its own cache instead,
    which dies with it.
    """

    def __init__(self) -> None:
        super().__init__(debug=False)
        unbound = XTermParser._parse_extended_key.__wrapped__  # type: ignore[attr-defined]
        self._parse_extended_key = functools.lru_cache(maxsize=64)(  # type: ignore[method-assign]
            functools.partial(unbound, self)
        )

    def release(self) -> None:
        """Drop the cache and the generator so nothing of the session stays reachable."""
        self._parse_extended_key.cache_clear()  # type: ignore[attr-defined]
        with contextlib.suppress(RuntimeError, ValueError):
            self._gen.close()


class SSHDriver(Driver):
    """Draws one session's app on its SSH channel."""

    def __init__(
        self,
        app: App[Any],
        *,
        debug: bool = False,
        mouse: bool = True,
        size: tuple[int, int] | None = None,
    ) -> None:
        super().__init__(app, debug=debug, mouse=mouse, size=size)
        terminal = getattr(app, "terminal", None)
        if terminal is None:
            raise RuntimeError("SSHDriver needs an app with a .terminal (the SSH session)")
        self._terminal: Terminal | None = terminal
        self._parser: SessionParser | None = SessionParser()
        self._tick: asyncio.TimerHandle | None = None

    def send_message(self, message: Message) -> None:
        """Post straight to the app: we are already on its event loop."""
        self._app.post_message(message)

    def write(self, data: str) -> None:
        """Write to the channel (the session drops clients that stop reading)."""
        if self._terminal is not None:
            self._terminal.write(data)

    def start_application_mode(self) -> None:
        """Take over the client's screen and start receiving its input."""
        assert self._terminal is not None
        write = self.write
        write("\x1b[?1049h")  # alternate screen
        if self._mouse:
            write("\x1b[?1000h\x1b[?1003h\x1b[?1015h\x1b[?1006h")
        write("\x1b[?25l")  # hide cursor
        write("\x1b[?1004h")  # focus in/out
        write("\x1b[?2004h")  # bracketed paste
        write("\x1b[?7l")  # no line wrap
        self._terminal.attach(self)
        self.resize(*self._terminal.size)

    def resize(self, width: int, height: int) -> None:
        """Tell the app the client's window size changed."""
        size = Size(max(width, 1), max(height, 1))
        self.send_message(events.Resize(size, size))

    def feed(self, text: str) -> None:
        """Parse text typed by the client into key, mouse and paste events."""
        parser = self._parser
        if parser is None:
            return
        for event in parser.feed(text):
            self.process_message(event)
        if "\x1b" in text:
            # A lone Escape is only known once nothing followed it for ESCDELAY.
            if self._tick is not None:
                self._tick.cancel()
            self._tick = self._loop.call_later(constants.ESCAPE_DELAY + 0.01, self._run_tick)

    def _run_tick(self) -> None:
        self._tick = None
        if self._parser is not None:
            for event in self._parser.tick():
                self.process_message(event)

    def disable_input(self) -> None:
        """Stop receiving input."""
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None
        if self._terminal is not None:
            self._terminal.attach(None)

    def stop_application_mode(self) -> None:
        """Give the client's screen back as it was."""
        self.disable_input()
        write = self.write
        write("\x1b[?2004l\x1b[?7h")
        if self._mouse:
            write("\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l")
        write("\x1b[?1049l\x1b[?25h\x1b[?1004l")

    def close(self) -> None:
        """Release the parser and the channel so the closed session can be freed."""
        if self._parser is not None:
            self._parser.release()
            self._parser = None
        self._terminal = None
        self._last_move_event = None
