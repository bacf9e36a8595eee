"""Programs that follow their members; explicit years; duplicates; amounts per member;
subsidy rules edited for the future and switched off."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from sqlite_utils import Database

from portal.config import Settings
from portal.data import members as members_data
from portal.data import programs as programs_data
from portal.data import wallet as wallet_data
from portal.services import (
    allocations,
    audit,
    clock,
    files,
    invitations,
    member_admin,
    programs,
    renewal,
    subsidies,
)
from portal.services.allocations import AllocationRequest, DuplicateAllocation
from portal.services.errors import UserError
from tests.mail_helpers import bodies
from tests.unit.test_wallet_support import NOW, YEAR, member, new_member

PASSWORD = "Lanterne-Orage-Piano-77"


@pytest.fixture(autouse=True)
def june() -> Iterator[clock.FrozenClock]:
    """Monday 15 June 2026: 7 months of the year are left, June counted."""
    with clock.use(clock.FrozenClock(NOW)) as frozen:
        assert isinstance(frozen, clock.FrozenClock)
        yield frozen


def _held(db: Database, member_id: int, program_id: int) -> int | None:
    found = [a for a in wallet_data.member_allocations(db, member_id) if a.program_id == program_id]
    return found[0].balance_cents if found else None


def _allocate(db: Database, settings: Settings, request: AllocationRequest, **kw):  # type: ignore[no-untyped-def]
    return allocations.allocate(
        db, member(db, "marc"), request, settings=settings, acknowledge_urssaf=True, **kw
    )


# -- following the members ---------------------------------------------------------------


def test_a_member_invited_later_gets_the_everyone_program_pro_rata(db, settings) -> None:
    marc = member(db, "marc")
    program = _allocate(
        db, settings, AllocationRequest("culture", "Culture", 12000, YEAR, everyone=True)
    )
    assert program.target == "all" and program.members == 2
    invitations.invite(
        db,
        marc,
        first_name="Hugo",
        last_name="Petit",
        email="hugo.petit@demo.example",
        login="hugo",
        settings=settings,
    )
    hugo = members_data.get_member_by_login(db, "hugo")
    assert hugo is not None and _held(db, hugo.id, program.id) is None  # invited: not yet
    code = re.search(r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b", bodies(db)[-1])
    assert code
    invitations.activate(db, code.group(1), PASSWORD, PASSWORD)
    assert _held(db, hugo.id, program.id) == 12000 * 7 // 12  # June to December
    assert programs.reconcile(db) == 0  # idempotent
    assert _held(db, hugo.id, program.id) == 7000
    entry = audit.recent(db, organization_id=marc.organization_id, limit=5)
    assert any(e.action == "wallet.followed" for e in entry)


def test_whole_amount_for_late_joiners_when_the_program_says_so(db, settings) -> None:
    program = _allocate(
        db,
        settings,
        AllocationRequest("culture", "Culture", 5000, YEAR, everyone=True, late_joiners="whole"),
    )
    carol = new_member(db)  # e.g. a CSV import: the housekeeping job catches it
    assert programs.reconcile(db) >= 1  # the demo's programs for everyone too
    assert _held(db, carol.id, program.id) == 5000
    assert programs.reconcile(db) == 0


def test_group_programs_follow_who_enters_and_leaves(db, settings, services) -> None:
    marc = member(db, "marc")
    group = member_admin.create_group(db, marc, "Atelier")
    alice, carol = member(db, "alice"), new_member(db)
    member_admin.add_to_group(db, marc, group.id, alice.id)
    program = _allocate(
        db, settings, AllocationRequest("gift", "Atelier", 6000, YEAR, group_ids=(group.id,))
    )
    assert program.target == "group" and program.members == 1
    assert _held(db, carol.id, program.id) is None
    member_admin.add_to_group(db, marc, group.id, carol.id)  # enters later: pro rata
    assert _held(db, carol.id, program.id) == 3500
    # alice leaves: what was credited stays, nothing more is credited, not renewed
    member_admin.remove_from_group(db, marc, group.id, alice.id)
    assert _held(db, alice.id, program.id) == 6000
    member_admin.add_to_group(db, marc, group.id, alice.id)
    assert _held(db, alice.id, program.id) == 6000  # never twice
    member_admin.remove_from_group(db, marc, group.id, alice.id)
    result = renewal.renew(db, YEAR + 1, actor=marc, settings=settings)
    assert result.programs >= 1
    renewed = [
        p for p in wallet_data.list_programs(db, None, YEAR + 1) if p.label == "Atelier 2027"
    ]
    assert len(renewed) == 1 and renewed[0].target == "group"
    assert wallet_data.program_member_ids(db, renewed[0].id) == [carol.id]


def test_a_deactivated_member_keeps_what_was_credited_and_gets_nothing_more(
    db, settings, services
) -> None:
    marc = member(db, "marc")
    carol = new_member(db)
    first = _allocate(db, settings, AllocationRequest("culture", "Un", 2000, YEAR, everyone=True))
    member_admin.deactivate_member(db, marc, carol.id, sessions=services.sessions)
    second = _allocate(
        db, settings, AllocationRequest("culture", "Deux", 2000, YEAR, everyone=True)
    )
    programs.reconcile(db)
    assert _held(db, carol.id, first.id) == 2000
    assert _held(db, carol.id, second.id) is None
    assert carol.id not in wallet_data.program_member_ids(db, second.id)


def test_pro_rata_arithmetic() -> None:
    jan, dec = dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)
    assert programs.prorata(12000, jan, dec, dt.date(YEAR - 1, 12, 1)) == 12000  # before start
    assert programs.prorata(12000, jan, dec, dt.date(YEAR, 1, 31)) == 12000
    assert programs.prorata(12000, jan, dec, dt.date(YEAR, 12, 31)) == 1000
    assert programs.prorata(10000, jan, dec, dt.date(YEAR, 2, 1)) == 9166  # rounded down
    assert programs.prorata(12000, jan, dec, dt.date(YEAR + 1, 1, 1)) == 0


# -- years ----------------------------------------------------------------------------------


def test_names_say_their_year_and_renewal_says_the_next() -> None:
    assert programs.program_label("Cadeau", 2026) == "Cadeau 2026"
    assert programs.program_label("Subvention cinéma 2026", 2027) == "Subvention cinéma 2027"
    assert programs.program_label("Noël 2025-2026", 2027) == "Noël 2025-2027"
    assert programs.program_label("Prime  2026 ", 2026) == "Prime 2026"


def test_renewal_creates_next_years_program_under_next_years_name(db, settings) -> None:
    marc = member(db, "marc")
    result = renewal.renew(db, YEAR + 1, actor=marc, settings=settings)
    names = {p.label for p in wallet_data.list_programs(db, marc.organization_id, YEAR + 1)}
    assert "Subvention cinéma 2027" in names and "E-chèque culture 2027" in names
    assert not any("2026" in n for n in names) and result.programs == len(names)
    renewed = [p for p in wallet_data.list_programs(db, marc.organization_id, YEAR + 1)]
    assert all(
        p.valid_from == dt.date(2027, 1, 1) and p.valid_until == dt.date(2027, 12, 31)
        for p in renewed
    )


def test_past_periods_are_refused(db, settings) -> None:
    carol = new_member(db)
    before = wallet_data.ledger_size(db)
    for request in (
        AllocationRequest("gift", "Vieux", 1000, YEAR - 1, (carol.id,)),
        AllocationRequest(
            "gift", "Fini", 1000, YEAR, (carol.id,), valid_until=dt.date(YEAR, 6, 14)
        ),
    ):
        with pytest.raises(UserError, match="period is over"):
            _allocate(db, settings, request)
    with pytest.raises(UserError, match="is over"):
        renewal.renew(db, YEAR - 1, actor=member(db, "marc"), settings=settings)
    assert wallet_data.ledger_size(db) == before


def test_a_second_identical_allocation_within_a_minute_needs_confirmation(
    db, settings, june
) -> None:
    carol = new_member(db)
    request = AllocationRequest("culture", "Livres", 1500, YEAR, (carol.id,))
    first = _allocate(db, settings, request)
    june.advance(30)
    preview = allocations.preview_allocation(db, member(db, "marc"), request, settings=settings)
    assert preview.duplicate_of == first.id
    with pytest.raises(DuplicateAllocation, match="less than a minute"):
        _allocate(db, settings, request)
    assert len(wallet_data.member_allocations(db, carol.id)) == 1
    _allocate(db, settings, request, confirm_duplicate=True)
    assert len(wallet_data.member_allocations(db, carol.id)) == 2
    june.advance(61)
    _allocate(db, settings, request)  # a minute later: no question
    other = AllocationRequest("culture", "Livres", 1500, YEAR, (member(db, "alice").id,))
    assert (
        allocations.preview_allocation(
            db, member(db, "marc"), other, settings=settings
        ).duplicate_of
        is None
    )  # other members: not the same allocation


# -- amounts per member --------------------------------------------------------------------


def test_amounts_per_member_from_a_csv_in_the_inbox(db, settings) -> None:
    marc = member(db, "marc")
    carol = new_member(db)
    inbox = files.inbox_dir(settings, "marc")
    (inbox / "primes.csv").write_text(
        "login;amount\nalice;30\ncarol;45,50\nbob;10\nnobody;5\nalice;1\ncarol\ndan;abc\n",
        encoding="utf-8",
    )
    checked = programs.read_amounts(db, marc, settings, "primes.csv")
    assert [(line.login, line.amount_cents) for line in checked.lines] == [
        ("alice", 3000),
        ("carol", 4550),
    ]
    assert [number for number, _msg, _params in checked.errors] == [4, 5, 6, 7, 8]
    before = wallet_data.ledger_size(db)
    assert wallet_data.ledger_size(db) == before  # a dry run writes nothing
    program = _allocate(
        db, settings, AllocationRequest("culture", "Primes", 0, YEAR, amounts=checked.amounts)
    )
    assert _held(db, carol.id, program.id) == 4550
    assert _held(db, member(db, "alice").id, program.id) == 3000
    result = renewal.renew(db, YEAR + 1, actor=marc, settings=settings)
    assert result.programs >= 1
    renewed = [p for p in wallet_data.list_programs(db, None, YEAR + 1) if p.label == "Primes 2027"]
    assert programs_data.program_amounts(db, renewed[0].id) == {
        member(db, "alice").id: 3000,
        carol.id: 4550,
    }


# -- subsidy rules -------------------------------------------------------------------------


def _cinema(db: Database):  # type: ignore[no-untyped-def]
    return next(r for r in subsidies.list_rules(db, member(db, "marc")) if r.category == "cinema")


def test_a_rule_edited_for_the_future_keeps_its_terms_before(db, june) -> None:
    marc = member(db, "marc")
    rule = _cinema(db)
    assert [r.percent_bp for r in subsidies.grid(rule)] == [7000, 5000, 3000]
    with pytest.raises(UserError, match="past"):
        subsidies.edit_rule(
            db, marc, rule.id, effective_from=dt.date(YEAR, 6, 1), mode="percent", percent_bp=1000
        )
    edited = subsidies.edit_rule(
        db,
        marc,
        rule.id,
        effective_from=dt.date(YEAR, 9, 1),
        mode="percent",
        percent_bp=4000,
        cap_per_item_cents=500,
        brackets=[(500, 6000, None), (800, 5500, None), (1100, 5000, None), (1500, 4500, None)],
    )
    assert [(g.qf_min, g.qf_max, g.percent_bp) for g in subsidies.grid(edited)] == [
        (None, 500, 6000),
        (501, 800, 5500),
        (801, 1100, 5000),
        (1101, 1500, 4500),
        (1501, None, 4000),
    ]
    today = _cinema(db)  # June: the old terms still apply, and the change is announced
    assert today.percent_bp == 3000 and today.next_change == dt.date(YEAR, 9, 1)
    assert subsidies.subsidy_per_item(today, 1000, 850) == 400  # 50 % capped at 4,00
    june.set(dt.datetime(YEAR, 9, 2, 8, tzinfo=dt.UTC))
    autumn = _cinema(db)
    assert autumn.percent_bp == 4000 and subsidies.subsidy_per_item(autumn, 1000, 850) == 500
    assert len(subsidies.rule_versions(db, marc, rule.id)) == 1


def test_a_rule_switched_off_no_longer_applies(db, settings) -> None:
    from portal.services import spending

    marc, alice = member(db, "marc"), member(db, "alice")
    rule = _cinema(db)
    assert spending.applicable_benefits(db, alice, "cinema", "eticket")[0].kind == "subsidy"
    assert not subsidies.set_rule_active(db, marc, rule.id, False).active
    assert all(
        b.kind != "subsidy" for b in spending.applicable_benefits(db, alice, "cinema", "eticket")
    )
    with pytest.raises(UserError, match="switched off"):
        _allocate(
            db,
            settings,
            AllocationRequest("subsidy", "S", 1000, YEAR, (alice.id,), rule_id=rule.id),
        )
    with pytest.raises(PermissionError):
        subsidies.set_rule_active(db, member(db, "nina"), rule.id, True)
