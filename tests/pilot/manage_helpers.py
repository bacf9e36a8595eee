"""Helpers of the management console's Pilot tests."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, OptionList, Static


async def settle(pilot: Pilot[Any]) -> None:
    """Let workers finish and the screen redraw."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def choose(pilot: Pilot[Any], menu_id: str, option_id: str) -> None:
    """Highlight an option of a menu by id and press Enter."""
    menu = pilot.app.screen.query_one(f"#{menu_id}", OptionList)
    menu.focus()
    menu.highlighted = next(
        i for i in range(menu.option_count) if menu.get_option_at_index(i).id == option_id
    )
    await pilot.press("enter")
    await settle(pilot)


async def open_management(pilot: Pilot[Any], entry: str | None = None) -> None:
    """From home, open the management home, then one of its entries."""
    await choose(pilot, "menu", "manage")
    assert type(pilot.app.screen).__name__ == "ManageHomeScreen"
    if entry is not None:
        await choose(pilot, "manage-menu", entry)


def table_rows(app: Any, table_id: str) -> list[list[str]]:
    table = app.screen.query_one(f"#{table_id}", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def text_of(app: Any, widget_id: str) -> str:
    return str(app.screen.query_one(f"#{widget_id}", Static).render())


def options(app: Any, menu_id: str) -> list[str]:
    menu = app.screen.query_one(f"#{menu_id}", OptionList)
    return [str(menu.get_option_at_index(i).prompt) for i in range(menu.option_count)]
