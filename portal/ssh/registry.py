"""This process's live sessions: caps, idle sweep, and its part of the session directory.

Sessions are counted from the moment their channel is accepted (a slot, ``admit``) to
their teardown (``session_closed``), which every way a session can end goes through
exactly once; a session whose app runs is also listed (``sessions``) for the directory,
the sweep and closing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from sqlite_utils import Database

from portal.config import Settings
from portal.data import live_sessions
from portal.data.db import Store
from portal.data.members import Member
from portal.i18n import get_translator
from portal.services.runtime import SessionInfo, stored_session_infos
from portal.ssh.gcpolicy import GcPolicy
from portal.ssh.limits import share

log = logging.getLogger(__name__)
T = TypeVar("T")


def wall_clock(stamp: float) -> float:
    """Unix time of a ``time.monotonic()`` stamp (sessions keep monotonic ones)."""
    return stamp + time.time() - time.monotonic()


class LiveSession(Protocol):
    """What the registry needs of a session (``portal.ssh.session.PortalSession``)."""

    member: Member | None
    ip: str | None
    started_at: float
    last_activity: float
    task: asyncio.Task[None] | None
    """The task running its app, while it runs."""

    @property
    def session_id(self) -> str: ...

    @property
    def language(self) -> str: ...

    @property
    def started(self) -> bool:
        """Whether its app was started (a shell was asked for)."""
        ...

    @property
    def channel_gone(self) -> bool:
        """Whether its channel is closed or closing."""
        ...

    def close(self, farewell: str | None = None) -> None: ...


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
    sessions_by_ip: Counter[str] = field(default_factory=Counter)
    """Slots held per client address (sessions admitted and not yet torn down)."""
    admitted: set[LiveSession] = field(default_factory=set)
    """Every session holding a slot, started or not."""
    sessions: set[LiveSession] = field(default_factory=set)
    """Sessions whose app runs."""
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
    _reaping: set[LiveSession] = field(default_factory=set)
    _gone: set[LiveSession] = field(default_factory=set)
    """Sessions whose client left and whose app waits for the reaper: no slot held."""

    @property
    def session_count(self) -> int:
        """Session slots held on this process."""
        return len(self.admitted) - len(self._gone)

    def share(self, cap: int) -> int:
        """This process's part of a cap shared by the workers (each applies its own)."""
        return share(cap, self.settings.workers)

    def over_cap(self, ip: str) -> bool:
        """True when one more session from ``ip`` would pass a cap."""
        total = self.share(self.settings.max_sessions)
        per_ip = self.share(self.settings.max_sessions_per_ip)
        return self.session_count >= total or self.sessions_by_ip[ip] >= per_ip

    def admit(self, session: LiveSession) -> bool:
        """Give ``session`` a slot, unless that would pass a cap."""
        ip = session.ip or "?"
        if session in self.admitted or self.over_cap(ip):
            return False
        self.admitted.add(session)
        self.sessions_by_ip[ip] += 1
        return True

    def session_opened(self, session: LiveSession) -> None:
        """Its app started: list it in the directory."""
        self.sessions.add(session)
        self.gc.session_opened(len(self.sessions))
        self._opened[session.session_id] = live_sessions.LiveSession(
            session.session_id,
            self.worker,
            session.member.id if session.member is not None else None,
            session.ip or "?",
            wall_clock(session.started_at),
            wall_clock(session.last_activity),
        )

    def _release_slot(self, session: LiveSession) -> None:
        ip = session.ip or "?"
        self.sessions_by_ip[ip] -= 1
        if self.sessions_by_ip[ip] <= 0:
            del self.sessions_by_ip[ip]

    def client_gone(self, session: LiveSession) -> None:
        """Its client left and its app ends later (the reaper): free its slot now, so
        that a crowd of dropped sessions does not keep new logins out."""
        if session in self.admitted and session not in self._gone:
            self._gone.add(session)
            self._release_slot(session)

    def session_closed(self, session: LiveSession) -> bool:
        """The session ended: free its slot and unlist it. Safe to call again (returns
        False then)."""
        released = False
        self._reaping.discard(session)
        if session in self.admitted:
            self.admitted.discard(session)
            if session in self._gone:
                self._gone.discard(session)  # its slot was freed when its client left
            else:
                self._release_slot(session)
            released = True
        if session in self.sessions:
            self.sessions.discard(session)
            self.gc.session_closed(len(self.sessions))
            if self._opened.pop(session.session_id, None) is None:
                self._closed.add(session.session_id)  # it was written: remove it at next sync
            released = True
        return released

    def sessions_of(self, member_id: int) -> list[LiveSession]:
        """Live sessions of one member (guest sessions belong to nobody); a session whose
        client left is not live any more, even while its app waits to end."""
        return [
            s
            for s in self.sessions
            if s.member is not None and s.member.id == member_id and s not in self._gone
        ]

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
        """Close sessions idle or older than allowed, sessions whose channel is gone and
        channels that never asked for a shell; returns how many were closed."""
        now = time.monotonic() if now is None else now
        closed = 0
        for session in list(self.admitted):
            if session in self._gone:
                continue  # the reaper ends it
            if session.channel_gone or (
                not session.started
                and now - session.started_at >= self.settings.session_open_timeout
            ):
                if session in self._reaping:
                    # Still here a round after it was closed: its teardown could not
                    # run (an app that does not end), so its slot is freed anyway.
                    log.info("freeing the slot of a session that did not end (%s)", session.ip)
                    self.session_closed(session)
                else:
                    self._reaping.add(session)
                    session.close()
                    closed += 1
                continue
            if session not in self.sessions:
                continue
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
