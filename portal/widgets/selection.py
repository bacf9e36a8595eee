"""A selection list that shows each row's state without colour.

Textual's ``SelectionList`` draws ``▐X▌`` in front of every row, ticked or not, and tells
them apart by colour only: with NO_COLOR, on a monochrome terminal or for a colour-blind
member, the member picker and the voucher list looked all ticked. This one draws the
mark only on ticked rows (``▐X▌`` / ``▐ ▌``), like ``portal.widgets.toggles``.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import SelectionList as _SelectionList
from textual.widgets.option_list import OptionDoesNotExist
from textual.widgets.selection_list import SelectionType

TICKED = "X"
"""The mark inside the box of a ticked row."""
UNTICKED = " "
"""The inside of the box of a row that is not ticked."""


class SelectionList(_SelectionList[SelectionType]):
    """Textual's selection list, with the mark drawn only on ticked rows."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        _, scroll_y = self.scroll_offset
        try:
            selection = self.get_option_at_index(scroll_y + y)
        except OptionDoesNotExist:
            return strip
        segments = list(strip)
        # Textual's line starts with its button's left side, inside ("X") and right side,
        # one cell each: replace the inside (same width, same style) by this row's mark.
        if len(segments) < 3 or segments[1].cell_length != 1:
            return strip
        mark = TICKED if selection.value in self._selected else UNTICKED
        text, style, control = segments[1]
        segments[1] = Segment(mark, style, control)
        return Strip(segments, strip.cell_length)
