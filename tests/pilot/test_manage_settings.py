"""Pilot tests of the organization settings and the pending invitations, at 80x24."""

from __future__ import annotations

from sqlite_utils import Database

from portal.data import members as members_data
from portal.services import audit, invitations
from portal.services.runtime import Services
from tests.pilot.manage_helpers import open_management, settle, table_rows, text_of
from tests.typography import fr


async def test_regenerate_the_key_and_require_twofactor(app_for, db: Database) -> None:  # type: ignore[no-untyped-def]
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_management(pilot, "org_settings")
        assert type(app.screen).__name__ == "OrganizationSettingsScreen"
        assert "CSE Démo" in text_of(app, "org-name")
        assert "DEMO-2026" in text_of(app, "org-key")
        await pilot.press("k")
        await pilot.pause()
        await pilot.press("n")  # cancelled: nothing changes
        await settle(pilot)
        assert "DEMO-2026" in text_of(app, "org-key")
        await pilot.press("k", "y")
        await settle(pilot)
        org = members_data.get_organization(db, app.member.organization_id)
        assert org and org.identification_key != "DEMO-2026"
        assert org.identification_key in text_of(app, "org-key")
        assert fr("adhérents : non") in text_of(app, "org-twofactor")
        await pilot.press("t", "y")
        await settle(pilot)
        assert fr("adhérents : oui") in text_of(app, "org-twofactor")
        await pilot.press("h")
        await pilot.pause()
        await pilot.press(*"du lundi au vendredi, de 9h à 12h30", "enter")
        await settle(pilot)
        assert "de 9h à 12h30" in text_of(app, "org-support")
        await pilot.press("u")
        await pilot.pause()
        await pilot.press(*"abc", "enter")
        await settle(pilot)
        assert "montant" in text_of(app, "org-message")
        await pilot.press("u")
        await pilot.pause()
        await pilot.press(*"250", "enter")
        await settle(pilot)
        assert fr("250,00 €") in text_of(app, "org-urssaf")
        assert "fixé par l'organisation" in text_of(app, "org-urssaf")
    assert [e.action for e in audit.recent(db, limit=4)] == [
        "organization.urssaf_threshold",
        "organization.support_changed",
        "organization.twofactor_required",
        "organization.key_regenerated",
    ]


async def test_an_admin_moves_between_organizations(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("admin")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_management(pilot, "org_settings")
        first = text_of(app, "org-name")
        await pilot.press("o")
        await settle(pilot)
        assert text_of(app, "org-name") != first
        assert {first, text_of(app, "org-name")} == {"CSE Démo", "CSE Horizon"}


async def test_pending_invitations_resend_and_revoke(  # type: ignore[no-untyped-def]
    app_for, db: Database, services: Services
) -> None:
    marc = members_data.get_member_by_login(db, "marc")
    nina = members_data.get_member_by_login(db, "nina")
    assert marc and nina
    for actor, login in ((marc, "zoe"), (nina, "hugo")):
        invitations.invite(
            db,
            actor,
            first_name=login.capitalize(),
            last_name="Test",
            email=f"{login}@mail.example",
            login=login,
            settings=services.settings,
        )
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_management(pilot, "invitations")
        rows = table_rows(app, "invitations-table")
        assert [r[0] for r in rows] == ["Zoe Test (zoe)"]  # not Horizon's
        await pilot.press("s", "y")
        await settle(pilot)
        assert "zoe@mail.example" in text_of(app, "invitations-message")
        await pilot.press("r")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.press("y")
        await settle(pilot)
        assert table_rows(app, "invitations-table") == []
    zoe = members_data.get_member_by_login(db, "zoe")
    assert zoe and zoe.status == "deactivated"
    assert [e.action for e in audit.recent(db, limit=2)] == [
        "invitation.revoked",
        "member.reinvited",
    ]
