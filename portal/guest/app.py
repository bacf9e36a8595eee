"""GuestApp: the app of one guest session (no member is logged in).

It never shows a member screen and never holds a member: it only calls the sign-up,
invitation and password-reset services. What a guest is doing (a sign-up draft waiting
for its email code, a reset code) lives in its screens, so it dies with the session.
Each flow counts its own wrong keys or codes (``FAILURE_LIMITS``): the session ends when
one flow's count reaches its limit, like the gate drops a connection after too many failed
tries. A success never resets a count (or a guesser would alternate a known key with
guesses), and a mistake in one flow never spends another's: a guest who got their
identification key wrong a few times can still reset their password.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.driver import Driver
from textual.widgets import Input

from portal.app import SessionApp, TerminalInfo
from portal.i18n import LANGUAGES, _, get_translator, use_language
from portal.screens.guest.menu import GuestMenuScreen
from portal.services.runtime import Services

log = logging.getLogger(__name__)


@dataclass
class GuestContext:
    """Where a guest session comes from (there is no member)."""

    ip: str | None = None
    session_id: str = field(default_factory=lambda: secrets.token_hex(8))


class GuestApp(SessionApp):
    """Request an account, activate an invited account, reset a forgotten password."""

    CSS_PATH = ["../styles/app.tcss", "../styles/guest.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "leave", "Leave", id="guest.leave", priority=True),
        Binding("f2", "switch_language", "English / Français", id="guest.language"),
    ]
    FAILURE_LIMITS: ClassVar[dict[str, int]] = {
        "signup": 5,  # wrong identification keys and wrong email codes
        "activation": 5,  # wrong activation codes
        "reset": 5,  # wrong reset codes
    }
    """Per flow, the wrong keys or codes after which the session ends."""

    def __init__(
        self,
        services: Services,
        session: GuestContext,
        *,
        terminal: Any = None,
        terminal_info: TerminalInfo | None = None,
        clock: Callable[[], float] = time.time,
        driver_class: type[Driver] | None = None,
    ) -> None:
        super().__init__(
            services, terminal=terminal, terminal_info=terminal_info, driver_class=driver_class
        )
        self.session = session
        self.clock = clock
        """Unix time (tests move it to expire codes without waiting)."""
        self.language = services.settings.default_language
        """The guest's language (fr by default; F2 switches)."""
        self.failures: dict[str, int] = dict.fromkeys(self.FAILURE_LIMITS, 0)
        """Per flow, the wrong keys and codes typed in this session."""

    def on_load(self) -> None:
        """Runs in the session's own task: set its language before anything is drawn."""
        use_language(self.language)

    def on_mount(self) -> None:
        self.title = _("Portal")
        self.push_screen(GuestMenuScreen())

    def now(self) -> float:
        """The current Unix time (from the injectable clock)."""
        return self.clock()

    async def action_switch_language(self) -> None:
        """Switch between French and English and redraw every screen."""
        codes = list(LANGUAGES)
        self.language = (
            codes[(codes.index(self.language) + 1) % len(codes)]
            if self.language in codes
            else codes[0]
        )
        use_language(self.language)
        for screen in list(self.screen_stack):
            # Recomposing redraws every text; what the guest typed and where they were stay.
            typed = {box.id: box.value for box in screen.query(Input) if box.id}
            focused = screen.focused.id if screen.focused is not None else None
            await screen.recompose()
            for box in screen.query(Input):
                if box.id in typed:
                    box.value = typed[box.id]
                    box.cursor_position = len(box.value)
            target = screen.query(f"#{focused}") if focused else None
            if target:
                widget = target.first()
                if isinstance(widget, Input):
                    widget.select_on_focus = False  # keep typing where they were, at the end
                widget.focus()
            elif screen is self.screen:
                screen.focus_next()
        self.refresh_bindings()

    def note_failure(self, flow: str) -> bool:
        """Count a wrong key or code of one flow; True when that flow has no try left (the
        session ends).

        Raises:
            KeyError: ``flow`` is not one of ``FAILURE_LIMITS`` (a programming error).
        """
        limit = self.FAILURE_LIMITS[flow]
        self.failures[flow] += 1
        if self.failures[flow] < limit:
            return False
        farewell = get_translator(self.language).gettext(
            "Too many wrong attempts: the connection is closed. Try again later."
        )
        log.info(
            "guest session %s closed after %d failures in %s",
            self.session.session_id,
            self.failures[flow],
            flow,
        )
        if self.terminal is not None and hasattr(self.terminal, "close"):
            self.terminal.close(farewell)
        else:
            self.exit(1, return_code=1, message=farewell)
        return True

    def action_leave(self) -> None:
        """Leave the guest entry."""
        self.exit(0)

    def describe_session(self) -> str:
        return f"guest session {self.session.session_id}"


def make_guest_app(
    services: Services,
    *,
    ip: str | None = None,
    terminal: Any = None,
    terminal_info: TerminalInfo | None = None,
    clock: Callable[[], float] = time.time,
    driver_class: type[Driver] | None = None,
) -> GuestApp:
    """The guest app factory, used by the SSH server (with its driver) and the tests."""
    return GuestApp(
        services,
        GuestContext(ip=ip),
        terminal=terminal,
        terminal_info=terminal_info,
        clock=clock,
        driver_class=driver_class,
    )
