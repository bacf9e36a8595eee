"""Program audiences and the queries the URSSAF rule and the follow-up of members read.

A program given to directory groups lists them in ``program_groups``; one given to
everyone follows the organization's active members; the allocations table says who
received what. SQL for ``services.programs``, ``services.allocations`` and
``services.urssaf``; programs themselves are stored by ``portal.data.wallet``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlite_utils import Database

from portal.data.wallet import _PROGRAM_SELECT, Program, _program

__all__ = [
    "active_group_member_ids",
    "add_program_group",
    "gift_lines",
    "open_programs",
    "program_amounts",
    "program_group_ids",
    "recent_duplicate",
]


def open_programs(db: Database, organization_id: int | None, today: dt.date) -> list[Program]:
    """Programs given to everyone or to groups whose period is not over (they follow)."""
    where = "p.target IN ('all','group') AND p.valid_until >= ?"
    params: list[Any] = [today.isoformat()]
    if organization_id is not None:
        where += " AND p.organization_id = ?"
        params.append(organization_id)
    rows = db.execute(_PROGRAM_SELECT + " WHERE " + where + " ORDER BY p.id", params)
    return [_program(r) for r in rows.fetchall()]


def recent_duplicate(
    db: Database,
    *,
    organization_id: int,
    kind: str,
    label: str,
    amount_cents: int,
    year: int,
    target: str,
    since: str,
) -> int | None:
    """The id of a program of the same kind, name, amount, year and target created at or
    after ``since`` (ISO UTC), if any: a second save of the same form."""
    row = db.execute(
        "SELECT id FROM allocation_programs WHERE organization_id = ? AND created_at >= ?"
        " AND kind = ? AND label = ? AND amount_cents = ? AND year = ? AND target = ?"
        " ORDER BY id DESC LIMIT 1",
        [organization_id, since, kind, label, amount_cents, year, target],
    ).fetchone()
    return None if row is None else int(row[0])


def add_program_group(db: Database, program_id: int, group_id: int) -> None:
    """Give a program to a directory group (followed: who enters later gets it)."""
    db.execute(
        "INSERT OR IGNORE INTO program_groups (program_id, group_id) VALUES (?, ?)",
        [program_id, group_id],
    )


def program_group_ids(db: Database, program_id: int) -> list[int]:
    """The directory groups a program is given to."""
    rows = db.execute(
        "SELECT group_id FROM program_groups WHERE program_id = ? ORDER BY group_id",
        [program_id],
    )
    return [int(r[0]) for r in rows.fetchall()]


def active_group_member_ids(db: Database, group_ids: list[int]) -> list[int]:
    """Active members (admins apart) in any of these groups."""
    if not group_ids:
        return []
    marks = ",".join("?" * len(group_ids))
    rows = db.execute(
        "SELECT DISTINCT m.id FROM members m JOIN group_memberships gm ON gm.member_id = m.id"
        f" WHERE gm.group_id IN ({marks}) AND m.status = 'active' AND m.role != 'admin'"
        " ORDER BY m.id",
        group_ids,
    )
    return [int(r[0]) for r in rows.fetchall()]


def program_amounts(db: Database, program_id: int) -> dict[int, int]:
    """What each member of a program was credited at the start (member id -> cents)."""
    rows = db.execute(
        "SELECT member_id, amount_cents FROM allocations WHERE program_id = ?", [program_id]
    )
    return {int(r[0]): int(r[1]) for r in rows.fetchall()}


def gift_lines(
    db: Database, organization_id: int, year: int, member_ids: list[int] | None = None
) -> list[tuple[int, str | None, int, int, str]]:
    """Gift-voucher allocations of a year: (member id, event, cents, program id, label)."""
    where = "a.organization_id = ? AND p.kind = 'gift' AND p.year = ?"
    params: list[Any] = [organization_id, year]
    if member_ids is not None:
        if not member_ids:
            return []
        where += f" AND a.member_id IN ({','.join('?' * len(member_ids))})"
        params += member_ids
    rows = db.execute(
        "SELECT a.member_id, p.event, a.amount_cents, p.id, p.label FROM allocations a"
        f" JOIN allocation_programs p ON p.id = a.program_id WHERE {where}"
        " ORDER BY a.member_id, p.id",
        params,
    )
    return [(int(r[0]), r[1], int(r[2]), int(r[3]), str(r[4])) for r in rows.fetchall()]
