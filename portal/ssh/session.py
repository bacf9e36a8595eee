"""One SSH session channel running one PortalApp.

The session is the driver's ``Terminal``: it forwards the channel's text and window
size changes to the driver, and writes frames to the channel, dropping a client that
stops reading instead of buffering without bound.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from typing import TYPE_CHECKING, Any

import asyncssh

from portal.app import PortalApp, TerminalInfo, make_app
from portal.data.members import Member
from portal.i18n import get_translator

if TYPE_CHECKING:
    from portal.guest.app import GuestApp

if TYPE_CHECKING:
    from portal.ssh.driver import SSHDriver
    from portal.ssh.server import ServerRuntime

log = logging.getLogger(__name__)


class PortalSession(asyncssh.SSHServerSession[str]):
    """A shell session: one member's app on one channel (or, with no member, the guest entry)."""

    def __init__(
        self,
        runtime: ServerRuntime,
        member: Member | None,
        ip: str | None,
        *,
        require_twofactor: bool = False,
    ) -> None:
        self.runtime = runtime
        self.member = member
        """The member, or None for the guest entry."""
        self.require_twofactor = require_twofactor
        """The member must turn on 2FA before anything else (managers and admins)."""
        self.ip = ip
        self.size: tuple[int, int] = (80, 24)
        self.started_at = time.monotonic()
        self.last_activity = self.started_at
        self.app: PortalApp | GuestApp | None = None
        self.task: asyncio.Task[None] | None = None
        self._chan: asyncssh.SSHServerChannel[str] | None = None
        self._term: str | None = None
        self._driver: SSHDriver | None = None
        self._closing = False
        self._farewell: str | None = None
        self._session_id = ""

    @property
    def language(self) -> str:
        """The language of messages written outside the app."""
        return self.member.language if self.member else self.runtime.settings.default_language

    @property
    def who(self) -> str:
        """For logs: the member id, or "guest"."""
        return str(self.member.id) if self.member else "guest"

    @property
    def session_id(self) -> str:
        """The id of the app's session context (empty before the app starts)."""
        return self._session_id

    # -- asyncssh callbacks ------------------------------------------------------------

    def connection_made(self, chan: asyncssh.SSHServerChannel[str]) -> None:  # type: ignore[override]
        self._chan = chan

    def pty_requested(
        self, term_type: str, term_size: tuple[int, int, int, int], term_modes: Any
    ) -> bool:
        self._term = term_type or "xterm"
        width, height = term_size[0] or 80, term_size[1] or 24
        self.size = (width, height)
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        return False

    def subsystem_requested(self, subsystem: str) -> bool:
        return False

    def session_started(self) -> None:
        assert self._chan is not None
        translator = get_translator(self.language)
        if self._term is None:
            self._chan.write(
                translator.gettext("Portal needs a terminal: connect with ssh -t.") + "\r\n"
            )
            self._chan.exit(1)
            return
        env = self._chan.get_environment()
        info = TerminalInfo(
            term=self._term,
            colorterm=env.get("COLORTERM", ""),
            no_color="NO_COLOR" in env,
        )
        if self.member is None:
            from portal.guest.app import make_guest_app

            self.app = make_guest_app(
                self.runtime.services, ip=self.ip, terminal=self, terminal_info=info
            )
        else:
            self.app = make_app(
                self.runtime.services,
                self.member,
                ip=self.ip,
                terminal=self,
                terminal_info=info,
                require_twofactor=self.require_twofactor,
            )
        self._session_id = self.app.session.session_id
        self.runtime.registry.session_opened(self)
        # A fresh context: nothing of the server's (or another session's) leaks in.
        self.task = asyncio.get_running_loop().create_task(
            self._run_app(), context=contextvars.Context()
        )

    def data_received(self, data: str, datatype: asyncssh.DataType) -> None:
        self.last_activity = time.monotonic()
        if self._driver is not None:
            self._driver.feed(data)

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        self.size = (width or 80, height or 24)
        if self._driver is not None:
            self._driver.resize(*self.size)

    def eof_received(self) -> bool:
        self.close()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._closing = True
        if self.app is not None and self.app.is_running:
            self.app.exit(0)

    # -- Terminal protocol used by the driver --------------------------------------------

    def attach(self, driver: SSHDriver | None) -> None:
        """Forward input and resizes to ``driver`` (None stops forwarding)."""
        self._driver = driver

    def write(self, data: str) -> None:
        """Send text to the client; drop a client whose unread output grows too large."""
        chan = self._chan
        if chan is None or self._closing:
            return
        chan.write(data)
        if chan.get_write_buffer_size() > self.runtime.settings.write_buffer_limit:
            log.warning("dropping a client that stopped reading (member %s)", self.who)
            self._closing = True
            chan.abort()  # close() would wait to flush what the client never reads
            if self.app is not None:
                self.app.exit(0)

    # -- life cycle ------------------------------------------------------------------------

    def close(self, farewell: str | None = None) -> None:
        """End the session, optionally with a last line for the member (already translated)."""
        self._farewell = farewell
        if self.app is not None and self.app.is_running:
            self.app.exit(0)
        elif self._chan is not None and not self._closing:
            self._closing = True
            self._chan.close()

    async def _run_app(self) -> None:
        app = self.app
        assert app is not None and self._chan is not None
        translator = get_translator(self.language)
        try:
            await app.run_async(mouse=True, size=self.size)
        except Exception:
            app.crashed = True
            log.exception("session of member %s failed", self.who)
        finally:
            chan = self._chan
            message = self._farewell
            if app.crashed:
                message = translator.gettext(
                    "Sorry, an unexpected error ended your session. Please reconnect."
                )
            if not self._closing and chan is not None:
                if message:
                    chan.write(message + "\r\n")
                chan.exit(1 if app.crashed else 0)
            # Break every reference so the closed session's app can be freed, then
            # tell the registry (which may reclaim memory at once).
            app.terminal = None
            del app
            self._driver = None
            self.app = None
            self.task = None
            self.runtime.registry.session_closed(self)
