"""Pilot tests of the directory and a member's detail, at 80x24."""

from __future__ import annotations

from sqlite_utils import Database
from textual.widgets import DataTable

from portal.data import members as members_data
from portal.services import audit, member_admin
from tests.pilot.manage_helpers import open_management, settle, table_rows, text_of
from tests.typography import fr


def member(db: Database, login: str):  # type: ignore[no-untyped-def]
    found = members_data.get_member_by_login(db, login)
    assert found is not None
    return found


async def test_search_as_you_type_and_filters(app_for, db: Database) -> None:  # type: ignore[no-untyped-def]
    marc = member(db, "marc")
    group = member_admin.create_group(db, marc, "Lyon")
    member_admin.add_to_group(db, marc, group.id, marc.id)
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_management(pilot, "members")
        assert type(app.screen).__name__ == "MembersScreen"
        logins = sorted(r[1] for r in table_rows(app, "members-table"))
        assert logins == ["alice", "marc"]  # never the admin, never another organization
        await pilot.press(*"mart")
        await settle(pilot)
        assert [r[1] for r in table_rows(app, "members-table")] == ["alice"]
        assert table_rows(app, "members-table")[0][2] == "actif"
        for _ in range(4):
            await pilot.press("backspace")
        await pilot.press(*"bob")
        await settle(pilot)
        assert table_rows(app, "members-table") == []
        assert "Aucun adhérent" in text_of(app, "members-status")
        for _ in range(3):
            await pilot.press("backspace")
        await pilot.press("ctrl+g")  # group filter: Lyon
        await settle(pilot)
        assert [r[1] for r in table_rows(app, "members-table")] == ["marc"]
        assert fr("Groupe : Lyon") in text_of(app, "members-filters")
        await pilot.press("ctrl+g", "ctrl+f", "ctrl+f")  # all groups; status: invited
        await settle(pilot)
        assert "invité" in text_of(app, "members-filters")
        assert table_rows(app, "members-table") == []


async def test_an_admin_sees_which_organization_each_row_belongs_to(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("admin")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_management(pilot, "members")
        table = app.screen.query_one("#members-table", DataTable)
        assert "Organisation" in [str(c.label) for c in table.columns.values()]
        by_login = {r[1]: r[4] for r in table_rows(app, "members-table")}
        assert by_login["bob"] == "CSE Horizon" and by_login["alice"] == "CSE Démo"


async def open_alice(pilot, app) -> None:  # type: ignore[no-untyped-def]
    await open_management(pilot, "members")
    await pilot.press(*"alice")
    await settle(pilot)
    await pilot.press("enter")  # to the table
    await pilot.press("enter")  # open the row
    await settle(pilot)
    assert type(app.screen).__name__ == "MemberDetailScreen"


async def test_member_detail_shows_the_whole_picture(app_for, db: Database) -> None:  # type: ignore[no-untyped-def]
    from portal.services import gate

    gate.login_succeeded(
        db, member(db, "alice").id, ip="192.0.2.9", method="password", twofactor=False
    )
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_alice(pilot, app)
        identity = text_of(app, "member-identity")
        assert "Alice Martin · alice" in identity and fr("rôle : adhérent") in identity
        assert fr("quotient familial : 850") in text_of(app, "member-family")
        assert "Avantages" in text_of(app, "member-benefits")
        assert "192.0.2.9" in text_of(app, "member-logins")
        assert fr("Justificatifs :") in text_of(app, "member-documents")


async def test_deactivate_is_confirmed_then_done_and_audited(app_for, db: Database) -> None:  # type: ignore[no-untyped-def]
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_alice(pilot, app)
        await pilot.press("d")
        await pilot.pause()
        assert type(app.screen).__name__ == "YesNoDialog"
        await pilot.press("n")
        await settle(pilot)
        assert member(db, "alice").status == "active"
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert member(db, "alice").status == "deactivated"
        assert "désactivé" in text_of(app, "member-message")
        assert fr("statut : désactivé") in text_of(app, "member-identity")
        await pilot.press("a", "y")
        await settle(pilot)
        assert member(db, "alice").status == "active"
    assert [e.action for e in audit.recent(db, limit=2)] == [
        "member.reactivated",
        "member.deactivated",
    ]


async def test_role_group_and_family_from_the_detail(app_for, db: Database) -> None:  # type: ignore[no-untyped-def]
    member_admin.create_group(db, member(db, "marc"), "Cadres")
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_alice(pilot, app)
        await pilot.press("r", "y")
        await settle(pilot)
        assert member(db, "alice").role == "manager"
        await pilot.press("plus")
        await pilot.pause()
        await pilot.press(*"cadres", "enter")
        await settle(pilot)
        assert fr("Groupes : Cadres") in text_of(app, "member-groups")
        await pilot.press("minus")
        await pilot.pause()
        await pilot.press(*"inconnu", "enter")
        await settle(pilot)
        assert "Aucun groupe de ce nom" in text_of(app, "member-message")
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("ctrl+u", *"1200", "enter")
        await settle(pilot)
        family = text_of(app, "member-family")  # alice's tax notice proves it (demo data)
        assert fr("quotient familial : 850") in family and "justificatif" in family
        assert "justificatif" in text_of(app, "member-message")
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("ctrl+u", *"2016, 2012", "enter")
        await settle(pilot)
        assert fr("enfants nés en : 2012, 2016") in text_of(app, "member-family")
        await pilot.press("t", "y")  # 2FA is off: a clear sentence
        await settle(pilot)
        assert "n'est pas activée" in text_of(app, "member-message")


async def test_another_organizations_member_typed_by_id_is_refused(app_for, db: Database) -> None:  # type: ignore[no-untyped-def]
    from portal.screens.manage.member_detail import MemberDetailScreen

    bob = member(db, "bob")
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(MemberDetailScreen(bob.id))
        await settle(pilot)
        assert "ne pouvez pas voir" in text_of(app, "member-identity")
        assert "Bob" not in text_of(app, "member-identity")
        await pilot.press("d", "y")
        await settle(pilot)
        assert "ne pouvez pas gérer" in text_of(app, "member-message")
    assert member(db, "bob").status == "active"
