"""Helpers shared by the wallet, checkout and order tests (no tests here).

Tests use a fresh member with no demo benefits, and a fixed moment (Monday 15 June 2026,
10:00 in Paris) so that dates, validity and dispatch are deterministic.
"""

from __future__ import annotations

import contextlib
import datetime as dt

from sqlite_utils import Database

from portal.config import Settings
from portal.data import members as members_data
from portal.data.members import Member
from portal.services import allocations, clock
from portal.services.allocations import AllocationRequest
from portal.services.spending import CheckoutLine

NOW = dt.datetime(2026, 6, 15, 8, 0, tzinfo=dt.UTC)
"""Monday 15 June 2026, 10:00 in Paris."""
TODAY = dt.date(2026, 6, 15)
YEAR = 2026


def member(db: Database, login: str) -> Member:
    """A demo member by login."""
    found = members_data.get_member_by_login(db, login)
    assert found is not None, login
    return found


def new_member(
    db: Database, login: str = "carol", org_login: str = "alice", role: str = "member"
) -> Member:
    """A new active member in the same organization as ``org_login``, with no benefits."""
    org = member(db, org_login).organization_id
    members_data.create_member(
        db,
        organization_id=org,
        login=login,
        first_name=login.title(),
        last_name="Test",
        org_email=f"{login}@example.test",
        password_hash=None,
        role=role,
    )
    return member(db, login)


def give(
    db: Database,
    settings: Settings,
    target: Member,
    kind: str,
    amount_cents: int,
    *,
    year: int = YEAR,
    rule_id: int | None = None,
    categories: tuple[str, ...] = (),
    event: str | None = None,
    label: str | None = None,
    manager: str = "marc",
    valid_until: dt.date | None = None,
) -> int:
    """Allocate a benefit to one member through the service; returns the allocation id.

    Periods in the past are refused: a program of an earlier year is allocated under a
    clock set in that year (as a manager would have done then).
    """
    moment = (
        clock.use(clock.FrozenClock(dt.datetime(year, 6, 15, 8, 0, tzinfo=dt.UTC)))
        if year < clock.today_paris().year
        else contextlib.nullcontext()
    )
    with moment:
        _allocate(
            db,
            settings,
            target,
            kind,
            amount_cents,
            year,
            rule_id,
            categories,
            event,
            label,
            manager,
            valid_until,
        )
    from portal.data import wallet as wallet_data

    return max(a.id for a in wallet_data.member_allocations(db, target.id))


def _allocate(  # type: ignore[no-untyped-def]
    db,
    settings,
    target,
    kind,
    amount_cents,
    year,
    rule_id,
    categories,
    event,
    label,
    manager,
    valid_until,
) -> None:
    allocations.allocate(
        db,
        member(db, manager),
        AllocationRequest(
            kind=kind,
            label=label or f"{kind} {amount_cents}",
            amount_cents=amount_cents,
            year=year,
            member_ids=(target.id,),
            rule_id=rule_id,
            categories=categories,
            event=event,
            valid_until=valid_until,
        ),
        settings=settings,
        acknowledge_urssaf=True,
        confirm_duplicate=True,
    )


def line(
    title: str,
    kind: str,
    category: str,
    unit_price_cents: int,
    quantity: int = 1,
    *,
    offer_id: int | None = None,
    shipping: bool | None = None,
    face_value_cents: int | None = None,
) -> CheckoutLine:
    """A checkout line priced at ``unit_price_cents``."""
    face = face_value_cents or unit_price_cents
    return CheckoutLine(
        offer_id=offer_id,
        title=title,
        kind=kind,
        category=category,
        face_value_cents=face,
        quantity=quantity,
        discount_bp=0,
        unit_price_cents=unit_price_cents,
        line_total_cents=unit_price_cents * quantity,
        savings_cents=(face - unit_price_cents) * quantity,
        shipping=kind == "product" if shipping is None else shipping,
    )
