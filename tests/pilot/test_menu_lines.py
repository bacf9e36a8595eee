"""The home menu's entries are rendered once per process (``SectionMenu``): the next
session's menu reuses the lines of the first, and what differs (language, highlight,
width, theme) gets lines of its own."""

from __future__ import annotations

from typing import Any

from textual.widgets import OptionList

from portal.screens import home


def _menu_lines(app: Any) -> list[str]:
    menu = app.screen.query_one("#menu", OptionList)
    return [strip.text for strip in menu.render_lines(menu.region.reset_offset)]


async def test_a_second_session_reuses_the_menu_lines(app_for) -> None:  # type: ignore[no-untyped-def]
    home._OPTION_LINES.clear()
    first = app_for("alice")
    async with first.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        seen = _menu_lines(first)
        kept = {key: home._OPTION_LINES.get(key) for key in home._OPTION_LINES.keys()}  # noqa: SIM118 (not iterable)
        assert kept and any("Boutique" in line for line in seen)
    second = app_for("alice")
    async with second.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert _menu_lines(second) == seen
        # Nothing rendered again: the same lines, the very same objects.
        assert set(home._OPTION_LINES.keys()) == set(kept)
        assert all(home._OPTION_LINES.get(key) is strips for key, strips in kept.items())
        menu = second.screen.query_one("#menu", OptionList)
        await pilot.press("down")  # the next entry highlighted: its lines are its own
        await pilot.pause()
        assert menu.highlighted == 1
        moved = _menu_lines(second)
        assert [line.strip() for line in moved] == [line.strip() for line in seen]
        assert len(home._OPTION_LINES) > len(kept)
        before = len(home._OPTION_LINES)
        second.theme = "textual-light"  # another theme: other colours, other lines
        await pilot.pause()
        await pilot.pause()
        assert _menu_lines(second) == moved  # the same text...
        assert len(home._OPTION_LINES) > before  # ...in lines of its own


async def test_each_language_has_its_own_lines(app_for, db) -> None:  # type: ignore[no-untyped-def]
    from portal.data import members as members_data

    bob = members_data.get_member_by_login(db, "bob")
    assert bob is not None and bob.language == "en"
    english = app_for("bob")
    async with english.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lines = _menu_lines(english)
        assert any("Shop" in line for line in lines)
        assert not any("Boutique" in line for line in lines)
