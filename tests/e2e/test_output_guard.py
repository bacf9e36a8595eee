"""Text typed by one person never reaches another person's terminal as control codes.

A sign-up request whose name and email hold escape sequences (written straight to the
database, as if input validation had been bypassed) is opened by a manager over real SSH:
the raw bytes the manager's client receives hold none of the data's control characters.
"""

from __future__ import annotations

import pyotp
from sqlite_utils import Database

from portal.data import members as members_data
from portal.data import signup_requests
from portal.data.db import transaction
from portal.services import twofactor
from portal.services.runtime import Services
from tests.e2e.gate_helpers import Gate, Screen, connect, scripted, start_gate

MARC = "Gestion-Marc-2026!"
PAYLOADS = (
    "\x1b]52;c;SGVsbG8=\x07",  # OSC 52: write the reader's clipboard
    "\x1b]0;PWNED\x07",  # OSC 0: set the window title
    "\x1b[6n",  # device status report: the terminal would answer as if typed
    "\x1b[2J",  # clear the screen
    "\x9b2J",  # the same with a one-byte CSI (C1)
    "\x9d52;c;eA==\x9c",  # OSC 52 with C1 introducer and string terminator
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
)


async def test_control_codes_in_a_sign_up_never_reach_the_managers_terminal(
    services: Services, db: Database
) -> None:
    marc = members_data.get_member_by_login(db, "marc")
    assert marc is not None
    secret = twofactor.enroll_for_test(db, services.secrets, marc.id)
    with transaction(db):
        signup_requests.insert_request(
            db,
            organization_id=marc.organization_id,
            first_name="Eve" + PAYLOADS[0] + PAYLOADS[4],
            last_name="Intruse" + PAYLOADS[6] + "[bold red]X[/]",
            email="eve" + PAYLOADS[1] + PAYLOADS[2] + PAYLOADS[3] + "@example.com",
            login="eve" + PAYLOADS[5] + PAYLOADS[7],
            password_hash="x",
            language="fr",
            key_verified=True,
            ip="192.0.2.1",
        )
    gate: Gate = await start_gate(services)
    try:
        code = pyotp.TOTP(secret).at(gate.clock.now)
        conn = await connect(gate, "marc", scripted(MARC, code))
        process = await conn.create_process(term_type="xterm-256color", term_size=(100, 30))
        screen = Screen(process, (100, 30))
        await screen.wait_for("Bonjour Marc")
        # The menu's entries, as drawn, down to "Demandes d'inscription" (separators and
        # the group's heading are not entries): that many Down keys from the first.
        rows = [line.split("│")[1].strip() for line in screen.text.splitlines() if "│" in line]
        entries = [r for r in rows if r and "──" not in r and r != "Gestion"]
        steps = next(i for i, r in enumerate(entries) if "Demandes d'inscription" in r)
        process.stdin.write("\x1b[H" + "\x1b[B" * steps + "\r")
        await screen.wait_for("Intruse")
        text = await screen.wait_for("@example.com")
        conn.close()
    finally:
        await gate.server.close()
    raw = screen.raw
    for payload in PAYLOADS:
        assert payload not in raw, payload
    for byte in "\x9b\x9c\x9d\u202e\u2066":  # (BEL ends the renderer's own OSC 22)
        assert byte not in raw, repr(byte)
    assert "\x1b]52" not in raw and "\x1b]0;" not in raw and "\x1b[6n" not in raw
    # Markup typed by a person is shown as the text it is.
    assert "[bold red]X[/]" in text
