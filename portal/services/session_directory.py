"""The live sessions of every server process, as services see them.

Services that end a member's sessions (a password reset, a deactivation) take a
``SessionDirectory``; the SSH server implements it, and ``StoredSessions`` stands in
where no server runs (the CLI). Kept apart from ``runtime`` so that those services do not
import the process's composition root (which imports the payment and order services).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

from sqlite_utils import Database

from portal.data import live_sessions

__all__ = ["SessionDirectory", "SessionInfo", "StoredSessions", "stored_session_infos"]


@dataclass(frozen=True)
class SessionInfo:
    """A live session as shown to its member (never another member's)."""

    session_id: str
    member_id: int
    ip: str | None
    started_at: float
    """Unix time the session started."""
    last_activity: float
    """Unix time of the last keystroke."""


class SessionDirectory(Protocol):
    """The live sessions of every server process (implemented by the SSH server).

    Called from database worker threads with their connection, like services.
    """

    def list_for(self, db: Database, member_id: int) -> list[SessionInfo]:
        """Live sessions of one member."""
        ...

    def close_member_sessions(
        self,
        db: Database,
        member_id: int,
        *,
        except_session: str | None = None,
        reason: str | None = None,
    ) -> int:
        """End a member's sessions (all, or all but one); returns how many were ended."""
        ...


def stored_session_infos(
    db: Database, member_id: int, *, other_than_worker: str | None = None
) -> list[SessionInfo]:
    """A member's sessions as the database lists them (of every process but one)."""
    return [
        SessionInfo(row.session_id, member_id, row.ip, row.started_at, row.last_activity)
        for row in live_sessions.sessions_of(db, member_id)
        if row.worker != other_than_worker
    ]


class StoredSessions:
    """The directory without a server in this process (the CLI): what the database knows.

    Ending sessions records a request that every running server process acts on.
    """

    def list_for(self, db: Database, member_id: int) -> list[SessionInfo]:
        return stored_session_infos(db, member_id)

    def close_member_sessions(
        self,
        db: Database,
        member_id: int,
        *,
        except_session: str | None = None,
        reason: str | None = None,
    ) -> int:
        _request, ended = live_sessions.request_end(
            db, member_id, except_session=except_session, reason=reason, at=time.time()
        )
        return ended
