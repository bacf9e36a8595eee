"""Credential documents ("Mes justificatifs"): members attach them, managers review them.

A member uploads a file to their SFTP ``inbox/`` and attaches it here: it must be a PDF,
a PNG or a JPEG, by its extension and by its first bytes alike. The file is then moved
out of the SFTP tree into ``settings.data_dir / "credentials"`` under a random name (mode
0600), outside any member's view; the member's file name is kept as metadata only. Until
a manager validates it, the member may view its details, replace its file or delete it
(the stored file goes too); a validated document is locked.

Managers of the member's organization (admins: every one) review pending documents,
oldest first: they fetch the file into their own outbox to look at it, then validate it
with the values it proves (written to the member's family data by ``services.family``,
where the subsidy rules read them) or refuse it with a reason. The member is emailed
either way; every action is audited. Every call re-reads the actor and checks that the
document is theirs (or in their organization): an id typed by hand reaches nothing else.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from sqlite_utils import Database

from portal.config import Settings
from portal.data import credentials as credentials_data
from portal.data import members as members_data
from portal.data.credentials import Credential
from portal.data.db import transaction
from portal.data.members import Member
from portal.i18n import N_, get_translator
from portal.services import audit, credential_files, emails, family, files
from portal.services.authz import current_actor, current_manager, may_manage
from portal.services.credential_files import (
    ACCEPTED,
    BAD_TYPE,
    MISMATCH,
    TOO_BIG,
    CredentialError,
    detect_type,
    storage_dir,
    store_bytes,
)
from portal.services.text import check_line

__all__ = [
    "ACCEPTED",
    "BAD_TYPE",
    "LOCKED",
    "MISMATCH",
    "NOT_FOUND",
    "TOO_BIG",
    "PROVES",
    "STATUSES",
    "TYPES",
    "Credential",
    "CredentialError",
    "ProvenValues",
    "attach",
    "count_pending",
    "delete",
    "detect_type",
    "fetch_to_outbox",
    "get_for_review",
    "get_mine",
    "list_mine",
    "list_pending",
    "refuse",
    "replace",
    "storage_dir",
    "store_bytes",
    "type_label",
    "validate",
]

TYPES: dict[str, str] = {
    "family_book": N_("Family record book (livret de famille)"),
    "marriage_pacs": N_("Marriage or PACS certificate"),
    "birth": N_("Birth certificate"),
    "tax_notice": N_("Tax notice (for the quotient familial)"),
    "school": N_("School certificate"),
    "other": N_("Other document"),
}
"""Document types and the message ids naming them, in menu order."""

PROVES: dict[str, tuple[str, ...]] = {
    "family_book": ("situation", "children"),
    "marriage_pacs": ("situation",),
    "birth": ("children",),
    "tax_notice": ("quotient_familial",),
    "school": ("children",),
    "other": (),
}
"""Family fields each type of document proves (asked when a manager validates it)."""

STATUSES: dict[str, str] = {
    "pending": N_("pending"),
    "validated": N_("validated"),
    "refused": N_("refused"),
}
"""Statuses and the message ids naming them."""


NOT_FOUND = N_("This document does not exist.")
LOCKED = N_("This document was validated: it can no longer be replaced or deleted.")
NOT_PENDING = N_("This document is no longer waiting for a decision.")

VALIDATED_EMAIL = emails.Template(
    subject=N_("Your document was validated"),
    body=N_(
        "Hello {name},\n"
        "\n"
        'Your document "{document}" ({file}) was validated by {organization}.\n'
        "The information it proves is now in your profile, and your benefits take it into"
        " account."
    ),
)
"""Sent when a manager validates a credential; parameters: document, file."""

REFUSED_EMAIL = emails.Template(
    subject=N_("Your document was refused"),
    body=N_(
        "Hello {name},\n"
        "\n"
        'Your document "{document}" ({file}) was refused by {organization}, for this'
        " reason:\n"
        "\n"
        "    {reason}\n"
        "\n"
        'You can replace its file under "My credentials" in Portal.'
    ),
)
"""Sent when a manager refuses a credential; parameters: document, file, reason."""


@dataclass(frozen=True)
class ProvenValues:
    """What a manager enters when validating a document (only the type's fields are read)."""

    situation: str | None = None
    children_birth_years: tuple[int, ...] | None = None
    quotient_familial: int | None = None
    """In euros; or computed from ``rfr_euros`` and ``parts``."""
    rfr_euros: int | None = None
    """Revenu fiscal de référence of a tax notice, whole euros."""
    parts: str | Decimal | None = None
    """Nombre de parts of a tax notice (``2,5``)."""


def type_label(credential: Credential) -> str:
    """The message id of the document's type, or the member's own label for ``other``.

    Translate it with ``_`` unless the type is ``other``.
    """
    return credential.label if credential.type == "other" else TYPES[credential.type]


# -- the member's side -------------------------------------------------------------------


def _member_now(db: Database, member: Member) -> Member:
    current = current_actor(db, member)
    if current.organization_id is None:
        raise CredentialError(N_("Documents can only be attached by members of an organization."))
    return current


def _own(db: Database, member: Member, credential_id: int) -> Credential:
    """The member's own document (the same refusal whether it is missing or someone else's)."""
    credential = credentials_data.get_credential(db, credential_id)
    if credential is None or credential.member_id != member.id:
        raise CredentialError(NOT_FOUND)
    return credential


def _details(document_type: str, label: str, note: str) -> tuple[str, str]:
    if document_type not in TYPES:
        raise CredentialError(N_("Choose the type of the document."))
    label = check_line(label, error=CredentialError) if document_type == "other" else ""
    if document_type == "other" and not label:
        raise CredentialError(N_("Say what this document is."))
    if len(label) > 100:
        raise CredentialError(N_("The name of the document is too long (100 characters at most)."))
    note = check_line(note, error=CredentialError)
    if len(note) > 500:
        raise CredentialError(N_("The note is too long (500 characters at most)."))
    return label, note


def list_mine(db: Database, member: Member) -> list[Credential]:
    """The member's documents, newest first."""
    current = current_actor(db, member)
    return credentials_data.list_for_member(db, current.id)


def get_mine(db: Database, member: Member, credential_id: int) -> Credential:
    """One of the member's documents."""
    return _own(db, current_actor(db, member), credential_id)


def attach(
    db: Database,
    settings: Settings,
    member: Member,
    *,
    file_name: str,
    document_type: str,
    label: str = "",
    note: str = "",
) -> Credential:
    """Attach a file of the member's inbox as a new document waiting for review."""
    current = _member_now(db, member)
    label, note = _details(document_type, label, note)
    upload = credential_files.take_from_inbox(settings, current, file_name)
    try:
        with transaction(db):
            credential_id = credentials_data.insert_credential(
                db,
                member_id=current.id,
                organization_id=current.organization_id or 0,
                type=document_type,
                label=label,
                note=note,
                original_name=upload.original_name,
                stored_name=upload.stored_name,
                content_type=upload.content_type,
                size=upload.size,
                sha256=upload.sha256,
            )
            audit.record(
                db,
                "credential.attached",
                actor_id=current.id,
                organization_id=current.organization_id,
                target=f"credential:{credential_id}",
                type=document_type,
                content_type=upload.content_type,
                size=upload.size,
            )
    except BaseException:
        credential_files.discard(settings.data_dir, upload.stored_name)
        raise
    credential_files.leave_inbox(settings, current, upload.original_name)
    return _own(db, current, credential_id)


def replace(
    db: Database, settings: Settings, member: Member, credential_id: int, *, file_name: str
) -> Credential:
    """Put another inbox file on a document not validated yet (it waits for review again)."""
    current = _member_now(db, member)
    old = _own(db, current, credential_id)
    if old.status == "validated":
        raise CredentialError(LOCKED)
    upload = credential_files.take_from_inbox(settings, current, file_name)
    try:
        with transaction(db):
            if not credentials_data.replace_file(
                db,
                credential_id,
                original_name=upload.original_name,
                stored_name=upload.stored_name,
                content_type=upload.content_type,
                size=upload.size,
                sha256=upload.sha256,
            ):
                raise CredentialError(LOCKED)
            audit.record(
                db,
                "credential.replaced",
                actor_id=current.id,
                organization_id=old.organization_id,
                target=f"credential:{credential_id}",
                content_type=upload.content_type,
                size=upload.size,
            )
    except BaseException:
        credential_files.discard(settings.data_dir, upload.stored_name)
        raise
    credential_files.discard(settings.data_dir, old.stored_name)
    credential_files.leave_inbox(settings, current, upload.original_name)
    return _own(db, current, credential_id)


def delete(db: Database, settings: Settings, member: Member, credential_id: int) -> None:
    """Delete a document not validated yet, and its file."""
    current = current_actor(db, member)
    old = _own(db, current, credential_id)
    if old.status == "validated":
        raise CredentialError(LOCKED)
    with transaction(db):
        if not credentials_data.delete_credential(db, credential_id):
            raise CredentialError(LOCKED)
        audit.record(
            db,
            "credential.deleted",
            actor_id=current.id,
            organization_id=old.organization_id,
            target=f"credential:{credential_id}",
            type=old.type,
        )
    credential_files.discard(settings.data_dir, old.stored_name)


# -- the managers' side ------------------------------------------------------------------


def _reviewable(db: Database, actor: Member, credential_id: int) -> tuple[Member, Credential]:
    """(the manager as stored now, a document of a member they manage)."""
    current = current_manager(db, actor)
    credential = credentials_data.get_credential(db, credential_id)
    owner = members_data.get_member(db, credential.member_id) if credential else None
    if credential is None or owner is None or not may_manage(current, owner):
        raise CredentialError(NOT_FOUND)
    return current, credential


def _scope(db: Database, actor: Member) -> int | None:
    current = current_manager(db, actor)
    return None if current.role == "admin" else current.organization_id


def list_pending(db: Database, actor: Member) -> list[Credential]:
    """Documents waiting for a decision in the manager's organization (all for an admin),
    oldest first."""
    return credentials_data.list_pending(db, _scope(db, actor))


def count_pending(db: Database, actor: Member) -> int:
    """How many documents wait for this manager's decision."""
    return credentials_data.count_pending(db, _scope(db, actor))


def get_for_review(db: Database, actor: Member, credential_id: int) -> Credential:
    """One document of a member the manager manages."""
    return _reviewable(db, actor, credential_id)[1]


def fetch_to_outbox(db: Database, settings: Settings, actor: Member, credential_id: int) -> str:
    """Copy a document's file into the manager's own outbox; return the name it got there."""
    current, credential = _reviewable(db, actor, credential_id)
    path = settings.data_dir / "credentials" / credential.stored_name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CredentialError(N_("The file of this document is missing.")) from None
    if hashlib.sha256(data).hexdigest() != credential.sha256:
        raise CredentialError(N_("The file of this document is damaged."))
    name = f"justificatif-{credential.id}{credential_files.EXTENSION[credential.content_type]}"
    files.write_outbox_file(settings, current.login, name, data)
    audit.record(
        db,
        "credential.fetched",
        actor_id=current.id,
        organization_id=credential.organization_id,
        target=f"credential:{credential.id}",
    )
    return name


def _proven(credential: Credential, values: ProvenValues) -> dict[str, object]:
    """The family fields a document proves, from what the manager entered."""
    proves = PROVES[credential.type]
    written: dict[str, object] = {}
    if "situation" in proves:
        if values.situation is None:
            raise CredentialError(N_("Choose the family situation this document proves."))
        written["situation"] = values.situation
    if "children" in proves:
        years = values.children_birth_years
        if years is None or (not years and credential.type != "family_book"):
            raise CredentialError(N_("Enter the birth years of the member's children."))
        written["children_birth_years"] = tuple(years)
    if "quotient_familial" in proves:
        qf = values.quotient_familial
        if qf is None and values.rfr_euros is not None and values.parts is not None:
            qf = family.quotient_from_tax_notice(values.rfr_euros, values.parts)
        if qf is None:
            raise CredentialError(
                N_(
                    "Enter the quotient familial, or the revenu fiscal de référence and the"
                    " number of parts."
                )
            )
        written["quotient_familial"] = qf
    return written


def _document_name(db: Database, credential: Credential) -> str:
    """The document's type in its member's language (for the emails)."""
    owner = members_data.get_member(db, credential.member_id)
    t = get_translator(owner.language if owner else "fr")
    document = credential.label if credential.type == "other" else t.gettext(TYPES[credential.type])
    return document


def validate(db: Database, actor: Member, credential_id: int, values: ProvenValues) -> Credential:
    """Validate a pending document and write the values it proves to the member's profile."""
    current, credential = _reviewable(db, actor, credential_id)
    if credential.member_id == current.id:
        raise CredentialError(N_("Another manager must decide on your own documents."))
    if credential.status != "pending":
        raise CredentialError(NOT_PENDING)
    proven = _proven(credential, values)
    with transaction(db):
        if not credentials_data.mark_decided(
            db, credential_id, status="validated", reason=None, decided_by=current.id
        ):
            raise CredentialError(NOT_PENDING)
        fields = family.record_proven(
            db,
            current,
            credential.member_id,
            credential_id,
            **proven,  # type: ignore[arg-type]
        )
        audit.record(
            db,
            "credential.validated",
            actor_id=current.id,
            organization_id=credential.organization_id,
            target=f"credential:{credential_id}",
            member=credential.member_id,
            type=credential.type,
            fields=fields,
        )
        emails.notify_member(
            db,
            credential.member_id,
            VALIDATED_EMAIL,
            document=_document_name(db, credential),
            file=credential.original_name,
        )
    found = credentials_data.get_credential(db, credential_id)
    assert found is not None
    return found


def refuse(db: Database, actor: Member, credential_id: int, reason: str) -> Credential:
    """Refuse a pending document with a reason the member reads."""
    current, credential = _reviewable(db, actor, credential_id)
    if credential.member_id == current.id:
        raise CredentialError(N_("Another manager must decide on your own documents."))
    reason = check_line(reason, error=CredentialError)
    if not reason:
        raise CredentialError(N_("Please give a reason: the member will read it."))
    if len(reason) > 500:
        raise CredentialError(N_("The reason is too long (500 characters at most)."))
    if credential.status != "pending":
        raise CredentialError(NOT_PENDING)
    with transaction(db):
        if not credentials_data.mark_decided(
            db, credential_id, status="refused", reason=reason, decided_by=current.id
        ):
            raise CredentialError(NOT_PENDING)
        audit.record(
            db,
            "credential.refused",
            actor_id=current.id,
            organization_id=credential.organization_id,
            target=f"credential:{credential_id}",
            member=credential.member_id,
            type=credential.type,
        )
        emails.notify_member(
            db,
            credential.member_id,
            REFUSED_EMAIL,
            reason=reason,
            document=_document_name(db, credential),
            file=credential.original_name,
        )
    found = credentials_data.get_credential(db, credential_id)
    assert found is not None
    return found
