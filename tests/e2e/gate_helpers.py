"""Shared pieces of the gate's end-to-end tests: a server with a fake clock and a recording
sleep, and an SSH client that answers keyboard-interactive prompts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import asyncssh
import pyte

from portal.services.gate import GatePolicy
from portal.services.runtime import Services
from portal.ssh.server import PortalServer

T0 = 1_800_000_000.0


@dataclass
class Clock:
    """A Unix clock the test moves by hand."""

    now: float = T0

    def __call__(self) -> float:
        return self.now


@dataclass
class Gate:
    """A running server and what its gate waited."""

    server: PortalServer
    clock: Clock
    delays: list[float] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.server.port


async def start_gate(services: Services, policy: GatePolicy | None = None) -> Gate:
    """Start a server on a free loopback port whose delays are recorded, not waited."""
    clock = Clock()
    gate = Gate(server=None, clock=clock)  # type: ignore[arg-type]

    async def sleep(seconds: float) -> None:
        gate.delays.append(seconds)
        clock.now += seconds  # as if the time had passed

    gate.server = PortalServer(services, policy=policy or GatePolicy(), clock=clock, sleep=sleep)
    await gate.server.start()
    return gate


class Answering(asyncssh.SSHClient):
    """Answers each keyboard-interactive prompt from a function; records those answered.

    ``answer(prompt)`` returns the text to send, or None to stop answering (the client then
    gives up keyboard-interactive).
    """

    def __init__(self, answer: Callable[[str], str | None]) -> None:
        self.answer = answer
        self.prompts: list[str] = []

    def kbdint_auth_requested(self) -> str:
        return ""

    def kbdint_challenge_received(
        self, name: str, instructions: str, lang: str, prompts: Any
    ) -> list[str] | None:
        responses = []
        for prompt, _echo in prompts:
            text = self.answer(prompt)
            if text is None:
                return None
            self.prompts.append(prompt)
            responses.append(text)
        return responses


def scripted(*answers: str) -> Callable[[str], str | None]:
    """Answer prompts with these texts in turn, then stop."""
    queue = list(answers)
    return lambda prompt: queue.pop(0) if queue else None


async def connect(
    gate: Gate,
    username: str,
    answer: Callable[[str], str | None] | None = None,
    *,
    client: Answering | None = None,
    client_keys: Any = None,
) -> asyncssh.SSHClientConnection:
    """Open an SSH connection as ``username``; raises ``asyncssh.PermissionDenied`` on refusal.

    Pass ``client`` to read the prompts it saw afterwards, even after a refusal.
    """
    client = client or Answering(answer or scripted())
    return await asyncssh.connect(
        "127.0.0.1",
        gate.port,
        username=username,
        known_hosts=None,
        client_factory=lambda: client,
        client_keys=client_keys,
        agent_path=None,
        password=None,
        gss_auth=False,
        host_based_auth=False,
        config=None,
        preferred_auth="publickey,keyboard-interactive",
    )


async def refused(
    gate: Gate,
    username: str,
    answer: Callable[[str], str | None] | None = None,
    *,
    client_keys: Any = None,
) -> tuple[Answering, asyncssh.PermissionDenied]:
    """Connect, expecting a refusal; returns the prompts seen and the error."""
    client = Answering(answer or scripted())
    try:
        conn = await connect(gate, username, client=client, client_keys=client_keys)
    except asyncssh.PermissionDenied as error:
        return client, error
    conn.close()
    raise AssertionError(f"{username} was let in")


class Screen:
    """What an SSH client's terminal shows (pyte), fed from a shell process."""

    def __init__(self, process: asyncssh.SSHClientProcess[str], size: tuple[int, int] = (80, 24)):
        self.process = process
        self.screen = pyte.Screen(*size)
        self.stream = pyte.Stream(self.screen)
        self.closed = False
        self.raw = ""

    @property
    def text(self) -> str:
        return "\n".join(self.screen.display)

    async def wait_for(self, needle: str, timeout: float = 15.0) -> str:
        """Read output until ``needle`` shows (in the screen or the raw text)."""

        async def read() -> str:
            while needle not in self.text and needle not in self.raw:
                chunk = await self.process.stdout.read(65536)
                if not chunk:
                    self.closed = True
                    break
                self.raw += chunk
                self.stream.feed(chunk)
            return self.text

        await asyncio.wait_for(read(), timeout)
        if needle not in self.text and needle not in self.raw:
            raise AssertionError(f"{needle!r} never showed:\n{self.text}\n{self.raw[-500:]!r}")
        return self.text
