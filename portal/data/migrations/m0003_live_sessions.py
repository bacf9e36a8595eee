"""Live sessions of every server process, and requests to end a member's sessions.

With ``serve --workers N`` a member's sessions may live in several processes: the list
of sessions and the requests to end them go through the database, which they all share.
"""

from __future__ import annotations

from sqlite_utils import Database


def up(db: Database) -> None:
    """Create the session tables."""
    db.executescript(
        """
        CREATE TABLE live_sessions (
            session_id TEXT PRIMARY KEY,
            worker TEXT NOT NULL,
            member_id INTEGER REFERENCES members(id),
            ip TEXT NOT NULL,
            started_at REAL NOT NULL,
            last_activity REAL NOT NULL
        );
        CREATE INDEX live_sessions_member ON live_sessions(member_id);
        CREATE INDEX live_sessions_worker ON live_sessions(worker);
        CREATE TABLE session_end_requests (
            id INTEGER PRIMARY KEY,
            member_id INTEGER NOT NULL REFERENCES members(id),
            except_session TEXT,
            reason TEXT,
            requested_at REAL NOT NULL
        );
        """
    )
