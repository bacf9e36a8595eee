"""Pilot tests of the groups screen, at 80x24."""

from __future__ import annotations

from sqlite_utils import Database
from textual.widgets import DataTable

from portal.data import directory as directory_data
from portal.data import members as members_data
from portal.services import member_admin
from tests.pilot.manage_helpers import open_management, settle, table_rows, text_of
from tests.typography import fr


async def test_create_rename_delete_a_group(app_for, db: Database) -> None:  # type: ignore[no-untyped-def]
    marc = members_data.get_member_by_login(db, "marc")
    nina = members_data.get_member_by_login(db, "nina")
    assert marc and nina
    member_admin.create_group(db, nina, "Horizon seulement")
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_management(pilot, "groups")
        assert type(app.screen).__name__ == "GroupsScreen"
        assert table_rows(app, "groups-table") == []  # not another organization's
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"Site de Lyon", "enter")
        await settle(pilot)
        assert table_rows(app, "groups-table") == [["Site de Lyon", "0"]]
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"site de lyon", "enter")
        await settle(pilot)
        assert "existe déjà" in text_of(app, "groups-message")
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("ctrl+u", *"Lyon", "enter")
        await settle(pilot)
        assert table_rows(app, "groups-table") == [["Lyon", "0"]]
        await pilot.press("enter")  # lists the group's members
        await settle(pilot)
        assert type(app.screen).__name__ == "MembersScreen"
        assert fr("Groupe : Lyon") in text_of(app, "members-filters")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("delete")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.press("y")
        await settle(pilot)
        assert table_rows(app, "groups-table") == []
    assert [g.name for g in directory_data.list_groups(db, marc.organization_id)] == []


async def test_an_admin_sees_each_groups_organization(app_for, db: Database) -> None:  # type: ignore[no-untyped-def]
    nina = members_data.get_member_by_login(db, "nina")
    assert nina
    member_admin.create_group(db, nina, "Paris")
    app = app_for("admin")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_management(pilot, "groups")
        table = app.screen.query_one("#groups-table", DataTable)
        assert "Organisation" in [str(c.label) for c in table.columns.values()]
        assert table_rows(app, "groups-table") == [["Paris", "0", "CSE Horizon"]]
