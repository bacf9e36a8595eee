"""The SSH server starts the mailer with it and stops it when it closes."""

from __future__ import annotations

import asyncio
import mailbox
from email.message import EmailMessage

from sqlite_utils import Database

from portal.data import outbox
from portal.data.db import transaction
from portal.services import notifications
from portal.services.mailer import MaildirTransport
from portal.services.runtime import Services
from portal.ssh.server import PortalServer


async def test_the_server_delivers_mail_to_the_maildir_while_it_runs(services: Services) -> None:
    loop = asyncio.get_running_loop()
    delivered = asyncio.Event()

    class Signalling(MaildirTransport):
        def send(self, message: EmailMessage) -> None:
            super().send(message)
            loop.call_soon_threadsafe(delivered.set)

    server = PortalServer(services)
    await server.start()
    try:
        assert server.mailer is not None
        assert isinstance(server.mailer.transport, MaildirTransport)
        server.mailer.transport = Signalling(services.settings.maildir)

        def queue(db: Database) -> int:
            with transaction(db):
                return notifications.enqueue(
                    db, to="alice@example.fr", subject="Bienvenue", body="Bonjour"
                )

        email_id = await services.store.run(queue)
        await asyncio.wait_for(delivered.wait(), 10)
    finally:
        await server.close()
    stored = await services.store.run(outbox.get_email, email_id)
    assert stored is not None and stored.status == "sent"
    box = mailbox.Maildir(str(services.settings.maildir), create=False)
    assert [m["Subject"] for m in box] == ["Bienvenue"]

    # Stopped: the mailer no longer listens for new mail.
    assert notifications._doorbells == {}
