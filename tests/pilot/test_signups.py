"""Pilot tests of "Demandes d'inscription": a manager validates or refuses sign-ups."""

from __future__ import annotations

import re
from typing import Any

from sqlite_utils import Database
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList, Static

from portal.data import members as members_data
from portal.services import gate, signup
from tests.mail_helpers import last_body

T0 = 1_800_000_000.0
GOOD = "Lanterne-Orage-Piano-77"


def request(
    db: Database,
    login: str,
    key: str = "DEMO-2026",
    organization_id: int | None = None,
    language: str = "fr",
) -> signup.SignupRequest:
    """File a verified sign-up request, as the guest entry does."""
    draft = signup.start(
        db,
        key=key,
        organization_id=organization_id,
        first_name="Chloé",
        last_name=login.capitalize(),
        email=f"{login}@mail.example",
        login=login,
        password=GOOD,
        confirm=GOOD,
        language=language,
        guest_username="welcome",
        now=T0,
    )
    body = last_body(db)
    assert body is not None
    code = re.search(r"^    (\d{6})$", body, re.M)
    assert code
    return signup.confirm(db, draft, code.group(1), now=T0)


async def open_signups(pilot: Pilot[Any]) -> None:
    menu = pilot.app.screen.query_one("#menu", OptionList)
    index = next(i for i in range(menu.option_count) if menu.get_option_at_index(i).id == "signups")
    menu.highlighted = index
    await pilot.press("enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def rows(app: Any) -> list[list[str]]:
    table = app.screen.query_one("#requests", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_members_do_not_see_the_section(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)):
        menu = app.screen.query_one("#menu", OptionList)
        assert "signups" not in [menu.get_option_at_index(i).id for i in range(menu.option_count)]


async def test_a_manager_sees_their_organizations_requests_only(app_for, db: Database) -> None:  # type: ignore[no-untyped-def]
    request(db, "chloe")
    horizon = members_data.get_member_by_login(db, "nina")
    assert horizon is not None
    members_data.set_guest_listed(db, horizon.organization_id, True)  # in the "0" list
    request(db, "hector", key="0", organization_id=horizon.organization_id)
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        menu = app.screen.query_one("#menu", OptionList)
        labels = [str(menu.get_option_at_index(i).prompt) for i in range(menu.option_count)]
        assert any("Demandes d'inscription" in label for label in labels)
        await open_signups(pilot)
        assert type(app.screen).__name__ == "SignupsScreen"
        assert [r[1:] for r in rows(app)] == [["Chloé Chloe", "chloe", "vérifiée"]]
        assert "chloe@mail.example" in str(app.screen.query_one("#request-detail", Static).render())
    app = app_for("nina")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_signups(pilot)
        assert [r[1:] for r in rows(app)] == [["Chloé Hector", "hector", "aucune (0)"]]


async def test_validating_creates_the_account(app_for, db: Database) -> None:  # type: ignore[no-untyped-def]
    request(db, "chloe")
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_signups(pilot)
        await pilot.press("v")
        await pilot.pause()
        assert type(app.screen).__name__ == "ValidateDialog"
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert type(app.screen).__name__ == "SignupsScreen"
        assert rows(app) == []
        assert "peut maintenant se connecter" in str(
            app.screen.query_one("#signups-status", Static).render()
        )
    assert gate.check_password(db, "chloe", GOOD, ip="127.0.0.1", policy=gate.GatePolicy()).ok


async def test_cancelling_a_validation_changes_nothing(app_for, db: Database) -> None:  # type: ignore[no-untyped-def]
    request(db, "chloe")
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_signups(pilot)
        await pilot.press("v", "n")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(rows(app)) == 1
    assert members_data.get_member_by_login(db, "chloe") is None


async def test_refusing_needs_a_reason_which_the_applicant_receives(app_for, db: Database) -> None:  # type: ignore[no-untyped-def]
    request(db, "chloe")
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_signups(pilot)
        await pilot.press("r")
        await pilot.pause()
        assert type(app.screen).__name__ == "RefuseDialog"
        await pilot.press("enter")  # no reason yet
        await pilot.pause()
        assert type(app.screen).__name__ == "RefuseDialog"
        assert "motif" in str(app.screen.query_one("#refuse-error", Static).render())
        assert db.execute("SELECT status FROM signup_requests").fetchone()[0] == "pending"
        app.screen.query_one("#reason", Input).focus()
        await pilot.press(*"Inconnue au CSE")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert rows(app) == []
    row = db.execute("SELECT status, reason FROM signup_requests").fetchone()
    assert tuple(row) == ("refused", "Inconnue au CSE")
    body = last_body(db, "recipient = 'chloe@mail.example'")
    assert body is not None
    assert "Inconnue au CSE" in body
    assert members_data.get_member_by_login(db, "chloe") is None


async def test_an_admin_sees_every_organization(app_for, db: Database) -> None:  # type: ignore[no-untyped-def]
    request(db, "chloe")
    app = app_for("admin")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_signups(pilot)
        assert [r[1:] for r in rows(app)] == [["Chloé Chloe", "chloe", "CSE Démo", "vérifiée"]]


async def test_an_empty_list_says_so(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_signups(pilot)
        assert "Aucune demande en attente." in str(
            app.screen.query_one("#signups-status", Static).render()
        )
        await pilot.press("v", "r")  # nothing to act on: nothing happens
        await pilot.pause()
        assert type(app.screen).__name__ == "SignupsScreen"
