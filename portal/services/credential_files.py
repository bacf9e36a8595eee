"""Credential files: what is accepted, and moving a file from the inbox into storage.

A document must be a PDF, a PNG or a JPEG by its extension and by its first bytes alike.
Its file is copied from the member's SFTP inbox into ``data_dir / "credentials"`` under
a random name (mode 0600, never replacing a file), outside any member's view; the inbox
copy is removed once the database row is committed (``services.credentials``).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from portal.config import Settings
from portal.data.members import Member
from portal.i18n import N_
from portal.services import files
from portal.services.errors import UserError

__all__ = [
    "ACCEPTED",
    "BAD_TYPE",
    "EXTENSION",
    "MISMATCH",
    "TOO_BIG",
    "CredentialError",
    "Upload",
    "detect_type",
    "discard",
    "leave_inbox",
    "storage_dir",
    "store_bytes",
    "take_from_inbox",
]

log = logging.getLogger(__name__)


class CredentialError(UserError):
    """A credential action refused (bad file, locked document, not found)."""


ACCEPTED: dict[str, tuple[tuple[str, ...], bytes]] = {
    "application/pdf": ((".pdf",), b"%PDF-"),
    "image/png": ((".png",), b"\x89PNG\r\n\x1a\n"),
    "image/jpeg": ((".jpg", ".jpeg"), b"\xff\xd8\xff"),
}
"""Accepted content types: their file extensions and the bytes their files start with."""

EXTENSION = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
BAD_TYPE = N_("Only PDF, PNG and JPEG files are accepted (.pdf, .png, .jpg or .jpeg).")
MISMATCH = N_(
    "The content of this file does not match its name: only real PDF, PNG and JPEG files "
    "are accepted (.pdf, .png, .jpg or .jpeg)."
)
TOO_BIG = N_("This file is too large: the limit is {size} MB.")


def storage_dir(data_dir: Path) -> Path:
    """Where credential files are stored (created with mode 0700), outside the SFTP tree."""
    folder = data_dir / "credentials"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def detect_type(name: str, data: bytes) -> str:
    """The content type of a file whose extension and first bytes agree, else an error."""
    extension = os.path.splitext(name)[1].lower()
    by_extension = next((t for t, (exts, _m) in ACCEPTED.items() if extension in exts), None)
    if by_extension is None:
        raise CredentialError(BAD_TYPE)
    if not data.startswith(ACCEPTED[by_extension][1]):
        raise CredentialError(MISMATCH)
    return by_extension


def store_bytes(data_dir: Path, data: bytes) -> str:
    """Write ``data`` under a new random name (mode 0600, never replacing); return the name."""
    folder = storage_dir(data_dir)
    name = secrets.token_hex(16)
    fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        (folder / name).unlink(missing_ok=True)
        raise
    return name


def discard(data_dir: Path, stored_name: str) -> None:
    """Delete a stored file (a missing one is fine: the row is what counts)."""
    with contextlib.suppress(FileNotFoundError):
        (data_dir / "credentials" / stored_name).unlink()


@dataclass(frozen=True)
class Upload:
    original_name: str
    stored_name: str
    content_type: str
    size: int
    sha256: str


def take_from_inbox(settings: Settings, member: Member, file_name: str) -> Upload:
    """Check an inbox file and copy it into storage (the inbox copy is removed later)."""
    name = files.check_name(file_name)
    limit = settings.sftp_max_file_bytes
    entry = next((e for e in files.list_inbox(settings, member.login) if e.name == name), None)
    if entry is not None and entry.size > limit:
        raise CredentialError(TOO_BIG, size=limit // (1024 * 1024))
    data = files.read_inbox_file(settings, member.login, name)
    if len(data) > limit:
        raise CredentialError(TOO_BIG, size=limit // (1024 * 1024))
    content_type = detect_type(name, data)
    stored = store_bytes(settings.data_dir, data)
    return Upload(name, stored, content_type, len(data), hashlib.sha256(data).hexdigest())


def leave_inbox(settings: Settings, member: Member, name: str) -> None:
    """Remove the attached file from the inbox (it now lives in storage)."""
    try:
        files.remove_inbox_file(settings, member.login, name)
    except (files.FileError, OSError):
        log.warning("credential attached, inbox copy not removed (member %s)", member.id)
