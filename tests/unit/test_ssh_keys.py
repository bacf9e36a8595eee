"""SSH keys: validation, own keys only, and the lookup the login gate uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncssh
import pytest
from cryptography.fernet import Fernet

from portal.data import members as members_data
from portal.data.members import Member
from portal.services import audit, reauth, ssh_keys
from portal.services.crypto import SecretBox
from portal.services.ssh_keys import SshKeyError
from tests.reauth_helpers import proof_for


def _member(db, login: str) -> Member:  # type: ignore[no-untyped-def]
    member = members_data.get_member_by_login(db, login)
    assert member is not None
    return member


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(Fernet.generate_key())


@pytest.fixture
def add(db, box) -> Callable[..., Any]:  # type: ignore[no-untyped-def]
    """``add(member, text, label)``: ``ssh_keys.add_key`` after the member's password."""
    proofs: dict[int, reauth.Proof] = {}

    def add(member: Member, text: str, label: str = "") -> ssh_keys.SshKey:
        if member.id not in proofs:
            proofs[member.id] = proof_for(db, box, member, reauth.ADD_SSH_KEY)
        return ssh_keys.add_key(db, member, text, label, box=box, proof=proofs[member.id])

    return add


@pytest.fixture
def remove(db, box) -> Callable[..., bool]:  # type: ignore[no-untyped-def]
    """``remove(member, key_id)``: ``ssh_keys.remove_key`` after the member's password."""

    def remove(member: Member, key_id: int) -> bool:
        proof = proof_for(db, box, member, reauth.REMOVE_SSH_KEY)
        return ssh_keys.remove_key(db, member, key_id, box=box, proof=proof)

    return remove


def _public(alg: str = "ssh-ed25519", **kw: object) -> str:
    key = asyncssh.generate_private_key(alg, comment="alice@laptop", **kw)  # type: ignore[arg-type]
    return key.export_public_key("openssh").decode()


def _count(db) -> int:  # type: ignore[no-untyped-def]
    return int(db.execute("SELECT COUNT(*) FROM ssh_keys").fetchone()[0])


def test_add_list_remove(db, add, remove) -> None:  # type: ignore[no-untyped-def]
    alice = _member(db, "alice")
    text = _public()
    key = add(alice, text, "")
    assert key.label == "alice@laptop"  # the comment, when no label is given
    assert key.algorithm == "ssh-ed25519"
    assert key.fingerprint == asyncssh.import_public_key(text).get_fingerprint("sha256")
    assert key.fingerprint.startswith("SHA256:")
    assert "alice@laptop" not in key.public_key
    assert [k.id for k in ssh_keys.list_keys(db, alice)] == [key.id]
    assert audit.recent(db, limit=1)[0].action == "account.ssh_key_added"
    assert audit.recent(db, limit=1)[0].target == key.fingerprint

    assert remove(alice, key.id)
    assert ssh_keys.list_keys(db, alice) == []
    assert audit.recent(db, limit=1)[0].action == "account.ssh_key_removed"
    assert not remove(alice, key.id)


def test_label_and_other_formats(db, add) -> None:  # type: ignore[no-untyped-def]
    alice = _member(db, "alice")
    ecdsa = add(alice, _public("ecdsa-sha2-nistp256"), "  Bureau\x1b[31m  ")
    assert ecdsa.label == "Bureau[31m"
    rfc4716 = asyncssh.generate_private_key("ssh-ed25519").export_public_key("rfc4716").decode()
    assert add(alice, rfc4716, "rfc").algorithm == "ssh-ed25519"
    rsa = add(alice, _public("ssh-rsa", key_size=2048), "rsa")
    assert rsa.bits == 2048


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "Paste a public key"),
        ("hello world", "not a valid SSH public key"),
        ("ssh-ed25519 AAAA", "not a valid SSH public key"),
        (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----",
            "private key",
        ),
    ],
)
def test_invalid_keys_are_refused_and_nothing_changes(db, add, text: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    alice = _member(db, "alice")
    with pytest.raises(SshKeyError) as error:
        add(alice, text, "x")
    assert reason in error.value.text() or reason in error.value.message
    assert _count(db) == 0


def test_weak_keys_are_refused(db, add) -> None:  # type: ignore[no-untyped-def]
    alice = _member(db, "alice")
    with pytest.raises(SshKeyError, match="RSA"):
        add(alice, _public("ssh-rsa", key_size=1024), "")
    with pytest.raises(SshKeyError, match="DSA"):
        add(alice, _public("ssh-dss"), "")
    assert _count(db) == 0


def test_two_keys_pasted_at_once_are_refused(db, add) -> None:  # type: ignore[no-untyped-def]
    alice = _member(db, "alice")
    with pytest.raises(SshKeyError, match="one key"):
        add(alice, _public() + "\n" + _public(), "")
    assert _count(db) == 0


def test_duplicate_refused_but_another_member_may_register_it(db, add) -> None:  # type: ignore[no-untyped-def]
    alice, bob = _member(db, "alice"), _member(db, "bob")
    text = _public()
    add(alice, text, "")
    with pytest.raises(SshKeyError, match="already"):
        add(alice, text, "again")
    add(bob, text, "")
    assert _count(db) == 2


def test_error_text_is_translated(db) -> None:  # type: ignore[no-untyped-def]
    from portal.i18n import get_translator

    error = SshKeyError("This is not a valid SSH public key.")
    assert error.text(get_translator("fr")) == "Ce n'est pas une clé publique SSH valide."


def test_a_member_cannot_remove_another_members_key(db, add, remove) -> None:  # type: ignore[no-untyped-def]
    alice, bob = _member(db, "alice"), _member(db, "bob")
    key = add(alice, _public(), "")
    assert not remove(bob, key.id)
    assert _count(db) == 1


def test_gate_lookup(db, add) -> None:  # type: ignore[no-untyped-def]
    alice = _member(db, "alice")
    private = asyncssh.generate_private_key("ssh-ed25519", comment="c")
    text = private.export_public_key("openssh").decode()
    add(alice, text, "")
    public = asyncssh.import_public_key(text)
    found = ssh_keys.find_member_by_key(db, "alice", public)
    assert found is not None and found.id == alice.id
    assert ssh_keys.key_allowed(db, "alice", text)
    assert ssh_keys.key_allowed(db, "ALICE", text.replace(" c", " other comment"))
    assert not ssh_keys.key_allowed(db, "bob", text)
    assert not ssh_keys.key_allowed(db, "alice", _public())
    assert not ssh_keys.key_allowed(db, "alice", "garbage")
    ssh_keys.record_key_use(db, "alice", public)
    assert ssh_keys.list_keys(db, alice)[0].last_used_at is not None
    members_data.set_status(db, alice.id, "locked")
    assert not ssh_keys.key_allowed(db, "alice", text)


def test_member_key_matches_alias(db, add) -> None:  # type: ignore[no-untyped-def]
    alice = _member(db, "alice")
    text = _public()
    assert not ssh_keys.member_key_matches(db, "alice", text)
    add(alice, text, "")
    assert ssh_keys.member_key_matches(db, "alice", asyncssh.import_public_key(text))
