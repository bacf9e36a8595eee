"""Pilot tests at 80x24: "Mes fichiers", the member's inbox and outbox."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable, Static

from portal.services import files
from portal.widgets.dialogs import YesNoDialog
from tests.typography import fr


async def _settle(app: Any, pilot: Any) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


def _rows(app: Any, selector: str) -> list[list[str]]:
    table = app.screen.query_one(selector, DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_lists_both_folders_with_sizes_and_the_real_commands(app_for, services) -> None:  # type: ignore[no-untyped-def]
    from portal.screens.files import FilesScreen

    settings = services.settings
    (files.inbox_dir(settings, "alice") / "fiche-de-paie.pdf").write_bytes(b"x" * 12800)
    (files.inbox_dir(settings, "alice") / (files.TEMP_PREFIX + "cut")).write_bytes(b"partial")
    files.write_outbox_file(settings, "alice", "FAC-2026-000001.pdf", b"y" * 532)
    (files.inbox_dir(settings, "bob") / "bob.pdf").write_bytes(b"bob")
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        app.call_later(app.push_screen, FilesScreen())
        await _settle(app, pilot)
        assert app.screen.screen_title() == "Mes fichiers"
        inbox = _rows(app, "#files-inbox")
        assert [row[:2] for row in inbox] == [["fiche-de-paie.pdf", "12,5 Ko"]]
        assert [row[:2] for row in _rows(app, "#files-outbox")] == [
            ["FAC-2026-000001.pdf", "532 o"]
        ]
        commands = str(app.screen.query_one("#files-commands", Static).render())
        port = settings.port
        assert f"sftp -P {port} alice@localhost" in commands
        assert f"scp -P {port} payslip.pdf alice@localhost:inbox/" in commands
        # delete, confirmed
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, YesNoDialog)
        await pilot.press("n")
        await _settle(app, pilot)
        assert [e.name for e in files.list_inbox(settings, "alice")] == ["fiche-de-paie.pdf"]
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await _settle(app, pilot)
        assert files.list_inbox(settings, "alice") == []
        assert "supprimé" in str(app.screen.query_one("#files-status", Static).render())
        assert _rows(app, "#files-inbox")[0][0] == "Votre dossier inbox est vide."
        # refresh picks up a new upload
        (files.inbox_dir(settings, "alice") / "new.pdf").write_bytes(b"z")
        await pilot.press("f5")
        await _settle(app, pilot)
        assert _rows(app, "#files-inbox")[0][0] == "new.pdf"
    assert [e.name for e in files.list_inbox(settings, "bob")] == ["bob.pdf"]


async def test_order_screen_gives_the_real_sftp_command(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    from portal.screens.order_detail import OrderDetailScreen
    from portal.services import checkout
    from tests.unit.test_wallet_support import line, member

    alice = member(db, "alice")
    lines = [line("E-billet Pathé", "eticket", "cinema", 940, 2)]  # paid by her benefits
    quote = checkout.prepare_checkout(db, alice, lines=lines)
    detail = checkout.place_order(
        db, alice, quote, settings=services.settings, accepted_terms=True, lines=lines
    )
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        app.call_later(app.push_screen, OrderDetailScreen(detail.order.id))
        await _settle(app, pilot)
        await pilot.press("i")
        message = str(app.screen.query_one("#order-message", Static).render())
    command = f"sftp -P {services.settings.port} alice@localhost"
    invoice = [e.name for e in files.list_outbox(services.settings, "alice")]
    assert len(invoice) == 1 and invoice[0].startswith("FAC-")
    assert message == fr(f"Téléchargez-la avec : {command}, puis get outbox/{invoice[0]}")
