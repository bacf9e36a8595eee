"""Pilot tests: each sensitive account change asks who you are, and tells you by email.

For each action: a wrong password (or code, when 2FA is on) is said in the dialog, the
field is emptied and keeps the focus, and nothing changes in the database; the right one
lets the action through, and the security email is in the outbox (read through
``portal.data.outbox``).
"""

from __future__ import annotations

from typing import Any

import asyncssh
import pyotp
import pytest
from sqlite_utils import Database
from textual.widgets import DataTable, Input

from portal.data import members as members_data
from portal.data import outbox
from portal.data.members import Member
from portal.services import reauth, ssh_keys, twofactor
from portal.services.clock import FrozenClock
from portal.widgets.reauth import ReauthDialog
from tests.mail_helpers import body_of
from tests.pilot.test_account import open_account, settle, snapshot, text
from tests.reauth_helpers import DEMO_PASSWORDS, answer_reauth, without_failed_reauth

T0 = 1_800_000_000.0
NB = "\u00a0"
"""The no-break space French puts before : ; ! ? and inside « »."""


@pytest.fixture
def clock(frozen_clock: FrozenClock) -> FrozenClock:
    frozen_clock.set(T0)
    return frozen_clock


def _member(db: Database, login: str) -> Member:
    member = members_data.get_member_by_login(db, login)
    assert member is not None
    return member


def _subjects(db: Database, member: Member) -> list[str]:
    return [e.subject for e in outbox.list_emails(db) if e.member_id == member.id]


def _dialog_fits(app: Any) -> None:
    """The whole dialog, its field and its message are inside 80x24, above the footer."""
    screen = app.screen
    assert isinstance(screen, ReauthDialog)
    for widget in (screen.query_one("#reauth"), screen.query_one("#reauth-message")):
        region = widget.region
        assert region.x >= 0 and region.right <= 80 and region.y >= 0 and region.bottom <= 23
    field = screen.query_one("#reauth-code, #reauth-password", Input)
    assert field.region.width >= 10 and field.region.bottom <= 23


async def _refused(pilot: Any, answer: str, sentence: str) -> None:
    await answer_reauth(pilot, answer)
    app = pilot.app
    assert type(app.screen).__name__ == "ReauthDialog"
    assert sentence in text(app, "#reauth-message")
    field = app.screen.query_one("#reauth-code, #reauth-password", Input)
    assert field.value == "" and field.has_focus
    _dialog_fits(app)


async def _open_twofactor(pilot: Any) -> None:
    await open_account(pilot)
    await pilot.press("t")
    await settle(pilot)
    assert type(pilot.app.screen).__name__ == "TwoFactorScreen"


async def test_turning_2fa_on_asks_the_password_then_tells_by_email(app_for, db, clock) -> None:  # type: ignore[no-untyped-def]
    alice = _member(db, "alice")
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_twofactor(pilot)
        before = snapshot(db)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ReauthDialog)
        assert app.screen.query_one("#reauth-password", Input).password  # masked
        _dialog_fits(app)
        await _refused(pilot, "Soleil-Vert-2025!", f"Mot de passe erroné. Essais restants{NB}: 4.")
        assert without_failed_reauth(snapshot(db)) == before
        await pilot.press("escape")  # cancel: back where we were, nothing started
        await settle(pilot)
        assert type(app.screen).__name__ == "TwoFactorScreen"
        assert without_failed_reauth(snapshot(db)) == before

        await pilot.press("a")
        await settle(pilot)
        await answer_reauth(pilot, DEMO_PASSWORDS["alice"])
        assert type(app.screen).__name__ == "TwoFactorSetupScreen"
        secret = text(app, "#secret").replace(" ", "")
        app.screen.query_one("#totp-code", Input).focus()
        await pilot.press(*pyotp.TOTP(secret).at(T0), "enter")
        await settle(pilot)
        assert twofactor.is_enabled(db, alice.id)
    assert _subjects(db, alice) == [
        "La double authentification est activée sur votre compte Portal"
    ]


async def test_new_recovery_codes_ask_a_code_when_2fa_is_on(app_for, services, db, clock) -> None:  # type: ignore[no-untyped-def]
    alice = _member(db, "alice")
    secret = twofactor.enroll_for_test(db, services.secrets, alice.id)
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_twofactor(pilot)
        before = snapshot(db)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("y")  # the confirmation, then who are you
        await settle(pilot)
        assert isinstance(app.screen, ReauthDialog)
        assert not app.screen.query("#reauth-password")
        _dialog_fits(app)
        await _refused(pilot, "000000", "Ce code n'est pas valide")
        assert without_failed_reauth(snapshot(db)) == before
        await answer_reauth(pilot, pyotp.TOTP(secret).at(T0))
        assert type(app.screen).__name__ == "RecoveryCodesScreen"
    assert twofactor.status(db, alice.id).recovery_codes_left == 10
    assert _subjects(db, alice) == ["Nouveaux codes de secours pour votre compte Portal"]


async def test_turning_2fa_off_tells_by_email(app_for, services, db, clock) -> None:  # type: ignore[no-untyped-def]
    bob = _member(db, "bob")
    secret = twofactor.enroll_for_test(db, services.secrets, bob.id)
    app = app_for("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_twofactor(pilot)
        await pilot.press("d")
        await settle(pilot)
        app.screen.query_one("#disable-password", Input).value = DEMO_PASSWORDS["bob"]
        app.screen.query_one("#disable-code", Input).value = pyotp.TOTP(secret).at(T0)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "TwoFactorScreen"
    assert not twofactor.is_enabled(db, bob.id)
    assert _subjects(db, bob) == ["Two-factor authentication is off for your Portal account"]


def _public() -> str:
    key = asyncssh.generate_private_key("ssh-ed25519", comment="alice@laptop")
    return str(key.export_public_key("openssh").decode().strip())


async def test_adding_and_removing_a_key_ask_the_password(app_for, db, clock) -> None:  # type: ignore[no-untyped-def]
    alice = _member(db, "alice")
    key_text = _public()
    fingerprint = asyncssh.import_public_key(key_text).get_fingerprint("sha256")
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_account(pilot)
        await pilot.press("k")
        await settle(pilot)
        before = snapshot(db)
        app.screen.query_one("#key-text", Input).value = key_text
        app.screen.query_one("#key-label", Input).value = "Portable"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await _refused(pilot, "nope", "Mot de passe erroné")
        assert without_failed_reauth(snapshot(db)) == before
        await answer_reauth(pilot, DEMO_PASSWORDS["alice"])
        assert type(app.screen).__name__ == "SshKeysScreen"
        assert fingerprint in text(app, "#key-message")
        assert ssh_keys.key_allowed(db, "alice", key_text)

        table = app.screen.query_one("#keys", DataTable)
        table.focus()
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        kept = snapshot(db)
        await _refused(pilot, "nope", "Mot de passe erroné")
        assert without_failed_reauth(snapshot(db)) == without_failed_reauth(kept)
        assert len(ssh_keys.list_keys(db, alice)) == 1
        await answer_reauth(pilot, DEMO_PASSWORDS["alice"])
        assert app.screen.query_one("#keys", DataTable).row_count == 0
    assert ssh_keys.list_keys(db, alice) == []
    mails = [e for e in outbox.list_emails(db) if e.member_id == alice.id]
    assert [m.subject for m in mails] == [
        "Une clé SSH a été retirée de votre compte Portal",
        "Une clé SSH a été ajoutée à votre compte Portal",
    ]
    for mail in mails:
        body = body_of(db, mail.id)
        assert f"«{NB}Portable{NB}»" in body and fingerprint in body
        assert key_text.split()[1] not in body


async def test_a_new_communication_email_asks_the_password(app_for, db, clock) -> None:  # type: ignore[no-untyped-def]
    from tests.pilot.test_contact_screen import code_in_outbox, open_contact

    alice = _member(db, "alice")
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_contact(app, pilot)
        before = snapshot(db)
        field = app.screen.query_one("#new-email", Input)
        field.value = "alice@perso.example"
        field.focus()
        await pilot.press("enter")
        await settle(pilot)
        await _refused(pilot, "nope", "Mot de passe erroné")
        assert without_failed_reauth(snapshot(db)) == before
        assert outbox.list_emails(db, recipient="alice@perso.example") == []
        await answer_reauth(pilot, DEMO_PASSWORDS["alice"])
        await settle(pilot)
        assert "Code envoyé" in text(app, "#message")
        await pilot.press(*code_in_outbox(db, "alice@perso.example"), "enter")
        await settle(pilot)
        assert "Adresse vérifiée" in text(app, "#message")
    [notice] = outbox.list_emails(db, recipient="alice.martin@demo.example")
    assert notice.member_id == alice.id
    body = body_of(db, notice.id)
    assert "alice@perso.example" in body and "contactez votre CSE" in body


async def test_a_mistyped_address_is_said_before_any_password(app_for, db, clock) -> None:  # type: ignore[no-untyped-def]
    from tests.pilot.test_contact_screen import open_contact

    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_contact(app, pilot)
        field = app.screen.query_one("#new-email", Input)
        field.value = "alice@@perso"
        field.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "ContactScreen"
        assert "adresse e-mail valide" in text(app, "#field-error")


async def test_five_wrong_passwords_lock_the_dialog(app_for, db, clock) -> None:  # type: ignore[no-untyped-def]
    alice = _member(db, "alice")
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_twofactor(pilot)
        await pilot.press("a")
        await settle(pilot)
        for _ in range(reauth.MAX_FAILURES):
            await answer_reauth(pilot, "guess")
        assert "Trop de réponses erronées" in text(app, "#reauth-message")
        await answer_reauth(pilot, DEMO_PASSWORDS["alice"])
        assert "Trop de réponses erronées" in text(app, "#reauth-message")
        assert type(app.screen).__name__ == "ReauthDialog"
    assert not twofactor.is_enabled(db, alice.id)


async def test_the_dialog_speaks_english_too(app_for, db, clock) -> None:  # type: ignore[no-untyped-def]
    app = app_for("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_twofactor(pilot)
        await pilot.press("a")
        await settle(pilot)
        _dialog_fits(app)
        assert "confirm it is you" in text(app, "#reauth-reason")
        footer = {b.binding.description for b in app.screen.active_bindings.values()}
        assert "Cancel" in footer
        await _refused(pilot, "nope", "Wrong password. Tries left: 4.")
        assert not app.screen.query("#twofactor-actions")  # the dialog is on top
