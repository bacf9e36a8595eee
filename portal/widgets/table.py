"""A data table that shows strings as the text they are.

Textual's ``DataTable`` reads every ``str`` cell as markup, so a member named
``[bold]Eve[/]`` would be drawn bold, and a stray ``[`` in a name can even break the
row. Cells come from data that people typed, so this table wraps each string in a plain
``Text`` first. Screens that want styling pass ``Text`` or ``Content`` cells themselves.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable as _TextualDataTable
from textual.widgets.data_table import CellType, ColumnKey, RowKey

__all__ = ["DataTable", "plain"]


def plain(value: Any) -> Any:
    """A string as literal text (other cells unchanged)."""
    return Text(value, end="") if isinstance(value, str) else value


class DataTable(_TextualDataTable[Any]):
    """``DataTable`` without markup in string cells."""

    def add_row(
        self,
        *cells: CellType,
        height: int | None = 1,
        key: str | None = None,
        label: Any = None,
    ) -> RowKey:
        return super().add_row(
            *(plain(cell) for cell in cells), height=height, key=key, label=label
        )

    def update_cell(
        self,
        row_key: RowKey | str,
        column_key: ColumnKey | str,
        value: CellType,
        *,
        update_width: bool = False,
    ) -> None:
        super().update_cell(row_key, column_key, plain(value), update_width=update_width)
