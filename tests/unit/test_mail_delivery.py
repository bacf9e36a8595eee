"""Outbox delivery to a Maildir folder, email templates, and where a member's mail goes."""

from __future__ import annotations

import asyncio
import datetime as dt
import mailbox
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from sqlite_utils import Database

from portal.data import outbox
from portal.data.db import transaction
from portal.data.members import get_member_by_login
from portal.i18n import get_translator
from portal.services import emails, notifications
from portal.services.mailer import DeliveryReport, MaildirTransport, Mailer, transport_for
from portal.services.runtime import Services

UTC = dt.UTC


def _messages(folder: Path) -> list[EmailMessage]:
    box = mailbox.Maildir(str(folder), create=False)
    return [
        message_from_bytes(box.get_bytes(key), policy=default)  # type: ignore[misc]
        for key in sorted(box.keys())
    ]


def _mailer(services: Services, folder: Path, start: dt.datetime | None = None) -> Mailer:
    now = start or dt.datetime.now(UTC) + dt.timedelta(seconds=1)
    return Mailer(
        services.store,
        MaildirTransport(folder),
        sender="Portal CSE <no-reply@portal.example>",
        clock=lambda: now,
    )


async def test_maildir_delivery_in_french_with_attachment(
    services: Services, db: Database, tmp_path: Path
) -> None:
    alice = get_member_by_login(db, "alice")
    assert alice is not None
    with transaction(db):
        email_id = emails.notify_member(
            db,
            alice.id,
            emails.VERIFY_EMAIL_CODE,
            code="123456",
            minutes=15,
            attachments=[("facture.pdf", "application/pdf", b"%PDF-1.4 demo")],
        )
    report = await _mailer(services, tmp_path / "mail").deliver_due()
    assert report == DeliveryReport(sent=1)

    [message] = _messages(tmp_path / "mail")
    assert message["To"] == "alice.martin@demo.example"
    assert message["From"] == "Portal CSE <no-reply@portal.example>"
    assert message["Subject"] == "Votre code pour confirmer cette adresse e-mail"
    assert message["Message-ID"].startswith(f"<portal.{email_id}.")
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert text.startswith("Bonjour Alice,")
    assert "    123456" in text and "valable 15 minutes" in text
    assert "CSE Démo" in text
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "facture.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == b"%PDF-1.4 demo"

    stored = outbox.get_email(db, email_id)
    assert stored is not None and stored.status == "sent" and stored.sent_at
    assert stored.attempts == 1 and stored.claim_token is None


async def test_maildir_delivery_in_english_for_an_english_member(
    services: Services, db: Database, tmp_path: Path
) -> None:
    bob = get_member_by_login(db, "bob")
    assert bob is not None
    with transaction(db):
        emails.notify_member(db, bob.id, emails.EMAIL_CHANGED, email="bob@home.example")
    await _mailer(services, tmp_path / "mail").deliver_due()
    [message] = _messages(tmp_path / "mail")
    assert message["To"] == "bob.lefevre@horizon.example"
    assert message["Subject"] == "Your communication email has changed"
    text = message.get_content()
    assert text.startswith("Hello Bob,")
    assert "sent to bob@home.example" in text
    assert "Please do not reply" in text


async def test_a_sensitive_body_is_erased_once_sent(
    services: Services, db: Database, tmp_path: Path
) -> None:
    email_id = notifications.enqueue(
        db, to="x@example.fr", subject="Code", body="code 424242", sensitive=True
    )
    await _mailer(services, tmp_path / "mail").deliver_due()
    stored = outbox.get_email(db, email_id)
    assert stored is not None and stored.status == "sent" and stored.body == ""
    assert "424242" in _messages(tmp_path / "mail")[0].get_content()


async def test_nothing_is_queued_when_the_transaction_rolls_back(db: Database) -> None:
    with pytest.raises(RuntimeError), transaction(db):
        notifications.enqueue(db, to="x@example.fr", subject="s", body="b")
        raise RuntimeError("the change failed")
    assert outbox.list_emails(db) == []


async def test_the_mailer_wakes_when_a_session_enqueues(services: Services, tmp_path: Path) -> None:
    """No periodic check in the test's lifetime: only the enqueue wake-up can deliver."""
    loop = asyncio.get_running_loop()
    delivered = asyncio.Event()

    class Recording(MaildirTransport):
        def send(self, message: EmailMessage) -> None:
            super().send(message)
            loop.call_soon_threadsafe(delivered.set)

    mailer = Mailer(
        services.store, Recording(tmp_path / "mail"), sender="p@portal.example", idle_check=3600
    )
    await mailer.start()
    try:

        def queue(db: Database) -> int:
            with transaction(db):
                return notifications.enqueue(db, to="a@example.fr", subject="Hi", body="Hello")

        email_id = await services.store.run(queue)
        await asyncio.wait_for(delivered.wait(), 10)
    finally:
        await mailer.stop()
    stored = await services.store.run(outbox.get_email, email_id)
    assert stored is not None and stored.status == "sent"
    assert [m["Subject"] for m in _messages(tmp_path / "mail")] == ["Hi"]


def test_render_fills_a_template_in_each_language() -> None:
    fr = emails.render(
        get_translator("fr"),
        "contact.verify_code",
        name="Léa",
        organization="CSE Démo",
        code="000111",
        minutes=15,
    )
    en = emails.render(
        get_translator("en"),
        "contact.verify_code",
        name="Léa",
        organization="CSE Démo",
        code="000111",
        minutes=15,
    )
    assert fr.subject == "Votre code pour confirmer cette adresse e-mail"
    assert en.subject == "Your code to confirm this email address"
    assert "Bonjour Léa" in fr.body and "Hello Léa" in en.body
    assert "Merci de ne pas y répondre" in fr.body
    with pytest.raises(KeyError):
        emails.render(get_translator("fr"), "contact.verify_code", name="x")


def test_recipient_is_the_organization_email_until_one_is_verified(db: Database) -> None:
    from portal.data import contact as contact_data

    alice = get_member_by_login(db, "alice")
    assert alice is not None
    assert emails.recipient_for(db, alice.id) == "alice.martin@demo.example"
    contact_data.set_comm_email(db, alice.id, "alice@perso.example", now="2026-01-01T00:00:00.000Z")
    assert emails.recipient_for(db, alice.id) == "alice@perso.example"
    with pytest.raises(LookupError):
        emails.recipient_for(db, 999_999)


def test_the_transport_follows_the_settings(services: Services) -> None:
    assert isinstance(transport_for(services.settings), MaildirTransport)
    assert transport_for(services.settings).path == services.settings.maildir  # type: ignore[attr-defined]
