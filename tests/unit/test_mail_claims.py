"""Claims: two workers (threads or processes) never take, nor send, the same email."""

from __future__ import annotations

import asyncio
import datetime as dt
import mailbox
import threading
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

from sqlite_utils import Database

from portal.config import Settings
from portal.data import outbox
from portal.data.db import Store, connect, transaction
from portal.services import notifications
from portal.services.mailer import MaildirTransport, Mailer
from portal.services.runtime import Services

UTC = dt.UTC


def _queue_many(db: Database, n: int) -> list[int]:
    with transaction(db):
        return [
            notifications.enqueue(db, to=f"m{i}@example.fr", subject=f"#{i}", body="x")
            for i in range(n)
        ]


def test_two_concurrent_claimers_never_take_the_same_email(
    settings: Settings, db: Database
) -> None:
    ids = _queue_many(db, 60)
    now = dt.datetime.now(UTC) + dt.timedelta(seconds=1)
    start = threading.Barrier(2)
    taken: dict[str, list[int]] = {"a": [], "b": []}

    def claimer(name: str) -> None:
        own = connect(settings.db_path)
        try:
            start.wait()
            while True:
                batch = notifications.claim_due(own, token=name, now=now, limit=3)
                if not batch:
                    return
                taken[name].extend(email.id for email, _attachments in batch)
        finally:
            own.conn.close()

    threads = [threading.Thread(target=claimer, args=(name,)) for name in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(taken["a"]).isdisjoint(taken["b"])
    assert sorted(taken["a"] + taken["b"]) == ids
    assert all(e.attempts == 1 for e in outbox.list_emails(db))


async def test_two_mailers_on_one_database_send_each_email_once(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    ids = _queue_many(db, 40)
    now = dt.datetime.now(UTC) + dt.timedelta(seconds=1)
    stores = [Store(settings.db_path, 2), Store(settings.db_path, 2)]  # as two processes would
    try:
        mailers = [
            Mailer(
                store,
                MaildirTransport(tmp_path / "mail"),
                sender="p@portal.example",
                clock=lambda: now,
                batch=4,
            )
            for store in stores
        ]
        reports = await asyncio.gather(*(m.deliver_due() for m in mailers))
    finally:
        for store in stores:
            store.close()
    assert sum(r.sent for r in reports) == 40
    box = mailbox.Maildir(str(tmp_path / "mail"), create=False)
    subjects = Counter(message["Subject"] for message in box)
    assert subjects == Counter(f"#{i}" for i in range(40))
    assert {e.id for e in outbox.list_emails(db, status="sent")} == set(ids)


def test_a_claim_hides_an_email_until_its_lease_ends(db: Database) -> None:
    [email_id] = _queue_many(db, 1)
    now = dt.datetime.now(UTC) + dt.timedelta(seconds=1)
    lease = dt.timedelta(minutes=10)
    [(first, _)] = notifications.claim_due(db, token="dead-worker", now=now, lease=lease)
    assert notifications.claim_due(db, token="other", now=now + lease / 2) == []
    [(again, _)] = notifications.claim_due(db, token="other", now=now + lease)
    assert again.id == email_id and again.attempts == 2
    # The first worker comes back late: its claim is lost, so it records nothing.
    assert notifications.record_sent(db, email_id, "dead-worker", now=now) is False
    assert notifications.record_sent(db, email_id, "other", now=now) is True
    stored = outbox.get_email(db, email_id)
    assert stored is not None and stored.status == "sent"


def test_backoff_grows_and_is_capped() -> None:
    backoff = notifications.Backoff(base=60, factor=2, cap=600, max_attempts=8)
    assert [backoff.delay(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [60, 120, 240, 480, 600]


def test_next_due_is_the_earliest_pending_email(db: Database) -> None:
    assert notifications.next_due_at(db) is None
    _queue_many(db, 2)
    due = notifications.next_due_at(db)
    assert due is not None and due <= dt.datetime.now(UTC)
    assert notifications.status_counts(db) == {"pending": 2, "sent": 0, "failed": 0}


async def test_a_stopping_mailer_hands_back_what_it_did_not_try(
    services: Services, db: Database, tmp_path: Path
) -> None:
    loop = asyncio.get_running_loop()
    started = asyncio.Event()
    proceed = threading.Event()

    class Slow(MaildirTransport):
        def send(self, message: EmailMessage) -> None:
            loop.call_soon_threadsafe(started.set)
            proceed.wait(10)
            super().send(message)

    mailer = Mailer(
        services.store, Slow(tmp_path / "mail"), sender="p@portal.example", idle_check=3600
    )
    await mailer.start()
    await services.store.run(_queue_many, 3)
    await asyncio.wait_for(started.wait(), 10)
    stopping = asyncio.create_task(mailer.stop())
    loop.call_soon(proceed.set)  # runs after stop() has raised its flag (callbacks are FIFO)
    await stopping
    emails = {e.subject: e for e in outbox.list_emails(db)}
    assert emails["#0"].status == "sent"
    for subject in ("#1", "#2"):
        assert emails[subject].status == "pending"
        assert emails[subject].attempts == 0 and emails[subject].claim_token is None


def test_workers_delivering_their_first_emails_at_once_all_succeed(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    # Two workers' first deliveries raced on making the Maildir: the other worker makes
    # each folder between this one's "is it there?" and its mkdir (FileExistsError).
    import os

    folder = tmp_path / "mail"
    made = os.mkdir

    def the_other_worker_first(path, mode=0o777, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(path).startswith(str(folder)) and not os.path.isdir(path):
            made(path, mode)
        return made(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", the_other_worker_first)
    message = EmailMessage()
    message["Subject"] = "#0"
    message.set_content("x")
    MaildirTransport(folder).send(message)
    MaildirTransport(folder).send(message)
    monkeypatch.setattr(os, "mkdir", made)
    assert len(mailbox.Maildir(str(folder), create=False)) == 2
