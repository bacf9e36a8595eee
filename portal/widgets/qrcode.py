"""A QR code drawn in the terminal with half blocks, scannable by a phone from the screen.

Each text row holds two rows of modules (``▀``, ``▄``, ``█``, space), so a version 5 code
with its quiet zone fits in 21 lines and 41 columns: it fits an 80x24 terminal.

The glyphs draw the *light* modules (and the quiet zone), in white on black. With
colours the code reads dark-on-light as scanners expect; with NO_COLOR (Textual's
monochrome filter keeps white and black) too; and where a terminal shows no colour at
all, its usual light-on-dark text still draws light modules light and dark modules dark.

Reused by every screen that shows a code (2FA enrolment, membership card, e-tickets).
"""

from __future__ import annotations

import qrcode as qrlib
from qrcode.constants import ERROR_CORRECT_L, ERROR_CORRECT_M
from rich.style import Style
from rich.text import Text
from textual.widgets import Static

__all__ = ["QRCode", "qr_lines", "qr_matrix"]

LIGHT_ON_DARK = Style(color="#ffffff", bgcolor="#000000")
"""Fixed colours on purpose: a QR code needs true contrast whatever the theme."""
_GLYPHS = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}
"""(top light, bottom light) -> glyph drawn in the light colour."""


def qr_matrix(data: str, *, border: int = 2, error_correction: str = "L") -> list[list[bool]]:
    """The module matrix with its quiet zone; True means a dark module."""
    level = ERROR_CORRECT_L if error_correction == "L" else ERROR_CORRECT_M
    code = qrlib.QRCode(error_correction=level, border=border)
    code.add_data(data)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def qr_lines(data: str, *, border: int = 2, error_correction: str = "L") -> list[str]:
    """The code as text lines of half blocks (glyphs are light modules)."""
    matrix = qr_matrix(data, border=border, error_correction=error_correction)
    size = len(matrix)
    lines = []
    for y in range(0, size, 2):
        top = matrix[y]
        bottom = matrix[y + 1] if y + 1 < size else [False] * size
        lines.append("".join(_GLYPHS[(not t, not b)] for t, b in zip(top, bottom, strict=True)))
    return lines


class QRCode(Static):
    """A QR code of ``data``; it sizes itself to the code.

    Args:
        data: What the code encodes (a URI, a signed token...). It is never logged.
        border: Quiet zone in modules (2 is enough for phone scanners reading a screen,
            and keeps the 2FA code within 24 lines).
    """

    DEFAULT_CSS = """
    QRCode {
        width: auto;
        height: auto;
    }
    """

    def __init__(
        self,
        data: str,
        *,
        border: int = 2,
        error_correction: str = "L",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        self.lines = qr_lines(data, border=border, error_correction=error_correction)
        """The rendered lines (for tests and for text exports)."""
        text = Text("\n".join(self.lines), style=LIGHT_ON_DARK, no_wrap=True, end="")
        super().__init__(text, id=id, classes=classes, markup=False)

    def __repr__(self) -> str:  # the data may be a secret (an otpauth URI)
        return f"QRCode(id={self.id!r})"
