"""Re-authentication before a sensitive change of one's own account (OWASP ASVS 5.0 V6/V7).

A session proved who the member is when it opened; before turning 2FA on, making new
recovery codes, adding or removing an SSH key or changing the communication email, the
member proves it again: their password when 2FA is off, a current code from their
authenticator app when it is on (the session already passed the password or a key, the
code proves the second factor). Turning 2FA off asks both (``twofactor.disable``) and
counts its wrong tries here too.

``verify`` checks the answer and returns a ``Proof``: a short-lived token (``PROOF_TTL``)
sealed with the process's ``SecretBox`` and bound to the member and to one action
(``purpose``). The services that perform the action call ``require`` with it, so a screen
cannot skip the step: the check lives in the service, and a proof for one action or one
member does not open another.

Wrong answers are counted per member (``auth_throttle`` scope ``reauth``) and audited,
never with the secret; after ``MAX_FAILURES`` in a row the sensitive actions are locked
for ``LOCK_SECONDS`` (the login itself is not: the member keeps their session). The
proof, the counter and the email wording live in ``reauth_base`` (below ``twofactor``),
re-exported here.
"""

from __future__ import annotations

from sqlite_utils import Database

from portal.data import members as members_data
from portal.data.members import Member
from portal.i18n import N_
from portal.services import clock, twofactor
from portal.services.crypto import SecretBox
from portal.services.passwords import verify_password
from portal.services.reauth_base import (
    ADD_SSH_KEY,
    CHANGE_EMAIL,
    DISABLE_TWOFACTOR,
    ENABLE_TWOFACTOR,
    LOCK_SECONDS,
    MAX_FAILURES,
    NOT_YOU,
    PROOF_TTL,
    PURPOSES,
    REGENERATE_CODES,
    REMOVE_SSH_KEY,
    Proof,
    ReauthError,
    check_not_locked,
    clear_failures,
    locked_error,
    not_you,
    record_failure,
    require,
    seal,
    security_params,
    when,
)

__all__ = [
    "ADD_SSH_KEY",
    "CHANGE_EMAIL",
    "DISABLE_TWOFACTOR",
    "ENABLE_TWOFACTOR",
    "LOCK_SECONDS",
    "MAX_FAILURES",
    "NOT_YOU",
    "PROOF_TTL",
    "REGENERATE_CODES",
    "REMOVE_SSH_KEY",
    "Proof",
    "ReauthError",
    "check_not_locked",
    "clear_failures",
    "needs_code",
    "record_failure",
    "require",
    "security_params",
    "verify",
    "not_you",
    "when",
]


def needs_code(db: Database, member_id: int) -> bool:
    """True when the member answers with a code from their app (2FA on), else a password."""
    return twofactor.is_enabled(db, member_id)


def verify(
    db: Database,
    box: SecretBox,
    member: Member,
    purpose: str,
    *,
    password: str = "",
    code: str = "",
    ip: str | None = None,
    now: float | None = None,
) -> Proof:
    """Check the member's answer (password, or TOTP code when 2FA is on) for ``purpose``.

    Runs argon2 or the TOTP check: call it in a worker thread. A TOTP code is spent like
    at login (it cannot be used twice). Recovery codes are not taken here.

    Returns:
        A proof to hand to the service performing the action.

    Raises:
        ReauthError: Nothing typed, a wrong answer (counted, with the tries left), or
            locked after too many.
    """
    if purpose not in PURPOSES:
        raise ValueError(f"unknown re-authentication purpose {purpose!r}")
    now = clock.timestamp() if now is None else now
    check_not_locked(db, member, now=now)
    if needs_code(db, member.id):
        digits = "".join(code.split())
        if not digits:
            raise ReauthError(N_("Type the code your app shows."))
        if len(digits) != 6 or not digits.isascii() or not digits.isdigit():
            raise ReauthError(N_("The code has 6 digits."))
        right = twofactor.verify_code(db, box, member.id, digits, now=now)
        wrong = N_("This code is not valid (or was already used). Tries left: {n}.")
    else:
        if not password:
            raise ReauthError(N_("Type your password."))
        right = verify_password(members_data.get_password_hash(db, member.id), password)
        wrong = N_("Wrong password. Tries left: {n}.")
    if not right:
        left = record_failure(db, member, purpose, ip=ip, now=now)
        if left <= 0:
            raise locked_error()
        raise ReauthError(wrong, n=left)
    clear_failures(db, member)
    return Proof(member.id, purpose, seal(box, member.id, purpose, now))
