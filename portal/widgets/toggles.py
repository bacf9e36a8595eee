"""Check boxes and radio buttons that show their state without colour.

Textual draws ``▐X▌`` (``▐●▌``) whether the box is on or off and tells them apart by
colour only, which is unreadable with NO_COLOR or on a monochrome terminal: a member
could not see whether they accepted the conditions of sale. These draw the mark only
when on.
"""

from __future__ import annotations

from textual.widgets import Checkbox as _Checkbox
from textual.widgets import RadioButton as _RadioButton


class Checkbox(_Checkbox):
    """A check box drawn ``▐X▌`` when ticked and ``▐ ▌`` when not."""

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # noqa: N802 - Textual reads it
        return "X" if self.value else " "


class RadioButton(_RadioButton):
    """A radio button drawn ``▐●▌`` when chosen and ``▐ ▌`` when not."""

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # noqa: N802 - Textual reads it
        return "\u25cf" if self.value else " "
