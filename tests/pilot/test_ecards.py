"""Pilot tests at 80x24: "My e-tickets & e-cards", an item's codes, PIN, email, archive."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from textual.geometry import Region
from textual.widgets import DataTable, Input, Static

from portal.data import outbox
from portal.services import audit, clock, ecards, issuing
from portal.widgets.barcode import Barcode
from portal.widgets.qrcode import QRCode
from tests.typography import fr
from tests.unit.test_wallet_support import member


def _text(app: Any, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def _settle(app: Any, pilot: Any) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


def _issue_demo(db: Any, services: Any) -> None:
    """Issue the demo items (the server's loop does it at start)."""
    issuing.process_due(
        db,
        services.issuer,
        services.secrets,
        settings=services.settings,
        now=clock.now() + dt.timedelta(seconds=1),
    )


async def _open_list(app: Any, pilot: Any) -> None:
    from portal.screens.ecards import ECardsScreen

    app.call_later(app.push_screen, ECardsScreen())
    await _settle(app, pilot)


async def _open_card(app: Any, pilot: Any, card_id: int) -> None:
    from portal.screens.ecard_detail import ECardDetailScreen

    app.call_later(app.push_screen, ECardDetailScreen(card_id))
    await _settle(app, pilot)
    await _settle(app, pilot)


def _card(db: Any, login: str, partner: str) -> Any:
    return next(c for c in ecards.list_cards(db, member(db, login)) if c.partner == partner)


async def test_lists_active_and_archived_items_and_opens_one(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    _issue_demo(db, services)
    alice = member(db, "alice")
    active = ecards.list_cards(db, alice)
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_list(app, pilot)
        assert app.screen.screen_title() == "Mes e-billets & e-cartes"
        table = app.screen.query_one("#ecards-table", DataTable)
        assert table.row_count == len(active) == 6  # bob's are not there
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        flat = " ".join(" ".join(r) for r in rows)
        assert "E-carte Carrefour" in flat and fr("32,50 €") in flat and "expirée" in flat
        assert "XXXXXXXX" in flat and "2 personnes" in flat
        assert "Touche a" in _text(app, "#ecards-status")
        await pilot.press("a")
        await _settle(app, pilot)
        assert table.row_count == 1 and "Auchan" in str(table.get_row_at(0)[0])
        assert "archivés" in _text(app, "#ecards-heading")
        await pilot.press("enter")
        await _settle(app, pilot)
        await _settle(app, pilot)
        assert type(app.screen).__name__ == "ECardDetailScreen"
        assert "archivée" in _text(app, "#ecard-heading")
        await pilot.press("a")  # unarchive
        await _settle(app, pilot)
        await _settle(app, pilot)
        assert "De retour" in _text(app, "#ecard-message")
        assert len(ecards.list_cards(db, alice, archived=True)) == 0


# -- codes drawn on the screen, decoded by a real decoder ------------------------------------

zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp decodes the rendered codes")


def screen_image(app: Any, widget: Any, cell: tuple[int, int] = (8, 16)) -> Any:
    """The widget as drawn on screen, rasterised with its real colours (glyph in the
    foreground colour, the rest of the cell in the background colour)."""
    from PIL import Image

    assert app.screen.region.contains_region(widget.region), "the code is cut by the screen"
    width, height = cell
    strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    image = Image.new("RGB", (widget.size.width * width + 40, len(strips) * height + 40), "black")
    pixels = image.load()
    for row, strip in enumerate(strips):
        col = 0
        for segment in strip:
            style = segment.style
            fore = style.color.get_truecolor() if style and style.color else (255, 255, 255)
            back = style.bgcolor.get_truecolor() if style and style.bgcolor else (0, 0, 0)
            for char in segment.text:
                for dy in range(height):
                    for dx in range(width):
                        left, top = dx < width // 2, dy < height // 2
                        lit = (
                            char == "█"
                            or (char == "▌" and left)
                            or (char == "▐" and not left)
                            or (char == "▀" and top)
                            or (char == "▄" and not top)
                        )
                        x, y = 20 + col * width + dx, 20 + row * height + dy
                        pixels[x, y] = tuple(fore) if lit else tuple(back)
                col += 1
    return image


async def test_the_barcode_and_qr_code_read_off_an_80x24_screen(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    _issue_demo(db, services)
    card = _card(db, "alice", "Carrefour")
    number = ecards.codes(db, member(db, "alice"), card.id, services.secrets).number
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_card(app, pilot, card.id)
        bars = app.screen.query_one(Barcode)
        [found] = zxingcpp.read_barcodes(screen_image(app, bars))
        assert found.text == number and found.format == zxingcpp.BarcodeFormat.Code128
        spaced = " ".join(number[i : i + 4] for i in range(0, 16, 4))
        assert spaced in _text(app, "#ecard-number")  # the number as text with it
        assert fr("32,50 €") in _text(app, "#ecard-facts")
        await pilot.press("c")
        await _settle(app, pilot)
        qr = app.screen.query_one(QRCode)
        [found] = zxingcpp.read_barcodes(screen_image(app, qr))
        assert found.text == number and found.format == zxingcpp.BarcodeFormat.QRCode
        assert spaced in _text(app, "#ecard-side")  # beside the QR code


async def test_pin_is_hidden_until_revealed_and_the_reveal_is_audited(
    app_for, db, services
) -> None:  # type: ignore[no-untyped-def]
    _issue_demo(db, services)
    card = _card(db, "alice", "Fnac")
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_card(app, pilot, card.id)
        assert "••••" in _text(app, "#ecard-facts")
        assert not [e for e in audit.recent(db) if e.action == "ecard.pin_revealed"]
        await pilot.press("p")
        await _settle(app, pilot)
        facts = _text(app, "#ecard-facts")
        assert "••••" not in facts and fr("PIN : ") in facts
        pin = facts.split(fr("PIN : "))[1][:4]
        assert pin.isdigit()
        [entry] = [e for e in audit.recent(db) if e.action == "ecard.pin_revealed"]
        assert entry.target == f"ecard:{card.id}" and pin not in repr(entry.details)


async def test_balance_from_the_issuer_or_the_advice(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    _issue_demo(db, services)
    fnac, intermarche = _card(db, "alice", "Fnac"), _card(db, "alice", "Intermarché")
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_card(app, pilot, fnac.id)
        await pilot.press("b")
        await _settle(app, pilot)
        await _settle(app, pilot)
        assert fr("Solde : 30,00 €") in _text(app, "#ecard-facts")
        app.pop_screen()
        await _open_card(app, pilot, intermarche.id)
        await pilot.press("b")
        await _settle(app, pilot)
        await _settle(app, pilot)
        facts = _text(app, "#ecard-facts")
        assert "en caisse" in facts and "consultation de solde en ligne" in facts


async def test_send_by_email_to_the_usual_address_or_another(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    _issue_demo(db, services)
    card = _card(db, "alice", "Carrefour")
    usual = ecards.default_recipient(db, member(db, "alice"))
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_card(app, pilot, card.id)
        await pilot.press("e")
        await _settle(app, pilot)
        field = app.screen.query_one("#dialog-input", Input)
        assert field.value == usual
        await pilot.press("enter")
        await _settle(app, pilot)
        await _settle(app, pilot)
        assert usual in _text(app, "#ecard-message")
        [sent] = outbox.list_emails(db, recipient=usual, limit=1)
        assert card.number_masked in sent.body
        assert outbox.attachments_of(db, sent.id)[0].content[:4] == b"%PDF"

        await pilot.press("e")
        await _settle(app, pilot)
        app.screen.query_one("#dialog-input", Input).value = "pas une adresse"
        await pilot.press("enter")
        await _settle(app, pilot)
        await _settle(app, pilot)
        assert "n'est pas une adresse" in _text(app, "#ecard-message")

        await pilot.press("e")
        await _settle(app, pilot)
        app.screen.query_one("#dialog-input", Input).value = "mamie@example.fr"
        await pilot.press("enter")
        await _settle(app, pilot)
        await _settle(app, pilot)
        assert outbox.list_emails(db, recipient="mamie@example.fr")


async def test_bob_cannot_open_alices_item(app_for, db, services) -> None:  # type: ignore[no-untyped-def]
    _issue_demo(db, services)
    card = _card(db, "alice", "Carrefour")
    app = app_for("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_card(app, pilot, card.id)
        assert "does not exist" in _text(app, "#ecard-message")
        assert not app.screen.query(Barcode)
        assert card.number_masked not in _text(app, "#ecard-heading")
