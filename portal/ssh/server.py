"""The asyncssh server: admission, authentication gate, session caps, idle sweep.

Everything runs on one event loop; password verification runs in the store's worker
threads. ``PortalServer`` starts and stops it (used by ``portal serve`` and the tests).

A connection goes through, in order: admission before key exchange (a per-address rate
and caps on connections still authenticating, ``limits``), the SSH version and key
exchange within ``handshake_timeout`` (a half-open connection that never sends its
banner must not hold its address's unauthenticated slot until the login timeout), the
gate (``auth``) within the login timeout, then at most one session at a time (``session``), which must be asked for
within ``session_open_timeout`` of authenticating. Sessions, not connections, count
against the session caps (``registry``). A session channel runs either the app (a shell)
or, for a member, the ``sftp`` subsystem (``portal.ssh.sftp``: their inbox and outbox);
an SFTP channel is a session like any other, so the same caps, idle timeout and
"close my other sessions" apply to it. No exec, no scp legacy mode, no forwarding.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncssh

from portal.config import Settings
from portal.data import live_sessions
from portal.services import (
    allocations,
    files,
    gate,
    issuing,
    payment_confirmation,
    programs,
    reconciliation,
)
from portal.services.gate import GatePolicy
from portal.services.mailer import Mailer
from portal.services.runtime import Services
from portal.ssh.auth import Gatekeeper, asks_return_after_login, install_key_hook
from portal.ssh.hostkey import load_or_create_host_key
from portal.ssh.limits import THROTTLED
from portal.ssh.registry import SessionRegistry
from portal.ssh.runtime import ServerRuntime
from portal.ssh.session import PortalSession

log = logging.getLogger(__name__)

# Post-quantum hybrid first; classical fallbacks for older clients. No NIST curves, no
# 2048-bit group, no SHA-1 (Terrapin is fixed in asyncssh >= 2.14.2, strict kex on).
KEX_ALGS = [
    "mlkem768x25519-sha256",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
]
ENCRYPTION_ALGS = [
    "chacha20-poly1305@openssh.com",
    "aes256-gcm@openssh.com",
    "aes128-gcm@openssh.com",
    "aes256-ctr",
    "aes192-ctr",
    "aes128-ctr",
]
MAC_ALGS = [  # encrypt-then-MAC only (AEAD ciphers need none)
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
    "umac-128-etm@openssh.com",
]
COMPRESSION_ALGS = ["none"]
"""No compression: it would make an input flood nearly free for the sender."""
TOO_MANY = (
    "Trop de sessions ouvertes, réessayez plus tard. / Too many sessions, please try again later."
)


def refuse_before_banner(conn: asyncssh.SSHServerConnection, text: str) -> None:
    """Drop a connection before the key exchange, telling the client why in one line.

    asyncssh gives no public handle on the transport before it sends its version; the
    line is a courtesy (OpenSSH's clients print it), the abort is what matters.
    """
    transport = getattr(conn, "_transport", None)
    if isinstance(transport, asyncio.WriteTransport):
        with contextlib.suppress(ConnectionError, RuntimeError):
            transport.write(text.encode("ascii", "replace") + b"\r\n")  # before the banner: ASCII
    conn.abort()


class PortalSSHServer(asyncssh.SSHServer):
    """One per connection: admits it, authenticates the member (or opens the guest entry)
    and opens its session. The gate itself is ``portal.ssh.auth.Gatekeeper``."""

    def __init__(self, runtime: ServerRuntime) -> None:
        self.runtime = runtime
        self.conn: asyncssh.SSHServerConnection | None = None
        self.ip = "?"
        self.guest = False
        self.gate = Gatekeeper(runtime, self.ip)
        self.admitted = False
        """Counted as an unauthenticated connection (until it authenticates or goes)."""
        self.authenticated = False
        self.session: PortalSession | None = None
        """The connection's one session (like OpenSSH's ``MaxSessions 1``)."""
        self._no_session_timer: asyncio.TimerHandle | None = None
        self._handshake_timer: asyncio.TimerHandle | None = None
        """Drops the connection unless the client has asked to authenticate by then
        (which it can only do once its version is sent and the key exchange complete)."""

    @property
    def member(self) -> Any:
        """The authenticated member (None for guests and before authentication)."""
        return self.gate.member

    # -- admission and life of the connection -----------------------------------------

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        peer = conn.get_extra_info("peername")
        self.ip = str(peer[0]) if peer else "?"
        if not self.runtime.limits.admit(self.ip):
            log.info("throttled a connection from %s before key exchange", self.ip)
            refuse_before_banner(conn, THROTTLED)
            return
        self.admitted = True
        self.gate = Gatekeeper(self.runtime, self.ip)
        self.gate.on_too_many = self._too_many
        self.gate.keys_supported = install_key_hook(conn, self.gate.key_signature_proven)
        timeout = self.runtime.settings.handshake_timeout
        if timeout > 0:
            self._handshake_timer = asyncio.get_running_loop().call_later(
                timeout, self._handshake_expired
            )

    def _handshake_expired(self) -> None:
        self._handshake_timer = None
        if self.conn is not None:
            log.info("dropping a connection from %s that did not finish key exchange", self.ip)
            self.conn.abort()

    def _cancel_handshake_timer(self) -> None:
        if self._handshake_timer is not None:
            self._handshake_timer.cancel()
            self._handshake_timer = None

    def auth_completed(self) -> None:
        self._leave_unauthenticated()
        self.authenticated = True
        self._expect_session(first=True)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_handshake_timer()
        self._leave_unauthenticated()
        self._cancel_no_session_timer()
        if exc is not None:
            log.info("connection from %s lost: %s", self.ip, exc)

    def _leave_unauthenticated(self) -> None:
        if self.admitted:
            self.admitted = False
            self.runtime.limits.authenticated(self.ip)

    def _expect_session(self, *, first: bool = False) -> None:
        """Close the connection if it holds no session ``session_open_timeout`` from now."""
        self._cancel_no_session_timer()
        loop = asyncio.get_running_loop()
        delay: float = self.runtime.settings.session_open_timeout
        if first and self.conn is not None and asks_return_after_login(self.conn):
            delay = max(delay, self.runtime.settings.idle_timeout)
        self._no_session_timer = loop.call_later(delay, self._no_session)

    def _cancel_no_session_timer(self) -> None:
        if self._no_session_timer is not None:
            self._no_session_timer.cancel()
            self._no_session_timer = None

    def _no_session(self) -> None:
        self._no_session_timer = None
        if self.session is None and self.conn is not None:
            log.info("closing a connection from %s that opened no session", self.ip)
            self.conn.close()

    # -- authentication -----------------------------------------------------------------

    async def begin_auth(self, username: str) -> bool:
        self._cancel_handshake_timer()  # key exchange done: the login timeout applies now
        if self.runtime.registry.over_cap(self.ip) and self.conn is not None:
            self.conn.send_auth_banner(TOO_MANY + "\r\n")
            self.conn.disconnect(asyncssh.DISC_TOO_MANY_CONNECTIONS, TOO_MANY)
            return True
        # The guest entry needs no password; every other username is asked the same way.
        self.guest = self.runtime.is_guest(username)
        if self.guest:
            await self.runtime.services.store.run(gate.guest_entered, ip=self.ip)
        return not self.guest

    def password_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return self.gate.public_keys_offered()

    async def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        if self.runtime.is_guest(username):
            return False
        return await self.gate.offer_key(username, key)

    def kbdint_auth_supported(self) -> bool:
        # asyncssh has no max-auth-tries: stop offering the method after too many failures.
        return not self.gate.exhausted

    def get_kbdint_challenge(self, username: str, lang: str, submethods: str) -> Any:
        return self.gate.challenge(username)

    async def validate_kbdint_response(self, username: str, responses: Sequence[str]) -> Any:
        return await self.gate.respond(username, list(responses))

    def _too_many(self) -> None:
        if self.conn is not None:
            self.conn.disconnect(
                asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE, "Too many authentication failures"
            )

    # -- the session ----------------------------------------------------------------------

    def session_requested(self) -> Any:
        if self.session is not None or not self.authenticated:
            return False  # one session at a time per connection
        if not self.guest and self.gate.member is None:
            return False
        session = PortalSession(
            self.runtime,
            None if self.guest else self.gate.member,
            self.ip,
            require_twofactor=not self.guest and self.gate.must_enroll_twofactor,
            on_teardown=self._session_ended,
        )
        if not self.runtime.registry.admit(session):
            log.info("session refused for %s: cap reached", self.ip)
            return False
        self.session = session
        self._cancel_no_session_timer()
        return session

    def _session_ended(self, session: PortalSession) -> None:
        if self.session is session:
            self.session = None
            if self.conn is not None:
                self._expect_session()

    def connection_requested(
        self, dest_host: str, dest_port: int, orig_host: str, orig_port: int
    ) -> bool:
        return False

    def server_requested(self, listen_host: str, listen_port: int) -> bool:
        return False


class PortalServer:
    """Starts and stops the SSH server and its idle sweep."""

    def __init__(
        self,
        services: Services,
        *,
        policy: GatePolicy | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        """Build the server; ``policy``, ``clock`` and ``sleep`` tune the gate (tests)."""
        self.services = services
        self.runtime = ServerRuntime(services, SessionRegistry(services.settings))
        if policy is not None:
            self.runtime.policy = policy
        if clock is not None:
            self.runtime.clock = clock
        if sleep is not None:
            self.runtime.sleep = sleep
        services.sessions = self.runtime.registry
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self._periodic: list[asyncio.Task[None]] = []
        self.housekeeping_interval = 3600.0
        """How often calendar work (lapsing allocations) runs, after once at start."""
        self.sync_interval = 1.0
        self.issuing_interval = 5.0
        """How often due e-cards and e-tickets are issued (seconds)."""
        self.payment_expiry_interval = 60.0
        """How often card payments abandoned on the provider's page expire (seconds)."""
        """How often this process shares its sessions and reads end requests (seconds)."""
        self.mailer: Mailer | None = None  # outbox delivery, started with the server

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
        self.mailer = Mailer.from_services(self.services)  # a bad PORTAL_SMTP_URL fails here
        self.runtime.registry.loop = asyncio.get_running_loop()
        host_key = load_or_create_host_key(settings.host_key_path)
        self._acceptor = await asyncssh.create_server(
            lambda: PortalSSHServer(self.runtime),
            settings.host,
            settings.port,
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
            compression_algs=COMPRESSION_ALGS,
            signature_algs=["ssh-ed25519"],
            keepalive_interval=settings.keepalive_interval,
            keepalive_count_max=settings.keepalive_count_max,
            reuse_port=reuse_port,
        )
        registry = self.runtime.registry
        registry.last_end_request = await self.services.store.run(live_sessions.last_end_request_id)
        await self._attempt(self._housekeeping)
        loop = asyncio.get_running_loop()
        sweep_every = max(0.2, min(30.0, settings.idle_timeout / 4, settings.session_open_timeout))
        self._periodic = [
            loop.create_task(self._every(sweep_every, self._sweep)),
            loop.create_task(self._every(self.sync_interval, self._sync)),
            loop.create_task(self._every(self.housekeeping_interval, self._housekeeping)),
            loop.create_task(self._every(self.issuing_interval, self._issue_ecards)),
            loop.create_task(self._every(self.payment_expiry_interval, self._expire_payments)),
        ]
        registry.gc.start()
        await self.mailer.start()

    @staticmethod
    async def _attempt(work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work``; a failure is logged and the next round retries (the database
        may be busy)."""
        try:
            await work()
        except Exception:
            log.exception("%s failed", getattr(work, "__name__", work))

    async def _every(self, interval: float, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work`` every ``interval`` seconds."""
        while True:
            await asyncio.sleep(interval)
            await self._attempt(work)

    async def _sweep(self) -> None:
        self.runtime.registry.sweep()

    async def _issue_ecards(self) -> None:
        """Issue the e-cards and e-tickets that are due (any worker may: rows are claimed)."""
        services = self.services
        await services.store.run(
            issuing.process_due, services.issuer, services.secrets, settings=self.settings
        )

    async def _expire_payments(self) -> None:
        """Expire card payments nobody paid in time (their benefits are released)."""
        payments = self.services.payments
        for order_id in await self.services.store.run(
            payment_confirmation.expire_abandoned, payments.provider
        ):
            payments.watch.publish(order_id)
        await payments.confirmer.catch_up()  # paid ones whose notification was lost

    async def _sync(self) -> None:
        await self.runtime.registry.sync(self.services.store)

    async def _housekeeping(self) -> None:
        """Work the calendar asks for: allocations whose period ended lapse (their
        ledger says so; they could not be spent anyway). Idempotent, any worker may."""
        lapsed = await self.services.store.run(allocations.lapse_expired)
        if lapsed:
            log.info("%d allocation(s) lapsed at the end of their period", lapsed)
        # Programs follow their members: joiners by any path (an import...) get theirs.
        followed = await self.services.store.run(programs.reconcile)
        if followed:
            log.info("%d allocation(s) credited to members who joined a program", followed)
        # Card payments against the provider's view (issue 9); it logs each mismatch.
        provider = self.services.payments.provider
        await self.services.store.run(reconciliation.reconcile, provider, settings=self.settings)
        # Temporaries of SFTP uploads cut long ago (a live upload touches its file).
        stale = await asyncio.to_thread(files.clean_stale_temporaries, self.settings)
        if stale:
            log.info("%d abandoned SFTP upload(s) removed", stale)

    async def close(self) -> None:
        """Stop listening, end every session and wait for their apps to finish."""
        for task in self._periodic:
            task.cancel()
        self.runtime.registry.gc.stop()
        if self._acceptor is not None:
            self._acceptor.close()
            await self._acceptor.wait_closed()
        self.runtime.reaper.stop()  # every session, left or not, is ended here
        tasks = []
        for session in list(self.runtime.registry.admitted):
            if session.task is not None:
                tasks.append(session.task)
            session.close()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        await self.runtime.registry.forget(self.services.store)
        await asyncio.to_thread(self.runtime.hashing.close)
        if self.mailer is not None:  # last: sessions may have queued mail while closing
            await self.mailer.stop()


__all__ = ["PortalServer", "PortalSSHServer", "ServerRuntime", "SessionRegistry"]
