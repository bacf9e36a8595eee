"""Invoices as PDF (fpdf2): number, lines, VAT, and how the order was paid.

Rendered in the member's language at validation, kept in their SFTP outbox and attached to
the confirmation email. The built-in Helvetica font with the Windows-1252 encoding covers
French and the euro sign without shipping a font file.
"""

from __future__ import annotations

from fpdf import FPDF

from portal.data.members import Member
from portal.i18n import Translator
from portal.services import clock
from portal.services.orders import (
    SHIPPING_VAT_BP,
    OrderDetail,
    parse_time,
    payment_label,
    vat_included,
)

__all__ = ["render_invoice"]


def _text(value: str) -> str:
    """Keep what Windows-1252 can draw (a stray character becomes '?', never an error)."""
    return value.encode("cp1252", "replace").decode("cp1252")


def render_invoice(detail: OrderDetail, member: Member, t: Translator) -> bytes:
    """The invoice of a validated order as PDF bytes."""
    order = detail.order
    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_title(_text(f"{t.gettext('Invoice')} {order.invoice_number or ''}"))
    pdf.set_author(_text(member.organization_name or "Portal"))
    pdf.set_creator("Portal")
    pdf.add_page()
    pdf.set_auto_page_break(True, margin=15)

    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(
        0,
        10,
        _text(f"{t.gettext('Invoice')} {order.invoice_number or ''}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", "", 10)
    validated = parse_time(order.validated_at or order.created_at)
    for text in (
        t.gettext("Order {number}", number=order.number),
        t.gettext("Date: {date}", date=t.datetime(validated, "short")),
        "",
        f"{member.full_name} ({member.login})",
        member.organization_name,
        member.org_email,
    ):
        pdf.cell(0, 5, _text(text), new_x="LMARGIN", new_y="NEXT")
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
    for note in (
        t.gettext("Gift cards are multi-purpose vouchers: no VAT is charged on their sale."),
        t.gettext(
            "Issued on {date}.", date=t.date(validated.astimezone(clock.PARIS).date(), "long")
        ),
    ):
        pdf.cell(0, 4, _text(note), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
