"""Pilot tests at 80x24: an e-card's and an e-ticket's footer offers only the keys that
apply to the item, and every one of them is whole on the screen."""

from __future__ import annotations

import datetime as dt
from typing import Any

from portal.services import clock, ecards, issuing
from portal.widgets.footer import PortalFooter, ShownKey
from tests.unit.test_wallet_support import member


async def _settle(app: Any, pilot: Any) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


def _item(db: Any, services: Any, kind: str) -> Any:
    issuing.process_due(
        db,
        services.issuer,
        services.secrets,
        settings=services.settings,
        now=clock.now() + dt.timedelta(seconds=1),
    )
    items = [c for c in ecards.list_cards(db, member(db, "alice")) if c.kind == kind]
    return max(items, key=lambda c: c.has_pin)  # the widest footer: one with a PIN


async def _footer_keys(app: Any, pilot: Any, card: Any) -> list[tuple[ShownKey, str, int]]:
    """Each key shown, the text drawn in its columns, and the column after its last."""
    from portal.screens.ecard_detail import ECardDetailScreen

    app.call_later(app.push_screen, ECardDetailScreen(card.id, kind=card.kind))
    await _settle(app, pilot)
    await _settle(app, pilot)
    assert type(app.screen).__name__ == "ECardDetailScreen"
    assert app.screen.card is not None
    footer = app.screen.query_one(PortalFooter)
    line = str(footer.render())
    assert footer.region.width == 80
    return [(key, line[start:end], end) for key, start, end in footer.spans()]


def _assert_whole(keys: list[tuple[ShownKey, str, int]]) -> None:
    """Every key drawn inside 80 columns, its key and description both visible."""
    assert keys
    for key, drawn, end in keys:
        assert drawn and end <= 80, (key.key, end)
        assert key.description in drawn and key.key_display in drawn, (key, drawn)
    last = keys[-1][0]
    assert last.key == "f1" and last.description == "Aide"
    assert any(k.key == "ctrl+q" and k.description == "Se déconnecter" for k, _, _ in keys)


async def test_an_e_ticket_footer_has_no_pin_nor_balance_and_fits(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    ticket = _item(db, services, "eticket")
    assert not ticket.has_pin
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(app, pilot)
        keys = await _footer_keys(app, pilot, ticket)
        names = [k.key for k, _, _ in keys]
        assert "p" not in names and "b" not in names
        assert {"c", "e", "a", "escape", "ctrl+q", "f1"} <= set(names)
        _assert_whole(keys)
        await pilot.press("b")  # a hidden key does nothing, says nothing
        await _settle(app, pilot)
        assert "solde" not in str(app.screen.query_one("#ecard-message").render()).lower()


async def test_an_e_card_footer_offers_balance_and_fits(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    card = _item(db, services, "ecard")
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(app, pilot)
        keys = await _footer_keys(app, pilot, card)
        names = [k.key for k, _, _ in keys]
        assert "b" in names
        assert card.has_pin and "p" in names  # every key shown, and still whole
        _assert_whole(keys)
