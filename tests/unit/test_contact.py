"""Contact details service: communication email verification, address, newsletter."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlite_utils import Database

from portal.data import audit as audit_data
from portal.data import contact as contact_data
from portal.data import outbox
from portal.data.members import Member, get_member_by_login
from portal.services import contact, emails, reauth
from portal.services.contact import ContactError
from portal.services.crypto import SecretBox
from tests.mail_helpers import body_of
from tests.reauth_helpers import proof_for
from tests.typography import fr

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def ask_email(db: Database) -> Callable[..., contact.ContactView]:
    """``ask_email(member, email, now=...)``: a new address, after the member's password."""
    box = SecretBox(Fernet.generate_key())
    proofs: dict[int, reauth.Proof] = {}

    def ask_email(member: Member, raw_email: str, **kwargs: Any) -> contact.ContactView:
        if member.id not in proofs:
            proofs[member.id] = proof_for(db, box, member, reauth.CHANGE_EMAIL)
        return contact.request_email_verification(
            db, member, raw_email, box=box, proof=proofs[member.id], **kwargs
        )

    return ask_email


def _member(db: Database, login: str) -> Member:
    member = get_member_by_login(db, login)
    assert member is not None
    return member


def _code_sent_to(db: Database, address: str) -> str:
    [email] = outbox.list_emails(db, recipient=address, limit=1)
    body = body_of(db, email.id)
    found = re.search(r"^    (\d{6})$", body, re.MULTILINE)
    assert found, body
    return found.group(1)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_verified_address_receives_the_mail(db: Database, ask_email: Any) -> None:
    alice = _member(db, "alice")
    view = ask_email(alice, "  Alice@Perso.EXAMPLE ", now=NOW)
    assert view.pending_email == "Alice@perso.example"
    assert emails.recipient_for(db, alice.id) == "alice.martin@demo.example"

    [message] = outbox.list_emails(db, recipient="Alice@perso.example")
    assert message.sensitive and message.member_id == alice.id
    assert message.subject == "Votre code pour confirmer cette adresse e-mail"
    code = _code_sent_to(db, "Alice@perso.example")
    stored = contact_data.pending_verification(db, alice.id)
    assert stored is not None and code not in stored.code_hash  # hashed at rest

    view = contact.verify_email(db, alice, code, now=NOW + dt.timedelta(minutes=14))
    assert view.recipient == "Alice@perso.example" and view.pending_email is None
    assert emails.recipient_for(db, alice.id) == "Alice@perso.example"
    [notice] = outbox.list_emails(db, recipient="alice.martin@demo.example")
    assert notice.subject == "Votre e-mail de communication a changé"

    actions = [e.action for e in audit_data.recent(db, limit=10)]
    assert "contact.email_code_sent" in actions and "contact.email_verified" in actions
    for entry in audit_data.recent(db, limit=10):
        assert code not in repr(entry)


def test_a_wrong_code_changes_nothing_but_its_count(db: Database, ask_email: Any) -> None:
    alice = _member(db, "alice")
    ask_email(alice, "alice@perso.example", now=NOW)
    code = _code_sent_to(db, "alice@perso.example")
    with pytest.raises(ContactError) as error:
        contact.verify_email(db, alice, _wrong(code), now=NOW)
    assert error.value.message == "Wrong code. Tries left: {n}." and error.value.params == {"n": 4}
    assert contact_data.get_details(db, alice.id).comm_email is None
    pending = contact_data.pending_verification(db, alice.id)
    assert pending is not None and pending.attempts == 1


def test_five_wrong_codes_void_the_code_until_a_new_one_is_sent(
    db: Database, ask_email: Any
) -> None:
    alice = _member(db, "alice")
    ask_email(alice, "alice@perso.example", now=NOW)
    code = _code_sent_to(db, "alice@perso.example")
    for _ in range(contact.MAX_TRIES):
        with pytest.raises(ContactError):
            contact.verify_email(db, alice, _wrong(code), now=NOW)
    with pytest.raises(ContactError) as error:
        contact.verify_email(db, alice, code, now=NOW)  # even the right code is refused now
    assert error.value.message == "Too many wrong codes. Ask for a new code."
    assert contact.get_contact(db, alice, now=NOW).pending_expired

    later = NOW + dt.timedelta(minutes=2)
    contact.resend_code(db, alice, now=later)
    new_code = _code_sent_to(db, "alice@perso.example")
    contact.verify_email(db, alice, new_code, now=later)
    assert emails.recipient_for(db, alice.id) == "alice@perso.example"


def test_an_expired_code_is_refused(db: Database, ask_email: Any) -> None:
    alice = _member(db, "alice")
    ask_email(alice, "alice@perso.example", now=NOW)
    code = _code_sent_to(db, "alice@perso.example")
    with pytest.raises(ContactError) as error:
        contact.verify_email(db, alice, code, now=NOW + contact.CODE_TTL)
    assert error.value.message == "This code has expired. Ask for a new code."
    assert emails.recipient_for(db, alice.id) == "alice.martin@demo.example"


def test_resend_voids_the_previous_code_and_is_rate_limited(db: Database, ask_email: Any) -> None:
    alice = _member(db, "alice")
    ask_email(alice, "alice@perso.example", now=NOW)
    first = _code_sent_to(db, "alice@perso.example")
    with pytest.raises(ContactError) as error:
        contact.resend_code(db, alice, now=NOW + dt.timedelta(seconds=30))
    assert "Wait a minute" in error.value.message
    contact.resend_code(db, alice, now=NOW + dt.timedelta(minutes=1))
    second = _code_sent_to(db, "alice@perso.example")
    if first != second:
        with pytest.raises(ContactError):
            contact.verify_email(db, alice, first, now=NOW + dt.timedelta(minutes=1))
    for minute in range(2, 5):
        contact.resend_code(db, alice, now=NOW + dt.timedelta(minutes=minute))
    with pytest.raises(ContactError) as error:
        contact.resend_code(db, alice, now=NOW + dt.timedelta(minutes=6))
    assert error.value.message == "Too many codes were sent. Try again in an hour."
    assert len(outbox.list_emails(db, recipient="alice@perso.example")) == 5


def test_a_member_cannot_use_another_members_code(db: Database, ask_email: Any) -> None:
    alice, bob = _member(db, "alice"), _member(db, "bob")
    ask_email(alice, "shared@example.fr", now=NOW)
    code = _code_sent_to(db, "shared@example.fr")
    with pytest.raises(ContactError) as error:
        contact.verify_email(db, bob, code, now=NOW)
    assert error.value.message.startswith("No address is waiting")
    assert emails.recipient_for(db, bob.id) == "bob.lefevre@horizon.example"
    assert emails.recipient_for(db, alice.id) == "alice.martin@demo.example"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "alice",
        "alice@",
        "@example.fr",
        "a b@example.fr",
        "alice@example",
        "alice@exa_mple.fr",
        "x" * 250 + "@example.fr",
    ],
)
def test_invalid_emails_are_refused(db: Database, ask_email: Any, bad: str) -> None:
    with pytest.raises(ContactError):
        ask_email(_member(db, "alice"), bad, now=NOW)
    assert outbox.list_emails(db) == []


def test_the_organization_email_needs_no_verification(db: Database, ask_email: Any) -> None:
    with pytest.raises(ContactError) as error:
        ask_email(_member(db, "alice"), "ALICE.MARTIN@demo.example", now=NOW)
    assert "organization email" in error.value.message
    assert outbox.list_emails(db) == []


def test_going_back_to_the_organization_email(db: Database, ask_email: Any) -> None:
    alice = _member(db, "alice")
    ask_email(alice, "alice@perso.example", now=NOW)
    contact.verify_email(db, alice, _code_sent_to(db, "alice@perso.example"), now=NOW)
    view = contact.use_organization_email(db, alice, now=NOW)
    assert view.recipient == "alice.martin@demo.example" and view.details.comm_email is None
    assert emails.recipient_for(db, alice.id) == "alice.martin@demo.example"


@pytest.mark.parametrize("code", ["01000", "75011", "20000", "20290", "97400", "98999"])
def test_french_postal_codes_are_accepted(code: str) -> None:
    assert contact.validate_postal_code(code) == code


@pytest.mark.parametrize("code", ["", "1000", "00999", "99000", "7501A", "750111", "2A000"])
def test_other_postal_codes_are_refused(code: str) -> None:
    with pytest.raises(ContactError):
        contact.validate_postal_code(code)


def test_address_is_saved_cleaned_and_audited(db: Database) -> None:
    alice = _member(db, "alice")
    view = contact.save_address(
        db,
        alice,
        street=" 12  rue des Lilas ",
        street2="",
        postal_code="20000",
        city="Ajaccio",
        now=NOW,
        ip="127.0.0.1",
    )
    assert (view.details.street, view.details.postal_code, view.details.city) == (
        "12 rue des Lilas",
        "20000",
        "Ajaccio",
    )
    [entry] = [e for e in audit_data.recent(db, limit=5) if e.action == "contact.address"]
    assert entry.details["fields"] == ["street", "postal_code", "city"]
    assert entry.actor_id == alice.id and entry.ip == "127.0.0.1"


@pytest.mark.parametrize(
    "fields",
    [
        {"street": "1 rue X", "street2": "", "postal_code": "99999", "city": "Paris"},
        {"street": "", "street2": "", "postal_code": "75011", "city": "Paris"},
        {"street": "1 rue X", "street2": "", "postal_code": "75011", "city": ""},
        {"street": "1 rue X\x00", "street2": "", "postal_code": "75011", "city": "Paris"},
        {"street": "x" * 101, "street2": "", "postal_code": "75011", "city": "Paris"},
    ],
)
def test_bad_addresses_change_nothing(db: Database, fields: dict[str, str]) -> None:
    alice = _member(db, "alice")
    contact.save_address(
        db, alice, street="1 rue A", street2="", postal_code="69001", city="Lyon", now=NOW
    )
    with pytest.raises(ContactError):
        contact.save_address(db, alice, now=NOW, **fields)
    details = contact_data.get_details(db, alice.id)
    assert (details.street, details.postal_code, details.city) == ("1 rue A", "69001", "Lyon")


def test_newsletter_opt_in_and_out(db: Database) -> None:
    alice = _member(db, "alice")
    assert contact.get_contact(db, alice).details.newsletter is False
    assert contact.set_newsletter(db, alice, True, now=NOW).details.newsletter is True
    assert contact.set_newsletter(db, alice, False, now=NOW).details.newsletter is False
    entries = [e for e in audit_data.recent(db, limit=5) if e.action == "contact.newsletter"]
    assert [e.details["subscribed"] for e in entries] == [False, True]


def test_english_members_get_the_code_in_english(db: Database, ask_email: Any) -> None:
    bob = _member(db, "bob")
    ask_email(bob, "bob@home.example", now=NOW)
    [message] = outbox.list_emails(db, recipient="bob@home.example")
    assert message.subject == "Your code to confirm this email address"
    assert body_of(db, message.id).startswith("Hello Bob,")


def test_contact_error_is_translated() -> None:
    from portal.i18n import get_translator

    error = ContactError("Wrong code. Tries left: {n}.", n=2)
    assert error.text(get_translator("fr")) == fr("Code erroné. Essais restants : 2.")
    assert error.text(get_translator("en")) == "Wrong code. Tries left: 2."
