"""Invoices: the seller's legal mentions, the buyer, VAT per rate, the voucher notice."""

from __future__ import annotations

import dataclasses

from portal.config import load_settings
from portal.services import files
from tests.order_helpers import benefit_order, pdf_text, with_address
from tests.typography import fr
from tests.unit.test_wallet_support import line, new_member

NOTICE = "Les cartes cadeaux"  # start of the French multi-purpose voucher notice


def _invoice_text(settings, login, number) -> str:  # type: ignore[no-untyped-def]
    return pdf_text((files.outbox_dir(settings, login) / f"{number}.pdf").read_bytes())


def test_invoice_carries_seller_mentions_buyer_and_vat_per_rate(db, settings) -> None:
    seller = dataclasses.replace(
        settings,
        seller_name="CSE Services SARL",
        seller_address="4 quai Perrache, 69002 Lyon",
        seller_siret="123 456 789 00012",
        seller_vat_number="FR12123456789",
        seller_legal_form="SARL",
        seller_capital="8 000 €",
    )
    carol = new_member(db)
    with_address(db, carol)
    detail = benefit_order(
        db,
        seller,
        carol,
        [line("Bodum", "product", "home", 3490), line("Pathé", "eticket", "cinema", 940)],
        shipping=490,
    )
    assert detail.order.invoice_number == "FAC-2026-000001"
    text = _invoice_text(settings, carol.login, "FAC-2026-000001")
    for mention in (
        "Facture FAC-2026-000001",
        "CSE Services SARL",
        "SARL au capital de 8 000 €",
        "4 quai Perrache, 69002 Lyon",
        fr("SIRET : 123 456 789 00012"),
        fr("N° de TVA intracommunautaire : FR12123456789"),
        "Carol Test",
        "12 rue des Lilas",
        "69003 Lyon",
        "TVA 5,5 %",
        "TVA 20 %",
    ):
        assert mention in text, mention
    assert NOTICE not in text  # no gift card sold: no voucher notice


def test_the_voucher_notice_appears_only_with_vouchers(db, settings) -> None:
    carol = new_member(db)
    benefit_order(db, settings, carol, [line("Fnac", "ecard", "culture", 5000)])
    benefit_order(db, settings, carol, [line("Pathé", "eticket", "cinema", 940)])
    assert NOTICE in _invoice_text(settings, carol.login, "FAC-2026-000001")
    assert NOTICE not in _invoice_text(settings, carol.login, "FAC-2026-000002")


def test_seller_settings_come_from_the_environment() -> None:
    loaded = load_settings(
        environ={"PORTAL_SELLER_SIRET": "98765432100011", "PORTAL_SELLER_CAPITAL": ""}
    )
    assert loaded.seller_siret == "98765432100011" and loaded.seller_capital == ""
    assert loaded.return_window_days == 14
