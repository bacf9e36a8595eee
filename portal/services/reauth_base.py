"""The parts of re-authentication below ``twofactor``: proofs, the wrong-answer counter.

``services.reauth`` is the module to use (it re-exports all of this and adds ``verify``,
which checks passwords and TOTP codes); this one exists so that ``twofactor`` can require
a proof, count wrong answers when 2FA is turned off and word its security emails without
an import circle (``reauth`` needs ``twofactor.verify_code``).

A ``Proof`` is a short-lived token (``PROOF_TTL``) sealed with the process's
``SecretBox`` and bound to one member and one action (``purpose``); ``require`` refuses
anything else. Wrong answers are counted per member (``auth_throttle`` scope
``reauth``) and audited, never with the secret; after ``MAX_FAILURES`` in a row the
sensitive actions lock for ``LOCK_SECONDS``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlite_utils import Database

from portal.data import identity_gate as gate_data
from portal.data.db import transaction
from portal.data.members import Member
from portal.i18n import N_, get_translator
from portal.services import audit, clock
from portal.services.crypto import InvalidToken, SecretBox
from portal.services.errors import PortalError

__all__ = [
    "ADD_SSH_KEY",
    "CHANGE_EMAIL",
    "DISABLE_TWOFACTOR",
    "ENABLE_TWOFACTOR",
    "LOCK_SECONDS",
    "MAX_FAILURES",
    "NOT_YOU",
    "PROOF_TTL",
    "PURPOSES",
    "REGENERATE_CODES",
    "REMOVE_SSH_KEY",
    "Proof",
    "ReauthError",
    "check_not_locked",
    "clear_failures",
    "locked_error",
    "record_failure",
    "require",
    "seal",
    "security_params",
    "not_you",
    "when",
]

ENABLE_TWOFACTOR = "twofactor.enable"
REGENERATE_CODES = "twofactor.regenerate"
DISABLE_TWOFACTOR = "twofactor.disable"
ADD_SSH_KEY = "ssh_keys.add"
REMOVE_SSH_KEY = "ssh_keys.remove"
CHANGE_EMAIL = "contact.email"
PURPOSES = frozenset(
    {
        ENABLE_TWOFACTOR,
        REGENERATE_CODES,
        DISABLE_TWOFACTOR,
        ADD_SSH_KEY,
        REMOVE_SSH_KEY,
        CHANGE_EMAIL,
    }
)
"""The actions a proof may be asked for."""

PROOF_TTL = 5 * 60.0
"""Seconds a proof stays good: long enough to finish the form it was asked for."""
MAX_FAILURES = 5
"""Wrong answers in a row after which the sensitive actions lock."""
LOCK_SECONDS = 15 * 60.0
"""How long they stay locked."""
FORGET_AFTER = 60 * 60.0
"""A wrong answer older than this no longer counts."""
SCOPE = "reauth"


class ReauthError(PortalError):
    """The member's answer was refused, or the action needs a (fresh) proof first."""


@dataclass(frozen=True)
class Proof:
    """Evidence that the member just re-authenticated, for one action.

    Only ``reauth.verify`` makes a good one: ``token`` is sealed with the process's key.
    """

    member_id: int
    purpose: str
    token: str = field(repr=False)


NOT_YOU = N_(
    "If it was not you, someone may be using your account: change your password at once "
    "in My account and contact your CSE."
)
"""The closing sentence of every security email."""


def security_params(member: Member, *, at: float | None = None) -> dict[str, str]:
    """``when`` (``at``, default now) and ``not_you`` for a security email, in the
    member's language."""
    return {
        "when": when(member, at),
        "not_you": get_translator(member.language).gettext(NOT_YOU),
    }


def not_you(member: Member) -> str:
    """The closing sentence of a security email, in the member's language."""
    return get_translator(member.language).gettext(NOT_YOU)


def when(member: Member, at: float | None = None) -> str:
    """A moment (default: now) in the member's language and Paris time, for an email."""
    moment = clock.now() if at is None else dt.datetime.fromtimestamp(at, dt.UTC)
    return get_translator(member.language).datetime(moment, "short")


def _key(member_id: int) -> str:
    return str(member_id)


def _locked(db: Database, member_id: int, now: float) -> bool:
    throttle = gate_data.get_throttle(db, SCOPE, _key(member_id))
    return bool(throttle and throttle.locked_until and throttle.locked_until > now)


def locked_error() -> ReauthError:
    return ReauthError(
        N_("Too many wrong answers. Try again in {minutes} minutes."),
        minutes=int(LOCK_SECONDS // 60),
    )


def record_failure(
    db: Database, member: Member, purpose: str, *, ip: str | None = None, now: float | None = None
) -> int:
    """Count, audit (and maybe lock) one wrong answer; returns the tries left (0: locked).

    Joins an outer transaction if any.
    """
    now = clock.timestamp() if now is None else now
    key = _key(member.id)
    with transaction(db):
        existing = gate_data.get_throttle(db, SCOPE, key)
        if existing and existing.locked_until and existing.locked_until <= now:
            gate_data.clear_throttle(db, SCOPE, key)  # the lock is over: start afresh
        throttle = gate_data.add_failure(db, SCOPE, key, now, forget_before=now - FORGET_AFTER)
        audit.record(
            db,
            "account.reauth_failed",
            actor_id=member.id,
            organization_id=member.organization_id,
            target=member.login,
            ip=ip,
            purpose=purpose,
            failures=throttle.failures,
        )
        if throttle.failures >= MAX_FAILURES:
            gate_data.set_locked_until(db, SCOPE, key, now + LOCK_SECONDS)
            audit.record(
                db,
                "account.reauth_locked",
                actor_id=member.id,
                organization_id=member.organization_id,
                target=member.login,
                ip=ip,
                minutes=int(LOCK_SECONDS // 60),
            )
            return 0
    return MAX_FAILURES - throttle.failures


def check_not_locked(db: Database, member: Member, *, now: float | None = None) -> None:
    """Raise when wrong answers locked the sensitive actions of this member.

    Raises:
        ReauthError: Locked for a while.
    """
    if _locked(db, member.id, clock.timestamp() if now is None else now):
        raise locked_error()


def clear_failures(db: Database, member: Member) -> None:
    """Forget the member's wrong answers (after a right one)."""
    with transaction(db):
        gate_data.clear_throttle(db, SCOPE, _key(member.id))


def seal(box: SecretBox, member_id: int, purpose: str, now: float) -> str:
    return box.encrypt(json.dumps({"m": member_id, "p": purpose, "t": now}))


def require(
    box: SecretBox, proof: Proof | None, member_id: int, purpose: str, *, now: float | None = None
) -> None:
    """Refuse unless ``proof`` is a fresh proof made by ``verify`` for this member and action.

    Raises:
        ReauthError: No proof, a forged or tampered one, another member's or action's, or
            one older than ``PROOF_TTL``.
    """
    refused = ReauthError(N_("Please confirm it is you again, then retry."))
    if proof is None:
        raise refused
    try:
        sealed = json.loads(box.decrypt(proof.token))
    except (InvalidToken, ValueError, TypeError):
        raise refused from None
    now = clock.timestamp() if now is None else now
    if (
        not isinstance(sealed, dict)
        or sealed.get("m") != member_id
        or sealed.get("p") != purpose
        or proof.member_id != member_id
        or proof.purpose != purpose
        or not isinstance(sealed.get("t"), (int, float))
        or not (sealed["t"] - 5 <= now <= sealed["t"] + PROOF_TTL)
    ):
        raise refused
