"""Backup and restore of a data directory: the database, its two keys and its files.

A database without its ``secrets.key`` cannot decrypt the secrets it stores (TOTP
secrets), and without the host key members' clients would warn of a changed server. So a
backup is a new directory holding all three, each with mode 0600, and a restore checks the
backup's database (``PRAGMA integrity_check``) before it replaces anything.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from portal.config import Settings
from portal.data.backup import integrity_problems, online_backup

__all__ = ["DB_FILE", "BackupError", "backup", "restore"]

DB_FILE = "portal.db"
KEY_FILES = ("secrets.key", "ssh_host_ed25519_key")
FOLDERS = ("credentials", "files")
"""Stored credential documents and the members' SFTP folders: the database points at them."""


@dataclass
class BackupError(Exception):
    """Why a backup or a restore could not be done (a sentence for the operator)."""

    reason: str

    def __str__(self) -> str:
        return self.reason


def _keys(settings: Settings) -> list[Path]:
    return [settings.secret_key_path, settings.host_key_path]


def backup(settings: Settings, target: Path) -> list[Path]:
    """Write the database and its keys into the new directory ``target``; returns the files.

    Raises:
        BackupError: ``target`` exists, its parent does not, or there is no database.
    """
    if not settings.db_path.exists():
        raise BackupError(f"No database at {settings.db_path}: nothing to back up.")
    if target.exists():
        raise BackupError(f"{target} already exists: choose a new directory.")
    if not target.parent.is_dir():
        raise BackupError(f"Cannot create {target}: the folder {target.parent} does not exist.")
    try:
        target.mkdir(mode=0o700)
    except OSError as error:
        raise BackupError(f"Cannot create {target}: {error.strerror}.") from None
    written = []
    try:
        online_backup(settings.db_path, target / DB_FILE)
        written.append(target / DB_FILE)
        for key in _keys(settings):
            if key.exists():
                copy = target / key.name
                shutil.copyfile(key, copy)
                os.chmod(copy, 0o600)
                written.append(copy)
        for name in FOLDERS:
            folder = settings.data_dir / name
            if folder.is_dir():
                _copy_tree(folder, target / name)
                written.append(target / name)
    except OSError as error:
        shutil.rmtree(target, ignore_errors=True)
        raise BackupError(f"Cannot write the backup into {target}: {error.strerror}.") from None
    return written


def restore(settings: Settings, source: Path) -> list[Path]:
    """Put the backup in ``source`` in place of the data directory's database and keys.

    Stop the server first. Nothing is replaced unless the backup's database passes
    ``PRAGMA integrity_check``; a key the backup lacks (a server never started) is left
    as it is.

    Raises:
        BackupError: Not a backup directory, or a damaged database.
    """
    db_copy = source / DB_FILE
    if not db_copy.is_file():
        raise BackupError(f"{source} is not a Portal backup: {DB_FILE} is missing.")
    problems = integrity_problems(db_copy)
    if problems:
        raise BackupError(f"The backup's database is damaged: {'; '.join(problems[:3])}")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    placed = []
    for name, destination in (
        (DB_FILE, settings.db_path),
        *((key.name, key) for key in _keys(settings)),
    ):
        origin = source / name
        if not origin.is_file():
            continue
        fd, temporary = tempfile.mkstemp(dir=destination.parent, prefix=f".{name}.")
        os.close(fd)
        shutil.copyfile(origin, temporary)
        os.chmod(temporary, 0o600)
        if name == DB_FILE:
            for suffix in ("-wal", "-shm"):  # the old database's journal must not outlive it
                Path(f"{destination}{suffix}").unlink(missing_ok=True)
        os.replace(temporary, destination)
        placed.append(destination)
    for name in FOLDERS:
        origin = source / name
        if origin.is_dir():
            destination = settings.data_dir / name
            staged = settings.data_dir / f".{name}.restoring"
            shutil.rmtree(staged, ignore_errors=True)
            _copy_tree(origin, staged)
            if destination.exists():
                shutil.rmtree(destination)
            os.replace(staged, destination)
            placed.append(destination)
    return placed


def _copy_tree(origin: Path, target: Path) -> None:
    """Copy a folder (regular files only, never following links), private modes."""
    target.mkdir(mode=0o700)
    for entry in origin.iterdir():
        if entry.is_symlink():
            continue
        if entry.is_dir():
            _copy_tree(entry, target / entry.name)
        elif entry.is_file():
            shutil.copyfile(entry, target / entry.name)
            os.chmod(target / entry.name, 0o600)
