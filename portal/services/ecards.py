"""My e-tickets & e-cards: the member's issued items, their codes, balances and archive.

Every function takes the member and refuses an item that is not theirs exactly as one
that does not exist (a member never learns another member's card ids). Numbers and PINs
are stored encrypted (``SecretBox``) and decrypted only for their member: the number for
the barcode and QR code of the detail view, the PIN when the member asks (audited,
without the PIN). Balances come from the issuer that issued the item; the last answer
is kept for the lists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlite_utils import Database

from portal.config import Settings
from portal.data import ecards as ecards_data
from portal.data.db import transaction
from portal.data.ecards import ECard
from portal.data.members import Member
from portal.i18n import N_
from portal.services import audit, authz, clock, emails, issuing, text
from portal.services.crypto import SecretBox
from portal.services.errors import UserError
from portal.services.issuing import Issuer
from portal.services.notifications import recipient_for
from portal.services.orders import iso

__all__ = [
    "CARD_SENT",
    "ECard",
    "ECodes",
    "archive",
    "check_balance",
    "codes",
    "default_recipient",
    "get_card",
    "is_expired",
    "list_cards",
    "pending_count",
    "reveal_pin",
    "send_by_email",
]

NOT_FOUND = N_("This e-card or e-ticket does not exist.")
NO_BALANCE_ADVICE = N_(
    "{brand} does not give this card's balance here: check it at the store's checkout,"
    " or with {brand}'s online balance inquiry{website}."
)
"""What a member reads when the issuer cannot tell a balance (the seed's advice)."""

CARD_SENT = emails.Template(
    subject=N_("Your {title}"),
    body=N_(
        "Hello {name},\n"
        "\n"
        "Here is your {title} ({masked}), sent from Portal at your request. It is attached"
        " as a PDF: show its barcode at the checkout, printed or on a phone.\n"
        "\n"
        "Keep it safe: whoever has its number and PIN can spend it."
    ),
)
"""The item sent by the member to an address; parameters: title, masked."""


@dataclass(frozen=True)
class ECodes:
    """What the detail view draws: the number in full (barcode, QR, text)."""

    number: str

    def __repr__(self) -> str:
        return "ECodes(...)"


def _mine(db: Database, member: Member, card_id: int) -> tuple[Member, ECard]:
    """The member as stored now and their item; another member's is 'does not exist'."""
    member = authz.current_actor(db, member)
    card = ecards_data.get_card(db, card_id)
    if card is None or card.member_id != member.id:
        raise UserError(NOT_FOUND)
    return member, card


def list_cards(db: Database, member: Member, *, archived: bool = False) -> list[ECard]:
    """The member's items, active (default) or archived, newest first."""
    member = authz.current_actor(db, member)
    return ecards_data.member_cards(db, member.id, archived=archived)


def pending_count(db: Database, member: Member) -> int:
    """How many of the member's items are still being issued."""
    member = authz.current_actor(db, member)
    return ecards_data.member_pending_count(db, member.id)


def get_card(db: Database, member: Member, card_id: int) -> ECard:
    """One of the member's items."""
    return _mine(db, member, card_id)[1]


def is_expired(card: ECard, today: dt.date | None = None) -> bool:
    """Whether the item's last valid day is past (Paris time)."""
    if not card.expires_on:
        return False
    return dt.date.fromisoformat(card.expires_on) < (today or clock.today_paris())


def codes(db: Database, member: Member, card_id: int, box: SecretBox) -> ECodes:
    """The number in full, for the member's own barcode, QR code and text."""
    _member, card = _mine(db, member, card_id)
    return ECodes(box.decrypt(card.number_enc))


def reveal_pin(
    db: Database, member: Member, card_id: int, box: SecretBox, *, ip: str | None = None
) -> str:
    """The card's PIN, shown at the member's request (audited; the PIN is not)."""
    member, card = _mine(db, member, card_id)
    if card.pin_enc is None:
        raise UserError(N_("This item has no PIN."))
    with transaction(db):
        audit.record(
            db,
            "ecard.pin_revealed",
            actor_id=member.id,
            organization_id=member.organization_id,
            target=f"ecard:{card.id}",
            ip=ip,
            masked=card.number_masked,
        )
    return box.decrypt(card.pin_enc)


def check_balance(
    db: Database, member: Member, card_id: int, issuer: Issuer, *, now: dt.datetime | None = None
) -> ECard:
    """Ask the issuer what is left on the card; the answer (or 'cannot tell') is kept.

    Raises:
        UserError: Not the member's, or the issuer did not answer (try again later).
    """
    member, card = _mine(db, member, card_id)
    try:
        cents = issuer.balance(card)
    except Exception as exc:  # the partner's API is down: say so, keep the last answer
        raise UserError(N_("The issuer did not answer; try again in a few minutes.")) from exc
    ecards_data.set_balance(db, card.id, balance_cents=cents, checked_at=iso(now or clock.now()))
    return _mine(db, member, card_id)[1]


def balance_advice(card: ECard) -> tuple[str, dict[str, str]]:
    """The message id and parameters telling where to check a balance the issuer cannot give."""
    website = f" ({card.partner_website})" if card.partner_website else ""
    return NO_BALANCE_ADVICE, {"brand": card.partner, "website": website}


def archive(
    db: Database,
    member: Member,
    card_id: int,
    *,
    archived: bool = True,
    now: dt.datetime | None = None,
) -> ECard:
    """Archive a used item (out of the active list), or bring it back."""
    member, card = _mine(db, member, card_id)
    when = iso(now or clock.now()) if archived else None
    with transaction(db):
        ecards_data.set_archived(db, card.id, member.id, when)
    return _mine(db, member, card_id)[1]


def send_by_email(
    db: Database,
    member: Member,
    card_id: int,
    box: SecretBox,
    *,
    settings: Settings,
    to: str = "",
) -> str:
    """Email the item as PDF to the member's communication email, or to ``to``.

    The PDF is also written (again) to the member's outbox.

    Returns:
        The address it was sent to.

    Raises:
        UserError: Not the member's, or ``to`` is not an email address.
    """
    member, card = _mine(db, member, card_id)
    typed = text.check_line(to, error=UserError)
    address = (
        text.normalize_email(typed, error=UserError, message=N_("This is not an email address."))
        if typed
        else recipient_for(db, member.id)
    )
    number = box.decrypt(card.number_enc)
    pin = box.decrypt(card.pin_enc) if card.pin_enc else None
    with transaction(db):
        name, pdf = issuing.write_pdf(db, card, number, pin, settings=settings)
        emails.notify_member(
            db,
            member.id,
            CARD_SENT,
            to=address,
            title=card.title,
            masked=card.number_masked,
            attachments=[(name, "application/pdf", pdf)],
        )
        audit.record(
            db,
            "ecard.sent",
            actor_id=member.id,
            organization_id=member.organization_id,
            target=f"ecard:{card.id}",
            recipient=address,
        )
    return address


def default_recipient(db: Database, member: Member) -> str:
    """Where the member's emails go (their communication email, else the organization's)."""
    member = authz.current_actor(db, member)
    return recipient_for(db, member.id)
