"""A deactivated account's live sessions end at once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncssh
import pytest
from sqlite_utils import Database

from portal.data import members as members_data
from portal.services import member_admin
from portal.services.runtime import Services
from tests.e2e.gate_helpers import Gate, Screen, connect, refused, scripted, start_gate

ALICE = "Soleil-Vert-2026!"


@pytest.fixture
async def gate(services: Services) -> AsyncIterator[Gate]:
    running = await start_gate(services)
    yield running
    await running.server.close()


async def _open(
    gate: Gate, login: str, password: str
) -> tuple[asyncssh.SSHClientConnection, asyncssh.SSHClientProcess[str], Screen]:
    conn = await connect(gate, login, scripted(password))
    process = await conn.create_process(term_type="xterm-256color", term_size=(80, 24))
    screen = Screen(process)
    return conn, process, screen


async def test_deactivation_ends_the_members_sessions_at_once(
    gate: Gate, db: Database, services: Services
) -> None:
    conn1, process1, screen1 = await _open(gate, "alice", ALICE)
    conn2, process2, screen2 = await _open(gate, "alice", ALICE)
    conn3, process3, screen3 = await _open(gate, "bob", "Horizon-Bob-2026!")
    try:
        await screen1.wait_for("Bonjour Alice")
        await screen2.wait_for("Bonjour Alice")
        await screen3.wait_for("Hello Bob")
        marc = members_data.get_member_by_login(db, "marc")
        alice = members_data.get_member_by_login(db, "alice")
        assert marc is not None and alice is not None
        # As the management screen does: the service runs in a database worker thread.
        updated = await services.store.run(
            member_admin.deactivate_member, marc, alice.id, sessions=services.sessions
        )
        assert updated.status == "deactivated"
        for screen, process in ((screen1, process1), (screen2, process2)):
            await screen.wait_for("Votre compte a été désactivé")
            await process.wait_closed()
        # Another member's session goes on.
        assert not process3.is_closing()
        assert [
            s.member.login for s in gate.server.runtime.registry.sessions if s.member is not None
        ] == ["bob"]
    finally:
        for conn in (conn1, conn2, conn3):
            conn.close()
    await refused(gate, "alice", scripted(ALICE))
