"""Forgotten password: one code, 15 minutes, never telling whether the account exists."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlite_utils import Database

from portal.data import members as members_data
from portal.services import gate, password_reset
from portal.services.gate import WeakPassword, WrongCode
from tests.mail_helpers import bodies
from tests.session_helpers import FakeSessions

T0 = 1_800_000_000.0
NEW = "Falaise-Violon-Cerise-58"
ALICE_MAIL = "alice.martin@demo.example"


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    return {
        t: [tuple(r) for r in db.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()]
        for t in ("members", "email_outbox")
    }


def emails_to(db: Database, to: str) -> list[str]:
    return bodies(db, "recipient = ?", [to])


def code_of(body: str) -> str:
    found = re.search(r"^    (\d{6})$", body, re.M)
    assert found, body
    return found.group(1)


def signs_in(db: Database, password: str) -> bool:
    return gate.check_password(db, "alice", password, ip="10.0.0.1", policy=gate.GatePolicy()).ok


def test_a_reset_by_login_or_email(db: Database) -> None:
    for identifier in ("alice", "Alice.Martin@demo.example"):
        reset = password_reset.request_reset(db, identifier, ip="10.0.0.1", now=T0)
        assert reset.member_id is not None
    assert len(emails_to(db, ALICE_MAIL)) == 2


def test_the_answer_is_the_same_for_an_unknown_account(db: Database) -> None:
    before = snapshot(db)
    reset = password_reset.request_reset(db, "nobody", ip="10.0.0.1", now=T0)
    assert snapshot(db) == before  # no email
    with pytest.raises(WrongCode, match="not right"):
        password_reset.complete_reset(db, reset, "123456", NEW, NEW, now=T0)


def test_the_code_changes_the_password_once(db: Database) -> None:
    sessions = FakeSessions(ended=0)
    reset = password_reset.request_reset(db, "alice", ip="10.0.0.1", now=T0)
    code = code_of(emails_to(db, ALICE_MAIL)[-1])
    password_reset.complete_reset(db, reset, code, NEW, NEW, sessions=sessions, now=T0 + 60)
    assert signs_in(db, NEW) and not signs_in(db, "Soleil-Vert-2026!")
    alice = members_data.get_member_by_login(db, "alice")
    assert alice is not None and sessions.closed_members == [alice.id]
    assert "réinitialisé" in emails_to(db, ALICE_MAIL)[-1]
    with pytest.raises(WrongCode):
        password_reset.complete_reset(
            db, reset, code, "Autre-Chose-Tres-Longue-1", "Autre-Chose-Tres-Longue-1", now=T0 + 70
        )


def test_bad_codes_and_weak_passwords_change_nothing(db: Database) -> None:
    reset = password_reset.request_reset(db, "alice", ip="10.0.0.1", now=T0)
    code = code_of(emails_to(db, ALICE_MAIL)[-1])
    wrong = "000000" if code != "000000" else "111111"
    before = snapshot(db)
    with pytest.raises(WrongCode, match="not right"):
        password_reset.complete_reset(db, reset, wrong, NEW, NEW, now=T0)
    with pytest.raises(WeakPassword):  # the right code is not spent by a weak password
        password_reset.complete_reset(db, reset, code, "alice-martin", "alice-martin", now=T0)
    with pytest.raises(WrongCode, match="expired"):
        password_reset.complete_reset(db, reset, code, NEW, NEW, now=T0 + password_reset.CODE_TTL)
    assert snapshot(db) == before
    assert signs_in(db, "Soleil-Vert-2026!")


def test_five_wrong_codes_spend_the_reset(db: Database) -> None:
    reset = password_reset.request_reset(db, "alice", ip="10.0.0.1", now=T0)
    code = code_of(emails_to(db, ALICE_MAIL)[-1])
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(WrongCode):
            password_reset.complete_reset(db, reset, wrong, NEW, NEW, now=T0)
    with pytest.raises(WrongCode, match="expired or was tried too often"):
        password_reset.complete_reset(db, reset, code, NEW, NEW, now=T0)


def test_at_most_three_emails_an_hour(db: Database) -> None:
    for i in range(5):
        password_reset.request_reset(db, "alice", ip="10.0.0.1", now=T0 + i)
    assert len(emails_to(db, ALICE_MAIL)) == 3
    password_reset.request_reset(db, "alice", ip="10.0.0.1", now=T0 + 2 + 3599)
    assert len(emails_to(db, ALICE_MAIL)) == 3  # an hour after the last sent, not before
    password_reset.request_reset(db, "alice", ip="10.0.0.1", now=T0 + 2 + 3601)
    assert len(emails_to(db, ALICE_MAIL)) == 4


def test_a_reset_lifts_a_lock(db: Database) -> None:
    for i in range(10):
        gate.check_password(db, "alice", f"wrong-{i}", ip="10.0.0.1", policy=gate.GatePolicy())
    reset = password_reset.request_reset(db, "alice", ip="10.0.0.1", now=T0)
    password_reset.complete_reset(
        db, reset, code_of(emails_to(db, ALICE_MAIL)[-1]), NEW, NEW, now=T0
    )
    assert signs_in(db, NEW)
