"""Helpers of the delivery, credit note, return and invoice tests (no tests here).

Orders are paid with benefits (a gift voucher) so they validate at once without the
payment provider; ``card_order`` adds a captured card part through the provider's own
states, and ``RecordingProvider`` records the refunds asked of it.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

from sqlite_utils import Database

from portal.config import Settings
from portal.data import outbox
from portal.data.members import Member
from portal.services import checkout, contact
from portal.services.orders import OrderDetail
from portal.services.spending import CheckoutLine
from tests.unit.test_wallet_support import NOW, TODAY, give


class RecordingProvider:
    """A provider stand-in that accepts every refund and void, and remembers them."""

    name = "sandbox"

    def __init__(self) -> None:
        self.refunds: list[tuple[str, int]] = []
        self.voids: list[str] = []

    def refund(self, reference: str, amount_cents: int) -> str:
        self.refunds.append((reference, amount_cents))
        return f"RF-{len(self.refunds)}"

    def void(self, reference: str) -> None:
        self.voids.append(reference)


def with_address(db: Database, member: Member, street: str = "12 rue des Lilas") -> None:
    """Give the member a postal address in their profile."""
    contact.save_address(db, member, street=street, street2="", postal_code="69003", city="Lyon")


def benefit_order(
    db: Database,
    settings: Settings,
    buyer: Member,
    lines: list[CheckoutLine],
    *,
    shipping: int = 0,
    fund: bool = True,
    now: Any = NOW,
) -> OrderDetail:
    """Place an order paid entirely by a gift voucher (validated and invoiced at once)."""
    if fund:
        total = sum(ln.line_total_cents for ln in lines) + shipping
        give(db, settings, buyer, "gift", total, label=f"Cadeau {total}")
    quote = checkout.prepare_checkout(db, buyer, lines=lines, shipping_cents=shipping, today=TODAY)
    assert quote.card_cents == 0, quote
    return checkout.place_order(
        db, buyer, quote, settings=settings, accepted_terms=True, lines=lines, now=now
    )


def pdf_text(data: bytes) -> str:
    """The text drawn by an fpdf2 document (its content streams, inflated)."""
    assert data.startswith(b"%PDF")
    chunks = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        raw = match.group(1)
        try:
            chunks.append(zlib.decompress(raw))
        except zlib.error:
            chunks.append(raw)
    text = b"\n".join(chunks).decode("cp1252", "replace")
    return "\n".join(re.findall(r"\((.*?)(?<!\\)\)\s*Tj", text, re.S)).replace("\\", "")


def emails_to(db: Database, member_id: int) -> list[tuple[int, str]]:
    """(id, subject) of the emails queued for a member, oldest first."""
    rows = db.execute(
        "SELECT id, subject FROM email_outbox WHERE member_id = ? ORDER BY id", [member_id]
    ).fetchall()
    return [(int(r[0]), str(r[1])) for r in rows]


def attachment_names(db: Database, email_id: int) -> list[str]:
    """File names attached to a queued email."""
    return [a.filename for a in outbox.attachments_of(db, email_id)]


def card_order(
    db: Database,
    settings: Settings,
    buyer: Member,
    lines: list[CheckoutLine],
    *,
    shipping: int = 0,
    voucher_cents: int = 0,
) -> OrderDetail:
    """An order paid partly by a gift voucher and the rest by a captured card (``REF-<id>``)."""
    from portal.data import orders as orders_data
    from portal.services import fulfilment
    from portal.services.orders import order_detail

    if voucher_cents:
        give(db, settings, buyer, "gift", voucher_cents, label=f"Cadeau {voucher_cents}")
    quote = checkout.prepare_checkout(db, buyer, lines=lines, shipping_cents=shipping, today=TODAY)
    assert quote.card_cents > 0
    detail = checkout.place_order(
        db,
        buyer,
        quote,
        settings=settings,
        accepted_terms=True,
        card_provider="sandbox",
        lines=lines,
        now=NOW,
    )
    # What the provider's confirmation records, without the provider.
    db.execute(
        "UPDATE card_payments SET status = 'captured', provider_ref = ? WHERE order_id = ?",
        [f"REF-{detail.order.id}", detail.order.id],
    )
    fulfilment.validate(db, detail.order.id, settings=settings, now=NOW)
    assert orders_data.get_order(db, detail.order.id) is not None
    return order_detail(db, detail.order.id)
