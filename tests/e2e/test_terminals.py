"""End to end over real SSH: the colours follow the client's TERM, COLORTERM and
NO_COLOR (checked on the raw bytes the client receives), states stay visible without
colour, mouse reporting is button-event only, and the prompts before login."""

from __future__ import annotations

import re

import asyncssh
import pytest

from portal.ssh.auth import CODE_PROMPT, PASSWORD_PROMPT
from portal.ssh.server import PortalServer
from tests.e2e.conftest import ALICE
from tests.e2e.harness import Terminal, connect, open_terminal
from tests.typography import fr

SGR = re.compile(r"\x1b\[([0-9;:]*)m")
"""Select Graphic Rendition: the escape sequences that set colours and attributes."""

ATTRIBUTES = {"", "0", "1", "2", "3", "4", "7", "9", "21", "22", "23", "24", "27", "29"}
"""SGR parameters that are not colours (reset, bold, dim, italic, underline, reverse...)."""


def sgr_params(raw: str) -> list[list[str]]:
    """The parameters of every SGR sequence in ``raw``."""
    return [match.group(1).replace(":", ";").split(";") for match in SGR.finditer(raw)]


def colour_codes(raw: str) -> set[str]:
    """The colour parts of every SGR sequence (e.g. ``31``, ``38;5;214``, ``48;2;1;2;3``)."""
    codes: set[str] = set()
    for params in sgr_params(raw):
        index = 0
        while index < len(params):
            param = params[index]
            if param in ("38", "48") and index + 1 < len(params):
                width = 3 if params[index + 1] == "5" else 5
                codes.add(";".join(params[index : index + width]))
                index += width
                continue
            if param not in ATTRIBUTES:
                codes.add(param)
            index += 1
    return codes


def sixteen_colour(code: str) -> bool:
    number = int(code) if code.isdigit() else -1
    return 30 <= number <= 37 or 40 <= number <= 47 or 90 <= number <= 97 or 100 <= number <= 107


async def home(server: PortalServer, **kw: object) -> Terminal:
    conn, _ = await connect(server.port, *ALICE)
    term = await open_terminal(conn, **kw)  # type: ignore[arg-type]
    await term.wait_for(fr("Bonjour Alice !"))
    await term.wait_for("Se déconnecter")
    return term


async def test_xterm_gets_only_the_16_colours(server: PortalServer) -> None:
    term = await home(server, term="xterm")
    codes = colour_codes("".join(term.raw))
    assert codes, "the home screen has colours"
    assert all(sixteen_colour(code) for code in codes), codes


async def test_each_client_gets_its_own_colours_in_a_shared_process(
    server: PortalServer,
) -> None:
    # Textual shares rendered lines between apps: a 256-colour session drawn first must
    # not leave its codes in what a 16-colour session receives next.
    await home(server, term="xterm-256color")
    await home(server, term="xterm-256color", env={"COLORTERM": "truecolor"})
    term = await home(server, term="xterm")
    codes = colour_codes("".join(term.raw))
    assert all(sixteen_colour(code) for code in codes), codes


async def test_256color_gets_256_colours_and_no_truecolor(server: PortalServer) -> None:
    term = await home(server, term="xterm-256color")
    codes = colour_codes("".join(term.raw))
    assert any(code.startswith(("38;5;", "48;5;")) for code in codes), codes
    assert not any(code.startswith(("38;2;", "48;2;")) for code in codes), codes


async def test_colorterm_truecolor_gets_24_bit_colours(server: PortalServer) -> None:
    term = await home(server, term="xterm-256color", env={"COLORTERM": "truecolor"})
    codes = colour_codes("".join(term.raw))
    assert any(code.startswith(("38;2;", "48;2;")) for code in codes), codes


@pytest.mark.parametrize(
    ("term_type", "env"),
    [("xterm-256color", {"NO_COLOR": "1"}), ("dumb", {})],
    ids=["NO_COLOR", "dumb"],
)
async def test_no_colour_codes_at_all_yet_the_focus_shows(
    server: PortalServer, term_type: str, env: dict[str, str]
) -> None:
    term = await home(server, term=term_type, env=env)
    raw = "".join(term.raw)
    assert colour_codes(raw) == set()
    # The highlighted menu entry (where Enter goes) is drawn in reverse video.
    rows = [y for y in range(term.rows) if "1 Mon compte" in term.line(y)]
    assert rows, term.text()
    row = rows[0]
    line = term.screen.buffer[row]
    start = term.line(row).index("1 Mon compte")
    assert all(line[x].reverse for x in range(start, start + len("1 Mon compte")))
    others = [y for y in range(term.rows) if "Boutique" in term.line(y)]
    assert others, term.text()
    other = others[0]
    start = term.line(other).index("Boutique")
    assert not term.screen.buffer[other][start].reverse
    # Moving the highlight moves the reverse video.
    term.send("\x1b[B")
    await term.wait_until(lambda t: not t.screen.buffer[row][t.line(row).index("1")].reverse)


async def test_mouse_reporting_is_button_events_only(server: PortalServer) -> None:
    term = await home(server)
    raw = "".join(term.raw)
    assert "\x1b[?1000h" in raw and "\x1b[?1006h" in raw
    assert "\x1b[?1003h" not in raw  # no report for every cell the pointer crosses


async def test_prompts_are_bilingual(server: PortalServer) -> None:
    assert PASSWORD_PROMPT == "Mot de passe / Password: "
    assert CODE_PROMPT == "Code de vérification / Verification code: "
    _conn, answerer = await connect(server.port, *ALICE)
    assert answerer.prompts == [PASSWORD_PROMPT]


async def test_a_wrong_password_hints_at_the_guest_entry(server: PortalServer) -> None:
    class Recorder(asyncssh.SSHClient):
        def __init__(self) -> None:
            self.instructions: list[str] = []
            self.banners: list[str] = []
            self.tries = 0

        def auth_banner_received(self, msg: str, lang: str) -> None:
            self.banners.append(msg)

        def kbdint_auth_requested(self) -> str:
            return ""

        def kbdint_challenge_received(
            self, name: str, instructions: str, lang: str, prompts: list[tuple[str, bool]]
        ) -> list[str] | None:
            self.instructions.append(instructions)
            self.tries += 1
            return ["wrong-password"] if self.tries <= 2 else None

    recorder = Recorder()
    with pytest.raises(asyncssh.PermissionDenied):
        await asyncssh.connect(
            "127.0.0.1",
            server.port,
            username="alice",
            known_hosts=None,
            client_factory=lambda: recorder,
            preferred_auth="keyboard-interactive",
            client_keys=None,
            agent_path=None,
        )
    guest = server.settings.guest_username
    host = server.settings.public_host
    hint = f"Mot de passe oublié ? ssh {guest}@{host}"
    assert recorder.instructions[0] == ""  # nothing before the first try
    assert hint in recorder.instructions[1]
    assert f"Forgot your password? ssh {guest}@{host}" in recorder.instructions[1]
