"""Codes at rest: no code sent by email is readable in the database, its WAL or a backup.

Every flow that emails a code (invitation, sign-up, password reset, contact email
verification) runs, the Maildir mailer delivers, and the raw bytes of ``portal.db``, its
``-wal`` and an online backup are searched for each code as a clear body would hold it.
A control email that is not sensitive proves the search finds a clear body. Then the rate
limits of sign-up and reset emails.
"""

from __future__ import annotations

import datetime as dt
import inspect
import mailbox
import re
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from portal.config import Settings
from portal.data import members as members_data
from portal.data import outbox
from portal.data.members import Member
from portal.i18n import get_translator
from portal.services import (
    backup,
    contact,
    invitations,
    notifications,
    password_reset,
    reauth,
    signup,
)
from portal.services.gate import GateError
from portal.services.mailer import MaildirTransport, Mailer
from portal.services.runtime import Services
from tests.mail_helpers import body_of
from tests.signup_helpers import start_signup

T0 = 1_800_000_000.0
ALICE_PASSWORD = "Soleil-Vert-2026!"
GOOD = "Lanterne-Orage-Piano-77"
SIX_DIGITS = re.compile(r"^    (\d{6})$", re.M)
INVITATION_CODE = re.compile(r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b")


def member(db: Database, login: str) -> Member:
    found = members_data.get_member_by_login(db, login)
    assert found is not None
    return found


def newest_id(db: Database) -> int:
    return int(db.execute("SELECT max(id) FROM email_outbox").fetchone()[0])


def request_contact_code(services: Services, db: Database, who: Member, address: str) -> None:
    """Ask for a communication-email code (with the re-authentication it may need)."""
    parameters = inspect.signature(contact.request_email_verification).parameters
    extra: dict[str, Any] = {}
    if "proof" in parameters:
        extra["box"] = services.secrets
        extra["proof"] = reauth.verify(
            db, services.secrets, who, reauth.CHANGE_EMAIL, password=ALICE_PASSWORD
        )
    contact.request_email_verification(db, who, address, **extra)


def needles(code: str) -> list[bytes]:
    """How a clear body holds a code: alone on its line, indented (and, for an
    invitation, also without its dashes). Framed so that digits found by chance in
    other data (timestamps, e-card numbers) do not count."""
    found = [f"    {code}\n".encode()]
    if "-" in code:
        found.append(code.replace("-", "").encode())
    return found


def leaks(files: list[Path], codes: list[str]) -> list[tuple[str, str]]:
    hits = []
    for path in files:
        data = path.read_bytes() if path.exists() else b""
        for code in codes:
            if any(n in data for n in needles(code)):
                hits.append((path.name, code))
    return hits


def checkpoint(db: Database) -> None:
    """Fold the WAL into the file (FULL: the WAL's frames stay until it is reused)."""
    busy = db.execute("PRAGMA wal_checkpoint(FULL)").fetchone()[0]
    assert busy == 0


async def deliver(services: Services, folder: Path) -> int:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    mailer = Mailer(
        services.store,
        MaildirTransport(folder),
        sender="Portal <no-reply@portal.example>",
        clock=lambda: later,
    )
    report = await mailer.deliver_due()
    assert report.failed == 0 and report.retried == 0
    return report.sent


def delivered_text(folder: Path) -> str:
    return "\n".join(
        bytes(message.get_payload(decode=True)).decode()
        for message in mailbox.Maildir(str(folder), create=False)
    )


async def test_no_code_sent_is_found_in_the_database_its_wal_or_a_backup(
    services: Services, db: Database, settings: Settings, tmp_path: Path
) -> None:
    codes: list[str] = []
    sealed: list[str] = []

    def keep(code: str) -> None:
        codes.append(code)
        email = outbox.get_email(db, newest_id(db))
        assert email is not None and email.sensitive and email.body == ""
        assert email.sealed_body
        sealed.append(email.sealed_body)

    # Invitation (valid 7 days: it sets the invited account's password).
    invitations.invite(
        db,
        member(db, "marc"),
        first_name="Hugo",
        last_name="Petit",
        email="hugo.petit@demo.example",
        login="hugo",
        settings=settings,
        now=T0,
    )
    found = INVITATION_CODE.search(body_of(db, newest_id(db)))
    assert found
    keep(found.group(1))
    # Sign-up, then a second code for the same draft.
    draft = start_signup(db)
    keep(SIX_DIGITS.findall(body_of(db, newest_id(db)))[-1])
    signup.resend_code(db, draft, ip="10.0.0.5", now=T0 + 60)
    keep(SIX_DIGITS.findall(body_of(db, newest_id(db)))[-1])
    # Password reset.
    password_reset.request_reset(db, "alice", ip="10.0.0.7", now=T0)
    keep(SIX_DIGITS.findall(body_of(db, newest_id(db)))[-1])
    # Contact email verification.
    request_contact_code(services, db, member(db, "alice"), "alice@perso.example")
    keep(SIX_DIGITS.findall(body_of(db, newest_id(db)))[-1])
    assert len(set(codes)) == len(codes)

    data_dir = settings.db_path.parent
    files = [settings.db_path, data_dir / "portal.db-wal"]
    assert leaks(files, codes) == []  # queued: sealed, never written in clear

    folder = tmp_path / "mail"
    assert await deliver(services, folder) >= len(codes)
    text = delivered_text(folder)
    assert all(code in text for code in codes)  # the people got them

    for email in outbox.list_emails(db, status="sent"):
        if email.sensitive:
            assert email.body == "" and email.sealed_body is None
    checkpoint(db)
    made = backup.backup(settings, tmp_path / "backup")
    files.append(tmp_path / "backup" / backup.DB_FILE)
    assert (tmp_path / "backup" / backup.DB_FILE) in made
    assert leaks(files, codes) == []
    # Once sent the sealed copy is gone too, zeroed (secure_delete), so a backup, which
    # carries secrets.key, cannot give it back.
    for path in (settings.db_path, tmp_path / "backup" / backup.DB_FILE):
        data = path.read_bytes()
        assert not [s for s in sealed if s.encode() in data], path.name


async def test_the_search_finds_a_body_kept_in_clear(
    services: Services, db: Database, settings: Settings
) -> None:
    """The control: without sealing, the same search does find the code."""
    notifications.enqueue(db, to="x@example.fr", subject="Note", body="Code:\n    918273\n")
    assert leaks([settings.db_path.parent / "portal.db-wal"], ["918273"]) == [
        ("portal.db-wal", "918273")
    ]


async def test_a_sealed_body_that_cannot_be_opened_is_given_up(
    services: Services, db: Database, tmp_path: Path
) -> None:
    email_id = notifications.enqueue(
        db, to="x@example.fr", subject="Code", body="code 424242", sensitive=True
    )
    db.execute("UPDATE email_outbox SET sealed_body = 'gAAAAnot-a-token' WHERE id = ?", [email_id])
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    mailer = Mailer(
        services.store,
        MaildirTransport(tmp_path / "mail"),
        sender="p@portal.example",
        clock=lambda: later,
    )
    report = await mailer.deliver_due()
    assert report.sent == 0
    stored = outbox.get_email(db, email_id)
    assert stored is not None and stored.status == "failed"
    assert stored.sealed_body is None and stored.body == ""


def test_secure_delete_is_on(db: Database) -> None:
    assert db.execute("PRAGMA secure_delete").fetchone()[0] == 1


# -- rate limits ---------------------------------------------------------------------------


@pytest.fixture
def fast_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sign-up hashes the password with argon2 on each try: not what these tests measure."""
    monkeypatch.setattr(signup, "hash_password", lambda password: "argon2-not-measured")


def outbox_count(db: Database) -> int:
    return int(db.execute("SELECT count(*) FROM email_outbox").fetchone()[0])


def french(error: GateError) -> str:
    return error.text(get_translator("fr"))


def test_sign_up_codes_to_one_address_are_limited(db: Database, fast_hash: None) -> None:
    victim = "victim@mail.example"
    draft = start_signup(db, email=victim, ip="10.0.0.1")
    signup.resend_code(db, draft, ip="10.0.0.1", now=T0 + 1)
    signup.resend_code(db, draft, ip="10.0.0.1", now=T0 + 2)
    for i in range(signup.MAX_CODES_PER_ADDRESS - 3):  # new drafts from other addresses
        start_signup(db, email=victim.upper(), ip=f"10.0.1.{i}", now=T0 + 3 + i)
    before = outbox_count(db)
    assert before == signup.MAX_CODES_PER_ADDRESS
    with pytest.raises(GateError) as refused:
        start_signup(db, email=victim, ip="10.0.2.1", now=T0 + 16)
    assert french(refused.value) == (
        "Trop de codes ont été envoyés à cette adresse e-mail. Veuillez réessayer dans une heure."
    )
    assert outbox_count(db) == before
    # Another address is not concerned; an hour after the last code, the address may again.
    start_signup(db, email="other@mail.example", ip="10.0.2.1", now=T0 + 17)
    last = T0 + 3 + signup.MAX_CODES_PER_ADDRESS - 4
    start_signup(db, email=victim, ip="10.0.2.1", now=last + signup.QUOTA_WINDOW + 1)
    assert outbox_count(db) == before + 2


def test_a_refused_resend_keeps_the_code_already_sent(db: Database, fast_hash: None) -> None:
    draft = start_signup(db, email="a@mail.example")
    first = SIX_DIGITS.findall(body_of(db, newest_id(db)))[-1]
    for i in range(signup.MAX_CODES_PER_ADDRESS - 1):
        start_signup(db, email="a@mail.example", ip=f"10.9.0.{i}", now=T0 + 1 + i)
    with pytest.raises(GateError, match="Too many codes were sent to this email address"):
        signup.resend_code(db, draft, ip="10.0.0.5", now=T0 + 30)
    assert draft.sends == 1
    request = signup.confirm(db, draft, first, now=T0 + 31)
    assert request.login == "chloe"


def test_sign_up_codes_from_one_client_are_limited(db: Database, fast_hash: None) -> None:
    for i in range(signup.MAX_CODES_PER_CLIENT):
        start_signup(db, email=f"person{i}@mail.example", ip="203.0.113.9", now=T0 + i)
    before = outbox_count(db)
    with pytest.raises(GateError) as refused:
        start_signup(db, email="one-more@mail.example", ip="203.0.113.9", now=T0 + 20)
    assert french(refused.value) == (
        "Trop de codes ont été demandés depuis votre connexion. Veuillez réessayer dans une heure."
    )
    assert outbox_count(db) == before
    # The refused address was not counted: from elsewhere it gets its code.
    start_signup(db, email="one-more@mail.example", ip="198.51.100.1", now=T0 + 21)
    assert outbox_count(db) == before + 1


def test_reset_requests_from_one_client_are_limited_alike_for_any_account(db: Database) -> None:
    ip = "203.0.113.50"
    for i in range(password_reset.MAX_REQUESTS_PER_CLIENT):
        who = "alice" if i % 3 == 0 else f"nobody{i}"
        password_reset.request_reset(db, who, ip=ip, now=T0 + i)
    before = outbox_count(db)
    for who in ("alice", "nobody-at-all", "bob"):  # known or not: the same refusal
        with pytest.raises(GateError) as refused:
            password_reset.request_reset(db, who, ip=ip, now=T0 + 30)
        assert french(refused.value) == (
            "Trop de codes ont été demandés depuis votre connexion. "
            "Veuillez réessayer dans une heure."
        )
    assert outbox_count(db) == before
    password_reset.request_reset(db, "bob", ip="198.51.100.2", now=T0 + 31)
    assert outbox_count(db) == before + 1
    password_reset.request_reset(db, "bob", ip=ip, now=T0 + 9 + 3601)
    assert outbox_count(db) == before + 2
