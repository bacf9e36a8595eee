"""Re-authentication proofs for tests that arrange a sensitive change directly.

Each proof is made the real way, through ``services.reauth.verify``: with the demo
member's password when their 2FA is off, or with a TOTP code of ``secret`` at ``now``
when it is on (that step is then spent, as it would be in a session). ``now``
defaults to the services' clock (``frozen_clock`` in most tests).
"""

from __future__ import annotations

import pyotp
from sqlite_utils import Database

from portal.data.members import Member
from portal.services import clock, reauth
from portal.services.crypto import SecretBox
from portal.services.demo import DEMO_LOGINS

DEMO_PASSWORDS = {demo.login: demo.password for demo in DEMO_LOGINS}
"""The demo accounts' passwords, by login."""


def proof_for(
    db: Database,
    box: SecretBox,
    member: Member,
    purpose: str,
    *,
    secret: str | None = None,
    now: float | None = None,
) -> reauth.Proof:
    """A proof for ``purpose``: the password, or a code of ``secret`` when 2FA is on."""
    if secret is not None:
        code = pyotp.TOTP(secret).at(clock.timestamp() if now is None else now)
        return reauth.verify(db, box, member, purpose, code=code, now=now)
    return reauth.verify(db, box, member, purpose, password=DEMO_PASSWORDS[member.login], now=now)


def without_failed_reauth(snapshot: dict[str, list[tuple[object, ...]]]) -> dict[str, list]:
    """A ``tests.pilot.test_account.snapshot`` without the audit rows of wrong answers.

    A wrong password or code changes nothing in the account, but is audited (and counted
    in ``auth_throttle``, outside the snapshot): compare snapshots with this.
    """
    audit_rows = snapshot.get("audit_log", [])
    kept = [row for row in audit_rows if "account.reauth_failed" not in row]
    return {**snapshot, "audit_log": kept}


async def answer_reauth(pilot: object, answer: str) -> None:
    """Type ``answer`` in the open ``ReauthDialog`` and wait for its outcome."""
    from textual.widgets import Input

    app = pilot.app  # type: ignore[attr-defined]
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]
    assert type(app.screen).__name__ == "ReauthDialog", type(app.screen).__name__
    field = app.screen.query_one("#reauth-code, #reauth-password", Input)
    assert field.has_focus
    await pilot.press(*answer, "enter")  # type: ignore[attr-defined]
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()  # type: ignore[attr-defined]
