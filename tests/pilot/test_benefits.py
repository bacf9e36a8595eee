"""Pilot tests: "Mes avantages" shows each allocation, its balance, end date and offers."""

from __future__ import annotations

from textual.widgets import DataTable, OptionList, Static

from tests.typography import fr


def _text(app, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(selector, Static).render())


async def _settle(app, pilot) -> None:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.pause()


async def _open(app, pilot, screen) -> None:  # type: ignore[no-untyped-def]
    """Push a screen from the app's own task (so it runs in the session's language)."""
    app.call_later(app.push_screen, screen)
    await _settle(app, pilot)


async def test_benefits_list_balances_and_explain_the_highlighted_one(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        from portal.screens.benefits import BenefitsScreen

        await _open(app, pilot, BenefitsScreen())
        await _settle(app, pilot)
        table = app.screen.query_one("#benefits-table", DataTable)
        labels = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert any(label.startswith("Subvention cinéma") for label in labels)
        assert any(label.startswith("E-chèque culture") for label in labels)
        kinds = {str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert kinds == {"Subvention", "E-chèque cadeau", "E-chèque culture"}
        assert fr("40,00 €") in [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        detail = _text(app, "#benefits-detail")
        assert "50 % du prix" in detail  # alice's quotient familial 850 -> 50 %
        assert fr("votre quotient familial : 850") in detail
        assert "sera perdu" in detail
        assert "perdu" in _text(app, "#benefits-note")


async def test_eligible_offers_of_a_subsidy_open_the_offer_sheet(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        from portal.screens.benefits import BenefitsScreen

        await _open(app, pilot, BenefitsScreen())
        await _settle(app, pilot)
        table = app.screen.query_one("#benefits-table", DataTable)
        row = next(
            i
            for i in range(table.row_count)
            if str(table.get_row_at(i)[0]).startswith("Subvention cinéma")
        )
        table.move_cursor(row=row)
        await pilot.press("o")
        await _settle(app, pilot)
        assert type(app.screen).__name__ == "OffersDialog"
        offers = app.screen.query_one("#offers-list", OptionList)
        titles = [str(offers.get_option_at_index(i).prompt) for i in range(offers.option_count)]
        assert titles and all("E-billet" in t for t in titles)
        await pilot.press("enter")
        await _settle(app, pilot)
        assert type(app.screen).__name__ == "OfferScreen"


async def test_history_shows_the_ledger(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        from portal.screens.benefits import BenefitsScreen

        await _open(app, pilot, BenefitsScreen())
        await _settle(app, pilot)
        await pilot.press("h")
        await _settle(app, pilot)
        assert "Historique de" in _text(app, "#benefits-detail")
        assert "Crédit" in _text(app, "#benefits-detail")


async def test_bob_sees_his_own_benefits_in_english(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        from portal.screens.benefits import BenefitsScreen

        await _open(app, pilot, BenefitsScreen())
        await _settle(app, pilot)
        table = app.screen.query_one("#benefits-table", DataTable)
        labels = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert labels and all("voucher" in label for label in labels)
        assert "left of" in _text(app, "#benefits-detail")
