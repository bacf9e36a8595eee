"""Pilot tests of My Account: the profile, the security menu, and the password change.

Helpers here (``snapshot``, ``FakeSessions``, ``open_account``) are shared by the other
``test_account_*`` modules.
"""

from __future__ import annotations

import time
from typing import Any

from sqlite_utils import Database
from textual.widgets import Input, OptionList, Static

from portal.app import PortalApp
from portal.data import members as members_data
from portal.services.passwords import verify_password
from portal.services.runtime import SessionInfo

NEW_PASSWORD = "Tournesol granit 2027"

IDENTITY_TABLES = (
    "members",
    "member_totp",
    "recovery_codes",
    "ssh_keys",
    "audit_log",
    "email_outbox",
)


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables My Account may touch (to prove nothing changed)."""
    return {
        table: [tuple(row) for row in db.execute(f"SELECT * FROM [{table}] ORDER BY 1").fetchall()]
        for table in IDENTITY_TABLES
    }


def text(app: PortalApp, selector: str) -> str:
    """What a Static shows."""
    return str(app.screen.query_one(selector, Static).render())


class FakeSessions:
    """A session directory with other live sessions of one member."""

    def __init__(self, member_id: int, mine: str, others: int = 2) -> None:
        now = time.time()
        self.sessions = [SessionInfo(mine, member_id, "127.0.0.1", now - 60, now)]
        self.sessions += [
            SessionInfo(f"other{i:04d}", member_id, f"10.0.0.{i}", now - 3600, now - 600)
            for i in range(others)
        ]
        self.calls: list[tuple[int, str | None, str | None]] = []

    def list_for(self, db: object, member_id: int) -> list[SessionInfo]:
        return [s for s in self.sessions if s.member_id == member_id]

    def close_member_sessions(
        self,
        db: object,
        member_id: int,
        *,
        except_session: str | None = None,
        reason: str | None = None,
    ) -> int:
        self.calls.append((member_id, except_session, reason))
        victims = [
            s for s in self.sessions if s.member_id == member_id and s.session_id != except_session
        ]
        self.sessions = [s for s in self.sessions if s not in victims]
        return len(victims)


async def open_account(pilot: Any) -> None:
    """From the home screen, open My Account."""
    app = pilot.app
    menu = app.screen.query_one("#menu", OptionList)
    menu.highlighted = next(
        i for i in range(menu.option_count) if menu.get_option_at_index(i).id == "account"
    )
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert type(app.screen).__name__ == "AccountScreen"


async def settle(pilot: Any) -> None:
    """Wait for every worker and the messages they posted."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _member(db: Database, login: str):  # type: ignore[no-untyped-def]
    member = members_data.get_member_by_login(db, login)
    assert member is not None
    return member


def _audit_actions(db: Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT action FROM audit_log ORDER BY id").fetchall()]


# -- the page --------------------------------------------------------------------------


async def test_account_shows_profile_and_security_state(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_account(pilot)
        profile = text(app, "#profile")
        assert "Nom\u00a0: Alice Martin" in profile  # French typography: "Nom : "
        assert "Identifiant\u00a0: alice" in profile and "ne change jamais" in profile
        assert "alice.martin@demo.example" in profile
        menu = app.screen.query_one("#security-menu", OptionList)
        prompts = [str(menu.get_option_at_index(i).prompt) for i in range(menu.option_count)]
        assert any("Changer le mot de passe" in p for p in prompts)
        assert any("Double authentification" in p and "désactivée" in p for p in prompts)
        assert any("Clés SSH" in p and "0 clé" in p for p in prompts)
        assert any("Sessions actives" in p for p in prompts)
        # everything fits in 80x24, above the footer
        for selector in ("#profile", "#security-menu", "#lang-en"):
            region = app.screen.query_one(selector).region
            assert region.bottom <= 23, (selector, region)


async def test_every_security_screen_opens_by_key_and_closes_with_escape(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_account(pilot)
        for key, name in (
            ("p", "PasswordScreen"),
            ("t", "TwoFactorScreen"),
            ("k", "SshKeysScreen"),
            ("s", "SessionsScreen"),
        ):
            await pilot.press(key)
            await settle(pilot)
            assert type(app.screen).__name__ == name
            await pilot.press("escape")
            await settle(pilot)
            assert type(app.screen).__name__ == "AccountScreen"


async def test_security_menu_opens_with_enter(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_account(pilot)
        app.screen.query_one("#security-menu", OptionList).focus()
        await pilot.press("down", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "TwoFactorScreen"


async def test_account_in_english(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_account(pilot)
        assert "never changes" in text(app, "#profile")
        assert "Name: Bob" in text(app, "#profile")
        headings = [str(w.render()) for w in app.screen.query(".heading")]
        assert headings[:2] == ["Profile", "Security"]


# -- password --------------------------------------------------------------------------


async def _fill_password_form(pilot: Any, current: str, new: str, confirm: str) -> None:
    app = pilot.app
    await pilot.press("p")
    await settle(pilot)
    assert type(app.screen).__name__ == "PasswordScreen"
    app.screen.query_one("#current", Input).value = current
    app.screen.query_one("#new", Input).value = new
    app.screen.query_one("#confirm", Input).value = confirm
    await settle(pilot)
    await pilot.press("ctrl+s")
    await settle(pilot)


async def test_password_change_closes_other_sessions(app_for, services, db) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    alice = _member(db, "alice")
    fake = FakeSessions(alice.id, app.session.session_id)
    services.sessions = fake
    async with app.run_test(size=(80, 24)) as pilot:
        await open_account(pilot)
        await _fill_password_form(pilot, "Soleil-Vert-2026!", NEW_PASSWORD, NEW_PASSWORD)
        assert type(app.screen).__name__ == "AccountScreen"
    stored = members_data.get_password_hash(db, alice.id)
    assert verify_password(stored, NEW_PASSWORD)
    assert not verify_password(stored, "Soleil-Vert-2026!")
    assert fake.calls and fake.calls[0][:2] == (alice.id, app.session.session_id)
    assert "mot de passe" in (fake.calls[0][2] or "")
    assert [s.session_id for s in fake.sessions] == [app.session.session_id]
    actions = _audit_actions(db)
    assert actions[-2:] == ["account.password_changed", "account.sessions_closed"]
    closed = db.execute("SELECT details FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert '"count": 2' in closed and "password_changed" in closed
    mail = db.execute("SELECT recipient, subject FROM email_outbox").fetchall()
    assert [tuple(m) for m in mail] == [
        ("alice.martin@demo.example", "Votre mot de passe du Portail a été modifié")
    ]


async def test_wrong_current_password_changes_nothing(app_for, services, db) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    fake = FakeSessions(_member(db, "alice").id, app.session.session_id)
    services.sessions = fake
    before = snapshot(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_account(pilot)
        await _fill_password_form(pilot, "not my password", NEW_PASSWORD, NEW_PASSWORD)
        assert type(app.screen).__name__ == "PasswordScreen"
        assert "Le mot de passe actuel est incorrect." in text(app, "#password-message")
        assert app.screen.query_one("#current", Input).value == ""
        assert app.screen.query_one("#current", Input).has_focus
    assert snapshot(db) == before
    assert fake.calls == []


async def test_refused_new_password_says_why_and_changes_nothing(app_for, db) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    before = snapshot(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_account(pilot)
        await _fill_password_form(
            pilot, "Soleil-Vert-2026!", "alice-martin-2027", "alice-martin-2027"
        )
        message = text(app, "#password-message")
        assert "identifiant" in message and "nom" in message
        app.screen.query_one("#new", Input).value = "password1234"
        app.screen.query_one("#confirm", Input).value = "password1234"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "les plus courants" in text(app, "#password-message")
        app.screen.query_one("#new", Input).value = "Court-1!"
        app.screen.query_one("#confirm", Input).value = "Court-1!"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "au moins 12 caractères" in text(app, "#password-message")
    assert snapshot(db) == before


async def test_confirmation_must_match(app_for, db) -> None:  # type: ignore[no-untyped-def]
    app = app_for("bob")
    before = snapshot(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_account(pilot)
        await _fill_password_form(pilot, "Horizon-Bob-2026!", NEW_PASSWORD, NEW_PASSWORD + "x")
        assert text(app, "#password-message") == "The two new passwords are different."
        assert app.screen.query_one("#confirm", Input).has_focus
    assert snapshot(db) == before


async def test_strength_meter_follows_typing_and_advice_is_shown(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_account(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert "Advice: mix upper case" in text(app, "#password-advice")
        app.screen.query_one("#new", Input).focus()
        await pilot.press(*"password")
        await settle(pilot)
        assert "Very weak" in text(app, "#strength")
        assert "at least 12" in text(app, "#new-problems")
        app.screen.query_one("#new", Input).value = NEW_PASSWORD
        await settle(pilot)
        assert "Very strong" in text(app, "#strength") or "Strong" in text(app, "#strength")
        assert text(app, "#new-problems") == ""
        app.screen.query_one("#new", Input).value = ""
        await settle(pilot)
        assert text(app, "#strength") == ""
        # the form fits in 80x24
        assert app.screen.query_one("#confirm", Input).region.bottom <= 23


async def test_passwords_are_hidden_until_asked(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_account(pilot)
        await pilot.press("p")
        await settle(pilot)
        fields = list(app.screen.query(Input))
        assert all(f.password for f in fields)
        await pilot.press("ctrl+o")
        assert not any(f.password for f in fields)
