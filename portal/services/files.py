"""Members' files: the SFTP ``inbox/`` and ``outbox/`` folders, plain Python.

Layout: ``settings.files_dir / <login> / inbox`` (what the member uploads: documents to
attach, CSV imports) and ``/ outbox`` (what the platform leaves for them: invoices, e-card
PDFs, exports; read-only to the member). The login never changes, so it names the folder.
Folders are created on demand with mode 0700.

Uploads over SFTP are written to a hidden temporary name (``TEMP_PREFIX``) and renamed
when the client closes the file complete; :func:`list_inbox` and :func:`list_outbox` show
complete regular files only, never temporaries, hidden names or symbolic links, so the app
can never attach a half-written upload. :func:`clean_stale_temporaries` removes what cut
transfers left behind (called by the server's housekeeping loop).

Every name given to this module is one path component checked by :func:`check_name`:
no ``/``, no ``..``, no control character, no hidden name; files are opened with
``O_NOFOLLOW`` so a symbolic link is never followed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import stat
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from portal.config import Settings
from portal.i18n import N_, Translator, current
from portal.services.errors import PortalError

__all__ = [
    "TEMP_PREFIX",
    "FileEntry",
    "FileError",
    "Usage",
    "check_name",
    "clean_stale_temporaries",
    "finish_upload",
    "format_size",
    "start_upload",
    "Upload",
    "check_upload_size",
    "discard_upload",
    "LimitError",
    "inbox_dir",
    "inbox_usage",
    "is_temporary",
    "list_inbox",
    "list_outbox",
    "member_root",
    "open_regular",
    "outbox_dir",
    "read_inbox_file",
    "remove_inbox_file",
    "scp_command",
    "sftp_command",
    "temporary_name",
    "write_outbox_file",
]

TEMP_PREFIX = ".upload-"
"""Start of the hidden name an upload is written under until it is complete."""
MAX_NAME_BYTES = 255
"""Longest file name (UTF-8 bytes), the usual file-system limit."""
STALE_AFTER = 24 * 3600.0
"""Seconds after which an untouched temporary upload is considered abandoned."""

_LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")

BAD_NAME = N_(
    "This file name is not allowed: use a plain name without '/', control characters "
    "or a leading dot."
)
NOT_FOUND = N_("There is no file named {name} in your inbox.")
NOT_A_FILE = N_("{name} is not a regular file: links and folders are refused.")
TOO_BIG = N_("This file is too large: files over {limit} are refused.")
OVER_QUOTA = N_("Your inbox is full: it may hold {limit} in all. Delete files you no longer need.")
TOO_MANY = N_(
    "Your inbox already holds {limit} files, the most allowed. Delete files you no longer need."
)
EXISTS = N_("A file named {name} is already in your inbox.")


class FileError(PortalError):
    """A file name or file operation refused (bad name, missing file, link)."""


class LimitError(FileError):
    """An upload refused by a limit: file size, the inbox's quota or its number of files."""

    def text(self, translator: Translator | None = None) -> str:
        """The sentence, sizes written in the reader's language (``10 Mo``)."""
        t = translator or current()
        params = {
            key: format_size(t, value.size) if isinstance(value, _Size) else value
            for key, value in self.params.items()
        }
        return t.gettext(self.message, **params)


@dataclass(frozen=True)
class FileEntry:
    """One complete file of a member's inbox or outbox."""

    name: str
    """The file's name (one path component)."""
    size: int
    """Size in bytes."""
    modified: float
    """Last modification, seconds since the epoch."""


@dataclass(frozen=True)
class Usage:
    """What a member's inbox holds, temporaries of uploads in progress included."""

    files: int
    """Complete files in the inbox."""
    bytes: int
    """Bytes of complete files and temporaries."""


def check_name(name: str) -> str:
    """Return ``name`` (NFC) if it is a safe single file name, else raise :class:`FileError`.

    Refused: empty, ``.`` and ``..``, anything with ``/`` or ``\\``, control characters or
    text-direction marks, a leading dot (hidden names are reserved for uploads in
    progress), more than 255 UTF-8 bytes.
    """
    if not isinstance(name, str):
        raise FileError(BAD_NAME)
    name = unicodedata.normalize("NFC", name)
    if (
        not name
        or name.startswith(".")
        or "/" in name
        or "\\" in name
        or _CONTROL.search(name)
        or len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES
    ):
        raise FileError(BAD_NAME)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise FileError(BAD_NAME) from None
    return name


def is_temporary(name: str) -> bool:
    """True for the hidden name of an upload in progress."""
    return name.startswith(TEMP_PREFIX)


def temporary_name() -> str:
    """A fresh hidden name for an upload in progress."""
    return f"{TEMP_PREFIX}{secrets.token_hex(8)}"


def _private_dir(path: Path) -> Path:
    """Create ``path`` (mode 0700) if missing; refuse it if it is a link or not a folder."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise FileError(NOT_A_FILE, name=path.name)
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(path, 0o700)
    return path


def member_root(settings: Settings, login: str) -> Path:
    """The member's folder holding ``inbox/`` and ``outbox/`` (created on demand)."""
    if not _LOGIN.match(login) or ".." in login:
        raise FileError(BAD_NAME)
    settings.files_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    return _private_dir(settings.files_dir / login)


def inbox_dir(settings: Settings, login: str) -> Path:
    """The member's SFTP inbox (uploads), created on demand with mode 0700."""
    return _private_dir(member_root(settings, login) / "inbox")


def outbox_dir(settings: Settings, login: str) -> Path:
    """The member's SFTP outbox (read-only to them), created on demand with mode 0700."""
    return _private_dir(member_root(settings, login) / "outbox")


def _list(folder: Path) -> list[FileEntry]:
    entries: list[FileEntry] = []
    with os.scandir(folder) as it:
        for entry in it:
            if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
                continue
            try:
                check_name(entry.name)
                info = entry.stat(follow_symlinks=False)
            except (FileError, OSError):
                continue
            entries.append(FileEntry(entry.name, info.st_size, info.st_mtime))
    entries.sort(key=lambda e: e.name.casefold())
    return entries


def list_inbox(settings: Settings, login: str) -> list[FileEntry]:
    """The inbox's complete files, by name (never temporaries, hidden names or links)."""
    return _list(inbox_dir(settings, login))


def list_outbox(settings: Settings, login: str) -> list[FileEntry]:
    """The outbox's files, by name (never temporaries, hidden names or links)."""
    return _list(outbox_dir(settings, login))


def inbox_usage(settings: Settings, login: str) -> Usage:
    """Count the inbox's complete files and the bytes of everything in it.

    The quota is on what the member uploads (the inbox, uploads in progress included);
    the outbox is filled by the platform and does not count against it.
    """
    files = 0
    total = 0
    with os.scandir(inbox_dir(settings, login)) as it:
        for entry in it:
            if not entry.is_file(follow_symlinks=False):
                continue
            try:
                total += entry.stat(follow_symlinks=False).st_size
            except OSError:
                continue
            if not entry.name.startswith("."):
                files += 1
    return Usage(files=files, bytes=total)


def open_regular(folder: Path, name: str, flags: int) -> int:
    """Open ``folder/name`` without following a link; refuse anything but a regular file."""
    name = check_name(name)
    try:
        fd = os.open(folder / name, flags | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise FileError(NOT_FOUND, name=name) from None
    except OSError:  # ELOOP: a symbolic link; EISDIR ...
        raise FileError(NOT_A_FILE, name=name) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise FileError(NOT_A_FILE, name=name)
    return fd


@dataclass(frozen=True)
class Upload:
    """An upload in progress: a hidden temporary file in the inbox, renamed when complete."""

    name: str
    """The name the file will have once complete."""
    temp: Path
    """The hidden temporary file being written."""
    base_bytes: int
    """Bytes the inbox held at the start besides this upload (a file it replaces excluded)."""


def start_upload(
    settings: Settings, login: str, name: str, *, exclusive: bool = False
) -> tuple[Upload, int]:
    """Make room for an upload of ``name`` to the inbox; return it and its open descriptor.

    Refused (nothing written) when the name is unsafe, names a link or a folder, exists
    and ``exclusive`` is set, or when the inbox already holds ``sftp_max_inbox_files``
    files or ``sftp_quota_bytes`` bytes. The caller writes to the descriptor, then calls
    :func:`finish_upload` (or :func:`discard_upload`).
    """
    folder = inbox_dir(settings, login)
    name = check_name(name)
    replaced = _existing_size(folder, name)
    if replaced is not None and exclusive:
        raise FileError(EXISTS, name=name)
    usage = inbox_usage(settings, login)
    if replaced is None and usage.files >= settings.sftp_max_inbox_files:
        raise LimitError(TOO_MANY, limit=settings.sftp_max_inbox_files)
    base = usage.bytes - (replaced or 0)
    if base >= settings.sftp_quota_bytes:
        raise LimitError(OVER_QUOTA, limit=_Size(settings.sftp_quota_bytes))
    temp = folder / temporary_name()
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    return Upload(name=name, temp=temp, base_bytes=base), fd


def check_upload_size(settings: Settings, upload: Upload, size: int) -> None:
    """Refuse an upload growing to ``size`` bytes past the file size limit or the quota."""
    if size > settings.sftp_max_file_bytes:
        raise LimitError(TOO_BIG, limit=_Size(settings.sftp_max_file_bytes))
    if upload.base_bytes + size > settings.sftp_quota_bytes:
        raise LimitError(OVER_QUOTA, limit=_Size(settings.sftp_quota_bytes))


def finish_upload(settings: Settings, login: str, upload: Upload) -> Path:
    """Give a complete upload its name (atomic rename), the limits checked once more.

    Runs under an exclusive lock on the member's folder, so uploads finishing at once on
    several connections (or worker processes) cannot pass the limits together. A refused
    upload's temporary is removed.
    """
    root = member_root(settings, login)
    folder = inbox_dir(settings, login)
    lock = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            size = os.lstat(upload.temp).st_size
            replaced = _existing_size(folder, upload.name)
            usage = inbox_usage(settings, login)
            if replaced is None and usage.files >= settings.sftp_max_inbox_files:
                raise LimitError(TOO_MANY, limit=settings.sftp_max_inbox_files)
            if size > settings.sftp_max_file_bytes:
                raise LimitError(TOO_BIG, limit=_Size(settings.sftp_max_file_bytes))
            # Usage counts this upload's temporary (and others' in progress) already.
            if usage.bytes - (replaced or 0) > settings.sftp_quota_bytes:
                raise LimitError(OVER_QUOTA, limit=_Size(settings.sftp_quota_bytes))
            os.replace(upload.temp, folder / upload.name)
        except BaseException:
            discard_upload(upload)
            raise
    finally:
        os.close(lock)
    return folder / upload.name


def discard_upload(upload: Upload) -> None:
    """Remove an upload's temporary (a cut or refused transfer leaves nothing)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(upload.temp)


def _existing_size(folder: Path, name: str) -> int | None:
    """Size of the regular file ``folder/name``, None if absent; a link or folder refused."""
    try:
        info = os.lstat(folder / name)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        raise FileError(NOT_A_FILE, name=name)
    return info.st_size


@dataclass(frozen=True)
class _Size:
    """A size passed to an error message (formatted in the reader's language)."""

    size: int

    def __format__(self, spec: str) -> str:
        return f"{self.size // (1024 * 1024)} MB" if self.size >= 1024 * 1024 else f"{self.size} B"


def read_inbox_file(settings: Settings, login: str, name: str) -> bytes:
    """The content of one complete file of the member's inbox."""
    fd = open_regular(inbox_dir(settings, login), name, os.O_RDONLY)
    with os.fdopen(fd, "rb") as fh:
        return fh.read()


def remove_inbox_file(settings: Settings, login: str, name: str) -> None:
    """Delete one complete file of the member's inbox (never a link or a temporary)."""
    folder = inbox_dir(settings, login)
    name = check_name(name)
    try:
        info = os.lstat(folder / name)
    except FileNotFoundError:
        raise FileError(NOT_FOUND, name=name) from None
    if not stat.S_ISREG(info.st_mode):
        raise FileError(NOT_A_FILE, name=name)
    os.unlink(folder / name)


def write_outbox_file(settings: Settings, login: str, name: str, data: bytes) -> Path:
    """Write ``data`` to the member's outbox atomically (temporary name, then rename).

    A file of the same name is replaced; a reader never sees a half-written file.
    """
    folder = outbox_dir(settings, login)
    name = check_name(name)
    temp = folder / temporary_name()
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, folder / name)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return folder / name


def clean_stale_temporaries(
    settings: Settings, *, older_than: float = STALE_AFTER, now: float | None = None
) -> int:
    """Remove temporaries of uploads untouched for ``older_than`` seconds; return how many.

    An upload in progress touches its temporary with every write, so only a transfer cut
    long ago is removed.
    """
    root = settings.files_dir
    if not root.is_dir():
        return 0
    limit = (time.time() if now is None else now) - older_than
    removed = 0
    with os.scandir(root) as members:
        for member in members:
            if not member.is_dir(follow_symlinks=False):
                continue
            for box in ("inbox", "outbox"):
                folder = Path(member.path) / box
                try:
                    entries = list(os.scandir(folder))
                except OSError:
                    continue
                for entry in entries:
                    if not is_temporary(entry.name):
                        continue
                    try:
                        if entry.stat(follow_symlinks=False).st_mtime < limit:
                            os.unlink(entry.path)
                            removed += 1
                    except OSError:
                        continue
    return removed


def _port_flag(settings: Settings, flag: str) -> str:
    return "" if settings.port == 22 else f"{flag} {settings.port} "


def sftp_command(settings: Settings, login: str) -> str:
    """The command a member types to reach their files, e.g. ``sftp -P 2222 alice@host``."""
    return f"sftp {_port_flag(settings, '-P')}{login}@{settings.public_host}"


def scp_command(settings: Settings, login: str, file: str = "document.pdf") -> str:
    """The command that uploads ``file`` to the inbox, e.g. ``scp -P 2222 f alice@host:inbox/``."""
    return f"scp {_port_flag(settings, '-P')}{file} {login}@{settings.public_host}:inbox/"


def format_size(translator: Translator, size: int) -> str:
    """A size for people, in the translator's language: ``532 o``, ``12,5 Ko``, ``10 Mo``."""
    if size < 1024:
        return translator.gettext("{n} B", n=translator.number(size))
    if size < 1024 * 1024:
        return translator.gettext("{n} KB", n=translator.number(round(size / 1024, 1)))
    return translator.gettext("{n} MB", n=translator.number(round(size / (1024 * 1024), 1)))
