"""Password hashing with argon2id (argon2-cffi's defaults).

These functions are CPU-heavy by design: call them from worker threads, never on the
event loop (``Store.run`` does that for services that use them).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # stateless and thread-safe; parameters are the library's defaults
DUMMY_HASH = _hasher.hash("portal-dummy-password-for-constant-time")
"""Verified against when a login is unknown, so timing does not tell which logins exist."""


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; an absent hash costs the same time as a real one and fails."""
    try:
        return _hasher.verify(password_hash or DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than today's defaults."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
