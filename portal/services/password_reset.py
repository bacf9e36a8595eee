"""Forgotten password: a single-use code, valid 15 minutes, sent to the account's email.

The answer to a request never tells whether the account exists: an unknown login or email
gets a ``ResetChallenge`` too, one whose code was never sent. The code is bound to the guest
session that asked for it (see ``gate.CodeChallenge``): five tries per email, whatever the
number of connections, and a wrong code writes nothing. After ``MAX_EMAILS_PER_HOUR``
codes, the next one waits until an hour after the last, so the entry cannot flood a mailbox.

A reset ends the member's live sessions, lifts a lock left by failed sign-ins, and sends a
notice to the member. Two-factor authentication, when on, is still asked at the next login.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlite_utils import Database

from portal.data import identity_gate as gate_data
from portal.data import members as members_data
from portal.data.db import transaction
from portal.data.members import Member
from portal.i18n import N_, get_translator
from portal.services import audit, gate, notifications
from portal.services.gate import CodeChallenge, GateError, WrongCode
from portal.services.passwords import hash_password
from portal.services.runtime import SessionDirectory

__all__ = ["CODE_TTL", "ResetChallenge", "complete_reset", "request_reset"]

CODE_TTL = 15 * 60
"""Seconds a reset code stays valid."""
MAX_EMAILS_PER_HOUR = 3
RESET = "reset"


@dataclass
class ResetChallenge:
    """A reset asked by one guest session (whether or not the account exists)."""

    member_id: int | None = field(repr=False)
    challenge: CodeChallenge = field(repr=False)


def _find_member(db: Database, identifier: str) -> Member | None:
    identifier = identifier.strip()
    if not identifier:
        return None
    if "@" in identifier:
        ids = gate_data.active_member_ids_by_email(db, identifier)
        member = members_data.get_member(db, ids[0]) if len(ids) == 1 else None
    else:
        member = members_data.get_member_by_login(db, identifier)
    return member if member is not None and member.status == "active" else None


def request_reset(
    db: Database, identifier: str, *, ip: str | None = None, now: float | None = None
) -> ResetChallenge:
    """Send a reset code to the account named by a login or an email, if there is one.

    Raises:
        GateError: Nothing was typed (the only error: the answer is otherwise the same).
    """
    now = time.time() if now is None else now
    if not identifier.strip():
        raise GateError(N_("Please type your login or your email address."))
    member = _find_member(db, identifier)
    if member is None:
        audit.record(db, "auth.reset_requested", target=identifier.strip()[:64], ip=ip, known=False)
        return ResetChallenge(None, CodeChallenge.impossible(now, CODE_TTL))
    with transaction(db):
        sent = gate_data.get_throttle(db, RESET, str(member.id))
        if sent and sent.failures >= MAX_EMAILS_PER_HOUR and sent.last_failure_at > now - 3600:
            audit.record(
                db,
                "auth.reset_throttled",
                actor_id=member.id,
                organization_id=member.organization_id,
                target=member.login,
                ip=ip,
            )
            return ResetChallenge(None, CodeChallenge.impossible(now, CODE_TTL))
        gate_data.add_failure(db, RESET, str(member.id), now, forget_before=now - 3600)
        challenge, code = CodeChallenge.issue(now, CODE_TTL)
        t = get_translator(member.language)
        notifications.enqueue(
            db,
            to=gate.recipient(db, member),
            member_id=member.id,
            subject=t.gettext("Your Portal password reset code"),
            body=t.gettext(
                "Hello {name},\n\n"
                'Someone (you, we hope) asked to reset the password of your account "{login}". '
                "Type this code on the reset screen to choose a new password:\n\n    {code}\n\n"
                "It works once and is valid for {minutes} minutes. If you did not ask for it, "
                "ignore this email: your password stays as it is.\n",
                name=member.first_name,
                login=member.login,
                code=code,
                minutes=CODE_TTL // 60,
            ),
        )
        audit.record(
            db,
            "auth.reset_requested",
            actor_id=member.id,
            organization_id=member.organization_id,
            target=member.login,
            ip=ip,
            known=True,
        )
    return ResetChallenge(member.id, challenge)


def complete_reset(
    db: Database,
    reset: ResetChallenge,
    code: str,
    password: str,
    confirm: str,
    *,
    language: str | None = None,
    sessions: SessionDirectory | None = None,
    ip: str | None = None,
    now: float | None = None,
) -> None:
    """Check the code and set the new password.

    The code is checked first, so that the password rules (which name the login) are only
    shown to whoever holds the code. A weak password does not spend the code.

    Raises:
        GateError: Wrong or expired code; passwords that differ or too weak (``WeakPassword``).
    """
    now = time.time() if now is None else now
    challenge = reset.challenge
    member = members_data.get_member(db, reset.member_id) if reset.member_id else None
    if challenge.exhausted or now >= challenge.expires_at:
        raise WrongCode(N_("This code has expired or was tried too often. Ask for a new code."))
    if member is None or member.status != "active" or not challenge.verify(code, now):
        audit.record(
            db,
            "auth.reset_code_refused",
            actor_id=member.id if member else None,
            organization_id=member.organization_id if member else None,
            ip=ip,
        )
        if challenge.exhausted:
            raise WrongCode(N_("This code has expired or was tried too often. Ask for a new code."))
        raise WrongCode(N_("This code is not right. Check the email and try again."))
    gate.check_new_password(
        password,
        confirm,
        login=member.login,
        name=member.full_name,
        organization=member.organization_name,
        language=language,
    )
    challenge.used = True  # spent now that everything else is right
    password_hash = hash_password(password)
    with transaction(db):
        members_data.set_password_hash(db, member.id, password_hash)
        gate_data.clear_throttle(db, gate.ACCOUNT, member.login.lower())
        audit.record(
            db,
            "auth.password_reset",
            actor_id=member.id,
            organization_id=member.organization_id,
            target=member.login,
            ip=ip,
        )
        t = get_translator(member.language)
        notifications.enqueue(
            db,
            to=gate.recipient(db, member),
            member_id=member.id,
            subject=t.gettext("Your Portal password was changed"),
            body=t.gettext(
                'Hello {name},\n\nThe password of your account "{login}" was just reset with '
                "a code sent to this address. If you did not do it, contact your CSE at once.\n",
                name=member.first_name,
                login=member.login,
            ),
        )
    if sessions is not None:
        t = get_translator(member.language)
        sessions.close_member_sessions(
            db, member.id, reason=t.gettext("Your password was reset: please sign in again.")
        )
