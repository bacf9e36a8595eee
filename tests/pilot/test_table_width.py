"""Pilot tests: tables use the terminal's width, amounts are right-aligned (issue #16).

At 200×60 a table's columns fill the table (the free-text column takes the spare
width) and an amount ends at its column's right edge; at 80×24 every header still shows;
a resize back and forth is followed.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult

from portal.widgets.table import AMOUNT, DataTable
from tests.pilot.manage_helpers import open_management, settle
from tests.pilot.test_orders import _place
from tests.unit.test_wallet_support import line

WIDE = (200, 60)
SMALL = (80, 24)


def _table(app: Any, table_id: str) -> DataTable:
    table = app.screen.query_one(f"#{table_id}", DataTable)
    assert isinstance(table, DataTable)
    return table


def _spans(table: DataTable) -> list[tuple[int, int]]:
    """Each column's ``(start, end)`` x range in the table, padding included."""
    spans, x = [], 0
    for column in table.ordered_columns:
        width = column.get_render_width(table)
        spans.append((x, x + width))
        x += width
    return spans


def _line(table: DataTable, y: int) -> str:
    """The text of line ``y`` of the table as drawn (0 is the header)."""
    return table.render_line(y).text


def assert_fills(table: DataTable) -> None:
    """The columns end (within 2 cells) at the table's right edge, without overflowing."""
    used = sum(c.get_render_width(table) for c in table.ordered_columns)
    room = table.scrollable_content_region.width
    assert room - 2 <= used <= room, (used, room)


def assert_right_aligned(table: DataTable, column_key: str, rows: int = 1) -> None:
    """The header and the first ``rows`` cells of a column end at its right edge."""
    index = [c.key.value for c in table.ordered_columns].index(column_key)
    start, end = _spans(table)[index]
    pad = table.cell_padding
    for y in range(rows + 1):
        cell = _line(table, y)[start:end]
        assert cell.strip(), (y, cell)
        assert len(cell) - pad == len(cell.rstrip()), (y, repr(cell))


def assert_headers_shown(table: DataTable) -> None:
    """Every column's header is on the header line, inside the visible width."""
    header = _line(table, 0)
    room = table.scrollable_content_region.width
    for (start, end), column in zip(_spans(table), table.ordered_columns, strict=True):
        label = column.label.plain.strip()
        assert start < room, (label, start, room)
        shown = header[start:end].strip()
        assert shown and (label.startswith(shown.rstrip("…")) or shown == label), (label, shown)


async def _resize(app: Any, pilot: Any, size: tuple[int, int]) -> None:
    await pilot.resize_terminal(*size)
    await settle(pilot)


async def _open(app: Any, pilot: Any, screen: Any) -> None:
    app.call_later(app.push_screen, screen)
    await settle(pilot)


# -- the widget itself ----------------------------------------------------------------------


class _TableApp(App[None]):
    def compose(self) -> ComposeResult:
        table: DataTable = DataTable(id="t")
        table.add_column("Code", key="code")
        table.add_column("Label", key="label")
        table.add_column("Note", key="note")
        table.add_column("Qty", key="qty", kind=AMOUNT)
        table.add_column("Total", key="total", kind=AMOUNT)
        table.add_row("A1", "A rather long label", "x", 3, "47,50 €")
        table.add_row("[bold]B2[/]", "Short", "y", 12, Text("1 234,50 €"))
        yield table


async def test_the_widest_text_column_takes_the_spare_width_and_amounts_align() -> None:
    app = _TableApp()
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        table = app.query_one("#t", DataTable)
        assert_fills(table)
        pad = 2 * table.cell_padding
        widths = {c.key.value: c.get_render_width(table) - pad for c in table.ordered_columns}
        assert widths["label"] > 150  # the widest text column took the room
        assert widths["code"] == len("[bold]B2[/]")  # the others keep their content width
        assert_right_aligned(table, "qty", rows=2)
        assert_right_aligned(table, "total", rows=2)
        assert "[bold]B2[/]" in _line(table, 2)  # a string cell is text, never markup
        await _resize(app, pilot, SMALL)
        assert_fills(table)
        assert_headers_shown(table)
        await _resize(app, pilot, WIDE)
        assert_fills(table)


class _LongApp(App[None]):
    def compose(self) -> ComposeResult:
        table: DataTable = DataTable(id="t")
        table.add_column("Name", key="name", flex=True)
        table.add_column("Total", key="total", kind=AMOUNT)
        for n in range(100):
            table.add_row(f"Member {n}", f"{n},00 €")
        yield table


async def test_the_columns_leave_room_for_the_vertical_scrollbar() -> None:
    app = _LongApp()
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        table = app.query_one("#t", DataTable)
        assert table.show_vertical_scrollbar and not table.show_horizontal_scrollbar
        assert table.scrollable_content_region.width < table.size.width
        assert_fills(table)
        assert_right_aligned(table, "total", rows=3)
        row = table.coordinate_to_cell_key((0, 1)).row_key
        table.update_cell(row, "total", "1 234,00 €", update_width=True)
        await pilot.pause()
        assert_fills(table)  # the name gave the amount the cells it needed
        assert_right_aligned(table, "total", rows=3)
        assert _line(table, 1).rstrip().endswith("1 234,00 €")


class _NarrowApp(App[None]):
    def compose(self) -> ComposeResult:
        table: DataTable = DataTable(id="t")
        table.add_column("Name", key="name", width=10, flex=True)
        table.add_column("Comment", key="comment", width=30)
        table.add_row("A name much longer than ten cells", "c")
        yield table


async def test_a_flexible_column_never_shrinks_below_its_width() -> None:
    app = _NarrowApp()
    async with app.run_test(size=(30, 10)) as pilot:
        await pilot.pause()
        table = app.query_one("#t", DataTable)
        assert table.ordered_columns[0].width == 10
        assert "…" in _line(table, 1)  # the cut name says it is cut
        await _resize(app, pilot, (100, 10))
        assert table.ordered_columns[0].width > 10
        assert_fills(table)


async def test_textual_internals_still_fit() -> None:
    """Guard for ``portal.widgets.table._apply_widths`` (the one use of Textual's private
    DataTable state): if an upgrade renames it, this fails before the screens do."""
    app = _TableApp()
    async with app.run_test(size=(120, 20)) as pilot:
        await pilot.pause()
        table = app.query_one("#t", DataTable)
        for name in ("_update_count", "_clear_caches", "_row_label_column_width"):
            assert hasattr(table, name), name
        label = table.ordered_columns[1]
        assert not label.auto_width and label.width > len("A rather long label")
        # The drawn line follows the stretched width: "Note" starts right after "Label".
        start = _spans(table)[2][0]
        assert _line(table, 0)[start:].lstrip().startswith("Note")
        assert table.virtual_size.width == sum(
            c.get_render_width(table) for c in table.ordered_columns
        )


# -- the screens -----------------------------------------------------------------------------


async def _check_resizes(app: Any, pilot: Any, table_id: str, amount: str | None) -> None:
    """At 200×60 the table fills; at 80×24 every header shows; back at 200×60 it fills."""
    table = _table(app, table_id)
    assert_fills(table)
    if amount is not None:
        assert_right_aligned(table, amount)
    await _resize(app, pilot, SMALL)
    table = _table(app, table_id)
    assert_headers_shown(table)
    await _resize(app, pilot, WIDE)
    table = _table(app, table_id)
    assert_fills(table)
    if amount is not None:
        assert_right_aligned(table, amount)


async def test_order_history_uses_the_width(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    _place(db, services, "alice", [line("Gourde isotherme", "product", "sport", 1250)])
    _place(db, services, "alice", [line("E-carte Fnac", "ecard", "culture", 4700)])
    app = app_for("alice")
    async with app.run_test(size=WIDE) as pilot:
        from portal.screens.orders import OrdersScreen

        await _open(app, pilot, OrdersScreen())
        await _check_resizes(app, pilot, "orders-table", "total")


async def test_member_list_uses_the_width(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("marc")
    async with app.run_test(size=WIDE) as pilot:
        await open_management(pilot, "members")
        await _check_resizes(app, pilot, "members-table", None)


async def test_shop_uses_the_width(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=WIDE) as pilot:
        from portal.screens.shop import ShopScreen

        await _open(app, pilot, ShopScreen())
        await _check_resizes(app, pilot, "shop-offers", "price")


async def test_manager_orders_use_the_width(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    _place(db, services, "alice", [line("Gourde isotherme", "product", "sport", 1250)])
    app = app_for("marc")
    async with app.run_test(size=WIDE) as pilot:
        from portal.screens.manage.orders import ManageOrdersScreen

        await _open(app, pilot, ManageOrdersScreen())
        await _check_resizes(app, pilot, "manage-orders-table", "total")
