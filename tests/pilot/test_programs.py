"""Pilot tests: programs that follow groups, a duplicate asks first, the renewal shows the
URSSAF liability, the rules screen draws the quotient-familial grid and switches a rule off."""

from __future__ import annotations

import datetime as dt

from textual.widgets import Input, RadioButton, SelectionList, Static

from portal.data import subsidies as subsidies_data
from portal.data import wallet as wallet_data
from portal.services import clock, member_admin
from portal.widgets.table import DataTable
from tests.pilot.manage_helpers import settle, table_rows
from tests.unit.test_wallet_support import give, member, new_member


def _text(app, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(selector, Static).render())


def _question(app) -> str:  # type: ignore[no-untyped-def]
    assert type(app.screen).__name__ == "YesNoDialog"
    return str(app.screen.query_one("#dialog-question", Static).render())


async def _open(app, pilot, screen) -> None:  # type: ignore[no-untyped-def]
    app.call_later(app.push_screen, screen)
    await settle(pilot)


async def test_a_group_program_and_a_duplicate_that_asks_first(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    marc, carol = member(db, "marc"), new_member(db)
    group = member_admin.create_group(db, marc, "Équipe de nuit")
    member_admin.add_to_group(db, marc, group.id, member(db, "alice").id)
    year = clock.today_paris().year
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        from portal.screens.manage.allocation_form import AllocationFormScreen

        await _open(app, pilot, AllocationFormScreen())
        screen = app.screen
        screen.query_one("#kind-culture", RadioButton).value = True
        screen.query_one("#allocation-label", Input).value = "Nuit"
        screen.query_one("#allocation-amount", Input).value = "30"
        screen.query_one("#allocation-groups", SelectionList).select(group.id)
        await pilot.press("ctrl+s")
        await settle(pilot)
        question = _question(app)
        assert f"Nuit {year}" in question and "1 membre(s)" in question
        assert "prorata des mois restants" in question
        assert "moins d'une minute" not in question
        await pilot.press("y")
        await settle(pilot)
        assert "attribué à 1 membre" in _text(app, "#allocation-message")
        await pilot.press("ctrl+s")  # saved twice
        await settle(pilot)
        assert "moins d'une minute" in _question(app)
        await pilot.press("n")
        await settle(pilot)
    found = [
        p for p in wallet_data.list_programs(db, marc.organization_id) if p.label == f"Nuit {year}"
    ]
    assert len(found) == 1 and found[0].target == "group"
    member_admin.add_to_group(db, marc, group.id, carol.id)  # enters the group later
    assert carol.id in wallet_data.program_member_ids(db, found[0].id)


async def test_the_renewal_shows_who_becomes_liable_before_confirming(
    app_for, db, services
) -> None:  # type: ignore[no-untyped-def]
    carol = new_member(db)
    give(db, services.settings, carol, "gift", 15000, label="Prime")
    give(db, services.settings, carol, "gift", 8000, label="Bonus")
    next_year = clock.today_paris().year + 1
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        from portal.screens.manage.allocations import ManageAllocationsScreen

        await _open(app, pilot, ManageAllocationsScreen())
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("enter")  # next year, proposed
        await settle(pilot)
        question = _question(app)
        assert "Alerte URSSAF" in question and "Carol Test" in question
        assert "230,00" in question  # the whole 230 €, not the 30 € above 200 €
        await pilot.press("y")
        await settle(pilot)
        assert "Reconduit pour" in _text(app, "#programs-message")
    labels = {p.label for p in wallet_data.list_programs(db, None, next_year)}
    assert f"Prime {next_year}" in labels and f"Bonus {next_year}" in labels


async def test_the_rules_screen_draws_the_grid_and_switches_a_rule_off(
    app_for, db, services
) -> None:  # type: ignore[no-untyped-def]
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        from portal.screens.manage.rule_form import RuleFormScreen

        await _open(app, pilot, RuleFormScreen())
        rules = table_rows(app, "rules-table")
        index = next(i for i, row in enumerate(rules) if row[0] == "Cinéma")
        table = app.screen.query_one("#rules-table", DataTable)
        table.focus()
        table.move_cursor(row=index)
        await settle(pilot)
        grid = table_rows(app, "rule-grid")
        assert grid == [
            ["jusqu'à 700", "70 %"],
            ["de 701 à 1200", "50 %"],
            ["à partir de 1201", "30 %"],
        ]
        await pilot.press("o")
        await settle(pilot)
        assert "désactivée" in _text(app, "#rule-message")
        assert table_rows(app, "rules-table")[index][1] == "désactivée"
    cinema = next(
        r
        for r in subsidies_data.list_rules(db, member(db, "marc").organization_id)
        if r.label == "Cinéma"
    )
    assert not cinema.active


async def test_a_rule_gets_new_terms_from_a_later_day(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    later = clock.today_paris() + dt.timedelta(days=10)
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        from portal.screens.manage.rule_form import RuleFormScreen

        await _open(app, pilot, RuleFormScreen())
        rules = table_rows(app, "rules-table")
        index = next(i for i, row in enumerate(rules) if row[0] == "Cinéma")
        table = app.screen.query_one("#rules-table", DataTable)
        table.focus()
        table.move_cursor(row=index)
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        screen = app.screen
        assert screen.query_one("#rule-brackets", Input).value == "700:70, 1200:50"
        screen.query_one("#rule-from", Input).value = "01/01/2000"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "jamais d'un jour passé" in _text(app, "#rule-message")
        screen.query_one("#rule-from", Input).value = later.strftime("%d/%m/%Y")
        screen.query_one("#rule-brackets", Input).value = "500:60, 800:55, 1100:50, 1500:45"
        screen.query_one("#rule-value", Input).value = "40"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "garde ses conditions" in _text(app, "#rule-message")
        cinema_row = table_rows(app, "rules-table")[index]
        assert cinema_row[3] != "—"  # the next change is announced
    org = member(db, "marc").organization_id
    today = next(
        r for r in subsidies_data.list_rules(db, org, on=clock.today_paris()) if r.label == "Cinéma"
    )
    then = next(r for r in subsidies_data.list_rules(db, org, on=later) if r.label == "Cinéma")
    assert today.percent_bp == 3000 and [b.percent_bp for b in today.brackets] == [7000, 5000]
    assert then.percent_bp == 4000 and [b.percent_bp for b in then.brackets] == [
        6000,
        5500,
        5000,
        4500,
    ]
