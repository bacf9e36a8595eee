"""Below 80×24 the app shows "terminal too small" instead of clipped screens, and the
member is back where they were once the window is large enough; colours follow the
client (and the member's monochrome preference) with every state still visible."""

from __future__ import annotations

from sqlite_utils import Database

from portal.app import PortalApp, TerminalInfo, color_system_for, make_app
from portal.data import members as members_data
from portal.screens.home import HomeScreen
from portal.screens.too_small import TooSmallScreen
from portal.services.runtime import Services
from portal.widgets.colours import WithoutColour
from tests.typography import fr


def _alice(services: Services, db: Database, info: TerminalInfo | None = None) -> PortalApp:
    member = members_data.get_member_by_login(db, "alice")
    assert member is not None
    return make_app(services, member, ip="127.0.0.1", terminal_info=info)


def _text(app: PortalApp) -> str:
    return " ".join(str(w.render()) for w in app.screen.query("Static"))


async def test_too_small_below_80_by_24_and_back_where_the_member_was(
    services: Services, db: Database
) -> None:
    app = _alice(services, db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("down", "down")
        before = app.screen
        highlighted = before.query_one("#menu").highlighted  # type: ignore[attr-defined]

        await pilot.resize_terminal(79, 24)
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)
        assert fr("Terminal trop petit : 79×24, il faut au moins 80×24") in _text(app)

        await pilot.resize_terminal(80, 23)
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)
        assert "80×23" in _text(app)
        assert sum(isinstance(s, TooSmallScreen) for s in app.screen_stack) == 1

        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.pause()
        assert app.screen is before
        assert not any(isinstance(s, TooSmallScreen) for s in app.screen_stack)
        assert before.query_one("#menu").highlighted == highlighted  # type: ignore[attr-defined]


async def test_too_small_from_the_start(services: Services, db: Database) -> None:
    app = _alice(services, db)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)
        assert "60×20" in _text(app)
        await pilot.resize_terminal(200, 60)
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


def test_colour_system_follows_the_client() -> None:
    assert color_system_for(TerminalInfo(term="xterm")) == "standard"
    assert color_system_for(TerminalInfo(term="screen")) == "standard"
    assert color_system_for(TerminalInfo(term="linux")) == "standard"
    assert color_system_for(TerminalInfo(term="xterm-256color")) == "256"
    assert color_system_for(TerminalInfo(term="tmux-256color")) == "256"
    assert color_system_for(TerminalInfo(term="xterm", colorterm="truecolor")) == "truecolor"
    assert color_system_for(TerminalInfo(term="xterm-256color", colorterm="24bit")) == "truecolor"
    assert color_system_for(TerminalInfo(term="dumb")) is None
    assert color_system_for(TerminalInfo(term="xterm-256color", no_color=True)) is None


async def test_without_colour_the_focused_row_is_in_reverse(
    services: Services, db: Database
) -> None:
    app = _alice(services, db, TerminalInfo(no_color=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.no_color
        assert any(isinstance(f, WithoutColour) for f in app._filters)
        menu = app.screen.query_one("#menu")
        style = menu.get_component_rich_style("option-list--option-highlighted")
        assert style.reverse


async def test_monochrome_preference_switches_live(services: Services, db: Database) -> None:
    app = _alice(services, db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not app.no_color
        app.set_monochrome(True)
        await pilot.pause()
        assert app.no_color
        assert any(isinstance(f, WithoutColour) for f in app._filters)
        app.set_monochrome(False)
        await pilot.pause()
        assert not app.no_color
        assert not any(isinstance(f, WithoutColour) for f in app._filters)


async def test_monochrome_preference_from_the_contact_screen(
    services: Services, db: Database
) -> None:
    from textual.widgets import Checkbox

    from portal.data import display as display_data
    from tests.pilot.test_contact_screen import open_contact, settle

    app = _alice(services, db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert not app.no_color
        await open_contact(app, pilot)
        box = app.screen.query_one("#monochrome", Checkbox)
        assert box.value is False
        box.focus()
        await pilot.press("space")
        await settle(app, pilot)
        assert app.no_color and app.monochrome
        assert display_data.get_monochrome(db, app.member.id) is True

    # The next session starts without colours too.
    again = _alice(services, db)
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(again, pilot)
        assert again.no_color
        await open_contact(again, pilot)
        box = again.screen.query_one("#monochrome", Checkbox)
        assert box.value is True
        box.focus()
        await pilot.press("space")
        await settle(again, pilot)
        assert not again.no_color
        assert display_data.get_monochrome(db, again.member.id) is False
