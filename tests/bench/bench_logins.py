"""Logins benchmark: N members logging in at the same second, to their home screen.

The server runs in this process (so the lag of its event loop is measured directly, by a
task that asks to wake every 5 ms and records how late it wakes); the clients run in a
child process (``--clients``), so rendering their screens with pyte does not load the
server's loop. Each client opens its connection at the same instant, answers the
password prompt, opens a terminal and waits until pyte shows its home screen (the
greeting and the footer); it reports the time from its start to that frame.

``--legacy`` reproduces the former set-up for a before/after comparison: passwords
hashed with argon2-cffi's defaults (64 MiB, t = 3, p = 4) and verified in the database
worker threads instead of the per-core hashing threads.

The per-address admission limits are raised for the run: every client comes from
127.0.0.1 here, where 50 members would come from 50 addresses.

    python -m tests.bench logins [--members 50] [--legacy] [--slow 20]
    python -m tests.bench logins --workers 2   # against `portal serve --workers 2`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PASSWORD = "Banc-Essai-Connexion-2026!"


# -- the clients (child process) ---------------------------------------------------------


class Arrivals:
    """Counts clients on their home screen; ``all_home`` is set when every one is."""

    def __init__(self, count: int) -> None:
        self.left = count
        self.all_home = asyncio.Event()
        self.authenticated: list[float] = []
        """Seconds from the start to the end of authentication, per client."""

    def arrived(self) -> None:
        self.left -= 1
        if self.left <= 0 and not self.all_home.is_set():
            print("ALL HOME", flush=True)  # the server stops measuring: they now log out
            self.all_home.set()


def is_home(screen: str, index: int) -> bool:
    """The member's home screen is drawn: their greeting and the menu's last entry."""
    return f"Bonjour Banc{index:03d}" in screen and "Se déconnecter" in screen


async def one_client(port: int, index: int, start: float, arrivals: Arrivals) -> float:
    from tests.e2e.harness import connect, open_terminal

    await asyncio.sleep(max(0.0, start - time.time()))
    began = time.perf_counter()
    conn = None
    try:
        conn, _ = await connect(port, f"bench{index:03d}", PASSWORD)
        arrivals.authenticated.append(time.perf_counter() - began)
        term = await open_terminal(conn)
        await term.wait_until(lambda t: is_home(t.text(), index), timeout=60)
        return time.perf_counter() - began
    finally:
        arrivals.arrived()  # on its home screen, or failed
        await arrivals.all_home.wait()  # members stay logged in during the burst
        if conn is not None:
            conn.close()


async def clients(port: int, count: int, start: float) -> None:
    import tests.e2e.harness  # noqa: F401  # imported before the start, not during the burst

    arrivals = Arrivals(count)
    await asyncio.sleep(max(0.0, start - time.time() - 0.05))
    cpu = time.process_time()  # the burst's, not the imports' before it
    times = await asyncio.gather(
        *(one_client(port, i, start, arrivals) for i in range(count)), return_exceptions=True
    )
    ok = [t for t in times if isinstance(t, float)]
    errors = [repr(t) for t in times if not isinstance(t, float)]
    cpu = time.process_time() - cpu
    result = {"times": ok, "auth": arrivals.authenticated, "errors": errors[:3], "cpu": cpu}
    print(json.dumps({**result, "failed": len(errors)}), flush=True)


async def spawn_clients(port: int, members: int, start: float) -> asyncio.subprocess.Process:
    """The clients' child process: ``members`` logins to ``port`` at the instant ``start``."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.bench.bench_logins",
        "--clients",
        str(port),
        "--members",
        str(members),
        "--start",
        repr(start),
        stdout=asyncio.subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
    )


async def until_all_home(child: asyncio.subprocess.Process) -> None:
    """Wait until the child says every member is on the home screen (or it ended)."""
    assert child.stdout is not None
    while (line := await child.stdout.readline()) and not line.startswith(b"ALL HOME"):
        pass


def clients_result(out: bytes) -> dict[str, Any]:
    """What the child reported (its last line): times, auth, failed, errors, cpu."""
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


def print_logins(result: dict[str, Any], server_cpu: float, whose: str) -> None:
    times = result["times"]
    if times:
        print(f"time to home screen: {figures(times)} ({len(times)} members)")
        print(f"  of which authentication: {figures(result['auth'])}")
    if result["failed"]:
        print(f"{result['failed']} login(s) failed: {result['errors']}")
    print(f"CPU: server {server_cpu:.2f} s ({whose}), clients {result['cpu']:.2f} s")


# -- the server (this process) ------------------------------------------------------------


class LagMonitor:
    """How late the event loop wakes a task that asks to wake every ``interval``."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.samples: list[float] = []
        self.worst: list[tuple[float, float]] = []
        """The late wakes over 100 ms: (seconds since the start, lateness)."""
        self._task: asyncio.Task[None] | None = None
        self._began = 0.0

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(self.interval)
            late = loop.time() - before - self.interval
            self.samples.append(late)
            if late > 0.1:
                self.worst.append((before - self._began, late))

    def start(self) -> None:
        self.samples.clear()
        self.worst.clear()
        self._began = asyncio.get_running_loop().time()
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


class SlowCallbacks(logging.Handler):
    """Which callbacks held the loop longer than ``threshold`` (asyncio's debug mode).

    Debug mode slows the loop down: use it to find the culprits, not for the figures.
    """

    def __init__(self, threshold: float) -> None:
        super().__init__(logging.WARNING)
        self.threshold = threshold
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Executing"):
            self.records.append(message)

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        loop.slow_callback_duration = self.threshold
        loop.set_debug(True)
        logging.getLogger("asyncio").addHandler(self)

    def stop(self) -> None:
        asyncio.get_running_loop().set_debug(False)
        logging.getLogger("asyncio").removeHandler(self)

    def report(self) -> None:
        print(f"callbacks over {self.threshold * 1000:.0f} ms: {len(self.records)}")
        took = re.compile(r"took ([0-9.]+) seconds")

        def seconds(message: str) -> float:
            found = took.search(message)
            return float(found.group(1)) if found else 0.0

        for message in sorted(self.records, key=seconds, reverse=True)[:15]:
            name = re.sub(r"/[^ ]*/(site-packages|main)/", "", message.removeprefix("Executing "))
            print(f"  {seconds(message) * 1000:6.0f} ms  {name[:200]}")


def add_members(
    db_path: Path, count: int, password_hash: str, prefix: str = "bench", width: int = 3
) -> None:
    """Members ``bench000``… (first name ``Banc000``…) in Alice's organization."""
    from portal.data import members as members_data
    from portal.data.db import connect

    db = connect(db_path)
    try:
        alice = members_data.get_member_by_login(db, "alice")
        assert alice is not None
        for i in range(count):
            login = f"{prefix}{i:0{width}d}"
            members_data.create_member(
                db,
                organization_id=alice.organization_id,
                login=login,
                first_name=f"Banc{i:0{width}d}",
                last_name="Essai",
                org_email=f"{login}@example.org",
                password_hash=password_hash,
            )
    finally:
        db.conn.close()


class _StoreHashing:
    """The former set-up: argon2 in the database worker threads."""

    def __init__(self, store: Any) -> None:
        self.store = store

    async def verify(self, stored: str | None, password: str) -> bool:
        from portal.services import passwords

        return await self.store.run(lambda _db: passwords.verify_password(stored, password))

    async def rehash(self, stored: str | None, password: str) -> str | None:
        return None  # the former gate rehashed inside check_password (in the DB thread)

    def close(self) -> None:
        pass


def figures(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"p50 {statistics.median(ordered) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
        f"max {ordered[-1] * 1000:.0f} ms"
    )


async def run(args: argparse.Namespace, data_dir: Path) -> None:
    from argon2 import PasswordHasher

    from portal.config import load_settings
    from portal.services import passwords
    from portal.services.runtime import init_database
    from tests.e2e.harness import running_server

    template = data_dir / "template"
    settings = load_settings(environ={}, data_dir=template)
    await asyncio.to_thread(init_database, settings)
    if args.legacy:
        legacy = PasswordHasher()  # argon2-cffi's defaults, as before
        passwords._hasher = legacy  # verification follows the hash's own parameters
        password_hash = legacy.hash(PASSWORD)
    else:
        password_hash = passwords.hash_password(PASSWORD)
    await asyncio.to_thread(add_members, settings.db_path, args.members, password_hash)
    if args.workers > 1:
        await run_workers(args, template)
        return
    overrides = {
        "connection_rate_per_ip": 1000.0,
        "connection_burst_per_ip": 1000,
        "max_unauthenticated_per_ip": 1000,
        "max_sessions_per_ip": 1000,
    }
    async with running_server(data_dir / "run", settings.db_path, **overrides) as server:
        if args.legacy:
            server.runtime.hashing = _StoreHashing(server.services.store)  # type: ignore[assignment]
        elif args.hash_threads:
            server.runtime.hashing = passwords.HashPool(args.hash_threads)

        print(
            f"{args.members} logins at once ({'legacy: 64 MiB t=3 p=4 in DB threads' if args.legacy else f'argon2id m={passwords.MEMORY_KIB // 1024} MiB t={passwords.TIME_COST} p={passwords.PARALLELISM}, {server.runtime.hashing.threads} hashing threads'})",  # type: ignore[union-attr]
            flush=True,
        )
        monitor = LagMonitor()
        slow = SlowCallbacks(args.slow / 1000) if args.slow else None
        start = time.time() + 1.5  # the child imports and connects meanwhile
        child = await spawn_clients(server.port, args.members, start)
        await asyncio.sleep(max(0.0, start - time.time() - 0.1))
        monitor.start()
        if slow is not None:
            slow.start()
        cpu = time.process_time()
        await until_all_home(child)
        cpu = time.process_time() - cpu
        monitor.stop()  # 50 logouts follow, and the collection once nobody is live
        if slow is not None:
            slow.stop()
        out, _ = await child.communicate()
    print_logins(clients_result(out), cpu, "with its hashing threads")
    lag = monitor.samples
    if lag:
        print(f"event-loop lag meanwhile: {figures(lag)}")
        for at, late in monitor.worst[:5]:
            print(f"  {late * 1000:.0f} ms late, {at:.2f} s after the start")
    if slow is not None:
        slow.report()


async def run_workers(args: argparse.Namespace, data_dir: Path) -> None:
    """The same burst against ``portal serve --workers N`` (its own processes).

    The kernel spreads the connections over the workers (SO_REUSEPORT); their CPU is
    read from /proc. The loop lag is not measured: the loops are in other processes.
    """
    from tests.bench.bench_ssh import cpu_seconds, free_port, start_server

    port = free_port()
    server = await asyncio.to_thread(
        start_server, data_dir, port, args.workers, 2 * args.members + 10
    )
    try:
        print(f"{args.members} logins at once, {args.workers} worker processes", flush=True)
        await asyncio.sleep(1.0)  # the workers finish starting
        cpu = cpu_seconds(server.pid)
        start = time.time() + 1.5
        child = await spawn_clients(port, args.members, start)
        await until_all_home(child)
        cpu = cpu_seconds(server.pid) - cpu
        out, _ = await child.communicate()
    finally:
        server.terminate()
        await asyncio.to_thread(server.wait, 30)
    print_logins(clients_result(out), cpu, "all workers")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench logins")
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--legacy", action="store_true", help="the former hashing set-up")
    parser.add_argument("--hash-threads", type=int, help="hashing threads (default: cores)")
    parser.add_argument(
        "--workers", type=int, default=1, help="run `portal serve --workers N` (N > 1) instead"
    )
    parser.add_argument(
        "--slow", type=float, metavar="MS", help="list the callbacks that held the loop longer"
    )

    parser.add_argument("--clients", type=int, help=argparse.SUPPRESS)  # the child's port
    parser.add_argument("--start", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.clients:
        asyncio.run(clients(args.clients, args.members, args.start))
        return
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main(sys.argv[1:])
