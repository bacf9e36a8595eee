"""Pilot tests of the data rights at 80×24: a member exports their data and asks for
deletion from My Account; a manager confirms it from the deletion requests."""

from __future__ import annotations

import json

from sqlite_utils import Database
from textual.widgets import Input

from portal.data import members as members_data
from portal.services import data_rights, files
from tests.pilot.manage_helpers import choose, open_management, settle, table_rows, text_of


async def open_my_data(pilot) -> None:  # type: ignore[no-untyped-def]
    await choose(pilot, "menu", "account")
    await pilot.press("d")
    await settle(pilot)
    assert type(pilot.app.screen).__name__ == "DataRightsScreen"


async def test_a_member_exports_their_data_and_asks_for_deletion(
    app_for, db: Database, settings
) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_my_data(pilot)
        await pilot.press("e")
        await settle(pilot)
        message = text_of(app, "data-rights-message")
        assert "outbox/my-data-" in message and "sftp -P" in message
        name = message.split("outbox/", 1)[1].split(".json", 1)[0] + ".json"
        data = json.loads((files.outbox_dir(settings, "alice") / name).read_text("utf-8"))
        assert data["profile"]["login"] == "alice"

        await pilot.press("x")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.press("o")  # "oui"
        await settle(pilot)
        reason = app.screen.query_one("#dialog-input", Input)
        reason.value = "Je change d'entreprise"
        await pilot.press("enter")
        await settle(pilot)
        assert "Vous avez demandé la suppression" in text_of(app, "data-rights-message")
    alice = members_data.get_member_by_login(db, "alice")
    assert alice is not None
    request = data_rights.my_request(db, alice)
    assert request is not None and request.reason == "Je change d'entreprise"


async def test_a_manager_confirms_a_deletion(app_for, db: Database) -> None:  # type: ignore[no-untyped-def]
    alice = members_data.get_member_by_login(db, "alice")
    assert alice is not None
    data_rights.request_deletion(db, alice, "")
    other = app_for("bob")  # another organization's member sees no request of theirs
    del other
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_management(pilot, "deletions")
        assert type(app.screen).__name__ == "DeletionsScreen"
        rows = table_rows(app, "deletions-table")
        assert [r[1] for r in rows] == ["alice"]
        await pilot.press("d")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.press("o")
        await settle(pilot)
        assert f"deleted-{alice.id}" in text_of(app, "deletions-message")
        assert table_rows(app, "deletions-table") == []
    gone = members_data.get_member(db, alice.id)
    assert gone is not None and gone.login == f"deleted-{alice.id}"


async def test_another_organizations_manager_sees_no_request(app_for, db: Database) -> None:  # type: ignore[no-untyped-def]
    alice = members_data.get_member_by_login(db, "alice")
    assert alice is not None
    data_rights.request_deletion(db, alice, "")
    nina = members_data.get_member_by_login(db, "nina")
    assert nina is not None
    if not nina.is_manager:
        return
    app = app_for("nina")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_management(pilot, "deletions")
        assert table_rows(app, "deletions-table") == []
