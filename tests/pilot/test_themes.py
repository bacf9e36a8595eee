"""The app's themes, looked up and turned into CSS variables once per process
(``SessionApp.get_theme`` and ``get_css_variables``): the same answers as Textual's."""

from __future__ import annotations

from textual.app import App
from textual.theme import Theme


async def test_themes_are_found_as_textual_finds_them(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)):
        for name in ("textual-dark", "textual-light", "nord", "missing", " nord", "x, nord"):
            assert app.get_theme(name) is App.get_theme(app, name), name
        assert app.current_theme is app.get_theme(app.theme)


async def test_css_variables_are_textuals_and_follow_the_theme(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        first = app.get_css_variables()
        assert first == App.get_css_variables(app)
        assert app.get_css_variables() is not first  # each app gets its own dict
        # Another theme, and a theme registered again under the same name.
        app.theme = "textual-light"
        await pilot.pause()
        assert app.get_css_variables() == App.get_css_variables(app)
        assert app.get_css_variables()["background"] != first["background"]
        assert app.stylesheet._variables["background"] == app.get_css_variables()["background"]
        light_primary = app.get_css_variables()["primary"]
        app.register_theme(Theme(name="textual-light", primary="#ff0000", dark=False))
        assert app.get_css_variables()["primary"] != light_primary
        assert app.get_css_variables() == App.get_css_variables(app)
