"""What the SSH layer changes in Textual for many apps in one process: CSS parsed once
per process (and theme), and escape sequences rendered per colour system."""

from __future__ import annotations

import inspect
from types import SimpleNamespace

from rich.console import Console
from rich.style import Style
from textual import active_app
from textual import markup as textual_markup
from textual.css.stylesheet import Stylesheet
from textual.strip import Strip

from portal.ssh import textual_compat, textual_css

CSS = "#menu { width: 40; color: $primary; }"


def test_textual_still_parses_through_this_method() -> None:
    params = list(inspect.signature(textual_css._PARSE_RULES).parameters)
    assert params == ["self", "css", "read_from", "is_default_rules", "tie_breaker", "scope"]
    assert "_variables" in vars(Stylesheet(variables={"a": "b"}))


def test_two_stylesheets_share_the_parsed_rules_per_theme() -> None:
    textual_css.share_parsed_css()
    textual_css.share_parsed_css()  # idempotent
    first = Stylesheet(variables={"primary": "#0178d4"})
    second = Stylesheet(variables={"primary": "#0178d4"})
    other_theme = Stylesheet(variables={"primary": "#ff0000"})
    rules = first._parse_rules(CSS, ("test.tcss", ""))
    assert second._parse_rules(CSS, ("test.tcss", "")) is rules
    themed = other_theme._parse_rules(CSS, ("test.tcss", ""))
    assert themed is not rules
    assert str(themed[0].styles.color) != str(rules[0].styles.color)


def test_new_variables_are_parsed_with_the_new_values() -> None:
    """The variables' key is kept per variables dict: Textual's ``set_variables`` gives a
    new one, and the rules parsed after it use the new values."""
    textual_css.share_parsed_css()
    sheet = Stylesheet(variables={"primary": "#0178d4"})
    blue = sheet._parse_rules(CSS, ("test.tcss", ""))
    assert sheet._parse_rules(CSS, ("test.tcss", "")) is blue
    sheet.set_variables({"primary": "#ff0000"})
    red = sheet._parse_rules(CSS, ("test.tcss", ""))
    assert str(red[0].styles.color) != str(blue[0].styles.color)
    assert "_variables" in inspect.getsource(Stylesheet.set_variables)


def test_variables_and_style_strings_are_tokenized_and_parsed_once_per_theme() -> None:
    """Two apps with the same theme share the variables' tokens and the parsed style
    strings; another theme, or new variables, gets its own (with its own colours)."""
    textual_css.share_parsed_css()
    blue = {"primary": "#0178d4"}
    first, second = Stylesheet(variables=dict(blue)), Stylesheet(variables=dict(blue))
    other = Stylesheet(variables={"primary": "#ff0000"})
    assert first._variable_tokens is second._variable_tokens
    assert other._variable_tokens is not first._variable_tokens
    parsed = {}
    for name, sheet in (("first", first), ("second", second), ("other", other)):
        token = active_app.set(SimpleNamespace(stylesheet=sheet))  # type: ignore[arg-type]
        try:
            parsed[name] = sheet.parse_style("bold $primary")
            assert sheet.parse_style("bold $primary") is parsed[name]
        finally:
            active_app.reset(token)
    assert parsed["first"] is parsed["second"]
    assert parsed["first"].bold and parsed["first"].foreground.hex == "#0178D4"
    assert parsed["other"].foreground.hex == "#FF0000"
    second.set_variables({"primary": "#00ff00"})
    token = active_app.set(SimpleNamespace(stylesheet=second))  # type: ignore[arg-type]
    try:
        assert second.parse_style("bold $primary").foreground.hex == "#00FF00"
    finally:
        active_app.reset(token)
    # Parsed for a stylesheet that is not the active app's: Textual's own, unshared.
    assert first.parse_style("bold").bold
    assert "_variable_tokens" in inspect.getsource(textual_markup.parse_style)


def test_textual_still_matches_through_this_method() -> None:
    """What ``share_applied_css`` relies on in ``Stylesheet.apply``: its signature, that a
    ``cache`` given receives the one map it matched (keyed by Textual's own key), the
    pseudo-classes it leaves out of that cache, and the four flags it sets on a node."""
    params = list(inspect.signature(textual_css._APPLY).parameters)
    assert params == ["self", "node", "animate", "cache"]
    source = inspect.getsource(textual_css._APPLY)
    assert "cache[cache_key] = node_rules" in source
    for flag in ("_has_hover_style", "_has_focus_within", "_has_order_style", "_has_odd_or_even"):
        assert f"node.{flag} =" in source, flag
    assert {"first-child", "odd", "focus-within"} <= textual_css._SIBLING_PSEUDO_CLASSES
    # The scopes of the node shapes kept during one update: a restyle of many nodes, and
    # a mount (which styles a whole widget tree with one cache).
    assert "apply(node, animate=animate, cache=cache)" in inspect.getsource(
        Stylesheet.update_nodes.__wrapped__  # type: ignore[attr-defined]
        if hasattr(Stylesheet.update_nodes, "__wrapped__")
        else Stylesheet.update_nodes
    )
    assert "apply_stylesheet(widget, cache=cache)" in inspect.getsource(
        textual_css._SHARED_REGISTER.__wrapped__  # type: ignore[attr-defined]
    )


def test_a_strip_is_rendered_for_the_colours_of_each_console() -> None:
    textual_compat.render_per_colour_system()
    strip = Strip.blank(4, Style(bgcolor="#0178d4"))
    consoles = {
        system: Console(color_system=system, force_terminal=True)  # type: ignore[arg-type]
        for system in ("256", "standard", "truecolor")
    }
    in_256 = strip.render(consoles["256"])
    in_16 = strip.render(consoles["standard"])
    in_24bit = strip.render(consoles["truecolor"])
    assert "48;5;" in in_256
    assert "48;5;" not in in_16 and "48;2;" not in in_16 and "\x1b[4" in in_16
    assert "48;2;" in in_24bit
    assert strip.render(consoles["256"]) == in_256  # again, after the 24-bit render
