"""The asyncssh server: authentication gate, session caps, idle sweep.

Everything runs on one event loop; password verification runs in the store's worker
threads. ``PortalServer`` starts and stops it (used by ``portal serve`` and the tests).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import asyncssh

from portal.config import Settings
from portal.data.members import Member
from portal.i18n import get_translator
from portal.services import accounts
from portal.services.runtime import Services, SessionInfo
from portal.ssh.hostkey import load_or_create_host_key
from portal.ssh.session import PortalSession

log = logging.getLogger(__name__)

# Modern algorithms only: no SHA-1 key exchange or MAC (Terrapin is fixed in asyncssh >= 2.14.2).
KEX_ALGS = [
    "curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512", "diffie-hellman-group14-sha256",
]
ENCRYPTION_ALGS = [
    "chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com",
    "aes256-ctr", "aes192-ctr", "aes128-ctr",
]
MAC_ALGS = [
    "hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com",
    "umac-128-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512",
]
TOO_MANY = "Trop de sessions ouvertes, réessayez plus tard. / Too many sessions, please try again later."


@dataclass
class SessionRegistry:
    """Live connections and sessions of this process (for caps, sweeps and closing)."""

    settings: Settings
    connections_by_ip: Counter[str] = field(default_factory=Counter)
    sessions: set[PortalSession] = field(default_factory=set)

    @property
    def connection_count(self) -> int:
        """Open connections."""
        return sum(self.connections_by_ip.values())

    def over_cap(self, ip: str) -> bool:
        """True when one more connection from ``ip`` would pass a cap."""
        return (
            self.connection_count > self.settings.max_sessions
            or self.connections_by_ip[ip] > self.settings.max_sessions_per_ip
        )

    def session_opened(self, session: PortalSession) -> None:
        self.sessions.add(session)

    def session_closed(self, session: PortalSession) -> None:
        self.sessions.discard(session)

    def sessions_of(self, member_id: int) -> list[PortalSession]:
        """Live sessions of one member."""
        return [s for s in self.sessions if s.member.id == member_id]

    def list_for(self, member_id: int) -> list[SessionInfo]:
        """Live sessions of one member, oldest first (SessionDirectory)."""
        offset = time.time() - time.monotonic()
        return sorted(
            (SessionInfo(s.session_id, s.member.id, s.ip, s.started_at + offset,
                         s.last_activity + offset) for s in self.sessions_of(member_id)),
            key=lambda i: i.started_at,
        )

    def close_member_sessions(
        self, member_id: int, *, except_session: str | None = None, reason: str | None = None
    ) -> int:
        """End a member's sessions, all or all but one (SessionDirectory)."""
        victims = [s for s in self.sessions_of(member_id) if s.session_id != except_session]
        for session in victims:
            session.close(reason)
        return len(victims)

    def sweep(self, now: float | None = None) -> int:
        """Close sessions idle or older than allowed; returns how many were closed."""
        now = time.monotonic() if now is None else now
        closed = 0
        for session in list(self.sessions):
            t = get_translator(session.member.language)
            if now - session.last_activity >= self.settings.idle_timeout:
                minutes = max(1, self.settings.idle_timeout // 60)
                session.close(t.ngettext(
                    "Session closed after {n} minute without activity.",
                    "Session closed after {n} minutes without activity.", minutes))
                closed += 1
            elif now - session.started_at >= self.settings.session_lifetime:
                session.close(t.gettext("Session closed: it reached its maximum duration."))
                closed += 1
        return closed


@dataclass
class ServerRuntime:
    """What every connection of the server shares."""

    services: Services
    registry: SessionRegistry

    @property
    def settings(self) -> Settings:
        return self.services.settings


class PortalSSHServer(asyncssh.SSHServer):
    """One per connection: authenticates the member and opens their sessions."""

    def __init__(self, runtime: ServerRuntime) -> None:
        self.runtime = runtime
        self.conn: asyncssh.SSHServerConnection | None = None
        self.ip = "?"
        self.member: Member | None = None
        self.failures = 0

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        peer = conn.get_extra_info("peername")
        self.ip = str(peer[0]) if peer else "?"
        self.runtime.registry.connections_by_ip[self.ip] += 1

    def connection_lost(self, exc: Exception | None) -> None:
        registry = self.runtime.registry
        registry.connections_by_ip[self.ip] -= 1
        if registry.connections_by_ip[self.ip] <= 0:
            del registry.connections_by_ip[self.ip]

    def begin_auth(self, username: str) -> bool:
        # The same answer for every username: authentication is always required.
        if self.runtime.registry.over_cap(self.ip) and self.conn is not None:
            self.conn.send_auth_banner(TOO_MANY + "\r\n")
            self.conn.disconnect(asyncssh.DISC_TOO_MANY_CONNECTIONS, TOO_MANY)
        return True

    def password_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        # asyncssh has no max-auth-tries: stop offering the method after too many failures.
        return self.failures < self.runtime.settings.max_auth_failures

    def get_kbdint_challenge(self, username: str, lang: str, submethods: str) -> Any:
        return ("", "", "", [("Password: ", False)])

    async def validate_kbdint_response(self, username: str, responses: list[str]) -> bool:
        if len(responses) != 1:
            return await self._failed()
        member = await self.runtime.services.store.run(
            accounts.check_password, username, responses[0], ip=self.ip
        )
        if member is None:
            return await self._failed()
        self.member = member
        log.info("login: member %s from %s", member.id, self.ip)
        return True

    async def _failed(self) -> bool:
        self.failures += 1
        if self.failures >= self.runtime.settings.max_auth_failures and self.conn is not None:
            self.conn.disconnect(asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE,
                                 "Too many authentication failures")
        return False

    def session_requested(self) -> Any:
        if self.member is None:
            return False
        if len(self.runtime.registry.sessions) >= self.runtime.settings.max_sessions:
            return False
        return PortalSession(self.runtime, self.member, self.ip)

    def connection_requested(self, dest_host: str, dest_port: int, orig_host: str,
                             orig_port: int) -> bool:
        return False

    def server_requested(self, listen_host: str, listen_port: int) -> bool:
        return False


class PortalServer:
    """Starts and stops the SSH server and its idle sweep."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.runtime = ServerRuntime(services, SessionRegistry(services.settings))
        services.sessions = self.runtime.registry
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self._sweeper: asyncio.Task[None] | None = None

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def port(self) -> int:
        """The port actually bound (useful when started on port 0)."""
        assert self._acceptor is not None
        return int(self._acceptor.sockets[0].getsockname()[1])

    async def start(self, *, reuse_port: bool = False) -> None:
        """Listen on the configured host and port."""
        settings = self.settings
        host_key = load_or_create_host_key(settings.host_key_path)
        self._acceptor = await asyncssh.create_server(
            lambda: PortalSSHServer(self.runtime),
            settings.host, settings.port,
            server_host_keys=[host_key],
            line_editor=False,
            encoding="utf-8",
            login_timeout=settings.login_timeout,
            agent_forwarding=False,
            x11_forwarding=False,
            allow_scp=False,
            kex_algs=KEX_ALGS,
            encryption_algs=ENCRYPTION_ALGS,
            mac_algs=MAC_ALGS,
            keepalive_interval=60,
            reuse_port=reuse_port,
        )
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())

    async def _sweep_forever(self) -> None:
        interval = max(0.2, min(30.0, self.settings.idle_timeout / 4))
        while True:
            await asyncio.sleep(interval)
            self.runtime.registry.sweep()

    async def close(self) -> None:
        """Stop listening, end every session and wait for their apps to finish."""
        if self._sweeper is not None:
            self._sweeper.cancel()
        if self._acceptor is not None:
            self._acceptor.close()
            await self._acceptor.wait_closed()
        tasks = []
        for session in list(self.runtime.registry.sessions):
            if session.task is not None:
                tasks.append(session.task)
            session.close()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
