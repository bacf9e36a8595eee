"""The URSSAF rule on gift vouchers (chèques cadeaux).

Gift vouchers are exempt from social contributions up to a threshold per employee per
year (5 % of the monthly social-security ceiling: 200 EUR in 2026; the figures are
configuration, ``settings.urssaf_thresholds``), or per listed event, each assessed
separately against the threshold. Culture vouchers and subsidies are exempt. A manager
is warned before an allocation passes the threshold and must acknowledge it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlite_utils import Database

from portal.config import Settings
from portal.data import directory as directory_data
from portal.data import members as members_data
from portal.data import wallet as wallet_data
from portal.i18n import N_

__all__ = ["LISTED_EVENTS", "UrssafWarning", "gift_warnings", "urssaf_threshold"]


LISTED_EVENTS: dict[str, str] = {
    "christmas": N_("Christmas"),
    "back_to_school": N_("Back to school"),
    "birth": N_("Birth or adoption"),
    "wedding": N_("Wedding or civil partnership"),
    "retirement": N_("Retirement"),
    "mothers_day": N_("Mother's day"),
    "fathers_day": N_("Father's day"),
    "saint_catherine": N_("Saint Catherine's day"),
    "saint_nicholas": N_("Saint Nicholas' day"),
}
"""Events for which URSSAF assesses gift vouchers separately (each against the threshold)."""


def urssaf_threshold(settings: Settings, year: int) -> int | None:
    """The gift-voucher exemption per employee for a year (the latest known year's before it)."""
    known = {int(y): cents for y, cents in settings.urssaf_thresholds.items()}
    if year in known:
        return known[year]
    earlier = [y for y in known if y <= year]
    return known[max(earlier)] if earlier else None


@dataclass(frozen=True)
class UrssafWarning:
    """A member whose gift vouchers for the year would pass the exemption threshold."""

    member_id: int
    name: str
    total_cents: int
    threshold_cents: int


def gift_warnings(
    db: Database,
    settings: Settings,
    *,
    kind: str,
    year: int,
    event: str | None,
    amount_cents: int,
    member_ids: Iterable[int],
    organization_id: int | None = None,
) -> list[UrssafWarning]:
    """Members whose gift vouchers of the year (or of ``event``) would pass the threshold
    if each received ``amount_cents`` more; none for other kinds or without a threshold.

    The organization's own threshold of the year (organization settings) comes first.
    """
    own = (
        directory_data.get_urssaf_threshold(db, organization_id, year)
        if organization_id is not None
        else None
    )
    threshold = own if own is not None else urssaf_threshold(settings, year)
    if kind != "gift" or threshold is None:
        return []
    warnings: list[UrssafWarning] = []
    for member_id in member_ids:
        total = wallet_data.gift_allocated(db, member_id, year, event) + amount_cents
        if total > threshold:
            m = members_data.get_member(db, member_id)
            warnings.append(
                UrssafWarning(member_id, m.full_name if m else str(member_id), total, threshold)
            )
    return warnings
