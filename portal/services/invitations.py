"""Invitations: a manager invites a person by email; they activate their account as a guest.

Inviting creates the account with the status ``invited`` (no password) and an activation
code, single-use and valid ``INVITATION_DAYS`` days, sent by email. Only the code's SHA-256
is stored: it is long and random (about 59 bits), so a digest without salt suffices and
lets the guest entry find the invitation by its code alone. A new invitation of the same
person revokes the previous ones.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from sqlite_utils import Database

from portal.config import Settings
from portal.data import directory as directory_data
from portal.data import identity_gate as gate_data
from portal.data import members as members_data
from portal.data import signup_requests as requests_data
from portal.data.db import transaction
from portal.data.members import Member
from portal.i18n import LANGUAGES, N_
from portal.services import audit, emails, guest_checks, programs
from portal.services.emails import Template
from portal.services.gate import GateError, WrongCode
from portal.services.passwords import hash_password

__all__ = [
    "INVITATION_DAYS",
    "InvitedAccount",
    "activate",
    "find",
    "guest_command",
    "invite",
    "invite_by_operator",
    "reinvite",
]

INVITATION_DAYS = 7
"""Days an activation code stays valid."""
_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: easy to read and type
_CODE_LENGTH = 12


@dataclass(frozen=True)
class InvitedAccount:
    """What the guest entry shows once an activation code was found."""

    member_id: int
    invitation_id: int
    first_name: str
    last_name: str
    login: str
    organization_name: str

    @property
    def full_name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"


INVITATION = Template(
    subject=N_("You are invited to Portal, the member space of {organization}"),
    body=N_(
        "Hello {name},\n\n"
        "{inviter} invites you to the member space of {organization}. Your login is "
        '"{login}". To activate your account and choose your password, connect to the '
        "guest entry:\n\n    {command}\n\n"
        'choose "Activate an invited account" and type this code:\n\n    {code}\n\n'
        "The code works once and is valid for {days} days.\n"
    ),
    sensitive=True,
)
"""Sent to the organization email of an invited person; parameters: inviter, command,
code, days (name, organization, login: the member's)."""

ACTIVATED = Template(
    subject=N_("Your Portal account is active"),
    body=N_(
        'Hello {name},\n\nYour account "{login}" is now active. If you did not '
        "activate it yourself, contact your CSE at once.\n"
    ),
)
"""Sent once an invited account is activated (parameters: the member's)."""


def new_code() -> str:
    """A fresh activation code, grouped by four for reading: ``K7QM-2PXT-9HTA``."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(_CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, _CODE_LENGTH, 4))


def _normalize(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _code_hash(code: str) -> str:
    return hashlib.sha256(_normalize(code).encode()).hexdigest()


def _actor(db: Database, actor: Member) -> Member:
    current = members_data.get_member(db, actor.id)
    if current is None or current.status != "active" or not current.is_manager:
        raise PermissionError("managers and admins only")
    return current


def _checked_new_account(
    db: Database,
    settings: Settings,
    organization_id: int | None,
    first_name: str,
    last_name: str,
    email: str,
    login: str,
) -> tuple[str, str, str, str]:
    """The fields of an account about to be invited, trimmed and checked: names, email,
    a free login, an email unused in the organization (when it has one).

    Raises:
        GateError: A field is wrong, or the login or email is taken.
    """
    first_name, last_name = first_name.strip(), last_name.strip()
    email, login = email.strip(), login.strip().lower()
    guest_checks.check_name(first_name)
    guest_checks.check_name(last_name)
    guest_checks.check_email(email)
    guest_checks.check_login_format(login)
    if (
        login == settings.guest_username.lower()
        or members_data.get_member_by_login(db, login)
        or requests_data.login_pending(db, login)
    ):
        raise GateError(N_("This login is already taken. Please choose another one."))
    if organization_id is not None and directory_data.email_used(db, organization_id, email):
        raise GateError(N_("This email is already used by an account of the organization."))
    return first_name, last_name, email, login


def invite(
    db: Database,
    actor: Member,
    *,
    first_name: str,
    last_name: str,
    email: str,
    login: str,
    language: str = "fr",
    organization_id: int | None = None,
    settings: Settings,
    now: float | None = None,
) -> Member:
    """Create an invited account in the actor's organization and email its activation code.

    A manager invites into their own organization only; an admin names the organization.

    Raises:
        PermissionError: Not a manager or admin, or another organization for a manager.
        GateError: A field is wrong or the login is taken.
    """
    now = time.time() if now is None else now
    actor = _actor(db, actor)
    if actor.role != "admin":
        if organization_id not in (None, actor.organization_id):
            raise PermissionError("managers invite into their own organization only")
        organization_id = actor.organization_id
    organization = members_data.get_organization(db, organization_id) if organization_id else None
    if organization is None:
        raise GateError(N_("Please choose the organization."))
    first_name, last_name, email, login = _checked_new_account(
        db, settings, organization.id, first_name, last_name, email, login
    )
    language = language if language in LANGUAGES else "fr"
    with transaction(db):
        member_id = members_data.create_member(
            db,
            organization_id=organization.id,
            login=login,
            first_name=first_name,
            last_name=last_name,
            org_email=email,
            password_hash=None,
            status="invited",
            language=language,
        )
        member = members_data.get_member(db, member_id)
        assert member is not None
        _issue(db, actor, member, settings=settings, now=now)
        audit.record(
            db, "member.invited", actor_id=actor.id, organization_id=organization.id, target=login
        )
    return member


def reinvite(
    db: Database, actor: Member, member_id: int, *, settings: Settings, now: float | None = None
) -> None:
    """Send a new activation code to an invited account (the old codes stop working).

    Raises:
        PermissionError: Not a member of the actor's organization.
        GateError: The account is not waiting for activation.
    """
    now = time.time() if now is None else now
    actor = _actor(db, actor)
    member = members_data.get_member(db, member_id)
    if member is None or (
        actor.role != "admin" and member.organization_id != actor.organization_id
    ):
        raise PermissionError("not a member of your organization")
    if member.status != "invited":
        raise GateError(N_("This account is not waiting for activation."))
    with transaction(db):
        _issue(db, actor, member, settings=settings, now=now)
        audit.record(
            db,
            "member.reinvited",
            actor_id=actor.id,
            organization_id=member.organization_id,
            target=member.login,
        )


def _issue(
    db: Database, actor: Member | None, member: Member, *, settings: Settings, now: float
) -> str:
    """Replace the member's open invitations with a new one, email its code, return it."""
    gate_data.revoke_open_invitations(db, member.id)
    code = new_code()
    gate_data.insert_invitation(
        db,
        member_id=member.id,
        code_hash=_code_hash(code),
        expires_at=now + INVITATION_DAYS * 86400,
        created_by=actor.id if actor else None,
    )
    emails.notify_member(
        db,
        member.id,
        INVITATION,
        to=member.org_email,  # no contact address is verified before activation
        inviter=actor.full_name if actor else "Portal",
        command=guest_command(settings),
        code=code,
        days=INVITATION_DAYS,
    )
    return code


def send_activation(
    db: Database, actor: Member | None, member: Member, *, settings: Settings, now: float
) -> None:
    """Email a new activation code to an invited account (the CSV import's batches)."""
    _issue(db, actor, member, settings=settings, now=now)


def guest_command(settings: Settings) -> str:
    """The command that opens the guest entry (activation, sign-up, reset)."""
    port = "" if settings.port == 22 else f"-p {settings.port} "
    return f"ssh {port}{settings.guest_username}@{settings.public_host}"


def invite_by_operator(
    db: Database,
    *,
    organization_id: int | None,
    login: str,
    email: str,
    role: str,
    first_name: str,
    last_name: str,
    settings: Settings,
    language: str = "fr",
    now: float | None = None,
) -> tuple[Member, str]:
    """An invited account created by the ``portal user create`` command (no actor).

    Returns:
        The account and its one-time activation code (the operator passes it on).

    Raises:
        GateError: A field is wrong, the login or email is taken, or a manager without
            an organization.
    """
    now = time.time() if now is None else now
    if role not in ("member", "manager", "admin"):
        raise GateError(N_("Unknown role."))
    if role != "admin" and organization_id is None:
        raise GateError(N_("Please choose the organization."))
    first_name, last_name, email, login = _checked_new_account(
        db, settings, organization_id, first_name, last_name, email, login
    )
    with transaction(db):
        member_id = members_data.create_member(
            db,
            organization_id=organization_id,
            login=login,
            first_name=first_name,
            last_name=last_name,
            org_email=email,
            password_hash=None,
            role=role,
            status="invited",
            language=language if language in LANGUAGES else "fr",
        )
        member = members_data.get_member(db, member_id)
        assert member is not None
        code = _issue(db, None, member, settings=settings, now=now)
        audit.record(
            db,
            "member.invited",
            organization_id=organization_id,
            target=login,
            role=role,
            via="cli",
        )
    return member, code


def find(
    db: Database, code: str, *, ip: str | None = None, now: float | None = None
) -> InvitedAccount:
    """The account an activation code opens.

    Raises:
        GateError: The code is wrong, used or expired (one sentence for all three).
    """
    now = time.time() if now is None else now
    invitation = gate_data.find_open_invitation(db, _code_hash(code), now) if code.strip() else None
    member = members_data.get_member(db, invitation.member_id) if invitation else None
    if invitation is None or member is None or member.status != "invited":
        audit.record(db, "invitation.code_refused", ip=ip)
        raise WrongCode(
            N_(
                "This activation code is not valid: it may be mistyped, already used or expired. "
                "Ask your CSE for a new invitation if needed."
            )
        )
    return InvitedAccount(
        member.id,
        invitation.id,
        member.first_name,
        member.last_name,
        member.login,
        member.organization_name,
    )


def activate(
    db: Database,
    code: str,
    password: str,
    confirm: str,
    *,
    language: str | None = None,
    ip: str | None = None,
    now: float | None = None,
) -> Member:
    """Activate an invited account with the chosen password; the code is spent.

    Raises:
        GateError: Wrong, used or expired code, passwords that differ, or a weak password
            (``WeakPassword``); nothing is written then.
    """
    now = time.time() if now is None else now
    account = find(db, code, ip=ip, now=now)
    guest_checks.check_new_password(
        password,
        confirm,
        login=account.login,
        name=account.full_name,
        organization=account.organization_name,
        language=language,
    )
    password_hash = hash_password(password)
    with transaction(db):
        if not gate_data.use_invitation(db, account.invitation_id) or not (
            gate_data.activate_invited_member(db, account.member_id, password_hash)
        ):
            raise WrongCode(
                N_(
                    "This activation code is not valid: it may be mistyped, already used or "
                    "expired. Ask your CSE for a new invitation if needed."
                )
            )
        member = members_data.get_member(db, account.member_id)
        assert member is not None
        audit.record(
            db,
            "invitation.activated",
            actor_id=member.id,
            organization_id=member.organization_id,
            target=member.login,
            ip=ip,
        )
        programs.follow_member(db, member.id)  # the programs given to everyone, to its groups
        emails.notify_member(db, member.id, ACTIVATED)
    return member
