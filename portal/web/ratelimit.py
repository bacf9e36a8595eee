"""A token bucket per client address, for the web pages.

The same shape as the SSH admission limit: each address has a bucket of ``burst``
tokens refilled at ``rate`` per second; a request takes one or is refused. Buckets that
are full again are forgotten, so the table stays small however many addresses pass.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Per-address token buckets (one event loop: no locking needed)."""

    def __init__(
        self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """``rate`` tokens per second (0: no limit), at most ``burst`` at once."""
        self.rate = rate
        self.burst = max(1, burst)
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def allow(self, address: str) -> bool:
        """Take a token for ``address``; False when its bucket is empty."""
        if self.rate <= 0:
            return True
        now = self.clock()
        if len(self._buckets) > 10_000:
            self._forget_full(now)
        bucket = self._buckets.get(address)
        if bucket is None:
            bucket = self._buckets[address] = _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True

    def _forget_full(self, now: float) -> None:
        full = [
            address
            for address, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.at) * self.rate >= self.burst
        ]
        for address in full:
            del self._buckets[address]
