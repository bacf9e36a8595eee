"""Encryption of secrets at rest (TOTP secrets and the like).

The key lives in a file outside the database (mode 0600, in the data directory), so a
copy of the database alone reveals no secret. Fernet (AES-128-CBC + HMAC-SHA256) from
``cryptography`` does the work.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

__all__ = ["InvalidToken", "SecretBox", "load_or_create_box"]


class SecretBox:
    """Encrypts and decrypts short secrets with the process's key."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)
        self._key = key

    def encrypt(self, plaintext: str) -> str:
        """Encrypt text; the result is ASCII, safe to store in a TEXT column."""
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Decrypt what ``encrypt`` returned (raises ``InvalidToken`` if tampered)."""
        return self._fernet.decrypt(token.encode("ascii")).decode()

    def derive_key(self, purpose: str) -> bytes:
        """A 32-byte key for one ``purpose`` (HKDF-SHA256 of this key file's key), so a
        feature signs with its own key without another file to keep and back up."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode())
        return hkdf.derive(self._key)


def load_or_create_box(path: Path) -> SecretBox:
    """Load the key file, creating it (mode 0600) on first start."""
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(Fernet.generate_key())
    os.chmod(path, 0o600)
    return SecretBox(path.read_bytes().strip())
