"""Pilot tests of "Mes justificatifs" (member) and "Justificatifs" (manager), at 80×24."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList, Select, Static

from portal.config import Settings
from portal.data import credentials as credentials_data
from portal.data import members as members_data
from portal.data import subsidies as subsidies_data
from portal.screens.base import TitleBar
from portal.services import credentials, files
from portal.services.credentials_demo import demo_pdf
from tests.typography import fr


def member_id(db: Database, login: str) -> int:
    found = members_data.get_member_by_login(db, login)
    assert found is not None
    return found.id


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_section(pilot: Pilot[Any], section: str) -> None:
    menu = pilot.app.screen.query_one("#menu", OptionList)
    index = next(i for i in range(menu.option_count) if menu.get_option_at_index(i).id == section)
    menu.highlighted = index
    await pilot.press("enter")
    await settle(pilot)


def rows(app: Any, table_id: str) -> list[list[str]]:
    table = app.screen.query_one(f"#{table_id}", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def text(app: Any, widget_id: str) -> str:
    return str(app.screen.query_one(f"#{widget_id}", Static).render())


def menu_ids(app: Any) -> list[str]:
    menu = app.screen.query_one("#menu", OptionList)
    return [str(menu.get_option_at_index(i).id) for i in range(menu.option_count)]


async def test_members_list_their_documents(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        assert "credentials" in menu_ids(app) and "manage_credentials" not in menu_ids(app)
        await open_section(pilot, "credentials")
        assert type(app.screen).__name__ == "CredentialsScreen"
        listed = rows(app, "documents")
        assert sorted(r[3] for r in listed) == ["en attente", "validé"]
        assert any("Livret de famille" in r[1] for r in listed)
        summary = text(app, "family-summary")
        assert "aucun enfant connu" in summary and fr("quotient familial : 850") in summary
    app = app_for("bob")  # English
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(pilot, "credentials")
        assert [r[3] for r in rows(app, "documents")] == ["refused"]
        assert "Refused: Document illisible" in text(app, "document-detail")


async def test_attach_from_the_inbox(app_for, db: Database, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(pilot, "credentials")
        await pilot.press("a")
        await settle(pilot)
        assert type(app.screen).__name__ == "AttachScreen"
        hint = text(app, "inbox-hint")
        assert "sftp" in hint and f"alice@{settings.public_host}" in hint and "inbox/" in hint
        (files.inbox_dir(settings, "alice") / "naissance.pdf").write_bytes(demo_pdf("Léa"))
        await pilot.press("f5")
        await settle(pilot)
        assert text(app, "inbox-hint") == ""
        for widget in ("#inbox-files", "#credential-type", "#credential-note"):
            region = app.screen.query_one(widget).region
            assert region.height >= 1 and region.bottom <= 23, widget
        app.screen.query_one("#credential-type", Select).value = "birth"
        app.screen.query_one("#credential-note", Input).focus()
        await pilot.press(*"Léa", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "CredentialsScreen"
        assert "naissance.pdf" in text(app, "credentials-status")
        assert any(r[2] == "naissance.pdf" and r[3] == "en attente" for r in rows(app, "documents"))
    assert not (files.inbox_dir(settings, "alice") / "naissance.pdf").exists()
    [doc] = [
        c
        for c in credentials_data.list_for_member(db, member_id(db, "alice"))
        if c.original_name == "naissance.pdf"
    ]
    assert (doc.type, doc.note, doc.status) == ("birth", "Léa", "pending")


async def test_a_wrong_file_is_refused_on_screen(app_for, db: Database, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    (files.inbox_dir(settings, "alice") / "fake.pdf").write_bytes(b"<html>")
    before = len(credentials_data.list_for_member(db, member_id(db, "alice")))
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(pilot, "credentials")
        await pilot.press("a")
        await settle(pilot)
        app.screen.query_one("#credential-type", Select).value = "birth"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "AttachScreen"
        assert "PDF, PNG et JPEG" in text(app, "attach-status")
    assert len(credentials_data.list_for_member(db, member_id(db, "alice"))) == before


async def test_replace_and_delete_until_validated(
    app_for, db: Database, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(pilot, "credentials")
        table = app.screen.query_one("#documents", DataTable)
        statuses = [r[3] for r in rows(app, "documents")]
        table.move_cursor(row=statuses.index("validé"))
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert type(app.screen).__name__ == "CredentialsScreen"
        assert "ne peut plus" in text(app, "credentials-status")
        table.move_cursor(row=statuses.index("en attente"))
        await pilot.press("r")
        await settle(pilot)
        assert type(app.screen).__name__ == "PickFileDialog"
        assert "scp" in text(app, "inbox-hint")
        (files.inbox_dir(settings, "alice") / "livret-net.pdf").write_bytes(demo_pdf("x"))
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "CredentialsScreen"
        assert any(r[2] == "livret-net.pdf" for r in rows(app, "documents"))
        table.move_cursor(row=[r[2] for r in rows(app, "documents")].index("livret-net.pdf"))
        await pilot.press("d")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.press("y")
        await settle(pilot)
        assert [r[3] for r in rows(app, "documents")] == ["validé"]
    assert len(credentials_data.list_for_member(db, member_id(db, "alice"))) == 1


async def test_manager_validates_a_tax_notice(app_for, db: Database, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    alice = members_data.get_member_by_login(db, "alice")
    assert alice is not None
    (files.inbox_dir(settings, "alice") / "avis.pdf").write_bytes(demo_pdf("avis"))
    doc = credentials.attach(db, settings, alice, file_name="avis.pdf", document_type="tax_notice")
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        assert "manage_credentials" in menu_ids(app)
        await open_section(pilot, "manage_credentials")
        assert type(app.screen).__name__ == "ManageCredentialsScreen"
        assert "2 justificatifs en attente" in text(app, "pending-count")
        assert app.screen.query_one(TitleBar).title_text == "Justificatifs à examiner (2)"
        listed = rows(app, "pending")
        assert [r[3] for r in listed] == ["livret-famille.png", "avis.pdf"]  # oldest first
        app.screen.query_one("#pending", DataTable).move_cursor(row=1)
        await pilot.pause()
        await pilot.press("o")
        await settle(pilot)
        assert f"justificatif-{doc.id}.pdf" in text(app, "manage-credentials-status")
        assert (files.outbox_dir(settings, "marc") / f"justificatif-{doc.id}.pdf").exists()
        await pilot.press("v")
        await settle(pilot)
        assert type(app.screen).__name__ == "ValidateDialog"
        await pilot.press("ctrl+s")  # nothing typed: refused by the service, stays pending
        await settle(pilot)
        assert "quotient familial" in text(app, "manage-credentials-status")
        await pilot.press("v")
        await settle(pilot)
        for widget in ("#qf", "#rfr", "#parts", "#validate"):  # all of the form fits 80×24
            region = app.screen.query_one(widget).region
            assert region.height >= 1 and region.bottom <= 24, widget
        app.screen.query_one("#rfr", Input).focus()
        await pilot.press(*"18000")
        app.screen.query_one("#parts", Input).focus()
        await pilot.press(*"2,5", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "ManageCredentialsScreen"
        assert "validé" in text(app, "manage-credentials-status")
        assert "1 justificatif en attente" in text(app, "pending-count")
    assert subsidies_data.get_quotient_familial(db, alice.id) == 600
    found = credentials_data.get_credential(db, doc.id)
    assert found is not None and found.status == "validated"


async def test_manager_refuses_with_a_reason(app_for, db: Database) -> None:  # type: ignore[no-untyped-def]
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(pilot, "manage_credentials")
        await pilot.press("r")
        await pilot.pause()
        assert type(app.screen).__name__ == "AskDialog"
        await pilot.press("enter")
        await settle(pilot)
        assert "motif" in text(app, "manage-credentials-status")
        await pilot.press("r")
        await pilot.pause()
        await pilot.press(*"Page manquante", "enter")
        await settle(pilot)
        assert rows(app, "pending") == []
        assert "Aucun justificatif" in text(app, "pending-count")
    row = db.execute("SELECT status, reason FROM credentials WHERE type = 'family_book'").fetchone()
    assert tuple(row) == ("refused", "Page manquante")


async def test_managers_see_their_own_organization_only(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("nina")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(pilot, "manage_credentials")
        assert rows(app, "pending") == []
