"""An e-card or e-ticket as a one-page PDF (fpdf2): what a cashier scans, printed or on a phone.

The page carries the brand and title, the value, the number in full with its Code 128
barcode (python-barcode) and a QR code (qrcode) of the same number, the PIN when there
is one, the expiry, where it is usable and the issuer's terms. Rendered in the member's
language; the built-in Helvetica font with Windows-1252 covers French and the euro sign.
"""

from __future__ import annotations

import datetime as dt

import barcode
import qrcode
from fpdf import FPDF

from portal.data.ecards import ECard
from portal.data.members import Member
from portal.i18n import Translator

__all__ = ["code128_modules", "file_name", "render_card"]


def _text(value: str) -> str:
    """Keep what Windows-1252 can draw (a stray character becomes '?', never an error)."""
    value = value.replace("\u202f", "\xa0")  # French narrow no-break space: not in cp1252
    return value.encode("cp1252", "replace").decode("cp1252")


def code128_modules(data: str) -> str:
    """The Code 128 modules of ``data`` ('1' a bar, '0' a space), without quiet zones."""
    return str(barcode.get_barcode_class("code128")(data).build()[0])


def file_name(card: ECard) -> str:
    """The PDF's name in the outbox and in emails."""
    prefix = "e-carte" if card.kind == "ecard" else "e-billet"
    return f"{prefix}-{card.id:06d}.pdf"


def render_card(card: ECard, number: str, pin: str | None, member: Member, t: Translator) -> bytes:
    """The item as PDF bytes (it holds the number and PIN: it goes to its member only)."""
    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_title(_text(card.title))  # never the number: metadata is not compressed
    pdf.set_author(_text(member.organization_name or "Portal"))
    pdf.set_creator("Portal")
    pdf.add_page()
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, _text(card.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    value = (
        t.gettext("Value: {amount}", amount=t.money(card.value_cents))
        if card.kind == "ecard"
        else t.ngettext("For {n} person", "For {n} people", card.people)
    )
    pdf.cell(0, 7, _text(f"{card.partner} · {value}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    # Code 128: 0.4 mm per module, 10 modules of quiet zone each side, 18 mm tall.
    modules = code128_modules(number)
    x0, y0, width = pdf.l_margin + 4.0, pdf.get_y(), 0.4
    for index, bit in enumerate(modules):
        if bit == "1":
            pdf.rect(x0 + index * width, y0, width, 18, style="F")
    pdf.set_y(y0 + 19)
    pdf.set_font("Courier", "B", 14)
    pdf.cell(0, 7, number, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    code = qrcode.QRCode(border=0)
    code.add_data(number)
    code.make(fit=True)
    matrix = code.get_matrix()
    side = 1.2
    qx, qy = pdf.l_margin + 4.0, pdf.get_y() + 2
    for row_index, row in enumerate(matrix):
        for col_index, dark in enumerate(row):
            if dark:
                pdf.rect(qx + col_index * side, qy + row_index * side, side, side, style="F")
    pdf.set_y(qy + len(matrix) * side + 4)

    pdf.set_font("Helvetica", "", 11)
    facts: list[str] = []
    if pin:
        facts.append(t.gettext("PIN: {pin}", pin=pin))
    if card.expires_on:
        expires = t.date(dt.date.fromisoformat(card.expires_on), "short")
        facts.append(t.gettext("Valid until {date}", date=expires))
    if card.validity:
        facts.append(t.gettext("Validity: {text}", text=card.validity))
    if card.usable_at:
        facts.append(t.gettext("Where to use it: {text}", text=card.usable_at))
    for fact in facts:
        pdf.multi_cell(0, 6, _text(fact), new_x="LMARGIN", new_y="NEXT")
    if card.terms:
        pdf.ln(2)
        pdf.set_font("Helvetica", "", 9)
        pdf.multi_cell(
            0, 5, _text(t.gettext("Terms: {text}", text=card.terms)), new_x="LMARGIN", new_y="NEXT"
        )
    pdf.ln(4)
    pdf.set_font("Helvetica", "I", 9)
    pdf.multi_cell(
        0,
        5,
        _text(
            t.gettext(
                "Show this barcode at the checkout, printed or on your phone."
                " Keep it safe: whoever has the number and PIN can spend the card."
            )
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())
