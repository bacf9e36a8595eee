"""The CSV member import's batches: each planned row written, one transaction a batch.

Called once per batch on the store's worker threads (see ``portal.services.member_import``).
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from types import EllipsisType
from typing import Any

from sqlite_utils import Database

from portal.config import Settings
from portal.data import directory as directory_data
from portal.data import member_import as import_data
from portal.data import members as members_data
from portal.data.db import transaction
from portal.data.members import Member
from portal.i18n import N_
from portal.services import audit, authz, family, invitations
from portal.services.errors import PortalError, UserError
from portal.services.member_import_file import (
    BATCH_SIZE,
    BatchResult,
    ImportIssue,
    ImportPlan,
    ImportSummary,
    PlannedRow,
    changed_family,
)
from portal.services.signup_logins import LOGIN_MAX, free_login

# -- the import ------------------------------------------------------------------------


def _made_login(first: str, last: str) -> str:
    raw = _fold_login(f"{first}.{last}")
    if not raw or not raw[0].isalpha():
        raw = "m" + raw
    raw = raw[:LOGIN_MAX]
    return raw if len(raw) >= 3 else (raw + "000")[:3]


def _fold_login(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9._-]", "", bare.replace(" ", "-"))


def apply_batch(
    db: Database,
    actor: Member,
    rows: Sequence[PlannedRow],
    *,
    organization_id: int,
    settings: Settings,
    send_invitations: bool = True,
    now: float | None = None,
) -> BatchResult:
    """Write one batch of planned rows in one transaction (call it once per batch).

    Each row is checked again (another manager may have changed the directory since the
    dry run): a row that no longer fits is rejected with its reason and undone alone.
    """
    now = time.time() if now is None else now
    result = BatchResult()
    with transaction(db):
        current = authz.require_manager(db, actor, organization_id)
        groups = import_data.group_ids_by_name(db, organization_id)
        made: list[str] = []
        for row in rows:
            if row.action == "unchanged":
                result.unchanged += 1
                continue
            try:
                with import_data.savepoint(db):
                    action = _write_row(
                        db,
                        current,
                        row,
                        organization_id,
                        groups,
                        made,
                        settings=settings,
                        send_invitations=send_invitations,
                        now=now,
                    )
            except PortalError as error:
                result.rejected += 1
                result.issues.append(ImportIssue(row.line, "", error.message, error.params))
                continue
            if action == "create":
                result.created += 1
            elif action == "update":
                result.updated += 1
            else:
                result.unchanged += 1
        audit.record(
            db,
            "member.import_batch",
            actor_id=current.id,
            organization_id=organization_id,
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            rejected=result.rejected,
        )
    return result


def _group_id(db: Database, groups: dict[str, int], organization_id: int, name: str) -> int:
    key = name.casefold()
    if key not in groups:
        groups[key] = directory_data.create_group(db, organization_id, name)
    return groups[key]


def _write_row(
    db: Database,
    actor: Member,
    row: PlannedRow,
    organization_id: int,
    groups: dict[str, int],
    made: list[str],
    *,
    settings: Settings,
    send_invitations: bool,
    now: float,
) -> str:
    """Create or update one member; the action actually taken."""
    same_email = import_data.by_email(db, organization_id, row.email)
    if row.member_id is None:
        login = row.login
        if login:
            if members_data.login_in_use(db, login):
                existing = import_data.by_login(db, login)
                if existing is None or existing.organization_id != organization_id:
                    raise UserError(N_("This login is already taken by another account."))
                row = _as_update(row, existing.id)
        elif same_email:
            row = _as_update(row, same_email[0].id)
        else:
            login = free_login(db, _made_login(row.first_name, row.last_name), reserved=tuple(made))
            made.append(login)
    if row.member_id is None:
        if same_email:
            raise UserError(N_("This email is already used by another member of the organization."))
        member_id = members_data.create_member(
            db,
            organization_id=organization_id,
            login=login,
            first_name=row.first_name,
            last_name=row.last_name,
            org_email=row.email,
            password_hash=None,
            status="invited",
        )
        _groups_and_family(db, actor, member_id, row, organization_id, groups, set())
        audit.record(
            db,
            "member.imported",
            actor_id=actor.id,
            organization_id=organization_id,
            target=login,
            change="created",
        )
        if send_invitations:
            member = members_data.get_member(db, member_id)
            assert member is not None
            invitations.send_activation(db, actor, member, settings=settings, now=now)
        return "create"
    member_id = row.member_id
    stored = members_data.get_member(db, member_id)
    if stored is None or stored.organization_id != organization_id or stored.role == "admin":
        raise UserError(N_("This member is no longer in the organization."))
    if any(m.id != member_id for m in same_email):
        raise UserError(N_("This email is already used by another member of the organization."))
    changed = False
    if (stored.first_name, stored.last_name, stored.org_email) != (
        row.first_name,
        row.last_name,
        row.email,
    ):
        import_data.set_identity(db, member_id, row.first_name, row.last_name, row.email)
        changed = True
    situation, children, qf = changed_family(
        db, member_id, row.situation, row.children, row.quotient_familial
    )
    row = _with_family(row, situation, children, qf)
    changed |= _groups_and_family(
        db,
        actor,
        member_id,
        row,
        organization_id,
        groups,
        import_data.member_group_ids(db, member_id),
    )
    if not changed:
        return "unchanged"
    audit.record(
        db,
        "member.imported",
        actor_id=actor.id,
        organization_id=organization_id,
        target=stored.login,
        change="updated",
    )
    return "update"


def _as_update(row: PlannedRow, member_id: int) -> PlannedRow:
    return PlannedRow(
        row.line,
        "update",
        member_id,
        row.login,
        row.first_name,
        row.last_name,
        row.email,
        row.groups,
        row.situation,
        row.children,
        row.quotient_familial,
    )


def _with_family(row: PlannedRow, situation: Any, children: Any, qf: Any) -> PlannedRow:
    return PlannedRow(
        row.line,
        row.action,
        row.member_id,
        row.login,
        row.first_name,
        row.last_name,
        row.email,
        row.groups,
        situation,
        children,
        qf,
    )


def _groups_and_family(
    db: Database,
    actor: Member,
    member_id: int,
    row: PlannedRow,
    organization_id: int,
    groups: dict[str, int],
    current_groups: set[int],
) -> bool:
    """Add the row's groups and write its family fields; whether anything changed."""
    changed = False
    for name in row.groups:
        group_id = _group_id(db, groups, organization_id, name)
        if group_id not in current_groups:
            directory_data.add_to_group(db, group_id, member_id)
            changed = True
    if not all(
        isinstance(v, EllipsisType) for v in (row.situation, row.children, row.quotient_familial)
    ):
        family.set_family(
            db,
            actor,
            member_id,
            situation=row.situation,
            children_birth_years=row.children,
            quotient_familial=row.quotient_familial,
        )
        changed = True
    return changed


def batches(rows: Sequence[PlannedRow], size: int = BATCH_SIZE) -> Iterable[Sequence[PlannedRow]]:
    """The planned rows cut in batches of ``size``."""
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def summarize(plan_: ImportPlan, results: Iterable[BatchResult]) -> ImportSummary:
    """The import's outcome: the batches' counts plus the dry run's refused rows."""
    created = updated = unchanged = rejected = 0
    issues = list(plan_.issues)
    for r in results:
        created += r.created
        updated += r.updated
        unchanged += r.unchanged
        rejected += r.rejected
        issues.extend(r.issues)
    return ImportSummary(
        created, updated, unchanged, rejected + plan_.rejected_lines, tuple(issues)
    )


def import_all(
    db: Database,
    actor: Member,
    plan_: ImportPlan,
    *,
    settings: Settings,
    send_invitations: bool = True,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportSummary:
    """Every batch in turn, in this thread (the CLI and tests; screens call
    :func:`apply_batch` themselves, one worker call per batch)."""
    results = []
    done = 0
    for batch in batches(plan_.rows, batch_size):
        results.append(
            apply_batch(
                db,
                actor,
                batch,
                organization_id=plan_.organization_id,
                settings=settings,
                send_invitations=send_invitations,
            )
        )
        done += len(batch)
        if progress is not None:
            progress(done, len(plan_.rows))
    return summarize(plan_, results)
