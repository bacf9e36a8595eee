"""Frame pacing and partial repaints: what keeps a keystroke cheap and prompt.

Every session shares one event loop, so a keystroke's render cost and any wait before
its frame are paid by all (tests/bench/bench_ssh.py measures the effect). These tests
pin the mechanisms; they also fail if a Textual upgrade changes the internal protocol
`portal.screens.pacing` relies on.
"""

from __future__ import annotations

import time

from textual.widgets import OptionList

from portal.screens import pacing
from portal.screens.pacing import PromptFrames


async def test_a_key_after_a_quiet_period_is_drawn_at_once(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PromptFrames)
        menu = screen.query_one("#menu", OptionList)
        before = screen.prompt_frames
        screen._last_frame = 0.0  # nothing drawn for a long time
        await pilot.press("down")
        assert menu.highlighted == 1
        assert screen.prompt_frames == before + 1
        assert time.monotonic() - screen._last_frame < 60  # and it counts as a frame


async def test_keys_within_one_frame_period_wait_for_the_timer(app_for, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(pacing, "FRAME_PERIOD", 3600.0)  # every frame is "recent"
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PromptFrames)
        before = screen.prompt_frames
        screen._last_frame = time.monotonic()
        await pilot.press("down", "down")
        await pilot.pause()
        assert screen.prompt_frames == before  # the timer draws: at most one frame a period
        assert screen.query_one("#menu", OptionList).highlighted == 2


async def test_layout_changes_keep_the_timer(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PromptFrames)
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
