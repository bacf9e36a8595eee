"""Demo e-cards and e-tickets for alice and bob, so "My e-tickets & e-cards" is populated.

Imported at start through ``portal.services.registry.FEATURE_MODULES``; importing it
registers ``seed_ecards`` in ``portal.services.demo.DEMO_SEEDERS`` (after the catalog,
whose offers it copies). The seeder queues the items like paid orders do, already due,
with presets (purchase dates in the past, amounts spent at the store, one archived): the
issuing loop issues them at the server's start with this process's secret box and the
sandbox issuer — the demo's database never holds a number in clear, and tests that copy
the database get items their own key can read (``tests`` call ``process_due``).
"""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from portal.data import catalog as catalog_data
from portal.data import ecards as ecards_data
from portal.services import clock, demo
from portal.services.ecard_schedule import expiry_date
from portal.services.orders import iso

__all__ = ["DEMO_ITEMS", "seed_ecards"]

DEMO_ITEMS: tuple[tuple[str, str, int, int, int | None, bool, int], ...] = (
    # login, offer title, value (cents; tickets: people), days ago, spent, archived, months
    ("alice", "E-carte Carrefour", 5000, 60, 1750, False, 12),
    ("alice", "E-carte Fnac", 3000, 30, 0, False, 12),
    ("alice", "E-carte Intermarché", 2000, 21, None, False, 12),
    ("alice", "E-carte Decathlon", 2500, 400, 900, False, 12),  # expired
    ("alice", "E-carte Auchan", 2000, 150, 2000, True, 12),  # used up, archived
    ("alice", "E-billet Pathé", 2, 10, None, False, 12),
    ("alice", "Parc Astérix — billet 1 jour adulte", 1, 5, None, False, 0),
    ("bob", "E-carte IKEA", 5000, 90, 1200, False, 36),
    ("bob", "E-carte Leroy Merlin", 4000, 20, 0, False, 12),
    ("bob", "E-billet UGC", 1, 3, None, False, 12),
)
"""The demo items (an item whose ``spent`` is None is never spent on in the sandbox)."""


def seed_ecards(db: Database, orgs: dict[str, int], ids: dict[str, int]) -> None:
    """Queue the demo items, due now, for the issuing loop (inside the demo transaction)."""
    offers = {offer.title: offer for offer in catalog_data.list_visible_offers(db, None)}
    moment = clock.now()
    for login, title, amount, days_ago, spent, archived, months in DEMO_ITEMS:
        offer = offers.get(title)
        if offer is None or login not in ids:
            continue
        purchased = moment - dt.timedelta(days=days_ago)
        day = purchased.astimezone(clock.PARIS).date()
        partner = catalog_data.get_partner_by_name(db, offer.partner_name)
        ticket = offer.kind == "eticket"
        ecards_data.insert_issue(
            db,
            member_id=ids[login],
            order_id=None,
            line_id=None,
            unit=0,
            kind=offer.kind,
            partner=offer.partner_name,
            partner_website=partner.website if partner else "",
            title=offer.title,
            value_cents=(offer.unit_face_value_cents or 0) * amount if ticket else amount,
            people=amount if ticket else 1,
            usable_at=offer.usable_at,
            conditions=offer.conditions,
            validity=offer.validity,
            purchased_at=iso(purchased),
            expires_on=expiry_date(day, months).isoformat() if months else None,
            due_at=iso(moment),
            preset_spent_cents=spent,
            preset_archived=int(archived),
        )


if seed_ecards not in demo.DEMO_SEEDERS:
    demo.DEMO_SEEDERS.append(seed_ecards)
