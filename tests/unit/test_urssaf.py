"""The URSSAF rule on gift vouchers: the whole amount becomes liable, per-event limits,
children-based events, the member's year at allocation and renewal, and the report."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from portal.data import family as family_data
from portal.data import wallet as wallet_data
from portal.services import allocations, clock, renewal, urssaf
from portal.services.allocations import AllocationRequest
from portal.services.errors import UserError
from portal.services.urssaf import assess
from tests.unit.test_wallet_support import NOW, YEAR, give, member, new_member

LIMIT = 20000  # 200 € in 2026


@pytest.fixture(autouse=True)
def june() -> Iterator[None]:
    with clock.use(clock.FrozenClock(NOW)):
        yield


def _liable(pools, event=None) -> int:  # type: ignore[no-untyped-def]
    return sum(p.liable_cents for p in pools if p.event == event)


# -- the rule itself ------------------------------------------------------------------------


def test_over_the_limit_the_whole_amount_is_liable_not_only_the_excess() -> None:
    assert _liable(assess({None: 20000}, threshold=LIMIT, year=YEAR)) == 0
    (pool,) = assess({None: 20001}, threshold=LIMIT, year=YEAR)
    assert pool.liable_cents == 20001 and pool.reason == "over"


def test_each_event_is_assessed_on_its_own() -> None:
    pools = assess(
        {None: 15000, "retirement": 18000, "saint_nicholas": 25000},
        threshold=LIMIT,
        year=YEAR,
    )
    assert _liable(pools) == 0 and _liable(pools, "retirement") == 0
    assert _liable(pools, "saint_nicholas") == 25000


def test_christmas_counts_the_employee_and_each_child_up_to_16() -> None:
    children = (2010, 2014, 2000)  # 16, 12 and 26 in 2026: two children count
    assert (
        _liable(
            assess({"christmas": 60000}, threshold=LIMIT, year=YEAR, children=children), "christmas"
        )
        == 0
    )
    pools = assess({"christmas": 60001}, threshold=LIMIT, year=YEAR, children=children)
    assert pools[0].limit_cents == 60000 and _liable(pools, "christmas") == 60001
    assert _liable(assess({"christmas": 20001}, threshold=LIMIT, year=YEAR), "christmas") == 20001


def test_back_to_school_needs_a_child_under_26() -> None:
    pools = assess({"back_to_school": 5000}, threshold=LIMIT, year=YEAR, children=(2000,))
    assert pools[0].liable_cents == 5000 and pools[0].reason == "no_child"  # 26: too old
    two = assess({"back_to_school": 40000}, threshold=LIMIT, year=YEAR, children=(2001, 2012))
    assert two[0].limit_cents == 40000 and two[0].liable_cents == 0


def test_events_whose_conditions_are_not_met_are_liable_whole() -> None:
    assert _liable(assess({"wedding": 100}, threshold=LIMIT, year=YEAR), "wedding") == 100
    married = assess({"wedding": 100}, threshold=LIMIT, year=YEAR, situation="pacs")
    assert _liable(married, "wedding") == 0
    assert (
        _liable(assess({"birth": 100}, threshold=LIMIT, year=YEAR, children=(2020,)), "birth")
        == 100
    )
    assert (
        _liable(assess({"birth": 100}, threshold=LIMIT, year=YEAR, children=(2026,)), "birth") == 0
    )


# -- against the member's year --------------------------------------------------------------


def test_an_allocation_is_checked_against_what_the_member_already_received(db, settings) -> None:
    marc, carol = member(db, "marc"), new_member(db)
    give(db, settings, carol, "gift", 15000)
    give(db, settings, carol, "culture", 15000)  # exempt, never counted
    request = AllocationRequest("gift", "Prime", 6000, YEAR, (carol.id,))
    preview = allocations.preview_allocation(db, marc, request, settings=settings)
    (warning,) = preview.warnings
    # 150 € alone was exempt; with 60 € more the whole 210 € is liable
    assert (warning.total_cents, warning.liable_cents, warning.added_liable_cents) == (
        21000,
        21000,
        21000,
    )
    assert preview.liable_cents == 21000
    with pytest.raises(UserError, match="URSSAF"):
        allocations.allocate(db, marc, request, settings=settings)


def test_a_christmas_voucher_with_children_passes_where_one_without_does_not(db, settings) -> None:
    marc, carol, dan = member(db, "marc"), new_member(db), new_member(db, "dan")
    family_data.set_children(db, carol.id, (2015,))
    request = AllocationRequest("gift", "Noël", 30000, YEAR, (carol.id, dan.id), event="christmas")
    preview = allocations.preview_allocation(db, marc, request, settings=settings)
    assert [(w.member_id, w.liable_cents) for w in preview.warnings] == [(dan.id, 30000)]


def test_renewal_checks_each_members_next_year(db, settings) -> None:
    marc, carol = member(db, "marc"), new_member(db)
    give(db, settings, carol, "gift", 12000, label="Cadeau")
    give(db, settings, carol, "gift", 10000, label="Bonus")
    before = wallet_data.ledger_size(db)
    preview = renewal.preview_renewal(db, YEAR + 1, actor=marc, settings=settings)
    # in 2027 both renewed vouchers make 220 € for carol: all of it liable
    assert [(w.member_id, w.liable_cents) for w in preview.warnings] == [(carol.id, 22000)]
    with pytest.raises(UserError, match="URSSAF"):
        renewal.renew(db, YEAR + 1, actor=marc, settings=settings)
    assert wallet_data.ledger_size(db) == before  # refused: nothing written
    result = renewal.renew(db, YEAR + 1, actor=marc, settings=settings, acknowledge_urssaf=True)
    assert result.liable_cents == 22000
    assert wallet_data.ledger_size(db) > before


def test_the_report_gives_each_members_totals_liable_amounts_and_vouchers(db, settings) -> None:
    marc, carol = member(db, "marc"), new_member(db)
    give(db, settings, carol, "gift", 25000, label="Prime")
    give(db, settings, carol, "gift", 10000, label="Fête", event="fathers_day")
    lines = {line.login: line for line in urssaf.report(db, marc, None, YEAR, settings=settings)}
    line = lines["carol"]
    assert (line.total_cents, line.liable_cents, line.exempt_cents) == (35000, 35000, 0)
    assert sorted(p.reason or "" for p in line.pools) == ["not_parent", "over"]
    assert {label for _id, label, _event, _cents in line.events} == {"Prime 2026", "Fête 2026"}
    alice = lines["alice"]  # demo: 120 € at Christmas (no child on record) and 50 €
    assert alice.total_cents == 17000 and alice.liable_cents == 0
    assert "bob" not in lines
    with pytest.raises(PermissionError):
        urssaf.report(db, member(db, "nina"), marc.organization_id, YEAR)
    assert urssaf.report(db, marc, None, YEAR - 5) == []


def test_the_organizations_own_threshold_of_the_year_comes_first(db, settings) -> None:
    from portal.services import organization

    marc, carol = member(db, "marc"), new_member(db)
    give(db, settings, carol, "gift", 5000)
    organization.set_urssaf_threshold(db, marc, YEAR, 4000)
    (line,) = [
        x for x in urssaf.report(db, marc, None, YEAR, settings=settings) if x.login == "carol"
    ]
    assert line.liable_cents == 5000


def test_portal_renew_lists_liable_members_and_needs_the_flag(settings, db, capsys) -> None:  # type: ignore[no-untyped-def]
    import argparse

    from portal.renew import add_renew_command

    carol = new_member(db)
    give(db, settings, carol, "gift", 15000, label="Prime")
    give(db, settings, carol, "gift", 10000, label="Bonus")
    parser = argparse.ArgumentParser()
    add_renew_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["renew", str(YEAR + 1)])
    assert args.func(settings, args) == 1
    out = capsys.readouterr().out
    assert "URSSAF: Carol Test" in out and "250.00 EUR liable" in out and "Nothing renewed" in out
    assert wallet_data.list_programs(db, None, YEAR + 1) == []
    forced = parser.parse_args(["renew", str(YEAR + 1), "--acknowledge-urssaf"])
    assert forced.func(settings, forced) == 0
    assert f"Renewed for {YEAR + 1}" in capsys.readouterr().out
