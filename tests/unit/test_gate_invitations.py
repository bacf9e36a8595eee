"""Invitations: a manager invites into their organization; the guest activates once."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlite_utils import Database

from portal.data import members as members_data
from portal.services import gate, invitations
from portal.services.gate import GateError, WeakPassword, WrongCode
from tests.mail_helpers import last_body

T0 = 1_800_000_000.0
PASSWORD = "Riviere-Clavier-Nuage-31"
TABLES = ("members", "invitations", "email_outbox")


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    return {
        t: [tuple(r) for r in db.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()]
        for t in TABLES
    }


def member(db: Database, login: str):  # type: ignore[no-untyped-def]
    found = members_data.get_member_by_login(db, login)
    assert found is not None
    return found


def code_in_last_email(db: Database, to: str) -> str:
    body = last_body(db, "recipient = ?", [to])
    assert body is not None
    found = re.search(r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b", body)
    assert found, body
    return found.group(1)


def invite(db: Database, settings, actor: str = "marc", **changes: Any):  # type: ignore[no-untyped-def]
    values: dict[str, Any] = dict(
        first_name="Hugo",
        last_name="Petit",
        email="hugo.petit@demo.example",
        login="hugo",
        settings=settings,
        now=T0,
    )
    values.update(changes)
    return invitations.invite(db, member(db, actor), **values)


def test_an_invitation_creates_an_invited_account_and_emails_a_code(db: Database, settings) -> None:  # type: ignore[no-untyped-def]
    invited = invite(db, settings)
    assert invited.status == "invited" and invited.organization_name == "CSE Démo"
    assert members_data.get_password_hash(db, invited.id) is None
    code = code_in_last_email(db, "hugo.petit@demo.example")
    body = last_body(db)
    assert body is not None
    assert "welcome@localhost" in body and "7 jours" in body
    # Only a digest of the code is stored.
    stored = repr([tuple(r) for r in db.execute("SELECT * FROM invitations").fetchall()])
    assert code not in stored and code.replace("-", "") not in stored
    # An invited account cannot sign in.
    assert not gate.check_password(db, "hugo", PASSWORD, ip="10.0.0.1", policy=gate.GatePolicy()).ok


def test_activation_sets_the_password_once(db: Database, settings) -> None:  # type: ignore[no-untyped-def]
    invite(db, settings)
    code = code_in_last_email(db, "hugo.petit@demo.example")
    account = invitations.find(db, code.lower().replace("-", " "), now=T0 + 60)
    assert account.login == "hugo" and account.organization_name == "CSE Démo"
    activated = invitations.activate(db, code, PASSWORD, PASSWORD, now=T0 + 60)
    assert activated.status == "active"
    assert gate.check_password(db, "hugo", PASSWORD, ip="10.0.0.1", policy=gate.GatePolicy()).ok
    with pytest.raises(WrongCode):
        invitations.activate(
            db, code, "Autre-Mot-De-Passe-99", "Autre-Mot-De-Passe-99", now=T0 + 120
        )


def test_bad_activations_change_nothing(db: Database, settings) -> None:  # type: ignore[no-untyped-def]
    invite(db, settings)
    code = code_in_last_email(db, "hugo.petit@demo.example")
    before = snapshot(db)
    with pytest.raises(WrongCode):
        invitations.activate(db, "AAAA-BBBB-CCCC", PASSWORD, PASSWORD, now=T0)
    with pytest.raises(WrongCode):  # expired
        invitations.activate(
            db, code, PASSWORD, PASSWORD, now=T0 + invitations.INVITATION_DAYS * 86400 + 1
        )
    with pytest.raises(WeakPassword):
        invitations.activate(db, code, "hugo-petit-12", "hugo-petit-12", now=T0)
    with pytest.raises(GateError, match="not the same"):
        invitations.activate(db, code, PASSWORD, PASSWORD + "x", now=T0)
    assert snapshot(db) == before


def test_a_new_invitation_revokes_the_old_code(db: Database, settings) -> None:  # type: ignore[no-untyped-def]
    invited = invite(db, settings)
    old = code_in_last_email(db, "hugo.petit@demo.example")
    invitations.reinvite(db, member(db, "marc"), invited.id, settings=settings, now=T0 + 10)
    new = code_in_last_email(db, "hugo.petit@demo.example")
    with pytest.raises(WrongCode):
        invitations.find(db, old, now=T0 + 20)
    assert invitations.find(db, new, now=T0 + 20).member_id == invited.id


def test_managers_invite_into_their_own_organization_only(db: Database, settings) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(db)
    horizon = member(db, "nina").organization_id
    with pytest.raises(PermissionError):
        invite(db, settings, organization_id=horizon)
    with pytest.raises(PermissionError):
        invite(db, settings, actor="alice")
    with pytest.raises(GateError, match="already taken"):
        invite(db, settings, login="bob")
    assert snapshot(db) == before
    invited = invite(db, settings, actor="nina")
    assert invited.organization_id == horizon
    with pytest.raises(PermissionError):
        invitations.reinvite(db, member(db, "marc"), invited.id, settings=settings)
    # An admin chooses the organization.
    other = invite(
        db,
        settings,
        actor="admin",
        login="iris",
        email="iris@horizon.example",
        organization_id=horizon,
    )
    assert other.organization_id == horizon
