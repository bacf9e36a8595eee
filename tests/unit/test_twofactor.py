"""Two-factor authentication: enrolment, TOTP with drift and replay guard, recovery codes."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, unquote, urlparse

import pyotp
import pytest
from cryptography.fernet import Fernet

from portal.data import identity
from portal.data import members as members_data
from portal.data.db import connect
from portal.services import audit, reauth, twofactor
from portal.services.crypto import SecretBox
from tests.reauth_helpers import proof_for

T0 = 1_800_000_000.0  # a fixed instant, on a 30-second boundary


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(Fernet.generate_key())


@pytest.fixture
def alice(db):  # type: ignore[no-untyped-def]
    member = members_data.get_member_by_login(db, "alice")
    assert member is not None
    return member


def _code(secret: str, at: float) -> str:
    return pyotp.TOTP(secret).at(at)


def _begin(db, box, member):  # type: ignore[no-untyped-def]
    """Start an enrolment the way My Account does: after the password."""
    proof = proof_for(db, box, member, reauth.ENABLE_TWOFACTOR)
    return twofactor.begin_enrollment(db, box, member.id, proof=proof)


def test_enrollment_is_pending_until_a_first_valid_code(db, box, alice) -> None:  # type: ignore[no-untyped-def]
    enrollment = _begin(db, box, alice)
    assert not twofactor.is_enabled(db, alice.id)
    uri = urlparse(enrollment.uri)
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    assert unquote(uri.path) == "/Portal CSE:alice"
    query = parse_qs(uri.query)
    assert query["secret"] == [enrollment.secret]
    assert query["issuer"] == ["Portal CSE"]
    assert len(enrollment.secret) == 32
    assert "hidden" in repr(enrollment) and enrollment.secret not in repr(enrollment)

    assert twofactor.confirm_enrollment(db, box, alice.id, "000000", now=T0) is None
    assert not twofactor.is_enabled(db, alice.id)
    codes = twofactor.confirm_enrollment(db, box, alice.id, _code(enrollment.secret, T0), now=T0)
    assert codes is not None and len(codes) == 10 and len(set(codes)) == 10
    assert all(len(c) == 14 and c[4] == "-" and c[9] == "-" for c in codes)
    assert twofactor.is_enabled(db, alice.id)
    assert twofactor.status(db, alice.id).recovery_codes_left == 10
    assert audit.recent(db, limit=1)[0].action == "twofactor.enabled"


def test_restarting_enrollment_replaces_the_pending_secret(db, box, alice) -> None:  # type: ignore[no-untyped-def]
    first = _begin(db, box, alice)
    second = _begin(db, box, alice)
    assert first.secret != second.secret
    assert twofactor.confirm_enrollment(db, box, alice.id, _code(first.secret, T0), now=T0) is None
    assert twofactor.confirm_enrollment(db, box, alice.id, _code(second.secret, T0), now=T0)


def test_enrollment_refused_when_already_on(db, box, alice) -> None:  # type: ignore[no-untyped-def]
    secret = twofactor.enroll_for_test(db, box, alice.id)
    proof = proof_for(db, box, alice, reauth.ENABLE_TWOFACTOR, secret=secret)
    with pytest.raises(twofactor.TwoFactorError):
        twofactor.begin_enrollment(db, box, alice.id, proof=proof)


def test_totp_accepts_one_step_of_drift_and_refuses_replay(db, box, alice) -> None:  # type: ignore[no-untyped-def]
    secret = twofactor.enroll_for_test(db, box, alice.id)
    assert twofactor.verify_code(db, box, alice.id, _code(secret, T0 - 30), now=T0)
    # the same code again: replay, refused
    assert not twofactor.verify_code(db, box, alice.id, _code(secret, T0 - 30), now=T0)
    assert twofactor.verify_code(db, box, alice.id, _code(secret, T0), now=T0)
    assert not twofactor.verify_code(db, box, alice.id, _code(secret, T0), now=T0 + 10)
    # a code from the future step is accepted (drift); then the current one is older: refused
    assert twofactor.verify_code(db, box, alice.id, _code(secret, T0 + 30), now=T0 + 5)
    assert not twofactor.verify_code(db, box, alice.id, _code(secret, T0 + 30), now=T0 + 31)


def test_expired_and_malformed_codes_are_refused(db, box, alice) -> None:  # type: ignore[no-untyped-def]
    secret = twofactor.enroll_for_test(db, box, alice.id)
    assert not twofactor.verify_code(db, box, alice.id, _code(secret, T0 - 90), now=T0)
    assert not twofactor.verify_code(db, box, alice.id, _code(secret, T0 + 90), now=T0)
    for bad in ("", "12345", "1234567", "abcdef", "１２３４５６"):
        assert not twofactor.verify_code(db, box, alice.id, bad, now=T0)
    assert twofactor.verify_code(
        db, box, alice.id, " " + _code(secret, T0)[:3] + " " + _code(secret, T0)[3:], now=T0
    )


def test_code_refused_when_2fa_is_off(db, box, alice) -> None:  # type: ignore[no-untyped-def]
    enrollment = _begin(db, box, alice)
    assert not twofactor.verify_code(db, box, alice.id, _code(enrollment.secret, T0), now=T0)


def test_same_code_from_two_threads_is_accepted_once(settings, box, db, alice) -> None:  # type: ignore[no-untyped-def]
    secret = twofactor.enroll_for_test(db, box, alice.id)
    code = _code(secret, T0)
    results: list[bool] = []
    barrier = threading.Barrier(4)

    def attempt() -> None:
        conn = connect(settings.db_path)
        try:
            barrier.wait()
            results.append(twofactor.verify_code(conn, box, alice.id, code, now=T0))
        finally:
            conn.conn.close()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]


def test_recovery_codes_are_single_use_and_regenerable(db, box, alice, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    frozen_clock.set(T0)
    enrollment = _begin(db, box, alice)
    codes = twofactor.confirm_enrollment(db, box, alice.id, _code(enrollment.secret, T0), now=T0)
    assert codes
    assert twofactor.verify_code(db, box, alice.id, codes[0].upper())
    assert not twofactor.verify_code(db, box, alice.id, codes[0])
    assert twofactor.verify_code(db, box, alice.id, codes[1].replace("-", " "))
    assert twofactor.status(db, alice.id).recovery_codes_left == 8
    assert audit.recent(db, limit=1)[0].action == "twofactor.recovery_code_used"
    assert not twofactor.verify_code(db, box, alice.id, "abcd-efgh-jkmn")

    frozen_clock.set(T0 + 30)  # the enrolment spent the code of T0
    proof = proof_for(db, box, alice, reauth.REGENERATE_CODES, secret=enrollment.secret)
    fresh = twofactor.regenerate_recovery_codes(db, box, alice.id, proof=proof)
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    assert not twofactor.verify_code(db, box, alice.id, codes[2])
    assert twofactor.verify_code(db, box, alice.id, fresh[0])
    assert twofactor.status(db, alice.id).recovery_codes_left == 9


def test_regenerate_refused_when_off(db, box, alice) -> None:  # type: ignore[no-untyped-def]
    proof = proof_for(db, box, alice, reauth.REGENERATE_CODES)
    with pytest.raises(twofactor.TwoFactorError):
        twofactor.regenerate_recovery_codes(db, box, alice.id, proof=proof)


def test_disable_needs_password_and_code(db, box, alice, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    frozen_clock.set(T0)
    secret = twofactor.enroll_for_test(db, box, alice.id)
    code = _code(secret, T0)
    assert not twofactor.disable(db, box, alice, "wrong password", code)
    assert twofactor.is_enabled(db, alice.id)
    assert not twofactor.disable(db, box, alice, "Soleil-Vert-2026!", "000000")
    assert twofactor.is_enabled(db, alice.id)
    # the wrong password did not spend the code
    assert twofactor.disable(db, box, alice, "Soleil-Vert-2026!", code)
    assert not twofactor.is_enabled(db, alice.id)
    assert identity.get_totp(db, alice.id) is None
    assert identity.count_unused_recovery_codes(db, alice.id) == 0
    assert audit.recent(db, limit=1)[0].action == "twofactor.disabled"


def test_codes_of_one_member_do_not_work_for_another(db, box, alice) -> None:  # type: ignore[no-untyped-def]
    bob = members_data.get_member_by_login(db, "bob")
    assert bob is not None
    secret = twofactor.enroll_for_test(db, box, alice.id)
    twofactor.enroll_for_test(db, box, bob.id)
    assert not twofactor.verify_code(db, box, bob.id, _code(secret, T0), now=T0)


def test_required_for_managers_and_admins(db) -> None:  # type: ignore[no-untyped-def]
    roles = {
        login: twofactor.is_required(members_data.get_member_by_login(db, login))  # type: ignore[arg-type]
        for login in ("alice", "marc", "admin")
    }
    assert roles == {"alice": False, "marc": True, "admin": True}


def test_reset_by_a_manager_of_the_same_organization_or_an_admin(db, box, alice) -> None:  # type: ignore[no-untyped-def]
    marc, nina, admin, bob = (
        members_data.get_member_by_login(db, login) for login in ("marc", "nina", "admin", "bob")
    )
    assert marc and nina and admin and bob
    twofactor.enroll_for_test(db, box, alice.id)
    for actor in (nina, bob, alice):  # other organization, a plain member, oneself
        with pytest.raises(PermissionError):
            twofactor.reset(db, actor, alice.id)
    assert twofactor.is_enabled(db, alice.id)
    assert twofactor.reset(db, marc, alice.id)
    assert not twofactor.is_enabled(db, alice.id)
    entry = audit.recent(db, limit=1)[0]
    assert (entry.action, entry.actor_id, entry.target) == ("twofactor.reset", marc.id, "alice")
    assert not twofactor.reset(db, admin, alice.id)  # already off
    twofactor.enroll_for_test(db, box, bob.id)
    assert twofactor.reset(db, admin, bob.id)
