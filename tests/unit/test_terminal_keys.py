"""The key sequences of the terminals Portal was checked with reach the app as keys.

PuTTY (and plink run in a Linux console) sends ``ESC [1~``/``ESC [4~`` for Home/End and
``ESC [11~``.. for F1..F4 in its default keyboard mode; Windows Terminal, GNOME
Terminal, iTerm2 and the Linux console with OpenSSH send the xterm ones (``ESC [H``,
``ESC OP``...), rxvt its own. Alt combinations arrive as xterm modifiers (``ESC [1;3A``)
or, for a letter, as ESC then the letter: Portal binds no Alt+letter, and reads that as
Escape then the letter on purpose (type-ahead, see ``SessionParser``).
"""

from __future__ import annotations

import pytest

from portal.ssh.textual_compat import SessionParser

SEQUENCES = [
    # PuTTY, default "ESC [n~" Home/End and function keys.
    ("\x1b[1~", "home"),
    ("\x1b[4~", "end"),
    ("\x1b[11~", "f1"),
    ("\x1b[12~", "f2"),
    ("\x1b[13~", "f3"),
    ("\x1b[14~", "f4"),
    ("\x1b[15~", "f5"),
    ("\x1b[17~", "f6"),
    ("\x1b[21~", "f10"),
    ("\x1b[24~", "f12"),
    ("\x1b[2~", "insert"),
    ("\x1b[3~", "delete"),
    ("\x1b[5~", "pageup"),
    ("\x1b[6~", "pagedown"),
    # PuTTY with the "Linux" function-key setting.
    ("\x1b[[A", "f1"),
    # Windows Terminal, xterm, GNOME Terminal, iTerm2 (normal and application modes).
    ("\x1b[H", "home"),
    ("\x1b[F", "end"),
    ("\x1bOH", "home"),
    ("\x1bOF", "end"),
    ("\x1bOP", "f1"),
    ("\x1bOS", "f4"),
    ("\x1b[Z", "shift+tab"),
    ("\x1b[1;3A", "alt+up"),
    ("\x1b[1;5C", "ctrl+right"),
    ("\x1b\x7f", "ctrl+w"),  # Alt+Backspace: delete the word before the cursor
    # rxvt.
    ("\x1b[7~", "home"),
    ("\x1b[8~", "end"),
]


def keys(text: str) -> list[str]:
    parser = SessionParser()
    events = parser.feed_text(text) + parser.tick_events() + parser.flush_escape()
    return [str(getattr(event, "key", type(event).__name__)) for event in events]


@pytest.mark.parametrize(("sequence", "key"), SEQUENCES)
def test_sequence_is_one_key(sequence: str, key: str) -> None:
    assert keys(sequence) == [key]


def test_sequences_typed_together_stay_apart() -> None:
    assert keys("\x1b[4~\x1b[1~\x1b[11~\r") == ["end", "home", "f1", "enter"]


def test_alt_letter_is_escape_then_the_letter() -> None:
    assert keys("\x1bx") == ["escape", "x"]
