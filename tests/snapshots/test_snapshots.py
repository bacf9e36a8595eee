"""Snapshot tests of the key screens, in French and English, at 80×24.

Each test builds the app with the one factory (``portal.app.make_app``, through the
``app_for`` fixture), opens one screen from the app's own task (so it is drawn in the
member's language), waits for its workers, and compares the screen with the SVG
accepted in ``__snapshots__/``. The clock is frozen at a fixed instant and the data are
the demo data, so a difference is a change of the screen.

Regenerate the baselines after an intended change of a screen, and look at them:

    .venv/bin/pytest tests/snapshots --snapshot-update
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlite_utils import Database
from textual.screen import Screen
from textual.widgets import Input

from portal.data import members as members_data
from portal.services.clock import FrozenClock
from portal.services.runtime import Services

FIXED_NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
"""A Monday morning, Paris time: every date and "since" drawn is the same every run."""

SIZE = (80, 24)

Builder = Callable[[], Screen[Any]]
ScreenFactory = Callable[[Database, Services], Builder | None]
"""Arranges the data (in the test), returns what builds the screen (in the app's task)."""


def _member(db: Database, login: str) -> members_data.Member:
    found = members_data.get_member_by_login(db, login)
    assert found is not None, login
    return found


def _home(db: Database, services: Services) -> Builder | None:
    return None  # the first screen


def _shop(db: Database, services: Services) -> Builder:
    from portal.screens.shop import ShopScreen

    return ShopScreen


def _offer(db: Database, services: Services) -> Builder:
    from portal.screens.offer import OfferScreen
    from portal.services import catalog

    alice = _member(db, "alice")
    offer = next(o for o in catalog.search_offers(db, alice, "Carrefour"))
    sheet = catalog.get_offer_sheet(db, alice, offer.id)
    assert sheet is not None
    return lambda: OfferScreen(sheet)


def _fill_basket(db: Database) -> None:
    from tests.pilot.test_checkout import CARREFOUR, PATHE
    from tests.pilot.test_checkout import _fill_basket as fill

    fill(db, "alice", CARREFOUR, 15000, 1)
    fill(db, "alice", PATHE, None, 2)


def _basket(db: Database, services: Services) -> Builder:
    from portal.screens.basket import BasketScreen

    _fill_basket(db)
    return BasketScreen


def _checkout(db: Database, services: Services) -> Builder:
    from portal.screens.checkout import CheckoutScreen

    _fill_basket(db)
    return CheckoutScreen


def _order_detail(db: Database, services: Services) -> Builder:
    from portal.screens.order_detail import OrderDetailScreen
    from tests.pilot.test_orders import _place
    from tests.unit.test_wallet_support import line

    placed = _place(db, services, "alice", [line("E-carte Fnac", "ecard", "culture", 4700)])
    return lambda: OrderDetailScreen(placed.order.id)


def _account(db: Database, services: Services) -> Builder:
    from portal.screens.account import AccountScreen

    return AccountScreen


def _twofactor(db: Database, services: Services) -> Builder:
    from portal.screens.twofactor import TwoFactorScreen

    return TwoFactorScreen


def _signups(db: Database, services: Services) -> Builder:
    from portal.screens.manage.signups import SignupsScreen
    from tests.pilot.test_signups import request

    request(db, "chloe")  # one pending request, filed at a fixed time
    return SignupsScreen


SCREENS: dict[str, tuple[str, ScreenFactory]] = {
    "home": ("alice", _home),
    "help": ("alice", _home),  # F1 on the home screen
    "order_cancel_dialog": ("alice", _order_detail),  # c: a yes/no question
    "shop": ("alice", _shop),
    "offer": ("alice", _offer),
    "basket": ("alice", _basket),
    "checkout": ("alice", _checkout),
    "order_detail": ("alice", _order_detail),
    "account": ("alice", _account),
    "twofactor": ("alice", _twofactor),
    "manage_signups": ("marc", _signups),
}
"""Screen name -> (who is logged in, what to open after the home screen)."""

PRESS: dict[str, tuple[str, ...]] = {"help": ("f1",), "order_cancel_dialog": ("c",)}
"""Keys pressed once the screen is open, before the snapshot."""


def _settled(screen_name: str) -> Callable[[Any], Any]:
    async def run_before(pilot: Any) -> None:
        app = pilot.app
        for _ in range(3):  # workers post messages that start more workers
            await app.workers.wait_for_complete()
            await pilot.pause()
        for field in app.screen.query(Input):  # a blinking cursor would flicker the image
            field.cursor_blink = False
        await pilot.pause()
        assert app.screen.is_current, screen_name

    return run_before


def _open_then_settle(make: Callable[[], Screen[Any]], screen_name: str) -> Callable[[Any], Any]:
    async def run_before(pilot: Any) -> None:
        app = pilot.app
        await app.workers.wait_for_complete()
        await pilot.pause()
        opened: list[Screen[Any]] = []

        def push() -> None:  # in the app's task: built and drawn in the member's language
            screen = make()
            opened.append(screen)
            app.push_screen(screen)

        app.call_later(push)
        await pilot.pause()
        await _settled(screen_name)(pilot)
        assert opened and app.screen is opened[0], f"{screen_name}: {app.screen!r} on top"

    return run_before


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("screen_name", sorted(SCREENS))
def test_key_screen(  # type: ignore[no-untyped-def]
    snap_compare, app_for, db, services, frozen_clock: FrozenClock, screen_name: str, language: str
) -> None:
    frozen_clock.set(FIXED_NOW)
    login, factory = SCREENS[screen_name]
    members_data.set_language(db, _member(db, login).id, language)
    app = app_for(login)
    build = factory(db, services)  # the data now (basket, order); the screen in the app
    run_before = _settled(screen_name) if build is None else _open_then_settle(build, screen_name)
    press = PRESS.get(screen_name, ())
    assert snap_compare(app, press=press, terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_too_small_screen(  # type: ignore[no-untyped-def]
    snap_compare, app_for, db, frozen_clock: FrozenClock, language: str
) -> None:
    frozen_clock.set(FIXED_NOW)
    members_data.set_language(db, _member(db, "alice").id, language)
    app = app_for("alice")
    assert snap_compare(app, terminal_size=(60, 20), run_before=_settled("too_small"))
