"""The authentication gate over real SSH: password, TOTP, recovery codes, keys, lockout."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import asyncssh
import pyotp
import pytest
from cryptography.fernet import Fernet
from sqlite_utils import Database

from portal.data import members as members_data
from portal.services import gate as gate_service
from portal.services import passwords, reauth, ssh_keys, twofactor
from portal.services.crypto import SecretBox
from portal.services.gate import GatePolicy
from portal.services.runtime import Services
from tests.e2e.gate_helpers import Answering, Gate, Screen, connect, refused, scripted, start_gate
from tests.reauth_helpers import proof_for
from tests.typography import fr

ALICE = "Soleil-Vert-2026!"
MARC = "Gestion-Marc-2026!"
PASSWORD_PROMPT = "Mot de passe / Password: "
CODE_PROMPT = "Code de vérification / Verification code: "


@pytest.fixture
async def gate(services: Services) -> AsyncIterator[Gate]:
    running = await start_gate(services)
    yield running
    await running.server.close()


def audit(db: Database, action: str) -> list[dict[str, Any]]:
    rows = db.execute("SELECT * FROM audit_log WHERE action = ? ORDER BY id", [action]).fetchall()
    return [{**dict(r), "details": json.loads(r["details"])} for r in rows]


def member_id(db: Database, login: str) -> int:
    found = members_data.get_member_by_login(db, login)
    assert found is not None
    return found.id


# -- password and TOTP ----------------------------------------------------------------------------


async def test_password_alone_when_2fa_is_off(gate: Gate, db: Database) -> None:
    conn = await connect(gate, "alice", scripted(ALICE))
    conn.close()
    login = audit(db, "auth.login")[-1]
    assert login["target"] == "alice" and login["details"] == {
        "method": "password",
        "twofactor": False,
    }


async def test_password_then_verification_code(
    gate: Gate, db: Database, services: Services
) -> None:
    secret = twofactor.enroll_for_test(db, services.secrets, member_id(db, "alice"))
    code = pyotp.TOTP(secret).at(gate.clock.now)
    client = Answering(scripted(ALICE, code))
    conn = await connect(gate, "alice", client=client)
    conn.close()
    assert client.prompts == [PASSWORD_PROMPT, CODE_PROMPT]
    assert audit(db, "auth.login")[-1]["details"]["twofactor"] is True


async def test_a_code_is_refused_the_second_time_even_from_another_session(
    gate: Gate, db: Database, services: Services
) -> None:
    secret = twofactor.enroll_for_test(db, services.secrets, member_id(db, "alice"))
    code = pyotp.TOTP(secret).at(gate.clock.now)
    first = await connect(gate, "alice", scripted(ALICE, code))
    # Replayed on a second connection while the first is still open.
    client, _error = await refused(gate, "alice", scripted(ALICE, code))
    assert client.prompts[:2] == [PASSWORD_PROMPT, CODE_PROMPT]
    first.close()
    assert audit(db, "auth.failed")[-1]["details"]["reason"] == "code"
    # The next step's code works.
    gate.clock.now += 30
    conn = await connect(gate, "alice", scripted(ALICE, pyotp.TOTP(secret).at(gate.clock.now)))
    conn.close()


async def test_one_step_of_drift_and_no_more(gate: Gate, db: Database, services: Services) -> None:
    secret = twofactor.enroll_for_test(db, services.secrets, member_id(db, "alice"))
    totp = pyotp.TOTP(secret)
    await refused(gate, "alice", scripted(ALICE, totp.at(gate.clock.now - 60)))
    conn = await connect(gate, "alice", scripted(ALICE, totp.at(gate.clock.now - 30)))
    conn.close()


async def test_a_recovery_code_works_once_in_place_of_the_code(
    gate: Gate, db: Database, services: Services
) -> None:
    alice = member_id(db, "alice")
    secret = twofactor.enroll_for_test(db, services.secrets, alice)
    member = members_data.get_member(db, alice)
    assert member is not None
    proof = proof_for(db, services.secrets, member, reauth.REGENERATE_CODES, secret=secret)
    recovery = twofactor.regenerate_recovery_codes(db, services.secrets, alice, proof=proof)[0]
    conn = await connect(gate, "alice", scripted(ALICE, recovery))
    conn.close()
    await refused(gate, "alice", scripted(ALICE, recovery))
    assert audit(db, "twofactor.recovery_code_used")


async def test_a_wrong_code_after_the_right_password_is_refused(
    gate: Gate, db: Database, services: Services
) -> None:
    twofactor.enroll_for_test(db, services.secrets, member_id(db, "alice"))
    client, _ = await refused(gate, "alice", scripted(ALICE, "000000"))
    assert client.prompts[:2] == [PASSWORD_PROMPT, CODE_PROMPT]


# -- one answer for every refusal --------------------------------------------------------------


async def test_unknown_and_known_logins_get_the_same_answer(
    gate: Gate, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified: list[str | None] = []
    real = passwords.verify_password

    def counting(stored: str | None, password: str) -> bool:
        verified.append(stored)
        return real(stored, password)

    monkeypatch.setattr(gate_service, "verify_password", counting)
    monkeypatch.setattr(passwords, "verify_password", counting)  # the gate's hashing threads
    members_data.set_status(db, member_id(db, "bob"), "pending")
    outcomes = []
    for login, password in (
        ("nobody", "Some-Guess-123"),
        ("alice", "Some-Guess-123"),
        ("bob", "Horizon-Bob-2026!"),
    ):
        client, error = await refused(gate, login, scripted(password))
        # (asyncssh's client words its error with the username it used)
        outcomes.append(
            (
                client.prompts,
                type(error),
                error.code,
                error.reason.replace(f"user {login} ", "user * "),
            )
        )
    # Same prompt, same error, same words; and each paid one hash verification.
    assert outcomes[0] == outcomes[1] == outcomes[2]
    assert outcomes[0][0] == [PASSWORD_PROMPT]
    assert len(verified) == 3 and verified[0] is None
    reasons = [e["details"]["reason"] for e in audit(db, "auth.failed")]
    assert reasons == ["unknown", "password", "pending"]


async def test_the_guest_username_is_not_a_member_login(gate: Gate) -> None:
    # The guest entry opens without a password (see test_gate_guest), and never as a member.
    conn = await connect(gate, "welcome")
    conn.close()


# -- throttling and lockout --------------------------------------------------------------------------


async def test_delays_rise_with_the_failures_of_an_account(gate: Gate) -> None:
    await refused(gate, "alice", scripted("wrong-1", "wrong-2", "wrong-3"))
    assert gate.delays == [1.0, 2.0, 4.0]


async def test_delays_rise_with_the_failures_of_an_address(gate: Gate) -> None:
    # A different login each time: only the address's counter grows.
    for i in range(6):
        await refused(gate, f"someone{i}", scripted("wrong"))
    assert gate.delays == [1.0, 1.0, 1.0, 1.0, 2.0, 4.0]


async def test_a_parallel_connection_waits_for_earlier_failures(gate: Gate) -> None:
    await refused(gate, "alice", scripted("wrong-1", "wrong-2"))
    # That connection waited 1 s then 2 s. Another one tries 0.5 s after the second failure.
    gate.delays.clear()
    gate.clock.now -= 1.5
    conn = await connect(gate, "alice", scripted(ALICE))
    conn.close()
    # Two failures: 2 s after the last one, of which 0.5 s had passed.
    assert gate.delays == [pytest.approx(1.5)]


async def test_the_connection_drops_after_six_failed_tries(gate: Gate) -> None:
    client, error = await refused(gate, "alice", lambda prompt: "wrong-again")
    assert client.prompts == [PASSWORD_PROMPT] * 6
    assert len(gate.delays) == 6


async def test_ten_failures_lock_the_account_and_the_member_is_told(
    gate: Gate, db: Database
) -> None:
    await refused(gate, "alice", lambda prompt: "wrong")  # 6 tries
    await refused(gate, "alice", scripted("w7", "w8", "w9", "w10"))
    assert audit(db, "auth.account_locked")[0]["target"] == "alice"
    mails = db.execute(
        "SELECT subject FROM email_outbox WHERE recipient = ?", ["alice.martin@demo.example"]
    ).fetchall()
    assert [m[0] for m in mails] == ["Votre compte Portal est verrouillé pour un moment"]
    # Locked: the right password gets the very same answer.
    client, _ = await refused(gate, "alice", scripted(ALICE))
    assert client.prompts == [PASSWORD_PROMPT]
    assert audit(db, "auth.failed")[-1]["details"]["reason"] == "locked"
    # Later, the lock is over.
    gate.clock.now += GatePolicy().lock_seconds + 1
    conn = await connect(gate, "alice", scripted(ALICE))
    conn.close()


async def test_no_attempt_audits_the_secret(gate: Gate, db: Database) -> None:
    await refused(gate, "alice", scripted("Very-Secret-Guess-99"))
    await refused(gate, "nobody", scripted("Another-Secret-Guess-98"))
    dump = json.dumps([dict(r) for r in db.execute("SELECT * FROM audit_log").fetchall()])
    assert "Very-Secret-Guess-99" not in dump and "Another-Secret-Guess-98" not in dump
    assert len(audit(db, "auth.failed")) == 2


# -- public keys ------------------------------------------------------------------------------


def _register_key(db: Database, login: str) -> asyncssh.SSHKey:
    key = asyncssh.generate_private_key("ssh-ed25519")
    member = members_data.get_member_by_login(db, login)
    assert member is not None
    box = SecretBox(Fernet.generate_key())  # any box: it only checks the proof
    proof = proof_for(db, box, member, reauth.ADD_SSH_KEY)
    ssh_keys.add_key(
        db, member, key.export_public_key("openssh").decode(), "laptop", box=box, proof=proof
    )
    return key


async def test_a_registered_key_stands_in_for_the_password(gate: Gate, db: Database) -> None:
    key = _register_key(db, "alice")
    client = Answering(scripted())
    conn = await connect(gate, "alice", client=client, client_keys=[key])
    conn.close()
    assert client.prompts == []
    assert audit(db, "auth.login")[-1]["details"] == {"method": "publickey", "twofactor": False}


async def test_with_2fa_a_key_still_needs_the_code(
    gate: Gate, db: Database, services: Services
) -> None:
    key = _register_key(db, "alice")
    secret = twofactor.enroll_for_test(db, services.secrets, member_id(db, "alice"))
    # The key alone is not enough.
    await refused(gate, "alice", client_keys=[key])
    # With the key, only the code is asked (not the password).
    client = Answering(scripted(pyotp.TOTP(secret).at(gate.clock.now)))
    conn = await connect(gate, "alice", client=client, client_keys=[key])
    conn.close()
    assert client.prompts == [CODE_PROMPT]
    assert audit(db, "auth.login")[-1]["details"] == {"method": "publickey", "twofactor": True}


async def test_an_unregistered_key_falls_back_to_the_password(gate: Gate, db: Database) -> None:
    _register_key(db, "bob")
    stranger = asyncssh.generate_private_key("ssh-ed25519")
    client = Answering(scripted(ALICE))
    conn = await connect(gate, "alice", client=client, client_keys=[stranger])
    conn.close()
    assert client.prompts == [PASSWORD_PROMPT]


async def test_a_key_does_not_open_a_deactivated_account(gate: Gate, db: Database) -> None:
    key = _register_key(db, "alice")
    members_data.set_status(db, member_id(db, "alice"), "deactivated")
    await refused(gate, "alice", client_keys=[key])


# -- managers must turn 2FA on ---------------------------------------------------------------


async def test_a_manager_without_2fa_must_turn_it_on_first(
    gate: Gate, db: Database, services: Services
) -> None:
    conn = await connect(gate, "marc", scripted(MARC))
    process = await conn.create_process(term_type="xterm-256color", term_size=(80, 24))
    try:
        screen = Screen(process)
        text = await screen.wait_for("Double authentification obligatoire")
        assert "Bonjour Marc" not in text
        assert [s.require_twofactor for s in gate.server.runtime.registry.sessions] == [True]
        # No way around it: the screen refuses "back" (Escape).
        await screen.wait_for(fr("Compte :"))
        session = next(iter(gate.server.runtime.registry.sessions))
        assert session.app is not None
        assert type(session.app.screen).__name__ == "TwoFactorRequiredScreen"
        assert not session.app.screen.check_action("back", ())
        secret = _pending_secret(db, services, member_id(db, "marc"))
        assert " ".join(secret[i : i + 4] for i in range(0, 8, 4)) in screen.text  # shown too
        process.stdin.write(pyotp.TOTP(secret).now() + "\r")
        await screen.wait_for("Je les ai notés")
        process.stdin.write("\r")
        await screen.wait_for("Bonjour Marc")
    finally:
        conn.close()
    assert twofactor.is_enabled(db, member_id(db, "marc"))
    # Next time, the manager gives a code and goes straight in.
    gate.clock.now += 60
    secret_now = pyotp.TOTP(secret).at(gate.clock.now)
    conn = await connect(gate, "marc", scripted(MARC, secret_now))
    conn.close()


def _pending_secret(db: Database, services: Services, member: int) -> str:
    """The secret that the enrolment screen shows (as a QR code and as text)."""
    from portal.data import identity

    record = identity.get_totp(db, member)
    assert record is not None and record.pending_secret_enc is not None
    return services.secrets.decrypt(record.pending_secret_enc)
