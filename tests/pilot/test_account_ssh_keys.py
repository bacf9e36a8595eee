"""Pilot tests of the SSH keys screen: add, refuse bad keys, list, remove."""

from __future__ import annotations

from typing import Any

import asyncssh
from textual.widgets import DataTable, Input

from portal.data import members as members_data
from portal.services import reauth, ssh_keys
from tests.pilot.test_account import open_account, settle, snapshot, text
from tests.reauth_helpers import DEMO_PASSWORDS, answer_reauth, proof_for


def _public(alg: str = "ssh-ed25519", **kw: Any) -> str:
    key = asyncssh.generate_private_key(alg, comment="alice@laptop", **kw)
    return str(key.export_public_key("openssh").decode().strip())


async def _open_keys(pilot: Any) -> None:
    await open_account(pilot)
    await pilot.press("k")
    await settle(pilot)
    assert type(pilot.app.screen).__name__ == "SshKeysScreen"


async def _paste(pilot: Any, key_text: str, label: str = "") -> None:
    screen = pilot.app.screen
    screen.query_one("#key-text", Input).value = key_text
    screen.query_one("#key-label", Input).value = label
    screen.query_one("#key-label", Input).focus()
    await pilot.press("enter")
    await settle(pilot)


async def test_add_list_and_remove_a_key(app_for, db) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    alice = members_data.get_member_by_login(db, "alice")
    assert alice is not None
    key_text = _public()
    fingerprint = asyncssh.import_public_key(key_text).get_fingerprint("sha256")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_keys(pilot)
        assert "Aucune clé" in text(app, "#key-detail")
        await pilot.press("a")
        assert app.screen.query_one("#key-text", Input).has_focus
        await _paste(pilot, key_text, "Portable")
        await answer_reauth(pilot, DEMO_PASSWORDS["alice"])
        assert fingerprint in text(app, "#key-message")
        table = app.screen.query_one("#keys", DataTable)
        assert table.row_count == 1
        row = [str(c) for c in table.get_row_at(0)]
        assert row == ["Portable", "ed25519", fingerprint.removeprefix("SHA256:")]
        assert table.region.bottom <= 23
        assert app.screen.query_one("#key-text", Input).value == ""
        assert ssh_keys.key_allowed(db, "alice", key_text)

        table.focus()
        await pilot.press("d")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.press("n")
        await settle(pilot)
        assert len(ssh_keys.list_keys(db, alice)) == 1
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        await answer_reauth(pilot, DEMO_PASSWORDS["alice"])
        assert type(app.screen).__name__ == "SshKeysScreen"
        assert app.screen.query_one("#keys", DataTable).row_count == 0
    assert ssh_keys.list_keys(db, alice) == []
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log ORDER BY id").fetchall()]
    assert actions[-2:] == ["account.ssh_key_added", "account.ssh_key_removed"]


async def test_bad_keys_are_explained_and_nothing_changes(app_for, db) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    before = snapshot(db)
    cases = [
        ("not a key", "n'est pas une clé publique SSH valide"),
        ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA", "n'est pas une clé publique SSH valide"),
        (_public("ssh-rsa", key_size=1024), "au moins 2048"),
        (_public("ssh-dss"), "DSA"),
        (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA==\n-----END OPENSSH PRIVATE KEY-----",
            "clé privée",
        ),
        ("", "Collez une clé publique"),
    ]
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_keys(pilot)
        for key_text, reason in cases:
            await _paste(pilot, key_text, "x")
            assert reason in text(app, "#key-message"), key_text
            assert app.screen.query_one("#keys", DataTable).row_count == 0
    assert snapshot(db) == before


async def test_duplicate_key_refused_in_english(app_for, services, db) -> None:  # type: ignore[no-untyped-def]
    bob = members_data.get_member_by_login(db, "bob")
    assert bob is not None
    key_text = _public("ecdsa-sha2-nistp256")
    proof = proof_for(db, services.secrets, bob, reauth.ADD_SSH_KEY)
    ssh_keys.add_key(db, bob, key_text, "office", box=services.secrets, proof=proof)
    before = snapshot(db)
    app = app_for("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_keys(pilot)
        table = app.screen.query_one("#keys", DataTable)
        assert table.row_count == 1
        assert "office: added on" in text(app, "#key-detail")
        await _paste(pilot, key_text)
        assert text(app, "#key-message") == "This key is already registered."
    assert snapshot(db) == before


async def test_only_my_keys_are_listed(app_for, services, db) -> None:  # type: ignore[no-untyped-def]
    bob = members_data.get_member_by_login(db, "bob")
    assert bob is not None
    proof = proof_for(db, services.secrets, bob, reauth.ADD_SSH_KEY)
    ssh_keys.add_key(db, bob, _public(), "bob's key", box=services.secrets, proof=proof)
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_keys(pilot)
        assert app.screen.query_one("#keys", DataTable).row_count == 0
        await pilot.press("d")  # nothing to remove: no dialog
        await settle(pilot)
        assert type(app.screen).__name__ == "SshKeysScreen"
