"""Family data: who reads and writes it, proven fields, the quotient from a tax notice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlite_utils import Database

from portal.data import audit as audit_data
from portal.data import family as family_data
from portal.data import members as members_data
from portal.data.members import Member
from portal.data.subsidies import Bracket, SubsidyRule
from portal.services import family, subsidies
from portal.services.family import FamilyError


def member(db: Database, login: str) -> Member:
    found = members_data.get_member_by_login(db, login)
    assert found is not None
    return found


def test_quotient_from_tax_notice() -> None:
    assert family.quotient_from_tax_notice(30_600, "2,5") == 1020
    assert family.quotient_from_tax_notice(18_000, Decimal("2.5")) == 600
    assert family.quotient_from_tax_notice(25_000, "1") == 2083  # 2083.33
    assert family.quotient_from_tax_notice(25_002, "1") == 2084  # 2083.5 rounds up
    assert family.quotient_from_tax_notice(40_000, "3.25") == 1026  # 1025.64
    assert family.quotient_from_tax_notice(0, "1") == 0
    for parts in ("0", "0.5", "2.3", "x", "", "nan", "-1"):
        with pytest.raises(FamilyError):
            family.quotient_from_tax_notice(20_000, parts)
    with pytest.raises(FamilyError):
        family.quotient_from_tax_notice(-1, "1")


def test_parse_birth_years() -> None:
    assert family.parse_birth_years("2018, 2015 2020") == (2015, 2018, 2020)
    assert family.parse_birth_years("") == ()
    for bad in ("deux mille", "1899", "3000", "٢٠١٥"):
        with pytest.raises(FamilyError):
            family.parse_birth_years(bad)


def test_who_may_read(db: Database) -> None:
    alice = member(db, "alice")
    assert family.get_family(db, alice, alice.id).quotient_familial == 850
    assert family.get_family(db, member(db, "marc"), alice.id).quotient_familial == 850
    assert family.get_family(db, member(db, "admin"), alice.id).quotient_familial == 850
    for other in ("bob", "nina"):
        with pytest.raises(PermissionError):
            family.get_family(db, member(db, other), alice.id)


def test_managers_set_unproven_fields_and_it_is_audited(db: Database) -> None:
    marc, alice = member(db, "marc"), member(db, "alice")
    data = family.set_family(db, marc, alice.id, situation="pacs", children_birth_years=(2020,))
    assert (data.situation, data.children_birth_years) == ("pacs", (2020,))
    assert data.quotient_familial == 850  # kept
    [entry] = [e for e in audit_data.recent(db) if e.action == "family.updated"][:1]
    assert entry.target == f"member:{alice.id}" and entry.details["fields"] == [
        "situation",
        "children",
    ]
    family.set_family(db, marc, alice.id, children_birth_years=())
    assert family.get_family(db, alice, alice.id).children_birth_years == ()


def test_bad_values_change_nothing(db: Database) -> None:
    marc, alice = member(db, "marc"), member(db, "alice")
    with pytest.raises(FamilyError):
        family.set_family(db, marc, alice.id, situation="complicated")
    with pytest.raises(FamilyError):
        family.set_family(db, marc, alice.id, situation="single", children_birth_years=(1800,))
    assert family_data.get_situation(db, alice.id) is None


def test_proven_fields_are_refused(db: Database) -> None:
    marc, alice = member(db, "marc"), member(db, "alice")
    # the demo's validated tax notice proves alice's quotient familial
    assert "quotient_familial" in family.get_family(db, alice, alice.id).proven_by
    with pytest.raises(FamilyError):
        family.set_family(db, marc, alice.id, quotient_familial=100, situation="single")
    assert family_data.get_situation(db, alice.id) is None  # all or nothing


def test_only_managers_of_the_organization_write(db: Database) -> None:
    alice, bob = member(db, "alice"), member(db, "bob")
    for actor in ("alice", "nina", "bob"):
        with pytest.raises(PermissionError):
            family.set_family(db, member(db, actor), alice.id, situation="single")
    family.set_family(db, member(db, "nina"), bob.id, situation="single")
    family.set_family(db, member(db, "admin"), bob.id, situation="married")
    assert family.get_family(db, bob, bob.id).situation == "married"


def _rule(percent_bp: int, brackets: tuple[Bracket, ...]) -> SubsidyRule:
    return SubsidyRule(
        1, 1, "r", "cinema", None, "percent", percent_bp, 0, None, None, None, True, brackets
    )


def test_an_unknown_quotient_gets_the_least_favourable_bracket() -> None:
    generous_base = _rule(8000, (Bracket(1, 700, 5000, None), Bracket(2, 1200, 2000, None)))
    assert subsidies.subsidy_per_item(generous_base, 1000, None) == 200
    assert subsidies.subsidy_per_item(generous_base, 1000, 5000) == 800  # above every bound
    capped = _rule(3000, (Bracket(1, 700, 7000, None), Bracket(2, None, 4000, None)))
    assert subsidies.subsidy_per_item(capped, 1000, None) == 400  # the base is unreachable
    assert subsidies.subsidy_per_item(_rule(3000, ()), 1000, None) == 300
    fixed = SubsidyRule(
        2,
        1,
        "f",
        "leisure",
        None,
        "fixed",
        0,
        1500,
        None,
        None,
        None,
        True,
        (Bracket(3, 700, None, 2500),),
    )
    assert subsidies.subsidy_per_item(fixed, 4000, None) == 1500
    assert subsidies.subsidy_per_item(fixed, 4000, 600) == 2500
