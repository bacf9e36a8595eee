"""A manager invites a member from the terminal; the person activates with the emailed code."""

from __future__ import annotations

import re

from textual.widgets import Input, Static

from portal.data import members as members_data
from portal.services import invitations
from portal.services.accounts import check_password
from tests.mail_helpers import bodies


def _outbox(db, login: str) -> list[str]:  # type: ignore[no-untyped-def]
    member = members_data.get_member_by_login(db, login)
    if member is None:
        return []
    return bodies(db, "member_id = ?", [member.id])


async def _fill(pilot, app, **values: str) -> None:  # type: ignore[no-untyped-def]
    for field, value in values.items():
        app.screen.query_one(f"#invite-{field}", Input).value = value


async def _open_invite(pilot, app) -> None:  # type: ignore[no-untyped-def]
    from portal.screens.manage.invite import InviteScreen

    await app.push_screen(InviteScreen())
    await pilot.pause()


async def test_manager_invites_and_the_person_activates(app_for, db) -> None:  # type: ignore[no-untyped-def]
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_invite(pilot, app)
        await _fill(
            pilot,
            app,
            **{
                "first-name": "Julie",
                "last-name": "Petit",
                "email": "julie.petit@demo.example",
                "login": "julie",
            },
        )
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        message = str(app.screen.query_one("#invite-message", Static).render())
        assert "Invitation envoyée à julie.petit@demo.example" in message
    julie = members_data.get_member_by_login(db, "julie")
    assert julie is not None and julie.status == "invited"
    assert julie.organization_name == "CSE Démo"  # the manager's own organization
    bodies = _outbox(db, "julie")
    assert len(bodies) == 1
    code = re.search(r"\b([A-Z0-9]{4}-?[A-Z0-9]{4}-?[A-Z0-9]{4}|[A-Z0-9]{12})\b", bodies[0])
    assert code, bodies[0]
    invitations.activate(db, code.group(1), "Lune-Argentée-2026!", "Lune-Argentée-2026!")
    assert check_password(db, "julie", "Lune-Argentée-2026!") is not None


async def test_bad_input_is_explained_and_nothing_is_written(app_for, db) -> None:  # type: ignore[no-untyped-def]
    before = db.execute("SELECT COUNT(*) FROM members").fetchone()[0]
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_invite(pilot, app)
        await _fill(
            pilot,
            app,
            **{
                "first-name": "Julie",
                "last-name": "Petit",
                "email": "not-an-email",
                "login": "julie",
            },
        )
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        message = app.screen.query_one("#invite-message", Static)
        assert message.has_class("error") and str(message.render())
        await _fill(pilot, app, email="julie@demo.example", login="alice")  # login taken
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.query_one("#invite-message", Static).has_class("error")
    assert db.execute("SELECT COUNT(*) FROM members").fetchone()[0] == before


async def test_members_do_not_see_the_invite_section(app_for) -> None:  # type: ignore[no-untyped-def]
    from portal.screens.sections import sections_for

    app = app_for("alice")
    assert "invite" not in [s.id for s in sections_for(app.member)]
    assert "invite" in [s.id for s in sections_for(app_for("nina").member)]
