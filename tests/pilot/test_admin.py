"""Pilot tests of the platform admins' screens at 80x24, and managers kept out."""

from __future__ import annotations

from sqlite_utils import Database

from portal.data import members as members_data
from portal.screens.sections import find_section
from portal.services import catalog, catalog_admin, org_admin
from tests.pilot.manage_helpers import open_management, options, settle, table_rows, text_of
from tests.typography import fr


async def test_an_admin_deactivates_an_organization(app_for, db: Database) -> None:  # type: ignore[no-untyped-def]
    app = app_for("admin")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_management(pilot, "organizations")
        assert type(app.screen).__name__ == "OrganizationsScreen"
        rows = table_rows(app, "orgs-table")
        names = [r[0] for r in rows]
        assert names == ["CSE Démo", "CSE Horizon"]
        assert rows[1][2] == "ouverte"
        table = app.screen.query_one("#orgs-table")
        table.move_cursor(row=1)  # type: ignore[attr-defined]
        await pilot.press("d")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.press("y")
        await settle(pilot)
        assert table_rows(app, "orgs-table")[1][2] == "désactivée"
    bob = members_data.get_member_by_login(db, "bob")
    assert bob is not None and not org_admin.organization_active(db, bob.organization_id)


async def test_an_admin_withdraws_an_offer_members_no_longer_see_it(  # type: ignore[no-untyped-def]
    app_for, db: Database
) -> None:
    admin = members_data.get_member_by_login(db, "admin")
    alice = members_data.get_member_by_login(db, "alice")
    assert admin and alice
    app = app_for("admin")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_management(pilot, "catalog_admin")
        assert type(app.screen).__name__ == "CatalogAdminScreen"
        await settle(pilot)
        rows = table_rows(app, "catalog-table")
        assert rows and all(r[5] for r in rows)  # every row says who sees it
        first = catalog_admin.admin_offers(db, admin)[0].offer
        await pilot.press("w")
        await settle(pilot)
        assert table_rows(app, "catalog-table")[0][4] == "retirée"
    assert catalog.get_offer(db, alice, first.id) is None


async def test_an_admin_edits_an_offer_in_the_form(app_for, db: Database) -> None:  # type: ignore[no-untyped-def]
    admin = members_data.get_member_by_login(db, "admin")
    assert admin
    app = app_for("admin")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_management(pilot, "catalog_admin")
        await settle(pilot)
        first = catalog_admin.admin_offers(db, admin)[0].offer
        await pilot.press("e")
        await settle(pilot)
        assert type(app.screen).__name__ == "OfferFormScreen"
        await pilot.press("ctrl+u", *"Nouveau titre", "ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "CatalogAdminScreen"
    assert catalog_admin.admin_offer(db, admin, first.id).title == "Nouveau titre"


async def test_a_manager_has_no_admin_entry(app_for, db: Database) -> None:  # type: ignore[no-untyped-def]
    marc = members_data.get_member_by_login(db, "marc")
    assert marc
    assert find_section("organizations", marc) is None
    assert find_section("catalog_admin", marc) is None
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_management(pilot)
        entries = options(app, "manage-menu")
        assert "Organisations" not in entries and "Catalogue" not in entries
        # Pushed by hand, the screen shows the service's refusal, and nothing else.
        from portal.screens.manage.organizations import OrganizationsScreen

        app.push_screen(OrganizationsScreen())
        await settle(pilot)
        assert table_rows(app, "orgs-table") == []
        assert "administrateurs" in text_of(app, "orgs-message")


async def test_the_guest_listing_opt_in_from_the_settings(app_for, db: Database) -> None:  # type: ignore[no-untyped-def]
    app = app_for("nina")  # CSE Horizon is not listed
    async with app.run_test(size=(80, 24)) as pilot:
        await open_management(pilot, "org_settings")
        assert fr("liste « 0 »") in text_of(app, "org-guest-listing")
        assert text_of(app, "org-guest-listing").endswith("non")
        await pilot.press("g")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert text_of(app, "org-guest-listing").endswith("oui")
    nina = members_data.get_member_by_login(db, "nina")
    assert nina is not None
    assert members_data.get_organization(db, nina.organization_id).guest_listed  # type: ignore[arg-type, union-attr]
