"""Pilot tests of the app shell: home, navigation, language switch, logout."""

from __future__ import annotations

from textual.widgets import OptionList, Static

from portal.data import members as members_data
from tests.typography import fr


def _text(app, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(selector, Static).render())


def _greeting(app) -> str:  # type: ignore[no-untyped-def]
    """The home screen's first line (the second names the organization)."""
    return _text(app, "#welcome").splitlines()[0]


async def test_home_greets_the_member_in_french(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)):
        assert _greeting(app) == fr("Bonjour Alice !")
        assert "CSE Démo" in _text(app, "#welcome").splitlines()[1]
        menu = app.screen.query_one("#menu", OptionList)
        labels = [str(menu.get_option_at_index(i).prompt) for i in range(menu.option_count)]
        assert any("Mon compte" in label for label in labels)


async def test_english_member_sees_english(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("bob")
    async with app.run_test(size=(80, 24)):
        assert _greeting(app) == "Hello Bob!"


async def test_navigate_to_account_and_back(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        assert type(app.screen).__name__ == "AccountScreen"
        assert "alice" in _text(app, "#profile")
        await pilot.press("escape")
        assert type(app.screen).__name__ == "HomeScreen"


async def test_language_switch_applies_at_once_and_is_kept(app_for, db) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")  # My account
        await pilot.click("#lang-en")
        await pilot.pause()
        assert app.member.language == "en"
        assert "Profile" in str(app.screen.query_one(".heading", Static).render())
        await pilot.press("escape")
        assert _greeting(app) == "Hello Alice!"
    stored = members_data.get_member_by_login(db, "alice")
    assert stored is not None and stored.language == "en"


async def test_logout_ends_the_app(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0
    assert not app.is_running


async def test_toggles_show_their_state_without_colour(app_for) -> None:  # type: ignore[no-untyped-def]
    """With NO_COLOR an unticked box must not look ticked."""
    from portal.widgets.toggles import Checkbox, RadioButton

    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")  # My account: the language radio buttons
        french = app.screen.query_one("#lang-fr", RadioButton)
        english = app.screen.query_one("#lang-en", RadioButton)
        assert "●" in str(french.render()) and "●" not in str(english.render())
    box = Checkbox("terms")
    assert "X" not in str(box.BUTTON_INNER)
    box.value = True
    assert box.BUTTON_INNER == "X"
