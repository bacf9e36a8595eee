"""Abuse benchmark: a connection flood from one address while a member logs in from another.

Starts a server in this process on a free loopback port with the default admission
settings; 127.0.0.1 opens bare TCP connections as fast as it can (as ssh-audit's DHEat
test does) while alice logs in from 127.0.0.2 again and again. Prints how many flood
connections got an SSH banner and how many were refused, and the member's login times.

    python -m tests.bench abuse [--seconds 5] [--sockets 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from tests.e2e.harness import connect, open_terminal, running_server

PASSWORD = "Soleil-Vert-2026!"


async def flood(port: int, until: float, counts: dict[str, int]) -> None:
    while time.monotonic() < until:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            counts["errors"] += 1
            continue
        line = await reader.readline()
        counts["banner" if line.startswith(b"SSH-") else "refused"] += 1
        writer.close()


async def member(port: int, until: float, times: list[float]) -> None:
    while time.monotonic() < until:
        started = time.perf_counter()
        conn, _ = await connect(port, "alice", PASSWORD, local_addr=("127.0.0.2", 0))
        term = await open_terminal(conn)
        await term.wait_for("Bonjour Alice !")
        times.append((time.perf_counter() - started) * 1000)
        conn.close()
        await conn.wait_closed()


async def run(seconds: float, sockets: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with running_server(Path(tmp) / "data") as server:
            counts = {"banner": 0, "refused": 0, "errors": 0}
            times: list[float] = []
            until = time.monotonic() + seconds
            await asyncio.gather(
                member(server.port, until, times),
                *(flood(server.port, until, counts) for _ in range(sockets)),
            )
    print(
        f"flood from 127.0.0.1 for {seconds:.0f} s: {counts['banner']} banners "
        f"({counts['banner'] / seconds:.1f}/s), {counts['refused']} refused, "
        f"{counts['errors']} errors"
    )
    if times:
        print(
            f"member logins from 127.0.0.2 meanwhile: {len(times)}, "
            f"median {statistics.median(times):.0f} ms, max {max(times):.0f} ms"
        )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench abuse")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--sockets", type=int, default=20)
    args = parser.parse_args(argv)
    asyncio.run(run(args.seconds, args.sockets))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
