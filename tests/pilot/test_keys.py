"""Keys that fit French: o/n dialogs, the help screen, Ctrl+Q during a payment,
Textual's own key descriptions translated, and selection marks drawn without colour."""

from __future__ import annotations

from typing import Any

from textual.widgets import Button, Input, Select

from portal.data import members as members_data
from portal.screens.help import HelpScreen
from portal.widgets.dialogs import ConfirmDialog, YesNoDialog
from portal.widgets.footer import TEXTUAL_DESCRIPTIONS, PortalFooter
from portal.widgets.selection import SelectionList
from tests.pilot.test_checkout import CARREFOUR, _fill_basket, _open_checkout


async def _settle(pilot: Any) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _footer(app: Any) -> str:
    """The footer's keys and descriptions, as drawn."""
    footer = app.screen.query_one(PortalFooter)
    return " ".join(f"{key.key_display or key.key} {key.description}" for key in footer.shown)


async def _ask(pilot: Any, kind: type[YesNoDialog] = YesNoDialog) -> list[bool | None]:
    """Open a dialog from the app's task (so in the member's language); its answers."""
    answers: list[bool | None] = []
    app = pilot.app

    def push() -> None:
        if kind is ConfirmDialog:
            app.push_screen(ConfirmDialog("Supprimer ?", "Supprimer"), answers.append)
        else:
            app.push_screen(YesNoDialog("Continuer ?", "Continuer"), answers.append)

    app.call_later(push)
    await _settle(pilot)
    assert isinstance(app.screen, kind)
    return answers


def _english(db: Any, login: str = "alice") -> None:
    member = members_data.get_member_by_login(db, login)
    assert member is not None
    members_data.set_language(db, member.id, "en")


async def test_french_dialog_answers_o_and_says_so(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        for kind in (YesNoDialog, ConfirmDialog):
            answers = await _ask(pilot, kind)
            yes = app.screen.query_one("#dialog-yes", Button)
            no = app.screen.query_one("#dialog-no", Button)
            assert str(yes.label).endswith("(o)")
            assert str(no.label).endswith("(n)")
            footer = _footer(app)
            assert "o Oui" in footer and "n Non" in footer
            assert "y " not in footer  # the English key is an alias, not advertised
            await pilot.press("o")
            await _settle(pilot)
            assert answers == [True]
        answers = await _ask(pilot)
        await pilot.press("n")
        await _settle(pilot)
        assert answers == [False]


async def test_y_stays_a_silent_yes_in_french(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        answers = await _ask(pilot)
        await pilot.press("y")
        await _settle(pilot)
        assert answers == [True]


async def test_english_dialog_answers_y_not_o(app_for, db) -> None:  # type: ignore[no-untyped-def]
    _english(db)
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        answers = await _ask(pilot)
        assert str(app.screen.query_one("#dialog-yes", Button).label).endswith("(y)")
        assert "y Yes" in _footer(app)
        await pilot.press("o")
        await _settle(pilot)
        assert answers == [] and isinstance(app.screen, YesNoDialog)
        await pilot.press("y")
        await _settle(pilot)
        assert answers == [True]


async def test_help_lists_the_keys_of_the_current_screen(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        home = app.screen
        for key in ("f1", "question_mark"):
            await pilot.press(key)
            await _settle(pilot)
            assert isinstance(app.screen, HelpScreen)
            shown = " ".join(str(s.render()) for s in app.screen.query(".help-row, .help-heading"))
            assert "Cet écran" in shown and "Partout" in shown
            assert "Se déconnecter" in shown  # the app's Ctrl+Q, translated
            assert "Accès direct" in shown  # home's hidden 1-9 keys, on one row
            assert "Go to" not in shown and "Log out" not in shown
            await pilot.press("escape")
            await _settle(pilot)
            assert app.screen is home


async def test_question_mark_typed_in_a_field_stays_a_character(app_for) -> None:  # type: ignore[no-untyped-def]
    from textual.app import ComposeResult

    from portal.screens.base import PortalScreen

    class _WithField(PortalScreen):
        def compose_body(self) -> ComposeResult:
            yield Input(id="field")

    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        app.call_later(app.push_screen, _WithField())
        await _settle(pilot)
        field = app.screen.query_one("#field", Input)
        field.focus()
        await pilot.press("a", "question_mark")
        await _settle(pilot)
        assert field.value == "a?"
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")  # F1 still opens help from a field
        await _settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await _settle(pilot)
        app.screen.set_focus(None)
        await pilot.press("question_mark")  # no field with the focus: "?" is help
        await _settle(pilot)
        assert isinstance(app.screen, HelpScreen)


async def test_ctrl_q_asks_before_leaving_a_payment(app_for, db) -> None:  # type: ignore[no-untyped-def]
    _fill_basket(db, "alice", CARREFOUR, 15000, 1)
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        await _open_checkout(app, pilot)
        await pilot.press("ctrl+q")
        await _settle(pilot)
        assert isinstance(app.screen, YesNoDialog)
        assert app.is_running
        await pilot.press("n")
        await _settle(pilot)
        assert type(app.screen).__name__ == "CheckoutScreen" and app.is_running
        await pilot.press("ctrl+q")
        await _settle(pilot)
        await pilot.press("o")
        await _settle(pilot)
    assert app.return_code == 0


async def test_ctrl_q_leaves_at_once_elsewhere(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        await pilot.press("ctrl+q")
        await _settle(pilot)
        assert not app.is_running
    assert app.return_code == 0


async def test_select_dropdown_footer_is_translated(app_for) -> None:  # type: ignore[no-untyped-def]
    from textual.app import ComposeResult

    from portal.screens.base import PortalScreen

    class _WithSelect(PortalScreen):
        def compose_body(self) -> ComposeResult:
            yield Select([("un", 1), ("deux", 2)], id="choice", allow_blank=False)

    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        app.call_later(app.push_screen, _WithSelect())
        await _settle(pilot)
        app.screen.query_one("#choice", Select).focus()
        await pilot.press("enter")  # opens the dropdown
        await _settle(pilot)
        footer = _footer(app)
        assert "Fermer la liste" in footer
        assert "Dismiss menu" not in footer


def test_every_textual_key_description_is_translated() -> None:
    """A Textual upgrade that adds a key description to a widget we use fails here."""
    import textual.widgets as tw
    from textual.app import App
    from textual.containers import ScrollableContainer
    from textual.screen import ModalScreen, Screen
    from textual.widgets._select import SelectOverlay

    from portal.i18n import _catalog

    used = [App, Screen, ModalScreen, ScrollableContainer, tw.Input, tw.Select, SelectOverlay]
    used += [tw.DataTable, tw.OptionList, tw.SelectionList, tw.Checkbox, tw.RadioButton]
    used += [tw.RadioSet, tw.Button]
    catalog = _catalog("fr")
    missing = set()
    for cls in used:
        for bindings in cls._merged_bindings.key_to_bindings.values():  # type: ignore[union-attr]
            for binding in bindings:
                if binding.description and binding.description not in TEXTUAL_DESCRIPTIONS:
                    missing.add(f"{cls.__name__}: {binding.description!r}")
    assert sorted(missing) == []
    untranslated = sorted(m for m in TEXTUAL_DESCRIPTIONS.values() if m not in catalog)
    assert untranslated == []


async def test_selection_list_marks_only_ticked_rows(app_for) -> None:  # type: ignore[no-untyped-def]
    from textual.app import ComposeResult

    from portal.screens.base import PortalScreen

    class _WithList(PortalScreen):
        def compose_body(self) -> ComposeResult:
            yield SelectionList[int](("Alice", 1, True), ("Bob", 2), id="pick", compact=True)

    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)  # the member's own colour preference, read
        app.set_monochrome(True)
        app.call_later(app.push_screen, _WithList())
        await _settle(pilot)
        pick = app.screen.query_one("#pick", SelectionList)
        lines = [line.text for line in pick.render_lines(pick.region.reset_offset)]
        assert lines[0].startswith("▐X▌ Alice")
        assert lines[1].startswith("▐ ▌ Bob")
        pick.focus()
        await pilot.press("down", "space")  # tick Bob
        await _settle(pilot)
        lines = [line.text for line in pick.render_lines(pick.region.reset_offset)]
        assert lines[1].startswith("▐X▌ Bob")


def test_screens_use_the_marks_that_show_without_colour() -> None:
    """Textual's check box, radio button and selection list tell states by colour only."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "portal"
    allowed = {root / "widgets" / "toggles.py", root / "widgets" / "selection.py"}
    pattern = re.compile(
        r"from textual\.widgets import [^\n]*\b(Checkbox|RadioButton|SelectionList)\b"
        r"|textual\.widgets\.(Checkbox|RadioButton|SelectionList)\b"
    )
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path not in allowed and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "use portal.widgets.toggles / portal.widgets.selection"


async def test_f1_over_a_dialog_lists_its_french_keys(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        await _ask(pilot)
        await pilot.press("f1")  # a priority key: it works in a dialog
        await _settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        rows = [str(s.render()).split() for s in app.screen.query(".help-row")]
        assert ["o", "Oui"] in rows and ["n", "esc", "Non"] in rows
        await pilot.press("f1")  # closes it again
        await _settle(pilot)
        assert isinstance(app.screen, YesNoDialog)
