"""Platform administration of organizations: status, names, their members and managers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database


@dataclass(frozen=True)
class OrganizationRow:
    """One organization as the admins' list shows it."""

    id: int
    name: str
    identification_key: str | None
    active: bool
    members: int
    """Accounts of the organization (every status)."""
    managers: str
    """Logins of its managers, comma-separated, by login."""


def list_organizations(db: Database) -> list[OrganizationRow]:
    """Every organization, by name, with its member count and managers."""
    rows = db.execute(
        """
        SELECT o.id, o.name, o.identification_key, o.active,
               (SELECT count(*) FROM members m WHERE m.organization_id = o.id) AS members,
               COALESCE((SELECT group_concat(login, ', ') FROM (
                   SELECT login FROM members m WHERE m.organization_id = o.id
                   AND m.role = 'manager' ORDER BY login)), '') AS managers
        FROM organizations o ORDER BY o.name
        """
    ).fetchall()
    return [
        OrganizationRow(int(r[0]), str(r[1]), r[2], bool(r[3]), int(r[4]), str(r[5])) for r in rows
    ]


def is_active(db: Database, organization_id: int) -> bool:
    """Whether the organization is active (an unknown one is not)."""
    row = db.execute("SELECT active FROM organizations WHERE id = ?", [organization_id]).fetchone()
    return bool(row and row[0])


def set_active(db: Database, organization_id: int, active: bool) -> bool:
    """Activate or deactivate an organization; False when it already was so (or is unknown)."""
    cur = db.execute(
        "UPDATE organizations SET active = ? WHERE id = ? AND active != ?",
        [int(active), organization_id, int(active)],
    )
    return cur.rowcount == 1


def rename(db: Database, organization_id: int, name: str) -> None:
    """Rename an organization."""
    db.execute("UPDATE organizations SET name = ? WHERE id = ?", [name, organization_id])


def member_ids(db: Database, organization_id: int) -> list[int]:
    """Ids of every account of the organization."""
    rows = db.execute(
        "SELECT id FROM members WHERE organization_id = ? ORDER BY id", [organization_id]
    ).fetchall()
    return [int(r[0]) for r in rows]
