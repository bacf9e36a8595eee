"""`portal serve --workers 2`: several processes share the port (SO_REUSEPORT)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

from tests.e2e.conftest import ALICE, BOB
from tests.e2e.harness import connect, open_terminal

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _listening(port: int) -> None:
    while True:
        try:
            _r, w = await asyncio.open_connection("127.0.0.1", port)
            w.close()
            return
        except OSError:
            await asyncio.sleep(0.05)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(x) for x in path.read_text().split()] if path.exists() else []


async def test_two_workers_serve_members_and_stop_cleanly(tmp_path: Path) -> None:
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "portal",
        "--data-dir",
        str(tmp_path / "d"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "2",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=dict(os.environ, PORTAL_LOG_LEVEL="WARNING", PORTAL_HTTP_PORT=str(_free_port())),
    )
    try:
        await asyncio.wait_for(_listening(port), 30)

        async def two_workers() -> None:
            while len(_children(proc.pid)) != 2:
                assert proc.returncode is None
                await asyncio.sleep(0.05)

        try:
            await asyncio.wait_for(two_workers(), 30)
        except (AssertionError, TimeoutError):
            proc.kill()
            _out, err = await proc.communicate()
            raise AssertionError(
                f"workers: {_children(proc.pid)}; stderr:\n{err.decode()}"
            ) from None
        terms = []
        for who in (ALICE, BOB, ALICE, BOB):
            conn, _ = await connect(port, *who)
            terms.append((conn, await open_terminal(conn)))
        for (_conn, term), greeting in zip(
            terms, ["Bonjour Alice", "Hello Bob", "Bonjour Alice", "Hello Bob"], strict=True
        ):
            await term.wait_for(greeting)
        for conn, _term in terms:
            conn.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    assert out.decode().count("Connect with") == 1  # the logins are printed once
