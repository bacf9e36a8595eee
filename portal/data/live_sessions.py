"""Live sessions shared by every server process, and requests to end them.

Each server process (``worker``) writes its own sessions here about once a second and
reads the end requests made since its last look; timestamps are Unix seconds.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from sqlite_utils import Database

from portal.data.db import transaction

KEEP_REQUESTS = 3600.0
"""End requests older than this are deleted (every live process has long seen them)."""


def worker_name(pid: int | None = None) -> str:
    """How a server process is named in ``live_sessions`` (this one by default)."""
    return f"{socket.gethostname()}:{os.getpid() if pid is None else pid}"


@dataclass(frozen=True)
class LiveSession:
    """One row of ``live_sessions``."""

    session_id: str
    worker: str
    member_id: int | None
    ip: str
    started_at: float
    last_activity: float


@dataclass(frozen=True)
class EndRequest:
    """A request to end a member's sessions (all, or all but one)."""

    id: int
    member_id: int
    except_session: str | None
    reason: str | None
    requested_at: float


def sync_worker(
    db: Database,
    worker: str,
    opened: Iterable[LiveSession],
    closed: Iterable[str],
    activity: dict[str, float],
) -> None:
    """Record one process's sessions opened, closed and their last activity, at once."""
    with transaction(db):
        db.conn.executemany(
            "INSERT OR REPLACE INTO live_sessions"
            " (session_id, worker, member_id, ip, started_at, last_activity)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (s.session_id, worker, s.member_id, s.ip, s.started_at, s.last_activity)
                for s in opened
            ],
        )
        db.conn.executemany(
            "DELETE FROM live_sessions WHERE session_id = ? AND worker = ?",
            [(sid, worker) for sid in closed],
        )
        db.conn.executemany(
            "UPDATE live_sessions SET last_activity = ? WHERE session_id = ? AND worker = ?",
            [(at, sid, worker) for sid, at in activity.items()],
        )


def forget_worker(db: Database, worker: str) -> None:
    """Remove the sessions of a process that stops."""
    with transaction(db):
        db.execute("DELETE FROM live_sessions WHERE worker = ?", [worker])


def forget_all(db: Database) -> None:
    """Start of the server (before any worker): no session is live."""
    with transaction(db):
        db.execute("DELETE FROM live_sessions")


def sessions_of(db: Database, member_id: int) -> list[LiveSession]:
    """A member's live sessions in every process, oldest first."""
    rows = db.execute(
        "SELECT session_id, worker, member_id, ip, started_at, last_activity"
        " FROM live_sessions WHERE member_id = ? ORDER BY started_at",
        [member_id],
    ).fetchall()
    return [LiveSession(*row) for row in rows]


def request_end(
    db: Database,
    member_id: int,
    *,
    except_session: str | None,
    reason: str | None,
    at: float,
    other_than_worker: str | None = None,
) -> tuple[int, int]:
    """Ask every process to end a member's sessions started before ``at``.

    Returns the request's number and how many of those sessions are known live outside
    ``other_than_worker`` (a process that ends its own sessions itself and counts them).
    """
    with transaction(db):
        cursor = db.execute(
            "INSERT INTO session_end_requests (member_id, except_session, reason, requested_at)"
            " VALUES (?, ?, ?, ?)",
            [member_id, except_session, reason, at],
        )
        db.execute("DELETE FROM session_end_requests WHERE requested_at < ?", [at - KEEP_REQUESTS])
        row = db.execute(
            "SELECT count(*) FROM live_sessions WHERE member_id = ? AND started_at <= ?"
            " AND session_id IS NOT ? AND worker IS NOT ?",
            [member_id, at, except_session, other_than_worker],
        ).fetchone()
    return int(cursor.lastrowid or 0), int(row[0])


def end_requests_after(db: Database, last_id: int) -> list[EndRequest]:
    """End requests made after the one numbered ``last_id``, oldest first."""
    rows = db.execute(
        "SELECT id, member_id, except_session, reason, requested_at"
        " FROM session_end_requests WHERE id > ? ORDER BY id",
        [last_id],
    ).fetchall()
    return [EndRequest(*row) for row in rows]


def last_end_request_id(db: Database) -> int:
    """The number of the latest end request (0 when none): a new process starts there."""
    row = db.execute("SELECT coalesce(max(id), 0) FROM session_end_requests").fetchone()
    return int(row[0])
