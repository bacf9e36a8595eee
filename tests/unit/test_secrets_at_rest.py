"""No TOTP secret, otpauth URI, password or code in clear: not in the logs, not in the database.

The flows run as a member would run them (2FA enrolment through the screens, password
change, recovery codes, deactivation), with every logger at DEBUG; then the logs and the
raw database files (main file, WAL) are searched for each secret in every form it could
take.
"""

from __future__ import annotations

import logging
import re
import stat
from pathlib import Path
from urllib.parse import quote

import pyotp
import pytest
from textual.widgets import Input, Static

from portal.data import identity
from portal.data import members as members_data
from portal.screens.twofactor_setup import TwoFactorSetupScreen
from portal.services import account, reauth, twofactor
from portal.widgets.reauth import ReauthDialog
from tests.reauth_helpers import proof_for

T0 = 1_800_000_000.0
NEW_PASSWORD = "Girouette-Ardoise-Moulin-88"


def _raw_database(settings) -> str:  # type: ignore[no-untyped-def]
    """Every byte of the database files, as text (WAL included: it holds recent pages)."""
    data = b""
    for suffix in ("", "-wal", "-shm"):
        path = Path(str(settings.db_path) + suffix)
        if path.exists():
            data += path.read_bytes()
    return data.decode("latin-1")


def _forms(secret: str) -> set[str]:
    """A secret as typed, without separators, in upper and lower case, URL-quoted."""
    compact = secret.replace("-", "").replace(" ", "")
    return {secret, compact, compact.lower(), compact.upper(), quote(secret)}


async def test_no_secret_in_clear_in_logs_or_database(  # type: ignore[no-untyped-def]
    app_for, services, settings, db, caplog, frozen_clock
) -> None:
    caplog.set_level(logging.DEBUG)
    frozen_clock.set(T0)
    box = services.secrets
    alice = members_data.get_member_by_login(db, "alice")
    assert alice is not None

    # 2FA enrolment through the screens, after the password typed in the re-authentication
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(
            ReauthDialog(reauth.ENABLE_TWOFACTOR, "?"),
            lambda proof: app.push_screen(TwoFactorSetupScreen(proof=proof)),
        )
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press(*"Soleil-Vert-2026!", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        secret = str(app.screen.query_one("#secret", Static).render()).replace(" ", "")
        first_code = pyotp.TOTP(secret).at(T0)
        field = app.screen.query_one("#totp-code", Input)
        field.focus()
        await pilot.press(*first_code, "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = str(app.screen.query_one("#recovery-codes", Static).render())
        codes = re.findall(r"[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}", shown)
        assert len(codes) == 10
    uri = twofactor.provisioning_uri(secret, "alice")

    # recovery codes used and regenerated, a TOTP code used, the password changed
    assert twofactor.verify_code(db, box, alice.id, codes[0])
    frozen_clock.set(T0 + 30)
    reauth_code = pyotp.TOTP(secret).at(T0 + 30)
    proof = reauth.verify(db, box, alice, reauth.REGENERATE_CODES, code=reauth_code)
    assert reauth_code not in repr(proof) and proof.token not in repr(proof)
    fresh = twofactor.regenerate_recovery_codes(db, box, alice.id, proof=proof)
    second_code = pyotp.TOTP(secret).at(T0 + 60)
    assert twofactor.verify_code(db, box, alice.id, second_code, now=T0 + 60)
    assert account.change_password(db, alice, "Soleil-Vert-2026!", NEW_PASSWORD).ok

    # the secrets are in the database, encrypted with the box
    record = identity.get_totp(db, alice.id)
    assert record is not None and record.secret_enc is not None
    assert box.decrypt(record.secret_enc) == secret

    secrets_in_clear = {
        "TOTP secret": _forms(secret),
        "otpauth URI": {uri, quote(uri), "otpauth://"},
        "old password": {"Soleil-Vert-2026!"},
        "new password": {NEW_PASSWORD},
        **{f"recovery code {c}": _forms(c) for c in codes + fresh},
    }
    logs = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    raw = _raw_database(settings)
    dump = "\n".join(db.conn.iterdump())
    for what, forms in secrets_in_clear.items():
        for form in forms:
            assert form not in logs, f"{what} in the logs"
            assert form not in raw, f"{what} in the database files"
            assert form not in dump, f"{what} in the database"
    for code in (first_code, reauth_code, second_code):
        pattern = re.compile(rf"(?<![0-9A-Za-z]){code}(?![0-9A-Za-z])")
        assert not pattern.search(logs), "a TOTP code in the logs"
        assert not pattern.search(dump), "a TOTP code in the database"


def test_secret_key_file_is_private_and_outside_the_database(services, settings) -> None:  # type: ignore[no-untyped-def]
    path = settings.secret_key_path
    assert path.exists() and path.parent == settings.db_path.parent
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_bytes().strip().decode()
    assert key not in _raw_database(settings)


def test_reprs_hide_secrets(db, services) -> None:  # type: ignore[no-untyped-def]
    from portal.widgets.qrcode import QRCode

    alice = members_data.get_member_by_login(db, "alice")
    assert alice is not None
    proof = proof_for(db, services.secrets, alice, reauth.ENABLE_TWOFACTOR)
    enrollment = twofactor.begin_enrollment(db, services.secrets, alice.id, proof=proof)
    assert enrollment.secret not in repr(enrollment) and "otpauth" not in repr(enrollment)
    assert "otpauth" not in repr(QRCode(enrollment.uri, id="qr"))


@pytest.mark.parametrize("key", ["password", "code", "secret", "totp"])
def test_audit_refuses_secret_keys(db, key: str) -> None:  # type: ignore[no-untyped-def]
    from portal.services import audit

    with pytest.raises(ValueError):
        audit.record(db, "test.action", **{key: "x"})
