"""App start benchmark: the CPU one session's app needs to draw its home screen.

Each start builds the member's app with ``make_app`` and runs it as the SSH server does
(``run_async`` with the ``SSHDriver``, drawing on a fake channel that counts what it is
sent), in one process with nothing else running: the process CPU (``time.process_time``,
database threads included) is measured up to the first frame, then until the app has
been quiet for ``--settle`` ms (the partial frames that follow the first one count),
and the teardown separately. A few warm-up starts come first (imports, caches).

    python -m tests.bench appstart [--starts 30] [--warmup 5] [--login alice]
    python -m tests.bench appstart --profile 10   # cProfile of 10 starts, top functions
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FRAME = re.compile(r"\x1b\[\d+;\d+H")


@dataclass
class FakeChannel:
    """What the SSH driver draws on: counts the writes and bytes of each start."""

    size: tuple[int, int] = (80, 24)
    input_limits: Any = None
    writes: int = 0
    sent: int = 0
    frames: int = 0
    """Writes that draw (Textual's updates start by moving the cursor to a cell)."""

    def write(self, data: str) -> None:
        self.writes += 1
        self.sent += len(data)
        if FRAME.match(data):
            self.frames += 1

    def attach(self, driver: Any) -> None:
        pass

    def close(self, farewell: str | None = None) -> None:
        pass


@dataclass
class Start:
    first_frame: float
    settled: float
    teardown: float
    frames: int
    sent: int


async def one_start(services: Any, member: Any, settle: float) -> Start:
    from portal.app import make_app
    from portal.ssh.driver import SSHDriver

    channel = FakeChannel()
    began = time.process_time()
    app = make_app(services, member, terminal=channel, driver_class=SSHDriver)
    drawn = asyncio.Event()
    first = 0.0

    def first_frame() -> None:
        nonlocal first
        first = time.process_time() - began
        drawn.set()

    app.on_first_frame = first_frame
    task = asyncio.create_task(app.run_async(mouse=True, size=channel.size))
    await asyncio.wait_for(drawn.wait(), 30)
    # Quiet: no write for ``settle`` seconds (the frames that follow the first one).
    while True:
        writes = channel.writes
        await asyncio.sleep(settle)
        if channel.writes == writes:
            break
    settled = time.process_time() - began
    frames = channel.frames
    sent = channel.sent
    ending = time.process_time()
    app.exit(0)
    await asyncio.wait_for(task, 30)
    teardown = time.process_time() - ending
    return Start(first, settled, teardown, frames, sent)


def ms(values: list[float]) -> str:
    ordered = sorted(values)
    return (
        f"median {statistics.median(ordered) * 1000:5.1f} ms, "
        f"min {ordered[0] * 1000:5.1f}, max {ordered[-1] * 1000:5.1f}"
    )


async def run(args: argparse.Namespace, data_dir: Path) -> None:
    from portal.config import load_settings
    from portal.data import members as members_data
    from portal.data.db import connect
    from portal.services.runtime import init_database, make_services

    settings = load_settings(environ={}, data_dir=data_dir)
    await asyncio.to_thread(init_database, settings)
    db = connect(settings.db_path)
    member = members_data.get_member_by_login(db, args.login)
    db.conn.close()
    if member is None:
        raise SystemExit(f"no demo member {args.login!r}")
    services = make_services(settings)
    try:
        for _ in range(args.warmup):
            await one_start(services, member, args.settle / 1000)
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.profile):
                await one_start(services, member, args.settle / 1000)
            profiler.disable()
            stats = pstats.Stats(profiler, stream=sys.stdout)
            stats.sort_stats(args.sort).print_stats(args.top)
            return
        starts = [await one_start(services, member, args.settle / 1000) for _ in range(args.starts)]
    finally:
        services.close()
    print(f"{args.starts} starts of {args.login}'s app at 80x24 (after {args.warmup} warm-up)")
    print(f"CPU to first frame:  {ms([s.first_frame for s in starts])}")
    print(f"CPU until settled:   {ms([s.settled for s in starts])}  (quiet {args.settle:.0f} ms)")
    print(f"CPU of the teardown: {ms([s.teardown for s in starts])}")
    print(
        f"frames per start: {statistics.median([s.frames for s in starts]):.0f}, "
        f"bytes sent: {statistics.median([s.sent for s in starts]):.0f}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench appstart")
    parser.add_argument("--starts", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--login", default="alice", help="a demo login (alice, marc, admin...)")
    parser.add_argument(
        "--settle", type=float, default=100.0, metavar="MS", help="quiet time that ends a start"
    )
    parser.add_argument("--profile", type=int, metavar="N", help="cProfile N starts instead")
    parser.add_argument("--sort", default="tottime", help="profile order (tottime, cumulative)")
    parser.add_argument("--top", type=int, default=40, help="profile lines printed")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main(sys.argv[1:])
