"""What every connection of the SSH server shares.

Its own module so that the connection (``server``), the gate (``auth``) and the session
(``session``) all depend on it and never on each other in a circle.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from portal.config import Settings
from portal.services.gate import GatePolicy
from portal.services.passwords import HashPool
from portal.services.runtime import Services
from portal.ssh.limits import ConnectionLimits
from portal.ssh.registry import SessionRegistry
from portal.ssh.starts import Reaper, StartTurns


async def _sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


@dataclass
class ServerRuntime:
    """What every connection of the server shares."""

    services: Services
    registry: SessionRegistry
    policy: GatePolicy = field(default_factory=GatePolicy)
    """Delays and lockout of the authentication gate."""
    clock: Callable[[], float] = time.time
    """Unix time, for the gate's counters and codes (tests move it)."""
    sleep: Callable[[float], Awaitable[None]] = _sleep
    """How the gate waits its delays (tests record them instead of waiting)."""
    limits: ConnectionLimits = field(init=False)
    """Admission of new connections (rate and unauthenticated caps)."""
    hashing: HashPool = field(default_factory=HashPool)
    """The threads that verify login passwords, one per core (see ``HashPool``)."""
    starts: StartTurns = field(default_factory=StartTurns)
    """Turns for starting session apps, so a burst of logins is served in order."""
    reaper: Reaper = field(init=False)
    """Ends the apps of clients that left, one at a time, after the starts."""

    def __post_init__(self) -> None:
        self.limits = ConnectionLimits(self.services.settings)
        self.reaper = Reaper(self.starts)

    @property
    def settings(self) -> Settings:
        return self.services.settings

    def is_guest(self, username: str) -> bool:
        """Whether ``username`` opens the guest entry."""
        return username.lower() == self.settings.guest_username.lower()
