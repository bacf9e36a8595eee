"""Pilot tests of the audit log viewer at 80×24: filters, pages, details as plain text,
the CSV export, and a manager seeing their organization only."""

from __future__ import annotations

from sqlite_utils import Database
from textual.widgets import Input

from portal.data import members as members_data
from portal.services import audit, files
from portal.services.audit_view import PAGE_SIZE
from tests.pilot.manage_helpers import open_management, settle, table_rows, text_of


def ids(db: Database, *logins: str) -> list[int]:
    found = [members_data.get_member_by_login(db, login) for login in logins]
    return [m.id for m in found if m is not None]


async def type_filter(pilot, widget_id: str, text: str) -> None:  # type: ignore[no-untyped-def]
    field = pilot.app.screen.query_one(f"#{widget_id}", Input)
    field.focus()
    field.value = text
    await pilot.press("enter")
    await settle(pilot)


async def test_filters_pages_and_isolation(app_for, db: Database, settings) -> None:  # type: ignore[no-untyped-def]
    marc, bob = (members_data.get_member_by_login(db, x) for x in ("marc", "bob"))
    assert marc is not None and bob is not None
    for i in range(PAGE_SIZE + 3):
        audit.record(db, "pilot.row", actor_id=marc.id, organization_id=marc.organization_id, n=i)
    audit.record(
        db,
        "pilot.secret_row",
        actor_id=bob.id,
        organization_id=bob.organization_id,
        target="[bold]Horizon[/bold]",
    )
    audit.record(
        db,
        "pilot.markup",
        actor_id=marc.id,
        organization_id=marc.organization_id,
        target="[red]x[/red]",
        note="[b]not bold[/b]",
    )
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_management(pilot, "audit")
        assert type(app.screen).__name__ == "AuditScreen"
        await type_filter(pilot, "filter-action", "pilot.")
        rows = table_rows(app, "audit-table")
        assert len(rows) == PAGE_SIZE
        assert rows[0][2] == "pilot.markup" and rows[0][3] == "[red]x[/red]"
        assert all("secret_row" not in r[2] for r in rows)
        assert "Page 1 sur 2 · 54 entrées" in text_of(app, "audit-status")
        assert "[b]not bold[/b]" in text_of(app, "audit-details")  # shown as text
        await pilot.press("pagedown")
        await settle(pilot)
        assert len(table_rows(app, "audit-table")) == 4
        assert "Page 2 sur 2" in text_of(app, "audit-status")
        await type_filter(pilot, "filter-target", "Horizon")
        assert table_rows(app, "audit-table") == []
        await type_filter(pilot, "filter-since", "31/12/2026")
        assert "AAAA-MM-JJ" in text_of(app, "field-error")
        await type_filter(pilot, "filter-since", "")
        await type_filter(pilot, "filter-target", "")
        app.screen.query_one("#audit-table").focus()
        await pilot.press("ctrl+x")
        await settle(pilot)
        status = text_of(app, "audit-status")
        assert "outbox/audit-" in status and "sftp -P" in status
        name = status.split("outbox/", 1)[1].split(" ", 1)[0]
        content = (files.outbox_dir(settings, "marc") / name).read_text("utf-8-sig")
        assert "pilot.row" in content and "secret_row" not in content


async def test_an_admin_sees_every_organization_named(app_for, db: Database) -> None:  # type: ignore[no-untyped-def]
    bob = members_data.get_member_by_login(db, "bob")
    assert bob is not None
    audit.record(db, "pilot.horizon", actor_id=bob.id, organization_id=bob.organization_id)
    app = app_for("admin")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_management(pilot, "audit")
        await type_filter(pilot, "filter-action", "pilot.horizon")
        rows = table_rows(app, "audit-table")
        assert rows[0][1] == "CSE Horizon" and rows[0][2] == "bob"
