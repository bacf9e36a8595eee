"""Pilot tests of the dashboard at 80×24: charts beside their numbers, tabs, admin scope,
and series told apart by marker shape (without colour)."""

from __future__ import annotations

from sqlite_utils import Database
from textual.widgets import TabbedContent
from textual_plotext import PlotextPlot

from portal.i18n import money
from portal.services import clock
from tests.pilot.manage_helpers import open_management, settle, table_rows, text_of
from tests.unit.test_dashboard import spend


def chart_text(app, chart_id: str) -> str:  # type: ignore[no-untyped-def]
    chart = app.screen.query_one(f"#{chart_id}", PlotextPlot)
    return chart.plt.uncolorize(chart.plt.build())


async def test_a_manager_reads_the_dashboard_at_80x24(app_for, db: Database) -> None:  # type: ignore[no-untyped-def]
    spend(db, "alice", 1250, 3)
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_management(pilot, "dashboard")
        assert type(app.screen).__name__ == "DashboardScreen"
        year = clock.now().year
        assert text_of(app, "dashboard-scope") == f"CSE Démo · année {year}"
        rows = table_rows(app, "table-spending")
        assert [r[0] for r in rows[:12]] == [f"{m:02d}" for m in range(1, 13)]
        assert rows[12][0] == "Total"
        # Each series has its own marker, named in the legend: readable without colour.
        assert "██ avantages" in text_of(app, "legend-spending")
        assert "░░ carte" in text_of(app, "legend-spending")
        assert "█" in chart_text(app, "chart-spending")  # March's bar
        tabs = app.screen.query_one("#dashboard-tabs", TabbedContent)
        tabs.active = "tab-programs"
        await settle(pilot)
        programs = table_rows(app, "table-programs")
        figures = app.screen.figures
        assert len(programs) == len(figures.programs)
        assert figures.months[2].benefits_cents >= 1250
        used = next(p for p in figures.programs if p.spent_cents)
        row = next(r for r in programs if r[1] == used.label)
        assert row[4] == money(used.spent_cents)
        assert "██ dépensé" in text_of(app, "legend-programs")
        assert "░░ alloué" in text_of(app, "legend-programs")
        text = chart_text(app, "chart-programs")
        assert "█" in text and "░" in text
        tabs.active = "tab-members"
        await settle(pilot)
        members = dict((r[0], r[1]) for r in table_rows(app, "table-members"))
        assert members["Membres actifs"] == str(figures.members.active)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert text_of(app, "dashboard-scope") == f"CSE Démo · année {year - 1}"
        await pilot.press("o")  # managers have no other organization to choose
        await settle(pilot)
        assert app.screen.organization_id is None
        assert app.screen.figures.organization_id == app.member.organization_id


async def test_an_admin_chooses_every_organization_or_one(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("admin")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_management(pilot, "dashboard")
        assert text_of(app, "dashboard-scope").startswith("Toutes les organisations")
        await pilot.press("o")
        await settle(pilot)
        first = app.screen.organizations[0]
        assert text_of(app, "dashboard-scope").startswith(first.name)
        assert app.screen.figures.organization_id == first.id


async def test_the_dashboard_draws_without_colour(app_for, db: Database) -> None:  # type: ignore[no-untyped-def]
    spend(db, "alice", 500, 2)
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()  # the stored preference is read at start
        await pilot.pause()
        app.set_monochrome(True)
        await open_management(pilot, "dashboard")
        tabs = app.screen.query_one("#dashboard-tabs", TabbedContent)
        tabs.active = "tab-programs"
        await settle(pilot)
        assert app.no_color
        text = chart_text(app, "chart-programs")
        assert "█" in text and "░" in text


async def test_exports_screen_writes_to_the_outbox(app_for, settings) -> None:  # type: ignore[no-untyped-def]
    from portal.services import files
    from tests.pilot.manage_helpers import choose

    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_management(pilot, "exports")
        assert type(app.screen).__name__ == "ExportsScreen"
        await choose(pilot, "exports-menu", "members")
        message = text_of(app, "exports-message")
        assert "outbox/members-" in message and "sftp -P" in message
        name = message.split("outbox/", 1)[1].split(" ", 1)[0]
        content = (files.outbox_dir(settings, "marc") / name).read_text("utf-8-sig")
        assert content.startswith("Organisation;Identifiant;")
        assert "bob" not in content
