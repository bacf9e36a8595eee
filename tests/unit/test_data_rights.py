"""Members' data rights: the JSON export of my data, and the deletion a manager confirms.

The anonymisation test greps the database file itself (and its write-ahead log, after a
checkpoint) for the deleted member's personal data.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlite_utils import Database

from portal.config import Settings
from portal.data import members as members_data
from portal.data.members import Member
from portal.services import audit, data_rights, files
from portal.services.data_rights import DataRightsError
from tests.session_helpers import FakeSessions

STREET = "17 impasse des Quenouilles"
CITY = "Tourcoing-Zeta"
PHONE = "0687654321"
COMM_EMAIL = "alice.perso@zeta-mail.example"


def member(db: Database, login: str) -> Member:
    found = members_data.get_member_by_login(db, login)
    assert found is not None
    return found


def give_personal_data(db: Database, alice: Member) -> None:
    """Contact details, a delivery address, an SSH key, audit rows naming her."""
    db.execute(
        "INSERT OR REPLACE INTO contact_details (member_id, comm_email, comm_email_verified_at,"
        " street, postal_code, city) VALUES (?, ?, '2026-01-01', ?, '59200', ?)",
        [alice.id, COMM_EMAIL, STREET, CITY],
    )
    db.execute(
        "INSERT OR REPLACE INTO checkout_delivery (member_id, line1, postal_code, city, phone,"
        " email) VALUES (?, ?, '59200', ?, ?, ?)",
        [alice.id, STREET, CITY, PHONE, COMM_EMAIL],
    )
    db.execute(
        "INSERT INTO ssh_keys (member_id, algorithm, public_key, fingerprint, label)"
        " VALUES (?, 'ssh-ed25519', 'AAAAC3NzaTEST', 'SHA256:zzz', 'laptop')",
        [alice.id],
    )
    db.execute(
        "UPDATE orders SET delivery_line1 = ?, delivery_phone = ?, delivery_city = ?"
        " WHERE member_id = ?",
        [STREET, PHONE, CITY, alice.id],
    )
    audit.record(
        db,
        "test.contact",
        actor_id=alice.id,
        organization_id=alice.organization_id,
        target=alice.login,
        email=COMM_EMAIL,
        name=alice.full_name,
        street=STREET,
    )


def test_a_member_exports_their_own_data_without_secrets(db: Database, settings: Settings) -> None:
    alice = member(db, "alice")
    give_personal_data(db, alice)
    result = data_rights.export_my_data(db, settings, alice)
    path = files.outbox_dir(settings, "alice") / result.name
    data = json.loads(path.read_text("utf-8"))
    assert data["profile"]["login"] == "alice"
    assert data["contact_details"]["street"] == STREET
    assert data["delivery_address"]["phone"] == PHONE
    assert data["ssh_keys"][0]["fingerprint"] == "SHA256:zzz"
    assert {"allocations", "orders", "ecards", "documents", "logins", "family"} <= set(data)
    text = path.read_text("utf-8")
    for secret_column in ("password_hash", "number_enc", "pin_enc", "secret_enc", "code_hash"):
        assert secret_column not in text
    for card in data["ecards"]:
        assert "number" not in card and "pin" not in card
    # Only into her own outbox, and audited.
    assert not (files.outbox_dir(settings, "bob") / result.name).exists()
    assert result.sftp_command.startswith("sftp ")
    assert audit.recent(db, limit=1)[0].action == "gdpr.export"


def test_the_export_holds_nobody_elses_data(db: Database, settings: Settings) -> None:
    bob = member(db, "bob")
    result = data_rights.export_my_data(db, settings, bob)
    text = (files.outbox_dir(settings, "bob") / result.name).read_text("utf-8")
    assert "alice" not in text.lower()
    assert json.loads(text)["profile"]["login"] == "bob"


def test_a_request_is_asked_once_and_can_be_withdrawn(db: Database) -> None:
    alice = member(db, "alice")
    request = data_rights.request_deletion(db, alice, "Je quitte l'entreprise")
    assert request.status == "requested"
    with pytest.raises(DataRightsError):
        data_rights.request_deletion(db, alice)
    with pytest.raises(DataRightsError):
        data_rights.request_deletion(db, member(db, "bob"), "x\x1b[2J")
    data_rights.cancel_request(db, alice)
    assert data_rights.my_request(db, alice) is None


def test_only_a_manager_of_the_organization_confirms(db: Database, settings: Settings) -> None:
    alice = member(db, "alice")
    request = data_rights.request_deletion(db, alice)
    sessions = FakeSessions()
    with pytest.raises(PermissionError):  # a member
        data_rights.confirm_deletion(db, settings, sessions, member(db, "bob"), request.id)
    nina = member(db, "nina")  # a manager of the other organization?
    if nina.is_manager:
        with pytest.raises(PermissionError):
            data_rights.confirm_deletion(db, settings, sessions, nina, request.id)
        assert [r.id for r in data_rights.pending_requests(db, nina)] == []
    marc = member(db, "marc")
    assert [r.id for r in data_rights.pending_requests(db, marc)] == [request.id]
    data_rights.refuse_deletion(db, marc, request.id, "Litige en cours")
    assert data_rights.pending_requests(db, marc) == []
    assert member(db, "alice").first_name == "Alice"


def _wal_and_db_bytes(settings: Settings) -> bytes:
    wal = Path(f"{settings.db_path}-wal")
    return settings.db_path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_a_confirmed_deletion_leaves_no_personal_data_in_the_file(
    db: Database, settings: Settings
) -> None:
    alice = member(db, "alice")
    give_personal_data(db, alice)
    orders_before = db.execute("SELECT count(*) FROM orders WHERE member_id = ?", [alice.id])
    orders_count = orders_before.fetchone()[0]
    ledger_before = db.execute(
        "SELECT count(*), COALESCE(SUM(amount_cents), 0) FROM wallet_ledger WHERE member_id = ?",
        [alice.id],
    ).fetchone()
    files.write_outbox_file(settings, "alice", "facture.pdf", b"%PDF Alice Martin")
    request = data_rights.request_deletion(db, alice, "Merci")
    sessions = FakeSessions()
    done = data_rights.confirm_deletion(db, settings, sessions, member(db, "marc"), request.id)

    assert done.pseudonym == f"deleted-{alice.id}"
    assert sessions.closed_members == [alice.id]
    gone = members_data.get_member(db, alice.id)
    assert gone is not None and gone.login == done.pseudonym and gone.status == "deactivated"
    assert not (settings.files_dir / "alice").exists()
    # Accounting kept, pointing at the pseudonymised account.
    after = db.execute("SELECT count(*) FROM orders WHERE member_id = ?", [alice.id])
    assert after.fetchone()[0] == orders_count
    ledger_after = db.execute(
        "SELECT count(*), COALESCE(SUM(amount_cents), 0) FROM wallet_ledger WHERE member_id = ?",
        [alice.id],
    ).fetchone()
    assert tuple(ledger_after) == tuple(ledger_before)
    # Secrets gone.
    for table in ("ssh_keys", "member_totp", "recovery_codes", "credentials", "contact_details"):
        count = db.execute(f"SELECT count(*) FROM {table} WHERE member_id = ?", [alice.id])
        assert count.fetchone()[0] == 0, table
    assert (
        db.execute(
            "SELECT count(*) FROM ecards WHERE member_id = ? AND (number_enc <> '' OR pin_enc"
            " IS NOT NULL)",
            [alice.id],
        ).fetchone()[0]
        == 0
    )

    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    content = _wal_and_db_bytes(settings).lower()
    for personal in (
        "alice.martin@demo.example",
        "Martin",
        "Alice",
        "alice",
        COMM_EMAIL,
        STREET,
        CITY,
        PHONE,
    ):
        assert personal.lower().encode() not in content, personal
    # The full-text index still answers (and no longer knows her).
    db.execute("INSERT INTO members_fts(members_fts) VALUES ('integrity-check')")


def test_the_audit_log_stays_append_only_outside_an_erasure(db: Database) -> None:
    import sqlite3

    entry = audit.record(db, "test.row", target="alice")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE audit_log SET target = 'x' WHERE id = ?", [entry])
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("DELETE FROM audit_log WHERE id = ?", [entry])
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE members SET login = 'someone-else' WHERE login = 'alice'")
