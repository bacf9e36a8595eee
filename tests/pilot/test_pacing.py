"""Frame pacing and partial repaints: what keeps a keystroke cheap and prompt.

Every session shares one event loop, so a keystroke's render cost and any wait before
its frame are paid by all (tests/bench/bench_ssh.py measures the effect). These tests
pin the mechanisms; they also fail if a Textual upgrade changes the internal protocol
`portal.widgets.pacing` relies on.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import OptionList

from portal.widgets import pacing
from portal.widgets.pacing import PromptFrames


@asynccontextmanager
async def _alice_home(
    app_for: Callable[[str], App[Any]],
) -> AsyncIterator[tuple[Pilot[Any], PromptFrames[Any]]]:
    """Alice's app at 80×24 on its home screen, which draws with prompt frames."""
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PromptFrames)
        yield pilot, screen


async def test_a_key_after_a_quiet_period_is_drawn_at_once(app_for) -> None:  # type: ignore[no-untyped-def]
    async with _alice_home(app_for) as (pilot, screen):
        menu = screen.query_one("#menu", OptionList)
        before = screen.prompt_frames
        screen._last_frame = 0.0  # nothing drawn for a long time
        await pilot.press("down")
        assert menu.highlighted == 1
        assert screen.prompt_frames == before + 1
        assert time.monotonic() - screen._last_frame < 60  # and it counts as a frame


async def test_keys_within_one_frame_period_wait_for_the_timer(app_for, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(pacing, "FRAME_PERIOD", 3600.0)  # every frame is "recent"
    async with _alice_home(app_for) as (pilot, screen):
        before = screen.prompt_frames
        screen._last_frame = time.monotonic()
        await pilot.press("down", "down")
        await pilot.pause()
        assert screen.prompt_frames == before  # the timer draws: at most one frame a period
        assert screen.query_one("#menu", OptionList).highlighted == 2


async def test_layout_changes_keep_the_timer(app_for) -> None:  # type: ignore[no-untyped-def]
    async with _alice_home(app_for) as (pilot, screen):
        before = screen.prompt_frames
        screen._last_frame = 0.0
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert screen.prompt_frames == before


async def test_moving_the_highlight_repaints_what_a_full_repaint_would(app_for) -> None:  # type: ignore[no-untyped-def]
    """The menu repaints only the two lines that changed: the result must be the same
    as repainting the whole widget (a stale highlight would show here)."""
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        menu = app.screen.query_one("#menu", OptionList)
        for keys in (("down",), ("down", "down"), ("up",), ("end",), ("home",)):
            await pilot.press(*keys)
            await pilot.pause()
            partial = app.export_screenshot()
            menu.refresh()
            await pilot.pause()
            assert app.export_screenshot() == partial, keys


async def test_moving_in_the_benefits_table_needs_no_layout(app_for, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The detail panel's size is fixed by the layout: a new text is only repainted, so
    the frame is drawn at once (a layout pass would wait for the timer, and cost more)."""
    monkeypatch.setattr(pacing, "FRAME_PERIOD", 0.0)
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")  # Mes avantages
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert type(screen).__name__ == "BenefitsScreen" and isinstance(screen, PromptFrames)
        layouts = 0
        lay_out = screen._refresh_layout

        def counted(*args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            nonlocal layouts
            layouts += 1
            lay_out(*args, **kwargs)

        screen._refresh_layout = counted  # type: ignore[method-assign]
        before = screen.prompt_frames
        await pilot.press("down")
        await pilot.pause()
        assert screen.prompt_frames > before
        assert layouts == 0
        panel = str(screen.query_one("#benefits-detail").render())
        assert "Subvention loisirs 2026" in panel


async def test_the_help_panel_follows_the_highlight_in_the_same_frame(app_for) -> None:  # type: ignore[no-untyped-def]
    """The help text changes with the highlight, in one frame: the bench's keystroke
    latency is the time to the complete screen, not to the first half of it."""
    async with _alice_home(app_for) as (pilot, screen):
        help_panel = screen.query_one("#menu-help")
        assert "mot de passe" in str(help_panel.render())  # Mon compte, from the start
        frames = 0
        draw = screen._on_timer_update

        def counted() -> None:
            nonlocal frames
            frames += 1
            draw()

        screen._on_timer_update = counted  # type: ignore[method-assign]
        await pilot.press("down")
        await pilot.pause()
        assert "adresse" in str(help_panel.render())  # Mes coordonnées & préférences
        assert frames == 1


async def test_layout_frames_of_two_sessions_are_not_drawn_back_to_back(app_for) -> None:  # type: ignore[no-untyped-def]
    async with _alice_home(app_for) as (pilot, screen):
        # A later layout (a keystroke's) never waits for another session's frame.
        screen._layout_required = True
        pacing._layout_frames.ended = time.monotonic()  # another session's just ended
        screen._on_timer_update()
        assert not screen._layout_required
        # A first frame (the whole screen to lay out) waits for the next tick.
        screen._drawn = False
        screen._layout_required = True
        pacing._layout_frames.ended = time.monotonic()
        screen._on_timer_update()
        assert screen._layout_required and not screen._drawn
        pacing._layout_frames.ended = time.monotonic() - pacing.LAYOUT_GAP
        screen._on_timer_update()
        assert not screen._layout_required and screen._drawn  # drawn now
        assert time.monotonic() - pacing._layout_frames.ended < pacing.LAYOUT_GAP
        await pilot.resize_terminal(100, 30)  # and a real layout still reaches the screen
        await pilot.pause()
        assert screen.size.width == 100
