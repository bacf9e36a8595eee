"""Input benchmark: type-ahead cost, and a member's keystrokes while guests flood.

Runs a server in this process on a free loopback port (as the end-to-end tests do) and
drives it with asyncssh clients whose screens pyte renders. Keystroke latency runs from
sending an arrow key on the home screen to the moment the help text of the newly
highlighted section is on the client's screen.

- ``plain``: the member alone, with the type-ahead settling switched off (baseline);
- ``settled``: the member alone, as served (each key waits for the previous one's
  effects: the overhead of the mechanism when typing at human speed);
- ``flood``: the same while ``--guests`` guest sessions each receive ``--flood-kib`` KiB
  of keystrokes as fast as the channel takes them.

    python -m tests.bench.bench_input [--keys 200] [--guests 2] [--flood-kib 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from portal.config import load_settings
from portal.services.runtime import init_database
from portal.ssh import input_queue
from tests.e2e.harness import Terminal, connect, open_terminal, running_server

PASSWORD = "Soleil-Vert-2026!"
DOWN = ("\x1b[B", "E-mail de communication")
UP = ("\x1b[A", "Nom, identifiant")


def figures(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[max(int(len(ordered) * 0.99) - 1, 0)]
    return (
        f"{name:>8}: p50 {statistics.median(ordered) * 1000:6.1f} ms  "
        f"p99 {p99 * 1000:6.1f} ms  max {ordered[-1] * 1000:6.1f} ms  (n={len(ordered)})"
    )


async def type_keys(term: Terminal, count: int) -> list[float]:
    samples = []
    for i in range(count):
        key, expect = DOWN if i % 2 == 0 else UP
        started = time.perf_counter()
        term.send(key)
        await term.wait_for(expect)
        samples.append(time.perf_counter() - started)
    return samples


async def flood(term: Terminal, kib: int) -> None:
    chunk = ("\x1b[B\x1b[B\x1b[A\x1b[A\t" * 400)[:4096]
    for _ in range(kib // 4):
        if term.closed:
            return
        term.send(chunk)
        await term.process.stdin.drain()


async def run(args: argparse.Namespace, data_dir: Path) -> None:
    template = data_dir / "template"
    settings = load_settings(environ={}, data_dir=template)
    await asyncio.to_thread(init_database, settings)
    async with running_server(data_dir / "run", settings.db_path) as server:
        conn, _ = await connect(server.port, "alice", PASSWORD)
        member = await open_terminal(conn)
        await member.wait_for("Bonjour Alice !")
        await type_keys(member, 10)  # warm up

        settle = input_queue.InputQueue._settle

        async def no_settle(self: Any) -> None:
            return None

        input_queue.InputQueue._settle = no_settle  # type: ignore[method-assign]
        plain = await type_keys(member, args.keys)
        input_queue.InputQueue._settle = settle  # type: ignore[method-assign]
        settled = await type_keys(member, args.keys)

        guests = []
        for _ in range(args.guests):
            gconn, _ = await connect(server.port, "welcome")
            guest = await open_terminal(gconn)
            await guest.wait_until(lambda t: bool(t.text().strip()))
            guests.append(guest)
        floods = [asyncio.ensure_future(flood(g, args.flood_kib)) for g in guests]
        flooded = await type_keys(member, args.keys)
        await asyncio.gather(*floods)
        closed = sum(g.closed for g in guests)

    print(figures("plain", plain))
    print(figures("settled", settled))
    print(figures("flood", flooded))
    print(
        f"settling overhead at human speed: p50 x{statistics.median(settled) / statistics.median(plain):.2f}; "
        f"{args.guests} guest(s) x {args.flood_kib} KiB: {closed} closed for flooding"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench input")
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--guests", type=int, default=2)
    parser.add_argument("--flood-kib", type=int, default=200)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
