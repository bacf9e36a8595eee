"""The session directory across server processes (``serve --workers N``).

Two servers over one database stand for two workers: a member's sessions in either are
listed and ended from the other, and from the command line (no server at all).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncssh
import pytest
from sqlite_utils import Database

from portal.config import Settings
from portal.data import live_sessions
from portal.data import members as members_data
from portal.services import member_admin
from portal.services.runtime import Services, StoredSessions, make_services
from tests.e2e.gate_helpers import Gate, Screen, connect, scripted, start_gate

ALICE = "Soleil-Vert-2026!"


@pytest.fixture
async def two(services: Services, settings: Settings) -> AsyncIterator[tuple[Gate, Gate]]:
    other = make_services(settings)
    first = await start_gate(services)
    second = await start_gate(other)
    second.server.runtime.registry.worker = "worker-2"  # same process here: tell them apart
    yield first, second
    await second.server.close()
    await first.server.close()
    other.close()


async def _open(
    gate: Gate, login: str, password: str
) -> tuple[asyncssh.SSHClientConnection, asyncssh.SSHClientProcess[str], Screen]:
    conn = await connect(gate, login, scripted(password))
    process = await conn.create_process(term_type="xterm-256color", term_size=(80, 24))
    return conn, process, Screen(process)


async def _sync(*gates: Gate) -> None:
    """What each worker does about once a second (driven here, never waited for)."""
    for g in gates:
        await g.server.runtime.registry.sync(g.server.services.store, activity_every=0)


async def test_sessions_in_another_worker_are_listed_and_closed(
    two: tuple[Gate, Gate], db: Database
) -> None:
    first, second = two
    alice = members_data.get_member_by_login(db, "alice")
    assert alice is not None
    conn1, process1, screen1 = await _open(first, "alice", ALICE)
    conn2, process2, screen2 = await _open(second, "alice", ALICE)
    conn3, process3, screen3 = await _open(second, "bob", "Horizon-Bob-2026!")
    try:
        for screen, greeting in (
            (screen1, "Bonjour Alice"),
            (screen2, "Bonjour Alice"),
            (screen3, "Hello Bob"),
        ):
            await screen.wait_for(greeting)
        await _sync(first, second)
        mine = next(iter(first.server.runtime.registry.sessions)).session_id
        directory = first.server.runtime.registry
        store = first.server.services.store
        listed = await store.run(directory.list_for, alice.id)
        assert len(listed) == 2 and mine in {s.session_id for s in listed}
        assert {s.member_id for s in listed} == {alice.id}  # never another member's

        # "Close the others" from the session in the first worker.
        closed = await store.run(
            directory.close_member_sessions, alice.id, except_session=mine, reason="Fermée."
        )
        assert closed == 1
        await _sync(second)  # the second worker reads the request and ends its session
        await screen2.wait_for("Fermée.")
        await process2.wait_closed()
        assert not process1.is_closing() and not process3.is_closing()
        await _sync(first, second)
        assert [s.session_id for s in await store.run(directory.list_for, alice.id)] == [mine]
    finally:
        for conn in (conn1, conn2, conn3):
            conn.close()


async def test_deactivation_from_the_command_line_ends_sessions_in_every_worker(
    two: tuple[Gate, Gate], db: Database
) -> None:
    first, second = two
    conn1, process1, screen1 = await _open(first, "alice", ALICE)
    conn2, process2, screen2 = await _open(second, "alice", ALICE)
    conn3, process3, screen3 = await _open(first, "bob", "Horizon-Bob-2026!")
    try:
        for screen, greeting in (
            (screen1, "Bonjour Alice"),
            (screen2, "Bonjour Alice"),
            (screen3, "Hello Bob"),
        ):
            await screen.wait_for(greeting)
        await _sync(first, second)
        marc = members_data.get_member_by_login(db, "marc")
        alice = members_data.get_member_by_login(db, "alice")
        assert marc is not None and alice is not None
        # No server in this process: the directory is what the database knows.
        member_admin.deactivate_member(db, marc, alice.id, sessions=StoredSessions())
        await _sync(first, second)
        for screen, process in ((screen1, process1), (screen2, process2)):
            await screen.wait_for("Votre compte a été désactivé")
            await process.wait_closed()
        assert not process3.is_closing()
    finally:
        for conn in (conn1, conn2, conn3):
            conn.close()


async def test_a_stopped_worker_leaves_no_session_behind(
    two: tuple[Gate, Gate], db: Database
) -> None:
    first, second = two
    conn, _process, screen = await _open(second, "alice", ALICE)
    try:
        await screen.wait_for("Bonjour Alice")
        await _sync(second)
        alice = members_data.get_member_by_login(db, "alice")
        assert alice is not None
        assert [s.worker for s in live_sessions.sessions_of(db, alice.id)] == ["worker-2"]
        await second.server.close()
        assert live_sessions.sessions_of(db, alice.id) == []
    finally:
        conn.close()


def test_each_worker_applies_its_share_of_the_caps(settings: Settings) -> None:
    """Workers count their own connections: each holds its share, so together they
    never pass the configured caps."""
    from dataclasses import replace

    from portal.ssh.server import SessionRegistry

    registry = SessionRegistry(replace(settings, workers=2, max_sessions=5, max_sessions_per_ip=2))
    assert registry.share(5) == 3 and registry.share(2) == 1
    assert not registry.over_cap("10.0.0.1")
    registry.sessions_by_ip["10.0.0.1"] = 1
    assert registry.over_cap("10.0.0.1")  # one per worker: two in all, the cap
    alone = SessionRegistry(replace(settings, workers=1, max_sessions=5, max_sessions_per_ip=2))
    alone.sessions_by_ip["10.0.0.1"] = 1
    assert not alone.over_cap("10.0.0.1")
