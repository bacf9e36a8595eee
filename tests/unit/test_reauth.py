"""Re-authentication before sensitive account changes, and the security emails (issue 9)."""

from __future__ import annotations

import asyncssh
import pyotp
import pytest
from cryptography.fernet import Fernet
from sqlite_utils import Database

from portal.data import audit as audit_data
from portal.data import contact as contact_data
from portal.data import identity, outbox
from portal.data import members as members_data
from portal.data.members import Member
from portal.services import contact, gate, reauth, ssh_keys, twofactor
from portal.services.clock import FrozenClock
from portal.services.crypto import SecretBox
from portal.services.reauth import Proof, ReauthError
from tests.mail_helpers import body_of
from tests.reauth_helpers import DEMO_PASSWORDS, proof_for

T0 = 1_800_000_000.0
NB = "\u00a0"
"""The no-break space French puts before : ; ! ? and inside « »."""
ALICE_PASSWORD = DEMO_PASSWORDS["alice"]


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(Fernet.generate_key())


@pytest.fixture
def clock(frozen_clock: FrozenClock) -> FrozenClock:
    frozen_clock.set(T0)
    return frozen_clock


def _member(db: Database, login: str) -> Member:
    member = members_data.get_member_by_login(db, login)
    assert member is not None
    return member


def _mails(db: Database, member: Member) -> list[outbox.OutboxEmail]:
    return [e for e in outbox.list_emails(db) if e.member_id == member.id]


def _failures(db: Database) -> list[audit_data.AuditEntry]:
    return [e for e in audit_data.recent(db, limit=50) if e.action == "account.reauth_failed"]


def _public_key(comment: str = "alice@laptop") -> str:
    key = asyncssh.generate_private_key("ssh-ed25519", comment=comment)
    return key.export_public_key("openssh").decode().strip()


# -- the proof ---------------------------------------------------------------------------


def test_the_password_gives_a_proof_for_one_action_of_one_member(db, box, clock) -> None:  # type: ignore[no-untyped-def]
    alice, bob = _member(db, "alice"), _member(db, "bob")
    assert not reauth.needs_code(db, alice.id)
    proof = reauth.verify(db, box, alice, reauth.ADD_SSH_KEY, password=ALICE_PASSWORD)
    assert proof.token not in repr(proof) and ALICE_PASSWORD not in repr(proof)
    reauth.require(box, proof, alice.id, reauth.ADD_SSH_KEY)
    for member_id, purpose in (
        (alice.id, reauth.REMOVE_SSH_KEY),  # another action
        (bob.id, reauth.ADD_SSH_KEY),  # another member
    ):
        with pytest.raises(ReauthError):
            reauth.require(box, proof, member_id, purpose)
    forged = [
        None,
        Proof(alice.id, reauth.ADD_SSH_KEY, "not a token"),
        Proof(alice.id, reauth.ADD_SSH_KEY, SecretBox(Fernet.generate_key()).encrypt("{}")),
        Proof(alice.id, reauth.REMOVE_SSH_KEY, proof.token),  # relabelled
    ]
    for bad in forged:
        with pytest.raises(ReauthError):
            reauth.require(box, bad, alice.id, reauth.REMOVE_SSH_KEY)
    clock.advance(reauth.PROOF_TTL + 1)
    with pytest.raises(ReauthError, match="confirm it is you"):
        reauth.require(box, proof, alice.id, reauth.ADD_SSH_KEY)


def test_a_wrong_password_is_counted_and_audited_without_the_secret(db, box, clock) -> None:  # type: ignore[no-untyped-def]
    alice = _member(db, "alice")
    with pytest.raises(ReauthError) as error:
        reauth.verify(
            db, box, alice, reauth.CHANGE_EMAIL, password="Soleil-Vert-2025!", ip="10.1.2.3"
        )
    assert error.value.params == {"n": reauth.MAX_FAILURES - 1}
    assert error.value.text() == f"Mot de passe erroné. Essais restants{NB}: 4."
    [entry] = _failures(db)
    assert (entry.actor_id, entry.target, entry.ip) == (alice.id, "alice", "10.1.2.3")
    assert entry.details["purpose"] == reauth.CHANGE_EMAIL
    assert "Soleil" not in str(entry)
    with pytest.raises(ReauthError, match="Type your password"):
        reauth.verify(db, box, alice, reauth.CHANGE_EMAIL, password="")
    assert len(_failures(db)) == 1  # nothing typed is not a try


def test_five_wrong_answers_lock_the_actions_for_a_while(db, box, clock) -> None:  # type: ignore[no-untyped-def]
    alice = _member(db, "alice")
    for left in (4, 3, 2, 1):
        with pytest.raises(ReauthError) as error:
            reauth.verify(db, box, alice, reauth.ADD_SSH_KEY, password="guess")
        assert error.value.params == {"n": left}
    with pytest.raises(ReauthError, match="Too many wrong answers"):
        reauth.verify(db, box, alice, reauth.ADD_SSH_KEY, password="guess")
    assert audit_data.recent(db, limit=1)[0].action == "account.reauth_locked"
    # even the right password is refused while locked, and 2FA cannot be turned off either
    with pytest.raises(ReauthError, match="Too many wrong answers"):
        reauth.verify(db, box, alice, reauth.ADD_SSH_KEY, password=ALICE_PASSWORD)
    clock.advance(reauth.LOCK_SECONDS + 1)
    assert reauth.verify(db, box, alice, reauth.ADD_SSH_KEY, password=ALICE_PASSWORD)
    # a success forgets the count: four more wrong answers do not lock
    for _ in range(4):
        with pytest.raises(ReauthError, match="Tries left"):
            reauth.verify(db, box, alice, reauth.ADD_SSH_KEY, password="guess")


def test_with_2fa_on_a_current_code_is_asked_once(db, box, clock) -> None:  # type: ignore[no-untyped-def]
    alice = _member(db, "alice")
    secret = twofactor.enroll_for_test(db, box, alice.id)
    assert reauth.needs_code(db, alice.id)
    with pytest.raises(ReauthError, match="Type the code"):
        reauth.verify(db, box, alice, reauth.REGENERATE_CODES, password=ALICE_PASSWORD)
    with pytest.raises(ReauthError, match="6 digits"):
        reauth.verify(db, box, alice, reauth.REGENERATE_CODES, code="12345")
    code = pyotp.TOTP(secret).at(T0)
    with pytest.raises(ReauthError, match="not valid"):
        reauth.verify(db, box, alice, reauth.REGENERATE_CODES, code=pyotp.TOTP(secret).at(T0 - 300))
    proof = reauth.verify(db, box, alice, reauth.REGENERATE_CODES, code=code)
    reauth.require(box, proof, alice.id, reauth.REGENERATE_CODES)
    with pytest.raises(ReauthError, match="already used"):  # a code works once
        reauth.verify(db, box, alice, reauth.REGENERATE_CODES, code=code)
    assert all(code not in str(e) for e in audit_data.recent(db, limit=20))


# -- the services refuse without a proof -------------------------------------------------


def test_turning_2fa_on_needs_a_proof_except_the_enrolment_required_at_login(
    db, box, clock
) -> None:  # type: ignore[no-untyped-def]
    alice, marc = _member(db, "alice"), _member(db, "marc")
    with pytest.raises(ReauthError):
        twofactor.begin_enrollment(db, box, alice.id, proof=None)
    other = proof_for(db, box, alice, reauth.ADD_SSH_KEY)
    with pytest.raises(ReauthError):
        twofactor.begin_enrollment(db, box, alice.id, proof=other)
    assert identity.get_totp(db, alice.id) is None
    assert twofactor.begin_enrollment(db, box, marc.id, proof=None).secret  # a manager, off
    enrollment = twofactor.begin_enrollment(
        db, box, alice.id, proof=proof_for(db, box, alice, reauth.ENABLE_TWOFACTOR)
    )
    assert twofactor.confirm_enrollment(db, box, alice.id, pyotp.TOTP(enrollment.secret).at(T0))
    [mail] = _mails(db, alice)
    assert mail.subject == "La double authentification est activée sur votre compte Portal"
    assert mail.recipient == "alice.martin@demo.example" and not mail.sensitive
    body = body_of(db, mail.id)
    assert f"«{NB}alice{NB}»" in body and "heure de Paris" in body and "contactez votre CSE" in body
    assert enrollment.secret not in body


def test_new_recovery_codes_need_a_proof_and_are_told(db, box, clock) -> None:  # type: ignore[no-untyped-def]
    alice = _member(db, "alice")
    secret = twofactor.enroll_for_test(db, box, alice.id)
    with pytest.raises(ReauthError):
        twofactor.regenerate_recovery_codes(db, box, alice.id, proof=None)
    assert identity.count_unused_recovery_codes(db, alice.id) == 0 and _mails(db, alice) == []
    proof = proof_for(db, box, alice, reauth.REGENERATE_CODES, secret=secret)
    codes = twofactor.regenerate_recovery_codes(db, box, alice.id, proof=proof)
    [mail] = _mails(db, alice)
    assert mail.subject == "Nouveaux codes de secours pour votre compte Portal"
    assert all(code not in body_of(db, mail.id) for code in codes)


def test_turning_2fa_off_is_told_and_its_wrong_tries_count(db, box, clock) -> None:  # type: ignore[no-untyped-def]
    bob = _member(db, "bob")  # writes in English
    secret = twofactor.enroll_for_test(db, box, bob.id)
    assert not twofactor.disable(db, box, bob, "wrong", pyotp.TOTP(secret).at(T0), ip="10.9.9.9")
    assert [e.details["purpose"] for e in _failures(db)] == [reauth.DISABLE_TWOFACTOR]
    assert _mails(db, bob) == []
    assert twofactor.disable(db, box, bob, DEMO_PASSWORDS["bob"], pyotp.TOTP(secret).at(T0))
    [mail] = _mails(db, bob)
    assert mail.subject == "Two-factor authentication is off for your Portal account"
    body = body_of(db, mail.id)
    assert body.startswith("Hello Bob,") and "contact your CSE" in body


def test_disabling_is_locked_after_five_wrong_tries(db, box, clock) -> None:  # type: ignore[no-untyped-def]
    alice = _member(db, "alice")
    secret = twofactor.enroll_for_test(db, box, alice.id)
    for _ in range(reauth.MAX_FAILURES):
        assert not twofactor.disable(db, box, alice, "guess", "000000")
    with pytest.raises(ReauthError, match="Too many wrong answers"):
        twofactor.disable(db, box, alice, ALICE_PASSWORD, pyotp.TOTP(secret).at(T0))
    assert twofactor.is_enabled(db, alice.id)


def test_a_login_with_a_recovery_code_is_told(db, box, clock) -> None:  # type: ignore[no-untyped-def]
    alice = _member(db, "alice")
    secret = twofactor.enroll_for_test(db, box, alice.id)
    proof = proof_for(db, box, alice, reauth.REGENERATE_CODES, secret=secret)
    codes = twofactor.regenerate_recovery_codes(db, box, alice.id, proof=proof)
    policy = gate.GatePolicy()
    assert gate.check_code(
        db, box, alice.id, pyotp.TOTP(secret).at(T0 + 30), ip=None, policy=policy, now=T0 + 30
    ).ok
    assert len(_mails(db, alice)) == 1  # a TOTP code is no news
    assert gate.check_code(
        db, box, alice.id, codes[4], ip="10.0.0.7", policy=policy, now=T0 + 31
    ).ok
    mail = _mails(db, alice)[0]
    assert mail.subject == "Un code de secours de votre compte Portal a été utilisé"
    body = body_of(db, mail.id)
    assert f"Codes de secours restants{NB}: 9." in body and codes[4] not in body


def test_adding_and_removing_a_key_need_a_proof_and_are_told(db, box, clock) -> None:  # type: ignore[no-untyped-def]
    alice = _member(db, "alice")
    text = _public_key()
    wrong = proof_for(db, box, alice, reauth.REMOVE_SSH_KEY)
    for proof in (None, wrong):
        with pytest.raises(ReauthError):
            ssh_keys.add_key(db, alice, text, "Portable", box=box, proof=proof)
    assert ssh_keys.list_keys(db, alice) == [] and _mails(db, alice) == []
    key = ssh_keys.add_key(
        db, alice, text, "Portable", box=box, proof=proof_for(db, box, alice, reauth.ADD_SSH_KEY)
    )
    [added] = _mails(db, alice)
    assert added.subject == "Une clé SSH a été ajoutée à votre compte Portal"
    body = body_of(db, added.id)
    assert f"«{NB}Portable{NB}»" in body and key.fingerprint in body
    assert text.split()[1] not in body and key.public_key not in body  # never the key itself

    with pytest.raises(ReauthError):
        ssh_keys.remove_key(db, alice, key.id, box=box, proof=None)
    assert len(ssh_keys.list_keys(db, alice)) == 1
    assert ssh_keys.remove_key(
        db, alice, key.id, box=box, proof=proof_for(db, box, alice, reauth.REMOVE_SSH_KEY)
    )
    removed = _mails(db, alice)[0]
    assert removed.subject == "Une clé SSH a été retirée de votre compte Portal"
    assert key.fingerprint in body_of(db, removed.id)


def test_a_new_communication_email_needs_a_proof_and_the_old_address_is_told(
    db, box, clock
) -> None:  # type: ignore[no-untyped-def]
    alice = _member(db, "alice")
    with pytest.raises(ReauthError):
        contact.request_email_verification(db, alice, "alice@perso.example", box=box, proof=None)
    assert outbox.list_emails(db) == [] and contact_data.pending_verification(db, alice.id) is None
    with pytest.raises(contact.ContactError):  # said before any password is asked
        contact.check_new_email(db, alice, "alice.martin@demo.example")
    proof = proof_for(db, box, alice, reauth.CHANGE_EMAIL)
    contact.request_email_verification(db, alice, "alice@perso.example", box=box, proof=proof)
    [code_mail] = outbox.list_emails(db, recipient="alice@perso.example")
    code = body_of(db, code_mail.id).split("\n    ")[1][:6]
    contact.verify_email(db, alice, code)
    [notice] = outbox.list_emails(db, recipient="alice.martin@demo.example")
    assert notice.subject == "Votre e-mail de communication a changé" and not notice.sensitive
    body = body_of(db, notice.id)
    assert "alice@perso.example" in body and "heure de Paris" in body
    assert "contactez votre CSE" in body
