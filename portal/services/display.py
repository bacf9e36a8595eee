"""The member's display preference: the portal drawn without colours (monochrome).

The terminal decides the colours it can show (TERM, COLORTERM, NO_COLOR); this
preference lets a member turn them off whatever their terminal says, and follows them
to every session.
"""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from portal.data import display as display_data
from portal.data.db import transaction
from portal.data.members import Member
from portal.data.outbox import timestamp
from portal.services import audit, clock


def get_monochrome(db: Database, member: Member) -> bool:
    """Whether ``member`` chose to see the portal without colours."""
    return display_data.get_monochrome(db, member.id)


def set_monochrome(
    db: Database,
    member: Member,
    monochrome: bool,
    *,
    now: dt.datetime | None = None,
    ip: str | None = None,
) -> bool:
    """Store the member's own preference; returns it."""
    now = now or clock.now()
    with transaction(db):
        if display_data.get_monochrome(db, member.id) != monochrome:
            display_data.set_monochrome(db, member.id, monochrome, now=timestamp(now))
            audit.record(
                db,
                "contact.monochrome",
                actor_id=member.id,
                organization_id=member.organization_id,
                target=member.login,
                ip=ip,
                monochrome=monochrome,
            )
    return monochrome


__all__ = ["get_monochrome", "set_monochrome"]
