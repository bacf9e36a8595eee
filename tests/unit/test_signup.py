"""Sign-up: the guest's request, its email code, and the manager's decision."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlite_utils import Database

from portal.data import members as members_data
from portal.services import gate, signup
from portal.services.gate import GateError, WeakPassword, WrongCode
from portal.services.passwords import verify_password
from tests.mail_helpers import bodies, last_body

T0 = 1_800_000_000.0
GOOD_PASSWORD = "Lanterne-Orage-Piano-77"
TABLES = ("members", "signup_requests", "invitations", "email_outbox")


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a sign-up may touch."""
    return {
        t: [tuple(r) for r in db.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()]
        for t in TABLES
    }


def last_code(db: Database, to: str) -> str:
    body = last_body(db, "recipient = ?", [to])
    assert body is not None
    found = re.search(r"^    (\d{6})$", body, re.M)
    assert found, body
    return found.group(1)


def member(db: Database, login: str):  # type: ignore[no-untyped-def]
    found = members_data.get_member_by_login(db, login)
    assert found is not None
    return found


def start(db: Database, **changes: Any) -> signup.SignupDraft:
    values: dict[str, Any] = dict(
        key="DEMO-2026",
        organization_id=None,
        first_name="Chloé",
        last_name="Bernard",
        email="chloe.bernard@demo.example",
        login="chloe",
        password=GOOD_PASSWORD,
        confirm=GOOD_PASSWORD,
        language="fr",
        guest_username="welcome",
        ip="10.0.0.5",
        now=T0,
    )
    values.update(changes)
    return signup.start(db, **values)


def test_a_key_names_its_organization_case_insensitively(db: Database) -> None:
    checked = signup.check_key(db, " demo-2026 ")
    assert checked.organization is not None and checked.organization.name == "CSE Démo"
    assert checked.key_verified


def test_key_zero_lists_the_organizations(db: Database) -> None:
    checked = signup.check_key(db, "0")
    assert checked.organization is None and not checked.key_verified
    assert [o.name for o in checked.choices] == ["CSE Démo", "CSE Horizon"]


def test_an_unknown_key_is_refused(db: Database) -> None:
    with pytest.raises(WrongCode) as caught:
        signup.check_key(db, "NOPE-2026")
    assert "identification key is not known" in caught.value.message


def test_the_whole_request_waits_for_the_managers(db: Database) -> None:
    draft = start(db)
    assert db.execute("SELECT count(*) FROM signup_requests").fetchone()[0] == 0
    code = last_code(db, "chloe.bernard@demo.example")
    request = signup.confirm(db, draft, code, ip="10.0.0.5", now=T0 + 60)
    assert request.status == "pending" and request.key_verified
    assert request.organization_name == "CSE Démo" and request.login == "chloe"
    # The managers of that organization (marc), not those of another, are told.
    subjects = [
        r[0]
        for r in db.execute(
            "SELECT recipient FROM email_outbox WHERE subject = 'Nouvelle demande d''inscription'"
        )
    ]
    assert subjects == ["marc.dubois@demo.example"]
    # Nobody can sign in yet, and the login is reserved.
    assert members_data.get_member_by_login(db, "chloe") is None
    with pytest.raises(GateError, match="already taken"):
        start(db, email="other@demo.example")


def test_key_zero_then_a_chosen_organization(db: Database) -> None:
    horizon = next(o for o in signup.check_key(db, "0").choices if o.name == "CSE Horizon")
    draft = start(db, key="0", organization_id=horizon.id)
    request = signup.confirm(db, draft, last_code(db, "chloe.bernard@demo.example"), now=T0)
    assert request.organization_id == horizon.id and not request.key_verified


@pytest.mark.parametrize(
    "changes,error",
    [
        ({"key": "WRONG-KEY"}, WrongCode),
        ({"key": "0"}, GateError),  # no organization chosen
        ({"first_name": ""}, GateError),
        ({"email": "not-an-email"}, GateError),
        ({"login": "alice"}, GateError),  # taken
        ({"login": "Alice"}, GateError),  # taken, whatever the case
        ({"login": "welcome"}, GateError),  # the guest entry
        ({"login": "x"}, GateError),  # too short
        ({"password": "short", "confirm": "short"}, WeakPassword),
        ({"password": "chloe-bernard-2026", "confirm": "chloe-bernard-2026"}, WeakPassword),
        ({"confirm": "something-else-entirely"}, GateError),
    ],
)
def test_bad_input_changes_nothing(
    db: Database, changes: dict[str, Any], error: type[Exception]
) -> None:
    before = snapshot(db)
    with pytest.raises(error):
        start(db, **changes)
    assert snapshot(db) == before


def test_weak_password_reasons_are_in_the_guest_language(db: Database) -> None:
    with pytest.raises(WeakPassword) as caught:
        start(db, password="short", confirm="short", language="en")
    assert "Use at least 12 characters." in caught.value.problems


def test_a_wrong_or_expired_code_files_nothing(db: Database) -> None:
    draft = start(db)
    code = last_code(db, "chloe.bernard@demo.example")
    before = snapshot(db)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(WrongCode, match="not right"):
        signup.confirm(db, draft, wrong, now=T0)
    with pytest.raises(WrongCode, match="expired"):
        signup.confirm(db, draft, code, now=T0 + signup.CODE_TTL)
    assert snapshot(db) == before


def test_a_new_code_replaces_the_old_one_and_sends_are_limited(db: Database) -> None:
    draft = start(db)
    first = last_code(db, "chloe.bernard@demo.example")
    signup.resend_code(db, draft, now=T0 + 10)
    signup.resend_code(db, draft, now=T0 + 20)
    with pytest.raises(GateError, match="Too many codes"):
        signup.resend_code(db, draft, now=T0 + 30)
    third = last_code(db, "chloe.bernard@demo.example")
    if first != third:
        with pytest.raises(WrongCode):
            signup.confirm(db, draft, first, now=T0 + 40)
    assert signup.confirm(db, draft, third, now=T0 + 40).status == "pending"


def test_the_password_is_only_ever_stored_hashed(db: Database) -> None:
    draft = start(db)
    assert GOOD_PASSWORD not in repr(draft)
    signup.confirm(db, draft, last_code(db, "chloe.bernard@demo.example"), now=T0)
    dump = repr([tuple(r) for r in db.execute("SELECT * FROM signup_requests").fetchall()])
    dump += repr([tuple(r) for r in db.execute("SELECT * FROM audit_log").fetchall()])
    assert GOOD_PASSWORD not in dump


def _pending(db: Database, **changes: Any) -> signup.SignupRequest:
    draft = start(db, **changes)
    return signup.confirm(db, draft, last_code(db, draft.email), now=T0)


def test_a_manager_validates_and_the_member_can_sign_in(db: Database, settings) -> None:  # type: ignore[no-untyped-def]
    request = _pending(db)
    marc = member(db, "marc")
    assert [r.login for r in signup.list_pending(db, marc)] == ["chloe"]
    created = signup.approve(db, marc, request.id, settings=settings)
    assert created.status == "active" and created.organization_name == "CSE Démo"
    assert verify_password(members_data.get_password_hash(db, created.id), GOOD_PASSWORD)
    attempt = gate.check_password(
        db, "chloe", GOOD_PASSWORD, ip="10.0.0.5", policy=gate.GatePolicy()
    )
    assert attempt.ok
    [body] = bodies(db, "subject = 'Votre compte Portal est prêt'")
    assert "ssh" in body and "chloe@" in body
    assert signup.list_pending(db, marc) == []
    assert db.execute("SELECT password_hash FROM signup_requests").fetchone()[0] is None
    with pytest.raises(GateError, match="already handled"):
        signup.refuse(db, marc, request.id, "too late")


def test_a_manager_refuses_with_a_reason_the_applicant_receives(db: Database) -> None:
    request = _pending(db, language="en")
    marc = member(db, "marc")
    with pytest.raises(GateError, match="reason"):
        signup.refuse(db, marc, request.id, "   ")
    refused = signup.refuse(db, marc, request.id, "Not an employee of Démo.")
    assert refused.status == "refused" and refused.reason == "Not an employee of Démo."
    body = last_body(db, "recipient = ?", ["chloe.bernard@demo.example"])
    assert body is not None
    assert "Not an employee of Démo." in body and "was not accepted" in body
    assert members_data.get_member_by_login(db, "chloe") is None
    # The login is free again.
    assert _pending(db, email="chloe2@demo.example").login == "chloe"


def test_managers_only_see_and_decide_their_organization(db: Database, settings) -> None:  # type: ignore[no-untyped-def]
    request = _pending(db)
    nina, alice, admin = member(db, "nina"), member(db, "alice"), member(db, "admin")
    assert signup.list_pending(db, nina) == []
    with pytest.raises(PermissionError):
        signup.approve(db, nina, request.id, settings=settings)
    with pytest.raises(PermissionError):
        signup.refuse(db, nina, request.id, "no")
    with pytest.raises(PermissionError):
        signup.list_pending(db, alice)
    with pytest.raises(PermissionError):
        signup.approve(db, alice, request.id, settings=settings)
    assert members_data.get_member_by_login(db, "chloe") is None
    # An admin sees every organization's requests.
    assert [r.id for r in signup.list_pending(db, admin)] == [request.id]
    assert signup.count_pending(db, admin) == 1


def test_a_deactivated_manager_decides_nothing(db: Database, settings) -> None:  # type: ignore[no-untyped-def]
    request = _pending(db)
    marc = member(db, "marc")
    members_data.set_status(db, marc.id, "deactivated")
    with pytest.raises(PermissionError):
        signup.approve(db, marc, request.id, settings=settings)
