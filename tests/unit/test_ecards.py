"""E-cards and e-tickets: issuing after an order, storage, the member's own items only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from portal.data import catalog as catalog_data
from portal.data import ecards as ecards_data
from portal.data import orders as orders_data
from portal.data import outbox
from portal.services import audit, cancellation, ecard_schedule, ecards, files, issuing
from portal.services.errors import UserError
from portal.services.issuing import IssuedItem, IssueRequest, SandboxIssuer
from portal.services.payment_sandbox import SandboxProvider
from portal.services.runtime import make_services
from portal.widgets.barcode import barcode_lines
from portal.widgets.qrcode import qr_lines
from tests.unit.test_orders import _order
from tests.unit.test_wallet_support import NOW, member, new_member
from tests.unit.test_wallet_support import line as checkout_line

SOON = dt.timedelta(seconds=1)


def _offer(db: Any, title: str) -> Any:
    found = next((o for o in catalog_data.list_visible_offers(db, None) if o.title == title), None)
    assert found is not None, title
    return found


def _ecard_order(db: Any, settings: Any, buyer: Any, *, cards: int = 2, people: int = 2) -> Any:
    """A paid order of ``cards`` Carrefour e-cards of 50 € and a Pathé e-ticket for ``people``."""
    carrefour, pathe = _offer(db, "E-carte Carrefour"), _offer(db, "E-billet Pathé")
    lines = [
        checkout_line(
            carrefour.title,
            "ecard",
            "groceries",
            4750,
            cards,
            offer_id=carrefour.id,
            face_value_cents=5000,
            shipping=False,
        ),
        checkout_line(
            pathe.title,
            "eticket",
            "cinema",
            940,
            people,
            offer_id=pathe.id,
            face_value_cents=1490,
            shipping=False,
        ),
    ]
    return _order(db, settings, SandboxProvider(), buyer, lines)


def _due(settings: Any) -> dt.datetime:
    return NOW + dt.timedelta(seconds=settings.ecard_issue_delay)


def _issue_all(db: Any, services: Any, at: dt.datetime) -> int:
    return issuing.process_due(
        db, services.issuer, services.secrets, settings=services.settings, now=at
    )


def _order_emails(db: Any, member_id: int) -> list[Any]:
    return [e for e in outbox.list_emails(db) if e.member_id == member_id]


class FlakyIssuer:
    """The sandbox behind a partner that fails the first ``failures`` calls."""

    def __init__(self, inner: SandboxIssuer, failures: int) -> None:
        self.inner = inner
        self.failures = failures
        self.calls = 0
        self.name = inner.name

    def issue(self, line: IssueRequest) -> IssuedItem:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError("partner unreachable")
        return self.inner.issue(line)

    def balance(self, card: Any) -> int | None:
        raise ConnectionError("partner unreachable")


def test_items_wait_the_delay_survive_a_restart_and_finish_the_order(
    db, settings, services
) -> None:  # type: ignore[no-untyped-def]
    alice = member(db, "alice")
    detail = _ecard_order(db, settings, alice)
    order_id = detail.order.id
    assert detail.order.status == "preparing"
    jobs = ecards_data.order_issues(db, order_id)
    assert [(j.kind, j.people, j.value_cents) for j in jobs] == [
        ("ecard", 1, 5000),
        ("ecard", 1, 5000),
        ("eticket", 2, 2980),
    ]
    assert _issue_all(db, services, _due(settings) - SOON) == 0  # not yet due
    emails_before = len(_order_emails(db, alice.id))

    # A restart: a new process over the same database and key finds the queue.
    restarted = make_services(settings)
    try:
        issued = restarted.store.run_sync(
            issuing.process_due,
            restarted.issuer,
            restarted.secrets,
            settings=settings,
            now=_due(settings),
        )
    finally:
        restarted.close()
    assert issued == 3

    order = orders_data.get_order(db, order_id)
    assert order is not None and order.status == "available"
    assert {ln.status for ln in orders_data.get_lines(db, order_id)} == {"available"}
    cards = ecards.list_cards(db, alice)
    mine = [c for c in cards if c.order_id == order_id]
    assert len(mine) == 3
    card = next(c for c in mine if c.kind == "ecard")
    number = ecards.codes(db, alice, card.id, services.secrets).number
    assert number.startswith("5032") and len(number) == 16 and issuing.luhn_valid(number)
    assert card.number_masked == number[:4] + "X" * 8 + number[-4:]
    assert card.expires_on == "2027-06-14"  # one year after purchase (15 June 2026)
    assert "carburant" in card.usable_at and card.terms
    pin = ecards.reveal_pin(db, alice, card.id, services.secrets)
    assert len(pin) == 4 and pin.isdigit()
    ticket = next(c for c in mine if c.kind == "eticket")
    assert ticket.people == 2 and not ticket.has_pin and "Pathé" in ticket.usable_at

    # One email, when everything is issued, with each item as PDF; PDFs in the outbox.
    new = _order_emails(db, alice.id)[: len(_order_emails(db, alice.id)) - emails_before]
    assert len(new) == 1 and "disponibles" in new[0].subject
    assert "Mes e-billets & e-cartes" in new[0].body
    attached = outbox.attachments_of(db, new[0].id)
    assert len(attached) == 3
    assert all(a.content_type == "application/pdf" and a.content[:4] == b"%PDF" for a in attached)
    names = {entry.name for entry in files.list_outbox(settings, alice.login)}
    assert {a.filename for a in attached} <= names
    # Nothing is issued twice when the loop runs again.
    assert _issue_all(db, services, _due(settings) + dt.timedelta(hours=1)) == 0


def test_an_issuer_failure_is_retried_with_backoff(db, settings, services) -> None:  # type: ignore[no-untyped-def]
    alice = member(db, "alice")
    order_id = _ecard_order(db, settings, alice, cards=1, people=1).order.id
    flaky = FlakyIssuer(services.issuer, failures=3)
    start = _due(settings)
    assert issuing.process_due(db, flaky, services.secrets, settings=settings, now=start) == 0
    jobs = ecards_data.order_issues(db, order_id)
    assert [j.attempts for j in jobs] == [1, 1]
    assert {j.due_at for j in jobs} == {issuing.iso(start + dt.timedelta(seconds=30))}
    # Before the backoff: nothing is asked.
    calls = flaky.calls
    assert (
        issuing.process_due(
            db, flaky, services.secrets, settings=settings, now=start + dt.timedelta(seconds=29)
        )
        == 0
    )
    assert flaky.calls == calls
    # The first retries: one more failure (the third call), then a success.
    at = start + dt.timedelta(seconds=30)
    assert issuing.process_due(db, flaky, services.secrets, settings=settings, now=at) == 1
    failed = [j for j in ecards_data.order_issues(db, order_id) if j.status == "pending"]
    assert len(failed) == 1 and failed[0].attempts == 2
    assert failed[0].due_at == issuing.iso(at + dt.timedelta(seconds=60))  # doubled
    assert "ConnectionError" in (failed[0].last_error or "")
    order = orders_data.get_order(db, order_id)
    assert order is not None and order.status == "preparing"
    assert (
        issuing.process_due(
            db, flaky, services.secrets, settings=settings, now=at + dt.timedelta(seconds=60)
        )
        == 1
    )
    order = orders_data.get_order(db, order_id)
    assert order is not None and order.status == "available"
    assert issuing.backoff_seconds(20) == issuing.BACKOFF_MAX


def test_a_cancelled_order_is_not_issued(db, settings, services) -> None:  # type: ignore[no-untyped-def]
    alice = member(db, "alice")
    order_id = _ecard_order(db, settings, alice, cards=1, people=1).order.id
    cancellation.cancel_order(db, alice, order_id, provider=SandboxProvider())
    assert _issue_all(db, services, _due(settings)) == 0
    assert {j.status for j in ecards_data.order_issues(db, order_id)} == {"cancelled"}
    assert not [c for c in ecards.list_cards(db, alice) if c.order_id == order_id]


def test_numbers_are_stored_encrypted_and_shown_masked(db, settings, services) -> None:  # type: ignore[no-untyped-def]
    alice = member(db, "alice")
    order_id = _ecard_order(db, settings, alice, cards=2, people=1).order.id
    _issue_all(db, services, _due(settings))
    numbers = [
        ecards.codes(db, alice, c.id, services.secrets).number
        for c in ecards.list_cards(db, alice)
        if c.order_id == order_id
    ]
    assert len(numbers) == 3
    raw = b"".join(
        path.read_bytes()
        for path in (settings.db_path, settings.db_path.with_name("portal.db-wal"))
        if path.exists()
    )
    for number in numbers:
        assert number.encode() not in raw
        assert mask_of(number).encode() in raw  # the masked form is what lists read
    # The PDFs hold the number (they are the cards), but compressed: not greppable either.


def mask_of(number: str) -> str:
    return number[:4] + "X" * (len(number) - 8) + number[-4:]


def test_pin_reveal_is_audited_without_the_pin(db, settings, services) -> None:  # type: ignore[no-untyped-def]
    alice = member(db, "alice")
    _ecard_order(db, settings, alice, cards=1, people=1)
    _issue_all(db, services, _due(settings))
    card = next(c for c in ecards.list_cards(db, alice) if c.has_pin)
    pin = ecards.reveal_pin(db, alice, card.id, services.secrets, ip="127.0.0.1")
    entry = next(e for e in audit.recent(db) if e.action == "ecard.pin_revealed")
    assert entry.actor_id == alice.id and entry.target == f"ecard:{card.id}"
    assert pin not in repr(entry.details) and entry.details["masked"] == card.number_masked


def test_archive_and_unarchive(db, settings, services) -> None:  # type: ignore[no-untyped-def]
    alice = member(db, "alice")
    _ecard_order(db, settings, alice, cards=1, people=1)
    _issue_all(db, services, _due(settings))
    card = ecards.list_cards(db, alice)[0]
    ecards.archive(db, alice, card.id)
    assert card.id not in {c.id for c in ecards.list_cards(db, alice)}
    assert card.id in {c.id for c in ecards.list_cards(db, alice, archived=True)}
    ecards.archive(db, alice, card.id, archived=False)
    assert card.id in {c.id for c in ecards.list_cards(db, alice)}


def test_send_by_email_to_the_usual_or_a_typed_address(db, settings, services) -> None:  # type: ignore[no-untyped-def]
    alice = member(db, "alice")
    _ecard_order(db, settings, alice, cards=1, people=1)
    _issue_all(db, services, _due(settings))
    card = next(c for c in ecards.list_cards(db, alice) if c.kind == "ecard")
    usual = ecards.default_recipient(db, alice)
    assert ecards.send_by_email(db, alice, card.id, services.secrets, settings=settings) == usual
    sent = outbox.list_emails(db, recipient=usual)[0]
    assert card.number_masked in sent.body
    [pdf] = outbox.attachments_of(db, sent.id)
    assert pdf.content[:4] == b"%PDF" and pdf.content_type == "application/pdf"

    to = ecards.send_by_email(
        db, alice, card.id, services.secrets, settings=settings, to="  Mamie@Example.FR "
    )
    assert to == "Mamie@example.fr" and outbox.list_emails(db, recipient=to)
    count = len(outbox.list_emails(db, limit=1000))
    for bad in ("not an address", "a@b\x1b[2J.fr"):
        with pytest.raises(UserError):
            ecards.send_by_email(db, alice, card.id, services.secrets, settings=settings, to=bad)
    assert len(outbox.list_emails(db, limit=1000)) == count


def test_balances_come_from_the_issuer_or_the_advice(db, settings, services) -> None:  # type: ignore[no-untyped-def]
    alice = member(db, "alice")
    _ecard_order(db, settings, alice, cards=1, people=1)
    _issue_all(db, services, _due(settings))
    card = next(c for c in ecards.list_cards(db, alice) if c.kind == "ecard")
    assert ecards.check_balance(db, alice, card.id, services.issuer).balance_cents == 5000
    assert services.issuer.spend(card.reference, 1234)
    checked = ecards.check_balance(db, alice, card.id, services.issuer)
    assert checked.balance_cents == 3766 and checked.balance_known == 1
    assert not services.issuer.spend(card.reference, 5000)  # never below zero
    # An issuer that does not answer: a sentence, and the last answer is kept.
    with pytest.raises(UserError, match="did not answer"):
        ecards.check_balance(db, alice, card.id, FlakyIssuer(services.issuer, 0))
    assert ecards.get_card(db, alice, card.id).balance_cents == 3766


def test_demo_items_for_alice_and_bob(db, settings, services) -> None:  # type: ignore[no-untyped-def]
    alice, bob = member(db, "alice"), member(db, "bob")
    assert ecards.pending_count(db, alice) > 0  # queued by the demo, issued by the loop
    _issue_all(db, services, NOW.replace(year=2030))
    active = ecards.list_cards(db, alice)
    archived = ecards.list_cards(db, alice, archived=True)
    assert len(archived) == 1 and archived[0].balance_cents == 0
    assert any(ecards.is_expired(c) for c in active)
    assert any(c.kind == "eticket" for c in active)
    used = next(c for c in active if c.partner == "Carrefour")
    assert used.balance_cents == 3250 and used.balance_known == 1
    no_inquiry = next(c for c in active if c.partner == "Intermarché")
    checked = ecards.check_balance(db, alice, no_inquiry.id, services.issuer)
    assert checked.balance_known == 0 and checked.balance_cents is None
    message, params = ecards.balance_advice(checked)
    assert "online balance inquiry" in message and params["brand"] == "Intermarché"
    assert {c.partner for c in ecards.list_cards(db, bob)} >= {"IKEA", "UGC"}
    assert ecards.pending_count(db, alice) == 0


def test_a_member_never_reaches_another_members_items(db, settings, services) -> None:  # type: ignore[no-untyped-def]
    alice, bob = member(db, "alice"), member(db, "bob")
    carol = new_member(db, "carol")
    marc = member(db, "marc")  # alice's manager: the items are hers alone
    _ecard_order(db, settings, alice, cards=1, people=1)
    _issue_all(db, services, _due(settings))
    card = next(c for c in ecards.list_cards(db, alice) if c.kind == "ecard")
    box = services.secrets
    for other in (bob, carol, marc):
        assert card.id not in {c.id for c in ecards.list_cards(db, other)}
        assert card.id not in {c.id for c in ecards.list_cards(db, other, archived=True)}
        calls = [
            lambda o=other: ecards.get_card(db, o, card.id),
            lambda o=other: ecards.codes(db, o, card.id, box),
            lambda o=other: ecards.reveal_pin(db, o, card.id, box),
            lambda o=other: ecards.check_balance(db, o, card.id, services.issuer),
            lambda o=other: ecards.archive(db, o, card.id),
            lambda o=other: ecards.send_by_email(db, o, card.id, box, settings=settings),
        ]
        for call in calls:
            with pytest.raises(UserError, match="does not exist"):
                call()
    assert ecards.get_card(db, alice, card.id).archived_at is None
    assert not [e for e in audit.recent(db) if e.action == "ecard.pin_revealed"]
    with pytest.raises(UserError, match="does not exist"):
        ecards.get_card(db, alice, 999_999)


def test_luhn_and_mask() -> None:
    assert issuing.luhn_valid("4242424242424242")
    assert not issuing.luhn_valid("4242424242424241")
    for _ in range(50):
        number = issuing.sandbox_number("Carrefour", "ecard")
        assert issuing.luhn_valid(number) and number.startswith("5032")
    assert issuing.mask("50321234567890127118") == "5032XXXXXXXXXXXX7118"  # the seed's
    assert ecard_schedule.expiry_date(dt.date(2019, 7, 10)) == dt.date(2020, 7, 9)
    assert ecard_schedule.expiry_date(dt.date(2028, 2, 29)) == dt.date(2029, 2, 27)


# -- codes decoded back by a real decoder ----------------------------------------------------

zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp decodes the rendered codes")


def rasterise(lines: list[str], cell: tuple[int, int] = (8, 16)) -> Any:
    """Draw half-block lines as a picture: glyphs light (white) on a dark ground."""
    from PIL import Image

    width, height = cell
    image = Image.new("L", (max(len(x) for x in lines) * width, len(lines) * height), 0)
    pixels = image.load()
    for row, text in enumerate(lines):
        for col, char in enumerate(text):
            for dy in range(height):
                for dx in range(width):
                    left, top = dx < width // 2, dy < height // 2
                    light = (
                        char == "█"
                        or (char == "▌" and left)
                        or (char == "▐" and not left)
                        or (char == "▀" and top)
                        or (char == "▄" and not top)
                    )
                    if light:
                        pixels[col * width + dx, row * height + dy] = 255
    return image


@pytest.mark.parametrize("number", ["5032123456787118", "82501234567894"])
def test_barcode_and_qr_lines_decode_back(number: str) -> None:
    bars = barcode_lines(number)
    assert len(bars[0]) <= 76  # fits 80 columns with the page's padding
    [found] = zxingcpp.read_barcodes(rasterise(bars))
    assert found.text == number and found.format == zxingcpp.BarcodeFormat.Code128
    [found] = zxingcpp.read_barcodes(rasterise(qr_lines(number)))
    assert found.text == number and found.format == zxingcpp.BarcodeFormat.QRCode


async def test_the_server_runs_the_issuing_loop(services) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from portal.data import members as members_data
    from portal.ssh.server import PortalServer

    server = PortalServer(services)
    server.issuing_interval = 0.01
    rounds = asyncio.Event()
    original = server._issue_ecards

    async def tracked() -> None:
        await original()
        rounds.set()

    server._issue_ecards = tracked  # type: ignore[method-assign]
    alice = await services.store.run(members_data.get_member_by_login, "alice")
    assert await services.store.run(ecards.pending_count, alice) > 0  # the demo's
    await server.start()
    try:
        await asyncio.wait_for(rounds.wait(), 10)
    finally:
        await server.close()
    assert await services.store.run(ecards.pending_count, alice) == 0
    assert len(await services.store.run(ecards.list_cards, alice)) == 6
