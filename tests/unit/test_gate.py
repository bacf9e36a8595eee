"""The gate's rules: same answer for every failure, rising delays, lockout, audit, deactivation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlite_utils import Database

from portal.data import members as members_data
from portal.services import gate, member_admin, passwords, twofactor
from portal.services.gate import GateError, GatePolicy
from portal.services.guest_checks import CodeChallenge
from tests.session_helpers import FakeSessions

ALICE_PASSWORD = "Soleil-Vert-2026!"
T0 = 1_800_000_000.0
POLICY = GatePolicy()


def _audit(db: Database, action: str) -> list[dict[str, Any]]:
    rows = db.execute("SELECT * FROM audit_log WHERE action = ? ORDER BY id", [action]).fetchall()
    return [{**dict(r), "details": json.loads(r["details"])} for r in rows]


def _emails(db: Database, to: str) -> list[dict[str, Any]]:
    return [
        dict(r)
        for r in db.execute(
            "SELECT * FROM email_outbox WHERE recipient = ? ORDER BY id", [to]
        ).fetchall()
    ]


def test_delays_double_and_stop_at_the_maximum() -> None:
    policy = GatePolicy(delay_base=1, delay_max=30, free_ip_failures=3)
    assert [policy.delay(n, 0) for n in range(0, 8)] == [0, 1, 2, 4, 8, 16, 30, 30]
    # The address counts only past its free failures.
    assert [policy.delay(0, n) for n in range(0, 7)] == [0, 0, 0, 0, 1, 2, 4]


def test_right_password_lets_an_active_member_in(db: Database) -> None:
    attempt = gate.check_password(db, "alice", ALICE_PASSWORD, ip="10.0.0.1", policy=POLICY, now=T0)
    assert attempt.ok and attempt.member is not None and attempt.member.login == "alice"
    assert not attempt.needs_code


def test_password_then_code_when_2fa_is_on(db: Database, services) -> None:  # type: ignore[no-untyped-def]
    alice = members_data.get_member_by_login(db, "alice")
    assert alice is not None
    secret = twofactor.enroll_for_test(db, services.secrets, alice.id)
    attempt = gate.check_password(db, "alice", ALICE_PASSWORD, ip="10.0.0.1", policy=POLICY, now=T0)
    assert attempt.ok and attempt.needs_code
    import pyotp

    code = pyotp.TOTP(secret).at(T0)
    assert gate.check_code(
        db, services.secrets, alice.id, code, ip="10.0.0.1", policy=POLICY, now=T0
    ).ok
    replay = gate.check_code(
        db, services.secrets, alice.id, code, ip="10.0.0.1", policy=POLICY, now=T0
    )
    assert not replay.ok
    assert _audit(db, "auth.failed")[-1]["details"]["reason"] == "code"


@pytest.mark.parametrize(
    "login,password,status",
    [
        ("nobody", "whatever-it-is", None),
        ("alice", "wrong-password-1", None),
        ("alice", ALICE_PASSWORD, "pending"),
        ("alice", ALICE_PASSWORD, "deactivated"),
        ("alice", ALICE_PASSWORD, "invited"),
    ],
)
def test_every_refusal_looks_the_same(
    db: Database, login: str, password: str, status: str | None
) -> None:
    if status:
        alice = members_data.get_member_by_login(db, "alice")
        assert alice is not None
        members_data.set_status(db, alice.id, status)
    attempt = gate.check_password(db, login, password, ip="10.0.0.1", policy=POLICY, now=T0)
    assert attempt == gate.Attempt(None, needs_code=False, delay=1.0)


def test_unknown_login_costs_one_hash_verification_like_a_known_one(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str | None] = []
    real = passwords.verify_password

    def counting(stored: str | None, password: str) -> bool:
        calls.append(stored)
        return real(stored, password)

    monkeypatch.setattr(gate, "verify_password", counting)
    gate.check_password(db, "nobody", "x" * 14, ip="10.0.0.1", policy=POLICY, now=T0)
    gate.check_password(db, "alice", "x" * 14, ip="10.0.0.1", policy=POLICY, now=T0)
    assert len(calls) == 2
    assert calls[0] is None  # verified against the dummy hash


def test_failures_are_audited_without_the_secret(db: Database) -> None:
    gate.check_password(db, "alice", "my-secret-guess-42", ip="10.0.0.9", policy=POLICY, now=T0)
    entry = _audit(db, "auth.failed")[-1]
    assert entry["ip"] == "10.0.0.9" and entry["target"] == "alice"
    assert entry["details"]["reason"] == "password" and entry["details"]["step"] == "password"
    dump = json.dumps([dict(r) for r in db.execute("SELECT * FROM audit_log").fetchall()])
    assert "my-secret-guess-42" not in dump


def test_account_locks_after_ten_failures_and_the_member_is_told(db: Database) -> None:
    for i in range(9):
        assert not gate.check_password(
            db, "alice", f"wrong-{i}", ip="10.0.0.1", policy=POLICY, now=T0 + i
        ).ok
    assert _emails(db, "alice.martin@demo.example") == []
    gate.check_password(db, "alice", "wrong-9", ip="10.0.0.1", policy=POLICY, now=T0 + 9)
    # Locked: even the right password is refused, and the answer is the same.
    locked = gate.check_password(
        db, "alice", ALICE_PASSWORD, ip="10.0.0.2", policy=POLICY, now=T0 + 10
    )
    assert not locked.ok
    assert locked.delay == POLICY.delay_max  # as slow as the tenth failure: the lock is not told
    assert _audit(db, "auth.account_locked")[0]["details"]["failures"] == 10
    mails = _emails(db, "alice.martin@demo.example")
    assert len(mails) == 1 and "verrouillé" in mails[0]["subject"]
    # The lock ends by itself.
    after = gate.check_password(
        db, "alice", ALICE_PASSWORD, ip="10.0.0.2", policy=POLICY, now=T0 + 10 + POLICY.lock_seconds
    )
    assert after.ok


def test_unknown_logins_lock_too_but_nobody_is_emailed(db: Database) -> None:
    before = db.execute("SELECT count(*) FROM email_outbox").fetchone()[0]
    for i in range(10):
        gate.check_password(db, "ghost", f"wrong-{i}", ip="10.0.0.1", policy=POLICY, now=T0 + i)
    assert len(_audit(db, "auth.account_locked")) == 1
    assert db.execute("SELECT count(*) FROM email_outbox").fetchone()[0] == before


def test_a_full_login_forgets_the_failures(db: Database) -> None:
    for i in range(9):
        gate.check_password(db, "alice", f"wrong-{i}", ip="10.0.0.1", policy=POLICY, now=T0)
    alice = gate.check_password(db, "alice", ALICE_PASSWORD, ip="10.0.0.1", policy=POLICY, now=T0)
    assert alice.member is not None
    gate.login_succeeded(db, alice.member.id, ip="10.0.0.1", method="password", twofactor=False)
    attempt = gate.check_password(db, "alice", "wrong-again", ip="10.0.0.1", policy=POLICY, now=T0)
    assert _audit(db, "auth.failed")[-1]["details"]["failures"] == 1
    assert _audit(db, "auth.login")[-1]["target"] == "alice"
    assert attempt.delay >= 1.0


def test_old_failures_are_forgotten(db: Database) -> None:
    for i in range(5):
        gate.check_password(db, "alice", f"wrong-{i}", ip="10.0.0.1", policy=POLICY, now=T0)
    gate.check_password(
        db, "alice", "wrong", ip="10.0.0.1", policy=POLICY, now=T0 + POLICY.forget_after + 1
    )
    assert _audit(db, "auth.failed")[-1]["details"]["failures"] == 1


def test_parallel_tries_wait_for_the_delay_of_earlier_failures(db: Database) -> None:
    assert gate.wait_before(db, "alice", "10.0.0.1", policy=POLICY, now=T0) == 0
    for _ in range(3):
        gate.check_password(db, "alice", "wrong", ip="10.0.0.1", policy=POLICY, now=T0)
    # Three failures: 4 s before the next try, from any connection or address.
    assert gate.wait_before(db, "alice", "10.9.9.9", policy=POLICY, now=T0 + 1) == pytest.approx(3)
    assert gate.wait_before(db, "alice", "10.9.9.9", policy=POLICY, now=T0 + 5) == 0


def test_a_code_challenge_works_once_in_time() -> None:
    challenge, code = CodeChallenge.issue(T0, ttl=900)
    wrong = "000000" if code != "000000" else "111111"
    assert not challenge.check(wrong, T0)
    assert challenge.attempts_left == 4
    assert challenge.check(code, T0 + 10)
    assert not challenge.check(code, T0 + 20)  # spent
    late, late_code = CodeChallenge.issue(T0, ttl=900)
    assert not late.check(late_code, T0 + 900)  # expired


def test_a_code_challenge_stops_after_five_wrong_codes() -> None:
    challenge, code = CodeChallenge.issue(T0, ttl=900)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        challenge.check(wrong, T0)
    assert challenge.exhausted
    assert not challenge.check(code, T0)


# -- deactivation ------------------------------------------------------------------------------


def _member(db: Database, login: str):  # type: ignore[no-untyped-def]
    member = members_data.get_member_by_login(db, login)
    assert member is not None
    return member


def test_a_manager_deactivates_a_member_and_their_sessions_end(db: Database) -> None:
    sessions = FakeSessions()
    marc, alice = _member(db, "marc"), _member(db, "alice")
    updated = member_admin.deactivate_member(db, marc, alice.id, sessions=sessions)
    assert updated.status == "deactivated"
    assert sessions.closed == [
        (alice.id, "Votre compte a été désactivé. Contactez votre CSE s'il s'agit d'une erreur.")
    ]
    assert _audit(db, "member.deactivated")[0]["actor_id"] == marc.id
    assert not gate.check_password(db, "alice", ALICE_PASSWORD, ip="10.0.0.1", policy=POLICY).ok


def test_deactivation_is_for_managers_of_the_organization(db: Database) -> None:
    sessions = FakeSessions()
    alice, bob, nina, marc = (_member(db, n) for n in ("alice", "bob", "nina", "marc"))
    with pytest.raises(PermissionError):
        member_admin.deactivate_member(db, nina, alice.id, sessions=sessions)  # other organization
    with pytest.raises(PermissionError):
        member_admin.deactivate_member(
            db, bob, _member(db, "nina").id, sessions=sessions
        )  # a member
    with pytest.raises(PermissionError):
        member_admin.deactivate_member(db, marc, _member(db, "admin").id, sessions=sessions)
    with pytest.raises(GateError):
        member_admin.deactivate_member(db, marc, marc.id, sessions=sessions)
    assert sessions.closed == []
    assert _member(db, "alice").status == "active"
    # An admin may deactivate anyone.
    member_admin.deactivate_member(db, _member(db, "admin"), bob.id, sessions=sessions)
    assert _member(db, "bob").status == "deactivated"


def test_a_key_of_another_member_does_not_open_an_account(db: Database, services) -> None:  # type: ignore[no-untyped-def]
    import asyncssh

    from portal.services import reauth, ssh_keys
    from tests.reauth_helpers import proof_for

    key = asyncssh.generate_private_key("ssh-ed25519")
    text = key.export_public_key("openssh").decode()
    bob, box = _member(db, "bob"), services.secrets
    proof = proof_for(db, box, bob, reauth.ADD_SSH_KEY)  # re-authentication (issue 9)
    ssh_keys.add_key(db, bob, text, box=box, proof=proof)
    assert gate.check_key(db, "alice", text, ip="10.0.0.1") is None
    match = gate.check_key(db, "bob", text, ip="10.0.0.1")
    assert match is not None and match.member.login == "bob" and not match.needs_code
