"""Demo benefits: subsidy rules and this year's allocations for both demo organizations.

Imported at start through ``portal.services.registry.FEATURE_MODULES``; importing it
registers ``seed_wallet`` in ``portal.services.demo.DEMO_SEEDERS``.

CSE Démo (alice, marc; never the platform admin): a cinema subsidy graded by quotient familial, a leisure
subsidy of a fixed amount per ticket, a culture voucher, a Christmas gift voucher, and a
general gift voucher for alice. CSE Horizon (bob, nina): a culture voucher and a gift
voucher, so that isolation can be seen.
"""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from portal.data import subsidies as subsidies_data
from portal.data import wallet as wallet_data
from portal.services import demo
from portal.services.clock import today_paris


def _program(
    db: Database,
    org: int,
    kind: str,
    label: str,
    amount: int,
    year: int,
    members: list[int],
    *,
    rule_id: int | None = None,
    event: str | None = None,
    target: str = "all",
) -> None:
    program_id = wallet_data.insert_program(
        db,
        organization_id=org,
        kind=kind,
        label=label,
        amount_cents=amount,
        year=year,
        valid_from=dt.date(year, 1, 1),
        valid_until=dt.date(year, 12, 31),
        rule_id=rule_id,
        event=event,
        target=target,
    )
    for member_id in members:
        allocation_id = wallet_data.insert_allocation(
            db,
            program_id=program_id,
            member_id=member_id,
            organization_id=org,
            amount_cents=amount,
        )
        wallet_data.credit(
            db, allocation_id=allocation_id, member_id=member_id, amount_cents=amount
        )


def seed_wallet(db: Database, orgs: dict[str, int], ids: dict[str, int]) -> None:
    """Create the demo rules and allocations (inside the demo seeding transaction)."""
    year = today_paris().year
    demo_org, horizon = orgs[demo.DEMO_ORG], orgs[demo.OTHER_ORG]
    demo_members = [ids["alice"], ids["marc"]]  # the platform admin gets no allocation
    horizon_members = [ids["bob"], ids["nina"]]

    cinema = subsidies_data.insert_rule(
        db,
        organization_id=demo_org,
        label="Cinéma",
        category="cinema",
        mode="percent",
        percent_bp=3000,
        cap_per_item_cents=400,
        cap_per_year_cents=4000,
    )
    subsidies_data.insert_bracket(db, cinema, qf_max=700, percent_bp=7000)
    subsidies_data.insert_bracket(db, cinema, qf_max=1200, percent_bp=5000)
    leisure = subsidies_data.insert_rule(
        db,
        organization_id=demo_org,
        label="Parcs de loisirs",
        category="leisure",
        mode="fixed",
        fixed_cents=1500,
        max_count=4,
    )
    subsidies_data.set_quotient_familial(db, ids["alice"], 850)

    _program(
        db,
        demo_org,
        "subsidy",
        f"Subvention cinéma {year}",
        4000,
        year,
        demo_members,
        rule_id=cinema,
    )
    _program(
        db,
        demo_org,
        "subsidy",
        f"Subvention loisirs {year}",
        6000,
        year,
        demo_members,
        rule_id=leisure,
    )
    _program(db, demo_org, "culture", f"E-chèque culture {year}", 5000, year, demo_members)
    _program(
        db,
        demo_org,
        "gift",
        f"E-chèque cadeau Noël {year}",
        12000,
        year,
        demo_members,
        event="christmas",
    )
    _program(
        db, demo_org, "gift", f"E-chèque cadeau {year}", 5000, year, [ids["alice"]], target="member"
    )

    _program(db, horizon, "culture", f"Culture voucher {year}", 3000, year, horizon_members)
    _program(db, horizon, "gift", f"Gift voucher {year}", 8000, year, horizon_members)


demo.DEMO_SEEDERS.append(seed_wallet)
