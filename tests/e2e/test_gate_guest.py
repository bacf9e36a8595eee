"""The guest entry over real SSH: no password, three choices, nothing of a member."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

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


async def _until(condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    """Wait (yielding to the event loop, never sleeping a fixed time) until ``condition``."""

    async def loop() -> None:
        while not condition():
            await asyncio.sleep(0)

    try:
        await asyncio.wait_for(loop(), timeout)
    except TimeoutError:
        raise AssertionError(f"never happened: {what}") from None


async def test_each_guest_flow_counts_its_own_failures(gate: Gate) -> None:
    """Issue 9: four wrong identification keys, then wrong activation codes: the session
    went on until the activation flow's own limit (one shared counter closed it at once)."""
    conn = await connect(gate, "welcome")
    process = await conn.create_process(term_type="xterm-256color", term_size=(80, 24))
    screen = Screen(process)
    try:
        await screen.wait_for("Demander un compte")
        [session] = list(gate.server.runtime.registry.sessions)
        app = session.app
        assert app is not None

        def on(name: str) -> bool:
            return type(app.screen).__name__ == name

        process.stdin.write("\r")  # the first entry: request an account
        await _until(lambda: on("SignupKeyScreen"), "the key screen")
        process.stdin.write("WRONG-KEY\r" + "\r" * 3)  # four wrong keys
        await _until(lambda: app.failures["signup"] == 4, "four wrong keys counted")
        await screen.wait_for("clé d'identification est inconnue")
        process.stdin.write("\x1b")
        await _until(lambda: on("GuestMenuScreen"), "back to the menu")
        process.stdin.write("\x1b[B\r")  # the second entry: activate an invited account
        await _until(lambda: on("ActivationScreen"), "the activation screen")
        process.stdin.write("AAAA-BBBB-CCCC\r" + "\r" * 3)  # four wrong activation codes
        await _until(lambda: app.failures["activation"] == 4, "four wrong codes counted")
        await screen.wait_for("code d'activation n'est pas valable")
        assert not screen.closed and app.is_running
        assert app.failures == {"signup": 4, "activation": 4, "reset": 0}
        process.stdin.write("\r")  # the fifth wrong activation code: that flow's limit
        await screen.wait_for("Trop de tentatives erronées")
        await asyncio.wait_for(process.wait_closed(), 15)
        assert app.failures["activation"] == 5
    finally:
        conn.close()
