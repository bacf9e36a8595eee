"""Rules matched once per node shape (``portal.ssh.textual_css.share_applied_css``): every
node of every screen is styled exactly as Textual's own matching styles it.

The sharing is installed for the whole process, as the SSH driver installs it; the
second app of the test is styled from the matches the first one left.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.css.stylesheet import Stylesheet
from textual.screen import Screen

from portal.ssh import textual_css
from tests.pilot.style_helpers import each_menu_screen, node_styles


def _restyled_by_textual(
    screen: Screen[Any], monkeypatch: pytest.MonkeyPatch
) -> dict[object, object]:
    """The same nodes, each matched again by Textual's own ``apply``."""
    with monkeypatch.context() as patched:
        patched.setattr(Stylesheet, "apply", textual_css._APPLY)
        for node in screen.walk_children(with_self=True):
            screen.app.stylesheet.apply(node)
    return node_styles(screen)


async def test_every_screen_is_styled_as_textual_styles_it(app_for, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    textual_css.share_applied_css()
    textual_css.share_applied_css()  # idempotent
    assert Stylesheet.apply is textual_css._shared_apply
    shared_before = textual_css._STATS["shared"]
    for _round in range(2):
        app = app_for("admin")
        async with app.run_test(size=(80, 24)) as pilot:
            checked = []
            async for screen in each_menu_screen(app, pilot):
                shown = node_styles(screen)
                assert _restyled_by_textual(screen, monkeypatch) == shown, type(screen).__name__
                checked.append(type(screen).__name__)
            assert len(checked) > 10, checked
    assert textual_css._STATS["shared"] > shared_before
    # The shapes kept during an update hold its nodes: none is kept once it ends.
    assert textual_css._PREFIXES == {} and textual_css._DEPTH == [0]


async def test_a_focus_change_restyles_from_the_shared_matches(app_for, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Pseudo-classes are part of a node's shape: focus moved, the styles follow."""
    from portal.screens.contact import ContactScreen

    textual_css.share_applied_css()
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.call_later(app.push_screen, ContactScreen())
        await app.workers.wait_for_complete()
        await pilot.pause()
        for _ in range(3):
            await pilot.press("tab")
            await pilot.pause()
            screen = app.screen
            assert _restyled_by_textual(screen, monkeypatch) == node_styles(screen)
