"""Forgotten password: a single-use code, valid 15 minutes, sent to the account's email.

The answer to a request never tells whether the account exists: an unknown login or email
gets a ``ResetChallenge`` too, one whose code was never sent. The code is bound to the guest
session that asked for it (see ``guest_checks.CodeChallenge``): five tries per email, whatever the
number of connections, and a wrong code writes nothing. After ``MAX_EMAILS_PER_HOUR``
codes, the next one waits until an hour after the last, so the entry cannot flood a mailbox;
that limit is silent (a refusal would tell that the account exists). One client address may
ask ``MAX_REQUESTS_PER_CLIENT`` resets an hour, for any login or email known or not (so
the refusal, a sentence, tells nothing about accounts).

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
from portal.services import audit, emails, gate, guest_checks
from portal.services.emails import Template
from portal.services.gate import GateError, WrongCode
from portal.services.guest_checks import CodeChallenge
from portal.services.passwords import hash_password
from portal.services.session_directory import SessionDirectory

__all__ = ["CODE_TTL", "ResetChallenge", "complete_reset", "request_reset"]

CODE_TTL = 15 * 60
"""Seconds a reset code stays valid."""
MAX_EMAILS_PER_HOUR = 3
"""Reset codes sent to one member within an hour (silently capped)."""
MAX_REQUESTS_PER_CLIENT = 10
"""Reset requests from one client address within an hour (refused with a sentence)."""
RESET = "reset"
RESET_IP = "reset_ip"
TOO_MANY_FROM_CLIENT = N_(
    "Too many codes were asked from your connection. Please try again in an hour."
)

RESET_CODE = Template(
    subject=N_("Your Portal password reset code"),
    body=N_(
        "Hello {name},\n\n"
        'Someone (you, we hope) asked to reset the password of your account "{login}". '
        "Type this code on the reset screen to choose a new password:\n\n    {code}\n\n"
        "It works once and is valid for {minutes} minutes. If you did not ask for it, "
        "ignore this email: your password stays as it is.\n"
    ),
    sensitive=True,
)
"""The reset code; parameters: code, minutes (name, login: the member's)."""

PASSWORD_RESET = Template(
    subject=N_("Your Portal password was changed"),
    body=N_(
        'Hello {name},\n\nThe password of your account "{login}" was just reset with '
        "a code sent to this address. If you did not do it, contact your CSE at once.\n"
    ),
)
"""The notice once the password was reset (parameters: the member's)."""


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
        GateError: Nothing was typed, or too many requests from this client address (the
            only errors: the answer is otherwise the same, account or not).
    """
    now = time.time() if now is None else now
    if not identifier.strip():
        raise GateError(N_("Please type your login or your email address."))
    if ip:
        with transaction(db):
            refused = gate_data.take_quota(
                db, [(RESET_IP, ip, MAX_REQUESTS_PER_CLIENT)], now, window=3600
            )
            if refused is not None:
                audit.record(db, "auth.reset_throttled", ip=ip, limit=RESET_IP)
        if refused is not None:
            raise GateError(TOO_MANY_FROM_CLIENT)
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
        emails.notify_member(db, member.id, RESET_CODE, code=code, minutes=CODE_TTL // 60)
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
    guest_checks.check_new_password(
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
        emails.notify_member(db, member.id, PASSWORD_RESET)
    if sessions is not None:
        t = get_translator(member.language)
        sessions.close_member_sessions(
            db, member.id, reason=t.gettext("Your password was reset: please sign in again.")
        )
