"""SQLite-level pieces of backup and restore: the online backup API and the integrity check."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

__all__ = ["integrity_problems", "online_backup"]


def online_backup(source: Path, target: Path) -> None:
    """Copy the database ``source`` into a new file ``target`` (mode 0600).

    Uses SQLite's backup API, page by page, so it is consistent and safe while servers
    write to ``source``.
    """
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst, pages=1024)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()


def integrity_problems(path: Path) -> list[str]:
    """What ``PRAGMA integrity_check`` finds wrong in ``path`` (empty when sound)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as error:
        return [str(error)]
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
        tables = conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    except sqlite3.DatabaseError as error:
        return [str(error)]
    finally:
        conn.close()
    problems = [str(row[0]) for row in rows if row[0] != "ok"]
    if not problems and ("members",) not in tables:
        problems.append("not a Portal database (no members table)")
    return problems
