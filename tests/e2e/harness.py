"""Drive the real SSH server like a member would: an asyncssh client with a PTY whose
output is fed to a terminal emulator (pyte), so tests assert on the rendered screen.

Waiting is always for a condition (text on screen, channel closed), never a fixed sleep;
the timeouts are safety nets only.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh
import pyte

from portal.config import Settings, load_settings
from portal.services.runtime import Services, init_database, make_services
from portal.ssh.server import PortalServer

WAIT = 15.0
"""Upper bound for any wait: a failing test fails, it never hangs."""


class Answerer(asyncssh.SSHClient):
    """Answers keyboard-interactive prompts: password prompts with ``password``, any
    other prompt with the next of ``codes``; records every prompt it was shown."""

    def __init__(self, password: str | None, codes: Sequence[str] = ()) -> None:
        self.password = password
        self.codes = list(codes)
        self.prompts: list[str] = []

    def kbdint_auth_requested(self) -> str | None:
        return ""

    def kbdint_challenge_received(
        self, name: str, instructions: str, lang: str, prompts: Sequence[tuple[str, bool]]
    ) -> list[str] | None:
        answers = []
        for prompt, _echo in prompts:
            self.prompts.append(prompt)
            if "assword" in prompt or "mot de passe" in prompt.lower():
                if self.password is None:
                    return None
                answers.append(self.password)
            else:
                if not self.codes:
                    return None
                answers.append(self.codes.pop(0))
        return answers


@dataclass
class Terminal:
    """A PTY session rendered by pyte."""

    process: asyncssh.SSHClientProcess[str]
    cols: int = 80
    rows: int = 24
    screen: pyte.Screen = field(init=False)
    closed: bool = False

    def __post_init__(self) -> None:
        self.screen = pyte.Screen(self.cols, self.rows)
        self._stream = pyte.Stream(self.screen)
        self._changed = asyncio.Event()
        self.raw: list[str] = []
        self._pump_task = asyncio.get_running_loop().create_task(self._pump())

    async def _pump(self) -> None:
        try:
            while True:
                data = await self.process.stdout.read(65536)
                if not data:
                    break
                self.raw.append(data)
                self._stream.feed(data)
                self._changed.set()
        except (asyncssh.Error, ConnectionError):
            pass
        finally:
            self.closed = True
            self._changed.set()

    def text(self) -> str:
        """The whole screen as text, one line per row."""
        return "\n".join(self.screen.display)

    def line(self, row: int) -> str:
        """One row of the screen."""
        return str(self.screen.display[row])

    async def wait_until(self, predicate: Any, timeout: float = WAIT) -> None:
        """Wait until ``predicate(self)`` is true (re-checked after every output)."""

        async def loop() -> None:
            while not predicate(self):
                if self.closed:
                    raise AssertionError("session closed; screen was:\n" + self.text())
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(loop(), timeout)
        except TimeoutError:
            raise AssertionError("condition not met; screen was:\n" + self.text()) from None

    async def wait_for(self, needle: str, timeout: float = WAIT) -> None:
        """Wait until ``needle`` is on screen."""
        await self.wait_until(lambda t: needle in t.text(), timeout)

    async def wait_closed(self, timeout: float = WAIT) -> int | None:
        """Wait for the server to end the session; returns the exit status."""
        await asyncio.wait_for(self._pump_task, timeout)
        await asyncio.wait_for(self.process.wait_closed(), timeout)
        return self.process.exit_status

    def send(self, data: str) -> None:
        """Type ``data`` (escape sequences allowed)."""
        self.process.stdin.write(data)

    def resize(self, cols: int, rows: int) -> None:
        """Resize the window, as a terminal emulator does."""
        self.cols, self.rows = cols, rows
        self.screen.resize(rows, cols)
        self.process.change_terminal_size(cols, rows)


async def connect(
    port: int,
    login: str,
    password: str | None = None,
    codes: Sequence[str] = (),
    **kwargs: Any,
) -> tuple[asyncssh.SSHClientConnection, Answerer]:
    """Open an authenticated connection (raises asyncssh.PermissionDenied when refused)."""
    answerer = Answerer(password, codes)
    conn = await asyncio.wait_for(
        asyncssh.connect(
            "127.0.0.1",
            port,
            username=login,
            known_hosts=None,
            client_factory=lambda: answerer,
            preferred_auth=kwargs.pop("preferred_auth", "keyboard-interactive"),
            client_keys=kwargs.pop("client_keys", None),
            agent_path=None,
            **kwargs,
        ),
        WAIT,
    )
    return conn, answerer


async def open_terminal(
    conn: asyncssh.SSHClientConnection,
    cols: int = 80,
    rows: int = 24,
    env: dict[str, str] | None = None,
    term: str = "xterm-256color",
) -> Terminal:
    """Open a shell with a PTY and start rendering it."""
    process = await conn.create_process(
        term_type=term, term_size=(cols, rows), env=env or {}, encoding="utf-8"
    )
    return Terminal(process, cols, rows)


class SimulatedClock:
    """The gate's clock for tests: its throttling delays pass at once, in order.

    The delays themselves are asserted in the gate's own tests; here a refused login is
    refused for real without the test waiting on the wall clock.
    """

    def __init__(self) -> None:
        self.now = time.time()
        self.waited: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waited.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@asynccontextmanager
async def running_server(
    data_dir: Path, template: Path | None = None, **overrides: Any
) -> AsyncIterator[PortalServer]:
    """A server on a free loopback port over a fresh data directory with demo data.

    ``template`` is a demo database to copy (the ``demo_database`` fixture), which
    saves seeding it again.
    """
    settings: Settings = load_settings(
        environ={}, data_dir=data_dir, host="127.0.0.1", port=0, **overrides
    )
    if template is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, settings.db_path)
    await asyncio.to_thread(init_database, settings)
    services: Services = make_services(settings)
    clock = SimulatedClock()
    server = PortalServer(services, clock=clock, sleep=clock.sleep)
    await server.start()
    try:
        yield server
    finally:
        await server.close()
        services.close()


async def open_raw(
    port: int, source: str = "127.0.0.1"
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A bare TCP connection to the server from ``source`` (any 127/8 address on Linux),
    which sends nothing: a half-open SSH connection, as a scanner leaves it."""
    return await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0)), WAIT
    )


async def first_line(reader: asyncio.StreamReader) -> bytes:
    """What the server says first: its SSH banner, or why it refused (b"" if it just hung up)."""
    return (await asyncio.wait_for(reader.readline(), WAIT)).strip()
