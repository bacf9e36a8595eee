"""Delivery of the email outbox: a Maildir folder by default, an SMTP relay when set.

One ``Mailer`` runs per process (started by ``PortalServer.start``). It wakes when a
session queues an email (``notifications.subscribe``) and otherwise only when the next
retry is due, or after ``idle_check`` seconds to pick up mail queued by other processes.
Each pass claims due rows atomically (the sealed body of a sensitive email is decrypted
then, in memory only: ``notifications.claim_due``), sends them one by one in its own
thread (network and file I/O never run on the event loop, and never hold a database
worker), and stores the outcome: sent, retried later with exponential backoff, or failed
for good; a sensitive body, sealed or not, is erased with that outcome.

Delivery is at least once: a process that dies between sending and recording loses
its claim after the lease and the email goes again (with the same Message-ID, so mail
clients fold the duplicate).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import mailbox
import re
import secrets
import smtplib
import ssl
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from portal.data.outbox import Attachment, OutboxEmail, parse_timestamp
from portal.services import notifications
from portal.services.notifications import Backoff, utcnow

if TYPE_CHECKING:
    from portal.config import Settings
    from portal.data.db import Store
    from portal.services.runtime import Services

__all__ = [
    "DeliveryError",
    "DeliveryReport",
    "Mailer",
    "MaildirTransport",
    "SMTPConfig",
    "SMTPTransport",
    "Transport",
    "build_message",
    "parse_smtp_url",
    "transport_for",
]

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A transport could not deliver a message.

    Attributes:
        permanent: The relay refused this message for good (retrying cannot help).
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Transport(Protocol):
    """Sends one message; blocking (the mailer calls it from its own thread)."""

    description: str
    """Where mail goes, for logs (never with a password)."""

    def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` or raise (``DeliveryError``, ``OSError``, ...)."""
        ...


# -- Maildir ---------------------------------------------------------------------------


class MaildirTransport:
    """Drops each message in a Maildir folder that any mail client can open."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.description = f"maildir {self.path}"

    def send(self, message: EmailMessage) -> None:
        """Add the message to ``new/`` (Maildir's own tmp-then-rename makes it atomic)."""
        # The folders are made here, not by ``Maildir(create=True)``: that one fails
        # (FileExistsError) when two workers deliver the first emails at the same time.
        for folder in (self.path, self.path / "tmp", self.path / "new", self.path / "cur"):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        mailbox.Maildir(str(self.path), create=False).add(message)


# -- SMTP ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SMTPConfig:
    """Where and how to reach an SMTP relay."""

    host: str
    port: int
    security: Literal["none", "ssl", "starttls"] = "none"
    """``ssl``: TLS from the start (smtps://); ``starttls``: upgrade after EHLO."""
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    """Seconds allowed for each network operation."""


def parse_smtp_url(url: str) -> SMTPConfig:
    """Read ``smtp://user:pass@host:port``, ``smtps://...`` or ``smtp://...?starttls=true``.

    ``smtp+starttls://`` is accepted too, and ``?timeout=SECONDS``. User and password
    are percent-decoded. Errors never quote the URL, which may hold a password.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError("PORTAL_SMTP_URL is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps", "smtp+starttls"):
        raise ValueError("PORTAL_SMTP_URL must start with smtp://, smtps:// or smtp+starttls://")
    if not parts.hostname:
        raise ValueError("PORTAL_SMTP_URL has no host")
    query = {k.lower(): v[-1] for k, v in parse_qs(parts.query).items()}
    starttls = scheme == "smtp+starttls" or query.get("starttls", "").lower() in {
        "1",
        "true",
        "yes",
        "on",
    }
    security: Literal["none", "ssl", "starttls"] = (
        "ssl" if scheme == "smtps" else "starttls" if starttls else "none"
    )
    default_port = {"ssl": 465, "starttls": 587, "none": 25}[security]
    try:
        timeout = float(query.get("timeout", "30"))
    except ValueError:
        raise ValueError("PORTAL_SMTP_URL timeout must be a number of seconds") from None
    return SMTPConfig(
        host=parts.hostname,
        port=port or default_port,
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        timeout=timeout,
    )


class SMTPTransport:
    """Sends through an SMTP relay with smtplib, one connection per message."""

    def __init__(self, config: SMTPConfig, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self._ssl_context = ssl_context
        self.description = f"smtp {config.host}:{config.port} ({config.security})"
        if config.username and config.security == "none":
            log.warning("SMTP credentials for %s:%s are sent without TLS", config.host, config.port)

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    def send(self, message: EmailMessage) -> None:
        """Deliver one message; 5xx refusals of the recipient or content are permanent."""
        c = self.config
        try:
            client: smtplib.SMTP
            if c.security == "ssl":
                client = smtplib.SMTP_SSL(
                    c.host, c.port, timeout=c.timeout, context=self._context()
                )
            else:
                client = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
            with client:
                client.ehlo()
                if c.security == "starttls":
                    client.starttls(context=self._context())
                    client.ehlo()
                if c.username:
                    client.login(c.username, c.password or "")
                client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _msg in exc.recipients.values()]
            detail = "; ".join(f"{code} {_text(msg)}" for code, msg in exc.recipients.values())
            raise DeliveryError(
                f"recipient refused: {detail}", permanent=all(code >= 500 for code in codes)
            ) from None
        except smtplib.SMTPDataError as exc:
            raise DeliveryError(
                f"message refused: {exc.smtp_code} {_text(exc.smtp_error)}",
                permanent=exc.smtp_code >= 500,
            ) from None
        except smtplib.SMTPResponseException as exc:
            # Sender refused, authentication failed...: the relay's configuration is at
            # fault, not this message; keep it for when the operator fixes it.
            raise DeliveryError(
                f"{type(exc).__name__}: {exc.smtp_code} {_text(exc.smtp_error)}"
            ) from None


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def transport_for(settings: Settings) -> Transport:
    """The SMTP relay of ``settings.smtp_url`` when set, else the Maildir folder."""
    if settings.smtp_url:
        return SMTPTransport(parse_smtp_url(settings.smtp_url))
    return MaildirTransport(settings.maildir)


# -- messages --------------------------------------------------------------------------


def build_message(
    email: OutboxEmail, attachments: list[Attachment], *, sender: str
) -> EmailMessage:
    """The MIME message of one outbox row (UTF-8 text, attachments as MIME parts).

    The Message-ID is derived from the row, so a retry after an unrecorded success
    carries the same id and mail clients show one message.
    """
    domain = parseaddr(sender)[1].partition("@")[2] or "portal.localhost"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.recipient
    message["Subject"] = email.subject
    message["Date"] = format_datetime(parse_timestamp(email.created_at))
    message["Message-ID"] = (
        f"<portal.{email.id}.{re.sub(r'[^0-9]', '', email.created_at)}@{domain}>"
    )
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(email.body)
    for attachment in attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        if not maintype or not subtype:
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message


# -- the delivery worker ---------------------------------------------------------------


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        """Emails attempted."""
        return self.sent + self.retried + self.failed


class Mailer:
    """Delivers the outbox of one database, in the background or on demand.

    Args:
        store: The database workers (claims and outcomes run there).
        transport: Where messages go.
        sender: The From address.
        backoff: Waits between attempts and the attempt limit.
        clock: Returns the current aware UTC time (tests pass a fake one).
        batch: Emails claimed at a time.
        lease: How long a claim hides an email from other workers.
        idle_check: Longest sleep without a wake-up, in seconds (mail queued by
            other processes is picked up within this delay).
    """

    def __init__(
        self,
        store: Store,
        transport: Transport,
        *,
        sender: str,
        backoff: Backoff | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        batch: int = 20,
        lease: dt.timedelta = dt.timedelta(minutes=10),
        idle_check: float = 60.0,
    ) -> None:
        self.store = store
        self.transport = transport
        self.sender = sender
        self.backoff = backoff or Backoff()
        self.clock = clock
        self.batch = batch
        self.lease = lease
        self.idle_check = idle_check
        self._executor: ThreadPoolExecutor | None = None
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._stopping = False

    @classmethod
    def from_services(cls, services: Services, **options: object) -> Mailer:
        """The mailer of a process, configured from its settings."""
        settings = services.settings
        return cls(services.store, transport_for(settings), sender=settings.mail_from, **options)  # type: ignore[arg-type]

    # -- life cycle --------------------------------------------------------------------

    async def start(self) -> None:
        """Start the background task and listen for emails queued in this process."""
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        key = await self.store.run(notifications.outbox_key)
        self._unsubscribe = notifications.subscribe(key, self.wake)
        self._task = self._loop.create_task(self._run(), name="portal-mailer")
        log.info("mail delivery started: %s", self.transport.description)

    async def stop(self, *, grace: float = 10.0) -> None:
        """Finish the message in hand (up to ``grace`` seconds), then stop.

        A send still running after ``grace`` is abandoned; its claim expires after the
        lease and the email is sent again then.
        """
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        task, self._task = self._task, None
        if task is not None:
            self._stopping = True
            self._wake.set()
            try:
                await asyncio.wait_for(asyncio.shield(task), grace)
            except TimeoutError:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None

    def wake(self) -> None:
        """Start a delivery pass now (thread-safe: called from database workers)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed in between
            loop.call_soon_threadsafe(self._wake.set)

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            timeout = self.idle_check
            try:
                await self.deliver_due()
                due = await self.store.run(notifications.next_due_at)
                if due is not None:
                    timeout = min(timeout, max(0.0, (due - self.clock()).total_seconds()))
            except Exception:
                log.exception("mail delivery pass failed; retrying in %ss", self.idle_check)
            if self._stopping:
                break
            if timeout > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)

    # -- delivery ----------------------------------------------------------------------

    async def deliver_due(self) -> DeliveryReport:
        """Send every email due now, batch after batch; returns what happened."""
        report = DeliveryReport()
        while not self._stopping:
            token = secrets.token_hex(8)
            claimed = await self.store.run(
                notifications.claim_due,
                token=token,
                now=self.clock(),
                limit=self.batch,
                lease=self.lease,
            )
            for index, (email, attachments) in enumerate(claimed):
                if self._stopping:  # hand the rest back rather than hold it for a lease
                    await self.store.run(
                        notifications.release_claims,
                        [e.id for e, _ in claimed[index:]],
                        token,
                        now=self.clock(),
                    )
                    return report
                await self._deliver(email, attachments, token, report)
            if len(claimed) < self.batch:
                break
        return report

    async def _deliver(
        self, email: OutboxEmail, attachments: list[Attachment], token: str, report: DeliveryReport
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            message = build_message(email, attachments, sender=self.sender)
            if self._executor is None:  # one thread: network and file I/O off the loop
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="portal-mail")
            await loop.run_in_executor(self._executor, self.transport.send, message)
        except DeliveryError as exc:
            error, permanent = str(exc), exc.permanent
        except (OSError, smtplib.SMTPException) as exc:
            error, permanent = f"{type(exc).__name__}: {exc}", False
        except (ValueError, TypeError) as exc:  # a malformed header: no retry can fix it
            error, permanent = f"{type(exc).__name__}: {exc}", True
        else:
            await self.store.run(notifications.record_sent, email.id, token, now=self.clock())
            report.sent += 1
            log.info("email %s sent (attempt %s)", email.id, email.attempts)
            return
        outcome = await self.store.run(
            notifications.record_failure,
            email,
            token,
            error,
            permanent=permanent,
            backoff=self.backoff,
            now=self.clock(),
        )
        if outcome == "failed":
            report.failed += 1
            log.error(
                "email %s failed for good after %s attempt(s): %s", email.id, email.attempts, error
            )
        else:
            report.retried += 1
            log.warning(
                "email %s not delivered (attempt %s), will retry: %s",
                email.id,
                email.attempts,
                error,
            )
