"""Subsidy rules storage: rules per offer category, their quotient-familial brackets, and
the members' quotient familial that the brackets read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

__all__ = [
    "Bracket",
    "SubsidyRule",
    "get_quotient_familial",
    "get_rule",
    "insert_bracket",
    "insert_rule",
    "list_rules",
    "rules_by_id",
    "set_quotient_familial",
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


def _rules(db: Database, where: str, params: list[Any]) -> list[SubsidyRule]:
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


def get_rule(db: Database, rule_id: int) -> SubsidyRule | None:
    """One rule with its brackets."""
    found = _rules(db, "id = ?", [rule_id])
    return found[0] if found else None


def list_rules(db: Database, organization_id: int) -> list[SubsidyRule]:
    """An organization's subsidy rules."""
    return _rules(db, "organization_id = ?", [organization_id])


def rules_by_id(db: Database, rule_ids: list[int]) -> dict[int, SubsidyRule]:
    """Several rules at once."""
    if not rule_ids:
        return {}
    marks = ",".join("?" * len(rule_ids))
    return {r.id: r for r in _rules(db, f"id IN ({marks})", list(rule_ids))}
