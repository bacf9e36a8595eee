"""Credit notes (avoirs): money given back on an invoiced order, as a numbered PDF.

A cancelled invoiced order, and an accepted return, each get a credit note: numbered
``AV-<year>-<000001>`` in its own gapless sequence (``credit_note_counters``, taken in the
transaction that refunds, so a rollback gives the number back), rendered in the member's
language with the seller's mentions, written to the member's SFTP outbox and attached to
the email that tells them. An invoice, once issued, is never changed: the credit note
refers to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlite_utils import Database

from portal.config import Settings
from portal.data import after_sales
from portal.data import contact as contact_data
from portal.data import members as members_data
from portal.data.after_sales import CreditNote
from portal.data.orders import Order
from portal.i18n import Translator, get_translator
from portal.services import clock, files
from portal.services.invoices import new_pdf, party_block, pdf_text
from portal.services.orders import PaymentPart, iso, payment_label, vat_included

__all__ = ["CreditLine", "IssuedCreditNote", "buyer_address", "issue_credit_note"]


@dataclass(frozen=True)
class CreditLine:
    """What a credit note gives back for: a line of the order (or its delivery)."""

    title: str
    quantity: int
    amount_cents: int
    """Amount credited, VAT included."""
    vat_bp: int
    translate: bool = False
    """``title`` is a message id (the delivery line), translated when rendered."""


@dataclass(frozen=True)
class IssuedCreditNote:
    """A credit note just issued, with its PDF (to attach to the email)."""

    note: CreditNote
    filename: str
    pdf: bytes

    @property
    def attachment(self) -> tuple[str, str, bytes]:
        """``(filename, content type, bytes)`` as ``emails`` takes it."""
        return (self.filename, "application/pdf", self.pdf)


def buyer_address(db: Database, order: Order) -> tuple[str, ...]:
    """The buyer's postal address for an invoice: the profile's, else the order's delivery."""
    details = contact_data.get_details(db, order.member_id)
    if details.has_address:
        lines = [details.street, *([details.street2] if details.street2 else [])]
        return (*lines, f"{details.postal_code} {details.city}")
    return order.delivery_address


def issue_credit_note(
    db: Database,
    order: Order,
    *,
    settings: Settings,
    kind: str,
    lines: Sequence[CreditLine],
    refunds: Sequence[PaymentPart],
    reason: str = "",
    return_id: int | None = None,
    now: dt.datetime | None = None,
) -> IssuedCreditNote:
    """Number, render, file and record a credit note, inside the caller's transaction.

    Args:
        kind: ``cancellation`` or ``return``.
        lines: What is credited; their total is the note's amount.
        refunds: Where the money goes back (source, label, amount).
    """
    moment = now or clock.now()
    year = moment.astimezone(clock.PARIS).year
    number = f"AV-{year}-{after_sales.next_credit_note_number(db, year):06d}"
    member = members_data.get_member(db, order.member_id)
    assert member is not None
    t = get_translator(member.language)
    amount = sum(line.amount_cents for line in lines)
    filename = f"{number}.pdf"
    pdf = render_credit_note(
        number=number,
        order=order,
        member=member,
        t=t,
        settings=settings,
        lines=lines,
        refunds=refunds,
        reason=reason,
        address=buyer_address(db, order),
        moment=moment,
    )
    files.write_outbox_file(settings, member.login, filename, pdf)
    note_id = after_sales.insert_credit_note(
        db,
        number=number,
        order_id=order.id,
        return_id=return_id,
        kind=kind,
        amount_cents=amount,
        reason=reason,
        file=f"outbox/{filename}",
        created_at=iso(moment),
    )
    note = CreditNote(
        note_id,
        number,
        order.id,
        return_id,
        kind,
        amount,
        reason,
        f"outbox/{filename}",
        iso(moment),
    )
    return IssuedCreditNote(note, filename, pdf)


def render_credit_note(
    *,
    number: str,
    order: Order,
    member: members_data.Member,
    t: Translator,
    settings: Settings,
    lines: Sequence[CreditLine],
    refunds: Sequence[PaymentPart],
    reason: str,
    address: Sequence[str],
    moment: dt.datetime,
) -> bytes:
    """A credit note as PDF bytes: who, which invoice, what is credited, VAT, refunds."""
    title = f"{t.gettext('Credit note')} {number}"
    pdf = new_pdf(title, member.organization_name)
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, pdf_text(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for text in (
        t.gettext(
            "Credit note on invoice {invoice} (order {number})",
            invoice=order.invoice_number or "",
            number=order.number,
        ),
        t.gettext("Date: {date}", date=t.datetime(moment, "short")),
    ):
        pdf.cell(0, 5, pdf_text(text), new_x="LMARGIN", new_y="NEXT")
    if reason:
        pdf.cell(
            0,
            5,
            pdf_text(t.gettext("Reason: {reason}", reason=reason)),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(3)
    party_block(pdf, t, settings, member, address)
    pdf.ln(3)

    widths = (100, 14, 20, 46)
    pdf.set_font("Helvetica", "B", 9)
    heads = (t.gettext("Item"), t.gettext("Qty"), t.gettext("VAT"), t.gettext("Credited incl. VAT"))
    for width, head in zip(widths, heads, strict=True):
        pdf.cell(width, 7, pdf_text(head), border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    vat_by_rate: dict[int, int] = {}
    for line in lines:
        vat_by_rate[line.vat_bp] = vat_by_rate.get(line.vat_bp, 0) + vat_included(
            line.amount_cents, line.vat_bp
        )
        cells = (
            (t.gettext(line.title) if line.translate else line.title)[:60],
            str(line.quantity),
            f"{t.number(line.vat_bp / 100)} %",
            t.money(line.amount_cents),
        )
        for width, text in zip(widths, cells, strict=True):
            pdf.cell(width, 6, pdf_text(text), border=1)
        pdf.ln()
    pdf.ln(3)
    total = sum(line.amount_cents for line in lines)
    vat_total = sum(vat_by_rate.values())
    totals = [(t.gettext("Total excl. VAT"), t.money(total - vat_total))]
    for rate, cents in sorted(vat_by_rate.items()):
        if rate:
            totals.append((t.gettext("VAT {rate} %", rate=t.number(rate / 100)), t.money(cents)))
    totals.append((t.gettext("Total credited incl. VAT"), t.money(total)))
    for label, value in totals:
        pdf.cell(sum(widths[:3]), 6, pdf_text(label), align="R")
        pdf.cell(widths[3], 6, pdf_text(value), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 6, pdf_text(t.gettext("Refunded to")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    for part in refunds:
        pdf.cell(sum(widths[:3]), 6, pdf_text(payment_label(part, t)))
        pdf.cell(
            widths[3],
            6,
            pdf_text(t.money(part.amount_cents)),
            align="R",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    return bytes(pdf.output())


def settings_for(db: Database, settings: Settings | None) -> Settings:
    """``settings``, or the settings of the data directory that holds ``db``.

    For callers that have no settings at hand (the files and the seller's mentions of
    that directory's ``portal.toml`` and the environment are then used).
    """
    if settings is not None:
        return settings
    from portal.config import load_settings

    folder = after_sales.database_dir(db)
    return load_settings(data_dir=folder) if folder else load_settings()
