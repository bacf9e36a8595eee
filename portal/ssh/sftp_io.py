"""Fair sharing of the event loop by SFTP channels: a file-I/O thread pool and a pacer.

The SSH sessions of every member share one event loop, so an SFTP channel must only move
bytes there: file reads, writes, fsyncs and renames run in ``io_executor``'s threads, and
each channel's data goes through a ``Pacer`` (a token bucket of ``sftp_rate_bytes`` per
second) so that a fast upload takes a bounded share of the loop.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

__all__ = ["BURST_BYTES", "IO_THREADS", "Pacer", "io_executor"]

BURST_BYTES = 256 * 1024
"""Bytes a channel may move at once before ``sftp_rate_bytes`` paces it."""

IO_THREADS = 2
"""Threads doing the SFTP channels' file reads, writes and renames (all channels share
them; the work is short: page-cache writes, an fsync at close)."""
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def io_executor() -> ThreadPoolExecutor:
    """The SFTP file-I/O thread pool (created on first use, shared by all channels)."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(IO_THREADS, thread_name_prefix="portal-sftp-io")
        return _executor


@dataclass
class Pacer:
    """A channel's byte budget: ``rate`` bytes per second, ``burst`` at once (a token
    bucket); ``rate`` 0 means unlimited."""

    rate: float
    burst: float
    clock: Callable[[], float] = time.monotonic
    tokens: float = field(init=False)
    stamp: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = self.burst
        self.stamp = self.clock()

    def delay(self, size: int) -> float:
        """Spend ``size`` bytes; the seconds to wait before moving them (0: at once)."""
        if self.rate <= 0:
            return 0.0
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= size
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    async def wait(self, size: int) -> None:
        """Wait until ``size`` bytes may move; always yields to the loop's other work."""
        await asyncio.sleep(self.delay(size))
