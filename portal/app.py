"""PortalApp: one Textual app per SSH session.

The app holds the session's context (who is logged in, from where) and the shared
services. It never holds SQL: screens call services through ``app.call`` which runs them
in the store's worker threads.
"""

from __future__ import annotations

import logging
import secrets
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual import events, on
from textual.app import App
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.driver import Driver
from textual.filter import LineFilter, Monochrome, NoColor
from textual.worker import WorkerFailed

from portal.data.members import Member
from portal.i18n import _, get_translator, use_language
from portal.screens.context import OpenSection
from portal.screens.home import HomeScreen
from portal.screens.sections import find_section
from portal.screens.too_small import TooSmallScreen, is_too_small
from portal.screens.twofactor_setup import TwoFactorRequiredScreen
from portal.services.errors import PortalError
from portal.services.runtime import Services
from portal.widgets.output_guard import ControlStripper

log = logging.getLogger(__name__)
T = TypeVar("T")


class _LogStream:
    """A write-only text stream that sends whole lines to a logger.

    Shared by every app of the process: Textual redirects ``sys.stdout`` while an app
    runs, which is process-wide, so per-app capture objects would route one session's
    prints to another's and keep closed apps alive. One sink that only logs avoids both.
    """

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger
        self._busy = threading.local()

    def write(self, text: str) -> int:
        # Logging may itself write to sys.stderr (its last-resort handler does, when no
        # handler is configured), which is this very stream while an app runs: write
        # such text to the process's real stderr instead of recursing.
        if getattr(self._busy, "active", False):
            if sys.__stderr__ is not None:
                sys.__stderr__.write(text)
            return len(text)
        self._busy.active = True
        try:
            for line in text.splitlines():
                if line.strip():
                    self._logger.warning("%s", line)
        finally:
            self._busy.active = False
        return len(text)

    def flush(self) -> None:
        """Nothing is buffered."""

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError("no file descriptor")


PRINT_SINK = _LogStream(logging.getLogger("portal.print"))


class _NullFile:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


NO_COLOR_CSS = Path(__file__).parent / "styles" / "nocolor.tcss"
"""Rules for ``:nocolor``: focus, selection and errors shown by reverse, bold, underline."""


@dataclass(frozen=True)
class TerminalInfo:
    """What the client told us about its terminal."""

    term: str = "xterm-256color"
    colorterm: str = ""
    no_color: bool = False


def color_system_for(info: TerminalInfo) -> str | None:
    """The colours the client's terminal announced, as a Rich colour system.

    Truecolor when ``COLORTERM`` says so, 256 colours for a ``*-256color`` TERM, none for
    ``dumb`` or under ``NO_COLOR``, and the 16 ANSI colours otherwise (``xterm``,
    ``screen``, ``linux``, ``vt100`` ...): the safe choice for a terminal that did not say.
    """
    term = info.term.lower()
    if info.no_color or term in ("", "dumb"):
        return None
    if info.colorterm.lower() in ("truecolor", "24bit"):
        return "truecolor"
    if term.endswith("256color") or term.endswith("256"):
        return "256"
    return "standard"


_REVERSE = Style(reverse=True)


@lru_cache(maxsize=256)
def _luminance(red: int, green: int, blue: int) -> float:
    """Relative luminance (WCAG) of a colour, 0 (black) to 1 (white)."""

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


class WithoutColour(LineFilter):
    """Remove every colour, keeping bold, underline and italic; highlights become reverse.

    Textual's own ``Monochrome`` turns colours into greys (still colour codes) and its
    ``NoColor`` sets them to the terminal's defaults (``39``/``49``); under ``NO_COLOR``
    the client must get no colour code at all. Textual shows the row under the cursor,
    the focused button, the title bar and error toasts by a background that stands out
    from the screen's (it resolves ``text-style: reverse`` into swapped colours), so a
    cell whose background is far in luminance from the screen's is drawn in reverse
    video: what is highlighted in colour stays highlighted without it.
    """

    THRESHOLD = 0.1
    """Luminance distance from the screen's background that counts as a highlight."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        base = _luminance(background.r, background.g, background.b)
        out: list[Segment] = []
        for text, style, control in segments:
            if style is None or control is not None:
                out.append(Segment(text, style, control))
                continue
            plain = style.without_color
            bgcolor = style.bgcolor
            if bgcolor is not None and not bgcolor.is_default:
                triplet = bgcolor.get_truecolor()
                if abs(_luminance(*triplet) - base) >= self.THRESHOLD:
                    plain = plain + _REVERSE
            out.append(Segment(text, plain, control))
        return out


@dataclass
class SessionContext:
    """Who is logged in to this session, and from where."""

    member: Member
    ip: str | None = None
    session_id: str = field(default_factory=lambda: secrets.token_hex(8))
    require_twofactor: bool = False
    """The gate let in a manager or admin without 2FA: they must turn it on first."""


class SessionApp(App[int]):
    """What every app hosted in an SSH session shares, member or guest.

    It draws through the driver class its caller gives (the SSH layer passes its
    ``SSHDriver``; tests give none and run headless), so the app never imports the SSH
    layer. It takes its colours from the client, routes prints to the shared log sink,
    runs service calls in the store's worker threads, and logs a crash without locals.
    """

    TITLE = "Portal"
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        services: Services,
        *,
        terminal: Any = None,
        terminal_info: TerminalInfo | None = None,
        driver_class: type[Driver] | None = None,
    ) -> None:
        """Build the app.

        Args:
            services: The process's shared services.
            terminal: The SSH session this app draws on (None in tests).
            terminal_info: What the client said about its terminal.
            driver_class: The driver that draws on ``terminal`` (None: Textual's own,
                headless under ``run_test``).
        """
        super().__init__(driver_class=driver_class)
        self._window_cells: tuple[int, int] | None = None
        """The client's window size, once known."""
        self.services = services
        self.terminal = terminal
        """The SSH session this app draws on (None in tests, which run headless)."""
        self.crashed = False
        """True when an unhandled error ended the session."""
        self._configure_console(terminal_info or TerminalInfo())
        # Textual would swap sys.stdout for a per-app object (see _LogStream).
        self._capture_stdout = PRINT_SINK  # type: ignore[assignment]
        self._capture_stderr = PRINT_SINK  # type: ignore[assignment]

    def _configure_console(self, info: TerminalInfo) -> None:
        """Colours from the client's TERM/COLORTERM/NO_COLOR, not the server's environment."""
        self.console = Console(
            color_system=color_system_for(info),
            file=_NullFile(),  # type: ignore[arg-type]
            markup=True,
            highlight=False,
            emoji=False,
            legacy_windows=False,
            _environ={"TERM": info.term, "COLORTERM": info.colorterm},
            force_terminal=True,
            safe_box=False,
            soft_wrap=False,
        )
        self.error_console = Console(file=_NullFile(), markup=False)  # type: ignore[arg-type]
        # Textual read NO_COLOR from the server's environment; decide per client instead.
        self._filters = [f for f in self._filters if not isinstance(f, Monochrome | NoColor)]
        self._filters.insert(0, ControlStripper())
        self._client_no_color = info.no_color or color_system_for(info) is None
        self._apply_no_color(self._client_no_color)
        # The rules that keep every state visible without colour (``:nocolor``).
        self.css_path = [*self.css_path, NO_COLOR_CSS]

    def _apply_no_color(self, no_color: bool) -> None:
        self.no_color = no_color
        self._filters = [f for f in self._filters if not isinstance(f, WithoutColour)]
        if no_color:
            self._filters.append(WithoutColour())

    def set_monochrome(self, monochrome: bool) -> None:
        """Draw without colours (the member's preference), or as the terminal allows."""
        no_color = monochrome or self._client_no_color
        if no_color == self.no_color:
            return
        self._apply_no_color(no_color)
        if self.is_running:
            self.refresh_css(animate=False)  # re-evaluates ``:nocolor`` rules
            self.screen.refresh(layout=True)

    # -- window size -------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        """Below 80×24, show "terminal too small" over whatever is open; remove it after."""
        self._window_cells = (event.size.width, event.size.height)
        self.call_after_refresh(self._check_window)

    def on_mount(self) -> None:
        # Runs after the subclass's own on_mount pushed its first screen.
        self.call_after_refresh(self._check_window)

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        """Push as Textual does; the "too small" screen stays on top while it applies."""
        result = super().push_screen(screen, *args, **kwargs)
        if self._window_cells is not None and is_too_small(*self._window_cells):
            self.call_after_refresh(self._check_window)
        return result

    def _check_window(self) -> None:
        if self._window_cells is None or not self.is_running or not self.screen_stack:
            return
        width, height = self._window_cells
        top = self.screen
        if is_too_small(width, height):
            if isinstance(top, TooSmallScreen):
                top.show_size(width, height)
            else:
                super().push_screen(TooSmallScreen(width, height))
        elif isinstance(top, TooSmallScreen):
            self.pop_screen()

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a service function (``fn(db, ...)``) in a database worker thread."""
        return await self.services.store.run(fn, *args, **kwargs)

    def describe_session(self) -> str:
        """Who this session is, for the log (never a secret)."""
        return "session"

    # -- errors ----------------------------------------------------------------------

    def _handle_exception(self, error: Exception) -> None:
        # Every worker's failure lands here (Textual reports them as WorkerFailed): the
        # one place that decides what the person sees. A refusal (PortalError) is shown
        # as its sentence; anything else is logged once with the session and shown as a
        # short apology; either way the session goes on, on the same screen.
        if isinstance(error, WorkerFailed):
            self._worker_failed(error.error)
            return
        # Log without locals (they may hold passwords or codes); Textual's default
        # renders a traceback with locals, which we must not write anywhere.
        self.crashed = True
        log.error(
            "%s crashed",
            self.describe_session(),
            exc_info=(type(error), error, error.__traceback__),
        )
        super()._handle_exception(error)

    def _worker_failed(self, error: BaseException) -> None:
        if isinstance(error, PortalError):
            self.notify(error.text(), severity="warning")
            return
        log.error(
            "%s: a worker failed",
            self.describe_session(),
            exc_info=(type(error), error, error.__traceback__),
        )
        self.notify(_("Sorry, that did not work. Please try again in a moment."), severity="error")

    def _fatal_error(self) -> None:
        self.bell()
        self._close_messages_no_wait()


class PortalApp(SessionApp):
    """The member space of one SSH session."""

    CSS_PATH = "styles/app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "logout", "Log out", id="app.logout", priority=True),
    ]

    def __init__(
        self,
        services: Services,
        session: SessionContext,
        *,
        terminal: Any = None,
        terminal_info: TerminalInfo | None = None,
        driver_class: type[Driver] | None = None,
    ) -> None:
        super().__init__(
            services, terminal=terminal, terminal_info=terminal_info, driver_class=driver_class
        )
        self.session = session

    def describe_session(self) -> str:
        return f"session {self.session.session_id} (member {self.member.id})"

    # -- session ---------------------------------------------------------------------

    @property
    def member(self) -> Member:
        """The logged-in member."""
        return self.session.member

    def on_load(self) -> None:
        """Runs in the session's own task: set its language before anything is drawn."""
        use_language(self.member.language)

    def on_mount(self) -> None:
        self.title = _("Portal")
        if self.session.require_twofactor:
            # Nothing else until 2FA is on: that screen has no way back, and Home comes after.
            def enrolled(_result: object) -> None:
                self.session.require_twofactor = False
                self.push_screen(HomeScreen())

            self.push_screen(TwoFactorRequiredScreen(), enrolled)
            return
        self.push_screen(HomeScreen())

    @on(OpenSection)
    def open_section(self, message: OpenSection) -> None:
        """Show a section a screen asked for: the one right below, or a new one."""
        section = find_section(message.section_id, self.member)
        if section is None:
            return
        stack = self.screen_stack
        if len(stack) >= 2 and isinstance(stack[-2], section.screen):
            self.pop_screen()
        else:
            self.push_screen(section.make_screen())

    async def set_language(self, language: str) -> None:
        """Store the member's language and redraw every screen in it at once."""
        from portal.services import accounts

        self.session.member = await self.call(accounts.set_language, self.member, language)
        use_language(language)
        for screen in list(self.screen_stack):
            await screen.recompose()
        self.refresh_bindings()

    def translator(self) -> Any:
        """The session's translator (for money and dates)."""
        return get_translator(self.member.language)

    def action_logout(self) -> None:
        """Leave: the SSH session closes and frees everything."""
        self.exit(0)


def make_app(
    services: Services,
    member: Member,
    *,
    ip: str | None = None,
    terminal: Any = None,
    terminal_info: TerminalInfo | None = None,
    require_twofactor: bool = False,
    driver_class: type[Driver] | None = None,
) -> PortalApp:
    """The one app factory, used by the SSH server (with its driver) and the tests."""
    return PortalApp(
        services,
        SessionContext(member=member, ip=ip, require_twofactor=require_twofactor),
        terminal=terminal,
        terminal_info=terminal_info,
        driver_class=driver_class,
    )
