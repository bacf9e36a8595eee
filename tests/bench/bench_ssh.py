"""Sessions benchmark: memory per idle session, first frame, keystroke latency.

Starts `portal serve` as a separate process on a free loopback port (so its memory is
measured alone), drives it with asyncssh clients from this process, and compares with
the same app run as one process per session on a pseudo-terminal.

Keystroke latency runs from sending an arrow key on the home screen to the moment the
help text of the newly highlighted section arrives: the complete frame, not its start.

    python -m tests.bench ssh [--idle 200] [--burst 50] [--active 100] [--seconds 20]
                              [--rounds 3] [--round-size 100]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import pty
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncssh

ROOT = Path(__file__).resolve().parents[2]
FRAME_END = "Se déconnecter"  # the footer: drawn last in a full frame
# Typing moves the home menu's highlight between its first two sections; the frame is
# complete when the help text of the newly highlighted section is drawn.
DOWN = ("\x1b[B", "E-mail de communication")  # Mes coordonnées & préférences
UP = ("\x1b[A", "Nom, identifiant")  # Mon compte
PASSWORD = "Soleil-Vert-2026!"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def server_rss_kib(pid: int) -> int:
    """RSS of the server: its worker processes when it forked some, else itself."""
    workers = children(pid)
    return sum(rss_kib(p) for p in workers) if workers else rss_kib(pid)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its worker processes."""
    total = 0.0
    for p in [pid, *children(pid)]:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def pss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return rss_kib(pid)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


class Client:
    """One member session: connects, opens a PTY, watches output."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: asyncssh.SSHClientConnection | None = None
        self.process: asyncssh.SSHClientProcess[str] | None = None
        self.buffer = ""
        self.fresh = ""  # output since the last keystroke
        self.output = asyncio.Event()

    async def open(self) -> float:
        """Log in and wait for the first full frame; returns seconds from auth to frame."""
        self.conn = await asyncssh.connect(
            "127.0.0.1",
            self.port,
            username="alice",
            password=PASSWORD,
            known_hosts=None,
            preferred_auth="keyboard-interactive",
            client_keys=None,
            agent_path=None,
        )
        t0 = time.perf_counter()
        self.process = await self.conn.create_process(
            term_type="xterm-256color", term_size=(80, 24), encoding="utf-8"
        )
        asyncio.get_running_loop().create_task(self._pump())
        while FRAME_END not in self.buffer:
            self.output.clear()
            await self.output.wait()
        return time.perf_counter() - t0

    async def _pump(self) -> None:
        assert self.process is not None
        while True:
            data = await self.process.stdout.read(65536)
            if not data:
                break
            self.buffer = (self.buffer + data)[-4096:]
            self.fresh += data
            self.output.set()

    async def keystroke(self, key: str, expect: str) -> float:
        """Send a key and time until ``expect`` is drawn (the screen's last change)."""
        assert self.process is not None
        self.output.clear()
        self.fresh = ""
        t0 = time.perf_counter()
        self.process.stdin.write(key)
        while expect not in self.fresh:
            await self.output.wait()
            self.output.clear()
        return time.perf_counter() - t0

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def start_server(
    data_dir: Path, port: int, workers: int = 1, capacity: int = 2000, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """``portal serve`` on ``port``, for ``capacity`` sessions from 127.0.0.1.

    ``log``: run it in asyncio's debug mode, which logs to that file every callback that
    held the loop over 100 ms (it slows the server down: for finding culprits, not for
    the figures).
    """
    env = dict(
        os.environ,
        PORTAL_MAX_SESSIONS=str(capacity),
        PORTAL_MAX_SESSIONS_PER_IP=str(capacity),
        # Every bench client comes from 127.0.0.1: lift the per-address admission limits
        # (token bucket, unauthenticated caps) that protect a real server from floods.
        PORTAL_CONNECTION_RATE_PER_IP="0",
        PORTAL_MAX_UNAUTHENTICATED=str(capacity),
        PORTAL_MAX_UNAUTHENTICATED_PER_IP=str(capacity),
        PORTAL_LOG_LEVEL="WARNING",
        PORTAL_HTTP_PORT=str(free_port()),  # never a fixed port (8080 may be taken)
    )
    if log is not None:
        env["PYTHONASYNCIODEBUG"] = "1"
    command = [sys.executable, "-m", "portal", "--data-dir", str(data_dir), "serve"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        # Nobody reads a pipe here: a chatty server would block on it.
        stderr=subprocess.DEVNULL if log is None else log.open("wb"),
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def process_per_session_kib(data_dir: Path, count: int) -> float:
    """Average PSS of the app run alone on a PTY, one process per session."""
    procs, masters = [], []
    for _ in range(count):
        master, slave = pty.openpty()
        os.set_blocking(master, False)
        env = dict(os.environ, TERM="xterm-256color", COLUMNS="80", LINES="24")
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "tests.bench.standalone_app", str(data_dir), "alice"],
                stdin=slave,
                stdout=slave,
                stderr=slave,
                cwd=ROOT,
                env=env,
                start_new_session=True,
            )
        )
        os.close(slave)
        masters.append(master)
    seen = [b""] * count
    deadline = time.time() + 120
    while time.time() < deadline and not all(FRAME_END.encode() in s for s in seen):
        for i, m in enumerate(masters):
            with contextlib.suppress(BlockingIOError, OSError):
                seen[i] = (seen[i] + os.read(m, 65536))[-8192:]
        time.sleep(0.05)
    time.sleep(1.0)
    sizes = [pss_kib(p.pid) for p in procs]
    rss = [rss_kib(p.pid) for p in procs]
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(10)
    for m in masters:
        os.close(m)
    print(
        f"  process per session: {count} processes, PSS avg {statistics.mean(sizes) / 1024:.1f} MiB"
        f" (RSS avg {statistics.mean(rss) / 1024:.1f} MiB)"
    )
    return statistics.mean(sizes)


async def bench(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        port = free_port()
        server = start_server(data_dir, port, args.workers)
        try:
            await run_all(args, data_dir, port, server.pid)
        finally:
            server.terminate()
            server.wait(30)


async def run_all(args: argparse.Namespace, data_dir: Path, port: int, pid: int) -> None:
    # Warm-up: imports, CSS parsing, caches.
    warm = Client(port)
    await warm.open()
    warm.close()
    await asyncio.sleep(1.0)

    # 1. First frame, lone session.
    lone = []
    for _ in range(args.lone):
        c = Client(port)
        lone.append(await c.open())
        c.close()
    print(
        f"first frame, lone session ({args.lone} runs): p50 {pct(lone, 50) * 1000:.0f} ms,"
        f" p99 {pct(lone, 99) * 1000:.0f} ms   (target p50 < 150 ms)"
    )

    # 1b. Keystrokes of a lone session: latency with nothing else to do, and what one
    # keystroke costs the server in CPU (everything: SSH, input, render, output).
    typist = Client(port)
    await typist.open()
    solo: list[float] = []
    cpu_before = cpu_seconds(pid)
    for i in range(args.solo_keys):
        solo.append(await typist.keystroke(*(DOWN if i % 2 == 0 else UP)))
        await asyncio.sleep(0.05)  # a typist, not a held-down key
    cpu_per_key = (cpu_seconds(pid) - cpu_before) / args.solo_keys
    typist.close()
    print(
        f"keystroke to screen, lone session ({args.solo_keys} keys): p50"
        f" {pct(solo, 50) * 1000:.1f} ms, p99 {pct(solo, 99) * 1000:.1f} ms;"
        f" server CPU {cpu_per_key * 1000:.1f} ms per keystroke (idle time included)"
    )

    # 2. First frame, N connecting at once.
    burst_clients = [Client(port) for _ in range(args.burst)]
    burst = await asyncio.gather(*(c.open() for c in burst_clients))
    print(
        f"first frame, {args.burst} connecting at once: p50 {pct(burst, 50) * 1000:.0f} ms,"
        f" p99 {pct(burst, 99) * 1000:.0f} ms"
    )
    for c in burst_clients:
        c.close()
    await asyncio.sleep(2.0)

    # 3. Memory per idle session.
    base = server_rss_kib(pid)
    idle = []
    for start in range(0, args.idle, 25):
        batch = [Client(port) for _ in range(min(25, args.idle - start))]
        await asyncio.gather(*(c.open() for c in batch))
        idle.extend(batch)
    await asyncio.sleep(3.0)
    loaded = server_rss_kib(pid)
    per_session = (loaded - base) / args.idle
    print(
        f"server RSS: {base / 1024:.1f} MiB before, {loaded / 1024:.1f} MiB with {args.idle} idle"
        f" sessions -> {per_session / 1024:.2f} MiB per idle session   (target <= 4 MiB)"
    )

    # 4. Keystroke latency while `active` sessions each type one key per second.
    active = idle[: args.active]
    latencies: list[float] = []

    async def type_keys(client: Client) -> None:
        await asyncio.sleep(random.random())
        end = time.perf_counter() + args.seconds
        down = True
        while time.perf_counter() < end:
            started = time.perf_counter()
            latencies.append(await client.keystroke(*(DOWN if down else UP)))
            down = not down
            await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - started)))

    # The load generator must not measure its own pauses: freeze its long-lived objects
    # (200 client connections) and keep its collector out of the measured phase.
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        await asyncio.gather(*(type_keys(c) for c in active))
    finally:
        gc.enable()
        gc.unfreeze()
    print(
        f"keystroke to screen, {len(active)} sessions typing 1 key/s for {args.seconds} s"
        f" ({len(latencies)} keys): p50 {pct(latencies, 50) * 1000:.1f} ms,"
        f" p99 {pct(latencies, 99) * 1000:.1f} ms   (target p99 < 50 ms)"
    )
    for c in idle:
        c.close()

    # 4b. No growth: rounds of sessions opened and closed leave the server's memory flat.
    if args.rounds:
        after: list[float] = []
        for _ in range(args.rounds):
            opened: list[Client] = []
            for start in range(0, args.round_size, 25):
                group = [Client(port) for _ in range(min(25, args.round_size - start))]
                await asyncio.gather(*(c.open() for c in group))
                opened.extend(group)
            for c in opened:
                c.close()
            await asyncio.sleep(5.0)  # the apps end (one at a time) and are freed
            after.append(server_rss_kib(pid) / 1024)
        print(
            f"server RSS after each of {args.rounds} rounds of {args.round_size} sessions"
            f" opened and closed: {', '.join(f'{m:.1f}' for m in after)} MiB"
            f" (growth {after[-1] - after[0]:+.1f} MiB from the first round to the last)"
        )

    # 5. The classic way: one process per session.
    per_process = process_per_session_kib(data_dir, args.processes)
    print(
        f"ratio: one process per session costs {per_process / max(per_session, 1):.1f}x"
        f" the memory of a session in the shared process   (target >= 10x)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench ssh")
    parser.add_argument("--idle", type=int, default=200)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--active", type=int, default=100)
    parser.add_argument("--lone", type=int, default=30)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--solo-keys", type=int, default=300)
    parser.add_argument("--processes", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of sessions opened/closed")
    parser.add_argument("--round-size", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1, help="server processes (serve --workers)")
    args = parser.parse_args(argv if argv is not None else [])
    asyncio.run(bench(args))


if __name__ == "__main__":
    main(sys.argv[1:])
