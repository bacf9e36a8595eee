"""Pilot tests of the management home: counters of what waits, each opening its screen."""

from __future__ import annotations

import time

from sqlite_utils import Database
from textual.widgets import OptionList

from portal.data import identity_gate as gate_data
from portal.services import gate
from tests.pilot.manage_helpers import choose, open_management, options, settle, text_of
from tests.typography import fr


async def test_members_have_no_management_entry(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)):
        menu = app.screen.query_one("#menu", OptionList)
        assert "manage" not in [menu.get_option_at_index(i).id for i in range(menu.option_count)]


async def test_counters_and_their_screens(app_for, db: Database) -> None:  # type: ignore[no-untyped-def]
    now = time.time()
    gate_data.add_failure(db, gate.ACCOUNT, "alice", now, forget_before=now - 60)
    gate_data.set_locked_until(db, gate.ACCOUNT, "alice", now + 600)
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_management(pilot)
        labels = options(app, "manage-menu")
        assert fr("Comptes bloqués : 1") in labels
        assert any(label.startswith(fr("Demandes d'inscription : ")) for label in labels)
        assert any(label.startswith(fr("Justificatifs à examiner : ")) for label in labels)
        assert any(label.startswith(fr("Commandes à expédier : ")) for label in labels)
        assert fr("Organisation : CSE Démo") in text_of(app, "manage-scope")
        await choose(pilot, "manage-menu", "locked")
        assert type(app.screen).__name__ == "MembersScreen"
        assert "bloqué" in text_of(app, "members-filters")
        await pilot.press("escape")
        await settle(pilot)
        await choose(pilot, "manage-menu", "signups")
        assert type(app.screen).__name__ == "SignupsScreen"
        await pilot.press("escape")
        await settle(pilot)
        await choose(pilot, "manage-menu", "orders_to_ship")
        assert type(app.screen).__name__ == "ManageOrdersScreen"
        await pilot.press("escape")
        await settle(pilot)
        await choose(pilot, "manage-menu", "documents")
        assert type(app.screen).__name__ == "ManageCredentialsScreen"


async def test_an_admin_sees_every_organization(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("admin")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_management(pilot)
        assert "Toutes les organisations" in text_of(app, "manage-scope")
