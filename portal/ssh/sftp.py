"""The SFTP subsystem: each member sees a virtual tree of exactly ``inbox/`` and ``outbox/``.

Nothing here maps a client's path onto the real file system: a path is parsed into at
most two components, the first of which must be ``inbox`` or ``outbox`` and the second a
name accepted by ``files.check_name`` (no ``/``, no control character, no leading dot);
``..`` anywhere is refused. Only then is the real file found under the member's own
folder (``portal.services.files``), opened with ``O_NOFOLLOW`` and checked to be a
regular file. ``map_path`` is overridden to refuse, so no inherited asyncssh method can
reach the disk by itself. Links can be neither created nor followed nor read.

``inbox/`` takes uploads (written to a hidden temporary, renamed by
``files.finish_upload`` when the client closes the file; a transfer cut before that, or
refused by a limit, leaves nothing), read-back, removal and renames inside it. ``outbox/``
is read-only. Every refusal is an ``SFTPError`` (``FX_PERMISSION_DENIED`` or
``FX_FAILURE``) whose reason is a sentence in the member's language.

Fairness: the channel shares the event loop with every other session, so the loop only
moves bytes. Reads and writes of file data run in a small dedicated thread pool
(``io_executor``; the store's threads are for the database), and each channel's data is
paced by a token bucket of ``sftp_rate_bytes`` per second. asyncssh handles one request
of a channel at a time, so while a write waits for tokens the channel's window fills and
the client stops sending: a fast upload costs the loop a bounded share of its time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import stat
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh
from asyncssh import SFTPAttrs, SFTPName

from portal.config import Settings
from portal.i18n import N_, get_translator
from portal.services import files
from portal.services.files import FileError
from portal.ssh.sftp_io import BURST_BYTES, Pacer, io_executor

log = logging.getLogger(__name__)

__all__ = ["SFTP_VERSION", "PortalSFTPServer"]

SFTP_VERSION = 3
"""The protocol version offered (OpenSSH's; ``open`` rather than ``open56``)."""
BOXES = ("inbox", "outbox")
MAX_OPEN = 16
"""Most files one SFTP channel may hold open at once (each is a descriptor, and an
upload a temporary file)."""

DOTDOT = N_("'..' is not allowed in a path.")
OUTSIDE = N_("Only the inbox/ and outbox/ folders exist here.")
LINKS = N_("Links are not allowed here.")
READ_ONLY = N_("The outbox/ folder is read-only: the portal puts your invoices and exports there.")
FOLDERS = N_("Folders cannot be created, removed or changed here.")
IS_FOLDER = N_("This is a folder, not a file.")
NOT_FOUND = N_("No such file.")
RESUME = N_("Resuming or appending to an upload is not supported: send the whole file again.")
WRONG_MODE = N_("This file was not opened for that.")
UNSUPPORTED = N_("This operation is not supported here.")
TOO_MANY_OPEN = N_("Too many files are open at once: close some first.")


@dataclass(eq=False)
class _Download:
    """A file opened for reading."""

    fd: int


@dataclass(eq=False)
class _Upload:
    """A file being uploaded to the inbox (a hidden temporary until closed)."""

    upload: files.Upload
    fd: int
    size: int = 0
    error: asyncssh.SFTPError | None = None
    """Set when a limit refused a write: the temporary is gone and the upload dead."""
    closed: bool = field(default=False)
    from_start: bool = False
    """The first write must be at offset 0 (the file existed and was not truncated)."""
    pending: asyncio.Future[int] | None = None
    """The write running in the I/O threads (the descriptor is closed after it)."""


class PortalSFTPServer(asyncssh.SFTPServer):
    """One SFTP channel of one member: their inbox and outbox, nothing else."""

    def __init__(
        self,
        chan: asyncssh.SSHServerChannel[bytes],
        *,
        settings: Settings,
        login: str,
        language: str,
    ) -> None:
        super().__init__(chan)  # no chroot: nothing is mapped onto the disk (see module doc)
        self.settings = settings
        self.login = login
        self.t = get_translator(language)
        self.aborting = False
        """Set when the channel ends (EOF or loss) before the client closed its files:
        uploads still open then are incomplete and are discarded, never renamed."""
        self._uploads: set[_Upload] = set()
        self._open_count = 0
        """Files open on this channel (downloads and uploads)."""
        self._started = time.time()
        rate = float(settings.sftp_rate_bytes)
        self.pacer = Pacer(rate, min(rate, float(BURST_BYTES)))

    async def _in_thread(self, work: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(io_executor(), work, *args)

    # -- errors -------------------------------------------------------------------------

    def _denied(self, message: str, **params: Any) -> asyncssh.SFTPError:
        return asyncssh.SFTPPermissionDenied(self.t.gettext(message, **params))

    def _failed(self, message: str, **params: Any) -> asyncssh.SFTPError:
        return asyncssh.SFTPFailure(self.t.gettext(message, **params))

    def _from(self, error: FileError) -> asyncssh.SFTPError:
        text = error.text(self.t)
        if isinstance(error, files.LimitError) or error.message == files.EXISTS:
            return asyncssh.SFTPFailure(text)
        if error.message == files.NOT_FOUND:
            return asyncssh.SFTPNoSuchFile(text)
        return asyncssh.SFTPPermissionDenied(text)

    # -- the virtual tree ----------------------------------------------------------------

    def _parse(self, path: bytes) -> tuple[str | None, str | None]:
        """``(box, name)`` of a client path: ``(None, None)`` is the root, ``(box, None)``
        a folder; anything else is refused."""
        try:
            text = path.decode("utf-8")
        except UnicodeDecodeError:
            raise self._denied(files.BAD_NAME) from None
        parts = [part for part in text.split("/") if part not in ("", ".")]
        if ".." in parts:
            raise self._denied(DOTDOT)
        if not parts:
            return None, None
        if parts[0] not in BOXES or len(parts) > 2:
            raise self._denied(OUTSIDE)
        if len(parts) == 1:
            return parts[0], None
        try:
            return parts[0], files.check_name(parts[1])
        except FileError as exc:
            raise self._from(exc) from None

    def _file(self, path: bytes) -> tuple[str, str]:
        box, name = self._parse(path)
        if box is None or name is None:
            raise self._denied(IS_FOLDER)
        return box, name

    def _folder(self, box: str) -> Path:
        if box == "inbox":
            return files.inbox_dir(self.settings, self.login)
        return files.outbox_dir(self.settings, self.login)

    def _dir_attrs(self, box: str | None) -> SFTPAttrs:
        mode = 0o500 if box == "outbox" else 0o700
        stamp = int(self._started)
        return SFTPAttrs(permissions=stat.S_IFDIR | mode, size=0, atime=stamp, mtime=stamp, nlink=2)

    def _file_attrs(self, box: str, info: os.stat_result) -> SFTPAttrs:
        mode = 0o600 if box == "inbox" else 0o400
        return SFTPAttrs(
            permissions=stat.S_IFREG | mode,
            size=info.st_size,
            atime=int(info.st_atime),
            mtime=int(info.st_mtime),
            nlink=1,
        )

    def _lookup(self, path: bytes) -> SFTPAttrs:
        box, name = self._parse(path)
        if name is None:
            return self._dir_attrs(box)
        assert box is not None
        try:
            info = os.lstat(os.path.join(self._folder(box), name))
        except FileNotFoundError:
            raise asyncssh.SFTPNoSuchFile(self.t.gettext(NOT_FOUND)) from None
        if stat.S_ISLNK(info.st_mode):
            raise self._denied(LINKS)
        if not stat.S_ISREG(info.st_mode):
            raise self._denied(files.NOT_A_FILE, name=name)
        return self._file_attrs(box, info)

    # -- asyncssh hooks: names and paths --------------------------------------------------

    def format_user(self, uid: int | None) -> str:
        return self.login

    def format_group(self, gid: int | None) -> str:
        return self.login

    def map_path(self, path: bytes) -> bytes:
        # Every method below resolves paths itself; an inherited one must not reach the disk.
        raise self._denied(UNSUPPORTED)

    def reverse_map_path(self, path: bytes) -> bytes:
        raise self._denied(UNSUPPORTED)

    def realpath(self, path: bytes) -> bytes:
        box, name = self._parse(path)
        parts = [part for part in (box, name) if part]
        return ("/" + "/".join(parts)).encode("utf-8")

    def stat(self, path: bytes) -> SFTPAttrs:
        return self._lookup(path)  # links are never followed: stat is lstat

    def lstat(self, path: bytes) -> SFTPAttrs:
        return self._lookup(path)

    def scandir(self, path: bytes) -> AsyncIterator[SFTPName]:  # type: ignore[override]
        # Checked here, at opendir, so a bad path is refused at once.
        box, name = self._parse(path)
        if name is not None:
            self._lookup(path)
            raise asyncssh.SFTPNotADirectory(self.t.gettext(UNSUPPORTED))
        if box is None:
            names = [SFTPName(b, attrs=self._dir_attrs(b.decode())) for b in (b"inbox", b"outbox")]
        else:
            lister = files.list_inbox if box == "inbox" else files.list_outbox
            names = [
                SFTPName(
                    entry.name.encode("utf-8"),
                    attrs=SFTPAttrs(
                        permissions=stat.S_IFREG | (0o600 if box == "inbox" else 0o400),
                        size=entry.size,
                        atime=int(entry.modified),
                        mtime=int(entry.modified),
                        nlink=1,
                    ),
                )
                for entry in lister(self.settings, self.login)
            ]
        dots = [
            SFTPName(b".", attrs=self._dir_attrs(box)),
            SFTPName(b"..", attrs=self._dir_attrs(None)),
        ]
        return _iterate(dots + names)

    # -- files --------------------------------------------------------------------------

    def open(self, path: bytes, pflags: int, attrs: SFTPAttrs) -> object:
        box, name = self._file(path)
        if self._open_count >= MAX_OPEN:
            raise self._failed(TOO_MANY_OPEN)
        handle = self._open(box, name, pflags)
        self._open_count += 1
        return handle

    def _open(self, box: str, name: str, pflags: int) -> object:
        writing = pflags & (
            asyncssh.FXF_WRITE | asyncssh.FXF_CREAT | asyncssh.FXF_TRUNC | asyncssh.FXF_APPEND
        )
        if not writing:
            try:
                return _Download(files.open_regular(self._folder(box), name, os.O_RDONLY))
            except FileError as exc:
                raise self._from(exc) from None
        if box == "outbox":
            raise self._denied(READ_ONLY)
        if pflags & asyncssh.FXF_APPEND:
            raise self._failed(RESUME)
        folder = self._folder(box)
        # Opened without truncating an existing file (``scp`` does, then truncates at the
        # end): the upload still starts empty, so it must be written from offset 0; a
        # resume (``reput``: the first write past 0) would leave a hole, and is refused.
        keeps = os.path.lexists(os.path.join(folder, name)) and not pflags & asyncssh.FXF_TRUNC
        try:
            upload, fd = files.start_upload(
                self.settings, self.login, name, exclusive=bool(pflags & asyncssh.FXF_EXCL)
            )
        except FileError as exc:
            raise self._from(exc) from None
        handle = _Upload(upload, fd, from_start=keeps)
        self._uploads.add(handle)
        return handle

    async def read(self, file_obj: object, offset: int, size: int) -> bytes:  # type: ignore[override]
        if not isinstance(file_obj, _Download):
            raise self._denied(WRONG_MODE)
        await self.pacer.wait(size)
        data: bytes = await self._in_thread(os.pread, file_obj.fd, size, offset)
        return data

    async def write(self, file_obj: object, offset: int, data: bytes) -> int:  # type: ignore[override]
        if not isinstance(file_obj, _Upload):
            raise self._denied(WRONG_MODE)
        if file_obj.error is not None:
            raise file_obj.error
        new_size = max(file_obj.size, offset + len(data))
        if file_obj.from_start and file_obj.size == 0 and offset != 0:
            file_obj.error = self._failed(RESUME)
            self._drop(file_obj)
            raise file_obj.error
        try:
            files.check_upload_size(self.settings, file_obj.upload, new_size)
        except FileError as exc:
            file_obj.error = self._from(exc)
            self._drop(file_obj)  # nothing of a refused upload stays on disk
            raise file_obj.error from None
        file_obj.size = new_size  # counted now: a refused next write sees it
        await self.pacer.wait(len(data))
        if file_obj.closed:  # the channel ended while this write waited
            raise file_obj.error or self._failed(UNSUPPORTED)
        loop = asyncio.get_running_loop()
        file_obj.pending = loop.run_in_executor(io_executor(), os.pwrite, file_obj.fd, data, offset)
        try:
            await file_obj.pending
        finally:
            file_obj.pending = None
        return len(data)

    def _drop(self, handle: _Upload) -> None:
        """Close and delete an upload that will never complete."""
        if not handle.closed:
            handle.closed = True
            fd = handle.fd
            if handle.pending is not None and not handle.pending.done():
                # Its write is still running in a thread: close the descriptor after it.
                handle.pending.add_done_callback(lambda _: _close_quietly(fd))
            else:
                os.close(fd)
        files.discard_upload(handle.upload)
        self._uploads.discard(handle)

    async def close(self, file_obj: object) -> None:
        self._open_count = max(0, self._open_count - 1)
        if isinstance(file_obj, _Download):
            os.close(file_obj.fd)
            return
        if not isinstance(file_obj, _Upload) or file_obj.closed:
            self._uploads.discard(file_obj)  # type: ignore[arg-type]
            return
        if self.aborting or file_obj.error is not None:
            self._drop(file_obj)
            return
        file_obj.closed = True
        self._uploads.discard(file_obj)

        def finish() -> None:
            try:
                os.fsync(file_obj.fd)
            finally:
                os.close(file_obj.fd)
            files.finish_upload(self.settings, self.login, file_obj.upload)

        try:
            await self._in_thread(finish)
        except FileError as exc:
            log.info("upload refused for member %s: %s", self.login, exc)
            raise self._from(exc) from None
        except BaseException:
            files.discard_upload(file_obj.upload)
            raise

    def fstat(self, file_obj: object) -> SFTPAttrs:
        if isinstance(file_obj, _Download):
            return self._file_attrs("outbox", os.fstat(file_obj.fd))
        if isinstance(file_obj, _Upload) and not file_obj.closed:
            return self._file_attrs("inbox", os.fstat(file_obj.fd))
        raise self._denied(WRONG_MODE)

    def fsync(self, file_obj: object) -> None:
        if isinstance(file_obj, _Upload) and not file_obj.closed:
            os.fsync(file_obj.fd)

    def setstat(self, path: bytes, attrs: SFTPAttrs) -> None:
        # Times and modes sent by ``put -p``/``scp -p`` are accepted and ignored on inbox
        # files (their mode stays 0600); the outbox and the folders cannot change.
        box, name = self._parse(path)
        self._lookup(path)
        if name is None:
            raise self._denied(FOLDERS)
        if box == "outbox":
            raise self._denied(READ_ONLY)

    def lsetstat(self, path: bytes, attrs: SFTPAttrs) -> None:
        self.setstat(path, attrs)

    def fsetstat(self, file_obj: object, attrs: SFTPAttrs) -> None:
        if not isinstance(file_obj, _Upload):
            raise self._denied(READ_ONLY)

    def remove(self, path: bytes) -> None:
        box, name = self._file(path)
        if box == "outbox":
            raise self._denied(READ_ONLY)
        try:
            files.remove_inbox_file(self.settings, self.login, name)
        except FileError as exc:
            raise self._from(exc) from None

    def _rename(self, oldpath: bytes, newpath: bytes, *, replace: bool) -> None:
        old_box, old_name = self._file(oldpath)
        new_box, new_name = self._file(newpath)
        if "outbox" in (old_box, new_box):
            raise self._denied(READ_ONLY)
        folder = self._folder("inbox")
        old = os.path.join(folder, old_name)
        new = os.path.join(folder, new_name)
        self._lookup(oldpath)  # exists, a regular file
        if os.path.lexists(new):
            self._lookup(newpath)  # never replace a link or a folder
            if not replace:
                raise self._failed(files.EXISTS, name=new_name)
        os.replace(old, new)

    def rename(self, oldpath: bytes, newpath: bytes) -> None:
        self._rename(oldpath, newpath, replace=False)

    def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        self._rename(oldpath, newpath, replace=True)

    def mkdir(self, path: bytes, attrs: SFTPAttrs) -> None:
        self._parse(path)
        raise self._denied(FOLDERS)

    def rmdir(self, path: bytes) -> None:
        self._parse(path)
        raise self._denied(FOLDERS)

    def readlink(self, path: bytes) -> bytes:
        raise self._denied(LINKS)

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        raise self._denied(LINKS)

    def link(self, oldpath: bytes, newpath: bytes) -> None:
        raise self._denied(LINKS)

    def statvfs(self, path: bytes) -> Any:
        raise asyncssh.SFTPOpUnsupported(self.t.gettext(UNSUPPORTED))

    def fstatvfs(self, file_obj: object) -> Any:
        raise asyncssh.SFTPOpUnsupported(self.t.gettext(UNSUPPORTED))

    def open56(self, *args: Any) -> object:
        raise asyncssh.SFTPOpUnsupported(self.t.gettext(UNSUPPORTED))

    def exit(self) -> None:
        # The channel is over: whatever upload is still open was never completed.
        for handle in list(self._uploads):
            with contextlib.suppress(OSError):
                self._drop(handle)
        # Like OpenSSH's sftp-server exiting: report status 0, which scp waits for.
        with contextlib.suppress(OSError, asyncssh.Error):
            self.channel.exit(0)


def _close_quietly(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


async def _iterate(names: list[SFTPName]) -> AsyncIterator[SFTPName]:
    for name in names:
        yield name
