"""Availability under abuse, over real SSH: no anonymous visitor can use up the session
slots, hold connections open for free, or starve other addresses.

127.0.0.2 stands for a second client address (Linux routes all of 127/8 to loopback).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from portal.ssh.registry import LiveSession
from portal.ssh.server import PortalServer
from tests.e2e.conftest import ALICE
from tests.e2e.harness import WAIT, connect, first_line, open_raw, open_terminal, running_server

GUEST_SCREEN = "Demander un compte"
NO_RATE_LIMIT: dict[str, Any] = {"connection_rate_per_ip": 0}


@contextlib.asynccontextmanager
async def server_with(
    tmp_path: Path, demo_database: Path, **overrides: Any
) -> AsyncIterator[PortalServer]:
    async with running_server(tmp_path / "data", demo_database, **overrides) as server:
        yield server


def count_teardowns(server: PortalServer) -> Counter[LiveSession]:
    """Record, per session, how many times the registry really released it."""
    registry = server.runtime.registry
    released: Counter[LiveSession] = Counter()
    original = registry.session_closed

    def track(session: LiveSession) -> bool:
        done = original(session)
        if done:
            released[session] += 1
        return done

    registry.session_closed = track  # type: ignore[method-assign]
    return released


async def until(predicate: Any, timeout: float = WAIT) -> None:
    """Wait for a condition the server reaches on its own loop (one turn at a time)."""

    async def loop() -> None:
        while not predicate():
            await asyncio.sleep(0)

    await asyncio.wait_for(loop(), timeout)


async def alice_logs_in(server: PortalServer, **kwargs: Any) -> None:
    conn, _ = await connect(server.port, *ALICE, **kwargs)
    try:
        term = await open_terminal(conn)
        await term.wait_for("Bonjour Alice")  # whatever space precedes the "!"
    finally:
        conn.close()


def loud_records(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno > logging.INFO]


async def test_eof_sessions_free_their_slots_exactly_once(
    tmp_path: Path, demo_database: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """25 guest sessions end by EOF (as ``sleep 3 | ssh -tt`` does), five at a time, some
    clients hanging up at once; with caps of 10, a leak would lock the member out."""
    caps = {"max_sessions": 10, "max_sessions_per_ip": 10, **NO_RATE_LIMIT}
    async with server_with(tmp_path, demo_database, **caps) as server:
        released = count_teardowns(server)
        registry = server.runtime.registry
        caplog.set_level(logging.INFO)
        for batch in range(5):
            opened = []
            for _ in range(5):
                conn, _answerer = await connect(server.port, "welcome")
                term = await open_terminal(conn)
                opened.append((conn, term))
            for _conn, term in opened:
                await term.wait_for(GUEST_SCREEN)
            for i, (conn, term) in enumerate(opened):  # all at once
                term.process.stdin.write_eof()
                if (i + batch) % 2:
                    conn.close()  # and hang up before the app ends
            for conn, term in opened:
                with contextlib.suppress(asyncssh.Error, ConnectionError):
                    await term.wait_closed()
                conn.close()
            await until(lambda: not registry.admitted)
        assert len(released) == 25 and set(released.values()) == {1}
        assert registry.sessions == set() and not registry.sessions_by_ip
        await registry.sync(server.services.store)
        assert not registry._opened and not registry._closed  # the directory agrees
        await alice_logs_in(server)
        await until(lambda: not registry.admitted)
        assert len(released) == 26 and set(released.values()) == {1}
    assert loud_records(caplog) == []


async def test_one_session_per_connection(tmp_path: Path, demo_database: Path) -> None:
    """A connection asking for 30 session channels gets one; the others hold no slot."""
    caps = {"max_sessions": 3, "max_sessions_per_ip": 3, **NO_RATE_LIMIT}
    async with server_with(tmp_path, demo_database, **caps) as server:
        conn, _ = await connect(server.port, "welcome")
        results = await asyncio.gather(
            *(open_terminal(conn) for _ in range(30)), return_exceptions=True
        )
        terminals = [r for r in results if not isinstance(r, BaseException)]
        refused = [r for r in results if isinstance(r, asyncssh.ChannelOpenError)]
        assert len(terminals) == 1 and len(refused) == 29
        await terminals[0].wait_for(GUEST_SCREEN)
        assert server.runtime.registry.session_count == 1
        await alice_logs_in(server)
        conn.close()


async def test_half_open_connections_do_not_block_another_address(
    tmp_path: Path, demo_database: Path
) -> None:
    """Connections that never send a banner are capped per address: the rest of that
    address is refused at once, and another address logs in as usual."""
    limits = {"max_unauthenticated_per_ip": 5, "max_unauthenticated": 50, **NO_RATE_LIMIT}
    async with server_with(tmp_path, demo_database, **limits) as server:
        raw = [await open_raw(server.port) for _ in range(20)]
        try:
            lines = [await first_line(reader) for reader, _writer in raw]
            assert sum(line.startswith(b"SSH-2.0-") for line in lines) == 5
            assert lines.count(b"Not allowed at this time") == 15
            assert server.runtime.limits.unauthenticated_by_ip == {"127.0.0.1": 5}
            await alice_logs_in(server, local_addr=("127.0.0.2", 0))
        finally:
            for _reader, writer in raw:
                writer.close()
        await until(lambda: server.runtime.limits.unauthenticated == 0)


async def test_half_open_connections_are_dropped_at_the_handshake_timeout(
    tmp_path: Path, demo_database: Path
) -> None:
    """Sockets that never send an SSH banner hold their address's unauthenticated slots
    only until the handshake timeout (not the login timeout): then the server hangs up
    on them and a member behind the same address logs in."""
    settings = {
        "handshake_timeout": 0.5,
        "login_timeout": 600,  # far beyond the test's waits: only the handshake timeout acts
        "max_unauthenticated_per_ip": 5,
        **NO_RATE_LIMIT,
    }
    async with server_with(tmp_path, demo_database, **settings) as server:
        limits = server.runtime.limits
        raw = [await open_raw(server.port) for _ in range(6)]
        try:
            lines = [await first_line(reader) for reader, _writer in raw]
            assert sum(line.startswith(b"SSH-2.0-") for line in lines) == 5
            assert lines[-1] == b"Not allowed at this time"  # the address is full meanwhile
            for reader, _writer in raw[:5]:  # the server hangs up by itself
                assert await asyncio.wait_for(reader.read(), WAIT) == b""
            await until(lambda: limits.unauthenticated == 0)
            # Its slots are free: a member from the same address (whose handshake and
            # login take longer than the timeout, the timer stops at authentication).
            await alice_logs_in(server)
        finally:
            for _reader, writer in raw:
                writer.close()


async def test_unauthenticated_connections_are_dropped_at_the_login_timeout(
    tmp_path: Path, demo_database: Path
) -> None:
    settings = {"login_timeout": 1, "handshake_timeout": 0, **NO_RATE_LIMIT}  # 0: no timer
    async with server_with(tmp_path, demo_database, **settings) as server:
        reader, writer = await open_raw(server.port)
        assert (await first_line(reader)).startswith(b"SSH-2.0-")
        # The server hangs up by itself (the wait is a safety net, not the timeout).
        assert await asyncio.wait_for(reader.read(), WAIT) == b""
        writer.close()
        await until(lambda: server.runtime.limits.unauthenticated == 0)


@pytest.mark.parametrize("login", ["welcome", "alice"])
async def test_a_connection_that_opens_no_session_is_closed(
    tmp_path: Path, demo_database: Path, login: str
) -> None:
    """Like ``ssh -N``: authenticated, then nothing; the server closes it."""
    settings = {"session_open_timeout": 0.3, **NO_RATE_LIMIT}
    async with server_with(tmp_path, demo_database, **settings) as server:
        password = ALICE[1] if login == "alice" else None
        conn, _ = await connect(server.port, login, password)
        await asyncio.wait_for(conn.wait_closed(), WAIT)
        assert server.runtime.registry.session_count == 0


async def test_the_rate_bucket_throttles_one_address_and_serves_another(
    tmp_path: Path, demo_database: Path
) -> None:
    """A burst from one address past the bucket is refused before key exchange; a
    member from another address is served meanwhile."""
    bucket = {"connection_rate_per_ip": 0.001, "connection_burst_per_ip": 4}
    async with server_with(tmp_path, demo_database, **bucket) as server:
        raw = [await open_raw(server.port) for _ in range(12)]
        try:
            lines = [await first_line(reader) for reader, _writer in raw]
            assert sum(line.startswith(b"SSH-2.0-") for line in lines) == 4
            assert lines.count(b"Not allowed at this time") == 8
            with pytest.raises((asyncssh.Error, ConnectionError, OSError)):
                await connect(server.port, *ALICE)  # this address is throttled
            await alice_logs_in(server, local_addr=("127.0.0.2", 0))
        finally:
            for _reader, writer in raw:
                writer.close()


def _ssh_audit_command() -> list[str] | None:
    try:
        import ssh_audit  # noqa: F401
    except ImportError:
        found = shutil.which("ssh-audit")
        return [found] if found else None
    return [sys.executable, "-m", "ssh_audit"]


async def test_ssh_audit_finds_no_failure_and_throttling(
    tmp_path: Path, demo_database: Path
) -> None:
    """ssh-audit (if installed) against a server with the default settings."""
    command = _ssh_audit_command()
    if command is None:
        pytest.skip("ssh-audit is not installed")
    async with server_with(tmp_path, demo_database) as server:
        process = await asyncio.create_subprocess_exec(
            *command,
            "--no-colors",
            "-p",
            str(server.port),
            "127.0.0.1",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(process.communicate(), 60)
    report = out.decode("utf-8", "replace")
    lines = report.splitlines()
    assert not [line for line in lines if "[fail]" in line], report
    warnings = [line for line in lines if "[warn]" in line]
    assert all("post-quantum" in line for line in warnings), report
    assert "DHEat" not in report and "insufficient connection throttling" not in report, report
    assert "mlkem768x25519-sha256" in report
