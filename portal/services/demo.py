"""Demo data: two organizations so that isolation can be seen.

Other features add their own demo data through ``DEMO_SEEDERS`` (functions taking the
database and the ids created here), so this module stays small.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlite_utils import Database

from portal.data import members as members_data
from portal.data.db import transaction, truncate_all
from portal.services.passwords import hash_password


@dataclass(frozen=True)
class DemoLogin:
    """A demo account, printed by `make serve`."""

    login: str
    password: str
    role: str
    organization: str


DEMO_ORG = "CSE Démo"
OTHER_ORG = "CSE Horizon"
DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("alice", "Soleil-Vert-2026!", "member", DEMO_ORG),
    DemoLogin("marc", "Gestion-Marc-2026!", "manager", DEMO_ORG),
    DemoLogin("admin", "Admin-Portail-2026!", "admin", DEMO_ORG),
    DemoLogin("bob", "Horizon-Bob-2026!", "member", OTHER_ORG),
    DemoLogin("nina", "Horizon-Nina-2026!", "manager", OTHER_ORG),
)
_PEOPLE = {
    "alice": ("Alice", "Martin", "alice.martin@demo.example", "fr"),
    "marc": ("Marc", "Dubois", "marc.dubois@demo.example", "fr"),
    "admin": ("Admin", "Portail", "admin@portal.example", "fr"),
    "bob": ("Bob", "Lefèvre", "bob.lefevre@horizon.example", "en"),
    "nina": ("Nina", "Roux", "nina.roux@horizon.example", "fr"),
}

DemoSeeder = Callable[[Database, dict[str, int], dict[str, int]], None]
"""Adds a feature's demo data; gets organization ids by name and member ids by login."""
DEMO_SEEDERS: list[DemoSeeder] = []


def has_data(db: Database) -> bool:
    """True when any organization exists (demo data is only created on an empty base)."""
    return members_data.has_organizations(db)


def seed(db: Database, seeders: Iterable[DemoSeeder]) -> list[DemoLogin]:
    """Create the demo organizations, people and each feature's demo data.

    Args:
        seeders: Each feature's seeder (``registry.demo_seeders()``): passed in, so that
            this module never imports the features that import it.
    """
    with transaction(db):
        orgs = {
            DEMO_ORG: members_data.create_organization(db, DEMO_ORG, "DEMO-2026"),
            OTHER_ORG: members_data.create_organization(db, OTHER_ORG, "HORIZON-2026"),
        }
        # The guest entry's "0" list names only organizations that opted in: Démo did.
        members_data.set_guest_listed(db, orgs[DEMO_ORG], True)
        ids: dict[str, int] = {}
        for demo in DEMO_LOGINS:
            first, last, email, language = _PEOPLE[demo.login]
            ids[demo.login] = members_data.create_member(
                db,
                organization_id=orgs[demo.organization],
                login=demo.login,
                first_name=first,
                last_name=last,
                org_email=email,
                password_hash=hash_password(demo.password),
                role=demo.role,
                language=language,
            )
        for seeder in seeders:
            seeder(db, orgs, ids)
    return list(DEMO_LOGINS)


def reset(db: Database, seeders: Iterable[DemoSeeder]) -> list[DemoLogin]:
    """Empty every table (even the append-only audit log) and seed again (``portal demo``)."""
    truncate_all(db)
    return seed(db, seeders)
