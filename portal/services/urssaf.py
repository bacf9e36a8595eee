"""The URSSAF rule on gift vouchers (chèques cadeaux), assessed over a member's year.

Gift vouchers are exempt from social contributions up to a threshold per employee per
calendar year (5 % of the monthly social-security ceiling: 200 EUR in 2026; the figures
are configuration, ``settings.urssaf_thresholds``, and an organization may set its own
per year), in total for the vouchers that name no event; or per listed event, each
assessed on its own against the threshold, when the voucher names the event. When the
conditions are not met (more than the threshold, or an event the member's family data
does not support), the *whole* amount of that pool becomes liable, not only the excess.

The pools of a member's year:

- no event: every gift voucher that names none, up to the threshold;
- Christmas: up to the threshold for the employee and again for each child aged 16 or
  less in the year (children's birth years: ``portal.data.family``);
- back to school: up to the threshold for each child under 26 in the year (none: liable);
- birth or adoption: a child born in the year or the year before;
- wedding or civil partnership: the member's situation says married or PACS;
- Mother's / Father's day: the member has a child;
- Saint Catherine / Saint Nicholas, retirement: up to the threshold.

Culture vouchers and subsidies are exempt and never counted. ``gift_warnings`` is what an
allocation, an import or a renewal shows before it is confirmed (the members whose liable
amount would grow, and by how much); ``report`` gives every member's year.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlite_utils import Database

from portal.config import Settings
from portal.data import directory as directory_data
from portal.data import family as family_data
from portal.data import members as members_data
from portal.data import programs as programs_data
from portal.data import wallet as wallet_data
from portal.data.members import Member
from portal.i18n import N_
from portal.services.authz import managed_organization

__all__ = [
    "LISTED_EVENTS",
    "REASONS",
    "UrssafLine",
    "UrssafPool",
    "UrssafWarning",
    "assess",
    "gift_warnings",
    "report",
    "threshold_for",
    "urssaf_threshold",
]


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

REASONS: dict[str, str] = {
    "over": N_("over the exemption limit: the whole amount is liable"),
    "no_child": N_("no child under 26 on record"),
    "no_birth": N_("no child born this year or last on record"),
    "not_married": N_("not married or in a civil partnership on record"),
    "not_parent": N_("no child on record"),
}
"""Why a pool is liable, by code (message ids)."""

CHRISTMAS_CHILD_MAX_AGE = 16
SCHOOL_CHILD_MAX_AGE = 25  # "under 26"


def urssaf_threshold(settings: Settings, year: int) -> int | None:
    """The gift-voucher exemption per employee for a year (the latest known year's before it)."""
    known = {int(y): cents for y, cents in settings.urssaf_thresholds.items()}
    if year in known:
        return known[year]
    earlier = [y for y in known if y <= year]
    return known[max(earlier)] if earlier else None


def threshold_for(
    db: Database, settings: Settings, organization_id: int | None, year: int
) -> int | None:
    """The organization's own threshold of the year, else the platform's."""
    own = (
        directory_data.get_urssaf_threshold(db, organization_id, year)
        if organization_id is not None
        else None
    )
    return own if own is not None else urssaf_threshold(settings, year)


@dataclass(frozen=True)
class UrssafPool:
    """One pool of a member's year: the vouchers naming no event, or those of one event."""

    event: str | None
    total_cents: int
    limit_cents: int
    """What the pool may hold exempt (the threshold, times the beneficiaries of the event)."""
    liable_cents: int
    """0, or the whole ``total_cents`` when the conditions are not met."""
    reason: str | None = None
    """A code of ``REASONS`` when liable."""


@dataclass(frozen=True)
class UrssafLine:
    """A member's gift vouchers of a year, as the URSSAF report lists them."""

    member_id: int
    login: str
    name: str
    year: int
    total_cents: int
    exempt_cents: int
    liable_cents: int
    pools: tuple[UrssafPool, ...]
    events: tuple[tuple[int, str, str | None, int], ...] = ()
    """The vouchers: (program id, name, event, cents)."""


@dataclass(frozen=True)
class UrssafWarning:
    """A member whose liable amount of the year would grow with an allocation."""

    member_id: int
    name: str
    total_cents: int
    """The pool's total with the allocation."""
    threshold_cents: int
    """The pool's exemption limit."""
    liable_cents: int = 0
    """What becomes liable in that pool with the allocation (the whole pool)."""
    added_liable_cents: int = 0
    """How much more is liable than before the allocation."""
    event: str | None = None
    reason: str | None = None


def _pool(
    event: str | None,
    total: int,
    threshold: int,
    year: int,
    children: tuple[int, ...],
    situation: str | None,
) -> UrssafPool:
    ages = [year - born for born in children if born <= year]
    limit, unmet = threshold, None
    if event == "christmas":
        limit = threshold * (1 + sum(1 for age in ages if age <= CHRISTMAS_CHILD_MAX_AGE))
    elif event == "back_to_school":
        limit = threshold * sum(1 for age in ages if age <= SCHOOL_CHILD_MAX_AGE)
        unmet = None if limit else "no_child"
    elif event == "birth":
        unmet = None if any(age <= 1 for age in ages) else "no_birth"
    elif event == "wedding":
        unmet = None if situation in ("married", "pacs") else "not_married"
    elif event in ("mothers_day", "fathers_day"):
        unmet = None if ages else "not_parent"
    if unmet is None and total > limit:
        unmet = "over"
    return UrssafPool(event, total, limit, total if unmet else 0, unmet)


def assess(
    gifts: Mapping[str | None, int],
    *,
    threshold: int,
    year: int,
    children: tuple[int, ...] = (),
    situation: str | None = None,
) -> tuple[UrssafPool, ...]:
    """The pools of a member's year from their gift-voucher totals per event (None: none).

    A pure function: the rule itself, tested on its own.
    """
    return tuple(
        _pool(event, total, threshold, year, children, situation)
        for event, total in sorted(gifts.items(), key=lambda kv: kv[0] or "")
        if total > 0
    )


def _totals(
    lines: Iterable[tuple[int, str | None, int, int, str]],
) -> dict[int, dict[str | None, int]]:
    totals: dict[int, dict[str | None, int]] = {}
    for member_id, event, cents, _program, _label in lines:
        pools = totals.setdefault(member_id, {})
        pools[event] = pools.get(event, 0) + cents
    return totals


def _liable(pools: tuple[UrssafPool, ...], event: str | None) -> int:
    return sum(p.liable_cents for p in pools if p.event == event)


def gift_warnings(
    db: Database,
    settings: Settings,
    *,
    kind: str,
    year: int,
    event: str | None,
    amount_cents: int = 0,
    member_ids: Iterable[int] = (),
    organization_id: int | None = None,
    amounts: Mapping[int, int] | None = None,
    pending: Mapping[int, Mapping[str | None, int]] | None = None,
) -> list[UrssafWarning]:
    """Members whose liable amount of the year would grow if each received ``amount_cents``
    more (or their own ``amounts[member_id]``) in ``event``'s pool; none for other kinds or
    without a threshold. The member's year is what they already received (every gift
    voucher of that year), plus ``pending`` (what the same batch gives first, a renewal).
    """
    threshold = threshold_for(db, settings, organization_id, year)
    if kind != "gift" or threshold is None:
        return []
    given = dict(amounts) if amounts is not None else dict.fromkeys(member_ids, amount_cents)
    if not given:
        return []
    ids = sorted(given)
    if organization_id is None:
        lines = [line for member_id in ids for line in _member_gift_lines(db, member_id, year)]
    else:
        lines = programs_data.gift_lines(db, organization_id, year, ids)
    totals = _totals(lines)
    for member_id, extra in (pending or {}).items():
        pools = totals.setdefault(member_id, {})
        for ev, cents in extra.items():
            pools[ev] = pools.get(ev, 0) + cents
    warnings: list[UrssafWarning] = []
    for member_id in ids:
        before = totals.get(member_id, {})
        after = {**before, event: before.get(event, 0) + given[member_id]}
        children = family_data.get_children(db, member_id)
        situation = family_data.get_situation(db, member_id)
        old = assess(before, threshold=threshold, year=year, children=children, situation=situation)
        new = assess(after, threshold=threshold, year=year, children=children, situation=situation)
        added = _liable(new, event) - _liable(old, event)
        if added <= 0:
            continue
        pool = next(p for p in new if p.event == event)
        m = members_data.get_member(db, member_id)
        warnings.append(
            UrssafWarning(
                member_id,
                m.full_name if m else str(member_id),
                pool.total_cents,
                pool.limit_cents,
                pool.liable_cents,
                added,
                event,
                pool.reason,
            )
        )
    return warnings


def _member_gift_lines(
    db: Database, member_id: int, year: int
) -> list[tuple[int, str | None, int, int, str]]:
    status = wallet_data.member_status(db, [member_id])
    org = status.get(member_id, (None, ""))[0]
    return programs_data.gift_lines(db, org, year, [member_id]) if org is not None else []


def report(
    db: Database,
    actor: Member,
    organization_id: int | None,
    year: int,
    *,
    settings: Settings | None = None,
) -> list[UrssafLine]:
    """Every member of the organization who received gift vouchers in ``year``: totals,
    exempt and liable amounts, pools and vouchers (a manager: their own organization).

    ``settings`` gives the platform's thresholds (default: the built-in figures); the
    organization's own threshold of the year comes first.
    """
    org = managed_organization(db, actor, organization_id)
    threshold = threshold_for(db, settings or Settings(), org, year)
    lines = programs_data.gift_lines(db, org, year)
    totals = _totals(lines)
    vouchers: dict[int, list[tuple[int, str, str | None, int]]] = {}
    for member_id, event, cents, program_id, label in lines:
        vouchers.setdefault(member_id, []).append((program_id, label, event, cents))
    found: list[UrssafLine] = []
    for member_id, pools_in in totals.items():
        total = sum(pools_in.values())
        if threshold is None:
            pools: tuple[UrssafPool, ...] = ()
            liable = 0
        else:
            pools = assess(
                pools_in,
                threshold=threshold,
                year=year,
                children=family_data.get_children(db, member_id),
                situation=family_data.get_situation(db, member_id),
            )
            liable = sum(p.liable_cents for p in pools)
        m = members_data.get_member(db, member_id)
        found.append(
            UrssafLine(
                member_id,
                m.login if m else str(member_id),
                m.full_name if m else str(member_id),
                year,
                total,
                total - liable,
                liable,
                pools,
                tuple(vouchers.get(member_id, ())),
            )
        )
    found.sort(key=lambda line: (line.name.lower(), line.member_id))
    return found
