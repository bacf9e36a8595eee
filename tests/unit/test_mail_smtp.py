"""Delivery through a real SMTP server on loopback (aiosmtpd), retries and backoff.

The server runs in aiosmtpd's own thread on a free port; the mailer's clock is fake, so
retries are exercised by moving time, never by sleeping.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlite_utils import Database

from portal.data import outbox
from portal.data.db import transaction
from portal.services import notifications
from portal.services.mailer import (
    DeliveryReport,
    Mailer,
    SMTPConfig,
    SMTPTransport,
    parse_smtp_url,
)
from portal.services.notifications import Backoff
from portal.services.runtime import Services

UTC = dt.UTC


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Relay:
    """An aiosmtpd handler that records messages, or refuses them when told to."""

    def __init__(self) -> None:
        self.received: list[Any] = []
        self.data_reply: str | None = None
        self.rcpt_reply: str | None = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply:
            return self.data_reply
        self.received.append(envelope)
        return "250 Message accepted"

    def messages(self) -> list[Any]:
        return [message_from_bytes(e.content, policy=default) for e in self.received]


@pytest.fixture
def relay() -> Iterator[tuple[Relay, int]]:
    handler = Relay()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _client_context(cert_file: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert_file))


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certificate[0]), str(certificate[1]))
    return context


class Clock:
    """A fake clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(UTC) + dt.timedelta(seconds=1)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def _queue(db: Database, to: str = "alice@example.fr") -> int:
    with transaction(db):
        return notifications.enqueue(
            db,
            to=to,
            subject="Facture n°42",
            body="Bonjour,\n\nVoici votre facture — merci.",
            attachments=[("facture-42.pdf", "application/pdf", b"%PDF-1.4")],
        )


def _mailer(services: Services, port: int, clock: Clock, **options: Any) -> Mailer:
    transport = SMTPTransport(SMTPConfig("127.0.0.1", port, timeout=5))
    return Mailer(
        services.store,
        transport,
        sender="Portal CSE <no-reply@portal.example>",
        clock=clock,
        **options,
    )


async def test_smtp_delivery_through_a_real_server(
    services: Services, db: Database, relay: tuple[Relay, int]
) -> None:
    handler, port = relay
    email_id = _queue(db)
    report = await _mailer(services, port, Clock()).deliver_due()
    assert report == DeliveryReport(sent=1)
    [envelope] = handler.received
    assert envelope.mail_from == "no-reply@portal.example"
    assert envelope.rcpt_tos == ["alice@example.fr"]
    [message] = handler.messages()
    assert message["Subject"] == "Facture n°42"
    assert "Voici votre facture — merci." in message.get_body(("plain",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "facture-42.pdf"
    stored = outbox.get_email(db, email_id)
    assert stored is not None and stored.status == "sent"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_smtp_with_login(services: Services, db: Database) -> None:
    handler = Relay()
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret:/@")

    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    try:
        config = parse_smtp_url(f"smtp://mailer:s3cret%3A%2F%40@127.0.0.1:{controller.port}")
        _queue(db)
        mailer = Mailer(
            services.store, SMTPTransport(config), sender="p@portal.example", clock=Clock()
        )
        assert await mailer.deliver_due() == DeliveryReport(sent=1)
    finally:
        controller.stop()
    assert logins == [(b"mailer", b"s3cret:/@")]
    assert len(handler.received) == 1


async def test_smtp_with_starttls(
    services: Services, db: Database, certificate: tuple[Path, Path]
) -> None:
    handler = Relay()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=_server_context(certificate),
        require_starttls=True,
    )
    controller.start()
    try:
        config = parse_smtp_url(f"smtp://127.0.0.1:{controller.port}?starttls=true")
        assert config.security == "starttls"
        transport = SMTPTransport(config, ssl_context=_client_context(certificate[0]))
        _queue(db)
        mailer = Mailer(services.store, transport, sender="p@portal.example", clock=Clock())
        assert await mailer.deliver_due() == DeliveryReport(sent=1)
    finally:
        controller.stop()
    assert len(handler.received) == 1


async def test_smtps_with_implicit_tls(
    services: Services, db: Database, certificate: tuple[Path, Path]
) -> None:
    handler = Relay()
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), ssl_context=_server_context(certificate)
    )
    controller.start()
    try:
        config = parse_smtp_url(f"smtps://127.0.0.1:{controller.port}")
        transport = SMTPTransport(config, ssl_context=_client_context(certificate[0]))
        _queue(db)
        mailer = Mailer(services.store, transport, sender="p@portal.example", clock=Clock())
        assert await mailer.deliver_due() == DeliveryReport(sent=1)
    finally:
        controller.stop()
    assert len(handler.received) == 1


async def test_temporary_refusal_is_retried_with_exponential_backoff(
    services: Services, db: Database, relay: tuple[Relay, int]
) -> None:
    handler, port = relay
    handler.data_reply = "451 4.3.0 Try again later"
    clock = Clock()
    mailer = _mailer(services, port, clock, backoff=Backoff(base=60, factor=2, max_attempts=3))
    email_id = _queue(db)

    assert await mailer.deliver_due() == DeliveryReport(retried=1)
    first = outbox.get_email(db, email_id)
    assert first is not None and first.status == "pending" and first.attempts == 1
    assert first.next_attempt_at == outbox.timestamp(clock.now + dt.timedelta(seconds=60))
    assert first.last_error is not None and "451" in first.last_error
    assert first.claim_token is None

    clock.advance(59)  # not due yet: nothing is tried
    assert await mailer.deliver_due() == DeliveryReport()
    clock.advance(1)
    assert await mailer.deliver_due() == DeliveryReport(retried=1)
    second = outbox.get_email(db, email_id)
    assert second is not None and second.attempts == 2
    assert second.next_attempt_at == outbox.timestamp(clock.now + dt.timedelta(seconds=120))

    clock.advance(120)
    assert await mailer.deliver_due() == DeliveryReport(failed=1)  # third and last attempt
    given_up = outbox.get_email(db, email_id)
    assert given_up is not None and given_up.status == "failed" and given_up.attempts == 3

    handler.data_reply = None  # the relay works again, but the email was given up
    clock.advance(3600)
    assert await mailer.deliver_due() == DeliveryReport()
    assert handler.received == []
    assert notifications.retry_failed(db, now=clock.now) == 1
    assert await mailer.deliver_due() == DeliveryReport(sent=1)


async def test_unknown_recipient_fails_at_once(
    services: Services, db: Database, relay: tuple[Relay, int]
) -> None:
    handler, port = relay
    handler.rcpt_reply = "550 5.1.1 No such user"
    email_id = _queue(db, to="nobody@example.fr")
    assert await _mailer(services, port, Clock()).deliver_due() == DeliveryReport(failed=1)
    stored = outbox.get_email(db, email_id)
    assert stored is not None and stored.status == "failed" and stored.attempts == 1
    assert stored.last_error is not None and "550" in stored.last_error


async def test_unreachable_relay_is_retried(services: Services, db: Database) -> None:
    clock = Clock()
    email_id = _queue(db)
    report = await _mailer(services, free_port(), clock).deliver_due()  # nobody listens there
    assert report == DeliveryReport(retried=1)
    stored = outbox.get_email(db, email_id)
    assert stored is not None and stored.status == "pending" and stored.attempts == 1
    assert stored.next_attempt_at > outbox.timestamp(clock.now)


def test_smtp_urls() -> None:
    assert parse_smtp_url("smtp://relay.example") == SMTPConfig("relay.example", 25)
    ssl_config = parse_smtp_url("smtps://u%40x:p%20w@relay.example")
    assert (ssl_config.security, ssl_config.port) == ("ssl", 465)
    assert (ssl_config.username, ssl_config.password) == ("u@x", "p w")
    assert "p w" not in repr(ssl_config)
    tls = parse_smtp_url("smtp+starttls://relay.example?timeout=5")
    assert (tls.security, tls.port, tls.timeout) == ("starttls", 587, 5.0)
    for bad in ("http://relay.example", "smtp://", "smtp://user:secret@relay:port"):
        with pytest.raises(ValueError) as error:
            parse_smtp_url(bad)
        assert "secret" not in str(error.value)
