"""Invoices as PDF (fpdf2): seller's legal mentions, buyer, number, lines, VAT per rate.

Rendered in the member's language at validation, kept in their SFTP outbox and attached to
the confirmation email. The built-in Helvetica font with the Windows-1252 encoding covers
French and the euro sign without shipping a font file.

The seller's mentions (name, legal form, capital, address, SIRET, VAT number) come from
the settings (``seller_*``); the multi-purpose voucher notice is printed only on an
invoice that sells gift cards. ``credit_notes`` reuses the header and the mentions.
"""

from __future__ import annotations

from collections.abc import Sequence

from fpdf import FPDF

from portal.config import Settings
from portal.data.members import Member
from portal.i18n import N_, Translator
from portal.services import clock
from portal.services.orders import (
    SHIPPING_VAT_BP,
    OrderDetail,
    parse_time,
    payment_label,
    vat_included,
)

__all__ = ["VOUCHER_NOTICE", "new_pdf", "party_block", "pdf_text", "render_invoice", "seller_lines"]

VOUCHER_NOTICE = N_("Gift cards are multi-purpose vouchers: no VAT is charged on their sale.")
"""Printed only on invoices that sell gift cards (translated at render time)."""


def pdf_text(value: str) -> str:
    """Keep what Windows-1252 can draw (a stray character becomes '?', never an error)."""
    value = value.replace("\u202f", "\xa0")  # French narrow no-break space: not in cp1252
    return value.encode("cp1252", "replace").decode("cp1252")


_text = pdf_text


def seller_lines(settings: Settings, t: Translator) -> list[str]:
    """The seller's legal mentions as printed lines (from the ``seller_*`` settings)."""
    form = settings.seller_legal_form
    if settings.seller_capital:
        form = t.gettext(
            "{form} with a capital of {capital}", form=form, capital=settings.seller_capital
        )
    lines = [settings.seller_name, form, settings.seller_address]
    lines.append(t.gettext("SIRET: {siret}", siret=settings.seller_siret))
    lines.append(t.gettext("VAT number: {vat}", vat=settings.seller_vat_number))
    return [line for line in lines if line.strip()]


def new_pdf(title: str, author: str) -> FPDF:
    """An A4 document with one page, the Windows-1252 core font and its metadata."""
    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_title(_text(title))
    pdf.set_author(_text(author or "Portal"))
    pdf.set_creator("Portal")
    pdf.add_page()
    pdf.set_auto_page_break(True, margin=15)
    return pdf


def party_block(
    pdf: FPDF,
    t: Translator,
    settings: Settings,
    member: Member,
    buyer_address: Sequence[str],
) -> None:
    """The seller (left) and the buyer (right), side by side."""
    seller = [t.gettext("Seller"), *seller_lines(settings, t)]
    buyer = [t.gettext("Buyer"), member.full_name, *buyer_address]
    buyer += [member.organization_name, member.org_email]
    top = pdf.get_y()
    for i, text in enumerate(seller):
        pdf.set_font("Helvetica", "B" if i == 0 else "", 9)
        pdf.set_xy(pdf.l_margin, top + i * 4.5)
        pdf.cell(95, 4.5, _text(text))
    for i, text in enumerate(buyer):
        pdf.set_font("Helvetica", "B" if i == 0 else "", 9)
        pdf.set_xy(pdf.l_margin + 100, top + i * 4.5)
        pdf.cell(90, 4.5, _text(text))
    pdf.set_xy(pdf.l_margin, top + max(len(seller), len(buyer)) * 4.5 + 3)


def render_invoice(
    detail: OrderDetail,
    member: Member,
    t: Translator,
    *,
    settings: Settings | None = None,
    buyer_address: Sequence[str] = (),
) -> bytes:
    """The invoice of a validated order as PDF bytes.

    ``buyer_address``: the buyer's postal address lines (the profile's, else the order's
    delivery address); ``settings`` give the seller's mentions.
    """
    settings = settings or Settings()
    order = detail.order
    title = f"{t.gettext('Invoice')} {order.invoice_number or ''}"
    pdf = new_pdf(title, member.organization_name)
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, _text(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    validated = parse_time(order.validated_at or order.created_at)
    for text in (
        t.gettext("Order {number}", number=order.number),
        t.gettext("Date: {date}", date=t.datetime(validated, "short")),
    ):
        pdf.cell(0, 5, _text(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    party_block(pdf, t, settings, member, buyer_address or order.delivery_address)
    if order.delivery_address:
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(
            0,
            5,
            _text(t.gettext("Delivered to: {address}", address=", ".join(order.delivery_address))),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(4)

    widths = (80, 14, 30, 20, 36)
    pdf.set_font("Helvetica", "B", 9)
    for width, head in zip(
        widths,
        (
            t.gettext("Item"),
            t.gettext("Qty"),
            t.gettext("Unit price incl. VAT"),
            t.gettext("VAT"),
            t.gettext("Total incl. VAT"),
        ),
        strict=True,
    ):
        pdf.cell(width, 7, _text(head), border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    vat_by_rate: dict[int, int] = {}
    for line in detail.lines:
        vat_by_rate[line.vat_bp] = vat_by_rate.get(line.vat_bp, 0) + vat_included(
            line.line_total_cents, line.vat_bp
        )
        cells = (
            line.title[:48],
            str(line.quantity),
            t.money(line.unit_price_cents),
            f"{t.number(line.vat_bp / 100)} %",
            t.money(line.line_total_cents),
        )
        for width, text in zip(widths, cells, strict=True):
            pdf.cell(width, 6, _text(text), border=1)
        pdf.ln()
    if order.shipping_cents:
        vat_by_rate[SHIPPING_VAT_BP] = vat_by_rate.get(SHIPPING_VAT_BP, 0) + vat_included(
            order.shipping_cents, SHIPPING_VAT_BP
        )
        cells = (
            t.gettext("Delivery"),
            "1",
            t.money(order.shipping_cents),
            f"{t.number(SHIPPING_VAT_BP / 100)} %",
            t.money(order.shipping_cents),
        )
        for width, text in zip(widths, cells, strict=True):
            pdf.cell(width, 6, _text(text), border=1)
        pdf.ln()
    pdf.ln(3)

    vat_total = sum(vat_by_rate.values())
    totals = [(t.gettext("Total excl. VAT"), t.money(order.total_cents - vat_total))]
    for rate, cents in sorted(vat_by_rate.items()):
        if rate:
            totals.append((t.gettext("VAT {rate} %", rate=t.number(rate / 100)), t.money(cents)))
    totals.append((t.gettext("Total incl. VAT"), t.money(order.total_cents)))
    if order.savings_cents:
        totals.append((t.gettext("Discount included"), t.money(order.savings_cents)))
    for label, value in totals:
        pdf.cell(sum(widths[:4]), 6, _text(label), align="R")
        pdf.cell(widths[4], 6, _text(value), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 6, _text(t.gettext("Paid with")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    for part in detail.payments:
        pdf.cell(sum(widths[:4]), 6, _text(payment_label(part, t)))
        pdf.cell(
            widths[4],
            6,
            _text(t.money(part.amount_cents)),
            align="R",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    if not detail.payments:
        pdf.cell(0, 6, _text(t.gettext("Nothing to pay")), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "I", 8)
    # Plain cells: multi_cell's line breaking costs more than the rest of the page.
    notes = []
    if any(line.kind == "ecard" for line in detail.lines):
        notes.append(t.gettext(VOUCHER_NOTICE))
    notes.append(
        t.gettext(
            "Issued on {date}.", date=t.date(validated.astimezone(clock.PARIS).date(), "long")
        )
    )
    for note in notes:
        pdf.cell(0, 4, _text(note), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
