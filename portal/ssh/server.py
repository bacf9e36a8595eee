"""The asyncssh server: authentication gate, session caps, idle sweep.

Everything runs on one event loop; password verification runs in the store's worker
threads. ``PortalServer`` starts and stops it (used by ``portal serve`` and the tests).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import asyncssh
from sqlite_utils import Database

from portal.config import Settings
from portal.data import live_sessions
from portal.data.db import Store
from portal.i18n import get_translator
from portal.services import gate, wallet
from portal.services.gate import GatePolicy
from portal.services.mailer import Mailer
from portal.services.runtime import Services, SessionInfo, stored_session_infos
from portal.ssh.auth import Gatekeeper, install_key_hook
from portal.ssh.gcpolicy import GcPolicy
from portal.ssh.hostkey import load_or_create_host_key
from portal.ssh.session import PortalSession

log = logging.getLogger(__name__)
T = TypeVar("T")


def wall_clock(stamp: float) -> float:
    """Unix time of a ``time.monotonic()`` stamp (sessions keep monotonic ones)."""
    return stamp + time.time() - time.monotonic()


# Modern algorithms only: no SHA-1 key exchange or MAC (Terrapin is fixed in asyncssh >= 2.14.2).
KEX_ALGS = [
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group14-sha256",
]
ENCRYPTION_ALGS = [
    "chacha20-poly1305@openssh.com",
    "aes256-gcm@openssh.com",
    "aes128-gcm@openssh.com",
    "aes256-ctr",
    "aes192-ctr",
    "aes128-ctr",
]
MAC_ALGS = [
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
    "umac-128-etm@openssh.com",
    "hmac-sha2-256",
    "hmac-sha2-512",
]
TOO_MANY = (
    "Trop de sessions ouvertes, réessayez plus tard. / Too many sessions, please try again later."
)


@dataclass
class SessionRegistry:
    """Live connections and sessions of this process (for caps, sweeps and closing), and
    this process's part of the session directory shared by every worker.

    Its in-memory state touches asyncssh channels and Textual apps, which belong to the
    event loop. The directory methods (``list_for``, ``close_member_sessions``) take a
    database connection and run in a database worker thread (a service deactivating an
    account, a screen's worker); they hop onto the loop for the local part and wait.

    With ``serve --workers N`` a member's sessions may live in another process: ``sync``
    (about once a second) writes this process's sessions to the database and ends the
    local sessions that another process asked to end.
    """

    settings: Settings
    connections_by_ip: Counter[str] = field(default_factory=Counter)
    sessions: set[PortalSession] = field(default_factory=set)
    gc: GcPolicy = field(default_factory=GcPolicy)
    """When to freeze long-lived objects and reclaim closed sessions (see gcpolicy)."""
    loop: asyncio.AbstractEventLoop | None = None
    """The server's event loop (set when it starts)."""
    worker: str = field(default_factory=live_sessions.worker_name)
    """This process in ``live_sessions``."""
    last_end_request: int = 0
    """The latest end request this process has seen (set at start, then by ``sync``)."""
    _opened: dict[str, live_sessions.LiveSession] = field(default_factory=dict)
    _closed: set[str] = field(default_factory=set)
    _own_requests: set[int] = field(default_factory=set)
    _activity_written: dict[str, float] = field(default_factory=dict)
    _activity_synced_at: float = 0.0
    _sync_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def connection_count(self) -> int:
        """Open connections."""
        return sum(self.connections_by_ip.values())

    def share(self, cap: int) -> int:
        """This process's part of a cap shared by the workers (each applies its own)."""
        return max(1, -(-cap // max(1, self.settings.workers)))

    def over_cap(self, ip: str) -> bool:
        """True when one more connection from ``ip`` would pass a cap."""
        return self.connection_count > self.share(
            self.settings.max_sessions
        ) or self.connections_by_ip[ip] > self.share(self.settings.max_sessions_per_ip)

    def session_opened(self, session: PortalSession) -> None:
        self.sessions.add(session)
        self.gc.session_opened()
        self._opened[session.session_id] = live_sessions.LiveSession(
            session.session_id,
            self.worker,
            session.member.id if session.member is not None else None,
            session.ip or "?",
            wall_clock(session.started_at),
            wall_clock(session.last_activity),
        )

    def session_closed(self, session: PortalSession) -> None:
        self.sessions.discard(session)
        self.gc.session_closed(len(self.sessions))
        if self._opened.pop(session.session_id, None) is None:
            self._closed.add(session.session_id)  # it was written: remove it at next sync

    def sessions_of(self, member_id: int) -> list[PortalSession]:
        """Live sessions of one member (guest sessions belong to nobody)."""
        return [s for s in self.sessions if s.member is not None and s.member.id == member_id]

    def _on_loop(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the server's loop, waiting for it when called from another thread."""
        loop = self.loop
        if loop is None or not loop.is_running():
            return fn()
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            return fn()

        async def call() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(call(), loop).result(timeout=30)

    # -- the session directory (called from database worker threads) -------------------

    def list_for(self, db: Database, member_id: int) -> list[SessionInfo]:
        """Live sessions of one member in every process, oldest first (SessionDirectory)."""

        def local() -> list[SessionInfo]:
            return [
                SessionInfo(
                    s.session_id,
                    member_id,
                    s.ip,
                    wall_clock(s.started_at),
                    wall_clock(s.last_activity),
                )
                for s in self.sessions_of(member_id)
            ]

        mine = self._on_loop(local)
        # This process's own rows may lag behind its memory, which is exact.
        others = stored_session_infos(db, member_id, other_than_worker=self.worker)
        return sorted([*mine, *others], key=lambda i: i.started_at)

    def close_member_sessions(
        self,
        db: Database,
        member_id: int,
        *,
        except_session: str | None = None,
        reason: str | None = None,
    ) -> int:
        """End a member's sessions, all or all but one, in every process (SessionDirectory).

        This process's sessions end at once; the others when their process next syncs.
        """
        at = time.time()
        ended = self._on_loop(lambda: self._end_local(member_id, except_session, reason, at))
        request, elsewhere = live_sessions.request_end(
            db,
            member_id,
            except_session=except_session,
            reason=reason,
            at=at,
            other_than_worker=self.worker,
        )
        self._own_requests.add(request)
        return ended + elsewhere

    def _end_local(
        self, member_id: int, except_session: str | None, reason: str | None, before: float
    ) -> int:
        victims = [
            s
            for s in self.sessions_of(member_id)
            if s.session_id != except_session and wall_clock(s.started_at) <= before
        ]
        for session in victims:
            session.close(reason)
        return len(victims)

    # -- sharing with the other processes (on the loop) ----------------------------------

    async def sync(self, store: Store, *, activity_every: float = 15.0) -> None:
        """Write opened and closed sessions (and, now and then, their last activity);
        end the local sessions other processes asked to end. One round at a time, so a
        session's row is never deleted before it is written."""
        async with self._sync_lock:
            await self._sync(store, activity_every)

    async def _sync(self, store: Store, activity_every: float) -> None:
        opened = list(self._opened.values())
        closed = list(self._closed)
        activity: dict[str, float] = {}
        now = time.monotonic()
        if now - self._activity_synced_at >= activity_every:
            self._activity_synced_at = now
            for s in self.sessions:
                if s.session_id not in self._opened and (
                    self._activity_written.get(s.session_id) != s.last_activity
                ):
                    activity[s.session_id] = wall_clock(s.last_activity)
                    self._activity_written[s.session_id] = s.last_activity
        for sid in closed:
            self._activity_written.pop(sid, None)
        if opened or closed or activity:
            self._opened.clear()
            self._closed.clear()
            try:
                await store.run(live_sessions.sync_worker, self.worker, opened, closed, activity)
            except Exception:
                log.exception("could not record live sessions; will retry")
                for row in opened:
                    self._opened.setdefault(row.session_id, row)
                self._closed.update(closed)
                return
        requests = await store.run(live_sessions.end_requests_after, self.last_end_request)
        for request in requests:
            self.last_end_request = request.id
            if request.id in self._own_requests:
                self._own_requests.discard(request.id)
                continue
            ended = self._end_local(
                request.member_id, request.except_session, request.reason, request.requested_at
            )
            if ended:
                log.info("ended %d session(s) of member %s on request", ended, request.member_id)

    async def forget(self, store: Store) -> None:
        """This process stops: nothing left to write, and none of its rows stay listed."""
        self._opened.clear()
        self._closed.clear()
        await store.run(live_sessions.forget_worker, self.worker)

    def sweep(self, now: float | None = None) -> int:
        """Close sessions idle or older than allowed; returns how many were closed."""
        now = time.monotonic() if now is None else now
        closed = 0
        for session in list(self.sessions):
            t = get_translator(session.language)
            if now - session.last_activity >= self.settings.idle_timeout:
                minutes = max(1, self.settings.idle_timeout // 60)
                session.close(
                    t.ngettext(
                        "Session closed after {n} minute without activity.",
                        "Session closed after {n} minutes without activity.",
                        minutes,
                    )
                )
                closed += 1
            elif now - session.started_at >= self.settings.session_lifetime:
                session.close(t.gettext("Session closed: it reached its maximum duration."))
                closed += 1
        return closed


async def _sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


@dataclass
class ServerRuntime:
    """What every connection of the server shares."""

    services: Services
    registry: SessionRegistry
    policy: GatePolicy = field(default_factory=GatePolicy)
    """Delays and lockout of the authentication gate."""
    clock: Callable[[], float] = time.time
    """Unix time, for the gate's counters and codes (tests move it)."""
    sleep: Callable[[float], Awaitable[None]] = _sleep
    """How the gate waits its delays (tests record them instead of waiting)."""

    @property
    def settings(self) -> Settings:
        return self.services.settings

    def is_guest(self, username: str) -> bool:
        """Whether ``username`` opens the guest entry."""
        return username.lower() == self.settings.guest_username.lower()


class PortalSSHServer(asyncssh.SSHServer):
    """One per connection: authenticates the member (or opens the guest entry) and opens
    their sessions. The gate itself is ``portal.ssh.auth.Gatekeeper``."""

    def __init__(self, runtime: ServerRuntime) -> None:
        self.runtime = runtime
        self.conn: asyncssh.SSHServerConnection | None = None
        self.ip = "?"
        self.guest = False
        self.gate = Gatekeeper(runtime, self.ip)

    @property
    def member(self) -> Any:
        """The authenticated member (None for guests and before authentication)."""
        return self.gate.member

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        peer = conn.get_extra_info("peername")
        self.ip = str(peer[0]) if peer else "?"
        self.runtime.registry.connections_by_ip[self.ip] += 1
        self.gate = Gatekeeper(self.runtime, self.ip)
        self.gate.on_too_many = self._too_many
        self.gate.keys_supported = install_key_hook(conn, self.gate.key_signature_proven)

    def connection_lost(self, exc: Exception | None) -> None:
        registry = self.runtime.registry
        registry.connections_by_ip[self.ip] -= 1
        if registry.connections_by_ip[self.ip] <= 0:
            del registry.connections_by_ip[self.ip]

    async def begin_auth(self, username: str) -> bool:
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

    def session_requested(self) -> Any:
        registry = self.runtime.registry
        if len(registry.sessions) >= registry.share(self.runtime.settings.max_sessions):
            return False
        if self.guest:
            return PortalSession(self.runtime, None, self.ip)
        if self.gate.member is None:
            return False
        return PortalSession(
            self.runtime,
            self.gate.member,
            self.ip,
            require_twofactor=self.gate.must_enroll_twofactor,
        )

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
            keepalive_interval=60,
            reuse_port=reuse_port,
        )
        registry = self.runtime.registry
        registry.last_end_request = await self.services.store.run(live_sessions.last_end_request_id)
        await self._attempt(self._housekeeping)
        loop = asyncio.get_running_loop()
        sweep_every = max(0.2, min(30.0, settings.idle_timeout / 4))
        self._periodic = [
            loop.create_task(self._every(sweep_every, self._sweep)),
            loop.create_task(self._every(self.sync_interval, self._sync)),
            loop.create_task(self._every(self.housekeeping_interval, self._housekeeping)),
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

    async def _sync(self) -> None:
        await self.runtime.registry.sync(self.services.store)

    async def _housekeeping(self) -> None:
        """Work the calendar asks for: allocations whose period ended lapse (their
        ledger says so; they could not be spent anyway). Idempotent, any worker may."""
        lapsed = await self.services.store.run(wallet.lapse_expired)
        if lapsed:
            log.info("%d allocation(s) lapsed at the end of their period", lapsed)

    async def close(self) -> None:
        """Stop listening, end every session and wait for their apps to finish."""
        for task in self._periodic:
            task.cancel()
        self.runtime.registry.gc.stop()
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
        await self.runtime.registry.forget(self.services.store)
        if self.mailer is not None:  # last: sessions may have queued mail while closing
            await self.mailer.stop()
