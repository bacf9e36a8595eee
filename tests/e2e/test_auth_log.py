"""Failed logins: one line each, with the address and the login, never the secret."""

from __future__ import annotations

import logging
import re

import asyncssh
import pytest

from portal.ssh.auth import log_failure
from portal.ssh.server import PortalServer
from tests.e2e.harness import connect

# The fail2ban filter documented in the README.
FAILREGEX = re.compile(r"^Failed login for \S+ from (?P<host>\S+) \((password|code|answer)\)$")


async def test_each_failed_login_is_one_line_for_fail2ban(
    server: PortalServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="portal.auth")
    for login, password in (("alice", "Not-Her-Password-1"), ("nobody", "whatever-pw")):
        with pytest.raises(asyncssh.PermissionDenied):
            await connect(server.port, login, password)
    lines = [r.getMessage() for r in caplog.records if r.name == "portal.auth"]
    # The client tries again until the server's limit: one line per try.
    assert set(lines) == {
        "Failed login for alice from 127.0.0.1 (password)",
        "Failed login for nobody from 127.0.0.1 (password)",
    }
    assert all(FAILREGEX.match(line) for line in lines)
    before = len(lines)
    assert not any("Not-Her-Password-1" in r.getMessage() for r in caplog.records)
    conn, _ = await connect(server.port, "alice", "Soleil-Vert-2026!")  # success: no such line
    conn.close()
    assert len([r for r in caplog.records if r.name == "portal.auth"]) == before


def test_what_an_attacker_types_as_login_is_made_printable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="portal.auth")
    log_failure("eve\x1b[2J\nroot from 10.0.0.1" + "x" * 100, "192.0.2.7", "code")
    (line,) = [r.getMessage() for r in caplog.records]
    assert FAILREGEX.match(line) and "\x1b" not in line and "\n" not in line
    assert line.endswith("from 192.0.2.7 (code)")
