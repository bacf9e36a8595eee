"""Focus is visible without colour, and errors put the focus on the field in error.

Every focusable kind of widget the screens use is drawn focused and not focused, with
the colours taken out of what it draws: the two must still differ (by reverse, bold,
underline or a border), in colour and under NO_COLOR. A form error goes through
``PortalScreen.show_field_error``: the field has the focus, its sentence is on screen at
80×24, and it goes once the field is corrected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Input, OptionList, RadioSet, Select, Static

from portal.screens.base import PortalScreen
from portal.widgets.colours import WithoutColour
from portal.widgets.selection import SelectionList
from portal.widgets.table import DataTable
from portal.widgets.toggles import Checkbox, RadioButton


def _table() -> DataTable:
    table = DataTable(id="w")
    table.add_columns("A", "B")
    table.add_rows([("1", "2"), ("3", "4")])
    return table


WIDGETS: dict[str, Callable[[], Widget]] = {
    "input": lambda: Input("text", id="w"),
    "input-empty": lambda: Input("", placeholder="Nom", id="w"),
    "input-compact": lambda: Input("text", id="w", compact=True),
    "button": lambda: Button("OK", id="w"),
    "button-compact": lambda: Button("OK", id="w", compact=True),
    "option-list": lambda: OptionList("one", "two", id="w"),
    "data-table": _table,
    "checkbox": lambda: Checkbox("I accept", id="w"),
    "radio-set": lambda: RadioSet(RadioButton("fr", value=True), RadioButton("en"), id="w"),
    "selection-list": lambda: SelectionList[int](("one", 1), ("two", 2), id="w", compact=True),
    "select": lambda: Select([("one", 1), ("two", 2)], id="w", allow_blank=False),
}


class _Bench(PortalScreen):
    """One widget to focus, and a button to take the focus away."""

    def __init__(self, make: Callable[[], Widget]) -> None:
        super().__init__()
        self._make = make

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(classes="page"):
            yield self._make()
            yield Button("elsewhere", id="other")


def _look(widget: Widget) -> list[tuple[str, bool, bool, bool, bool]]:
    """What the widget and its children draw, with every colour taken out.

    The screen is composited and passed through ``WithoutColour``, the filter that
    NO_COLOR sessions draw with: a background far in brightness from the screen's
    becomes reverse video (what the terminal shows as a highlight even without hue).
    """
    screen = widget.screen
    strips = screen._compositor.render_strips()
    region = widget.region
    background = screen.styles.background
    cells = []
    for y, strip in enumerate(strips):
        if not region.y <= y < region.bottom:
            continue
        line = strip.crop(region.x, region.right)
        for text, style, _control in WithoutColour().apply(list(line), background):
            st = style
            cells.append(
                (
                    text,
                    bool(st and st.bold),
                    bool(st and st.underline),
                    bool(st and st.reverse),
                    bool(st and st.italic),
                )
            )
    return cells


@pytest.mark.parametrize("monochrome", [False, True], ids=["colour", "nocolor"])
@pytest.mark.parametrize("kind", sorted(WIDGETS))
async def test_focus_shows_without_colour(app_for, kind: str, monochrome: bool) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()  # the member's own colour preference, read
        app.set_monochrome(monochrome)
        await app.push_screen(_Bench(WIDGETS[kind]))
        await pilot.pause()
        widget = app.screen.query_one("#w")
        app.screen.query_one("#other", Button).focus()
        await pilot.pause()
        blurred = _look(widget)
        widget.focus()
        await pilot.pause()
        focused = _look(widget)
        assert focused != blurred, f"{kind}: focus shows by colour only"


# -- errors put the focus on the field in error ------------------------------------------


def _visible(app: Any, selector: str) -> bool:
    """The widget is drawn inside the 80×24 window, above the footer."""
    region = app.screen.query_one(selector).region
    return bool(region.height) and region.bottom <= 23 and region.right <= 80


async def test_a_contact_error_focuses_the_field_and_goes_once_it_is_fixed(app_for, db) -> None:  # type: ignore[no-untyped-def]
    from tests.pilot.test_contact_screen import open_contact, settle, text, type_into

    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_contact(app, pilot)
        await type_into(app, pilot, "#street", "12 rue des Lilas")
        await type_into(app, pilot, "#postal-code", "99000")
        await type_into(app, pilot, "#city", "Paris")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        postal = app.screen.query_one("#postal-code", Input)
        assert postal.has_focus and postal.has_class("-field-error")
        assert text(app, "#field-error").startswith("Le code postal doit comporter 5 chiffres")
        assert _visible(app, "#field-error") and _visible(app, "#postal-code")
        await pilot.press("backspace", *"011")  # 99000 -> 9901 -> 99011: edited, valid form
        await settle(app, pilot)
        assert text(app, "#field-error") == ""
        assert not app.screen.query_one("#field-error").display
        assert not postal.has_class("-field-error")


async def test_a_wrong_code_stays_said_while_the_cleared_field_waits(app_for, db) -> None:  # type: ignore[no-untyped-def]
    """The screen empties a wrong code: that is not the member correcting it."""
    from tests.pilot.test_contact_screen import (
        code_in_outbox,
        open_contact,
        request_code,
        settle,
        text,
    )

    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_contact(app, pilot)
        await request_code(app, pilot, "alice@perso.example")
        code = code_in_outbox(db, "alice@perso.example")
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        await pilot.press(*wrong, "enter")
        await settle(app, pilot)
        assert app.screen.query_one("#code", Input).has_focus
        assert text(app, "#field-error").startswith("Code erroné")
        await pilot.press("1")
        await settle(app, pilot)
        assert text(app, "#field-error") == ""


async def test_a_guest_error_focuses_its_field(services) -> None:  # type: ignore[no-untyped-def]
    from tests.pilot.test_guest import choose, fill, guest, settle, submit, text

    app = guest(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await choose(pilot, "signup")
        await fill(pilot, "key", "PAS-LA-BONNE")
        await submit(pilot, "key")
        key = app.screen.query_one("#key", Input)
        assert key.has_focus and key.has_class("-field-error")
        assert "clé d'identification est inconnue" in text(app, "#message")
        assert _visible(app, "#message")
        await pilot.press("backspace")
        await settle(pilot)
        assert text(app, "#message") == ""
        assert not key.has_class("-field-error")


async def test_a_wrong_twofactor_code_focuses_the_code(app_for) -> None:  # type: ignore[no-untyped-def]
    from portal.screens.twofactor_setup import TwoFactorRequiredScreen

    app = app_for("marc")  # a manager without 2FA: the setup screen needs no proof
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(TwoFactorRequiredScreen())
        await app.workers.wait_for_complete()
        await pilot.pause()
        field = app.screen.query_one("#totp-code", Input)
        field.focus()
        await pilot.press(*"12", "enter")
        await pilot.pause()
        assert field.has_focus and field.has_class("-field-error")
        assert _visible(app, "#setup-message")
        await pilot.press("3")
        await pilot.pause()
        assert not field.has_class("-field-error")


async def test_a_box_to_tick_is_shown_above_the_fold_and_cleared_once_ticked(app_for) -> None:  # type: ignore[no-untyped-def]
    """The checkout's case: the box is below the fold of a long page at 80×24."""

    class _LongForm(PortalScreen):
        def compose_body(self) -> ComposeResult:
            with VerticalScroll(classes="page"):
                for i in range(40):
                    yield Static(f"ligne {i}")
                yield Checkbox("J'accepte les conditions", id="terms")

    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.call_later(app.push_screen, _LongForm())
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, _LongForm)
        terms = screen.query_one("#terms", Checkbox)
        screen.show_field_error(terms, "Acceptez les conditions de vente pour payer.")
        await pilot.pause()
        assert terms.has_focus
        assert _visible(app, "#terms") and _visible(app, "#field-error")
        assert "Acceptez les conditions" in str(screen.query_one("#field-error", Static).render())
        await pilot.press("space")
        await pilot.pause()
        assert terms.value and not screen.query_one("#field-error").display
