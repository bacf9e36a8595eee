"""Admission of new connections, before any key exchange: a per-address token bucket and
caps on connections still authenticating (like OpenSSH's ``MaxStartups`` and
``PerSourceMaxStartups``).

A key exchange costs the server far more CPU than the client (the DHEat attack), and an
unauthenticated connection holds memory until the login timeout; so both are bounded per
client address, which keeps one address from starving the others, and in total.
Counts are per process: with ``serve --workers N`` each worker applies its share.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from portal.config import Settings

THROTTLED = "Not allowed at this time"
"""What a refused client reads instead of the SSH banner (the words OpenSSH uses)."""


def share(cap: float, workers: int) -> int:
    """This process's part of a cap shared by ``workers`` processes (at least 1)."""
    return max(1, -(-int(cap) // max(1, workers)))


@dataclass
class TokenBucket:
    """Per-key token buckets: ``burst`` tokens, refilled at ``rate`` per second.

    Only keys that spent tokens are kept, and a key whose bucket is full again is
    forgotten, so memory stays bounded by the addresses seen in the last
    ``burst / rate`` seconds.
    """

    rate: float
    burst: float
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _pruned_at: float = 0.0

    def take(self, key: str) -> bool:
        """Spend one token of ``key``; False when it has none left (throttled)."""
        if self.rate <= 0:
            return True
        now = self.clock()
        tokens, stamp = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - stamp) * self.rate)
        if now - self._pruned_at > self.burst / self.rate:
            self._prune(now)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1, now)
        return True

    def _prune(self, now: float) -> None:
        self._pruned_at = now
        full = [k for k, (t, s) in self._buckets.items() if t + (now - s) * self.rate >= self.burst]
        for key in full:
            del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)


@dataclass
class ConnectionLimits:
    """Counts this process's unauthenticated connections and throttles new ones."""

    settings: Settings
    clock: Callable[[], float] = time.monotonic
    unauthenticated_by_ip: Counter[str] = field(default_factory=Counter)
    bucket: TokenBucket = field(init=False)
    refused: int = 0
    """Connections refused since start (for logs and tests)."""

    def __post_init__(self) -> None:
        workers = max(1, self.settings.workers)
        self.bucket = TokenBucket(
            self.settings.connection_rate_per_ip / workers,
            share(self.settings.connection_burst_per_ip, workers),
            self.clock,
        )

    @property
    def unauthenticated(self) -> int:
        """Connections of this process that have not authenticated yet."""
        return sum(self.unauthenticated_by_ip.values())

    def admit(self, ip: str) -> bool:
        """Count a new connection from ``ip``; False (and nothing counted) when refused."""
        workers = self.settings.workers
        if (
            self.unauthenticated >= share(self.settings.max_unauthenticated, workers)
            or self.unauthenticated_by_ip[ip]
            >= share(self.settings.max_unauthenticated_per_ip, workers)
            or not self.bucket.take(ip)
        ):
            self.refused += 1
            return False
        self.unauthenticated_by_ip[ip] += 1
        return True

    def authenticated(self, ip: str) -> None:
        """A counted connection from ``ip`` authenticated (or went away)."""
        self.unauthenticated_by_ip[ip] -= 1
        if self.unauthenticated_by_ip[ip] <= 0:
            del self.unauthenticated_by_ip[ip]
