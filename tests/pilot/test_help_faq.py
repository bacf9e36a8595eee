"""Pilot tests of the member's help ("Aide") at 80x24: questions in their language, search."""

from __future__ import annotations

from textual.widgets import Static

from tests.pilot.manage_helpers import choose, settle, text_of


def shown(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(w.render()) for w in app.screen.query(".faq-question").results(Static)]


async def test_a_french_member_searches_as_they_type(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await choose(pilot, "menu", "help")
        assert type(app.screen).__name__ == "HelpFaqScreen"
        assert "Comment puis-je régler ma commande ?" in shown(app)
        assert "Où trouver le local du CSE ?" in shown(app)  # CSE Démo's own question
        assert "du lundi au vendredi, de 9h à 12h30 et de 14h à 18h" in text_of(app, "faq-support")
        await pilot.press(*"solde")
        await settle(pilot)
        assert shown(app) == ["Comment connaître le solde de mes e-cartes ?"]
        await pilot.press(*"zzz")
        await settle(pilot)
        assert shown(app) == []
        assert "Aucune question" in str(app.screen.query_one(".faq-empty", Static).render())


async def test_an_english_member_reads_english_without_another_organizations_entries(  # type: ignore[no-untyped-def]
    app_for,
) -> None:
    app = app_for("bob")  # CSE Horizon, English
    async with app.run_test(size=(80, 24)) as pilot:
        await choose(pilot, "menu", "help")
        questions = shown(app)
        assert "How do I pay for my order?" in questions
        assert "Where is the CSE office?" not in questions  # CSE Démo's


async def test_a_manager_adds_a_question_for_their_organization_only(  # type: ignore[no-untyped-def]
    app_for, db
) -> None:
    from portal.data import members as members_data
    from portal.services import help as help_service
    from tests.pilot.manage_helpers import open_management, table_rows

    app = app_for("nina")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_management(pilot, "faq")
        assert type(app.screen).__name__ == "FaqEditorScreen"
        assert table_rows(app, "faq-table") == []  # neither the platform's nor Démo's
        await pilot.press("n")
        for text in ("Parking ?", "Niveau -1.", "Parking?", "Level -1."):
            await pilot.pause()
            assert type(app.screen).__name__ == "AskDialog"
            await pilot.press(*text, "enter")
        await settle(pilot)
        assert table_rows(app, "faq-table") == [["Parking ?", "CSE Horizon"]]
    bob = members_data.get_member_by_login(db, "bob")
    alice = members_data.get_member_by_login(db, "alice")
    assert bob and alice
    assert "Parking?" in [e.question("en") for e in help_service.help_page(db, bob).entries]
    assert "Parking?" not in [e.question("en") for e in help_service.help_page(db, alice).entries]
