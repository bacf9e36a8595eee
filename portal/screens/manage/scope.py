"""The organization and year a report screen shows (dashboard, exports).

A manager always sees their own organization; an admin sees every organization, or one
chosen in turn with ``o``.
"""

from __future__ import annotations

from portal.data.members import Member, Organization
from portal.i18n import _


def scope_text(
    member: Member, organizations: list[Organization], organization_id: int | None, year: int
) -> str:
    """``organization · year N``: the member's own, every one, or the one chosen."""
    if member.role != "admin":
        name = member.organization_name
    elif organization_id is None:
        name = _("Every organization")
    else:
        name = next((o.name for o in organizations if o.id == organization_id), "")
    return _("{organization} · year {year}", organization=name, year=year)


def next_organization(organizations: list[Organization], organization_id: int | None) -> int | None:
    """After every organization (None) comes the first, then each in turn, then None."""
    ids: list[int | None] = [None, *(o.id for o in organizations)]
    at = ids.index(organization_id) if organization_id in ids else 0
    return ids[(at + 1) % len(ids)]
