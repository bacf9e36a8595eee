"""A session's first screen: drawn once, whole, without restyling it for nothing.

``PromptFrames`` (``portal.widgets.pacing``) draws a screen's first frame once, and a
frame held by a batch after it; ``FramedScreen`` (``portal.screens.base``) skips the
restyle Textual does when a screen is first shown. These tests pin both, and fail if a
Textual upgrade changes what they rely on (tests/bench/bench_appstart.py measures them).
"""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from textual.app import App
from textual.screen import Screen

from portal.screens.base import FramedScreen
from tests.pilot.style_helpers import each_menu_screen, node_styles


class _Channel:
    """What the SSH driver draws on: keeps what it is sent."""

    size = (80, 24)
    input_limits = None

    def __init__(self) -> None:
        self.sent: list[str] = []

    def write(self, data: str) -> None:
        self.sent.append(data)

    def attach(self, driver: object) -> None:
        pass

    def close(self, farewell: str | None = None) -> None:
        pass


def _release(future: Any) -> None:
    if not future.done():
        future.set_result(None)


async def _settled(app: App[Any]) -> None:
    """Wait until the app handled everything and drew what followed (three rounds)."""
    import asyncio

    from portal.ssh.textual_compat import first_pending

    for _ in range(3):
        while (waiter := first_pending(app)) is not None:
            await waiter
        drawn = asyncio.get_running_loop().create_future()
        app.screen.call_after_refresh(_release, drawn)
        await drawn


async def test_a_session_draws_its_home_screen_once(services, db) -> None:  # type: ignore[no-untyped-def]
    """Textual drew the first screen three times: once inside the app's start (a batch:
    the frame was dropped, and what was dirty forgotten, so the client's first frame
    lacked the help panel), then a partial frame and a full one in the same tick. Now
    the client gets one frame, the whole home screen."""
    import asyncio

    import pyte

    from portal.app import make_app
    from portal.data import members as members_data
    from portal.ssh.driver import SSHDriver

    member = members_data.get_member_by_login(db, "alice")
    channel = _Channel()
    app = make_app(services, member, terminal=channel, driver_class=SSHDriver)
    drawn = asyncio.Event()
    app.on_first_frame = drawn.set
    task = asyncio.create_task(app.run_async(mouse=True, size=channel.size))
    await asyncio.wait_for(drawn.wait(), 15)
    await app.workers.wait_for_complete()
    await _settled(app)
    frames = [data for data in channel.sent if data.startswith("\x1b[1;1H")]
    partial = [data for data in channel.sent if data.startswith("\x1b[") and "H" in data[:9]]
    app.exit(0)
    await asyncio.wait_for(task, 15)
    assert len(frames) == 1 and partial == frames, [d[:12] for d in partial]
    screen = pyte.Screen(80, 24)
    pyte.Stream(screen).feed(frames[0])
    text = "\n".join(screen.display)
    assert "Bonjour Alice" in text and "Se déconnecter" in text
    assert "Nom, identifiant" in text  # the help panel, in that same frame
    assert "Accès direct" in text  # and the footer's keys


async def test_a_frame_during_a_batch_is_drawn_after_it(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        drawn: list[RenderableType] = []
        real_display = app._display

        def display(shown: Screen[Any], renderable: RenderableType | None) -> None:
            if renderable is not None:
                drawn.append(renderable)
            real_display(shown, renderable)

        app._display = display  # type: ignore[method-assign]
        with app.batch_update():
            screen.query_one("#welcome").update("Changed in a batch")  # type: ignore[attr-defined]
            screen._refresh_layout()  # a layout (and its frame) inside the batch
            assert drawn == []
        await pilot.pause()
        await pilot.pause()
        assert drawn, "the frame held during the batch was never drawn"
        text = "\n".join(line.text for line in screen._compositor.render_strips())
        assert "Changed in a batch" in text


async def test_screens_shown_without_the_first_restyle_are_styled_right(app_for) -> None:  # type: ignore[no-untyped-def]
    """A screen shown for the first time is not restyled (``FramedScreen``): restyling
    it then must change nothing, on every screen of the menu."""
    app = app_for("admin")
    async with app.run_test(size=(80, 24)) as pilot:
        checked = []
        async for screen in each_menu_screen(app, pilot):
            assert isinstance(screen, FramedScreen) and screen._resumed
            shown = node_styles(screen)
            screen.update_node_styles(animate=False)
            assert node_styles(screen) == shown, type(screen).__name__
            checked.append(type(screen).__name__)
        assert len(checked) > 10, checked


async def test_the_home_screen_is_not_restyled_when_first_shown(app_for, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The skip itself (it would silently stop if Textual changed how it dispatches)."""
    from textual.dom import DOMNode

    from portal.screens.home import HomeScreen

    restyled: list[object] = []
    real = DOMNode.update_node_styles

    def counting(self: DOMNode, animate: bool = True) -> None:
        if isinstance(self, HomeScreen):
            restyled.append(self)
        real(self, animate)

    monkeypatch.setattr(DOMNode, "update_node_styles", counting)
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen) and app.screen._resumed
        assert restyled == []


async def test_the_screen_under_the_session_has_no_toasts_nor_tooltip(app_for) -> None:  # type: ignore[no-untyped-def]
    """The app's first screen is never shown: it goes without Textual's toast rack and
    tooltip, which every screen shown still has (a notification appears on it)."""
    from textual.widgets._toast import Toast, ToastRack
    from textual.widgets._tooltip import Tooltip

    from portal.app import BaseScreen

    app = app_for("alice")
    async with app.run_test(size=(80, 24), tooltips=True, notifications=True) as pilot:
        await pilot.pause()
        base = app.screen_stack[0]
        assert isinstance(base, BaseScreen) and base.id == "_default"
        assert not base.query(ToastRack) and not base.query(Tooltip)
        home = app.screen
        assert home is not base and home.query(ToastRack) and home.query(Tooltip)
        app.notify("Votre commande est prête.")
        await pilot.pause()
        await pilot.pause()
        assert "Votre commande est prête." in str(home.query_one(Toast).render())
