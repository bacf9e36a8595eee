"""Calendar work the server does by itself: allocations lapse when their period ends."""

from __future__ import annotations

from sqlite_utils import Database

from portal.config import Settings
from portal.data import wallet as wallet_data
from portal.services.runtime import Services
from tests.e2e.gate_helpers import start_gate
from tests.unit.test_wallet_support import give, new_member


async def test_allocations_whose_period_ended_lapse_when_the_server_starts(
    services: Services, settings: Settings, db: Database
) -> None:
    carol = new_member(db)
    ended = give(db, settings, carol, "gift", 3000, year=2025)  # ended on 31/12/2025
    running = give(db, settings, carol, "gift", 2000)  # this year's
    gate = await start_gate(services)  # then again every hour (housekeeping_interval)
    try:
        entries = wallet_data.allocation_entries(db, ended)
        assert [(e.entry, e.amount_cents) for e in entries] == [("grant", 3000), ("lapse", -3000)]
        assert [e.entry for e in wallet_data.allocation_entries(db, running)] == ["grant"]
        row = db.execute("SELECT count(*) FROM audit_log WHERE action = 'wallet.lapsed'").fetchone()
        assert row[0] == 1
    finally:
        await gate.server.close()
