"""Organization settings: key, 2FA for members (enforced at login), support, URSSAF."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from portal.data import members as members_data
from portal.data.members import Member
from portal.services import audit, organization, signup
from portal.services.gate import GateError
from portal.services.organization import OrganizationError
from portal.services.runtime import Services


def get(db: Database, login: str) -> Member:
    member = members_data.get_member_by_login(db, login)
    assert member is not None
    return member


def test_show_and_regenerate_the_key(db: Database, services: Services) -> None:
    marc = get(db, "marc")
    view = organization.show(db, marc, settings=services.settings)
    assert view.organization.name == "CSE Démo"
    assert view.organization.identification_key == "DEMO-2026"
    key = organization.regenerate_key(db, marc)
    assert key != "DEMO-2026" and len(key) == 9
    entry = audit.recent(db, limit=1)[0]
    assert entry.action == "organization.key_regenerated" and entry.actor_id == marc.id
    assert key not in str(entry.details)
    assert signup.check_key(db, key).organization is not None
    with pytest.raises(GateError):
        signup.check_key(db, "DEMO-2026")  # the old key stopped working at once


def test_a_manager_is_refused_another_organizations_settings(
    db: Database, services: Services
) -> None:
    marc, nina = get(db, "marc"), get(db, "nina")
    other = nina.organization_id
    calls = [
        lambda: organization.show(db, marc, settings=services.settings, organization_id=other),
        lambda: organization.regenerate_key(db, marc, organization_id=other),
        lambda: organization.set_require_twofactor(db, marc, True, organization_id=other),
        lambda: organization.set_support(db, marc, "9h", "x", organization_id=other),
        lambda: organization.set_urssaf_threshold(db, marc, 2026, 100, organization_id=other),
    ]
    for call in calls:
        with pytest.raises(PermissionError):
            call()
    with pytest.raises(PermissionError):
        organization.show(db, get(db, "alice"), settings=services.settings)
    members_data.set_status(db, marc.id, "deactivated")
    with pytest.raises(PermissionError):
        organization.regenerate_key(db, marc)
    assert members_data.get_organization(db, other or 0).identification_key == "HORIZON-2026"  # type: ignore[union-attr]


def test_an_admin_changes_any_organization(db: Database, services: Services) -> None:
    admin, bob = get(db, "admin"), get(db, "bob")
    organization.set_support(
        db,
        admin,
        "du lundi au vendredi",
        "cse@horizon.example",
        organization_id=bob.organization_id,
    )
    assert organization.support_info(db, bob.organization_id or 0) == (
        "du lundi au vendredi",
        "cse@horizon.example",
    )
    assert [o.name for o in organization.list_organizations(db, admin)] == [
        "CSE Démo",
        "CSE Horizon",
    ]
    assert [o.name for o in organization.list_organizations(db, get(db, "nina"))] == ["CSE Horizon"]


def test_support_text_is_checked(db: Database) -> None:
    marc = get(db, "marc")
    before = organization.support_info(db, marc.organization_id or 0)  # the demo's
    with pytest.raises(OrganizationError):
        organization.set_support(db, marc, "9h\x1b[31m", "x")
    with pytest.raises(OrganizationError):
        organization.set_support(db, marc, "x" * 201, "x")
    assert organization.support_info(db, marc.organization_id or 0) == before
    organization.set_support(db, marc, " de 9h à 12h30 ", "01 23 45 67 89")
    assert organization.support_info(db, marc.organization_id or 0) == (
        "de 9h à 12h30",
        "01 23 45 67 89",
    )
    assert audit.recent(db, limit=1)[0].action == "organization.support_changed"


def test_twofactor_required_for_members(db: Database) -> None:
    marc, alice, bob = get(db, "marc"), get(db, "alice"), get(db, "bob")
    assert not organization.twofactor_required(db, alice)
    assert organization.twofactor_required(db, marc)  # managers always
    organization.set_require_twofactor(db, marc, True)
    assert organization.twofactor_required(db, alice)
    assert not organization.twofactor_required(db, bob)
    assert audit.recent(db, limit=1)[0].details == {"required": True}


async def test_the_gate_asks_a_member_to_enrol_when_the_organization_requires_it(
    db: Database, services: Services
) -> None:
    from portal.ssh.auth import Gatekeeper
    from portal.ssh.registry import SessionRegistry
    from portal.ssh.runtime import ServerRuntime

    runtime = ServerRuntime(services, SessionRegistry(services.settings))
    alice = get(db, "alice")
    gatekeeper = Gatekeeper(runtime, "127.0.0.1")
    assert await gatekeeper._let_in(alice, "password", twofactor=False)
    assert not gatekeeper.must_enroll_twofactor
    organization.set_require_twofactor(db, get(db, "marc"), True)
    gatekeeper = Gatekeeper(runtime, "127.0.0.1")
    assert await gatekeeper._let_in(alice, "password", twofactor=False)
    assert gatekeeper.must_enroll_twofactor
    gatekeeper = Gatekeeper(runtime, "127.0.0.1")
    assert await gatekeeper._let_in(alice, "password", twofactor=True)
    assert not gatekeeper.must_enroll_twofactor


def test_urssaf_threshold_of_the_year(db: Database, services: Services) -> None:
    marc = get(db, "marc")
    org = marc.organization_id or 0
    view = organization.show(db, marc, settings=services.settings)
    assert view.urssaf_threshold_cents == organization.threshold_for(
        db, services.settings, org, view.year
    )
    assert not view.urssaf_own
    assert organization.parse_threshold("250,50") == 25050
    assert organization.parse_threshold(" ") is None
    for bad in ("abc", "-3", "1e9", "nan"):
        with pytest.raises(OrganizationError):
            organization.parse_threshold(bad)
    organization.set_urssaf_threshold(db, marc, view.year, 25000)
    again = organization.show(db, marc, settings=services.settings)
    assert again.urssaf_threshold_cents == 25000 and again.urssaf_own
    assert organization.threshold_for(db, services.settings, org, view.year) == 25000
    assert (
        organization.threshold_for(
            db, services.settings, get(db, "bob").organization_id or 0, view.year
        )
        == view.urssaf_threshold_cents
    )
    organization.set_urssaf_threshold(db, marc, view.year, None)
    assert not organization.show(db, marc, settings=services.settings).urssaf_own
    assert audit.recent(db, limit=1)[0].action == "organization.urssaf_threshold"


def test_create_organization_for_operators(db: Database) -> None:
    created = organization.create_organization(db, "  CSE Acme ")
    assert created.name == "CSE Acme" and created.identification_key
    with pytest.raises(OrganizationError):
        organization.create_organization(db, "cse acme")
    with pytest.raises(OrganizationError):
        organization.create_organization(db, "")


def test_the_organizations_threshold_drives_the_urssaf_warnings(
    db: Database, services: Services
) -> None:
    from portal.services import allocations
    from portal.services.allocations import AllocationRequest

    marc = get(db, "marc")
    year = organization.this_year()
    request = AllocationRequest(
        kind="gift",
        label="Petit cadeau",
        amount_cents=100,
        year=year,
        member_ids=(get(db, "alice").id,),
    )
    assert (
        allocations.preview_allocation(db, marc, request, settings=services.settings).warnings == ()
    )
    organization.set_urssaf_threshold(db, marc, year, 50)
    warnings = allocations.preview_allocation(
        db, marc, request, settings=services.settings
    ).warnings
    assert [w.threshold_cents for w in warnings] == [50]
