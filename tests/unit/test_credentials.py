"""Credential documents: attach from the inbox, lock after validation, review, isolation."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from sqlite_utils import Database

from portal.config import Settings
from portal.data import audit as audit_data
from portal.data import credentials as credentials_data
from portal.data import members as members_data
from portal.data import outbox
from portal.data.members import Member
from portal.services import benefits, credentials, family, files
from portal.services.credentials import CredentialError, ProvenValues
from portal.services.credentials_demo import demo_pdf, demo_png
from portal.services.subsidies import set_quotient_familial

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


def member(db: Database, login: str) -> Member:
    found = members_data.get_member_by_login(db, login)
    assert found is not None
    return found


def upload(settings: Settings, login: str, name: str, data: bytes) -> Path:
    """Place a file in the member's inbox as a finished SFTP upload would."""
    path = files.inbox_dir(settings, login) / name
    path.write_bytes(data)
    return path


def attach(
    db: Database, settings: Settings, login: str, name: str = "avis.pdf", **kw: str
) -> credentials.Credential:
    data = demo_png() if name.endswith(".png") else demo_pdf("test")
    upload(settings, login, name, data)
    kw.setdefault("document_type", "tax_notice")
    return credentials.attach(db, settings, member(db, login), file_name=name, **kw)


def stored(settings: Settings, credential: credentials.Credential) -> Path:
    return settings.data_dir / "credentials" / credential.stored_name


def actions(db: Database, target: str) -> list[str]:
    return [e.action for e in audit_data.recent(db, limit=500) if e.target == target]


# -- attaching ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("avis.pdf", demo_pdf("x"), "application/pdf"),
        ("LIVRET.PNG", demo_png(), "image/png"),
        ("photo.jpg", JPEG, "image/jpeg"),
        ("photo.jpeg", JPEG, "image/jpeg"),
    ],
    ids=["pdf", "png", "jpg", "jpeg"],  # stable ids: the PDF bytes carry a timestamp
)
def test_attach_moves_the_file_out_of_the_inbox(
    db: Database, settings: Settings, name: str, data: bytes, content_type: str
) -> None:
    inbox = upload(settings, "alice", name, data)
    doc = credentials.attach(
        db, settings, member(db, "alice"), file_name=name, document_type="birth", note="Léa"
    )
    assert not inbox.exists()
    path = stored(settings, doc)
    assert path.read_bytes() == data
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert files.inbox_dir(settings, "alice") not in path.parents
    assert settings.files_dir not in path.parents
    assert name not in doc.stored_name and len(doc.stored_name) == 32
    assert (doc.original_name, doc.content_type, doc.size, doc.status, doc.note) == (
        name,
        content_type,
        len(data),
        "pending",
        "Léa",
    )
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    assert actions(db, f"credential:{doc.id}") == ["credential.attached"]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.txt", b"%PDF-1.4 hello", credentials.BAD_TYPE),
        ("archive.zip", b"PK\x03\x04", credentials.BAD_TYPE),
        ("fake.pdf", b"<html>not a pdf</html>", credentials.MISMATCH),
        ("image.png", JPEG, credentials.MISMATCH),
        ("doc.jpg", demo_pdf("x"), credentials.MISMATCH),
        ("noextension", demo_pdf("x"), credentials.BAD_TYPE),
    ],
    ids=["txt", "zip", "fake-pdf", "jpeg-as-png", "pdf-as-jpg", "no-extension"],
)
def test_wrong_types_are_refused_and_nothing_changes(
    db: Database, settings: Settings, name: str, data: bytes, message: str
) -> None:
    inbox = upload(settings, "alice", name, data)
    before = len(credentials_data.list_for_member(db, member(db, "alice").id))
    with pytest.raises(CredentialError) as refused:
        credentials.attach(db, settings, member(db, "alice"), file_name=name, document_type="birth")
    assert refused.value.message == message
    assert "PDF, PNG" in refused.value.text() or "PDF, PNG" in str(refused.value)
    assert inbox.exists()
    assert len(credentials_data.list_for_member(db, member(db, "alice").id)) == before
    folder = settings.data_dir / "credentials"
    referenced = {c.stored_name for c in credentials_data.list_pending(db, None)}
    assert all(p.name in referenced or p.name for p in folder.iterdir())


def test_refusal_sentence_names_accepted_types_in_french(db: Database, settings: Settings) -> None:
    from portal.i18n import get_translator

    upload(settings, "alice", "notes.txt", b"hello")
    with pytest.raises(CredentialError) as refused:
        credentials.attach(
            db, settings, member(db, "alice"), file_name="notes.txt", document_type="birth"
        )
    text = refused.value.text(get_translator("fr"))
    assert "PDF" in text and "PNG" in text and "JPEG" in text and "acceptés" in text


def test_too_big_a_file_is_refused(db: Database, settings: Settings) -> None:
    small = Settings(**{**settings.__dict__, "sftp_max_file_bytes": 1000})
    upload(settings, "alice", "big.pdf", b"%PDF-" + b"0" * 2000)
    with pytest.raises(CredentialError) as refused:
        credentials.attach(
            db, small, member(db, "alice"), file_name="big.pdf", document_type="birth"
        )
    assert refused.value.message == credentials.TOO_BIG


def test_unsafe_names_and_missing_files_are_refused(db: Database, settings: Settings) -> None:
    alice = member(db, "alice")
    for name in ("../portal.db", "/etc/passwd", "a\x1bb.pdf", ".upload-123"):
        with pytest.raises(files.FileError):
            credentials.attach(db, settings, alice, file_name=name, document_type="birth")
    with pytest.raises(files.FileError):
        credentials.attach(db, settings, alice, file_name="absent.pdf", document_type="birth")


def test_a_member_cannot_attach_another_members_inbox_file(
    db: Database, settings: Settings
) -> None:
    upload(settings, "bob", "bob.pdf", demo_pdf("bob"))
    with pytest.raises(files.FileError):
        credentials.attach(
            db, settings, member(db, "alice"), file_name="bob.pdf", document_type="birth"
        )
    assert (files.inbox_dir(settings, "bob") / "bob.pdf").exists()


def test_other_needs_a_label_without_control_characters(db: Database, settings: Settings) -> None:
    upload(settings, "alice", "x.pdf", demo_pdf("x"))
    alice = member(db, "alice")
    with pytest.raises(CredentialError):
        credentials.attach(db, settings, alice, file_name="x.pdf", document_type="other")
    with pytest.raises(CredentialError):
        credentials.attach(
            db, settings, alice, file_name="x.pdf", document_type="other", label="A\x1b[2Jb"
        )
    with pytest.raises(CredentialError):
        credentials.attach(db, settings, alice, file_name="x.pdf", document_type="passport")
    doc = credentials.attach(
        db, settings, alice, file_name="x.pdf", document_type="other", label=" Attestation CAF "
    )
    assert doc.label == "Attestation CAF" and credentials.type_label(doc) == "Attestation CAF"


# -- the member's own documents -------------------------------------------------------------


def test_demo_data(db: Database, settings: Settings) -> None:
    alice = credentials.list_mine(db, member(db, "alice"))
    assert sorted(c.status for c in alice) == ["pending", "validated"]
    [bob] = credentials.list_mine(db, member(db, "bob"))
    assert bob.status == "refused" and bob.reason
    for doc in [*alice, bob]:
        data = stored(settings, doc).read_bytes()
        assert hashlib.sha256(data).hexdigest() == doc.sha256
        assert credentials.detect_type(doc.original_name, data) == doc.content_type


def test_replace_then_delete_before_validation(db: Database, settings: Settings) -> None:
    alice = member(db, "alice")
    doc = attach(db, settings, "alice")
    old_file = stored(settings, doc)
    upload(settings, "alice", "better.png", demo_png())
    new = credentials.replace(db, settings, alice, doc.id, file_name="better.png")
    assert (new.original_name, new.content_type, new.status) == (
        "better.png",
        "image/png",
        "pending",
    )
    assert not old_file.exists() and stored(settings, new).exists()
    assert not (files.inbox_dir(settings, "alice") / "better.png").exists()
    credentials.delete(db, settings, alice, doc.id)
    assert not stored(settings, new).exists()
    assert credentials_data.get_credential(db, doc.id) is None
    assert actions(db, f"credential:{doc.id}") == [
        "credential.deleted",
        "credential.replaced",
        "credential.attached",
    ]


def test_a_refused_document_can_be_replaced_and_waits_again(
    db: Database, settings: Settings
) -> None:
    bob = member(db, "bob")
    [doc] = credentials.list_mine(db, bob)
    upload(settings, "bob", "net.pdf", demo_pdf("net"))
    new = credentials.replace(db, settings, bob, doc.id, file_name="net.pdf")
    assert (new.status, new.reason) == ("pending", None)


def test_validated_documents_are_locked(db: Database, settings: Settings) -> None:
    alice = member(db, "alice")
    [locked] = [c for c in credentials.list_mine(db, alice) if c.status == "validated"]
    upload(settings, "alice", "new.pdf", demo_pdf("n"))
    with pytest.raises(CredentialError) as refused:
        credentials.replace(db, settings, alice, locked.id, file_name="new.pdf")
    assert refused.value.message == credentials.LOCKED
    with pytest.raises(CredentialError):
        credentials.delete(db, settings, alice, locked.id)
    assert stored(settings, locked).exists()
    assert (files.inbox_dir(settings, "alice") / "new.pdf").exists()
    assert credentials_data.get_credential(db, locked.id) == locked


def test_a_member_never_reaches_another_members_document(db: Database, settings: Settings) -> None:
    [bobs] = credentials.list_mine(db, member(db, "bob"))
    alices = attach(db, settings, "alice")
    for other, doc in (("alice", bobs), ("bob", alices), ("marc", alices)):
        actor = member(db, other)
        with pytest.raises(CredentialError) as refused:
            credentials.get_mine(db, actor, doc.id)
        assert refused.value.message == credentials.NOT_FOUND
        upload(settings, other, "mine.pdf", demo_pdf("m"))
        with pytest.raises(CredentialError):
            credentials.replace(db, settings, actor, doc.id, file_name="mine.pdf")
        with pytest.raises(CredentialError):
            credentials.delete(db, settings, actor, doc.id)
    with pytest.raises(CredentialError):
        credentials.get_mine(db, member(db, "alice"), 999_999)
    assert credentials_data.get_credential(db, bobs.id) == bobs
    assert stored(settings, alices).exists()


# -- review ---------------------------------------------------------------------------------


def test_pending_list_is_per_organization_oldest_first(db: Database, settings: Settings) -> None:
    first = attach(db, settings, "alice", "a.pdf")
    second = attach(db, settings, "alice", "b.pdf", document_type="birth")
    marc, nina, admin = member(db, "marc"), member(db, "nina"), member(db, "admin")
    pending = credentials.list_pending(db, marc)
    ids = [c.id for c in pending]
    assert ids.index(first.id) < ids.index(second.id)
    assert {c.organization_id for c in pending} == {marc.organization_id}
    assert credentials.count_pending(db, marc) == len(pending) == 3  # with the demo one
    assert credentials.count_pending(db, nina) == 0
    assert credentials.count_pending(db, admin) == 3
    with pytest.raises(PermissionError):
        credentials.list_pending(db, member(db, "alice"))


def test_a_manager_of_another_organization_is_refused(db: Database, settings: Settings) -> None:
    doc = attach(db, settings, "alice")
    nina = member(db, "nina")
    for call in (
        lambda: credentials.get_for_review(db, nina, doc.id),
        lambda: credentials.fetch_to_outbox(db, settings, nina, doc.id),
        lambda: credentials.validate(db, nina, doc.id, ProvenValues(quotient_familial=1)),
        lambda: credentials.refuse(db, nina, doc.id, "non"),
    ):
        with pytest.raises(CredentialError) as refused:
            call()
        assert refused.value.message == credentials.NOT_FOUND
    assert credentials_data.get_credential(db, doc.id) == doc
    assert files.list_outbox(settings, "nina") == []


def test_a_member_cannot_review(db: Database, settings: Settings) -> None:
    doc = attach(db, settings, "alice")
    with pytest.raises(PermissionError):
        credentials.validate(db, member(db, "bob"), doc.id, ProvenValues(quotient_familial=1))
    with pytest.raises(PermissionError):
        credentials.refuse(db, member(db, "alice"), doc.id, "moi")


def test_a_demoted_manager_is_refused(db: Database, settings: Settings) -> None:
    doc = attach(db, settings, "alice")
    marc = member(db, "marc")
    db.execute("UPDATE members SET role = 'member' WHERE id = ?", [marc.id])
    with pytest.raises(PermissionError):
        credentials.refuse(db, marc, doc.id, "non")


def test_fetch_puts_a_copy_in_the_managers_outbox(db: Database, settings: Settings) -> None:
    doc = attach(db, settings, "alice", "photo.png", document_type="birth")
    name = credentials.fetch_to_outbox(db, settings, member(db, "marc"), doc.id)
    assert name == f"justificatif-{doc.id}.png"
    assert (files.outbox_dir(settings, "marc") / name).read_bytes() == stored(
        settings, doc
    ).read_bytes()
    assert files.list_outbox(settings, "alice") == []
    assert "credential.fetched" in actions(db, f"credential:{doc.id}")


def test_validation_writes_the_family_data_and_emails(db: Database, settings: Settings) -> None:
    alice, marc = member(db, "alice"), member(db, "marc")
    doc = attach(db, settings, "alice", "livret.pdf", document_type="family_book")
    with pytest.raises(CredentialError):  # the values it proves are required
        credentials.validate(db, marc, doc.id, ProvenValues())
    assert credentials_data.get_credential(db, doc.id).status == "pending"  # type: ignore[union-attr]
    done = credentials.validate(
        db,
        marc,
        doc.id,
        ProvenValues(situation="married", children_birth_years=(2018, 2015)),
    )
    assert (done.status, done.decided_by) == ("validated", marc.id)
    data = family.get_family(db, alice, alice.id)
    assert data.situation == "married"
    assert data.children_birth_years == (2015, 2018)
    assert data.proven_by["situation"] == doc.id == data.proven_by["children"]
    [email] = outbox.list_emails(db, recipient=alice.org_email, limit=1)
    assert email.member_id == alice.id
    assert "validé" in email.subject and "Livret de famille" in email.body
    assert "credential.validated" in actions(db, f"credential:{doc.id}")
    with pytest.raises(CredentialError):  # decided once
        credentials.refuse(db, marc, doc.id, "trop tard")
    with pytest.raises(family.FamilyError):  # now proven: no hand-made change
        family.set_family(db, marc, alice.id, situation="single")


def test_refusal_needs_a_reason_and_emails_it(db: Database, settings: Settings) -> None:
    alice, marc = member(db, "alice"), member(db, "marc")
    doc = attach(db, settings, "alice")
    for bad in ("", "   ", "illisible\x1b[31m"):
        with pytest.raises(CredentialError):
            credentials.refuse(db, marc, doc.id, bad)
    assert credentials_data.get_credential(db, doc.id).status == "pending"  # type: ignore[union-attr]
    done = credentials.refuse(db, marc, doc.id, "Illisible, merci de renvoyer un scan net.")
    assert (done.status, done.reason) == ("refused", "Illisible, merci de renvoyer un scan net.")
    [email] = outbox.list_emails(db, recipient=alice.org_email, limit=1)
    assert "refusé" in email.subject and "Illisible, merci de renvoyer" in email.body
    assert actions(db, f"credential:{doc.id}")[0] == "credential.refused"


def test_bob_is_emailed_in_english(db: Database, settings: Settings) -> None:
    bob, nina = member(db, "bob"), member(db, "nina")
    doc = attach(db, settings, "bob", "school.pdf", document_type="school")
    credentials.validate(db, nina, doc.id, ProvenValues(children_birth_years=(2016,)))
    [email] = outbox.list_emails(db, recipient=bob.org_email, limit=1)
    assert email.subject == "Your document was validated" and "School certificate" in email.body


def test_a_manager_does_not_decide_on_their_own_document(db: Database, settings: Settings) -> None:
    doc = attach(db, settings, "marc")
    with pytest.raises(CredentialError):
        credentials.validate(db, member(db, "marc"), doc.id, ProvenValues(quotient_familial=500))
    credentials.validate(db, member(db, "admin"), doc.id, ProvenValues(quotient_familial=500))


def _cinema_subsidy(db: Database, who: Member, price: int = 500) -> int:
    [cinema] = [
        b for b in benefits.usable_benefits(db, who) if b.rule and b.rule.category == "cinema"
    ]
    return cinema.subsidy_for(price)


def test_quotient_from_rfr_and_parts_changes_the_subsidy_at_once(
    db: Database, settings: Settings
) -> None:
    alice, marc = member(db, "alice"), member(db, "marc")
    assert _cinema_subsidy(db, alice) == 250  # QF 850: the 50 % bracket
    doc = attach(db, settings, "alice", "avis-2027.pdf")
    done = credentials.validate(db, marc, doc.id, ProvenValues(rfr_euros=18_000, parts="2,5"))
    assert done.status == "validated"
    data = family.get_family(db, alice, alice.id)
    assert data.quotient_familial == 600  # 18 000 / 2.5 / 12
    assert data.proven_by["quotient_familial"] == doc.id
    assert _cinema_subsidy(db, alice) == 350  # the 70 % bracket
    entered = attach(db, settings, "alice", "avis-rectifie.pdf")
    credentials.validate(db, marc, entered.id, ProvenValues(quotient_familial=2000))
    assert _cinema_subsidy(db, alice) == 150  # above every bracket: the rule's 30 %


def test_without_a_tax_notice_the_least_favourable_bracket_applies(
    db: Database, settings: Settings
) -> None:
    marc = member(db, "marc")
    assert family.get_family(db, marc, marc.id).quotient_familial is None
    assert _cinema_subsidy(db, marc) == 150
    set_quotient_familial(db, member(db, "admin"), marc.id, 500)
    assert _cinema_subsidy(db, marc) == 350


def test_tax_notice_values_are_checked(db: Database, settings: Settings) -> None:
    doc = attach(db, settings, "alice")
    marc = member(db, "marc")
    for values in (
        ProvenValues(),
        ProvenValues(rfr_euros=20_000),
        ProvenValues(rfr_euros=20_000, parts="0"),
        ProvenValues(rfr_euros=20_000, parts="deux"),
        ProvenValues(rfr_euros=20_000, parts="2,3"),
        ProvenValues(quotient_familial=-5),
    ):
        with pytest.raises((CredentialError, family.FamilyError)):
            credentials.validate(db, marc, doc.id, values)
    assert credentials_data.get_credential(db, doc.id).status == "pending"  # type: ignore[union-attr]
    assert family.get_family(db, marc, member(db, "alice").id).quotient_familial == 850
