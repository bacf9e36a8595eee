"""Fixtures for end-to-end tests over real SSH."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from portal.ssh.server import PortalServer
from tests.e2e.harness import running_server

ALICE = ("alice", "Soleil-Vert-2026!")
BOB = ("bob", "Horizon-Bob-2026!")


@pytest.fixture
async def server(tmp_path: Path, demo_database: Path) -> AsyncIterator[PortalServer]:
    """A running server on a free loopback port."""
    async with running_server(tmp_path / "data", demo_database) as srv:
        yield srv
