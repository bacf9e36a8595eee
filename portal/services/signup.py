"""Sign-up: a guest asks to join an organization; a manager of it validates or refuses.

The guest gives the organization's identification key (``0`` when the CSE gave none: they
then pick their organization from the list, and the manager sees that the key was not
checked), their name, email, chosen login and password. Nothing is written until the email
is verified: the draft, with the password already hashed, and the code's digest stay in the
guest's session (``SignupDraft``), so wrong input and wrong codes leave the database as it
was. Once verified, the request waits for a manager of that organization, who validates it
(the account is created, active) or refuses it with a reason; the applicant is told by
email either way.

A well-formed login is accepted alike whether it is free, a member's or wanted by another
request: it is settled at validation (``signup_logins``). The ``0`` list names only the
organizations that opted in (``guest_listing``); a guest cannot pick another by its id.

Code emails are rate-limited (``MAX_CODES_PER_ADDRESS`` an hour to one address,
``MAX_CODES_PER_CLIENT`` from one client address, counted in the gate's throttle table):
past either, the guest reads a sentence saying so and nothing is sent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlite_utils import Database

from portal.config import Settings
from portal.data import identity_gate as gate_data
from portal.data import members as members_data
from portal.data import signup_requests as requests_data
from portal.data.db import transaction
from portal.data.members import Member, Organization
from portal.data.signup_requests import SignupRequest
from portal.i18n import LANGUAGES, N_
from portal.services import audit, emails, guest_checks, programs, signup_logins
from portal.services.emails import Template
from portal.services.gate import GateError, WrongCode
from portal.services.guest_checks import CodeChallenge
from portal.services.passwords import hash_password

__all__ = [
    "CODE_TTL",
    "KeyCheck",
    "SignupDraft",
    "SignupRequest",
    "approve",
    "check_key",
    "confirm",
    "count_pending",
    "list_pending",
    "refuse",
    "resend_code",
    "start",
]

CODE_TTL = 15 * 60
"""Seconds an email verification code stays valid."""
MAX_SENDS = 3
"""Codes one draft may send (the first and two more)."""
MAX_CODES_PER_ADDRESS = 5
"""Sign-up codes sent to one email address within ``QUOTA_WINDOW``, whatever the draft."""
MAX_CODES_PER_CLIENT = 10
"""Sign-up codes asked from one client address within ``QUOTA_WINDOW``."""
QUOTA_WINDOW = 3600.0
"""Seconds after the last code sent before a limit starts again."""
TOO_MANY_FOR_ADDRESS = N_(
    "Too many codes were sent to this email address. Please try again in an hour."
)
TOO_MANY_FROM_CLIENT = N_(
    "Too many codes were asked from your connection. Please try again in an hour."
)
NO_KEY = "0"
"""What a guest types when their CSE gave no identification key."""

SIGNUP_CODE = Template(
    subject=N_("Your Portal verification code"),
    body=N_(
        "Hello {name},\n\n"
        "To confirm your email address and send your request to {organization}, type "
        "this code on the sign-up screen:\n\n    {code}\n\n"
        "It is valid for {minutes} minutes. If you did not ask for it, ignore this email.\n"
    ),
    sensitive=True,
)
"""To the applicant's address; parameters: name, organization, code, minutes."""

NEW_REQUEST = Template(
    subject=N_("New sign-up request"),
    body=N_(
        "Hello {name},\n\n{applicant} ({email}) asks to join {organization}. "
        "Validate or refuse the request in Portal, under Sign-up requests.\n"
    ),
)
"""To each manager of the organization; parameters: applicant, email, organization."""

ACCOUNT_READY = Template(
    subject=N_("Your Portal account is ready"),
    body=N_(
        "Hello {name},\n\nYour request to join {organization} was accepted. "
        'Sign in with your login "{login}" and the password you chose:\n\n    {command}\n'
    ),
)
"""To the new member once approved; parameter: command (the rest: the member's)."""

REQUEST_REFUSED = Template(
    subject=N_("Your Portal sign-up request"),
    body=N_(
        "Hello {name},\n\nYour request to join {organization} was not accepted, "
        "for this reason:\n\n    {reason}\n\nFor any question, contact your CSE.\n"
    ),
)
"""To the applicant's address; parameters: name, organization, reason."""


@dataclass(frozen=True)
class KeyCheck:
    """The organization a key names, or (key ``0``) the organizations to choose from.

    ``choices`` holds only the organizations that opted in to the list; it may be empty
    (the guest is then told to ask their CSE for its key).
    """

    organization: Organization | None
    choices: list[Organization]

    @property
    def key_verified(self) -> bool:
        """True when a real key named the organization."""
        return self.organization is not None


@dataclass
class SignupDraft:
    """A request being made: held by the guest's session until its email is verified."""

    organization_id: int
    organization_name: str
    key_verified: bool
    first_name: str
    last_name: str
    email: str
    login: str
    language: str
    password_hash: str = field(repr=False)
    challenge: CodeChallenge = field(repr=False)
    sends: int = 1


def check_key(db: Database, key: str) -> KeyCheck:
    """Resolve an identification key.

    Raises:
        GateError: The key names no organization.
    """
    key = key.strip()
    if key == NO_KEY:
        return KeyCheck(None, members_data.list_guest_listed_organizations(db))
    organization_id = gate_data.organization_id_by_key(db, key) if key else None
    organization = members_data.get_organization(db, organization_id) if organization_id else None
    if organization is None:
        raise WrongCode(
            N_(
                "This identification key is not known. Check it with your CSE, or type 0 if "
                "your CSE gave you none."
            )
        )
    return KeyCheck(organization, [])


def _organization(db: Database, key: str, organization_id: int | None) -> tuple[Organization, bool]:
    checked = check_key(db, key)
    if checked.organization is not None:
        return checked.organization, True
    chosen = members_data.get_organization(db, organization_id) if organization_id else None
    if chosen is None or not chosen.guest_listed:  # an unlisted one is reached by its key only
        raise GateError(N_("Please choose your organization in the list."))
    return chosen, False


def _check_login(login: str, *, guest_username: str) -> None:
    """The login's format, and not the guest entry's own name (which everyone knows).

    Whether a member or another request has it is deliberately not checked here (see the
    module's docstring): ``approve`` settles it.
    """
    guest_checks.check_login_format(login)
    if login == guest_username.lower():
        raise GateError(N_("This login is reserved. Please choose another one."))


def start(
    db: Database,
    *,
    key: str,
    organization_id: int | None,
    first_name: str,
    last_name: str,
    email: str,
    login: str,
    password: str,
    confirm: str,
    language: str,
    guest_username: str,
    ip: str | None = None,
    now: float | None = None,
) -> SignupDraft:
    """Check a request and send a verification code to its email (nothing else is written).

    Raises:
        GateError: A field is wrong (``WeakPassword`` for the password); the message says which.
    """
    now = time.time() if now is None else now
    organization, key_verified = _organization(db, key, organization_id)
    first_name, last_name = first_name.strip(), last_name.strip()
    email, login = email.strip(), login.strip().lower()
    guest_checks.check_name(first_name)
    guest_checks.check_name(last_name)
    guest_checks.check_email(email)
    _check_login(login, guest_username=guest_username)
    language = language if language in LANGUAGES else "fr"
    guest_checks.check_new_password(
        password,
        confirm,
        login=login,
        name=f"{first_name} {last_name}",
        organization=organization.name,
        language=language,
    )
    challenge, code = CodeChallenge.issue(now, CODE_TTL)
    draft = SignupDraft(
        organization_id=organization.id,
        organization_name=organization.name,
        key_verified=key_verified,
        first_name=first_name,
        last_name=last_name,
        email=email,
        login=login,
        language=language,
        password_hash=hash_password(password),
        challenge=challenge,
    )
    _send_code(db, draft, code, ip=ip, now=now)
    return draft


def resend_code(
    db: Database, draft: SignupDraft, *, ip: str | None = None, now: float | None = None
) -> None:
    """Send a fresh code (the old one stops working).

    Raises:
        GateError: Too many codes were sent for this request.
    """
    now = time.time() if now is None else now
    if draft.sends >= MAX_SENDS:
        raise GateError(N_("Too many codes were sent. Please start again later."))
    challenge, code = CodeChallenge.issue(now, CODE_TTL)
    _send_code(db, draft, code, ip=ip, now=now)  # a refusal leaves the old code working
    draft.challenge = challenge
    draft.sends += 1


def _send_code(db: Database, draft: SignupDraft, code: str, *, ip: str | None, now: float) -> None:
    """Send a code, or raise ``GateError`` (nothing sent) past a rate limit."""
    quotas = [("signup_to", draft.email.lower(), MAX_CODES_PER_ADDRESS)]
    if ip:
        quotas.append(("signup_ip", ip, MAX_CODES_PER_CLIENT))
    with transaction(db):
        refused = gate_data.take_quota(db, quotas, now, window=QUOTA_WINDOW)
        if refused is None:
            emails.send(
                db,
                SIGNUP_CODE,
                to=draft.email,
                language=draft.language,
                name=draft.first_name,
                organization=draft.organization_name,
                code=code,
                minutes=CODE_TTL // 60,
            )
        if refused is None:
            audit.record(
                db,
                "signup.code_sent",
                organization_id=draft.organization_id,
                target=draft.login,
                ip=ip,
            )
        else:
            audit.record(
                db,
                "signup.code_throttled",
                organization_id=draft.organization_id,
                target=draft.login,
                ip=ip,
                limit=refused[0],
            )
    if refused is not None:
        raise GateError(TOO_MANY_FOR_ADDRESS if refused[0] == "signup_to" else TOO_MANY_FROM_CLIENT)


def confirm(
    db: Database, draft: SignupDraft, code: str, *, ip: str | None = None, now: float | None = None
) -> SignupRequest:
    """Check the email code and file the request for the organization's managers.

    Raises:
        GateError: Wrong or expired code.
    """
    now = time.time() if now is None else now
    if not draft.challenge.check(code, now):
        if draft.challenge.exhausted or now >= draft.challenge.expires_at:
            raise WrongCode(N_("This code has expired or was tried too often. Ask for a new code."))
        raise WrongCode(N_("This code is not right. Check the email and try again."))
    with transaction(db):
        request_id = requests_data.insert_request(
            db,
            organization_id=draft.organization_id,
            first_name=draft.first_name,
            last_name=draft.last_name,
            email=draft.email,
            login=draft.login,
            password_hash=draft.password_hash,
            language=draft.language,
            key_verified=draft.key_verified,
            ip=ip,
        )
        audit.record(
            db,
            "signup.requested",
            organization_id=draft.organization_id,
            target=draft.login,
            ip=ip,
            request_id=request_id,
            key_verified=draft.key_verified,
        )
        _tell_managers(db, draft)
    request = requests_data.get_request(db, request_id)
    assert request is not None
    return request


def _tell_managers(db: Database, draft: SignupDraft) -> None:
    for manager_id in gate_data.manager_ids(db, draft.organization_id):
        manager = members_data.get_member(db, manager_id)
        if manager is None:
            continue
        emails.notify_member(
            db,
            manager.id,
            NEW_REQUEST,
            applicant=f"{draft.first_name} {draft.last_name}",
            email=draft.email,
            organization=draft.organization_name,
        )


# -- management ----------------------------------------------------------------------------


def _actor(db: Database, actor: Member) -> Member:
    current = members_data.get_member(db, actor.id)
    if current is None or current.status != "active" or not current.is_manager:
        raise PermissionError("managers and admins only")
    return current


def _scope(actor: Member) -> int | None:
    """The organization an actor manages (None: every organization, for admins)."""
    return None if actor.role == "admin" else actor.organization_id


def list_pending(db: Database, actor: Member) -> list[SignupRequest]:
    """The requests waiting for this manager (their organization's; an admin sees all)."""
    return requests_data.list_pending(db, _scope(_actor(db, actor)))


def count_pending(db: Database, actor: Member) -> int:
    """How many requests wait for this manager."""
    return requests_data.count_pending(db, _scope(_actor(db, actor)))


def _pending_request(db: Database, actor: Member, request_id: int) -> SignupRequest:
    request = requests_data.get_request(db, request_id)
    scope = _scope(actor)
    if request is None or (scope is not None and request.organization_id != scope):
        raise PermissionError("not a request of your organization")
    if request.status != "pending":
        raise GateError(N_("This request was already handled."))
    return request


def _connect_hint(settings: Settings, login: str) -> str:
    port = "" if settings.port == 22 else f"-p {settings.port} "
    return f"ssh {port}{login}@{settings.public_host}"


def approve(db: Database, actor: Member, request_id: int, *, settings: Settings) -> Member:
    """Validate a request: the account is created, active, and the applicant told.

    The account gets the wanted login, or its first free variant when a member has it by
    now (``free_login``); the returned member says which, and so does the applicant's email.

    Raises:
        PermissionError: Not a request of the actor's organization.
        GateError: Already handled.
    """
    actor = _actor(db, actor)
    with transaction(db):
        request = _pending_request(db, actor, request_id)
        login = signup_logins.free_login(db, request.login, reserved=(settings.guest_username,))
        password_hash = requests_data.get_password_hash(db, request.id)
        member_id = members_data.create_member(
            db,
            organization_id=request.organization_id,
            login=login,
            first_name=request.first_name,
            last_name=request.last_name,
            org_email=request.email,
            password_hash=password_hash,
            language=request.language,
        )
        if not requests_data.decide(
            db, request.id, status="approved", decided_by=actor.id, member_id=member_id
        ):
            raise GateError(N_("This request was already handled."))
        audit.record(
            db,
            "signup.approved",
            actor_id=actor.id,
            organization_id=request.organization_id,
            target=login,
            request_id=request.id,
            member_id=member_id,
            wanted_login=request.login,
        )
        programs.follow_member(db, member_id, actor_id=actor.id)  # programs given to everyone
        template = (
            ACCOUNT_READY if login == request.login else signup_logins.ACCOUNT_READY_OTHER_LOGIN
        )
        emails.notify_member(
            db,
            member_id,
            template,
            to=request.email,
            wanted=request.login,
            command=_connect_hint(settings, login),
        )
    member = members_data.get_member(db, member_id)
    assert member is not None
    return member


def refuse(db: Database, actor: Member, request_id: int, reason: str) -> SignupRequest:
    """Refuse a request with a reason, which the applicant receives by email.

    Raises:
        PermissionError: Not a request of the actor's organization.
        GateError: No reason given, or already handled.
    """
    actor = _actor(db, actor)
    reason = reason.strip()
    if not reason or len(reason) > 500:
        raise GateError(
            N_("Please give a reason (500 characters at most): the applicant will read it.")
        )
    with transaction(db):
        request = _pending_request(db, actor, request_id)
        if not requests_data.decide(
            db, request.id, status="refused", decided_by=actor.id, reason=reason
        ):
            raise GateError(N_("This request was already handled."))
        audit.record(
            db,
            "signup.refused",
            actor_id=actor.id,
            organization_id=request.organization_id,
            target=request.login,
            request_id=request.id,
            reason=reason,
        )
        emails.send(
            db,
            REQUEST_REFUSED,
            to=request.email,
            language=request.language,
            name=request.first_name,
            organization=request.organization_name,
            reason=reason,
        )
    refused = requests_data.get_request(db, request.id)
    assert refused is not None
    return refused
