"""One SSH session channel running one PortalApp.

The session is the driver's ``Terminal``: it forwards the channel's text and window
size changes to the driver, and writes frames to the channel, dropping a client that
stops reading instead of buffering without bound.

However it ends (the client's EOF, the channel closing, the app exiting or crashing, a
write to a channel already gone, the sweep), the session goes through ``_teardown``
exactly once: it leaves the registry and the session directory, and lets go of its app.
A client that simply went away is not an error: nothing about it is logged above INFO.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import asyncssh
from asyncssh.stream import SSHServerStreamSession  # what asyncssh's own sftp_factory runs

from portal.app import PortalApp, TerminalInfo, make_app
from portal.data.members import Member
from portal.guest.app import GuestApp, make_guest_app
from portal.i18n import get_translator
from portal.ssh.driver import SSHDriver
from portal.ssh.sftp import SFTP_VERSION, PortalSFTPServer

if TYPE_CHECKING:
    from portal.ssh.runtime import ServerRuntime

log = logging.getLogger(__name__)

GONE = (BrokenPipeError, ConnectionError, asyncssh.Error)
"""What writing to a channel whose client went away may raise."""


class PortalSession(asyncssh.SSHServerSession[str]):
    """A shell session: one member's app on one channel (or, with no member, the guest entry)."""

    def __init__(
        self,
        runtime: ServerRuntime,
        member: Member | None,
        ip: str | None,
        *,
        require_twofactor: bool = False,
        on_teardown: Callable[[PortalSession], None] | None = None,
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
        self._torn_down = False
        self._waiting_turn = False
        """Whether the app waits for its turn to start (see portal.ssh.starts)."""
        self.on_teardown = on_teardown
        """Told once the session is over (its connection may then host another)."""
        self._sftp: SSHServerStreamSession[bytes] | None = None
        """Set when the channel asked for the SFTP subsystem: it then runs no app, and
        the channel's callbacks go to this asyncssh stream session."""
        self._sftp_server: PortalSFTPServer | None = None

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

    @property
    def started(self) -> bool:
        """Whether the app was started (or the session already ended)."""
        return self.task is not None or self._session_id != "" or self._torn_down

    @property
    def channel_gone(self) -> bool:
        """Whether the channel is closed or closing (the client cannot read any more)."""
        return self._chan is None or self._chan.is_closing()

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
        return self._sftp is None  # a channel runs the app or SFTP, never both

    def exec_requested(self, command: str) -> bool:
        return False

    def subsystem_requested(self, subsystem: str) -> bool:
        # SFTP only, for members (never the guest entry), and only instead of a shell.
        if subsystem != "sftp" or self.member is None or self._chan is None or self.started:
            return False
        if self.require_twofactor:
            return False  # a manager must turn on 2FA in the app first
        member, settings = self.member, self.runtime.settings

        def make_server(chan: Any) -> PortalSFTPServer:
            server = PortalSFTPServer(
                chan, settings=settings, login=member.login, language=member.language
            )
            self._sftp_server = server
            return server

        self._sftp = SSHServerStreamSession(None, make_server, SFTP_VERSION)
        self._sftp.connection_made(self._chan)  # type: ignore[arg-type]
        return True

    @property
    def is_sftp(self) -> bool:
        """Whether this session channel runs the SFTP subsystem (not an app)."""
        return self._sftp is not None

    def _sftp_ending(self) -> None:
        """The channel is ending: uploads the client has not closed are incomplete."""
        if self._sftp_server is not None:
            self._sftp_server.aborting = True

    def session_started(self) -> None:
        if self._torn_down or self._chan is None or self._closing:
            return
        if self._sftp is not None:
            self._session_id = secrets.token_hex(8)
            self.runtime.registry.session_opened(self)
            self._sftp.session_started()
            return
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
            self.app = make_guest_app(
                self.runtime.services,
                ip=self.ip,
                terminal=self,
                terminal_info=info,
                driver_class=SSHDriver,
            )
        else:
            self.app = make_app(
                self.runtime.services,
                self.member,
                ip=self.ip,
                terminal=self,
                terminal_info=info,
                require_twofactor=self.require_twofactor,
                driver_class=SSHDriver,
            )
        self._session_id = self.app.session.session_id
        self.runtime.registry.session_opened(self)
        # A fresh context: nothing of the server's (or another session's) leaks in.
        self.task = asyncio.get_running_loop().create_task(
            self._run_app(), context=contextvars.Context()
        )

    def data_received(self, data: str, datatype: asyncssh.DataType) -> None:
        self.last_activity = time.monotonic()
        if self._sftp is not None:
            self._sftp.data_received(data, datatype)  # type: ignore[arg-type]  # bytes now
            return
        if self._driver is not None:
            self._driver.feed(data)

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        self.size = (width or 80, height or 24)
        if self._driver is not None:
            self._driver.resize(*self.size)

    def pause_writing(self) -> None:
        if self._sftp is not None:
            self._sftp.pause_writing()

    def resume_writing(self) -> None:
        if self._sftp is not None:
            self._sftp.resume_writing()

    def eof_received(self) -> bool:
        if self._sftp is not None:
            self._sftp_ending()
            return bool(self._sftp.eof_received())
        # On a terminal, EOF means the client is done (``sleep 3 | ssh -tt``): end the
        # whole session. The channel stays half open so the app's end can still send the
        # exit status; without a running app there is nothing to wait for.
        self.close()
        return self.task is not None and not self._torn_down

    def connection_lost(self, exc: Exception | None) -> None:
        self._closing = True
        if self._sftp is not None:
            self._sftp_ending()
            self._sftp.connection_lost(exc)
        if exc is not None:
            log.info("session of member %s lost: %s", self.who, exc)
        if self._cancel_unstarted():
            return  # no app to start for nobody: the task's end tears down
        if self.task is not None and self.app is not None:
            # Nobody sees this app any more: free its slot now, end it in the loop's
            # spare time (a blip may drop thousands at once); its end tears down.
            self.runtime.registry.client_gone(self)
            self.runtime.reaper.reap(self._end_app)
            return
        self._teardown()

    def _cancel_unstarted(self) -> bool:
        """Cancel the task of an app still waiting for its turn to start; whether it was."""
        if self._waiting_turn and self.task is not None:
            self.task.cancel()
            return True
        return False

    def _end_app(self) -> asyncio.Task[None] | None:
        """Ask the app to exit (the reaper's turn); returns the task that runs it."""
        if self.app is not None and self.task is not None:
            self.app.exit(0)
        return self.task

    # -- Terminal protocol used by the driver --------------------------------------------

    def attach(self, driver: SSHDriver | None) -> None:
        """Forward input and resizes to ``driver`` (None stops forwarding)."""
        self._driver = driver

    def write(self, data: str) -> None:
        """Send text to the client; drop a client whose unread output grows too large."""
        chan = self._chan
        if chan is None or self._closing:
            return
        if chan.is_closing():
            self._client_gone()
            return
        try:
            chan.write(data)
        except GONE:
            self._client_gone()
            return
        if chan.get_write_buffer_size() > self.runtime.settings.write_buffer_limit:
            log.warning("dropping a client that stopped reading (member %s)", self.who)
            self._closing = True
            chan.abort()  # close() would wait to flush what the client never reads
            if self.app is not None:
                self.app.exit(0)

    def _client_gone(self) -> None:
        """The client went away while the app was drawing: end the app quietly."""
        self._closing = True
        if self.app is not None:
            self.app.exit(0)

    # -- life cycle ------------------------------------------------------------------------

    def close(self, farewell: str | None = None) -> None:
        """End the session, optionally with a last line for the member (already translated)."""
        self._farewell = farewell
        if self._sftp is not None:
            self._sftp_ending()
        if self._cancel_unstarted():
            return  # its app never started: the task's end says goodbye
        if self.task is not None and self.app is not None:
            self.app.exit(0)  # also when it is still starting: the exit waits in its queue
            return
        if self.task is not None:
            return  # the app is ending: its end tears the session down
        if self._chan is not None and not self._closing and not self._chan.is_closing():
            self._closing = True
            self._chan.close()
        self._teardown()

    async def _run_app(self) -> None:
        app = self.app
        assert app is not None and self._chan is not None
        translator = get_translator(self.language)
        give_back: Callable[[], None] | None = None
        try:
            # Apps start in turns (see portal.ssh.starts); the turn passes on once this
            # one has drawn its first screen, or when it ends.
            self._waiting_turn = True
            try:
                give_back = await self.runtime.starts.take()
            finally:
                self._waiting_turn = False
            app.on_first_frame = give_back
            if not self._closing:  # the client may have left while it waited
                await app.run_async(mouse=True, size=self.size)
        except Exception:
            app.crashed = True
            log.exception("session of member %s failed", self.who)
        finally:
            if give_back is not None:
                give_back()
            app.on_first_frame = None
            try:
                message = self._farewell
                if app.crashed:
                    message = translator.gettext(
                        "Sorry, an unexpected error ended your session. Please reconnect."
                    )
                self._goodbye(message, 1 if app.crashed else 0)
            finally:
                # Break every reference so the closed session's app can be freed, then
                # tell the registry (which may reclaim memory at once).
                app.terminal = None
                del app
                self._teardown()

    def _goodbye(self, message: str | None, status: int) -> None:
        """Send the last line and the exit status, unless the client is gone already."""
        chan = self._chan
        if self._closing or chan is None or chan.is_closing():
            return
        self._closing = True
        try:
            if message:
                chan.write(message + "\r\n")
            chan.exit(status)
        except GONE as exc:
            log.info("session of member %s: client gone before the end (%s)", self.who, exc)

    def _teardown(self) -> None:
        """Leave the registry and the directory and drop the app; runs once."""
        if self._torn_down:
            return
        self._torn_down = True
        self._closing = True
        self._driver = None
        self.app = None
        self.task = None
        self.runtime.registry.session_closed(self)
        callback, self.on_teardown = self.on_teardown, None
        if callback is not None:
            callback(self)
