"""Issuing e-cards and e-tickets: the issuer interface, the sandbox issuer, the queue.

After an order is validated (``fulfilment.validate`` calls
``ecard_schedule.schedule_order`` in its transaction), each e-card (one per unit) and each e-ticket line (for its number of
people) is queued in ``ecard_issues``, due ``settings.ecard_issue_delay`` seconds later
(the seed's partner takes 2 to 4 hours). The queue is in the database, so a restart
loses nothing. The server's issuing loop calls ``process_due``: it claims due rows with a
lease (two processes never ask twice at once), asks the issuer outside any transaction,
then records the item — number and PIN encrypted with the secret box — in one
transaction. An issuer failure is retried with exponential backoff. When every item of
an order is issued, its lines become "available", the order reaches its final status,
the member is emailed with each item as PDF, and the PDFs are in their SFTP outbox.

``Issuer`` is what a partner's API must offer; ``SandboxIssuer`` is the built-in one:
Luhn-valid numbers with a prefix per brand, PINs, and a balance it tracks in its own
ledger (``sandbox_issuer_cards``). Requests carry an idempotency key (``request_id``):
asking twice for the same one returns the same card.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlite_utils import Database

from portal.config import Settings
from portal.data import ecards as ecards_data
from portal.data import members as members_data
from portal.data import orders as orders_data
from portal.data.db import connect, transaction
from portal.data.ecards import ECard, IssueJob, SandboxCard
from portal.i18n import N_, get_translator
from portal.services import clock, ecard_pdf, emails, files, fulfilment
from portal.services.crypto import SecretBox
from portal.services.orders import iso

__all__ = [
    "CARDS_AVAILABLE",
    "IssueRequest",
    "IssuedItem",
    "Issuer",
    "IssuerError",
    "SandboxIssuer",
    "backoff_seconds",
    "luhn_valid",
    "mask",
    "process_due",
]

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)
"""How long a claimed row is left to the loop that claimed it (a crash frees it then)."""
BACKOFF_BASE = 30.0
"""Seconds before the first retry after an issuer failure; doubled at each failure."""
BACKOFF_MAX = 3600.0
"""Longest wait between two tries."""

CARDS_AVAILABLE = emails.Template(
    subject=N_("Your e-cards and e-tickets of order {number} are available"),
    body=N_(
        "Hello {name},\n"
        "\n"
        "Your e-cards and e-tickets of order {number} are available in Portal, under"
        ' "My e-tickets & e-cards":\n'
        "\n"
        "{items}\n"
        "\n"
        "Each one is attached to this email as a PDF, and kept in your outbox folder"
        " (sftp: outbox/). Show its barcode at the checkout, from your phone or printed."
    ),
)
"""Sent when every e-card and e-ticket of an order is issued; parameters: number, items."""


class IssuerError(Exception):
    """The issuer could not issue now (the loop retries later)."""


@dataclass(frozen=True)
class IssueRequest:
    """What the issuer is asked for: one e-card, or one e-ticket for ``people``."""

    request_id: str
    """Idempotency key: the same request twice gets the same card."""
    kind: str
    """``ecard`` or ``eticket``."""
    partner: str
    title: str
    value_cents: int
    people: int
    usable_at: str
    conditions: str
    expires_on: str | None


@dataclass(frozen=True)
class IssuedItem:
    """What the issuer gives back (the number and PIN in clear: encrypt them at once)."""

    reference: str
    number: str
    pin: str | None
    terms: str
    """The issuer's terms of use."""

    def __repr__(self) -> str:  # never print a number or a PIN
        return f"IssuedItem(reference={self.reference!r})"


class Issuer(Protocol):
    """A partner's issuing API (the sandbox, or a real partner behind the same calls)."""

    name: str
    """Short name stored with each item (which issuer to ask about it)."""

    def issue(self, line: IssueRequest) -> IssuedItem:
        """Issue one item; raise (any exception) when it cannot now."""
        ...

    def balance(self, card: ECard) -> int | None:
        """The card's remaining value in cents, or None when the issuer cannot tell."""
        ...


# -- numbers ---------------------------------------------------------------------------------


def luhn_check_digit(partial: str) -> str:
    """The Luhn digit that completes ``partial``."""
    total = 0
    for index, char in enumerate(reversed(partial)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    """Whether a number of digits passes the Luhn check."""
    return number.isdigit() and luhn_check_digit(number[:-1]) == number[-1]


def mask(number: str) -> str:
    """First and last four digits, X between: ``5032XXXXXXXX7118``."""
    if len(number) <= 8:
        return "X" * len(number)
    return number[:4] + "X" * (len(number) - 8) + number[-4:]


SANDBOX_PREFIXES: dict[str, str] = {
    "Carrefour": "5032",
    "Auchan": "6047",
    "Monoprix": "6033",
    "Intermarché": "6044",
    "Fnac": "6035",
    "Cultura": "6036",
    "Decathlon": "6038",
    "Intersport": "6039",
    "IKEA": "6040",
    "Leroy Merlin": "6041",
    "Pathé": "8250",
    "UGC": "8251",
    "CGR Cinémas": "8252",
    "Kinepolis": "8253",
    "Parc Astérix": "8260",
    "Futuroscope": "8261",
    "Puy du Fou": "8262",
    "Disneyland Paris": "8263",
}
"""Brand prefixes of the sandbox's numbers (others get 6099 / 8299)."""
SANDBOX_NO_BALANCE = frozenset({"Intermarché", "Cultura"})
"""Brands whose cards the sandbox cannot query, like partners without a balance API."""
SANDBOX_TERMS = "Utilisable en une ou plusieurs fois jusqu'à sa date de fin de validité."
"""The sandbox's terms when the offer states none (partners' texts are in French)."""
CARD_DIGITS = 16
"""E-card numbers: 16 digits (a Code 128 of them fits 80 columns with its quiet zones)."""
TICKET_DIGITS = 14


def sandbox_number(partner: str, kind: str) -> str:
    """A random Luhn-valid number with the brand's prefix."""
    prefix = SANDBOX_PREFIXES.get(partner, "6099" if kind == "ecard" else "8299")
    length = CARD_DIGITS if kind == "ecard" else TICKET_DIGITS
    body = prefix + "".join(secrets.choice("0123456789") for _ in range(length - 5))
    return body + luhn_check_digit(body)


class SandboxIssuer:
    """The built-in issuer: issues at once, keeps a ledger so balances can be asked.

    It keeps its ledger in its own table of the same database file, through its own
    short-lived connection (as a partner's system would be apart from ours); numbers and
    PINs are encrypted there with the secret box.
    """

    name = "sandbox"

    def __init__(self, db_path: Path, box: SecretBox) -> None:
        self.db_path = db_path
        self._box = box

    def _open(self) -> Database:
        return connect(self.db_path)

    def _item(self, card: SandboxCard, terms: str) -> IssuedItem:
        pin = self._box.decrypt(card.pin_enc) if card.pin_enc else None
        return IssuedItem(card.reference, self._box.decrypt(card.number_enc), pin, terms)

    def issue(self, line: IssueRequest) -> IssuedItem:
        """Issue (or return the card already issued for ``line.request_id``)."""
        terms = line.conditions or SANDBOX_TERMS
        db = self._open()
        try:
            existing = ecards_data.sandbox_by_request(db, line.request_id)
            if existing is not None:
                return self._item(existing, terms)
            number = sandbox_number(line.partner, line.kind)
            pin = f"{secrets.randbelow(10_000):04d}" if line.kind == "ecard" else None
            card = SandboxCard(
                reference="SBX-" + secrets.token_hex(8).upper(),
                request_id=line.request_id,
                partner=line.partner,
                kind=line.kind,
                value_cents=line.value_cents,
                spent_cents=0,
                number_enc=self._box.encrypt(number),
                pin_enc=self._box.encrypt(pin) if pin else None,
            )
            with transaction(db):
                if not ecards_data.sandbox_insert(db, card):  # another loop was first
                    raced = ecards_data.sandbox_by_request(db, line.request_id)
                    assert raced is not None
                    card = raced
            return self._item(card, terms)
        finally:
            db.conn.close()

    def balance(self, card: ECard) -> int | None:
        """What is left on a card, or None (e-tickets, brands without a balance inquiry)."""
        if card.kind != "ecard" or card.partner in SANDBOX_NO_BALANCE:
            return None
        db = self._open()
        try:
            found = ecards_data.sandbox_get(db, card.reference)
        finally:
            db.conn.close()
        return None if found is None else found.value_cents - found.spent_cents

    def spend(self, reference: str, cents: int) -> bool:
        """A purchase at the store with the card (the sandbox only: demo data, tests)."""
        db = self._open()
        try:
            with transaction(db):
                return ecards_data.sandbox_spend(db, reference, cents)
        finally:
            db.conn.close()


# -- the issuing loop ------------------------------------------------------------------------


def backoff_seconds(attempts: int) -> float:
    """Wait before the next try after ``attempts`` failures (30 s, 1 min, 2 min ... 1 h)."""
    return min(BACKOFF_MAX, BACKOFF_BASE * 2 ** max(0, attempts))


def _request(job: IssueJob) -> IssueRequest:
    return IssueRequest(
        request_id=f"portal-issue-{job.id}",
        kind=job.kind,
        partner=job.partner,
        title=job.title,
        value_cents=job.value_cents,
        people=job.people,
        usable_at=job.usable_at,
        conditions=job.conditions,
        expires_on=job.expires_on,
    )


def _still_wanted(db: Database, job: IssueJob) -> bool:
    """False when the job's order or line was cancelled meanwhile."""
    if job.order_id is None:
        return True
    order = orders_data.get_order(db, job.order_id)
    if order is None or order.status not in ("preparing", "validated", "shipped"):
        return False
    line = next(
        (ln for ln in orders_data.get_lines(db, job.order_id) if ln.id == job.line_id), None
    )
    return line is not None and line.status == "preparing"


def process_due(
    db: Database,
    issuer: Issuer,
    box: SecretBox,
    *,
    settings: Settings,
    now: dt.datetime | None = None,
    limit: int = 20,
) -> int:
    """Issue the items that are due (the server calls it every few seconds).

    Returns:
        How many items were issued by this call.
    """
    moment = now or clock.now()
    jobs = ecards_data.claim_due(db, now=iso(moment), lease_until=iso(moment + LEASE), limit=limit)
    issued = 0
    for job in jobs:
        if not _still_wanted(db, job):
            ecards_data.cancel_issue(db, job.id)
            continue
        try:
            item = issuer.issue(_request(job))
        except Exception as exc:  # any failure of the partner: retry later, log the kind
            wait = backoff_seconds(job.attempts)
            log.warning(
                "issuing issue:%d failed (attempt %d, %s), next try in %.0f s",
                job.id,
                job.attempts + 1,
                type(exc).__name__,
                wait,
            )
            ecards_data.retry_later(
                db,
                job.id,
                due_at=iso(moment + dt.timedelta(seconds=wait)),
                error=f"{type(exc).__name__}: {exc}",
            )
            continue
        spent = job.preset_spent_cents
        if spent and isinstance(issuer, SandboxIssuer):  # demo data: used at the store
            issuer.spend(item.reference, spent)
        if _record(db, job, item, issuer, box, settings=settings, moment=moment):
            issued += 1
    return issued


def _record(
    db: Database,
    job: IssueJob,
    item: IssuedItem,
    issuer: Issuer,
    box: SecretBox,
    *,
    settings: Settings,
    moment: dt.datetime,
) -> bool:
    """Store an issued item, and finish its order when it was the last one."""
    with transaction(db):
        current = ecards_data.get_issue(db, job.id)
        if current is None or current.status != "pending":
            return False
        card_id = ecards_data.insert_card(
            db,
            member_id=job.member_id,
            issue_id=job.id,
            order_id=job.order_id,
            kind=job.kind,
            partner=job.partner,
            partner_website=job.partner_website,
            title=job.title,
            issuer=issuer.name,
            reference=item.reference,
            number_enc=box.encrypt(item.number),
            number_masked=mask(item.number),
            pin_enc=box.encrypt(item.pin) if item.pin else None,
            value_cents=job.value_cents,
            people=job.people,
            usable_at=job.usable_at,
            terms=item.terms,
            validity=job.validity,
            purchased_at=job.purchased_at,
            expires_on=job.expires_on,
        )
        ecards_data.mark_issued(db, job.id, card_id)
        if job.preset_spent_cents is not None:
            ecards_data.set_balance(
                db,
                card_id,
                balance_cents=job.value_cents - job.preset_spent_cents,
                checked_at=iso(moment),
            )
        if job.preset_archived:
            ecards_data.set_archived(db, card_id, job.member_id, iso(moment))
        if job.order_id is not None:  # demo items get theirs when sent (keeps outboxes calm)
            card = ecards_data.get_card(db, card_id)
            assert card is not None
            write_pdf(db, card, item.number, item.pin, settings=settings)
            _finish(db, job, box, settings=settings)
    return True


def write_pdf(
    db: Database, card: ECard, number: str, pin: str | None, *, settings: Settings
) -> tuple[str, bytes]:
    """Render the item's PDF into the member's outbox; returns (file name, bytes)."""
    member = members_data.get_member(db, card.member_id)
    assert member is not None
    pdf = ecard_pdf.render_card(card, number, pin, member, get_translator(member.language))
    name = ecard_pdf.file_name(card)
    files.write_outbox_file(settings, member.login, name, pdf)
    ecards_data.set_pdf_file(db, card.id, f"outbox/{name}")
    return name, pdf


def _finish(db: Database, job: IssueJob, box: SecretBox, *, settings: Settings) -> None:
    """Lines whose items are all issued become available; a complete order is emailed."""
    assert job.order_id is not None
    jobs = ecards_data.order_issues(db, job.order_id)
    line_jobs = [j for j in jobs if j.line_id == job.line_id]
    if job.line_id is not None and all(j.status != "pending" for j in line_jobs):
        fulfilment.mark_lines_available(db, job.order_id, [job.line_id])
    if any(j.status == "pending" for j in jobs):
        return
    order = orders_data.get_order(db, job.order_id)
    assert order is not None
    member = members_data.get_member(db, order.member_id)
    assert member is not None
    t = get_translator(member.language)
    attachments: list[tuple[str, str, bytes]] = []
    items: list[str] = []
    for card in ecards_data.order_cards(db, job.order_id):
        number = box.decrypt(card.number_enc)
        pin = box.decrypt(card.pin_enc) if card.pin_enc else None
        pdf = ecard_pdf.render_card(card, number, pin, member, t)
        attachments.append((ecard_pdf.file_name(card), "application/pdf", pdf))
        items.append(f"- {card.title} · {card.number_masked} · {t.money(card.value_cents)}")
    emails.notify_member(
        db,
        member.id,
        CARDS_AVAILABLE,
        number=order.number,
        items="\n".join(items),
        attachments=attachments,
        to=order.delivery_email or None,  # the address chosen at checkout (seed 001)
    )
