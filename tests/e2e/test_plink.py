"""End to end with PuTTY's command-line client, plink (Debian putty-tools 0.78).

plink runs in a pseudo-terminal, as a member would run it in a console, and its output
is rendered by pyte. Skipped when plink is not installed.

What plink 0.78 does by itself: in an interactive console (stdin a terminal, no
``-batch``, no ``-no-antispoof``) it prints "Access granted. Press Return to begin
session." after ANY successful authentication and waits for Return, whatever the server
did (``ssh/connection2-client.c``, ``ssh2_connection_need_antispoof_prompt``: it guards
against a server faking PuTTY's own prompts; PuTTY's window marks its own text instead
and never asks). The keyboard-interactive round is not empty on the wire: it holds the
password prompt, which ``-pw`` answers silently. So with ``-batch`` or ``-no-antispoof``
the login goes straight to the home screen, and without them one Return (eaten by plink,
never sent to the app) does.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import shutil
import struct
import termios
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncssh
import pyte
import pytest

from portal.ssh.server import PortalServer, PortalSSHServer
from tests.e2e.conftest import ALICE
from tests.e2e.harness import WAIT
from tests.typography import fr

PLINK = shutil.which("plink")
needs_plink = pytest.mark.skipif(PLINK is None, reason="plink (putty-tools) is not installed")


class PlinkTerminal:
    """plink in a pseudo-terminal of 80×24, its output rendered by pyte."""

    def __init__(self, master: int, process: asyncio.subprocess.Process) -> None:
        self.master = master
        self.process = process
        self.screen = pyte.Screen(80, 24)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = b""
        self.closed = False
        self._changed = asyncio.Event()
        asyncio.get_running_loop().add_reader(master, self._readable)

    def _readable(self) -> None:
        try:
            data = os.read(self.master, 65536)
        except OSError:
            data = b""
        if not data:
            self.closed = True
            asyncio.get_running_loop().remove_reader(self.master)
        else:
            self.raw += data
            self.stream.feed(data)
        self._changed.set()

    def text(self) -> str:
        return "\n".join(self.screen.display)

    async def wait_for(self, needle: str) -> None:
        """Wait until ``needle`` is on the screen (or in the raw output, before it)."""

        async def loop() -> None:
            while needle not in self.text():
                if self.closed:
                    raise AssertionError(f"plink ended; output: {self.raw[-2000:]!r}")
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(loop(), WAIT)
        except TimeoutError:
            raise AssertionError(f"{needle!r} not shown; output: {self.raw[-2000:]!r}") from None

    async def wait_exit(self) -> int:
        return await asyncio.wait_for(self.process.wait(), WAIT)

    def send(self, data: str) -> None:
        os.write(self.master, data.encode())


@asynccontextmanager
async def plink(server: PortalServer, *flags: str) -> AsyncIterator[PlinkTerminal]:
    """Run ``plink -t -P PORT -pw PASSWORD -hostkey FP FLAGS alice@127.0.0.1``."""
    assert PLINK is not None
    fingerprint = asyncssh.read_private_key(server.settings.host_key_path).get_fingerprint("sha256")
    login, password = ALICE
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "TERM": "xterm", "HOME": os.environ.get("HOME", "/tmp")}
    process = await asyncio.create_subprocess_exec(
        PLINK,
        "-t",
        "-P",
        str(server.port),
        "-pw",
        password,
        "-hostkey",
        fingerprint,
        *flags,
        f"{login}@127.0.0.1",
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        env=env,
    )
    os.close(slave)
    term = PlinkTerminal(master, process)
    try:
        yield term
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        if not term.closed:
            asyncio.get_running_loop().remove_reader(master)
        os.close(master)


@needs_plink
async def test_plink_batch_goes_straight_to_home(server: PortalServer) -> None:
    async with plink(server, "-batch") as term:
        await term.wait_for(fr("Bonjour Alice !"))
        assert b"Press Return" not in term.raw
        term.send("\x11")  # ctrl+q
        assert await term.wait_exit() == 0


@needs_plink
async def test_plink_interactive_without_antispoof_goes_straight_to_home(
    server: PortalServer,
) -> None:
    async with plink(server, "-no-antispoof") as term:
        await term.wait_for(fr("Bonjour Alice !"))
        assert b"Press Return" not in term.raw
        # PuTTY's Home/End (ESC [1~ / ESC [4~) reach the app: End, then Home, then Enter
        # opens the first entry, "Mon compte" (End then Enter would have logged out).
        term.send("\x1b[4~")
        term.send("\x1b[1~")
        term.send("\r")
        await term.wait_for("Identifiant")


@needs_plink
async def test_plink_interactive_asks_its_own_return_then_home(server: PortalServer) -> None:
    async with plink(server) as term:
        await term.wait_for("Access granted. Press Return to begin session.")
        term.send("\r")  # read by plink itself, never sent to the app
        await term.wait_for(fr("Bonjour Alice !"))
        term.send("\x1b[4~\r")  # End (PuTTY's sequence) then Enter: the last entry, log out
        assert await term.wait_exit() == 0


class _Connection:
    def __init__(self, version: str) -> None:
        self.version = version

    def get_extra_info(self, name: str) -> object:
        return self.version if name == "client_version" else None


@pytest.mark.parametrize(
    ("version", "waits"),
    [("SSH-2.0-PuTTY_Release_0.78", True), ("SSH-2.0-OpenSSH_9.2p1 Debian-2", False)],
)
async def test_putty_gets_time_to_press_return_before_its_session(
    server: PortalServer, version: str, waits: bool
) -> None:
    """plink opens its session only after the member pressed Return at its prompt: the
    connection is kept as long as an idle session meanwhile, not session_open_timeout."""
    settings = server.settings
    connection = PortalSSHServer(server.runtime)
    connection.conn = _Connection(version)  # type: ignore[assignment]
    connection._expect_session(first=True)
    timer = connection._no_session_timer
    assert timer is not None
    delay = timer.when() - asyncio.get_running_loop().time()
    timer.cancel()
    if waits:
        assert delay > settings.idle_timeout - 5
    else:
        assert delay <= settings.session_open_timeout
