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
from typing import Any, ClassVar, TypeVar

from rich.console import Console
from textual.app import App
from textual.binding import Binding, BindingType
from textual.filter import Monochrome

from portal.data.members import Member
from portal.i18n import _, get_translator, use_language
from portal.services.runtime import Services

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


@dataclass(frozen=True)
class TerminalInfo:
    """What the client told us about its terminal."""

    term: str = "xterm-256color"
    colorterm: str = ""
    no_color: bool = False


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

    It draws through the session's ``SSHDriver`` (headless in tests), takes its colours
    from the client, routes prints to the shared log sink, runs service calls in the
    store's worker threads, and logs a crash without locals.
    """

    TITLE = "Portal"
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        services: Services,
        *,
        terminal: Any = None,
        terminal_info: TerminalInfo | None = None,
    ) -> None:
        from portal.ssh.driver import SSHDriver

        super().__init__(driver_class=SSHDriver if terminal is not None else None)
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
        environ = {"TERM": info.term, "COLORTERM": info.colorterm}
        self.console = Console(
            color_system="auto" if info.term != "dumb" else None,
            file=_NullFile(),  # type: ignore[arg-type]
            markup=True,
            highlight=False,
            emoji=False,
            legacy_windows=False,
            _environ=environ,
            force_terminal=True,
            safe_box=False,
            soft_wrap=False,
        )
        self.error_console = Console(file=_NullFile(), markup=False)  # type: ignore[arg-type]
        # Textual read NO_COLOR from the server's environment; decide per client instead.
        self._filters = [f for f in self._filters if not isinstance(f, Monochrome)]
        self.no_color = info.no_color
        if info.no_color:
            self._filters.append(Monochrome())

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a service function (``fn(db, ...)``) in a database worker thread."""
        return await self.services.store.run(fn, *args, **kwargs)

    def describe_session(self) -> str:
        """Who this session is, for the log (never a secret)."""
        return "session"

    # -- errors ----------------------------------------------------------------------

    def _handle_exception(self, error: Exception) -> None:
        # Log without locals (they may hold passwords or codes); Textual's default
        # renders a traceback with locals, which we must not write anywhere.
        self.crashed = True
        log.error(
            "%s crashed",
            self.describe_session(),
            exc_info=(type(error), error, error.__traceback__),
        )
        super()._handle_exception(error)

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
    ) -> None:
        super().__init__(services, terminal=terminal, terminal_info=terminal_info)
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
        from portal.screens.home import HomeScreen

        self.title = _("Portal")
        if self.session.require_twofactor:
            # Nothing else until 2FA is on: that screen has no way back, and Home comes after.
            from portal.screens.twofactor_setup import TwoFactorRequiredScreen

            def enrolled(_result: object) -> None:
                self.session.require_twofactor = False
                self.push_screen(HomeScreen())

            self.push_screen(TwoFactorRequiredScreen(), enrolled)
            return
        self.push_screen(HomeScreen())

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
) -> PortalApp:
    """The one app factory, used by the SSH server and the tests."""
    return PortalApp(
        services,
        SessionContext(member=member, ip=ip, require_twofactor=require_twofactor),
        terminal=terminal,
        terminal_info=terminal_info,
    )
