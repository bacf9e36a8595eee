"""The guest entry over real SSH: no password, three choices, nothing of a member."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlite_utils import Database

from portal.services.runtime import Services
from tests.e2e.gate_helpers import Answering, Gate, Screen, connect, scripted, start_gate


@pytest.fixture
async def gate(services: Services) -> AsyncIterator[Gate]:
    running = await start_gate(services)
    yield running
    await running.server.close()


async def test_the_guest_needs_no_password(gate: Gate, db: Database) -> None:
    client = Answering(scripted())
    conn = await connect(gate, "welcome", client=client)
    process = await conn.create_process(term_type="xterm-256color", term_size=(80, 24))
    try:
        text = await Screen(process).wait_for("Réinitialiser un mot de passe oublié")
        assert "Demander un compte" in text and "Activer un compte invité" in text
        assert "Entrée invité" in text or "Non connecté" in text
        sessions = list(gate.server.runtime.registry.sessions)
        assert [s.member for s in sessions] == [None]
        assert type(sessions[0].app).__name__ == "GuestApp"
    finally:
        conn.close()
    assert client.prompts == []
    assert (
        db.execute("SELECT count(*) FROM audit_log WHERE action = 'auth.guest'").fetchone()[0] == 1
    )


async def test_leaving_the_guest_entry_ends_the_session(gate: Gate) -> None:
    conn = await connect(gate, "welcome")
    process = await conn.create_process(term_type="xterm-256color", term_size=(80, 24))
    screen = Screen(process)
    await screen.wait_for("Demander un compte")
    process.stdin.write("\x11")  # ctrl+q
    await screen.wait_for("\x1b[?1049l")  # the app gave the screen back
    await process.wait_closed()
    assert process.exit_status == 0
    conn.close()


async def test_the_guest_username_follows_the_settings(services: Services) -> None:
    import dataclasses

    services.settings = dataclasses.replace(services.settings, guest_username="accueil")
    running = await start_gate(services)
    try:
        conn = await connect(running, "accueil")
        conn.close()
        import asyncssh

        with pytest.raises(asyncssh.PermissionDenied):
            await connect(running, "welcome")
    finally:
        await running.server.close()
