"""Connections, transactions, migrations and the thread-pooled store.

Every connection sets WAL, ``busy_timeout``, ``foreign_keys=ON``,
``synchronous=FULL`` and ``secure_delete=ON`` (deleted or overwritten content is zeroed
in the page rather than left in free space, so an erased code or sealed body is not
found later in the file or a backup of it). Connections are opened in autocommit mode
so that transactions are explicit: money moves inside ``transaction(conn)`` which issues ``BEGIN IMMEDIATE``.

No SQL runs on the event loop thread: ``Store.run`` sends a function to a worker thread
that owns its own connection, and awaits the result.
"""

from __future__ import annotations

import asyncio
import contextvars
import importlib
import logging
import pkgutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from sqlite_utils import Database

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000


def connect(path: Path | str) -> Database:
    """Open a database with the project's pragmas.

    Args:
        path: The SQLite file, or ``":memory:"``.

    Returns:
        A sqlite-utils ``Database`` over an autocommit connection.
    """
    conn = sqlite3.connect(
        str(path), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
    )
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA secure_delete=ON")
    return Database(conn)


@contextmanager
def transaction(db: Database, *, immediate: bool = True) -> Iterator[Database]:
    """Run a block in one transaction: all of it is written, or none of it.

    ``BEGIN IMMEDIATE`` takes the write lock at the start, so two racing writers
    serialize instead of failing half-way. Nested use joins the outer transaction.
    """
    conn = db.conn
    if conn.in_transaction:
        yield db
        return
    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield db
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def truncate_all(db: Database) -> None:
    """Delete every row of every table but ``_migrations`` (demo reset only).

    Append-only triggers are dropped for the time of the reset and recreated as they were.
    """
    # Full-text indexes (and their shadow tables) follow their content tables by triggers.
    indexes = [t for t in db.table_names() if db.table(t).virtual_table_using]
    tables = [
        t
        for t in db.table_names()
        if t != "_migrations"
        and not t.startswith("sqlite_")
        and not any(t == v or t.startswith(f"{v}_") for v in indexes)
    ]
    db.execute("PRAGMA foreign_keys=OFF")
    try:
        with transaction(db):
            guards = db.execute(
                "SELECT name, sql FROM sqlite_master WHERE type='trigger' AND sql LIKE '%append-only%'"
            ).fetchall()
            for guard in guards:
                db.execute(f"DROP TRIGGER [{guard['name']}]")
            for name in tables:
                db.execute(f"DELETE FROM [{name}]")
            for guard in guards:
                db.execute(guard["sql"])
    finally:
        db.execute("PRAGMA foreign_keys=ON")


def _migration_modules() -> list[tuple[str, Any]]:
    from portal.data import migrations

    names = sorted(m.name for m in pkgutil.iter_modules(migrations.__path__) if m.name[0] == "m")
    return [(n, importlib.import_module(f"portal.data.migrations.{n}")) for n in names]


def migrate(db: Database) -> list[str]:
    """Apply the migrations not applied yet, each in its own transaction.

    Migrations are modules ``portal/data/migrations/mNNNN_name.py`` with ``up(db)``;
    they run in name order and are recorded in ``_migrations``.

    Returns:
        The names applied by this call.
    """
    db.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT "
        "NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
    )
    done = {row[0] for row in db.execute("SELECT name FROM _migrations").fetchall()}
    applied = []
    for name, module in _migration_modules():
        if name in done:
            continue
        with transaction(db):
            module.up(db)
            db.execute("INSERT INTO _migrations (name) VALUES (?)", [name])
        applied.append(name)
        log.info("migration applied: %s", name)
    return applied


class Store:
    """A pool of worker threads, each with its own connection to one database file.

    Services are plain functions taking a ``Database`` first; ``await store.run(fn, ...)``
    runs one in a worker and returns its result without blocking the event loop.
    """

    def __init__(self, path: Path | str, threads: int = 4) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._connections: list[Database] = []
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="portal-db")

    def _db(self) -> Database:
        db = getattr(self._local, "db", None)
        if db is None:
            db = connect(self.path)
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        return db

    def _call(self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        return fn(self._db(), *args, **kwargs)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(db, *args, **kwargs)`` in a worker thread and return its result.

        The caller's context variables go along (``run_in_executor`` alone drops them),
        so a service that translates a message speaks the session's language.
        """
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        call = partial(context.run, self._call, fn, args, kwargs)
        return await loop.run_in_executor(self._executor, call)

    def run_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(db, ...)`` in a worker thread and wait (for code without a loop)."""
        return self._executor.submit(self._call, fn, args, kwargs).result()

    def close(self) -> None:
        """Stop the workers and close their connections."""
        self._executor.shutdown(wait=True)
        with self._lock:
            for db in self._connections:
                db.conn.close()
            self._connections.clear()
