"""The footer's keys: mounted once, updated in place, the same as Textual's footer.

``PortalFooter`` mounts its keys once and updates them in place where Textual's footer
re-composes itself on every change of bindings. The keys shown must be exactly those
Textual's own ``Footer`` shows (translated), whatever the focus: these tests fail if a
Textual upgrade changes what ``portal.widgets.footer`` relies on.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
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
    assert _keys(ours) == expected
    for key in ours.query(FooterKey):  # laid out again after an update in place
        if not key.has_class("-command-palette"):
            assert key.region.width == key.render().cell_len, (key.key, key.region)


@pytest.mark.parametrize("palette", [False, True], ids=["portal", "with-palette"])
async def test_the_footer_shows_what_textuals_footer_shows(palette: bool) -> None:
    use_language("en")
    shown.clear()
    app = _BothApp()
    app.ENABLE_COMMAND_PALETTE = palette  # with it: Textual's own compose, translated
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
        for footer in app.screen.query(Footer):
            footer.compact = True
        await _assert_same(app, pilot)
        use_language("fr")  # in place, the descriptions follow the language
        screen.refresh_bindings()
        await _assert_same(app, pilot)
        assert "Enregistrer" in str(_keys(app.screen.query_one("#ours", PortalFooter)))
    assert len({len(keys) for keys in shown}) >= 3  # keys added, removed, replaced


async def test_home_keys_are_mounted_once(app_for, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    recomposed: list[object] = []
    real_recompose = PortalFooter.recompose

    async def counting(self: PortalFooter) -> None:
        recomposed.append(self)
        await real_recompose(self)

    monkeypatch.setattr(PortalFooter, "recompose", counting)
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(PortalFooter)
        keys = list(footer.query(FooterKey))
        assert [(k.key, k.description) for k in keys] == [
            ("enter", "Ouvrir"),
            ("1", "Accès direct"),
            ("ctrl+q", "Se déconnecter"),
            ("f1", "Aide"),
        ]
        app.screen.refresh_bindings()  # the same bindings: nothing to do
        await pilot.pause()
        assert list(footer.query(FooterKey)) == keys
        assert recomposed == []
        await pilot.press("4")  # the shop: its own keys, "Back" among them
        await app.workers.wait_for_complete()
        await pilot.pause()
        shop_keys = [k.key for k in app.screen.query_one(PortalFooter).query(FooterKey)]
        assert "escape" in shop_keys
        await pilot.press("escape")
        await pilot.pause()
        assert [(k.key, k.description) for k in footer.query(FooterKey)] == [
            ("enter", "Ouvrir"),
            ("1", "Accès direct"),
            ("ctrl+q", "Se déconnecter"),
            ("f1", "Aide"),
        ]
