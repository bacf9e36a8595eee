"""Benefits: the ledger, subsidy arithmetic, allocation order, URSSAF, lapsing and renewal."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from portal.data import wallet as wallet_data
from portal.data.db import transaction
from portal.data.subsidies import Bracket, SubsidyRule
from portal.services import allocations, audit, benefits, clock, renewal, spending, subsidies
from portal.services.allocations import AllocationRequest
from portal.services.errors import UserError
from portal.services.spending import plan_benefits
from tests.typography import fr
from tests.unit.test_wallet_support import TODAY, YEAR, give, line, member, new_member


def _rule(mode: str = "percent", **kw) -> SubsidyRule:  # type: ignore[no-untyped-def]
    base = dict(
        id=1,
        organization_id=1,
        label="r",
        category="cinema",
        offer_kind=None,
        mode=mode,
        percent_bp=0,
        fixed_cents=0,
        cap_per_item_cents=None,
        cap_per_year_cents=None,
        max_count=None,
        active=True,
        brackets=(),
    )
    base.update(kw)
    return SubsidyRule(**base)


# -- ledger ---------------------------------------------------------------------------------


def test_an_allocation_is_credited_through_the_ledger(db, settings) -> None:
    carol = new_member(db)
    allocation_id = give(db, settings, carol, "gift", 5000)
    entries = wallet_data.allocation_entries(db, allocation_id)
    assert [(e.entry, e.amount_cents) for e in entries] == [("grant", 5000)]
    assert wallet_data.balance(db, allocation_id) == 5000


def test_debit_is_refused_when_the_balance_does_not_cover_it(db, settings) -> None:
    carol = new_member(db)
    allocation_id = give(db, settings, carol, "gift", 1000)
    with transaction(db):
        assert wallet_data.debit(
            db, allocation_id=allocation_id, member_id=carol.id, amount_cents=600
        )
        assert not wallet_data.debit(
            db, allocation_id=allocation_id, member_id=carol.id, amount_cents=600
        )
    assert wallet_data.balance(db, allocation_id) == 400


def test_the_database_refuses_an_overdraft_and_edits(db, settings) -> None:
    carol = new_member(db)
    allocation_id = give(db, settings, carol, "gift", 1000)
    with pytest.raises(sqlite3.IntegrityError, match="negative"):
        db.execute(
            "INSERT INTO wallet_ledger (allocation_id, member_id, entry, amount_cents)"
            " VALUES (?, ?, 'debit', -1001)",
            [allocation_id, carol.id],
        )
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE wallet_ledger SET amount_cents = 99999")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM wallet_ledger")
    assert wallet_data.balance(db, allocation_id) == 1000


# -- subsidy arithmetic ---------------------------------------------------------------------


def test_percent_subsidy_rounds_down_to_the_cent_and_caps_per_item() -> None:
    rule = _rule(percent_bp=3333)
    assert subsidies.subsidy_per_item(rule, 999, None) == 332  # 332.97 -> 332
    assert (
        subsidies.subsidy_per_item(_rule(percent_bp=5000, cap_per_item_cents=400), 940, None) == 400
    )
    assert (
        subsidies.subsidy_per_item(_rule(percent_bp=5000, cap_per_item_cents=400), 700, None) == 350
    )


def test_fixed_subsidy_never_exceeds_the_price() -> None:
    assert subsidies.subsidy_per_item(_rule("fixed", fixed_cents=1500), 4700, None) == 1500
    assert subsidies.subsidy_per_item(_rule("fixed", fixed_cents=1500), 900, None) == 900


def test_brackets_grade_by_quotient_familial() -> None:
    rule = _rule(
        percent_bp=3000, brackets=(Bracket(1, 700, 7000, None), Bracket(2, 1200, 5000, None))
    )
    assert subsidies.subsidy_per_item(rule, 1000, 500) == 700
    assert subsidies.subsidy_per_item(rule, 1000, 700) == 700
    assert subsidies.subsidy_per_item(rule, 1000, 701) == 500
    assert subsidies.subsidy_per_item(rule, 1000, 5000) == 300  # above every bracket
    assert subsidies.subsidy_per_item(rule, 1000, None) == 300  # unknown QF: the rule's own value


def test_describe_rule_in_french() -> None:
    from portal.i18n import get_translator

    text = subsidies.describe_rule(
        _rule(percent_bp=5000, cap_per_item_cents=400, max_count=4), get_translator("fr")
    )
    assert text == fr("50 % du prix, jusqu'à 4,00 € par article, 4 articles au plus par an")


# -- allocation order -----------------------------------------------------------------------


def _benefit(
    allocation_id: int,
    kind: str,
    remaining: int,
    *,
    rule=None,
    categories=(),  # type: ignore[no-untyped-def]
    until: dt.date = dt.date(YEAR, 12, 31),
    qf=None,
) -> benefits.BenefitSummary:
    if kind == "culture" and not categories:
        categories = benefits.CULTURE_CATEGORIES
    return benefits.BenefitSummary(
        allocation_id=allocation_id,
        kind=kind,
        label=f"{kind}{allocation_id}",
        amount_cents=remaining,
        remaining_cents=remaining,
        valid_from=dt.date(YEAR, 1, 1),
        valid_until=until,
        categories=categories,
        event=None,
        rule=rule,
        quotient_familial=qf,
    )


def test_benefits_apply_most_restrictive_first() -> None:
    cinema = line("Pathé", "eticket", "cinema", 940, 2)  # 18,80
    groceries = line("Carrefour", "ecard", "groceries", 4750)  # 47,50
    subsidy = _benefit(1, "subsidy", 4000, rule=_rule(percent_bp=5000, cap_per_item_cents=400))
    culture = _benefit(2, "culture", 5000)
    gift = _benefit(3, "gift", 3000)
    quote = plan_benefits([cinema, groceries], [gift, culture, subsidy])
    # subsidy: 4,00 per ticket x 2 = 8,00 on cinema; culture pays the rest of cinema (10,80)
    # but nothing of groceries; the gift voucher pays 30,00 of groceries; card 17,50.
    assert quote.line_subsidies == (800, 0)
    assert [(d.allocation_id, d.amount_cents) for d in quote.deductions] == [
        (1, 800),
        (2, 1080),
        (3, 3000),
    ]
    assert quote.deductions[0].item_count == 2
    assert quote.total_cents == 6630
    assert quote.card_cents == 6630 - 800 - 1080 - 3000
    assert quote.benefits_cents + quote.card_cents == quote.total_cents


def test_a_voucher_switched_off_leaves_its_share_to_the_next_source() -> None:
    groceries = line("Carrefour", "ecard", "groceries", 5000)
    first, second = _benefit(1, "gift", 2000, until=dt.date(YEAR, 6, 30)), _benefit(2, "gift", 4000)
    quote = plan_benefits([groceries], [second, first])
    assert [(d.allocation_id, d.amount_cents) for d in quote.deductions] == [(1, 2000), (2, 3000)]
    off = plan_benefits([groceries], [second, first], excluded={1})
    assert [(d.allocation_id, d.amount_cents) for d in off.deductions] == [(2, 4000)]
    assert off.card_cents == 1000
    assert [v.selected for v in off.vouchers] == [False, True]


def test_subsidy_respects_max_count_and_yearly_cap() -> None:
    tickets = line("Parc", "eticket", "leisure", 4700, 5)
    rule = _rule("fixed", category="leisure", fixed_cents=1500, max_count=4)
    subsidy = _benefit(1, "subsidy", 10000, rule=rule)
    quote = plan_benefits([tickets], [subsidy], usage={(1, YEAR): (1500, 1)})
    assert quote.deductions[0].amount_cents == 3 * 1500
    assert quote.deductions[0].item_count == 3
    capped = _rule(percent_bp=5000, cap_per_year_cents=1000)
    quote = plan_benefits(
        [line("UGC", "eticket", "cinema", 860, 4)],
        [_benefit(1, "subsidy", 4000, rule=capped)],
        usage={(1, YEAR): (700, 2)},
    )
    assert quote.subsidies_cents == 300


def test_restricted_vouchers_never_pay_shipping_general_ones_do() -> None:
    gourde = line("Gourde", "product", "culture", 1250)
    quote = plan_benefits(
        [gourde], [_benefit(1, "culture", 5000), _benefit(2, "gift", 5000)], shipping_cents=490
    )
    assert [(d.allocation_id, d.amount_cents) for d in quote.deductions] == [(1, 1250), (2, 490)]
    assert quote.card_cents == 0 and quote.total_cents == 1740


def test_applicable_benefits_for_an_offer(db, settings) -> None:
    alice = member(db, "alice")
    found = spending.applicable_benefits(db, alice, "cinema", "eticket")
    assert [b.kind for b in found] == ["subsidy", "culture", "gift", "gift"]
    assert found[0].subsidy_for(940) == 400  # QF 850 -> 50 %, capped at 4,00
    groceries = spending.applicable_benefits(db, alice, "groceries", "ecard")
    assert {b.kind for b in groceries} == {"gift"}
    assert (
        spending.applicable_benefits(db, member(db, "bob"), "leisure", "eticket")[0].kind == "gift"
    )


# -- management -----------------------------------------------------------------------------


def test_gift_vouchers_past_the_urssaf_threshold_need_acknowledging(db, settings) -> None:
    carol = new_member(db)
    marc = member(db, "marc")
    give(db, settings, carol, "gift", 15000)
    request = AllocationRequest(
        kind="gift", label="Prime", amount_cents=10000, year=YEAR, member_ids=(carol.id,)
    )
    preview = allocations.preview_allocation(db, marc, request, settings=settings)
    assert [(w.member_id, w.total_cents, w.threshold_cents) for w in preview.warnings] == [
        (carol.id, 25000, 20000)
    ]
    with pytest.raises(UserError, match="URSSAF"):
        allocations.allocate(db, marc, request, settings=settings)
    assert len(wallet_data.member_allocations(db, carol.id)) == 1
    allocations.allocate(db, marc, request, settings=settings, acknowledge_urssaf=True)
    assert len(wallet_data.member_allocations(db, carol.id)) == 2
    entry = audit.recent(db, organization_id=marc.organization_id, limit=1)[0]
    assert entry.action == "wallet.allocated" and entry.details["urssaf_warnings"] == 1


def test_culture_vouchers_and_listed_events_do_not_count_against_the_yearly_threshold(
    db, settings
) -> None:
    carol = new_member(db)
    marc = member(db, "marc")
    give(db, settings, carol, "gift", 18000)
    culture = AllocationRequest(
        kind="culture", label="Culture", amount_cents=15000, year=YEAR, member_ids=(carol.id,)
    )
    assert allocations.preview_allocation(db, marc, culture, settings=settings).warnings == ()
    christmas = AllocationRequest(
        kind="gift",
        label="Noël",
        amount_cents=15000,
        year=YEAR,
        member_ids=(carol.id,),
        event="christmas",
    )
    assert allocations.preview_allocation(db, marc, christmas, settings=settings).warnings == ()


def test_bad_allocation_input_changes_nothing(db, settings) -> None:
    marc = member(db, "marc")
    carol = new_member(db)
    before = wallet_data.ledger_size(db)
    for request, message in [
        (AllocationRequest("gift", "", 1000, YEAR, (carol.id,)), "name"),
        (AllocationRequest("gift", "x", 0, YEAR, (carol.id,)), "positive"),
        (AllocationRequest("subsidy", "x", 1000, YEAR, (carol.id,)), "rule"),
        (AllocationRequest("gift", "x", 1000, YEAR, ()), "at least one"),
        (AllocationRequest("gift", "x", 1000, YEAR, (member(db, "bob").id,)), "not in your"),
    ]:
        with pytest.raises(UserError, match=message):
            allocations.allocate(db, marc, request, settings=settings)
    assert wallet_data.ledger_size(db) == before


def test_a_manager_only_allocates_in_their_organization(db, settings) -> None:
    nina = member(db, "nina")
    with pytest.raises(UserError):
        allocations.allocate(
            db,
            nina,
            AllocationRequest("gift", "x", 1000, YEAR, (member(db, "alice").id,)),
            settings=settings,
        )
    with pytest.raises(PermissionError):
        allocations.list_programs(db, member(db, "alice"))
    with pytest.raises(PermissionError):
        subsidies.list_rules(db, nina, organization_id=member(db, "alice").organization_id)


def test_allocate_to_everyone_reaches_every_active_member(db, settings) -> None:
    marc = member(db, "marc")
    program = allocations.allocate(
        db, marc, AllocationRequest("culture", "Tous", 2000, YEAR, everyone=True), settings=settings
    )
    assert program.members == 2 and program.target == "all"  # alice, marc: never the admin


def test_create_rule_with_brackets(db) -> None:
    marc = member(db, "marc")
    rule = subsidies.create_rule(
        db,
        marc,
        label="Sport",
        category="sport",
        mode="percent",
        percent_bp=2000,
        cap_per_item_cents=1000,
        brackets=[(600, 5000, None)],
    )
    assert rule.brackets[0].qf_max == 600
    with pytest.raises(UserError):
        subsidies.create_rule(db, marc, label="Bad", category="sport", mode="percent", percent_bp=0)


# -- lapsing and renewal --------------------------------------------------------------------


def test_unused_allocations_lapse_at_the_end_of_their_period(db, settings) -> None:
    carol = new_member(db)
    allocation_id = give(db, settings, carol, "gift", 3000, year=2025)
    assert allocations.lapse_expired(db, today=dt.date(2025, 12, 31)) == 0
    assert allocations.lapse_expired(db, today=dt.date(2026, 1, 1)) >= 1
    entries = wallet_data.allocation_entries(db, allocation_id)
    assert [(e.entry, e.amount_cents) for e in entries] == [("grant", 3000), ("lapse", -3000)]
    assert allocations.lapse_expired(db, today=dt.date(2026, 1, 1)) == 0
    listed = {b.allocation_id: b for b in benefits.list_benefits(db, carol, today=TODAY)}
    assert listed[allocation_id].lapsed and listed[allocation_id].remaining_cents == 0


def test_renewal_credits_next_year_once_for_continuing_programs(db, settings) -> None:
    marc = member(db, "marc")
    carol = new_member(db)
    dan = new_member(db, "dan")
    with clock.use(clock.FrozenClock(dt.datetime(2025, 6, 15, 8, tzinfo=dt.UTC))):
        allocations.allocate(
            db,
            marc,
            AllocationRequest("gift", "Cadeau", 5000, 2025, (carol.id, dan.id)),
            settings=settings,
        )
        allocations.allocate(
            db,
            marc,
            AllocationRequest("culture", "Ponctuel", 1000, 2025, (carol.id,), renews=False),
            settings=settings,
        )
    from portal.data import members as members_data

    members_data.set_status(db, dan.id, "deactivated")
    result = renewal.renew(db, 2026, today=dt.date(2026, 1, 1))
    assert result.programs >= 1
    carol_2026 = [a for a in wallet_data.member_allocations(db, carol.id) if a.year == 2026]
    # the name says its year; the renewal's says the next one
    assert [(a.label, a.balance_cents) for a in carol_2026] == [("Cadeau 2026", 5000)]
    assert [a for a in wallet_data.member_allocations(db, dan.id) if a.year == 2026] == []
    again = renewal.renew(db, 2026, today=dt.date(2026, 1, 1))
    assert again.programs == 0 and again.allocations == 0


def test_a_manager_renews_only_their_organization(db, settings) -> None:
    marc, nina = member(db, "marc"), member(db, "nina")
    with clock.use(clock.FrozenClock(dt.datetime(2025, 6, 15, 8, tzinfo=dt.UTC))):
        allocations.allocate(
            db, nina, AllocationRequest("gift", "H", 1000, 2025, everyone=True), settings=settings
        )
        allocations.allocate(
            db, marc, AllocationRequest("gift", "D", 1000, 2025, everyone=True), settings=settings
        )
    result = renewal.renew(db, 2026, actor=marc, today=dt.date(2026, 1, 1))
    labels = {p.label for p in wallet_data.list_programs(db, None, 2026)}
    assert "D 2026" in labels and "H 2026" not in labels and result.programs == 1


def test_portal_renew_command_credits_the_next_year_once(settings, db, capsys) -> None:
    import argparse

    from portal.renew import add_renew_command

    parser = argparse.ArgumentParser()
    add_renew_command(parser.add_subparsers(dest="command"))
    next_year = clock.today_paris().year + 1
    args = parser.parse_args(["renew", str(next_year)])
    assert args.func(settings, args) == 0
    assert f"Renewed for {next_year}: 7 program(s)" in capsys.readouterr().out
    assert args.func(settings, args) == 0
    assert f"Renewed for {next_year}: 0 program(s)" in capsys.readouterr().out
    alice = member(db, "alice")
    assert {a.year for a in wallet_data.member_allocations(db, alice.id)} == {
        next_year - 1,
        next_year,
    }
    bad = parser.parse_args(["renew", str(next_year), "--organization", "Nope"])
    assert bad.func(settings, bad) == 1


def test_managers_typing_is_read_in_integer_cents_and_basis_points() -> None:
    assert allocations.parse_euros("49,90") == 4990 and allocations.parse_euros("1 000 €") == 100000
    assert allocations.parse_percent("12,5") == 1250 and allocations.parse_percent("50 %") == 5000
    assert allocations.parse_brackets("1200:50; 700:70", "percent") == [
        (700, 7000, None),
        (1200, 5000, None),
    ]
    assert allocations.parse_brackets("500:20", "fixed") == [(500, None, 2000)]
    for bad, fn in (
        ("abc", allocations.parse_euros),
        ("4,999", allocations.parse_euros),
        ("0", allocations.parse_percent),
        ("101", allocations.parse_percent),
    ):
        with pytest.raises(UserError):
            fn(bad)
    with pytest.raises(UserError, match="QF:value"):
        allocations.parse_brackets("700=70", "percent")
