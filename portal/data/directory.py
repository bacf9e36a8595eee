"""The member directory: search, groups, organization settings, last logins.

Search goes through ``members_fts`` (FTS5, kept in step with ``members`` by triggers);
a member is "locked" while the gate's account throttle holds a lock on their login.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

STATUSES = ("active", "invited", "deactivated", "locked")
"""Status filters of the directory (``locked``: the gate holds a lock on the login)."""


@dataclass(frozen=True)
class DirectoryRow:
    """One member as the directory lists them."""

    id: int
    organization_id: int | None
    organization_name: str
    login: str
    first_name: str
    last_name: str
    org_email: str
    role: str
    status: str
    locked_until: float | None

    @property
    def full_name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Group:
    """A named group of members of one organization (site, contract type, ...)."""

    id: int
    organization_id: int
    organization_name: str
    name: str
    member_count: int


@dataclass(frozen=True)
class OrganizationSettings:
    """What a manager sets for their organization."""

    organization_id: int
    require_twofactor: bool
    support_hours: str
    support_contact: str


@dataclass(frozen=True)
class LoginEntry:
    """One successful login of a member (from the audit log)."""

    at: str
    ip: str | None
    method: str


@dataclass(frozen=True)
class PendingInvitation:
    """An invited account still waiting for activation."""

    member_id: int
    organization_id: int | None
    organization_name: str
    login: str
    first_name: str
    last_name: str
    org_email: str
    sent_at: str | None
    expires_at: float | None


_ROW_SELECT = """
    SELECT m.id, m.organization_id, COALESCE(o.name, '') AS organization_name, m.login,
           m.first_name, m.last_name, m.org_email, m.role, m.status,
           t.locked_until AS locked_until
    FROM {source}
    LEFT JOIN organizations o ON o.id = m.organization_id
    LEFT JOIN auth_throttle t
        ON t.scope = 'account' AND t.key = lower(m.login) AND t.locked_until > :now
"""


def search_members(
    db: Database,
    *,
    organization_id: int | None,
    match: str | None,
    status: str | None,
    group_id: int | None,
    now: float,
    limit: int,
    offset: int = 0,
    exclude_admins: bool = False,
) -> list[DirectoryRow]:
    """Members matching an FTS5 expression (None: all), by last and first name.

    Args:
        organization_id: One organization's members (None: every organization).
        match: An FTS5 query built by the service (quoted prefix terms), or None.
        status: One of ``STATUSES`` or None.
        group_id: Members of this group only.
        exclude_admins: Leave admin accounts out (a manager's view).
    """
    # The page's ids are chosen first over members alone (sorting every match of a
    # one-letter prefix is the costly part), then only those rows are joined.
    source = "members m"
    where: list[str] = []
    params: dict[str, Any] = {"now": now, "limit": limit, "offset": offset}
    if match:
        source = "members_fts f JOIN members m ON m.id = f.rowid"
        where.append("members_fts MATCH :match")
        params["match"] = match
    if organization_id is not None:
        where.append("m.organization_id = :org")
        params["org"] = organization_id
    if exclude_admins:
        where.append("m.role != 'admin'")
    if status == "locked":
        where.append(
            "EXISTS (SELECT 1 FROM auth_throttle l WHERE l.scope = 'account'"
            " AND l.key = lower(m.login) AND l.locked_until > :now)"
        )
    elif status is not None:
        where.append("m.status = :status")
        params["status"] = status
    if group_id is not None:
        where.append(
            "EXISTS (SELECT 1 FROM group_memberships g"
            " WHERE g.group_id = :group AND g.member_id = m.id)"
        )
        params["group"] = group_id
    order = " ORDER BY m.last_name, m.first_name, m.id"
    page = f"SELECT m.id FROM {source}"
    if where:
        page += " WHERE " + " AND ".join(where)
    page += order + " LIMIT :limit OFFSET :offset"
    sql = (
        f"WITH page AS ({page}) "
        + _ROW_SELECT.format(source="page JOIN members m ON m.id = page.id")
        + order
    )
    return [DirectoryRow(**dict(r)) for r in db.execute(sql, params).fetchall()]


def get_row(db: Database, member_id: int, now: float) -> DirectoryRow | None:
    """One member's directory row."""
    row = db.execute(
        _ROW_SELECT.format(source="members m") + " WHERE m.id = :id", {"id": member_id, "now": now}
    ).fetchone()
    return DirectoryRow(**dict(row)) if row else None


def count_locked(db: Database, organization_id: int | None, now: float) -> int:
    """Accounts the gate holds locked now (one organization's, or all)."""
    sql = (
        "SELECT count(*) FROM auth_throttle t JOIN members m ON lower(m.login) = t.key"
        " WHERE t.scope = 'account' AND t.locked_until > ?"
    )
    params: list[Any] = [now]
    if organization_id is not None:
        sql += " AND m.organization_id = ?"
        params.append(organization_id)
    return int(db.execute(sql, params).fetchone()[0])


def count_orders_to_ship(db: Database, organization_id: int | None) -> int:
    """Paid orders with a parcel still to send (one organization's, or all)."""
    sql = (
        "SELECT count(*) FROM orders WHERE status IN ('validated', 'preparing') AND has_postal = 1"
    )
    params: list[Any] = []
    if organization_id is not None:
        sql += " AND organization_id = ?"
        params.append(organization_id)
    return int(db.execute(sql, params).fetchone()[0])


def email_used(db: Database, organization_id: int, email: str) -> bool:
    """Whether a member of the organization already has this email (case-insensitive)."""
    row = db.execute(
        "SELECT EXISTS (SELECT 1 FROM members WHERE organization_id = ?"
        " AND lower(org_email) = lower(?))",
        [organization_id, email.strip()],
    ).fetchone()
    return bool(row[0])


def set_role(db: Database, member_id: int, role: str) -> bool:
    """Change a member's role; False when it already was that one."""
    cur = db.execute(
        "UPDATE members SET role = ? WHERE id = ? AND role != ?", [role, member_id, role]
    )
    return cur.rowcount == 1


def reactivate_member(db: Database, member_id: int, status: str) -> bool:
    """Give a deactivated account back ``status``; False when it was not deactivated."""
    cur = db.execute(
        "UPDATE members SET status = ? WHERE id = ? AND status = 'deactivated'",
        [status, member_id],
    )
    return cur.rowcount == 1


def has_password(db: Database, member_id: int) -> bool:
    """Whether the account ever chose a password (an invited one has none)."""
    row = db.execute("SELECT password_hash FROM members WHERE id = ?", [member_id]).fetchone()
    return bool(row and row[0])


def last_logins(db: Database, member_id: int, limit: int = 5) -> list[LoginEntry]:
    """A member's latest successful logins, newest first."""
    rows = db.execute(
        "SELECT at, ip, COALESCE(json_extract(details, '$.method'), '') AS method"
        " FROM audit_log WHERE actor_id = ? AND action = 'auth.login'"
        " ORDER BY id DESC LIMIT ?",
        [member_id, limit],
    ).fetchall()
    return [LoginEntry(**dict(r)) for r in rows]


def pending_invitations(
    db: Database, organization_id: int | None, *, exclude_admins: bool = False
) -> list[PendingInvitation]:
    """Invited accounts (one organization's, or all) with their latest open invitation."""
    sql = """
        SELECT m.id AS member_id, m.organization_id, COALESCE(o.name, '') AS organization_name,
               m.login, m.first_name, m.last_name, m.org_email,
               i.created_at AS sent_at, i.expires_at AS expires_at
        FROM members m
        LEFT JOIN organizations o ON o.id = m.organization_id
        LEFT JOIN invitations i ON i.id = (
            SELECT max(id) FROM invitations WHERE member_id = m.id AND status = 'open')
        WHERE m.status = 'invited'
    """
    params: list[Any] = []
    if organization_id is not None:
        sql += " AND m.organization_id = ?"
        params.append(organization_id)
    if exclude_admins:
        sql += " AND m.role != 'admin'"
    sql += " ORDER BY o.name, m.last_name, m.first_name"
    return [PendingInvitation(**dict(r)) for r in db.execute(sql, params).fetchall()]


# -- groups --------------------------------------------------------------------------------

_GROUP_SELECT = """
    SELECT g.id, g.organization_id, o.name AS organization_name, g.name,
           (SELECT count(*) FROM group_memberships gm WHERE gm.group_id = g.id) AS member_count
    FROM member_groups g JOIN organizations o ON o.id = g.organization_id
"""


def list_groups(db: Database, organization_id: int | None) -> list[Group]:
    """Groups of one organization (or all), by organization and name."""
    if organization_id is None:
        rows = db.execute(_GROUP_SELECT + " ORDER BY o.name, g.name")
    else:
        rows = db.execute(
            _GROUP_SELECT + " WHERE g.organization_id = ? ORDER BY g.name", [organization_id]
        )
    return [Group(**dict(r)) for r in rows.fetchall()]


def get_group(db: Database, group_id: int) -> Group | None:
    """One group by id."""
    row = db.execute(_GROUP_SELECT + " WHERE g.id = ?", [group_id]).fetchone()
    return Group(**dict(row)) if row else None


def group_name_taken(db: Database, organization_id: int, name: str, *, except_id: int = 0) -> bool:
    """Whether the organization has another group of this name (case-insensitive)."""
    row = db.execute(
        "SELECT EXISTS (SELECT 1 FROM member_groups WHERE organization_id = ? AND name = ?"
        " AND id != ?)",
        [organization_id, name, except_id],
    ).fetchone()
    return bool(row[0])


def create_group(db: Database, organization_id: int, name: str) -> int:
    """Insert a group and return its id."""
    cur = db.execute(
        "INSERT INTO member_groups (organization_id, name) VALUES (?, ?)", [organization_id, name]
    )
    return int(cur.lastrowid or 0)


def rename_group(db: Database, group_id: int, name: str) -> None:
    """Rename a group."""
    db.execute("UPDATE member_groups SET name = ? WHERE id = ?", [name, group_id])


def delete_group(db: Database, group_id: int) -> None:
    """Delete a group and its memberships."""
    db.execute("DELETE FROM group_memberships WHERE group_id = ?", [group_id])
    db.execute("DELETE FROM member_groups WHERE id = ?", [group_id])


def add_to_group(db: Database, group_id: int, member_id: int) -> bool:
    """Put a member in a group; False when already in it."""
    cur = db.execute(
        "INSERT OR IGNORE INTO group_memberships (group_id, member_id) VALUES (?, ?)",
        [group_id, member_id],
    )
    return cur.rowcount == 1


def remove_from_group(db: Database, group_id: int, member_id: int) -> bool:
    """Take a member out of a group; False when not in it."""
    cur = db.execute(
        "DELETE FROM group_memberships WHERE group_id = ? AND member_id = ?", [group_id, member_id]
    )
    return cur.rowcount == 1


def member_groups(db: Database, member_id: int) -> list[Group]:
    """The groups a member is in, by name."""
    rows = db.execute(
        _GROUP_SELECT + " JOIN group_memberships x ON x.group_id = g.id"
        " WHERE x.member_id = ? ORDER BY g.name",
        [member_id],
    )
    return [Group(**dict(r)) for r in rows.fetchall()]


def group_member_ids(db: Database, group_id: int) -> list[int]:
    """Ids of a group's members."""
    rows = db.execute(
        "SELECT member_id FROM group_memberships WHERE group_id = ? ORDER BY member_id",
        [group_id],
    )
    return [int(r[0]) for r in rows.fetchall()]


# -- organization settings -----------------------------------------------------------------


def get_settings(db: Database, organization_id: int) -> OrganizationSettings:
    """An organization's settings (defaults when never set)."""
    row = db.execute(
        "SELECT organization_id, require_twofactor, support_hours, support_contact"
        " FROM organization_settings WHERE organization_id = ?",
        [organization_id],
    ).fetchone()
    if row is None:
        return OrganizationSettings(organization_id, False, "", "")
    return OrganizationSettings(int(row[0]), bool(row[1]), str(row[2]), str(row[3]))


def save_settings(db: Database, settings: OrganizationSettings) -> None:
    """Insert or replace an organization's settings."""
    db.execute(
        "INSERT INTO organization_settings (organization_id, require_twofactor, support_hours,"
        " support_contact) VALUES (?, ?, ?, ?) ON CONFLICT (organization_id) DO UPDATE SET"
        " require_twofactor = excluded.require_twofactor,"
        " support_hours = excluded.support_hours, support_contact = excluded.support_contact,"
        " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')",
        [
            settings.organization_id,
            int(settings.require_twofactor),
            settings.support_hours,
            settings.support_contact,
        ],
    )


def set_identification_key(db: Database, organization_id: int, key: str) -> None:
    """Replace an organization's identification key."""
    db.execute(
        "UPDATE organizations SET identification_key = ? WHERE id = ?", [key, organization_id]
    )


def key_taken(db: Database, key: str) -> bool:
    """Whether any organization has this identification key (case-insensitive)."""
    row = db.execute(
        "SELECT EXISTS (SELECT 1 FROM organizations WHERE upper(identification_key) = upper(?))",
        [key],
    ).fetchone()
    return bool(row[0])


def get_urssaf_threshold(db: Database, organization_id: int, year: int) -> int | None:
    """An organization's own gift-voucher threshold for a year, if it set one."""
    row = db.execute(
        "SELECT threshold_cents FROM organization_urssaf WHERE organization_id = ? AND year = ?",
        [organization_id, year],
    ).fetchone()
    return int(row[0]) if row else None


def set_urssaf_threshold(
    db: Database, organization_id: int, year: int, threshold_cents: int | None
) -> None:
    """Set (or with None, forget) an organization's threshold for a year."""
    if threshold_cents is None:
        db.execute(
            "DELETE FROM organization_urssaf WHERE organization_id = ? AND year = ?",
            [organization_id, year],
        )
        return
    db.execute(
        "INSERT INTO organization_urssaf (organization_id, year, threshold_cents) VALUES (?, ?, ?)"
        " ON CONFLICT (organization_id, year) DO UPDATE SET"
        " threshold_cents = excluded.threshold_cents",
        [organization_id, year, threshold_cents],
    )


def organization_id_by_name(db: Database, name: str) -> int | None:
    """The organization of this name (case-insensitive), for the operators' commands."""
    row = db.execute(
        "SELECT id FROM organizations WHERE lower(name) = lower(?)", [name.strip()]
    ).fetchone()
    return int(row[0]) if row else None
