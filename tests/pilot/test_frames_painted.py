"""Frames painted without rendering hidden lines (``portal.ssh.textual_render``) show
exactly what Textual's own painting shows, on every screen of a session's menu, at two
sizes, with a dialog over a screen, and for partial updates."""

from __future__ import annotations

from typing import Any

from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget

from portal.ssh import textual_render
from tests.pilot.style_helpers import each_menu_screen


def _both(screen: Screen[Any], crop: Region, lines: set[int] | None) -> tuple[Any, Any]:
    compositor = screen._compositor
    rendered = (lambda y: True) if lines is None else lines.__contains__
    shown = textual_render._render_shown_chops(compositor, crop, rendered)
    textuals = textual_render._TEXTUAL_RENDER_CHOPS(compositor, crop, rendered)
    return _lines(shown, lines), _lines(textuals, lines)


def _lines(chops: Any, lines: set[int] | None) -> list[list[tuple[int, list[Any]]]]:
    """Each rendered line's pieces: (cut, segments), text and style both compared."""
    return [
        [(cut, list(strip)) for cut, strip in chop.items() if isinstance(strip, Strip)]
        for y, chop in enumerate(chops)
        if lines is None or y in lines
    ]


async def test_every_screen_is_painted_as_textual_paints_it(app_for) -> None:  # type: ignore[no-untyped-def]
    textual_render.paint_only_what_shows()
    textual_render.paint_only_what_shows()  # idempotent
    for size in ((80, 24), (160, 48)):
        app = app_for("alice")
        async with app.run_test(size=size) as pilot:
            seen = 0
            async for screen in each_menu_screen(app, pilot):
                full = screen._compositor.size.region
                shown, textuals = _both(screen, full, None)
                assert shown == textuals, (type(screen).__name__, size)
                assert all(all(piece for piece in line) for line in shown)
                # A partial update: a band of lines across the middle, and one line.
                width, height = size
                band = Region(0, height // 3, width, 4)
                shown, textuals = _both(screen, band, set(band.line_range))
                assert shown == textuals
                one = Region(2, 3, width // 2, 1)
                shown, textuals = _both(screen, one, {3})
                assert shown == textuals
                seen += 1
            assert seen >= 6


async def test_a_dialog_over_a_screen_is_painted_as_textual_paints_it(app_for) -> None:  # type: ignore[no-untyped-def]
    from portal.widgets.dialogs import ConfirmDialog

    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(ConfirmDialog("Vider le panier ?", "Vider"))
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        shown, textuals = _both(dialog, dialog._compositor.size.region, None)
        assert shown == textuals


async def test_hidden_lines_are_not_rendered(app_for) -> None:  # type: ignore[no-untyped-def]
    """The home screen's containers under their children: not rendered at all."""
    textual_render.paint_only_what_shows()
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        rendered: list[Any] = []
        original = Widget.render_lines

        def spy(self: Widget, crop: Region) -> list[Strip]:
            rendered.append(self)
            return original(self, crop)

        Widget.render_lines = spy  # type: ignore[method-assign]
        try:
            screen._compositor.render_full_update()
        finally:
            Widget.render_lines = original  # type: ignore[method-assign]
        assert screen.query_one("#home-body") not in rendered
        assert screen not in rendered
        assert screen.query_one("#home") in rendered  # its padding shows
        assert screen.query_one("#menu-help") in rendered
