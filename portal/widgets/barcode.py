"""A Code 128 barcode drawn in the terminal with half blocks, readable by a scanner.

Each cell holds two modules side by side (``▌``, ``▐``, ``█``, space), so a 16-digit
e-card number (123 modules, Code C) with its 10-module quiet zones fits in 72 columns of
an 80x24 terminal. Like the QR code widget, the glyphs draw the *light* modules in white
on black: dark bars on a light ground with colours, and still right in monochrome.
The encoding is python-barcode's (no hand-written tables).
"""

from __future__ import annotations

import barcode
from rich.text import Text
from textual.widgets import Static

from portal.widgets.qrcode import LIGHT_ON_DARK

__all__ = ["QUIET_MODULES", "Barcode", "barcode_lines", "code128_modules"]

QUIET_MODULES = 10
"""Quiet zone each side, in modules (Code 128 asks for ten)."""
_GLYPHS = {(True, True): "█", (True, False): "▌", (False, True): "▐", (False, False): " "}
"""(left light, right light) -> glyph drawn in the light colour."""


def code128_modules(data: str) -> str:
    """The Code 128 modules of ``data`` ('1' a bar), without quiet zones."""
    return str(barcode.get_barcode_class("code128")(data).build()[0])


def barcode_lines(data: str, *, height: int = 5, quiet: int = QUIET_MODULES) -> list[str]:
    """The barcode as ``height`` identical lines of half blocks (glyphs are light modules)."""
    modules = "0" * quiet + code128_modules(data) + "0" * quiet
    if len(modules) % 2:
        modules += "0"
    row = "".join(
        _GLYPHS[(modules[i] == "0", modules[i + 1] == "0")] for i in range(0, len(modules), 2)
    )
    return [row] * height


class Barcode(Static):
    """A Code 128 barcode of ``data``; it sizes itself to the code.

    Args:
        data: What the code encodes (an e-card number: it is never logged).
        height: Rows of bars.
    """

    DEFAULT_CSS = """
    Barcode {
        width: auto;
        height: auto;
    }
    """

    def __init__(
        self, data: str, *, height: int = 5, id: str | None = None, classes: str | None = None
    ) -> None:
        self.lines = barcode_lines(data, height=height)
        """The rendered lines (for tests)."""
        text = Text("\n".join(self.lines), style=LIGHT_ON_DARK, no_wrap=True, end="")
        super().__init__(text, id=id, classes=classes, markup=False)

    def __repr__(self) -> str:  # the data is a card number
        return f"Barcode(id={self.id!r})"
