"""The process-wide services container, built once and shared by every session.

It holds nothing about any one member: per-session state lives in each app's
``SessionContext``. ``make_services`` is the one factory used by the server, the CLI and
the tests.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlite_utils import Database

from portal.config import Settings
from portal.data import live_sessions
from portal.data.db import Store, connect, migrate
from portal.services import demo
from portal.services.crypto import SecretBox, load_or_create_box

log = logging.getLogger(__name__)


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


@dataclass
class Services:
    """Shared, thread-safe handles: settings, the database store, and feature services."""

    settings: Settings
    store: Store
    secrets: SecretBox
    """Encrypts secrets stored in the database (key file outside it)."""
    sessions: SessionDirectory = field(default_factory=StoredSessions)
    """Live sessions; the SSH server installs its registry here."""
    extras: dict[str, Any] = field(default_factory=dict)
    """Feature services registered at start (notifier, payment provider, ...)."""

    def close(self) -> None:
        """Release the worker threads and their connections."""
        for extra in self.extras.values():
            closer = getattr(extra, "close", None)
            if callable(closer):
                closer()
        self.store.close()


def prepare_data_dir(settings: Settings) -> None:
    """Create the data directory (mode 0700) and its sub-folders."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.data_dir, 0o700)
    settings.files_dir.mkdir(exist_ok=True)


def init_database(settings: Settings, *, with_demo: bool = True) -> list[demo.DemoLogin]:
    """Create and migrate the database; add demo data on first start.

    Returns:
        The demo logins when they were just created, else an empty list.
    """
    prepare_data_dir(settings)
    db = connect(settings.db_path)
    try:
        migrate(db)
        if with_demo and not demo.has_data(db):
            return demo.seed(db)
        return []
    finally:
        db.conn.close()


def make_services(settings: Settings) -> Services:
    """Build the services of one process (the database must be initialised first)."""
    prepare_data_dir(settings)
    return Services(
        settings=settings,
        store=Store(settings.db_path, settings.db_threads),
        secrets=load_or_create_box(settings.secret_key_path),
    )
