"""The footer's keys: drawn by one widget, the same as Textual's footer draws them.

``PortalFooter`` draws its keys itself where Textual's footer mounts a widget per key
and re-composes itself on every change of bindings. The keys shown, and each key's
text, must be exactly those of Textual's own ``Footer`` (translated), whatever the
focus: these tests fail if a Textual upgrade changes what ``portal.widgets.footer``
relies on.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.console import Console
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, OptionList
from textual.widgets._footer import FooterKey

from portal.i18n import use_language
from portal.widgets.footer import PortalFooter, describe


def _keys(footer: Footer) -> list[tuple[str, str, str, str, bool, bool, str]]:
    return [
        (
            key.key,
            key.key_display,
            key.description,
            key.action,
            key.has_class("-disabled"),
            key.has_class("-compact"),
            str(key.tooltip or ""),
        )
        for key in footer.query(FooterKey)
    ]


def _our_keys(footer: PortalFooter) -> list[tuple[str, str, str, str, bool, bool, str]]:
    return [
        (
            key.key,
            key.key_display,
            key.description,
            key.action,
            not key.enabled,
            footer.compact,
            key.tooltip,
        )
        for key in footer.shown
    ]


class _Field(Input):
    """Two keys of its own (one with a description Textual's footer groups by action)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "clear", "Clear"),
        Binding("f6", "check", "Check", key_display="F6"),
        Binding("f7", "check", "Check again"),  # same action: Footer shows the first
    ]


class _Go(Button):
    """One key of its own, and one that replaces the screen's "f2" (other description)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f8", "go", "Go there"),
        Binding("f2", "send", "Send"),
    ]


class _Both(Screen[None]):
    """A screen with Textual's footer and ours, to compare what each shows."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "save", "Save", id="t.save"),
        Binding("f3", "hidden", "Hidden", show=False),
        Binding("f4", "greyed", "Greyed", tooltip="Not now"),
        Binding("escape", "back", "Back"),
    ]
    greyed_enabled = True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "greyed":
            return True if self.greyed_enabled else None  # None: shown disabled
        return True

    def compose(self) -> ComposeResult:
        yield _Field(id="field")
        yield _Go("Go", id="go")
        yield OptionList("a", "b", id="list")
        yield Footer(id="textual")
        yield PortalFooter(id="ours")


class _BothApp(App[None]):
    ENABLE_COMMAND_PALETTE = False  # as Portal's apps (with it, Textual's own compose)

    def on_mount(self) -> None:
        self.push_screen(_Both())


shown: list[list[str]] = []
"""The keys each comparison saw (the test checks they varied)."""


async def _assert_same(app: _BothApp, pilot: Any) -> None:
    await pilot.pause()
    await pilot.pause()
    textual = app.screen.query_one("#textual", Footer)
    ours = app.screen.query_one("#ours", PortalFooter)
    expected = [(k, d, describe(t) if t else t, *rest) for k, d, t, *rest in _keys(textual)]
    assert expected, "Textual's footer shows no key: the comparison would prove nothing"
    shown.append([key for key, *_ in expected])
    assert _our_keys(ours) == expected
    # Each key drawn as Textual's FooterKey draws it, with Textual's gap before it.
    line = ours.render()
    ours_end = theirs_end = 0
    for key, (_shown, start, end) in zip(textual.query(FooterKey), ours.spans(), strict=True):
        theirs = key.render()
        assert isinstance(theirs, Text)
        drawn = theirs.plain.replace(key.description, describe(key.description))
        assert line.plain[start:end] == drawn, (key.key, line.plain)
        x = key.region.x - textual.region.x
        assert start - ours_end == x - theirs_end, (key.key, line.plain)
        ours_end, theirs_end = end, x + key.region.width


async def test_the_footer_shows_what_textuals_footer_shows() -> None:
    use_language("en")
    shown.clear()
    app = _BothApp()
    async with app.run_test(size=(120, 24)) as pilot:
        await _assert_same(app, pilot)
        for widget_id in ("go", "list", "field"):  # each brings its own bindings
            app.screen.query_one(f"#{widget_id}").focus()
            await _assert_same(app, pilot)
        screen = app.screen
        assert isinstance(screen, _Both)
        for widget_id in ("go", "list", "field", "list"):  # changes before mounts end
            screen.set_focus(screen.query_one(f"#{widget_id}"))
            screen.refresh_bindings()
        await _assert_same(app, pilot)
        screen.greyed_enabled = False  # a key greyed out, then back
        screen.refresh_bindings()
        await _assert_same(app, pilot)
        screen.greyed_enabled = True
        screen.refresh_bindings()
        await _assert_same(app, pilot)
        app.screen.query_one("#textual", Footer).compact = True
        app.screen.query_one("#ours", PortalFooter).compact = True
        await _assert_same(app, pilot)
        use_language("fr")  # in place, the descriptions follow the language
        screen.refresh_bindings()
        await _assert_same(app, pilot)
        assert "Enregistrer" in str(_our_keys(app.screen.query_one("#ours", PortalFooter)))
    assert len({len(keys) for keys in shown}) >= 3  # keys added, removed, replaced


HOME_KEYS = [
    ("enter", "Ouvrir"),
    ("1", "Accès direct"),
    ("ctrl+q", "Se déconnecter"),
    ("f1", "Aide"),
]


async def test_home_keys_are_drawn_on_one_line(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(PortalFooter)
        assert not footer.children  # no widget per key
        assert [(k.key, k.description) for k in footer.shown] == HOME_KEYS
        assert footer.render().plain == " ⏎ Ouvrir  1-9 Accès direct  ^q Se déconnecter  F1 Aide "
        app.screen.refresh_bindings()  # the same bindings: nothing to do
        await pilot.pause()
        assert [(k.key, k.description) for k in footer.shown] == HOME_KEYS
        await pilot.press("4")  # the shop: its own keys, "Back" among them
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "escape" in [k.key for k in app.screen.query_one(PortalFooter).shown]
        await pilot.press("escape")
        await pilot.pause()
        assert [(k.key, k.description) for k in footer.shown] == HOME_KEYS


async def test_a_click_presses_the_key_and_the_mouse_highlights_it(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(PortalFooter)
        spans = {key.key: (start, end) for key, start, end in footer.spans()}
        start, end = spans["f1"]
        await pilot.hover(PortalFooter, offset=(start + 1, 0))
        await pilot.pause()
        assert footer._hover == 3
        console = Console()
        line = footer.render()
        hovered = {line.get_style_at_offset(console, x).bgcolor for x in range(start, end)}
        other = {line.get_style_at_offset(console, x).bgcolor for x in range(*spans["enter"])}
        assert len(hovered) == 1 and hovered != other  # the whole key, highlighted
        await pilot.hover(PortalFooter, offset=(79, 0))  # past the last key
        await pilot.pause()
        assert footer._hover is None
        await pilot.click(PortalFooter, offset=(start + 1, 0))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"


async def test_a_click_on_a_greyed_key_rings_the_bell(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    use_language("en")
    app = _BothApp()
    rung: list[bool] = []
    async with app.run_test(size=(120, 24)) as pilot:
        await pilot.pause()
        monkeypatch.setattr(app, "bell", lambda: rung.append(True))
        screen = app.screen
        assert isinstance(screen, _Both)
        screen.greyed_enabled = False
        screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        footer = screen.query_one("#ours", PortalFooter)
        greyed = next((start, key) for key, start, _ in footer.spans() if key.key == "f4")
        assert not greyed[1].enabled
        assert greyed[1].tooltip == "Not now"
        await pilot.click(footer, offset=(greyed[0] + 1, 0))
        await pilot.pause()
        assert rung == [True]
        line = footer.render()
        start, end = next((s, e) for k, s, e in footer.spans() if k.key == "f4")
        console = Console()
        assert all(line.get_style_at_offset(console, x).dim for x in range(start, end))
        assert not line.get_style_at_offset(console, 0).dim
