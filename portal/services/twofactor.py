"""Two-factor authentication: TOTP (RFC 6238) and single-use recovery codes.

Used by My Account (enrolment, recovery codes, deactivation) and by the SSH login gate
(``is_enabled`` then ``verify_code`` after the password or key). Every function takes the
``Database`` first and the process's ``SecretBox`` (``services.secrets``) when it touches
a secret; run them in a worker thread (``await app.call(...)``, ``store.run(...)``).

- Codes: 6 digits, 30-second steps, SHA-1 (what Google Authenticator, Microsoft
  Authenticator, Authy and LastPass expect), one step of clock drift either way.
- Replay: the last accepted step is stored and moved forward by a conditional UPDATE
  inside ``BEGIN IMMEDIATE``, so a code accepted once is refused afterwards, even when it
  is typed at the same moment in another session or process.
- Secrets (active and pending TOTP secrets, the recovery-code HMAC key) are encrypted
  with the secret box; recovery codes are stored as HMAC-SHA256 digests keyed by that
  per-member key, so a copy of the database alone reveals nothing usable.
- 2FA turns on only after a first valid code (``confirm_enrollment``), which returns
  the 10 recovery codes to show once.
- Re-authentication (``services.reauth``): starting an enrolment and making new recovery
  codes need a ``Proof`` (password when 2FA is off, a current code when it is on), except
  the enrolment that the login gate imposes on a manager or admin who just typed their
  password; turning 2FA off takes the password and a code, its wrong tries counted there.
- Security emails, queued in the transaction of the change: 2FA on, 2FA off, new
  recovery codes, a recovery code used (at login or to turn 2FA off).

Signatures are a contract with the login gate; keep them stable.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

import pyotp
from sqlite_utils import Database

from portal.data import identity
from portal.data import members as members_data
from portal.data.db import transaction
from portal.data.members import Member
from portal.i18n import N_
from portal.services import audit, authz, clock, emails, reauth_base
from portal.services.crypto import SecretBox
from portal.services.emails import Template
from portal.services.errors import PortalError
from portal.services.passwords import verify_password

__all__ = [
    "ISSUER",
    "RECOVERY_CODE_COUNT",
    "Enrollment",
    "TwoFactorError",
    "TwoFactorStatus",
    "begin_enrollment",
    "confirm_enrollment",
    "disable",
    "enroll_for_test",
    "is_enabled",
    "is_required",
    "regenerate_recovery_codes",
    "reset",
    "status",
    "verify_code",
]

ISSUER = "Portal CSE"
"""Shown by the authenticator app next to the login."""
STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
"""No 0/o, 1/l/i: codes are read from a screen or paper and typed again."""
_REQUIRED_ROLES = ("manager", "admin")


class TwoFactorError(PortalError):
    """A 2FA operation that does not apply in the member's current state."""


# -- security emails (parameters: when, and the member's name, organization, login) -----

TWOFACTOR_ENABLED = Template(
    subject=N_("Two-factor authentication is on for your Portal account"),
    body=N_(
        "Hello {name},\n\n"
        'Two-factor authentication was turned on for your account "{login}" on {when} '
        "(Paris time). From now on, signing in asks for a code from your authenticator app.\n\n"
        "{not_you}\n"
    ),
)
"""Sent when the member turns 2FA on."""

TWOFACTOR_DISABLED = Template(
    subject=N_("Two-factor authentication is off for your Portal account"),
    body=N_(
        "Hello {name},\n\n"
        'Two-factor authentication was turned off for your account "{login}" on {when} '
        "(Paris time). Your password or SSH key alone now opens it.\n\n"
        "{not_you}\n"
    ),
)
"""Sent when the member turns 2FA off."""

RECOVERY_CODES_REGENERATED = Template(
    subject=N_("New recovery codes for your Portal account"),
    body=N_(
        "Hello {name},\n\n"
        'New recovery codes were made for your account "{login}" on {when} (Paris time); '
        "the previous ones no longer work.\n\n"
        "{not_you}\n"
    ),
)
"""Sent when the member makes new recovery codes."""

RECOVERY_CODE_USED = Template(
    subject=N_("A recovery code of your Portal account was used"),
    body=N_(
        "Hello {name},\n\n"
        'A recovery code of your account "{login}" was used on {when} (Paris time), '
        "instead of a code from your authenticator app. Recovery codes left: {left}.\n\n"
        "If you lost your phone, make new recovery codes once you are signed in.\n"
        "{not_you}\n"
    ),
)
"""Sent when a recovery code is accepted (a login, or turning 2FA off)."""


def _security_email(db: Database, member: Member, template: Template, **params: Any) -> None:
    """Queue a security email to the member (call it inside the change's transaction)."""
    params.update(reauth_base.security_params(member))
    emails.notify_member(db, member.id, template, **params)


@dataclass(frozen=True)
class Enrollment:
    """A pending enrolment: show ``uri`` as a QR code and ``secret`` as text, once."""

    secret: str
    """Base32 secret, for manual entry in the authenticator app."""
    uri: str
    """``otpauth://totp/Portal%20CSE:<login>?secret=...&issuer=Portal%20CSE``."""

    def __repr__(self) -> str:  # never print a secret in a log or traceback
        return "Enrollment(secret=<hidden>, uri=<hidden>)"

    def grouped_secret(self) -> str:
        """The secret in groups of four, easier to copy by hand."""
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


@dataclass(frozen=True)
class TwoFactorStatus:
    """What My Account shows about a member's 2FA."""

    enabled: bool
    enabled_at: str | None
    recovery_codes_left: int


# -- queries ---------------------------------------------------------------------------


def is_enabled(db: Database, member_id: int) -> bool:
    """True when the member must give a code after their password or key."""
    return identity.is_totp_enabled(db, member_id)


def is_required(member: Member) -> bool:
    """True when the member's role requires 2FA (managers and admins)."""
    return member.role in _REQUIRED_ROLES


def status(db: Database, member_id: int) -> TwoFactorStatus:
    """The member's 2FA state and how many recovery codes are left."""
    record = identity.get_totp(db, member_id)
    if record is None or not record.enabled:
        return TwoFactorStatus(False, None, 0)
    return TwoFactorStatus(
        True, record.enabled_at, identity.count_unused_recovery_codes(db, member_id)
    )


# -- codes -----------------------------------------------------------------------------


def _matching_step(secret: str, code: str, now: float) -> int | None:
    """The TOTP step (within the allowed drift) whose code is ``code``, else None."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = int(now) // STEP_SECONDS
    found = None
    # Check every candidate (no early exit) so timing says nothing about which matched.
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            found = step if found is None else max(found, step)
    return found


def _normalize_totp(code: str) -> str | None:
    digits = "".join(code.split())
    return digits if len(digits) == DIGITS and digits.isascii() and digits.isdigit() else None


def _normalize_recovery(code: str) -> str | None:
    text = "".join(ch for ch in code.lower() if ch.isalnum())
    if len(text) != 12 or any(ch not in _RECOVERY_ALPHABET for ch in text):
        return None
    return text


def _recovery_hash(key: str, normalized: str) -> str:
    return hmac.new(key.encode(), normalized.encode(), hashlib.sha256).hexdigest()


def _new_recovery_codes(key: str) -> tuple[list[str], list[str]]:
    """Fresh codes to show (``abcd-efgh-jkmn``) and their digests to store."""
    shown: list[str] = []
    digests: list[str] = []
    while len(shown) < RECOVERY_CODE_COUNT:
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
        digest = _recovery_hash(key, raw)
        if digest in digests:
            continue
        shown.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
        digests.append(digest)
    return shown, digests


def verify_code(
    db: Database, box: SecretBox, member_id: int, code: str, *, now: float | None = None
) -> bool:
    """Accept a TOTP code or a recovery code, once.

    A 6-digit code is checked against the active secret with one step of drift; it is
    accepted only if its step is later than the last accepted one, and that step is
    recorded in the same ``BEGIN IMMEDIATE`` transaction (conditional UPDATE), so racing
    sessions cannot both use it. Anything else is tried as a recovery code, consumed
    atomically. Using a recovery code is audited and the member gets an email about it.
    Joins an outer transaction if any.

    Returns:
        True when the code was accepted (and is now spent).
    """
    with transaction(db):
        record = identity.get_totp(db, member_id)
        if record is None or not record.enabled or record.secret_enc is None:
            return False
        totp_code = _normalize_totp(code)
        if totp_code is not None:
            secret = box.decrypt(record.secret_enc)
            step = _matching_step(secret, totp_code, clock.timestamp() if now is None else now)
            return step is not None and identity.advance_step(db, member_id, step)
        normalized = _normalize_recovery(code)
        if normalized is None or record.recovery_key_enc is None:
            return False
        key = box.decrypt(record.recovery_key_enc)
        if not identity.consume_recovery_code(db, member_id, _recovery_hash(key, normalized)):
            return False
        member = members_data.get_member(db, member_id)
        left = identity.count_unused_recovery_codes(db, member_id)
        audit.record(
            db,
            "twofactor.recovery_code_used",
            actor_id=member_id,
            organization_id=member.organization_id if member else None,
            remaining=left,
        )
        if member is not None:
            _security_email(db, member, RECOVERY_CODE_USED, left=left)
        return True


# -- enrolment -------------------------------------------------------------------------


def _member(db: Database, member_id: int) -> Member:
    member = members_data.get_member(db, member_id)
    if member is None:
        raise TwoFactorError(N_("This account does not exist."))
    return member


def provisioning_uri(secret: str, login: str) -> str:
    """The ``otpauth://`` URI that authenticator apps read from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=login, issuer_name=ISSUER
    )


def begin_enrollment(
    db: Database, box: SecretBox, member_id: int, *, proof: reauth_base.Proof | None
) -> Enrollment:
    """Create a pending secret (2FA stays off until ``confirm_enrollment``).

    Starting again replaces an earlier pending secret. ``proof`` comes from
    ``reauth.verify(..., reauth.ENABLE_TWOFACTOR, ...)``. It may be None only for a
    member whose role requires 2FA (``is_required``) and who has none: the enrolment the
    login gate imposes right after they typed their password (``TwoFactorRequiredScreen``),
    where asking it again would add nothing.

    Raises:
        TwoFactorError: 2FA is already on (deactivate it first).
        ReauthError: No valid proof.
    """
    member = _member(db, member_id)
    if proof is not None or not (is_required(member) and not is_enabled(db, member_id)):
        reauth_base.require(box, proof, member_id, reauth_base.ENABLE_TWOFACTOR)
    secret = pyotp.random_base32()  # 32 base32 characters: 160 bits, as RFC 4226 advises
    with transaction(db):
        if not identity.set_pending_secret(db, member_id, box.encrypt(secret)):
            raise TwoFactorError(N_("Two-factor authentication is already on."))
    return Enrollment(secret=secret, uri=provisioning_uri(secret, member.login))


def confirm_enrollment(
    db: Database, box: SecretBox, member_id: int, code: str, *, now: float | None = None
) -> list[str] | None:
    """Turn 2FA on if ``code`` matches the pending secret.

    Returns:
        The 10 recovery codes (to show once; only digests are kept), or None when the
        code is wrong or there is no pending enrolment (then nothing changes).
    """
    totp_code = _normalize_totp(code)
    if totp_code is None:
        return None
    with transaction(db):
        record = identity.get_totp(db, member_id)
        if record is None or record.enabled or record.pending_secret_enc is None:
            return None
        secret = box.decrypt(record.pending_secret_enc)
        step = _matching_step(secret, totp_code, clock.timestamp() if now is None else now)
        if step is None:
            return None
        key = secrets.token_hex(32)
        if not identity.enable_totp(
            db,
            member_id,
            pending_secret_enc=record.pending_secret_enc,
            recovery_key_enc=box.encrypt(key),
            step=step,
        ):
            return None
        shown, digests = _new_recovery_codes(key)
        identity.replace_recovery_codes(db, member_id, digests)
        member = _member(db, member_id)
        audit.record(
            db,
            "twofactor.enabled",
            actor_id=member_id,
            organization_id=member.organization_id,
            target=member.login,
        )
        _security_email(db, member, TWOFACTOR_ENABLED)
    return shown


def regenerate_recovery_codes(
    db: Database, box: SecretBox, member_id: int, *, proof: reauth_base.Proof | None
) -> list[str]:
    """Replace every recovery code with 10 new ones (the old ones stop working).

    ``proof`` comes from ``reauth.verify(..., reauth.REGENERATE_CODES, ...)``.

    Raises:
        TwoFactorError: 2FA is off.
        ReauthError: No valid proof.
    """
    reauth_base.require(box, proof, member_id, reauth_base.REGENERATE_CODES)
    key = secrets.token_hex(32)
    shown, digests = _new_recovery_codes(key)
    with transaction(db):
        if not is_enabled(db, member_id):
            raise TwoFactorError(N_("Two-factor authentication is off."))
        identity.set_recovery_key(db, member_id, box.encrypt(key))
        identity.replace_recovery_codes(db, member_id, digests)
        member = _member(db, member_id)
        audit.record(
            db,
            "twofactor.recovery_codes_regenerated",
            actor_id=member_id,
            organization_id=member.organization_id,
            target=member.login,
        )
        _security_email(db, member, RECOVERY_CODES_REGENERATED)
    return shown


def disable(
    db: Database, box: SecretBox, member: Member, password: str, code: str, *, ip: str | None = None
) -> bool:
    """Turn 2FA off; needs the member's password and a valid code (TOTP or recovery).

    This is its own re-authentication, with both factors. The password is checked first
    (argon2, outside the write lock); a wrong password leaves the code unspent. Wrong
    answers count with the other re-authentications (``reauth_base.record_failure``).

    Returns:
        False, changing nothing but the count, when either is wrong.

    Raises:
        ReauthError: Too many wrong answers lately (locked for a while).
    """
    reauth_base.check_not_locked(db, member)
    if not verify_password(members_data.get_password_hash(db, member.id), password):
        reauth_base.record_failure(db, member, reauth_base.DISABLE_TWOFACTOR, ip=ip)
        return False
    with transaction(db):
        if not verify_code(db, box, member.id, code):
            reauth_base.record_failure(db, member, reauth_base.DISABLE_TWOFACTOR, ip=ip)
            return False
        identity.delete_totp(db, member.id)
        audit.record(
            db,
            "twofactor.disabled",
            actor_id=member.id,
            organization_id=member.organization_id,
            target=member.login,
        )
        _security_email(db, member, TWOFACTOR_DISABLED)
    reauth_base.clear_failures(db, member)
    return True


def reset(db: Database, actor: Member, member_id: int) -> bool:
    """Turn a member's 2FA off for them (lost phone and codes): manager or admin only.

    A manager may reset the non-admin members of their own organization (read from the
    database now, not the session's snapshot), an admin anyone; nobody resets
    their own (that is ``disable``, with password and code). Audited.

    Returns:
        True when 2FA was on and is now off.

    Raises:
        PermissionError: The actor may not manage this member.
    """
    actor = authz.current_manager(db, actor)
    target = members_data.get_member(db, member_id)
    if target is None or actor.id == target.id or not authz.may_manage(actor, target):
        raise PermissionError("not allowed to reset this member's two-factor authentication")
    with transaction(db):
        if not identity.delete_totp(db, member_id):
            return False
        audit.record(
            db,
            "twofactor.reset",
            actor_id=actor.id,
            organization_id=target.organization_id,
            target=target.login,
        )
    return True


def enroll_for_test(db: Database, box: SecretBox, member_id: int) -> str:
    """Turn 2FA on at once with a fresh secret and return it (tests and demo data only)."""
    secret = pyotp.random_base32()
    with transaction(db):
        identity.enable_totp_directly(
            db,
            member_id,
            secret_enc=box.encrypt(secret),
            recovery_key_enc=box.encrypt(secrets.token_hex(32)),
        )
    return secret
