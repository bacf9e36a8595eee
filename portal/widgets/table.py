"""A data table that shows strings as the text they are, and uses the width it is given.

Textual's ``DataTable`` reads every ``str`` cell as markup, so a member named
``[bold]Eve[/]`` would be drawn bold, and a stray ``[`` in a name can even break the
row. Cells come from data that people typed, so this table wraps each string in a plain
``Text`` first. Screens that want styling pass ``Text`` or ``Content`` cells themselves.

Two layout rules hold for every screen, so that no screen computes widths itself:

- **Stretch.** Textual sizes columns to their content, which leaves a narrow block on
  the left of a wide terminal. Here, when the table is wider than its columns need, the
  spare cells go to the *flexible* column(s) — the free text: a name, a label, a
  description. A screen names them with ``add_column(..., flex=True)``; when it names
  none, the widest text column stretches. The widths are recomputed on every render, so
  a resize (or a scrollbar appearing) is followed at once, and a column is never made
  narrower than it would be without stretching.
- **Amounts right-aligned.** ``add_column(..., kind=AMOUNT)`` aligns the header and every
  cell of the column on the right (money, quantities, counts), whatever the cell is
  (``str``, ``int``, ``Text``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from rich.text import Text
from textual.content import Content
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widgets import DataTable as _TextualDataTable
from textual.widgets.data_table import CellType, Column, ColumnKey, RowKey

__all__ = ["AMOUNT", "TEXT", "ColumnKind", "DataTable", "plain"]

ColumnKind = Literal["text", "amount"]
TEXT: ColumnKind = "text"
"""A column of words: left-aligned, may stretch."""
AMOUNT: ColumnKind = "amount"
"""A column of amounts, quantities or counts: right-aligned, header included."""


def plain(value: Any) -> Any:
    """A string as literal text (other cells unchanged); cut text ends with "…".

    An unstyled ``Content`` becomes the same plain ``Text``: Textual cannot measure a
    ``Content`` cell, so its column would not widen to fit it.
    """
    if isinstance(value, Content) and not value.spans:
        value = value.plain
    return Text(value, end="", overflow="ellipsis") if isinstance(value, str) else value


def _right(value: Any) -> Any:
    """A cell of an amount column, aligned right (``None`` stays an empty cell)."""
    if value is None:
        return None
    if isinstance(value, Text):
        text = value.copy()
    elif isinstance(value, str | Content):
        text = plain(value.plain if isinstance(value, Content) else value)
    elif isinstance(value, int | float):
        text = Text(str(value), end="")
    else:
        return value  # another renderable: it aligns itself
    text.justify = "right"
    return text


@dataclass
class _Layout:
    """How one column takes part in stretching."""

    kind: ColumnKind
    flex: bool
    width: int | None
    """The width the screen asked for (the flexible column's minimum), or None: content."""


def _apply_widths(table: DataTable, widths: dict[ColumnKey, int | None]) -> None:
    """Give columns fixed widths (None: back to fitting their content), and make Textual
    draw and scroll with them.

    The ONE place that touches Textual's private ``DataTable`` state (pinned by
    ``tests/pilot/test_table_width.py::test_textual_internals_still_fit``):

    - ``Column.width``/``auto_width`` are public fields, but Textual caches rendered cells
      and lines keyed by ``_update_count``; bumping it (as Textual does on resize) and
      ``_clear_caches()`` drop the drawings made at the old widths.
    - the virtual width (what the horizontal scrollbar follows) is the sum of the column
      render widths plus the row-label column (``_row_label_column_width``), as
      ``DataTable._update_dimensions`` computes it once rows are measured.
    """
    for key, width in widths.items():
        column = table.columns[key]
        column.auto_width = width is None
        column.width = column.content_width if width is None else width
    table._update_count += 1
    table._clear_caches()
    total = sum(c.get_render_width(table) for c in table.columns.values())
    total += table._row_label_column_width
    table.virtual_size = Size(total, table.virtual_size.height)


class DataTable(_TextualDataTable[Any]):
    """``DataTable`` without markup in string cells, stretched to its width."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._layouts: dict[ColumnKey, _Layout] = {}
        self._labelled = False
        """Whether a row has a label (Portal's tables have none: such a table is not
        stretched, the label column's width being Textual's own business)."""

    # -- columns -------------------------------------------------------------------------

    def add_column(
        self,
        label: Any,
        *,
        width: int | None = None,
        key: str | None = None,
        default: CellType | None = None,
        kind: ColumnKind = TEXT,
        flex: bool = False,
    ) -> ColumnKey:
        """Add a column.

        Args:
            label: The header; a ``str`` is shown as it is (never markup).
            width: Cells for the content, or None to fit the content. For a flexible
                column it is the minimum: the column grows past it when there is room.
            key: The column's key.
            default: The value put in rows that already exist.
            kind: ``TEXT`` or ``AMOUNT`` (right-aligned header and cells).
            flex: This column takes the table's spare width (several share it).
        """
        header = _right(label) if kind == AMOUNT else plain(label)
        if kind == AMOUNT:
            default = _right(default)
        column_key = super().add_column(header, width=width, key=key, default=default)
        self._layouts[column_key] = _Layout(kind, flex, width)
        return column_key

    def add_columns(self, *labels: Any) -> list[ColumnKey]:
        """Add text columns from labels or ``(label, key)`` pairs."""
        keys: list[ColumnKey] = []
        for label in labels:
            if isinstance(label, tuple):
                keys.append(self.add_column(label[0], key=label[1]))
            else:
                keys.append(self.add_column(label))
        return keys

    def remove_column(self, column_key: ColumnKey | str) -> None:
        super().remove_column(column_key)
        self._layouts.pop(ColumnKey(column_key) if isinstance(column_key, str) else column_key)

    def clear(self, columns: bool = False) -> DataTable:
        super().clear(columns)
        self._labelled = False
        if columns:
            self._layouts.clear()
        return self

    def kind_of(self, column_key: ColumnKey | str) -> ColumnKind:
        """The kind a column was added with."""
        key = ColumnKey(column_key) if isinstance(column_key, str) else column_key
        layout = self._layouts.get(key)
        return layout.kind if layout is not None else TEXT

    # -- cells ---------------------------------------------------------------------------

    def _cell(self, column_key: ColumnKey, value: Any) -> Any:
        return _right(value) if self.kind_of(column_key) == AMOUNT else plain(value)

    def add_row(
        self,
        *cells: CellType,
        height: int | None = 1,
        key: str | None = None,
        label: Any = None,
    ) -> RowKey:
        self._labelled = self._labelled or label is not None
        columns = [column.key for column in self.ordered_columns]
        shown = [
            self._cell(columns[i], cell) if i < len(columns) else plain(cell)
            for i, cell in enumerate(cells)
        ]
        return super().add_row(*shown, height=height, key=key, label=label)

    def update_cell(
        self,
        row_key: RowKey | str,
        column_key: ColumnKey | str,
        value: CellType,
        *,
        update_width: bool = False,
    ) -> None:
        key = ColumnKey(column_key) if isinstance(column_key, str) else column_key
        super().update_cell(row_key, column_key, self._cell(key, value), update_width=update_width)

    # -- stretching ----------------------------------------------------------------------

    def _natural_width(self, column: Column) -> int:
        """The content width a column has without stretching."""
        layout = self._layouts.get(column.key)
        if layout is None:  # not added through add_column: leave it as Textual sized it
            return column.content_width if column.auto_width else column.width
        return column.content_width if layout.width is None else layout.width

    def flexible_columns(self) -> list[Column]:
        """The columns that take the spare width: those named ``flex``, else the widest
        text column."""
        columns = self.ordered_columns
        named = [c for c in columns if (lay := self._layouts.get(c.key)) and lay.flex]
        if named:
            return named
        text = [c for c in columns if self.kind_of(c.key) == TEXT]
        if not text:
            return []
        return [max(text, key=self._natural_width)]

    def stretched_widths(self) -> dict[ColumnKey, int]:
        """The widths the flexible columns should have to fill the table's content width."""
        flexible = self.flexible_columns()
        if not flexible or (self._labelled and self.show_row_labels):
            return {}
        pad = 2 * self.cell_padding
        used = sum(self._natural_width(c) + pad for c in self.ordered_columns)
        spare = max(self.scrollable_content_region.width - used, 0)
        share, rest = divmod(spare, len(flexible))
        return {
            c.key: self._natural_width(c) + share + (1 if i < rest else 0)
            for i, c in enumerate(flexible)
        }

    def fit_columns(self) -> None:
        """Recompute the flexible columns' widths for the current size (cheap when
        nothing changed); a column that no longer stretches gets its own width back."""
        if not self.columns or self.scrollable_content_region.width <= 0:
            return
        stretched = self.stretched_widths()
        changed: dict[ColumnKey, int | None] = {}
        for key, layout in self._layouts.items():
            column = self.columns[key]
            if key in stretched:
                if column.auto_width or column.width != stretched[key]:
                    changed[key] = stretched[key]
            elif layout.width is None and not column.auto_width:
                changed[key] = None  # stretched earlier: fit the content again
            elif layout.width is not None and column.width != layout.width:
                changed[key] = layout.width
        if changed:
            _apply_widths(self, changed)

    def render_lines(self, crop: Region) -> list[Strip]:
        # Every frame checks the widths against the size it is drawn at: resizes, a
        # scrollbar that appears and rows that arrive are all followed without a hook.
        self.fit_columns()
        return super().render_lines(crop)
