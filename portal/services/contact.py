"""Contact details & preferences: communication email, postal address, newsletter.

A communication email replaces the organization email for orders and newsletters once
the member proves they read it: a 6-digit code is sent there, stored hashed (argon2),
valid ``CODE_TTL``, with ``MAX_TRIES`` wrong entries before it is void; a new code may
be asked (``resend_code``) at most once per ``RESEND_COOLDOWN`` and ``MAX_CODES_PER_HOUR``
times an hour. The language is changed through ``accounts.set_language``.

Every function acts on the calling member's own data only (the ``member`` argument is
the session's member; there is no way to name another one). Asking for a new
communication email needs a re-authentication ``Proof`` (``services.reauth``), and once
it is verified the previous address is told, with the time. Bad input raises
``ContactError`` whose message is an English msgid, translated by the screen, and
leaves the database unchanged. Changes are audited, never with a code.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import unicodedata
from dataclasses import dataclass

from sqlite_utils import Database

from portal.data import contact as contact_data
from portal.data import members as members_data
from portal.data.contact import ContactDetails
from portal.data.db import transaction
from portal.data.members import Member
from portal.data.outbox import parse_timestamp, timestamp
from portal.i18n import N_, get_translator
from portal.services import audit, clock, emails, notifications, reauth
from portal.services import text as text_rules
from portal.services.crypto import SecretBox
from portal.services.emails import Template
from portal.services.errors import PortalError
from portal.services.passwords import hash_password, verify_password

__all__ = [
    "CODE_TTL",
    "MAX_TRIES",
    "ContactDetails",
    "ContactError",
    "ContactView",
    "cancel_verification",
    "check_new_email",
    "get_contact",
    "normalize_email",
    "request_email_verification",
    "resend_code",
    "save_address",
    "set_newsletter",
    "use_organization_email",
    "validate_postal_code",
    "verify_email",
]

CODE_TTL = dt.timedelta(minutes=15)
"""How long a verification code may be used."""
MAX_TRIES = 5
"""Wrong codes after which a code is void."""
RESEND_COOLDOWN = dt.timedelta(seconds=60)
"""Shortest wait between two codes."""
MAX_CODES_PER_HOUR = 5
"""Most codes sent to one member in an hour (limits guessing and mail bombing)."""
MAX_LINE = 100
"""Longest address line, in characters."""
MAX_CITY = 60
"""Longest city name, in characters."""

_POSTAL_CODE = re.compile(r"^[0-9]{5}$")


class ContactError(PortalError):
    """Contact details or preferences refused (see ``services.errors``)."""


COMM_EMAIL_CHANGED = Template(
    subject=N_("Your communication email has changed"),
    body=N_(
        "Hello {name},\n"
        "\n"
        'On {when} (Paris time), the communication email of your account "{login}" was'
        " changed: from now on, your orders, newsletters and security messages from"
        " {organization} will be sent to {email}.\n"
        "\n"
        "{not_you}"
    ),
)
"""Sent to the previous address once a new communication email is verified; parameters:
email, when, not_you."""


@dataclass(frozen=True)
class ContactView:
    """What the contact screen shows."""

    details: ContactDetails
    org_email: str
    recipient: str
    """Where the member's email goes now."""
    pending_email: str | None = None
    """Address waiting for its code, if any."""
    pending_expired: bool = False
    """The pending code can no longer be used (ask for a new one)."""


# -- reading ---------------------------------------------------------------------------


def get_contact(db: Database, member: Member, *, now: dt.datetime | None = None) -> ContactView:
    """The member's own contact details and verification state."""
    now = now or clock.now()
    details = contact_data.get_details(db, member.id)
    pending = contact_data.pending_verification(db, member.id)
    current = members_data.get_member(db, member.id)
    org_email = current.org_email if current else member.org_email
    expired = pending is not None and (
        parse_timestamp(pending.expires_at) <= now or pending.attempts >= MAX_TRIES
    )
    return ContactView(
        details=details,
        org_email=org_email,
        recipient=details.comm_email or org_email,
        pending_email=pending.email if pending else None,
        pending_expired=expired,
    )


# -- validation ------------------------------------------------------------------------


def normalize_email(raw: str) -> str:
    """A plausible address, trimmed, with its domain in lower case.

    Raises:
        ContactError: Not an email address.
    """
    return text_rules.normalize_email(raw, error=ContactError)


def validate_postal_code(raw: str) -> str:
    """A French postal code: 5 digits from 01000 to 98999 (Corsica 20xxx, overseas 97xxx).

    Raises:
        ContactError: Not a French postal code.
    """
    code = raw.strip().replace(" ", "")
    if not _POSTAL_CODE.match(code) or not 1000 <= int(code) <= 98999:
        raise ContactError(
            N_("The postal code must have 5 digits, from 01000 to 98999 (for example 75011).")
        )
    return code


def _clean_line(raw: str, limit: int) -> str:
    text = " ".join(raw.split())
    if any(unicodedata.category(c).startswith("C") for c in text):
        raise ContactError(N_("The address contains characters that are not allowed."))
    if len(text) > limit:
        raise ContactError(N_("An address line may have at most {n} characters."), n=limit)
    return text


# -- communication email ---------------------------------------------------------------


def _new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def _send_code(
    db: Database, member: Member, email: str, now: dt.datetime, ip: str | None, action: str
) -> None:
    """Store a fresh code and queue it to ``email``, within the sending limits."""
    code = _new_code()
    code_hash = hash_password(code)  # argon2: before the write lock is taken
    message = emails.render(
        get_translator(member.language),
        emails.VERIFY_EMAIL_CODE,
        name=member.first_name,
        organization=member.organization_name,
        code=code,
        minutes=int(CODE_TTL.total_seconds() // 60),
    )
    with transaction(db):
        recent = timestamp(now - RESEND_COOLDOWN)
        if contact_data.count_verifications_since(db, member.id, recent):
            raise ContactError(N_("A code was just sent. Wait a minute before asking for another."))
        hour_ago = timestamp(now - dt.timedelta(hours=1))
        if contact_data.count_verifications_since(db, member.id, hour_ago) >= MAX_CODES_PER_HOUR:
            raise ContactError(N_("Too many codes were sent. Try again in an hour."))
        contact_data.close_pending_verifications(db, member.id, "replaced")
        contact_data.add_verification(
            db,
            member.id,
            email=email,
            code_hash=code_hash,
            created_at=timestamp(now),
            expires_at=timestamp(now + CODE_TTL),
        )
        notifications.enqueue(
            db,
            to=email,
            subject=message.subject,
            body=message.body,
            member_id=member.id,
            sensitive=True,
        )
        audit.record(
            db,
            action,
            actor_id=member.id,
            organization_id=member.organization_id,
            target=email,
            ip=ip,
        )


def check_new_email(
    db: Database, member: Member, raw_email: str, *, now: dt.datetime | None = None
) -> str:
    """The address normalised, if it may become the communication email (nothing sent).

    The screen asks this before the re-authentication, so that a typo costs no password.

    Raises:
        ContactError: Not an email address, the organization email, or the current one.
    """
    email = normalize_email(raw_email)
    view = get_contact(db, member, now=now)
    if email.lower() == view.org_email.lower():
        raise ContactError(
            N_("This is your organization email: it already receives your messages.")
        )
    if view.details.comm_email and email.lower() == view.details.comm_email.lower():
        raise ContactError(N_("This address is already your communication email."))
    return email


def request_email_verification(
    db: Database,
    member: Member,
    raw_email: str,
    *,
    box: SecretBox,
    proof: reauth.Proof | None,
    now: dt.datetime | None = None,
    ip: str | None = None,
) -> ContactView:
    """Send a code to a new communication email; it is used once the code is entered.

    Args:
        box: The process's secret box (checks the proof).
        proof: From ``reauth.verify(..., reauth.CHANGE_EMAIL, ...)``.

    Raises:
        ContactError: Not a valid new address, or too many codes lately.
        reauth.ReauthError: No valid proof.
    """
    now = now or clock.now()
    email = check_new_email(db, member, raw_email, now=now)
    reauth.require(box, proof, member.id, reauth.CHANGE_EMAIL)
    _send_code(db, member, email, now, ip, "contact.email_code_sent")
    return get_contact(db, member, now=now)


def resend_code(
    db: Database, member: Member, *, now: dt.datetime | None = None, ip: str | None = None
) -> ContactView:
    """Send a new code to the address waiting for verification (the old code is void)."""
    now = now or clock.now()
    pending = contact_data.pending_verification(db, member.id)
    if pending is None:
        raise ContactError(N_("No address is waiting for a code. Enter the address first."))
    _send_code(db, member, pending.email, now, ip, "contact.email_code_resent")
    return get_contact(db, member, now=now)


def verify_email(
    db: Database,
    member: Member,
    raw_code: str,
    *,
    now: dt.datetime | None = None,
    ip: str | None = None,
) -> ContactView:
    """Check the code; when right, the address becomes the communication email.

    A wrong code counts one try (and only that is written); after ``MAX_TRIES`` the
    code is void. The previous address is told of the change.
    """
    now = now or clock.now()
    code = raw_code.strip().replace(" ", "")
    pending = contact_data.pending_verification(db, member.id)
    if pending is None:
        raise ContactError(N_("No address is waiting for a code. Enter the address first."))
    if pending.attempts >= MAX_TRIES:
        raise ContactError(N_("Too many wrong codes. Ask for a new code."))
    if parse_timestamp(pending.expires_at) <= now:
        raise ContactError(N_("This code has expired. Ask for a new code."))
    if not re.fullmatch(r"[0-9]{6}", code):
        raise ContactError(N_("The code has 6 digits."))
    right = verify_password(pending.code_hash, code)  # argon2, outside the write lock
    failure: ContactError | None = None
    with transaction(db):
        current = contact_data.pending_verification(db, member.id)
        if current is None or current.id != pending.id:
            failure = ContactError(N_("This code was replaced by a newer one. Use the last code."))
        elif not right:
            tries = contact_data.record_wrong_code(db, current.id)
            audit.record(
                db,
                "contact.email_code_wrong",
                actor_id=member.id,
                organization_id=member.organization_id,
                target=current.email,
                ip=ip,
                tries=tries,
            )
            if tries >= MAX_TRIES:  # stays pending but void, so "resend" still works
                failure = ContactError(N_("Wrong code. Too many tries: ask for a new code."))
            else:
                failure = ContactError(N_("Wrong code. Tries left: {n}."), n=MAX_TRIES - tries)
        else:
            previous = emails.recipient_for(db, member.id)
            contact_data.set_verification_status(db, current.id, "verified")
            contact_data.set_comm_email(db, member.id, current.email, now=timestamp(now))
            audit.record(
                db,
                "contact.email_verified",
                actor_id=member.id,
                organization_id=member.organization_id,
                target=current.email,
                ip=ip,
            )
            if previous.lower() != current.email.lower():
                emails.notify_member(
                    db,
                    member.id,
                    COMM_EMAIL_CHANGED,
                    to=previous,
                    email=current.email,
                    when=reauth.when(member, now.timestamp()),
                    not_you=reauth.not_you(member),
                )
    if failure is not None:
        raise failure
    return get_contact(db, member, now=now)


def cancel_verification(
    db: Database, member: Member, *, now: dt.datetime | None = None, ip: str | None = None
) -> ContactView:
    """Forget the address waiting for its code."""
    with transaction(db):
        pending = contact_data.pending_verification(db, member.id)
        if pending is not None:
            contact_data.close_pending_verifications(db, member.id, "cancelled")
            audit.record(
                db,
                "contact.email_code_cancelled",
                actor_id=member.id,
                organization_id=member.organization_id,
                target=pending.email,
                ip=ip,
            )
    return get_contact(db, member, now=now)


def use_organization_email(
    db: Database, member: Member, *, now: dt.datetime | None = None, ip: str | None = None
) -> ContactView:
    """Drop the communication email: messages go to the organization email again."""
    now = now or clock.now()
    with transaction(db):
        details = contact_data.get_details(db, member.id)
        if details.comm_email:
            contact_data.set_comm_email(db, member.id, None, now=timestamp(now))
            audit.record(
                db,
                "contact.email_removed",
                actor_id=member.id,
                organization_id=member.organization_id,
                target=details.comm_email,
                ip=ip,
            )
    return get_contact(db, member, now=now)


# -- postal address and newsletter -----------------------------------------------------


def save_address(
    db: Database,
    member: Member,
    *,
    street: str,
    street2: str,
    postal_code: str,
    city: str,
    now: dt.datetime | None = None,
    ip: str | None = None,
) -> ContactView:
    """Store the postal address; all fields empty clears it.

    Raises:
        ContactError: A field is missing or invalid (nothing is written).
    """
    now = now or clock.now()
    street, street2 = _clean_line(street, MAX_LINE), _clean_line(street2, MAX_LINE)
    city = _clean_line(city, MAX_CITY)
    postal_code = postal_code.strip()
    if not (street or street2 or postal_code or city):
        values = ("", "", "", "")
    else:
        if not street or not postal_code or not city:
            raise ContactError(N_("Enter the street, the postal code and the city."))
        values = (street, street2, validate_postal_code(postal_code), city)
    with transaction(db):
        before = contact_data.get_details(db, member.id)
        old = (before.street, before.street2, before.postal_code, before.city)
        if old != values:
            contact_data.set_address(
                db,
                member.id,
                street=values[0],
                street2=values[1],
                postal_code=values[2],
                city=values[3],
                now=timestamp(now),
            )
            names = ("street", "street2", "postal_code", "city")
            changed = [n for n, a, b in zip(names, old, values, strict=True) if a != b]
            audit.record(
                db,
                "contact.address",
                actor_id=member.id,
                organization_id=member.organization_id,
                target=member.login,
                ip=ip,
                fields=changed,
                cleared=not any(values),
            )
    return get_contact(db, member, now=now)


def set_newsletter(
    db: Database,
    member: Member,
    subscribed: bool,
    *,
    now: dt.datetime | None = None,
    ip: str | None = None,
) -> ContactView:
    """Subscribe to the organization's newsletter, or unsubscribe."""
    now = now or clock.now()
    with transaction(db):
        if contact_data.get_details(db, member.id).newsletter != subscribed:
            contact_data.set_newsletter(db, member.id, subscribed, now=timestamp(now))
            audit.record(
                db,
                "contact.newsletter",
                actor_id=member.id,
                organization_id=member.organization_id,
                target=member.login,
                ip=ip,
                subscribed=subscribed,
            )
    return get_contact(db, member, now=now)
