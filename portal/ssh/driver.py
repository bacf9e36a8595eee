"""A Textual driver that draws on an SSH channel instead of the process's terminal.

Why not ``LinuxDriver``: it reads ``sys.__stdin__``, installs process-wide signal
handlers (a suspend would stop the whole server) and starts threads. This driver has no
thread: the SSH session feeds it the channel's text (``feed``) and size changes
(``resize``) on the event loop, and it writes frames to the channel.

Input goes through the session's ``InputQueue`` (``portal/ssh/input_queue.py``): keys
are applied in order, each with its effects in place before the next (type-ahead), the
pending input is bounded and rate-limited, and parsing is sliced so that one session
never holds the shared event loop. Resizes go straight to the app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from textual import events
from textual.driver import Driver
from textual.geometry import Size
from textual.message import Message

from portal.i18n import _
from portal.ssh.input_queue import InputLimits, InputQueue
from portal.ssh.textual_calls import dispatch_by_plan, lazy_pump_parts, parameters_from_code
from portal.ssh.textual_compat import (
    SessionParser,
    render_per_colour_system,
    strips_with_lazy_caches,
    strips_without_self_cycles,
)
from portal.ssh.textual_css import share_applied_css, share_parsed_css
from portal.ssh.textual_render import paint_only_what_shows

__all__ = ["MOUSE_OFF", "MOUSE_ON", "SSHDriver", "SessionParser", "Terminal"]

# Before any session draws: each client gets the codes of its own colour system.
render_per_colour_system()
strips_without_self_cycles()
strips_with_lazy_caches()
dispatch_by_plan()  # each message's handlers found once per pair of classes
parameters_from_code()  # ...and each callback's parameters counted from its code
paint_only_what_shows()  # frames render no line that widgets in front of it hide
lazy_pump_parts()  # a pump's timers and message signal are made when first used

#: Mouse reporting: clicks (?1000), drags while a button is held (?1002), SGR encoding.
MOUSE_ON = "\x1b[?1000h\x1b[?1002h\x1b[?1006h"
#: Turns off every mode a previous program may have left on, any-motion included.
MOUSE_OFF = "\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1015l\x1b[?1006l"

if TYPE_CHECKING:
    from textual.app import App


class Terminal(Protocol):
    """What the driver needs from the SSH session it draws on."""

    size: tuple[int, int]

    def write(self, data: str) -> None:
        """Send text to the client."""

    def attach(self, driver: SSHDriver | None) -> None:
        """Start (or with None, stop) forwarding input and resizes to ``driver``."""

    def close(self, farewell: str | None = None) -> None:
        """End the session, with a last line for the client."""


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
        share_parsed_css()  # every session's app reuses the CSS rules parsed by the first
        share_applied_css()  # ...and the rules matched against a node of the same shape
        terminal = getattr(app, "terminal", None)
        if terminal is None:
            raise RuntimeError("SSHDriver needs an app with a .terminal (the SSH session)")
        self._terminal: Terminal | None = terminal
        limits = getattr(terminal, "input_limits", None)
        self._input: InputQueue | None = InputQueue(
            app,
            self.process_message,
            limits=limits if isinstance(limits, InputLimits) else None,
            on_flood=self._flooded,
        )

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
            # Button-event tracking (press, release, wheel, drag) in SGR encoding: the
            # app uses clicks and scrolling, nothing reacts to hover, so any-motion
            # tracking (?1003) would only make the client send a report per cell moved.
            write(MOUSE_ON)
        write("\x1b[?25l")  # hide cursor
        write("\x1b[?1004h")  # focus in/out
        write("\x1b[?2004h")  # bracketed paste
        write("\x1b[?7l")  # no line wrap
        self._terminal.attach(self)
        if self._size is None or tuple(self._size) != tuple(self._terminal.size):
            # Textual sends the app a resize for the size it started with; a second one
            # for the same size would lay out and draw the first screen twice.
            self.resize(*self._terminal.size)

    def resize(self, width: int, height: int) -> None:
        """Tell the app the client's window size changed."""
        size = Size(max(width, 1), max(height, 1))
        self.send_message(events.Resize(size, size))

    @property
    def input_queue(self) -> InputQueue | None:
        """The session's pending input (None once input stopped)."""
        return self._input

    def feed(self, text: str) -> None:
        """Queue text typed by the client (parsed into key, mouse and paste events)."""
        if self._input is not None:
            self._input.feed(text)

    def _flooded(self) -> None:
        """The client keeps sending more than its input budget: end the session."""
        self._app.call_later(self._close_flooded)

    def _close_flooded(self) -> None:
        # Runs in the app's task, so the farewell is in the session's language.
        farewell = _("Session closed: too much input was sent at once.")
        terminal = self._terminal
        if terminal is not None and callable(getattr(terminal, "close", None)):
            terminal.close(farewell)
        else:
            self._app.exit(0)

    def disable_input(self) -> None:
        """Stop receiving input (what is still queued is dropped)."""
        if self._input is not None:
            self._input.close()
            self._input = None
        if self._terminal is not None:
            self._terminal.attach(None)

    def stop_application_mode(self) -> None:
        """Give the client's screen back as it was."""
        self.disable_input()
        write = self.write
        write("\x1b[?2004l\x1b[?7h")
        if self._mouse:
            write(MOUSE_OFF)
        write("\x1b[?1049l\x1b[?25h\x1b[?1004l")

    def close(self) -> None:
        """Release the input queue and the channel so the closed session can be freed."""
        if self._input is not None:
            self._input.close()
            self._input = None
        self._terminal = None
        self._last_move_event = None
