"""Colours as the client's terminal can show them, and none at all when it must not.

The app takes its colour system from what the client announced (``TERM``, ``COLORTERM``,
``NO_COLOR``), never from the server's environment; without colour, ``WithoutColour``
removes every colour code while keeping what is highlighted visible (reverse video).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import LineFilter

ColorSystem = Literal["standard", "256", "truecolor"]
"""The colour systems a client may announce (Rich's names)."""


def color_system(term: str, colorterm: str, *, no_color: bool = False) -> ColorSystem | None:
    """The colours the client's terminal announced, as a Rich colour system.

    Truecolor when ``COLORTERM`` says so, 256 colours for a ``*-256color`` TERM, none for
    ``dumb`` or under ``NO_COLOR``, and the 16 ANSI colours otherwise (``xterm``,
    ``screen``, ``linux``, ``vt100`` ...): the safe choice for a terminal that did not say.
    """
    term = term.lower()
    if no_color or term in ("", "dumb"):
        return None
    if colorterm.lower() in ("truecolor", "24bit"):
        return "truecolor"
    if term.endswith("256color") or term.endswith("256"):
        return "256"
    return "standard"


_REVERSE = Style(reverse=True)


@lru_cache(maxsize=256)
def _luminance(red: int, green: int, blue: int) -> float:
    """Relative luminance (WCAG) of a colour, 0 (black) to 1 (white)."""

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


class WithoutColour(LineFilter):
    """Remove every colour, keeping bold, underline and italic; highlights become reverse.

    Textual's own ``Monochrome`` turns colours into greys (still colour codes) and its
    ``NoColor`` sets them to the terminal's defaults (``39``/``49``); under ``NO_COLOR``
    the client must get no colour code at all. Textual shows the row under the cursor,
    the focused button, the title bar and error toasts by a background that stands out
    from the screen's (it resolves ``text-style: reverse`` into swapped colours), so a
    cell whose background is far in luminance from the screen's is drawn in reverse
    video: what is highlighted in colour stays highlighted without it.
    """

    THRESHOLD = 0.1
    """Luminance distance from the screen's background that counts as a highlight."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        base = _luminance(background.r, background.g, background.b)
        out: list[Segment] = []
        for text, style, control in segments:
            if style is None or control is not None:
                out.append(Segment(text, style, control))
                continue
            plain = style.without_color
            bgcolor = style.bgcolor
            if bgcolor is not None and not bgcolor.is_default:
                triplet = bgcolor.get_truecolor()
                if abs(_luminance(*triplet) - base) >= self.THRESHOLD:
                    plain = plain + _REVERSE
            out.append(Segment(text, plain, control))
        return out


__all__ = ["ColorSystem", "WithoutColour", "color_system"]
