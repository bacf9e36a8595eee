"""The real OpenSSH client: what a member actually types (skipped where ssh is absent)."""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
from pathlib import Path

import pyte
import pytest

from portal.ssh.server import PortalServer
from tests.typography import fr

pytestmark = pytest.mark.skipif(shutil.which("ssh") is None, reason="no OpenSSH client")


def _askpass(tmp_path: Path, answer: str) -> Path:
    """A helper OpenSSH runs for each prompt: it records the prompt and answers it."""
    script = tmp_path / "askpass.sh"
    script.write_text(f'#!/bin/sh\necho "$1" >> "{tmp_path}/prompts.txt"\necho \'{answer}\'\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


async def _run_ssh(server: PortalServer, tmp_path: Path, login: str, answer: str):  # type: ignore[no-untyped-def]
    env = dict(
        os.environ,
        SSH_ASKPASS=str(_askpass(tmp_path, answer)),
        SSH_ASKPASS_REQUIRE="force",
        DISPLAY=":0",
        TERM="xterm-256color",
    )
    return await asyncio.create_subprocess_exec(
        "ssh",
        "-tt",
        "-p",
        str(server.port),
        "-F",
        "/dev/null",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "PreferredAuthentications=keyboard-interactive",
        "-o",
        "LogLevel=ERROR",
        f"{login}@127.0.0.1",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )


async def test_openssh_password_prompt_then_home_then_ctrl_q(
    server: PortalServer, tmp_path: Path
) -> None:
    proc = await _run_ssh(server, tmp_path, "alice", "Soleil-Vert-2026!")
    assert proc.stdout is not None and proc.stdin is not None
    screen = pyte.Screen(80, 24)
    stream = pyte.ByteStream(screen)

    async def until(text: str) -> None:
        while text not in "\n".join(screen.display):
            chunk = await proc.stdout.read(65536)  # type: ignore[union-attr]
            assert chunk, "ssh ended; screen:\n" + "\n".join(screen.display)
            stream.feed(chunk)

    await asyncio.wait_for(until(fr("Bonjour Alice !")), 20)
    assert "Mot de passe / Password:" in (tmp_path / "prompts.txt").read_text()
    proc.stdin.write(b"\x11")  # ctrl+q
    await proc.stdin.drain()
    assert await asyncio.wait_for(proc.wait(), 20) == 0


async def test_openssh_wrong_password_is_permission_denied(
    server: PortalServer, tmp_path: Path
) -> None:
    proc = await _run_ssh(server, tmp_path, "alice", "wrong-password-here")
    _out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 255
    assert b"Permission denied" in err
    assert server.runtime.registry.sessions == set()
