"""Pilot tests of "Ma carte membre": the card, its QR code, the verification count."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlite_utils import Database
from textual.widgets import OptionList

from portal.data import members as members_data
from portal.services import membership
from portal.services.clock import PARIS, FrozenClock
from portal.widgets.footer import PortalFooter
from portal.widgets.qrcode import QRCode, qr_lines, qr_matrix
from tests.pilot.test_account import settle, text
from tests.typography import fr

NOON = dt.datetime(2026, 6, 15, 12, 0, tzinfo=PARIS)


@pytest.fixture
def june(frozen_clock: FrozenClock) -> FrozenClock:
    frozen_clock.set(NOON)
    return frozen_clock


async def _open_card(pilot: Any) -> None:
    menu = pilot.app.screen.query_one("#menu", OptionList)
    menu.highlighted = next(
        i for i in range(menu.option_count) if menu.get_option_at_index(i).id == "membership_card"
    )
    await pilot.press("enter")
    await settle(pilot)
    assert type(pilot.app.screen).__name__ == "MembershipCardScreen"


def _footer_keys(app: Any) -> set[str]:
    footer = app.screen.query_one(PortalFooter)
    return {key.description for key in footer.shown}


def _matrix_from_lines(lines: list[str]) -> list[list[bool]]:
    """The dark modules read back from the half-block glyphs (glyphs are light)."""
    rows: list[list[bool]] = []
    for line in lines:
        rows.append([glyph not in "█▀" for glyph in line])
        rows.append([glyph not in "█▄" for glyph in line])
    return rows


def _decode(lines: list[str]) -> str:
    """Decode the terminal rendering with a real QR decoder (ZXing)."""
    zxingcpp = pytest.importorskip("zxingcpp")
    image_module = pytest.importorskip("PIL.Image")
    matrix = _matrix_from_lines(lines)
    scale, size = 8, len(matrix[0])
    image = image_module.new("L", (size * scale, len(matrix) * scale), 255)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                image.paste(0, (x * scale, y * scale, (x + 1) * scale, (y + 1) * scale))
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1
    return str(results[0].text)


async def test_the_card_shows_the_members_own_card_and_a_qr_of_its_address(  # type: ignore[no-untyped-def]
    app_for, db: Database, june: FrozenClock
) -> None:
    alice = members_data.get_member_by_login(db, "alice")
    assert alice is not None
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_card(pilot)
        screen = app.screen
        card = screen.card
        assert card is not None
        assert text(app, "#card-first-name") == "Alice"
        assert text(app, "#card-organization") == alice.organization_name
        assert text(app, "#card-valid-until") == "Valable jusqu'au 31 décembre 2026"
        assert text(app, "#card-checks") == "Pas encore vérifiée."
        assert text(app, "#card-url") == card.url
        # the card is alice's: its token names her and nobody else
        assert membership.read_token(app.services.secrets, card.token) == (
            alice.id,
            dt.date(2026, 12, 31),
        )
        qr = screen.query_one("#card-qr", QRCode)
        assert qr.lines == qr_lines(card.url)
        assert _matrix_from_lines(qr.lines)[: len(qr_matrix(card.url))] == qr_matrix(card.url)
        # it fits 80x24 between the title bar and the footer, the URL visible beside it
        assert qr.region.y >= 1 and qr.region.bottom <= 23 and qr.region.right <= 80
        url = screen.query_one("#card-url")
        assert url.region.bottom <= 23 and url.region.x >= qr.region.right
        assert "Martin" not in text(app, "#card-first-name")
        assert {"Actualiser", "Retour"} <= _footer_keys(app)

        # two partners check it; "r" reads the count again
        membership.verify(db, card.token, secrets=app.services.secrets)
        june.advance(90)
        membership.verify(db, card.token, secrets=app.services.secrets)
        await pilot.press("r")
        await settle(pilot)
        assert text(app, "#card-checks") == "Vérifiée 2 fois, dernière le 15/06/2026 12:01."


async def test_the_qr_code_decodes_back_to_the_address(  # type: ignore[no-untyped-def]
    app_for, june: FrozenClock
) -> None:
    app = app_for("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_card(pilot)
        card = app.screen.card
        assert card is not None and card.first_name == "Bob"
        qr = app.screen.query_one("#card-qr", QRCode)
        assert _decode(qr.lines) == card.url
        assert text(app, "#card-valid-until") == "Valid until 31 December 2026"  # bob reads English


async def test_a_deactivated_member_sees_a_sentence_not_a_card(  # type: ignore[no-untyped-def]
    app_for, db: Database, june: FrozenClock
) -> None:
    app = app_for("alice")
    alice = members_data.get_member_by_login(db, "alice")
    assert alice is not None
    members_data.set_status(db, alice.id, "deactivated")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_card(pilot)
        assert app.screen.card is None
        assert not app.screen.query("#card-qr")
        assert text(app, "#card-refused") == (
            fr("Votre compte n'est pas actif : il n'a pas de carte membre.")
        )
        assert "Retour" in _footer_keys(app)
