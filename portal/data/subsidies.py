"""Subsidy rules storage: rules per offer category, their quotient-familial brackets, and
the members' quotient familial that the brackets read.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from typing import Any

from sqlite_utils import Database

__all__ = [
    "Bracket",
    "SubsidyRule",
    "get_quotient_familial",
    "get_rule",
    "RuleVersion",
    "insert_bracket",
    "insert_rule",
    "insert_version",
    "list_rules",
    "list_versions",
    "rules_by_id",
    "set_quotient_familial",
    "set_rule_active",
]


@dataclass(frozen=True)
class Bracket:
    """A quotient-familial bracket of a subsidy rule: applies when QF <= ``qf_max``."""

    id: int
    qf_max: int | None
    """Inclusive upper bound of the bracket (None: no upper bound)."""
    percent_bp: int | None
    fixed_cents: int | None


@dataclass(frozen=True)
class SubsidyRule:
    """How an organization subsidizes one offer category."""

    id: int
    organization_id: int
    label: str
    category: str
    offer_kind: str | None
    mode: str
    """``percent`` (of the price paid, with caps) or ``fixed`` (an amount per item)."""
    percent_bp: int
    fixed_cents: int
    cap_per_item_cents: int | None
    cap_per_year_cents: int | None
    max_count: int | None
    active: bool
    brackets: tuple[Bracket, ...] = ()
    effective_from: dt.date | None = None
    """Since when these terms apply (None: since the rule was created)."""
    next_change: dt.date | None = None
    """When newer terms, already recorded, take over (None: none planned)."""


@dataclass(frozen=True)
class RuleVersion:
    """A rule's terms from a date on (an edit for the future)."""

    id: int
    rule_id: int
    effective_from: dt.date
    mode: str
    percent_bp: int
    fixed_cents: int
    cap_per_item_cents: int | None
    cap_per_year_cents: int | None
    max_count: int | None
    brackets: tuple[Bracket, ...]


# -- profiles ---------------------------------------------------------------------------


def get_quotient_familial(db: Database, member_id: int) -> int | None:
    """The member's quotient familial (euros), if known."""
    row = db.execute(
        "SELECT quotient_familial FROM member_profiles WHERE member_id = ?", [member_id]
    ).fetchone()
    return None if row is None else row[0]


def set_quotient_familial(db: Database, member_id: int, value: int | None) -> None:
    """Store (or clear) the member's quotient familial."""
    db.execute(
        "INSERT INTO member_profiles (member_id, quotient_familial) VALUES (?, ?)"
        " ON CONFLICT(member_id) DO UPDATE SET quotient_familial = excluded.quotient_familial,"
        " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')",
        [member_id, value],
    )


# -- subsidy rules ----------------------------------------------------------------------


def insert_rule(
    db: Database,
    *,
    organization_id: int,
    label: str,
    category: str,
    mode: str,
    percent_bp: int = 0,
    fixed_cents: int = 0,
    cap_per_item_cents: int | None = None,
    cap_per_year_cents: int | None = None,
    max_count: int | None = None,
    offer_kind: str | None = None,
) -> int:
    """Insert a subsidy rule and return its id."""
    cur = db.execute(
        "INSERT INTO subsidy_rules (organization_id, label, category, offer_kind, mode, percent_bp,"
        " fixed_cents, cap_per_item_cents, cap_per_year_cents, max_count)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            organization_id,
            label,
            category,
            offer_kind,
            mode,
            percent_bp,
            fixed_cents,
            cap_per_item_cents,
            cap_per_year_cents,
            max_count,
        ],
    )
    return int(cur.lastrowid or 0)


def insert_bracket(
    db: Database,
    rule_id: int,
    *,
    qf_max: int | None,
    percent_bp: int | None = None,
    fixed_cents: int | None = None,
) -> int:
    """Add a quotient-familial bracket to a rule."""
    cur = db.execute(
        "INSERT INTO subsidy_brackets (rule_id, qf_max, percent_bp, fixed_cents) VALUES (?, ?, ?, ?)",
        [rule_id, qf_max, percent_bp, fixed_cents],
    )
    return int(cur.lastrowid or 0)


def insert_version(
    db: Database,
    rule_id: int,
    *,
    effective_from: dt.date,
    mode: str,
    percent_bp: int,
    fixed_cents: int,
    cap_per_item_cents: int | None,
    cap_per_year_cents: int | None,
    max_count: int | None,
    brackets: list[tuple[int | None, int | None, int | None]],
    created_by: int | None,
) -> int:
    """Record a rule's terms from ``effective_from`` on (replacing a version of that day)."""
    cur = db.execute(
        "INSERT INTO subsidy_rule_versions (rule_id, effective_from, mode, percent_bp,"
        " fixed_cents, cap_per_item_cents, cap_per_year_cents, max_count, brackets, created_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (rule_id, effective_from) DO UPDATE"
        " SET mode = excluded.mode, percent_bp = excluded.percent_bp,"
        " fixed_cents = excluded.fixed_cents, cap_per_item_cents = excluded.cap_per_item_cents,"
        " cap_per_year_cents = excluded.cap_per_year_cents, max_count = excluded.max_count,"
        " brackets = excluded.brackets, created_by = excluded.created_by",
        [
            rule_id,
            effective_from.isoformat(),
            mode,
            percent_bp,
            fixed_cents,
            cap_per_item_cents,
            cap_per_year_cents,
            max_count,
            json.dumps([list(b) for b in brackets]),
            created_by,
        ],
    )
    return int(cur.lastrowid or 0)


def _version(row: Any) -> RuleVersion:
    d = dict(row)
    brackets = tuple(
        Bracket(0, b[0], b[1], b[2])
        for b in sorted(json.loads(d.pop("brackets")), key=lambda b: (b[0] is None, b[0] or 0))
    )
    d["effective_from"] = dt.date.fromisoformat(d["effective_from"])
    return RuleVersion(**d, brackets=brackets)


def list_versions(db: Database, rule_id: int) -> list[RuleVersion]:
    """A rule's recorded versions, oldest first."""
    rows = db.execute(
        "SELECT id, rule_id, effective_from, mode, percent_bp, fixed_cents, cap_per_item_cents,"
        " cap_per_year_cents, max_count, brackets FROM subsidy_rule_versions WHERE rule_id = ?"
        " ORDER BY effective_from",
        [rule_id],
    ).fetchall()
    return [_version(r) for r in rows]


def set_rule_active(db: Database, rule_id: int, active: bool) -> bool:
    """Switch a rule on or off; False when it already was."""
    cur = db.execute(
        "UPDATE subsidy_rules SET active = ? WHERE id = ? AND active != ?",
        [int(active), rule_id, int(active)],
    )
    return cur.rowcount == 1


def _apply_versions(rule: SubsidyRule, versions: list[RuleVersion], on: dt.date) -> SubsidyRule:
    started = [v for v in versions if v.effective_from <= on]
    later = [v.effective_from for v in versions if v.effective_from > on]
    rule = replace(rule, next_change=min(later) if later else None)
    if not started:
        return rule
    v = started[-1]
    return replace(
        rule,
        mode=v.mode,
        percent_bp=v.percent_bp,
        fixed_cents=v.fixed_cents,
        cap_per_item_cents=v.cap_per_item_cents,
        cap_per_year_cents=v.cap_per_year_cents,
        max_count=v.max_count,
        brackets=v.brackets,
        effective_from=v.effective_from,
    )


def _rules(
    db: Database, where: str, params: list[Any], on: dt.date | None = None
) -> list[SubsidyRule]:
    """Rules with the terms in force on ``on`` (default: today's date)."""
    rules = _base_rules(db, where, params)
    if not rules:
        return rules
    ids = [r.id for r in rules]
    marks = ",".join("?" * len(ids))
    versions: dict[int, list[RuleVersion]] = {}
    for row in db.execute(
        "SELECT id, rule_id, effective_from, mode, percent_bp, fixed_cents, cap_per_item_cents,"
        " cap_per_year_cents, max_count, brackets FROM subsidy_rule_versions"
        f" WHERE rule_id IN ({marks}) ORDER BY rule_id, effective_from",
        ids,
    ).fetchall():
        version = _version(row)
        versions.setdefault(version.rule_id, []).append(version)
    day = on or dt.date.today()
    return [_apply_versions(r, versions[r.id], day) if r.id in versions else r for r in rules]


def _base_rules(db: Database, where: str, params: list[Any]) -> list[SubsidyRule]:
    rows = db.execute(
        "SELECT id, organization_id, label, category, offer_kind, mode, percent_bp, fixed_cents,"
        " cap_per_item_cents, cap_per_year_cents, max_count, active FROM subsidy_rules"
        f" WHERE {where} ORDER BY label, id",
        params,
    ).fetchall()
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    marks = ",".join("?" * len(ids))
    brackets: dict[int, list[Bracket]] = {}
    for b in db.execute(
        "SELECT id, rule_id, qf_max, percent_bp, fixed_cents FROM subsidy_brackets"
        f" WHERE rule_id IN ({marks}) ORDER BY rule_id, qf_max IS NULL, qf_max",
        ids,
    ).fetchall():
        brackets.setdefault(b["rule_id"], []).append(
            Bracket(b["id"], b["qf_max"], b["percent_bp"], b["fixed_cents"])
        )
    return [
        SubsidyRule(
            **{**dict(r), "active": bool(r["active"])}, brackets=tuple(brackets.get(r["id"], ()))
        )
        for r in rows
    ]


def get_rule(db: Database, rule_id: int, *, on: dt.date | None = None) -> SubsidyRule | None:
    """One rule with its brackets, its terms those in force on ``on`` (default today)."""
    found = _rules(db, "id = ?", [rule_id], on)
    return found[0] if found else None


def list_rules(
    db: Database, organization_id: int, *, on: dt.date | None = None
) -> list[SubsidyRule]:
    """An organization's subsidy rules (terms in force on ``on``, default today)."""
    return _rules(db, "organization_id = ?", [organization_id], on)


def rules_by_id(
    db: Database, rule_ids: list[int], *, on: dt.date | None = None
) -> dict[int, SubsidyRule]:
    """Several rules at once (terms in force on ``on``, default today)."""
    if not rule_ids:
        return {}
    marks = ",".join("?" * len(rule_ids))
    return {r.id: r for r in _rules(db, f"id IN ({marks})", list(rule_ids), on)}
