"""Scale benchmark: 2,000 connected sessions, 100 typing, then a network blip.

The server runs as its own process (``portal serve``), so its memory and CPU are its
own. A first child process (the "holder") logs in ``--sessions`` members, one session
each, and keeps them connected; ``--typing`` of them type one key per second for
``--seconds`` seconds, each keystroke timed from the write to the moment the screen
rendered by pyte shows its effect (the complete frame, not its first bytes).

Then the holder is killed: its kernel closes every connection at once, as a network
blip would. At that same moment a second child logs in ``--logins`` other members at
once (the clients of ``bench_logins``), timed to their home screen rendered by pyte,
while the server is still tearing the dropped sessions down.

    python -m tests.bench scale [--sessions 2000] [--typing 100] [--seconds 20] [--logins 50]
                                [--server-log FILE]

Opening 2,000 sessions takes a few minutes (a password check and an app start each).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.bench_logins import (
    PASSWORD,
    add_members,
    clients_result,
    figures,
    spawn_clients,
)
from tests.bench.bench_ssh import (
    DOWN,
    ROOT,
    UP,
    cpu_seconds,
    free_port,
    server_rss_kib,
    start_server,
)

# -- the holder (first child) -----------------------------------------------------------


async def hold(port: int, sessions: int, typing: int, seconds: float) -> None:
    from tests.e2e.harness import Terminal, connect, open_terminal

    terminals: list[Terminal] = []
    gate = asyncio.Semaphore(24)  # logins in flight at once, as arrivals over time
    began = time.perf_counter()
    failures: list[str] = []

    async def one(index: int) -> None:
        async with gate:
            try:
                conn, _ = await connect(port, f"scale{index:04d}", PASSWORD)
                term = await open_terminal(conn)
                await term.wait_until(lambda t: "Se déconnecter" in t.text(), timeout=120)
                terminals.append(term)
            except Exception as exc:  # noqa: BLE001  # counted and shown, not fatal
                failures.append(repr(exc)[:200])
            if (index + 1) % 200 == 0:
                print(f"  {index + 1} sessions open", file=sys.stderr, flush=True)

    await asyncio.gather(*(one(i) for i in range(sessions)))
    opened = time.perf_counter() - began
    print(json.dumps({"opened": len(terminals), "seconds": opened, "failed": failures[:3]}))
    print(f"  typing starts ({time.strftime('%H:%M:%S')})", file=sys.stderr, flush=True)
    sys.stdout.flush()
    await asyncio.sleep(3.0)  # the server settles (its collector's first freeze)

    latencies: list[float] = []

    async def typist(term: Terminal) -> None:
        await asyncio.sleep(random.random())
        end = time.perf_counter() + seconds
        down = True
        while time.perf_counter() < end:
            key, expect = DOWN if down else UP
            started = time.perf_counter()
            term.send(key)
            await term.wait_until(lambda t, e=expect: e in t.text(), timeout=30)
            latencies.append(time.perf_counter() - started)
            down = not down
            await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - started)))

    await asyncio.gather(*(typist(t) for t in terminals[:typing]))
    print(json.dumps({"latencies": latencies}))
    sys.stdout.flush()
    await asyncio.Event().wait()  # hold every connection until killed


# -- the parent --------------------------------------------------------------------------


async def read_json(stream: asyncio.StreamReader) -> dict[str, object]:
    while True:
        line = await stream.readline()
        if not line:
            raise RuntimeError("the holder ended early")
        text = line.decode().strip()
        if text.startswith("{"):
            return dict(json.loads(text))


async def run(args: argparse.Namespace, tmp: Path) -> None:
    from portal.config import load_settings
    from portal.services import passwords
    from portal.services.runtime import init_database

    data_dir = tmp / "data"
    settings = load_settings(environ={}, data_dir=data_dir)
    init_database(settings)
    password_hash = passwords.hash_password(PASSWORD)
    add_members(settings.db_path, args.sessions, password_hash, prefix="scale", width=4)
    add_members(settings.db_path, args.logins, password_hash)  # bench000… for the logins
    port = free_port()
    server = start_server(
        data_dir, port, capacity=args.sessions + args.logins + 50, log=args.server_log
    )
    print(f"  server pid {server.pid}", file=sys.stderr, flush=True)
    holder: asyncio.subprocess.Process | None = None
    try:
        base_rss = server_rss_kib(server.pid)
        holder = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.bench.bench_scale",
            "--hold",
            str(port),
            "--sessions",
            str(args.sessions),
            "--typing",
            str(args.typing),
            "--seconds",
            str(args.seconds),
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
        )
        assert holder.stdout is not None
        opened = await read_json(holder.stdout)
        rss = server_rss_kib(server.pid)
        print(
            f"{opened['opened']} sessions open in {float(opened['seconds']):.0f} s"  # type: ignore[arg-type]
            f" ({len(opened['failed'])} failures shown: {opened['failed']})"  # type: ignore[arg-type]
        )
        per = (rss - base_rss) / max(1, int(opened["opened"]))  # type: ignore[call-overload]
        print(
            f"server RSS: {base_rss / 1024:.0f} MiB before, {rss / 1024:.0f} MiB with them"
            f" -> {per / 1024:.2f} MiB per session"
        )
        cpu = cpu_seconds(server.pid)
        typed = await read_json(holder.stdout)
        cpu = cpu_seconds(server.pid) - cpu
        latencies = typed["latencies"]
        assert isinstance(latencies, list)
        if latencies:
            print(
                f"keystroke to rendered frame, {args.typing} typing among {opened['opened']}:"
                f" {figures(latencies)} ({len(latencies)} keys; server CPU {cpu:.1f} s"
                f" over the phase)   (target p99 <= 50 ms)"
            )

        # The blip: every connection of the holder goes at once; the logins follow.
        start = time.time() + 0.2
        logins = await spawn_clients(port, args.logins, start)
        await asyncio.sleep(max(0.0, start - time.time() - 0.1))  # the child is ready
        print(f"  the blip ({time.strftime('%H:%M:%S')})", file=sys.stderr, flush=True)
        os.kill(holder.pid, signal.SIGKILL)
        await holder.wait()
        holder = None
        dropped = time.time()
        cpu = cpu_seconds(server.pid)
        out, _ = await logins.communicate()
        result = clients_result(out)
        times = result["times"]
        print(
            f"{args.logins} logins right after {opened['opened']} sessions dropped at once:"
            f" {figures(times) if times else 'none reached home'}"
            f" ({result['failed']} failed)   (target: all within 3 s)"
        )
        # How long the server stays busy tearing the dropped sessions down.
        busy_until = time.time()
        previous = cpu_seconds(server.pid)
        while time.time() - dropped < 120:
            await asyncio.sleep(1.0)
            now = cpu_seconds(server.pid)
            if now - previous < 0.2:  # less than 20 % of one core over that second
                break
            previous, busy_until = now, time.time()
        print(
            f"server busy for {busy_until - dropped:.1f} s after the drop"
            f" ({cpu_seconds(server.pid) - cpu:.1f} s CPU, the logins included);"
            f" RSS then {server_rss_kib(server.pid) / 1024:.0f} MiB"
        )
    finally:
        if holder is not None:
            holder.kill()
            await holder.wait()
        server.terminate()
        server.wait(60)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench scale")
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--typing", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--logins", type=int, default=50)
    parser.add_argument(
        "--server-log",
        type=Path,
        help="run the server in asyncio debug mode, its slow callbacks logged to this file",
    )
    parser.add_argument("--hold", type=int, help=argparse.SUPPRESS)  # the holder's port
    args = parser.parse_args(argv)
    if args.hold:
        asyncio.run(hold(args.hold, args.sessions, args.typing, args.seconds))
        return
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main(sys.argv[1:])
