"""Password hashing with argon2id, at OWASP's recommended cost.

Parameters: OWASP's first argon2id configuration, m = 19 MiB, t = 2, p = 1 (Password
Storage Cheat Sheet). Its equivalent m = 46 MiB, t = 1, p = 1 was measured too, on the
2-core machine: about 32 ms per verification for 19 MiB/t=2 against 51 ms for 46 MiB/t=1
(``tests/bench/bench_logins.py``). argon2-cffi's defaults (64 MiB, t = 3, p = 4) took
about 190 ms and four threads each, which is what made 50 simultaneous logins take 9 s.
Hashes made with other parameters are replaced at the next successful login
(``needs_rehash``, wired in ``gate.check_password``).

These functions are CPU-heavy by design: call them from worker threads, never on the
event loop. Logins go through a ``HashPool``: one thread per core but the loop's, so
that a burst of logins neither holds the database workers (other sessions' calls keep
flowing) nor runs more hashes at once than there are cores to run them; its threads run
at a lower priority than the event loop (``HASHING_NICENESS``).
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MEMORY_KIB = 19 * 1024
"""argon2id memory cost: 19 MiB (OWASP)."""
TIME_COST = 2
"""argon2id iterations (OWASP, with 19 MiB)."""
PARALLELISM = 1
"""argon2id lanes: one, so one login costs one core, and the pool bounds the cores used."""

_hasher = PasswordHasher(
    time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=PARALLELISM, type=Type.ID
)  # stateless and thread-safe
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
    """True when the hash was made with other parameters than today's."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def hashing_threads() -> int:
    """One hashing thread per core this process may use, but one: that core is the loop's.

    With as many threads as cores, a login burst on 2 cores held the event loop back
    (p99 lag 47–51 ms against 38–46 ms with 1 thread, ``python -m tests.bench logins
    --hash-threads N``), and the members were home later, not sooner: app starts, on
    the loop, are the larger part of a login.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, cores - 1)


HASHING_NICENESS = 10
"""How much lower than the rest of the process the hashing threads run (Linux ``nice``).

The event loop serves every session; a hash serves one login and can wait a little. On
the 2-core machine, with the bench's 50 clients on the same cores, the loop thread,
the hashing thread and the clients compete for 2 cores: at equal priority the loop lost
its core in slices, and its lag p99 was 18–26 ms; with the hashing thread 10 lower, lag
p99 15–22 ms and the members home sooner (p99 1.78–1.97 s against 1.89–1.94 s), as the
loop's work is what they wait for (``python -m tests.bench logins``). A hashing thread
still has the other core to itself whenever the loop does not need it.
"""


def lower_this_thread(niceness: int = HASHING_NICENESS) -> None:
    """Run the calling thread ``niceness`` lower than it runs now (Linux: a thread's own
    ``nice``); elsewhere, or if the system refuses, the thread runs as it was."""
    if not sys.platform.startswith("linux"):
        return  # there, PRIO_PROCESS with a thread id would name a process
    try:
        thread = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, current + niceness))
    except OSError:
        pass


class HashPool:
    """The threads that verify login passwords (``hashing_threads``), shared by all connections.

    A verification waits here, on the event loop, for a free hashing thread: it never
    holds a database worker meanwhile, so 50 logins at the same second do not delay the
    other sessions' database calls, and never run more argon2 at once than there are
    cores (argon2-cffi releases the GIL while it hashes).
    """

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads or hashing_threads()
        self._executor: ThreadPoolExecutor | None = None

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:  # created on first use: most tests never log in
            self._executor = ThreadPoolExecutor(
                max_workers=self.threads,
                thread_name_prefix="portal-hash",
                initializer=lower_this_thread,  # the loop comes first (HASHING_NICENESS)
            )
        return self._executor

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """``verify_password`` in a hashing thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool(), verify_password, password_hash, password)

    async def rehash(self, password_hash: str | None, password: str) -> str | None:
        """A new hash of ``password`` if ``password_hash`` was made with old parameters."""
        if password_hash is None or not needs_rehash(password_hash):
            return None
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool(), hash_password, password)

    def close(self) -> None:
        """Stop the threads (verifications in progress finish first)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None


__all__ = [
    "DUMMY_HASH",
    "HASHING_NICENESS",
    "MEMORY_KIB",
    "PARALLELISM",
    "TIME_COST",
    "HashPool",
    "hash_password",
    "hashing_threads",
    "lower_this_thread",
    "needs_rehash",
    "verify_password",
]
