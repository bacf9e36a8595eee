"""The membership card: a signed token in a QR code that a partner checks on the web.

The token carries no personal data in clear, only what the check needs, packed small
so the QR code stays small: a version byte, the member id (4 bytes), the last valid day
(2 bytes, days since 2000-01-01) and an HMAC-SHA256 of those truncated to 128 bits,
written in lower-case base32 without padding (37 characters, read in either case). The
HMAC key is derived from the secrets key file (``SecretBox.derive_key``), so nothing new
has to be kept or backed up, and a copy of the database alone cannot forge a card.

A card is valid while its signature holds, its last day has not passed (Paris calendar)
and the member is still active. A verification tells the partner the member's first
name, organization and the card's last day, nothing else. Every verification of an
authentic card is counted, so the member sees how often and when last it was checked.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import logging
import struct
from dataclasses import dataclass
from hashlib import sha256

from sqlite_utils import Database

from portal.config import Settings
from portal.data import members as members_data
from portal.data import membership as membership_data
from portal.data.db import transaction
from portal.data.members import Member
from portal.i18n import N_, Translator
from portal.services import clock
from portal.services.crypto import SecretBox
from portal.services.errors import PortalError

__all__ = [
    "CardVerdict",
    "MembershipCard",
    "MembershipError",
    "card_url",
    "describe",
    "get_card",
    "issue_token",
    "read_token",
    "valid_until",
    "verify",
]

log = logging.getLogger(__name__)

KEY_PURPOSE = "portal membership card v1"
"""HKDF ``info`` of the signing key (changing it voids every card printed so far)."""
_VERSION = 1
_EPOCH = dt.date(2000, 1, 1)
_PAYLOAD = struct.Struct(">BIH")  # version, member id, last valid day
_MAC_BYTES = 16
TOKEN_LENGTH = 37
"""Characters of a token (base32 of 7 + 16 bytes, unpadded)."""
VERIFY_PATH = "/v/"
"""Path prefix of the partner page; the QR code holds ``public_url + VERIFY_PATH + token``."""


class MembershipError(PortalError):
    """A refusal about the membership card."""


@dataclass(frozen=True)
class MembershipCard:
    """What "Ma carte membre" shows."""

    first_name: str
    organization: str
    valid_until: dt.date
    token: str
    url: str
    """The address in the QR code (the partner page)."""
    verified_count: int
    last_verified_at: dt.datetime | None


@dataclass(frozen=True)
class CardVerdict:
    """The answer to a verification: valid or not, and only then who.

    ``reason`` (``ok``, ``malformed``, ``forged``, ``unknown``, ``expired``, ``inactive``)
    is for the operator's log and the command line; the partner page never shows it.
    """

    valid: bool
    reason: str
    first_name: str | None = None
    organization: str | None = None
    valid_until: dt.date | None = None


def _key(secrets: SecretBox) -> bytes:
    return secrets.derive_key(KEY_PURPOSE)


def _mac(secrets: SecretBox, payload: bytes) -> bytes:
    return hmac.new(_key(secrets), payload, sha256).digest()[:_MAC_BYTES]


def issue_token(secrets: SecretBox, member_id: int, last_day: dt.date) -> str:
    """The signed token of ``member_id``'s card, valid through ``last_day``."""
    days = (last_day - _EPOCH).days
    if not 0 <= days <= 0xFFFF or not 0 < member_id <= 0xFFFFFFFF:
        raise ValueError("member id or date out of the token's range")
    payload = _PAYLOAD.pack(_VERSION, member_id, days)
    raw = payload + _mac(secrets, payload)
    return base64.b32encode(raw).decode("ascii").rstrip("=").lower()


def read_token(secrets: SecretBox, token: str) -> tuple[int, dt.date] | None:
    """The member id and last valid day of an authentic token, else None (any change to
    any character, or another key, gives None)."""
    text = token.strip().upper()
    if len(text) != TOKEN_LENGTH or not text.isascii():
        return None
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != _PAYLOAD.size + _MAC_BYTES:
        return None
    if base64.b32encode(raw).decode("ascii").rstrip("=") != text:
        return None  # unused low bits set: one card has one spelling only
    payload, mac = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
    if not hmac.compare_digest(mac, _mac(secrets, payload)):
        return None
    version, member_id, days = _PAYLOAD.unpack(payload)
    if version != _VERSION:
        return None
    return member_id, _EPOCH + dt.timedelta(days=days)


def valid_until(settings: Settings, today: dt.date | None = None) -> dt.date:
    """The last day of the current membership year (``settings.membership_year_end``)."""
    today = today or clock.today_paris()
    month, day = (int(part) for part in settings.membership_year_end.split("-"))
    end = dt.date(today.year, month, day)
    return end if today <= end else dt.date(today.year + 1, month, day)


def card_url(settings: Settings, token: str) -> str:
    """The partner page of a card: what its QR code holds."""
    return f"{settings.public_url}{VERIFY_PATH}{token}"


def _parse_time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def get_card(
    db: Database, actor: Member, *, secrets: SecretBox, settings: Settings
) -> MembershipCard:
    """The card of the member ``actor`` (their own: there is no way to ask for another's).

    Raises:
        MembershipError: The account is not active (it has no valid card).
    """
    member = members_data.get_member(db, actor.id)
    if member is None or member.status != "active":
        raise MembershipError(N_("Your account is not active, so it has no membership card."))
    last_day = valid_until(settings)
    token = issue_token(secrets, member.id, last_day)
    stats = membership_data.get_verification_stats(db, member.id)
    return MembershipCard(
        first_name=member.first_name,
        organization=member.organization_name,
        valid_until=last_day,
        token=token,
        url=card_url(settings, token),
        verified_count=stats.count,
        last_verified_at=_parse_time(stats.last_at),
    )


def verify(db: Database, token: str, *, secrets: SecretBox) -> CardVerdict:
    """Check a card's token and count the verification (for an authentic token).

    Refused: a token that is malformed, forged or altered, of an unknown member, past its
    last day (Paris calendar), or of a member no longer active.
    """
    read = read_token(secrets, token)
    if read is None:
        reason = "malformed" if len(token.strip()) != TOKEN_LENGTH else "forged"
        log.info("membership card refused: %s token", reason)
        return CardVerdict(False, reason)
    member_id, last_day = read
    now = clock.now()
    with transaction(db):
        member = members_data.get_member(db, member_id)
        if member is None:
            verdict = CardVerdict(False, "unknown")
        else:
            membership_data.record_verification(db, member_id, now.isoformat())
            if clock.today_paris(now) > last_day:
                verdict = CardVerdict(False, "expired")
            elif member.status != "active":
                verdict = CardVerdict(False, "inactive")
            else:
                verdict = CardVerdict(
                    True,
                    "ok",
                    first_name=member.first_name,
                    organization=member.organization_name,
                    valid_until=last_day,
                )
    log.info("membership card of member %d checked: %s", member_id, verdict.reason)
    return verdict


def describe(verdict: CardVerdict, t: Translator) -> str:
    """The verdict in one line, as the partner page says it (``portal verify-card``)."""
    if not verdict.valid or verdict.valid_until is None:
        return t.gettext(N_("Invalid card"))
    return t.gettext(
        N_("Valid card: {first_name}, {organization}, valid until {date}"),
        first_name=verdict.first_name or "",
        organization=verdict.organization or "",
        date=t.date(verdict.valid_until, "long"),
    )
