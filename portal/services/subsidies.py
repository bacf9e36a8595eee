"""Subsidy rules (subventions): what a rule takes off an item, and managing the rules.

A rule covers one offer category (optionally one kind of offer): a percentage of the price
with optional caps, or a fixed amount per item with an optional maximum count per year.
It may be graded by quotient familial: the first bracket whose upper bound is at or above
the member's QF gives the percentage or amount. All arithmetic is in integer cents,
rounded down.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlite_utils import Database

from portal.data import subsidies as subsidies_data
from portal.data import wallet as wallet_data
from portal.data.db import transaction
from portal.data.members import Member
from portal.data.subsidies import Bracket, RuleVersion, SubsidyRule
from portal.i18n import N_, Translator
from portal.services import audit, clock
from portal.services.authz import managed_organization, require_manager
from portal.services.errors import UserError

__all__ = [
    "Bracket",
    "GridRow",
    "RuleVersion",
    "SubsidyRule",
    "create_rule",
    "describe_rule",
    "edit_rule",
    "grid",
    "list_rules",
    "rule_versions",
    "set_rule_active",
    "rule_matches",
    "rule_terms",
    "set_quotient_familial",
    "subsidy_per_item",
]


def rule_matches(rule: SubsidyRule, category: str, offer_kind: str) -> bool:
    """Whether an active rule covers an offer of that category and kind."""
    return rule.active and rule.category == category and rule.offer_kind in (None, offer_kind)


# -- arithmetic (integer cents) ------------------------------------------------------------


def rule_terms(rule: SubsidyRule, qf: int | None) -> tuple[int, int]:
    """(percent in basis points, fixed cents) for a member's quotient familial.

    The first bracket whose upper bound is at or above the QF applies; above every bound,
    the rule's own values apply. Without a QF (no validated tax notice), the least
    favourable of those terms applies: a member never gains by hiding their income.
    """
    options = [
        (
            rule.percent_bp if bracket.percent_bp is None else bracket.percent_bp,
            rule.fixed_cents if bracket.fixed_cents is None else bracket.fixed_cents,
        )
        for bracket in rule.brackets
    ]
    if qf is not None:
        for bracket, terms in zip(rule.brackets, options, strict=True):
            if bracket.qf_max is None or qf <= bracket.qf_max:
                return terms
        return rule.percent_bp, rule.fixed_cents
    if not any(bracket.qf_max is None for bracket in rule.brackets):
        options.append((rule.percent_bp, rule.fixed_cents))  # reachable above every bound
    index = 0 if rule.mode == "percent" else 1
    return min(options, key=lambda terms: terms[index])


def subsidy_per_item(rule: SubsidyRule, unit_price_cents: int, qf: int | None) -> int:
    """Cents a rule takes off one item: rounded down, capped per item, never above the price."""
    percent_bp, fixed_cents = rule_terms(rule, qf)
    amount = unit_price_cents * percent_bp // 10_000 if rule.mode == "percent" else fixed_cents
    if rule.cap_per_item_cents is not None:
        amount = min(amount, rule.cap_per_item_cents)
    return max(0, min(amount, unit_price_cents))


def describe_rule(
    rule: SubsidyRule, t: Translator, qf: int | None = None, *, brackets: bool = False
) -> str:
    """One sentence saying what a rule gives (in ``t``'s language).

    Args:
        qf: The member's quotient familial (their bracket's values are described).
        brackets: Also list the brackets (for managers).
    """
    percent_bp, fixed_cents = rule_terms(rule, qf)
    if rule.mode == "percent":
        text = t.gettext("{percent} % of the price", percent=t.number(percent_bp / 100))
    else:
        text = t.gettext("{amount} per item", amount=t.money(fixed_cents))
    parts = [text]
    if rule.cap_per_item_cents is not None and rule.mode == "percent":
        parts.append(t.gettext("up to {amount} per item", amount=t.money(rule.cap_per_item_cents)))
    if rule.cap_per_year_cents is not None:
        parts.append(t.gettext("up to {amount} per year", amount=t.money(rule.cap_per_year_cents)))
    if rule.max_count is not None:
        parts.append(
            t.ngettext("at most {n} item per year", "at most {n} items per year", rule.max_count)
        )
    text = ", ".join(parts)
    if brackets and rule.brackets:
        graded = []
        for b in rule.brackets:
            value = (
                t.number((b.percent_bp if b.percent_bp is not None else rule.percent_bp) / 100)
                + " %"
                if rule.mode == "percent"
                else t.money(b.fixed_cents if b.fixed_cents is not None else rule.fixed_cents)
            )
            graded.append(
                t.gettext("QF up to {qf}: {value}", qf=b.qf_max, value=value)
                if b.qf_max is not None
                else t.gettext("higher QF: {value}", value=value)
            )
        text += " (" + ", ".join(graded) + ")"
    return text


# -- managing the rules ------------------------------------------------------------------


def set_quotient_familial(db: Database, actor: Member, member_id: int, value: int | None) -> None:
    """Record a member's quotient familial (a manager of their organization, or an admin).

    Called when a credential proving it is validated; subsidy brackets read it.
    """
    if value is not None and value < 0:
        raise UserError(N_("The quotient familial cannot be negative."))
    status = wallet_data.member_status(db, [member_id])
    if member_id not in status:
        raise UserError(N_("This member does not exist."))
    org = status[member_id][0]
    require_manager(db, actor, org)
    with transaction(db):
        subsidies_data.set_quotient_familial(db, member_id, value)
        audit.record(
            db,
            "wallet.quotient_familial",
            actor_id=actor.id,
            organization_id=org,
            target=f"member:{member_id}",
            known=value is not None,
        )


def create_rule(
    db: Database,
    actor: Member,
    *,
    label: str,
    category: str,
    mode: str,
    percent_bp: int = 0,
    fixed_cents: int = 0,
    cap_per_item_cents: int | None = None,
    cap_per_year_cents: int | None = None,
    max_count: int | None = None,
    offer_kind: str | None = None,
    brackets: Iterable[tuple[int | None, int | None, int | None]] = (),
    organization_id: int | None = None,
) -> SubsidyRule:
    """Create a subsidy rule for an offer category.

    Args:
        mode: ``percent`` (``percent_bp`` of the price, optional caps) or ``fixed``
            (``fixed_cents`` per item, optional ``max_count`` per year).
        brackets: (QF upper bound or None, percent_bp or None, fixed_cents or None), graded
            by quotient familial.
    """
    org = managed_organization(db, actor, organization_id)
    label, category = label.strip(), category.strip()
    if not label or not category:
        raise UserError(N_("Give the rule a name and an offer category."))
    _check_terms(mode, percent_bp, fixed_cents, (cap_per_item_cents, cap_per_year_cents, max_count))
    with transaction(db):
        rule_id = subsidies_data.insert_rule(
            db,
            organization_id=org,
            label=label,
            category=category,
            mode=mode,
            percent_bp=percent_bp,
            fixed_cents=fixed_cents,
            cap_per_item_cents=cap_per_item_cents,
            cap_per_year_cents=cap_per_year_cents,
            max_count=max_count,
            offer_kind=offer_kind,
        )
        for qf_max, bracket_bp, bracket_fixed in brackets:
            subsidies_data.insert_bracket(
                db, rule_id, qf_max=qf_max, percent_bp=bracket_bp, fixed_cents=bracket_fixed
            )
        audit.record(
            db,
            "wallet.rule_created",
            actor_id=actor.id,
            organization_id=org,
            target=f"rule:{rule_id}",
            category=category,
            mode=mode,
        )
    rule = subsidies_data.get_rule(db, rule_id)
    assert rule is not None
    return rule


def _check_terms(
    mode: str, percent_bp: int, fixed_cents: int, limits: tuple[int | None, ...]
) -> None:
    if mode not in ("percent", "fixed"):
        raise UserError(N_("Choose a percentage or a fixed amount."))
    if mode == "percent" and not 0 < percent_bp <= 10_000:
        raise UserError(N_("The percentage must be between 0 and 100."))
    if mode == "fixed" and fixed_cents <= 0:
        raise UserError(N_("The fixed amount must be positive."))
    for value in limits:
        if value is not None and value <= 0:
            raise UserError(N_("Caps and counts must be positive."))


def list_rules(
    db: Database,
    actor: Member,
    organization_id: int | None = None,
    *,
    on: dt.date | None = None,
) -> list[SubsidyRule]:
    """An organization's subsidy rules (its managers, or an admin), with the terms in
    force on ``on`` (default today)."""
    org = managed_organization(db, actor, organization_id)
    return subsidies_data.list_rules(db, org, on=on or clock.today_paris())


def _managed_rule(db: Database, actor: Member, rule_id: int) -> SubsidyRule:
    rule = subsidies_data.get_rule(db, rule_id, on=clock.today_paris())
    if rule is None:
        raise UserError(N_("This subsidy rule does not exist."))
    require_manager(db, actor, rule.organization_id)
    return rule


def edit_rule(
    db: Database,
    actor: Member,
    rule_id: int,
    *,
    effective_from: dt.date,
    mode: str,
    percent_bp: int = 0,
    fixed_cents: int = 0,
    cap_per_item_cents: int | None = None,
    cap_per_year_cents: int | None = None,
    max_count: int | None = None,
    brackets: Iterable[tuple[int | None, int | None, int | None]] = (),
) -> SubsidyRule:
    """New terms for a rule from ``effective_from`` (today or later) on.

    What members consumed before keeps its terms: the ledger holds what each checkout
    took, and a checkout before that day still reads the terms then in force. Returns
    the rule with the terms in force on ``effective_from``.

    Raises:
        UserError: a date in the past, or bad terms (nothing is written).
    """
    rule = _managed_rule(db, actor, rule_id)
    if effective_from < clock.today_paris():
        raise UserError(N_("New terms apply from today or a later day, never a past one."))
    _check_terms(mode, percent_bp, fixed_cents, (cap_per_item_cents, cap_per_year_cents, max_count))
    graded = sorted(brackets, key=lambda b: (b[0] is None, b[0] or 0))
    with transaction(db):
        subsidies_data.insert_version(
            db,
            rule.id,
            effective_from=effective_from,
            mode=mode,
            percent_bp=percent_bp,
            fixed_cents=fixed_cents,
            cap_per_item_cents=cap_per_item_cents,
            cap_per_year_cents=cap_per_year_cents,
            max_count=max_count,
            brackets=graded,
            created_by=actor.id,
        )
        audit.record(
            db,
            "wallet.rule_edited",
            actor_id=actor.id,
            organization_id=rule.organization_id,
            target=f"rule:{rule.id}",
            effective_from=effective_from.isoformat(),
            mode=mode,
        )
    edited = subsidies_data.get_rule(db, rule.id, on=effective_from)
    assert edited is not None
    return edited


def set_rule_active(db: Database, actor: Member, rule_id: int, active: bool) -> SubsidyRule:
    """Switch a rule off (its subsidies no longer apply at checkout) or on again."""
    rule = _managed_rule(db, actor, rule_id)
    with transaction(db):
        if subsidies_data.set_rule_active(db, rule.id, active):
            audit.record(
                db,
                "wallet.rule_switched",
                actor_id=actor.id,
                organization_id=rule.organization_id,
                target=f"rule:{rule.id}",
                active=active,
            )
    updated = subsidies_data.get_rule(db, rule.id, on=clock.today_paris())
    assert updated is not None
    return updated


def rule_versions(db: Database, actor: Member, rule_id: int) -> list[RuleVersion]:
    """The terms a rule was given from later dates on, oldest first."""
    return subsidies_data.list_versions(db, _managed_rule(db, actor, rule_id).id)


@dataclass(frozen=True)
class GridRow:
    """One row of a rule's quotient-familial grid."""

    qf_min: int | None
    """Lower bound, exclusive of the previous bracket (None: from 0)."""
    qf_max: int | None
    """Inclusive upper bound (None: no upper bound)."""
    percent_bp: int | None
    fixed_cents: int | None


def grid(rule: SubsidyRule) -> list[GridRow]:
    """A rule's quotient-familial grid as table rows, the open-ended top bracket last
    (the rule's own terms above every bound). Empty for an ungraded rule."""
    if not rule.brackets:
        return []
    rows: list[GridRow] = []
    low: int | None = None
    for b in rule.brackets:
        percent = (
            (b.percent_bp if b.percent_bp is not None else rule.percent_bp)
            if rule.mode == "percent"
            else None
        )
        fixed = (
            (b.fixed_cents if b.fixed_cents is not None else rule.fixed_cents)
            if rule.mode == "fixed"
            else None
        )
        rows.append(GridRow(low, b.qf_max, percent, fixed))
        if b.qf_max is None:
            return rows
        low = b.qf_max + 1
    rows.append(
        GridRow(
            low,
            None,
            rule.percent_bp if rule.mode == "percent" else None,
            rule.fixed_cents if rule.mode == "fixed" else None,
        )
    )
    return rows
