"""Pilot tests of two-factor authentication in My Account, and of its mandatory form."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import Monochrome
from textual.widgets import Input, Static

from portal.app import TerminalInfo, make_app
from portal.data import identity
from portal.data import members as members_data
from portal.services import reauth, twofactor
from portal.services.clock import FrozenClock
from portal.widgets.qrcode import QRCode, qr_lines, qr_matrix
from tests.pilot.test_account import open_account, settle, snapshot, text
from tests.reauth_helpers import DEMO_PASSWORDS, answer_reauth, proof_for, without_failed_reauth

T0 = 1_800_000_000.0


@pytest.fixture
def clock(frozen_clock: FrozenClock) -> FrozenClock:
    """The time 2FA sees, frozen at ``T0`` (tests move it instead of sleeping)."""
    frozen_clock.set(T0)
    return frozen_clock


def _secret(app: Any) -> str:
    return text(app, "#secret").replace(" ", "")


async def _open_setup(pilot: Any) -> None:
    await open_account(pilot)
    await pilot.press("t")
    await settle(pilot)
    assert type(pilot.app.screen).__name__ == "TwoFactorScreen"
    assert "désactivée" in text(pilot.app, "#twofactor-state") or "is off" in text(
        pilot.app, "#twofactor-state"
    )
    await pilot.press("a")
    await settle(pilot)
    await answer_reauth(pilot, DEMO_PASSWORDS[pilot.app.member.login])
    assert type(pilot.app.screen).__name__ == "TwoFactorSetupScreen"


async def _type_code(pilot: Any, code: str) -> None:
    field = pilot.app.screen.query_one("#totp-code", Input)
    field.focus()
    field.value = ""
    await pilot.press(*code, "enter")
    await settle(pilot)


async def test_activation_with_qr_code_wrong_and_expired_codes_then_recovery_codes(  # type: ignore[no-untyped-def]
    app_for, db, clock
) -> None:
    app = app_for("alice")
    alice = members_data.get_member_by_login(db, "alice")
    assert alice is not None
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_setup(pilot)
        qr = app.screen.query_one("#qr", QRCode)
        # the QR code and the code field fit in 80x24, between the title and the footer
        assert qr.region.y >= 1 and qr.region.bottom <= 23 and qr.region.right <= 80
        assert app.screen.query_one("#totp-code", Input).region.bottom <= 23
        secret = _secret(app)
        assert len(secret) == 32
        uri = twofactor.provisioning_uri(secret, "alice")
        assert qr.lines == qr_lines(uri)
        assert not twofactor.is_enabled(db, alice.id)
        before = snapshot(db)

        await _type_code(pilot, "000000")
        assert "pas valide" in text(app, "#setup-message")
        expired = pyotp.TOTP(secret).at(T0 - 120)
        await _type_code(pilot, expired)
        assert "pas valide" in text(app, "#setup-message")
        await _type_code(pilot, "123")
        assert "6 chiffres" in text(app, "#setup-message")
        assert snapshot(db) == before
        assert not twofactor.is_enabled(db, alice.id)

        await _type_code(pilot, pyotp.TOTP(secret).at(T0))
        assert twofactor.is_enabled(db, alice.id)
        codes = text(app, "#recovery-codes").split()
        shown = [c for c in codes if c.count("-") == 2]
        assert len(shown) == 10
        await pilot.press("c")
        assert all(c in app.clipboard for c in shown)
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "TwoFactorScreen"
        assert "activée depuis" in text(app, "#twofactor-state")
        assert "10 codes de secours restants" in text(app, "#twofactor-state")
    # a shown recovery code works once
    box = app.services.secrets
    assert twofactor.verify_code(db, box, alice.id, shown[3])
    assert not twofactor.verify_code(db, box, alice.id, shown[3])
    assert (
        db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'twofactor.enabled'").fetchone()[
            0
        ]
        == 1
    )


async def test_escape_leaves_setup_without_enabling(app_for, db, clock) -> None:  # type: ignore[no-untyped-def]
    app = app_for("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_account(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("enter")  # the highlighted action: Activate
        await settle(pilot)
        await answer_reauth(pilot, DEMO_PASSWORDS["bob"])
        assert type(app.screen).__name__ == "TwoFactorSetupScreen"
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "TwoFactorScreen"
        assert "is off" in text(app, "#twofactor-state")
    bob = members_data.get_member_by_login(db, "bob")
    assert bob is not None and not twofactor.is_enabled(db, bob.id)


async def test_deactivation_needs_password_and_code(app_for, services, db, clock) -> None:  # type: ignore[no-untyped-def]
    alice = members_data.get_member_by_login(db, "alice")
    assert alice is not None
    secret = twofactor.enroll_for_test(db, services.secrets, alice.id)
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_account(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("a")  # not offered while 2FA is on
        await settle(pilot)
        assert type(app.screen).__name__ == "TwoFactorScreen"
        await pilot.press("d")
        await settle(pilot)
        assert type(app.screen).__name__ == "TwoFactorDisableScreen"
        before = snapshot(db)

        async def attempt(password: str, code: str) -> None:
            app.screen.query_one("#disable-password", Input).value = password
            app.screen.query_one("#disable-code", Input).value = code
            await pilot.press("ctrl+s")
            await settle(pilot)

        await attempt("wrong password", pyotp.TOTP(secret).at(T0))
        assert "incorrect" in text(app, "#disable-message")
        await attempt("Soleil-Vert-2026!", "000000")
        assert "incorrect" in text(app, "#disable-message")
        await attempt("Soleil-Vert-2026!", pyotp.TOTP(secret).at(T0 - 300))  # expired
        assert "incorrect" in text(app, "#disable-message")
        await attempt("", "")
        assert "Saisissez votre mot de passe et un code." in text(app, "#disable-message")
        assert without_failed_reauth(snapshot(db)) == before
        assert type(app.screen).__name__ == "TwoFactorDisableScreen"

        await attempt("Soleil-Vert-2026!", pyotp.TOTP(secret).at(T0))
        assert type(app.screen).__name__ == "TwoFactorScreen"
        assert "désactivée" in text(app, "#twofactor-state")
    assert not twofactor.is_enabled(db, alice.id)
    assert identity.get_totp(db, alice.id) is None


async def test_new_recovery_codes_replace_the_old_ones(app_for, services, db, clock) -> None:  # type: ignore[no-untyped-def]
    bob = members_data.get_member_by_login(db, "bob")
    assert bob is not None
    box = services.secrets
    proof = proof_for(db, box, bob, reauth.ENABLE_TWOFACTOR)
    enrollment = twofactor.begin_enrollment(db, box, bob.id, proof=proof)
    old = twofactor.confirm_enrollment(db, box, bob.id, pyotp.TOTP(enrollment.secret).at(T0))
    assert old
    clock.set(T0 + 30)  # the code of T0 is spent
    app = app_for("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_account(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.press("n")
        await settle(pilot)
        assert type(app.screen).__name__ == "TwoFactorScreen"
        assert twofactor.verify_code(db, box, bob.id, old[0])  # refusing changed nothing
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        await answer_reauth(pilot, pyotp.TOTP(enrollment.secret).at(T0 + 30))
        assert type(app.screen).__name__ == "RecoveryCodesScreen"
        fresh = [c for c in text(app, "#recovery-codes").split() if c.count("-") == 2]
        assert len(fresh) == 10 and not set(fresh) & set(old)
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "TwoFactorScreen"
        assert "10 recovery codes left" in text(app, "#twofactor-state")
    assert not twofactor.verify_code(db, box, bob.id, old[1])
    assert twofactor.verify_code(db, box, bob.id, fresh[0])


async def test_required_screen_has_no_way_back_and_dismisses_once_on(  # type: ignore[no-untyped-def]
    app_for, db, clock
) -> None:
    from portal.screens.twofactor_setup import TwoFactorRequiredScreen

    marc = members_data.get_member_by_login(db, "marc")
    assert marc is not None and twofactor.is_required(marc)
    app = app_for("marc")
    results: list[object] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(TwoFactorRequiredScreen(), results.append)
        await settle(pilot)
        assert "Obligatoire pour votre rôle" in str(
            app.screen.query(".warning").first(Static).render()
        )
        await _type_code(pilot, "000000")
        # the whole form, and the error, fit in 80x24 beside the QR code
        assert app.screen.query_one("#setup-message").region.bottom <= 23
        assert "pas valide" in text(app, "#setup-message")
        footer_keys = [
            key
            for key, active in app.screen.active_bindings.items()
            if active.enabled and active.binding.show
        ]
        assert "escape" not in footer_keys and "ctrl+q" in footer_keys
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "TwoFactorRequiredScreen"
        await _type_code(pilot, pyotp.TOTP(_secret(app)).at(T0))
        assert twofactor.is_enabled(db, marc.id)
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "HomeScreen"
    assert results == [None]


async def test_required_screen_leaves_at_once_when_already_on(  # type: ignore[no-untyped-def]
    app_for, services, db, clock
) -> None:
    from portal.screens.twofactor_setup import TwoFactorRequiredScreen

    marc = members_data.get_member_by_login(db, "marc")
    assert marc is not None
    twofactor.enroll_for_test(db, services.secrets, marc.id)
    app = app_for("marc")
    results: list[object] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(TwoFactorRequiredScreen(), results.append)
        await settle(pilot)
        assert type(app.screen).__name__ == "HomeScreen"
    assert results == [None]


# -- the QR code widget ------------------------------------------------------------------


def test_qr_lines_hold_the_whole_matrix_with_its_quiet_zone() -> None:
    uri = "otpauth://totp/Portal%20CSE:alice?secret=ULY5UL73SDUA7LA2KF6IZJ4UC7XEY3AC&issuer=Portal%20CSE"
    matrix = qr_matrix(uri)
    lines = qr_lines(uri)
    assert len(lines) == (len(matrix) + 1) // 2 <= 22
    assert all(len(line) == len(matrix) <= 41 for line in lines)
    # glyphs are the light modules: decode them back and compare
    for y, line in enumerate(lines):
        for x, glyph in enumerate(line):
            assert (glyph in "█▀") == (not matrix[2 * y][x])
            if 2 * y + 1 < len(matrix):
                assert (glyph in "█▄") == (not matrix[2 * y + 1][x])
    # the quiet zone (2 modules) is light all around
    assert set(lines[0]) == {"█"}
    assert all(line.startswith("██") and line.endswith("██") for line in lines)


def test_qr_colours_survive_no_color() -> None:
    """NO_COLOR's monochrome filter keeps the QR code white on black (dark-on-light)."""
    segment = Segment("▀", Style(color="#ffffff", bgcolor="#000000"))
    (filtered,) = Monochrome().apply([segment], Color(0, 0, 0))
    assert filtered.style is not None
    assert filtered.style.color is not None and filtered.style.bgcolor is not None
    assert filtered.style.color.get_truecolor() == (255, 255, 255)
    assert filtered.style.bgcolor.get_truecolor() == (0, 0, 0)


async def test_qr_code_is_drawn_with_no_color(services, db, clock) -> None:  # type: ignore[no-untyped-def]
    alice = members_data.get_member_by_login(db, "alice")
    assert alice is not None
    app = make_app(services, alice, terminal_info=TerminalInfo(no_color=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_setup(pilot)
        qr = app.screen.query_one("#qr", QRCode)
        strip = qr.render_line(0)
        styles = {seg.style for seg in strip if seg.text.strip()}
        assert styles, "the QR code draws something"
        for style in styles:
            assert style is not None and style.color is not None
            assert style.color.get_truecolor() == (255, 255, 255)
            assert style.bgcolor is not None and style.bgcolor.get_truecolor() == (0, 0, 0)
