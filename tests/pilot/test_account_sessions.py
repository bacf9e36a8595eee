"""Pilot tests of the active sessions screen."""

from __future__ import annotations

from textual.widgets import DataTable

from portal.data import members as members_data
from tests.pilot.test_account import FakeSessions, open_account, settle, snapshot, text


async def test_list_and_close_the_other_sessions(app_for, services, db) -> None:  # type: ignore[no-untyped-def]
    alice = members_data.get_member_by_login(db, "alice")
    assert alice is not None
    app = app_for("alice")
    fake = FakeSessions(alice.id, app.session.session_id, others=2)
    services.sessions = fake
    async with app.run_test(size=(80, 24)) as pilot:
        await open_account(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert type(app.screen).__name__ == "SessionsScreen"
        table = app.screen.query_one("#sessions", DataTable)
        assert table.row_count == 3
        assert str(table.get_row_at(0)[0]) == "Cette session"
        assert {str(table.get_row_at(i)[1]) for i in (1, 2)} == {"10.0.0.0", "10.0.0.1"}
        assert text(app, "#sessions-summary") == "2 autres sessions."
        before = snapshot(db)
        await pilot.press("c")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.press("escape")
        await settle(pilot)
        assert fake.calls == [] and snapshot(db) == before
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert fake.calls[0][:2] == (alice.id, app.session.session_id)
        assert app.screen.query_one("#sessions", DataTable).row_count == 1
        assert text(app, "#sessions-summary") == "Aucune autre session."
    row = db.execute("SELECT action, details FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    assert row[0] == "account.sessions_closed"
    assert '"count": 2' in row[1] and "member_request" in row[1]


async def test_no_other_session(app_for, db) -> None:  # type: ignore[no-untyped-def]
    app = app_for("bob")
    before = snapshot(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_account(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert app.screen.query_one("#sessions", DataTable).row_count == 1
        assert text(app, "#sessions-summary") == "No other session."
        await pilot.press("c")  # nothing to close: no dialog
        await settle(pilot)
        assert type(app.screen).__name__ == "SessionsScreen"
    assert snapshot(db) == before
