"""My Account: password change and the audit of session closing.

Run these in a worker thread (``await app.call(...)``): they hash with argon2. Messages
are translated into the member's language explicitly, because worker threads do not
see the session's language context.

Closing the member's other sessions after a password change is the caller's job, on the
event loop (``services.sessions.close_member_sessions``), followed by
``record_sessions_closed`` for the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlite_utils import Database

from portal.data import identity
from portal.data import members as members_data
from portal.data.db import transaction
from portal.data.members import Member
from portal.i18n import get_translator
from portal.services import audit, emails, twofactor
from portal.services.password_policy import check_password_policy
from portal.services.passwords import hash_password, verify_password

__all__ = [
    "PasswordChange",
    "SecuritySummary",
    "change_password",
    "record_sessions_closed",
    "security_summary",
]


@dataclass(frozen=True)
class SecuritySummary:
    """What the My Account page shows next to each security action."""

    twofactor: twofactor.TwoFactorStatus
    ssh_keys: int
    """How many SSH keys the member registered."""


def security_summary(db: Database, member: Member) -> SecuritySummary:
    """The member's 2FA state and SSH key count."""
    return SecuritySummary(twofactor.status(db, member.id), identity.count_ssh_keys(db, member.id))


@dataclass(frozen=True)
class PasswordChange:
    """The outcome of a password change."""

    ok: bool
    problems: list[str] = field(default_factory=list)
    """Why it was refused, in the member's language (empty when ``ok``)."""
    wrong_current: bool = False
    """True when the current password did not match."""


def change_password(db: Database, member: Member, current: str, new: str) -> PasswordChange:
    """Replace the member's password, after checking the current one and the rules.

    Nothing changes unless every check passes. On success the change is audited and an
    email tells the member (so an intruder's change does not go unnoticed).
    """
    t = get_translator(member.language)
    stored = members_data.get_password_hash(db, member.id)
    if not verify_password(stored, current) or stored is None:
        return PasswordChange(False, [t.gettext("The current password is wrong.")], True)
    problems = check_password_policy(
        new,
        login=member.login,
        name=member.full_name,
        organization=member.organization_name,
        translator=t,
    )
    if new == current:
        problems.append(t.gettext("The new password must be different from the current one."))
    if problems:
        return PasswordChange(False, problems)
    new_hash = hash_password(new)
    with transaction(db):
        if not identity.replace_password_hash(db, member.id, stored, new_hash):
            return PasswordChange(
                False, [t.gettext("Your password was changed in the meantime; please try again.")]
            )
        audit.record(
            db,
            "account.password_changed",
            actor_id=member.id,
            organization_id=member.organization_id,
            target=member.login,
        )
        emails.notify_member(db, member.id, emails.PASSWORD_CHANGED)
    return PasswordChange(True)


def record_sessions_closed(db: Database, member: Member, count: int, *, cause: str) -> None:
    """Audit that ``count`` other sessions of the member were closed, and why.

    Args:
        cause: ``password_changed`` or ``member_request``.
    """
    if count <= 0:
        return
    audit.record(
        db,
        "account.sessions_closed",
        actor_id=member.id,
        organization_id=member.organization_id,
        target=member.login,
        count=count,
        cause=cause,
    )
