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
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from rich.console import Console
from textual import events, on
from textual.app import App
from textual.binding import Binding, BindingType
from textual.driver import Driver
from textual.filter import Monochrome, NoColor
from textual.screen import Screen
from textual.theme import Theme
from textual.widget import Widget
from textual.worker import WorkerFailed

from portal.data.members import Member
from portal.i18n import _, get_translator, use_language
from portal.screens.base import FramedScreen
from portal.screens.context import OpenSection
from portal.screens.help import HelpScreen, keys_of
from portal.screens.home import HomeScreen
from portal.screens.sections import find_section
from portal.screens.too_small import TooSmallScreen, is_too_small
from portal.screens.twofactor_setup import TwoFactorRequiredScreen
from portal.services.errors import PortalError
from portal.services.runtime import Services
from portal.widgets.colours import ColorSystem, WithoutColour, color_system
from portal.widgets.dialogs import YesNoDialog
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


def color_system_for(info: TerminalInfo) -> ColorSystem | None:
    """The colours the client's terminal announced (see ``widgets.colours``)."""
    return color_system(info.term, info.colorterm, no_color=info.no_color)


@dataclass
class SessionContext:
    """Who is logged in to this session, and from where."""

    member: Member
    ip: str | None = None
    session_id: str = field(default_factory=lambda: secrets.token_hex(8))
    require_twofactor: bool = False
    """The gate let in a manager or admin without 2FA: they must turn it on first."""


_CSS_VARIABLES: dict[tuple[Any, ...], tuple[Theme, dict[str, str]]] = {}
"""The CSS variables of each theme (a theme's colour system takes about 0.3 ms to
generate), shared by the apps of the process; keyed by the app class (its own variable
defaults) and the theme's name, and kept with the theme they were made from."""


class BaseScreen(Screen[None]):
    """The app's first screen, under every screen of the session and never shown: the
    session opens its own screen over it at once and ends when that one is closed.

    Textual gives each screen a toast rack and a tooltip (two widgets to mount, style and
    lay out: 0.7 ms of a session start); this one needs neither, and Textual works
    without them (it looks for them, and does without when they are missing).
    """

    def _extend_compose(self, widgets: list[Widget]) -> None:
        pass


class SessionApp(App[int]):
    """What every app hosted in an SSH session shares, member or guest.

    It draws through the driver class its caller gives (the SSH layer passes its
    ``SSHDriver``; tests give none and run headless), so the app never imports the SSH
    layer. It takes its colours from the client, routes prints to the shared log sink,
    runs service calls in the store's worker threads, and logs a crash without locals.
    """

    TITLE = "Portal"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        # F1 works everywhere, dialogs included (a priority: no field types it); "?" is
        # not a priority, so a "?" typed in a field stays a character.
        Binding("f1", "help", "Help", id="app.help", key_display="F1", priority=True),
        Binding("question_mark", "help", "Help", id="app.help_question", show=False),
    ]

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
        self.on_first_frame: Callable[[], None] | None = None
        """Called once the first screen is drawn (the SSH layer's start turns)."""
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

    def get_default_screen(self) -> Screen[Any]:
        return BaseScreen(id="_default")

    def on_mount(self) -> None:
        # Runs after the subclass's own on_mount pushed its first screen.
        self.call_after_refresh(self._check_window)
        self.call_after_refresh(self._first_frame_drawn)

    def _first_frame_drawn(self) -> None:
        """The first screen is on the client's terminal: tell whoever asked (once)."""
        callback, self.on_first_frame = self.on_first_frame, None
        if callback is not None:
            callback()

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

    # -- themes: what every start asks for, without rebuilding it each time ----------

    def get_theme(self, theme_name: str) -> Theme | None:
        """Textual's, without copying the registered themes at each call.

        Drawing asks for the current theme for every line (``ansi_theme``), and
        Textual's ``available_themes`` copies its dict of themes each time.
        """
        theme = self._registered_themes.get(theme_name)
        return theme if theme is not None else super().get_theme(theme_name)

    def get_css_variables(self) -> dict[str, str]:
        """Textual's, computed once per theme for the process (a copy for each app)."""
        theme = self.current_theme
        key = (type(self), theme.name)
        variables = _CSS_VARIABLES.get(key)
        if variables is None or variables[0] is not theme:
            variables = (theme, super().get_css_variables())
            _CSS_VARIABLES[key] = variables
        self.theme_variables = dict(variables[1])
        return self.theme_variables

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

    def action_help(self) -> None:
        """Show the keys of the current screen (and the app's) in the help screen."""
        screen = self.screen
        if isinstance(screen, HelpScreen):
            screen.dismiss(None)
            return
        if isinstance(screen, TooSmallScreen):
            return
        title = screen.screen_title() if isinstance(screen, FramedScreen) else _("This window")
        self.push_screen(HelpScreen(title, keys_of(screen, self)))

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
        self._asking_logout = False
        """The "log out during a payment?" question is on screen."""
        self.monochrome = False
        """The member's own preference for no colours (the terminal may impose none too)."""

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
        self.run_worker(self._apply_display_preference(), exit_on_error=False)
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

    async def _apply_display_preference(self) -> None:
        from portal.services import display

        self.monochrome = await self.call(display.get_monochrome, self.member)
        self.set_monochrome(self.monochrome)

    async def set_monochrome_preference(self, monochrome: bool) -> None:
        """Store the member's choice of no colours, and redraw at once."""
        from portal.services import display

        self.monochrome = await self.call(
            display.set_monochrome, self.member, monochrome, ip=self.session.ip
        )
        self.set_monochrome(self.monochrome)

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
        """Leave: the SSH session closes and frees everything.

        In the middle of a payment (a screen of the stack says so with
        ``wants_confirm_before_logout``) ask first; Ctrl+Q again while asked leaves.
        """
        if self._asking_logout or not any(
            isinstance(screen, FramedScreen) and screen.wants_confirm_before_logout()
            for screen in self.screen_stack
        ):
            self.exit(0)
            return
        self._asking_logout = True

        def answered(leave: bool | None) -> None:
            self._asking_logout = False
            if leave:
                self.exit(0)

        question = _("A payment is in progress. Log out anyway?")
        self.push_screen(YesNoDialog(question, _("Log out"), destructive=True), answered)


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
