"""Members' data rights (GDPR): export my data, ask for my account's deletion.

- :func:`export_my_data` writes everything the platform holds about the member (secrets
  aside: e-cards with masked numbers, never a PIN, no password or 2FA secret) as JSON to
  their own outbox. Only ever the actor's own data.
- :func:`request_deletion` records the member's request (reason optional);
  :func:`cancel_request` withdraws it.
- A manager of the member's organization (or an admin) lists the requests
  (:func:`pending_requests`) and confirms (:func:`confirm_deletion`) or refuses them.
  Confirming anonymises the account: name and login become ``deleted-<id>``; emails,
  addresses, phones, family data are erased; documents (rows and files), TOTP, SSH
  keys, recovery codes, e-card numbers and PINs are deleted; sessions are ended; the
  files folder goes. Orders, invoices, payments and the wallet ledger stay, pointing at
  the pseudonymised account, for the legal retention period. The audit log keeps its
  rows, with the member's identifying texts replaced by the pseudonym.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import sqlite3
from dataclasses import dataclass

from sqlite_utils import Database

from portal.config import Settings
from portal.data import audit as audit_data
from portal.data import data_rights as rights_data
from portal.data import members as members_data
from portal.data.data_rights import DeletionRequest
from portal.data.db import transaction
from portal.data.members import Member
from portal.i18n import N_
from portal.services import audit, authz, clock, files
from portal.services.credential_files import discard
from portal.services.errors import UserError
from portal.services.exports import ExportResult
from portal.services.session_directory import SessionDirectory
from portal.services.text import check_line

__all__ = [
    "DeletionRequest",
    "DataRightsError",
    "cancel_request",
    "confirm_deletion",
    "export_my_data",
    "my_request",
    "pending_requests",
    "pseudonym",
    "refuse_deletion",
    "request_deletion",
]

REASON_MAX = 300
ALREADY_ASKED = N_("You have already asked for your account's deletion: a manager will handle it.")
NOT_WAITING = N_("This request is no longer waiting: someone handled it meanwhile.")
NOT_YOURS = N_("You cannot confirm your own deletion: another manager must.")
TOO_LONG = N_("The reason holds at most 300 characters.")
NO_REQUEST = N_("You have no deletion request waiting.")


class DataRightsError(UserError):
    """A data-rights request refused (with the sentence to show)."""


def pseudonym(member_id: int) -> str:
    """The name and login an anonymised account keeps."""
    return f"deleted-{member_id}"


def export_my_data(db: Database, settings: Settings, member: Member) -> ExportResult:
    """Write the member's own data as JSON to their outbox (and audit it)."""
    current = authz.current_actor(db, member)
    data = {
        "exported_at": clock.now().isoformat(timespec="seconds"),
        "format": "portal-member-data/1",
        **rights_data.member_data(db, current.id),
    }
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")
    name = f"my-data-{clock.now().strftime('%Y%m%d-%H%M%S')}.json"
    files.write_outbox_file(settings, current.login, name, body)
    audit.record(
        db,
        "gdpr.export",
        actor_id=current.id,
        organization_id=current.organization_id,
        target=name,
        size=len(body),
    )
    return ExportResult(name, 1, files.sftp_command(settings, current.login))


def my_request(db: Database, member: Member) -> DeletionRequest | None:
    """The member's own request waiting for a manager, if any."""
    return rights_data.open_request(db, member.id)


def request_deletion(db: Database, member: Member, reason: str = "") -> DeletionRequest:
    """Ask for the account's deletion; a manager confirms it later.

    Raises:
        DataRightsError: Already asked, or a reason too long or with control characters.
    """
    reason = check_line(reason, error=DataRightsError)
    if len(reason) > REASON_MAX:
        raise DataRightsError(TOO_LONG)
    with transaction(db):
        current = authz.current_actor(db, member)
        if rights_data.open_request(db, current.id) is not None:
            raise DataRightsError(ALREADY_ASKED)
        request_id = rights_data.insert_request(db, current.id, current.organization_id, reason)
        audit.record(
            db,
            "gdpr.deletion_requested",
            actor_id=current.id,
            organization_id=current.organization_id,
            target=f"member:{current.id}",
            request=request_id,
        )
        found = rights_data.get_request(db, request_id)
    assert found is not None
    return found


def cancel_request(db: Database, member: Member) -> None:
    """Withdraw the member's own waiting request."""
    with transaction(db):
        waiting = rights_data.open_request(db, member.id)
        if waiting is None or not rights_data.decide(db, waiting.id, "cancelled", member.id):
            raise DataRightsError(NO_REQUEST)
        audit.record(
            db,
            "gdpr.deletion_cancelled",
            actor_id=member.id,
            organization_id=member.organization_id,
            target=f"member:{member.id}",
            request=waiting.id,
        )


def pending_requests(
    db: Database, actor: Member, organization_id: int | None = None
) -> list[DeletionRequest]:
    """Requests waiting: a manager's organization's; an admin's all (or one's)."""
    current = authz.current_manager(db, actor)
    org = organization_id if current.role == "admin" else current.organization_id
    if current.role != "admin" and org is None:
        return []
    return rights_data.list_open(db, org)


def _waiting(
    db: Database, actor: Member, request_id: int
) -> tuple[Member, DeletionRequest, Member]:
    current = authz.current_manager(db, actor)
    request = rights_data.get_request(db, request_id)
    if request is None or request.status != "requested":
        raise DataRightsError(NOT_WAITING)
    target = members_data.get_member(db, request.member_id)
    if target is None or not authz.may_manage(current, target):
        raise PermissionError("not a manager of this member")
    if target.id == current.id:
        raise DataRightsError(NOT_YOURS)
    return current, request, target


def refuse_deletion(db: Database, actor: Member, request_id: int, reason: str = "") -> None:
    """Refuse a request (kept for accounting or a dispute, say); audited."""
    reason = check_line(reason, error=DataRightsError)[:REASON_MAX]
    with transaction(db):
        current, request, target = _waiting(db, actor, request_id)
        if not rights_data.decide(db, request.id, "refused", current.id):
            raise DataRightsError(NOT_WAITING)
        audit.record(
            db,
            "gdpr.deletion_refused",
            actor_id=current.id,
            organization_id=target.organization_id,
            target=f"member:{target.id}",
            request=request.id,
            reason=reason,
        )


def _needles(strings: list[str]) -> list[str]:
    """The texts to replace, as typed and as ``json.dumps`` escaped them in details;
    shorter than 3 characters left out ("Li" would rewrite unrelated words)."""
    needles: set[str] = set()
    for text in strings:
        text = text.strip()
        if len(text) >= 3:
            needles.add(text)
            needles.add(json.dumps(text)[1:-1])
    return sorted(needles, key=len, reverse=True)


def _rewrite_audit(db: Database, strings: list[str], replacement: str) -> int:
    needles = _needles(strings)
    rows = audit_data.rows_mentioning(db, needles)
    if not rows:
        return 0
    pattern = re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)
    audit_data.open_erasure(db)
    for entry_id, target, details in rows:
        new_target = pattern.sub(replacement, target) if target else target
        audit_data.rewrite_for_erasure(db, entry_id, new_target, pattern.sub(replacement, details))
    audit_data.close_erasure(db)
    return len(rows)


@dataclass(frozen=True)
class DeletionDone:
    """What a confirmed deletion did."""

    member_id: int
    pseudonym: str
    audit_rows_rewritten: int
    sessions_ended: int


def confirm_deletion(
    db: Database,
    settings: Settings,
    sessions: SessionDirectory,
    actor: Member,
    request_id: int,
) -> DeletionDone:
    """Anonymise the account of a waiting request (see the module's docstring).

    Raises:
        DataRightsError: The request no longer waits, or is the actor's own.
        PermissionError: The actor does not manage that member.
    """
    with transaction(db):
        current, request, target = _waiting(db, actor, request_id)
        alias = pseudonym(target.id)
        strings = rights_data.personal_strings(db, target.id)
        stored = rights_data.credential_files(db, target.id)
        rights_data.erase_member(db, target.id, target.login, alias)
        rewritten = _rewrite_audit(db, strings, alias)
        if not rights_data.decide(db, request.id, "done", current.id):
            raise DataRightsError(NOT_WAITING)
        audit.record(
            db,
            "gdpr.deletion_confirmed",
            actor_id=current.id,
            organization_id=target.organization_id,
            target=alias,
            request=request.id,
            audit_rows_rewritten=rewritten,
        )
    ended = sessions.close_member_sessions(db, target.id, reason="account deleted")
    for name in stored:
        discard(settings.data_dir, name)
    folder = settings.files_dir / target.login
    if folder.is_dir() and not folder.is_symlink():
        shutil.rmtree(folder)
    with contextlib.suppress(sqlite3.OperationalError):  # a reader holds the log: next time
        rights_data.checkpoint(db)
    return DeletionDone(target.id, alias, rewritten, ended)
