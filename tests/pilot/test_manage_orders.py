"""Pilot tests: managers ship, cancel and refund their organization's orders, and allocate."""

from __future__ import annotations

from textual.widgets import Checkbox, DataTable, Input, RadioButton, SelectionList, Static

from portal.data import subsidies as subsidies_data
from portal.data import wallet as wallet_data
from portal.services import audit, checkout, orders, payment_confirmation
from portal.services.payments import CardDetails
from tests import payment_support
from tests.order_helpers import with_address
from tests.typography import fr
from tests.unit.test_wallet_support import line, member


def _text(app, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(selector, Static).render())


async def _settle(app, pilot) -> None:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.pause()


async def _open(app, pilot, screen) -> None:  # type: ignore[no-untyped-def]
    """Push a screen from the app's own task (so it runs in the session's language)."""
    app.call_later(app.push_screen, screen)
    await _settle(app, pilot)


def _parcel(db, services, login: str = "alice"):  # type: ignore[no-untyped-def]
    who = member(db, login)
    with_address(db, who)  # a parcel needs a delivery address
    lines = [line("Gourde isotherme", "product", "sport", 1250)]
    quote = checkout.prepare_checkout(db, who, lines=lines, shipping_cents=490)
    placed = payment_support.pay(
        db,
        who,
        quote,
        provider=services.payments.provider,
        settings=services.settings,
        accepted_terms=True,
        card=CardDetails("4242424242424242", "12/30", "123"),
        lines=lines,
    )
    detail = placed.order
    if detail.card is not None:
        detail = payment_confirmation.record_payment_result(
            db, detail.card.provider_ref, True, settings=services.settings
        )
    return detail


def _rows(app) -> list[str]:  # type: ignore[no-untyped-def]
    table = app.screen.query_one("#manage-orders-table", DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def test_marc_ships_an_order_with_a_tracking_number(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    detail = _parcel(db, services)
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        from portal.screens.manage.orders import ManageOrdersScreen

        await _open(app, pilot, ManageOrdersScreen())
        assert detail.number in _rows(app)
        await pilot.press("s")
        await _settle(app, pilot)  # the order is read again: its address is in the question
        assert type(app.screen).__name__ == "AskDialog"
        await pilot.press(*"ab", "enter")  # too short: refused, nothing changes
        await _settle(app, pilot)
        assert "numéro de suivi" in _text(app, "#manage-orders-message")
        await pilot.press("s")
        await _settle(app, pilot)
        await pilot.press(*"6A12345678901", "enter")
        await _settle(app, pilot)
        assert "marquée expédiée" in _text(app, "#manage-orders-message")
        assert detail.number not in _rows(app)  # no longer "to ship"
    shipped = orders.get_order(db, member(db, "alice"), detail.order.id)
    assert shipped.order.status == "shipped" and shipped.order.tracking_number == "6A12345678901"
    entry = audit.recent(db, organization_id=member(db, "marc").organization_id, limit=1)[0]
    assert entry.action == "order.shipped" and entry.actor_id == member(db, "marc").id


async def test_marc_cancels_and_refunds_with_a_reason(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    detail = _parcel(db, services)
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        from portal.screens.manage.orders import ManageOrdersScreen

        await _open(app, pilot, ManageOrdersScreen())
        await pilot.press("c")
        await pilot.pause()
        await pilot.press(*"Rupture", "enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "YesNoDialog"
        await pilot.press("y")
        await _settle(app, pilot)
        assert "annulée et remboursée" in _text(app, "#manage-orders-message")
    cancelled = orders.get_order(db, member(db, "alice"), detail.order.id)
    assert cancelled.order.status == "refunded" and cancelled.order.cancel_reason == "Rupture"
    assert cancelled.payments and all(
        p.refunded_cents == p.amount_cents for p in cancelled.payments
    )


async def test_nina_cannot_see_or_ship_a_demo_order(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    detail = _parcel(db, services)
    app = app_for("nina")
    async with app.run_test(size=(80, 24)) as pilot:
        from portal.screens.manage.orders import ManageOrdersScreen
        from portal.screens.order_detail import OrderDetailScreen

        await _open(app, pilot, ManageOrdersScreen())
        for _ in range(4):  # every filter
            assert detail.number not in _rows(app)
            await pilot.press("f")
            await _settle(app, pilot)
        await _open(app, pilot, OrderDetailScreen(detail.order.id))
        assert "n'existe pas" in _text(app, "#order-message")
    assert orders.get_order(db, member(db, "alice"), detail.order.id).order.status == "validated"


async def test_marc_allocates_a_gift_voucher_after_the_urssaf_warning(
    app_for, db, services
) -> None:  # type: ignore[no-untyped-def]
    alice = member(db, "alice")
    before = len(wallet_data.member_allocations(db, alice.id))
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        from portal.screens.manage.allocations import ManageAllocationsScreen

        await _open(app, pilot, ManageAllocationsScreen())
        assert app.screen.query_one("#programs-table", DataTable).row_count >= 5
        await pilot.press("n")
        await _settle(app, pilot)
        assert type(app.screen).__name__ == "AllocationFormScreen"
        screen = app.screen
        screen.query_one("#kind-gift", RadioButton).value = True
        screen.query_one("#allocation-label", Input).value = "Prime vacances"
        screen.query_one("#allocation-amount", Input).value = "abc"
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert "montant en euros" in _text(app, "#allocation-message")
        screen.query_one("#allocation-amount", Input).value = "200"
        screen.query_one("#allocation-members", SelectionList).select(alice.id)
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert type(app.screen).__name__ == "YesNoDialog"
        question = str(app.screen.query_one("#dialog-question", Static).render())
        assert "Alerte URSSAF" in question and "Alice Martin" in question
        await pilot.press("y")
        await _settle(app, pilot)
        assert "attribué à 1 membre" in _text(app, "#allocation-message")
    assert len(wallet_data.member_allocations(db, alice.id)) == before + 1
    entry = audit.recent(db, organization_id=alice.organization_id, limit=1)[0]
    assert entry.action == "wallet.allocated" and entry.details["urssaf_warnings"] == 1


async def test_marc_allocates_a_culture_voucher_to_everyone(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        from portal.screens.manage.allocation_form import AllocationFormScreen

        await _open(app, pilot, AllocationFormScreen())
        screen = app.screen
        screen.query_one("#kind-culture", RadioButton).value = True
        screen.query_one("#allocation-label", Input).value = "Culture pour tous"
        screen.query_one("#allocation-amount", Input).value = "25,50"
        screen.query_one("#allocation-everyone", Checkbox).value = True
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        question = str(app.screen.query_one("#dialog-question", Static).render())
        # alice and marc: never the platform admin
        assert fr("25,50 €") in question and "2 membre(s)" in question and "URSSAF" not in question
        await pilot.press("y")
        await _settle(app, pilot)
    bob_allocations = wallet_data.member_allocations(db, member(db, "bob").id)
    assert all(a.label != "Culture pour tous" for a in bob_allocations)


async def test_yearly_renewal_from_the_screen(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        from portal.screens.manage.allocations import ManageAllocationsScreen

        await _open(app, pilot, ManageAllocationsScreen())
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("enter")  # next year, proposed
        await pilot.pause()
        await pilot.press("y")
        await _settle(app, pilot)
        assert "Reconduit pour" in _text(app, "#programs-message")
    programs = wallet_data.list_programs(db, member(db, "marc").organization_id)
    years = {p.year for p in programs}
    assert len(years) == 2


async def test_marc_creates_a_graded_subsidy_rule(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    from textual.widgets import Select

    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        from portal.screens.manage.rule_form import RuleFormScreen

        await _open(app, pilot, RuleFormScreen())
        assert "Cinéma (Cinéma)" in _text(app, "#rule-list")
        screen = app.screen
        screen.query_one("#rule-label", Input).value = "Sport"
        screen.query_one("#rule-category", Select).value = "sport"
        screen.query_one("#rule-value", Input).value = "150"
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert "entre 0 et 100" in _text(app, "#rule-message")
        screen.query_one("#rule-value", Input).value = "20"
        screen.query_one("#rule-cap-item", Input).value = "10"
        screen.query_one("#rule-brackets", Input).value = "600:50, 1000:30"
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert "Règle Sport créée." in _text(app, "#rule-message")
        assert "Sport (Sport)" in _text(app, "#rule-list")
    rules = {r.label: r for r in subsidies_data.list_rules(db, member(db, "marc").organization_id)}
    assert [(b.qf_max, b.percent_bp) for b in rules["Sport"].brackets] == [
        (600, 5000),
        (1000, 3000),
    ]
    assert rules["Sport"].cap_per_item_cents == 1000
    entry = audit.recent(db, organization_id=member(db, "marc").organization_id, limit=1)[0]
    assert entry.action == "wallet.rule_created"


async def test_marc_searches_the_list_and_pages_through_it(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    from portal.data import orders as orders_data
    from tests.unit.test_wallet_support import new_member

    carol = new_member(db, "carol")
    ids = [
        orders_data.insert_order(
            db,
            member_id=carol.id,
            organization_id=carol.organization_id,
            status="validated",
            total_cents=100,
            benefits_cents=100,
            card_cents=0,
            savings_cents=0,
            shipping_cents=0,
            line_count=1,
            summary=f"Article {i}",
            has_postal=False,
            has_digital=True,
            created_at="2026-06-15T08:00:00.000000Z",
            terms_accepted_at="2026-06-15T08:00:00.000000Z",
        )
        for i in range(55)
    ]
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        from portal.screens.manage.orders import ManageOrdersScreen

        await _open(app, pilot, ManageOrdersScreen())
        await pilot.press("f", "f")  # every order
        await _settle(app, pilot)
        await pilot.press("slash", *"Carol", "enter")
        await _settle(app, pilot)
        assert len(_rows(app)) == 50 and "1-50 sur 55" in _text(app, "#manage-orders-page")
        await pilot.press("n")
        await _settle(app, pilot)
        assert _rows(app) == [f"CMD-{i:07d}" for i in sorted(ids, reverse=True)[50:]]
        assert app.screen.check_action("next_page", ()) is False
        await pilot.press("p")
        await _settle(app, pilot)
        assert len(_rows(app)) == 50
        search = app.screen.query_one("#manage-orders-search")
        search.value = f"CMD-{ids[7]:07d}"  # type: ignore[attr-defined]
        await pilot.press("slash", "enter")
        await _settle(app, pilot)
        assert _rows(app) == [f"CMD-{ids[7]:07d}"]
