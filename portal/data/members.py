"""Organizations and members: small typed queries returning dataclasses."""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database


@dataclass(frozen=True)
class Organization:
    """A works council (CSE) and its members' employer."""

    id: int
    name: str
    identification_key: str | None
    guest_listed: bool = False
    """Named in the guest entry's list (key ``0``): the organization opted in."""


@dataclass(frozen=True)
class Member:
    """A person who may log in: member, manager (of one organization) or admin."""

    id: int
    organization_id: int | None
    organization_name: str
    login: str
    first_name: str
    last_name: str
    org_email: str
    role: str
    status: str
    language: str

    @property
    def full_name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"

    @property
    def is_manager(self) -> bool:
        """Managers and admins reach the management screens."""
        return self.role in ("manager", "admin")


_MEMBER_SELECT = """
    SELECT m.id, m.organization_id, COALESCE(o.name, '') AS organization_name, m.login,
           m.first_name, m.last_name, m.org_email, m.role, m.status, m.language
    FROM members m LEFT JOIN organizations o ON o.id = m.organization_id
"""


def _member(row: object) -> Member:
    return Member(**dict(row))  # type: ignore[call-overload]


def create_organization(db: Database, name: str, identification_key: str | None) -> int:
    """Insert an organization and return its id."""
    cur = db.execute(
        "INSERT INTO organizations (name, identification_key) VALUES (?, ?)",
        [name, identification_key],
    )
    return int(cur.lastrowid or 0)


_ORGANIZATION_SELECT = "SELECT id, name, identification_key, guest_listed FROM organizations"


def _organization(row: object) -> Organization:
    values = dict(row)  # type: ignore[call-overload]
    values["guest_listed"] = bool(values["guest_listed"])
    return Organization(**values)


def list_organizations(db: Database) -> list[Organization]:
    """Every organization, by name."""
    rows = db.execute(_ORGANIZATION_SELECT + " ORDER BY name")
    return [_organization(r) for r in rows.fetchall()]


def list_guest_listed_organizations(db: Database) -> list[Organization]:
    """The organizations that opted in to the guest entry's list (key ``0``), by name."""
    rows = db.execute(_ORGANIZATION_SELECT + " WHERE guest_listed = 1 ORDER BY name")
    return [_organization(r) for r in rows.fetchall()]


def get_organization(db: Database, organization_id: int) -> Organization | None:
    """One organization by id."""
    row = db.execute(_ORGANIZATION_SELECT + " WHERE id = ?", [organization_id]).fetchone()
    return _organization(row) if row else None


def set_guest_listed(db: Database, organization_id: int, listed: bool) -> bool:
    """Opt an organization in to (or out of) the guest entry's list.

    Returns:
        False when no such organization exists.
    """
    cur = db.execute(
        "UPDATE organizations SET guest_listed = ? WHERE id = ?", [int(listed), organization_id]
    )
    return cur.rowcount == 1


def login_in_use(db: Database, login: str) -> bool:
    """True when a member (of any organization, in any status) has this login."""
    row = db.execute("SELECT EXISTS (SELECT 1 FROM members WHERE login = ?)", [login]).fetchone()
    return bool(row[0])


def create_member(
    db: Database,
    *,
    organization_id: int | None,
    login: str,
    first_name: str,
    last_name: str,
    org_email: str,
    password_hash: str | None,
    role: str = "member",
    status: str = "active",
    language: str = "fr",
) -> int:
    """Insert a member and return its id."""
    cur = db.execute(
        "INSERT INTO members (organization_id, login, first_name, last_name, org_email, role,"
        " status, language, password_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            organization_id,
            login,
            first_name,
            last_name,
            org_email,
            role,
            status,
            language,
            password_hash,
        ],
    )
    return int(cur.lastrowid or 0)


def get_member(db: Database, member_id: int) -> Member | None:
    """One member by id."""
    row = db.execute(_MEMBER_SELECT + " WHERE m.id = ?", [member_id]).fetchone()
    return _member(row) if row else None


def get_member_by_login(db: Database, login: str) -> Member | None:
    """One member by login (case-insensitive)."""
    row = db.execute(_MEMBER_SELECT + " WHERE m.login = ?", [login]).fetchone()
    return _member(row) if row else None


def get_password_hash(db: Database, member_id: int) -> str | None:
    """The stored argon2 hash of a member's password."""
    row = db.execute("SELECT password_hash FROM members WHERE id = ?", [member_id]).fetchone()
    return row[0] if row else None


def set_password_hash(db: Database, member_id: int, password_hash: str) -> None:
    """Replace a member's password hash."""
    db.execute("UPDATE members SET password_hash = ? WHERE id = ?", [password_hash, member_id])


def set_language(db: Database, member_id: int, language: str) -> None:
    """Store a member's language preference."""
    db.execute("UPDATE members SET language = ? WHERE id = ?", [language, member_id])


def set_status(db: Database, member_id: int, status: str) -> None:
    """Change a member's account status."""
    db.execute("UPDATE members SET status = ? WHERE id = ?", [status, member_id])


def list_members(db: Database, organization_id: int) -> list[Member]:
    """Members of one organization, by last name."""
    rows = db.execute(
        _MEMBER_SELECT + " WHERE m.organization_id = ? ORDER BY m.last_name, m.first_name",
        [organization_id],
    )
    return [_member(r) for r in rows.fetchall()]


def has_organizations(db: Database) -> bool:
    """True when any organization exists."""
    return bool(db.execute("SELECT EXISTS (SELECT 1 FROM organizations)").fetchone()[0])
