"""The last guard between text from the data and a person's terminal.

Names, emails, notes and reasons are typed by one person and drawn on another's screen
(a manager reads sign-ups, a member reads a refusal). Textual writes a widget's text to
the terminal as it is, so a stored ``ESC [2J`` would clear the reader's screen, an OSC 52
would write to their clipboard and a bidi override would reorder what they read. Input
validation refuses such characters (``services.text``); this line filter removes any that
got through anyway — defence in depth — from every line every widget draws, before the
driver turns lines into escape sequences. Segments that are the renderer's own control
codes (``Segment.control``) are left alone.

The removed characters all have a cell width of zero, so removing them never shifts what
is drawn after them.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from portal.services.text import UNSAFE

__all__ = ["UNSAFE", "ControlStripper", "strip_controls"]


def strip_controls(text: str) -> str:
    """``text`` without terminal control or bidi characters."""
    return UNSAFE.sub("", text) if UNSAFE.search(text) else text


class ControlStripper(LineFilter):
    """Remove control and bidi characters from the text of every drawn line."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        search = UNSAFE.search
        if not any(control is None and search(text) for text, _, control in segments):
            return segments
        sub = UNSAFE.sub
        return [
            Segment(sub("", text), style, None)
            if control is None
            else Segment(text, style, control)
            for text, style, control in segments
        ]
