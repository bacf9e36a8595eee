"""CSV import of members from the manager's SFTP inbox: a dry run, then batches.

The file
    One header line, then one member a line. Separator ``;`` or ``,`` (read from the
    header line); UTF-8 with or without a BOM, or Windows-1252 as spreadsheets often
    export. Column names are matched without case, accents, spaces or underscores, in
    French or English, in any order:

    ==========================  ==============================  ==========================
    column                      also accepted                   content
    ==========================  ==============================  ==========================
    ``login`` (optional)        ``identifiant``                 3-32 characters; empty: made
                                                                from the names (``alice.martin``)
    ``first_name``              ``prénom``                      required
    ``last_name``               ``nom``                         required
    ``email``                   ``e-mail``, ``courriel``        required, the organization email
    ``groups`` (optional)       ``groupes``                     names separated by ``|``
                                                                (or ``;`` in a quoted cell)
    ``family_situation``        ``situation familiale``         ``single``/``célibataire``,
                                                                ``married``/``marié``, ``pacs``,
                                                                ``cohabiting``/``concubinage``,
                                                                ``divorced``/``divorcé``,
                                                                ``widowed``/``veuf``
    ``children_birth_years``    ``années de naissance des       years separated by spaces,
                                enfants``, ``enfants``          ``,``, ``|`` or ``;``
    ``quotient_familial``       ``qf``                          whole euros
    ==========================  ==============================  ==========================

    An empty family cell leaves that field as it is (an import never erases data); groups
    are only added, never removed.

Matching
    A row is the member with its login when it has one, else the organization's member with
    its email. Such a row updates the member (names, email, groups, family) or leaves them
    unchanged; any other row creates an invited account and sends its activation code.
    Importing the same file twice therefore creates nothing twice.

Refusals (the dry run lists them all, by line and column, in the reader's language)
    Control characters, a missing name, a bad email, a bad login, a login taken by another
    account, an email already used by another member of the organization, the same email or
    login twice in the file, an unknown family situation, bad birth years or quotient, a
    family field proven by a validated document. A refused row changes nothing; the others
    are imported. **Unknown groups are created** (the dry run names them): a manager
    importing a new site should not have to create its group first.

Speed
    :func:`apply_batch` writes ``BATCH_SIZE`` rows in one transaction; callers run one batch
    per call on the store's worker threads and give the event loop back between batches
    (the screen updates its progress bar then). Activation emails are enqueued by batch in
    the outbox, whose delivery is throttled. ``tests/bench/bench_import.py`` measures it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import EllipsisType
from typing import Any

from sqlite_utils import Database

from portal.config import Settings
from portal.data import family as family_data
from portal.data import member_import as import_data
from portal.data import signup_requests as requests_data
from portal.data.members import Member
from portal.i18n import N_
from portal.services import authz, family, files, guest_checks, text
from portal.services.errors import PortalError
from portal.services.member_import_file import (
    BATCH_SIZE,
    COLUMNS,
    GROUP_NAME_MAX,
    NAME_MAX,
    SITUATION_WORDS,
    BatchResult,
    ImportError_,
    ImportIssue,
    ImportPlan,
    ImportSummary,
    PlannedRow,
    changed_family,
    columns_of,
    decode,
    fold_header,
    issues_for,
    read_rows,
)
from portal.services.member_import_write import apply_batch, batches, import_all, summarize

__all__ = [
    "BATCH_SIZE",
    "COLUMNS",
    "BatchResult",
    "ImportError_",
    "ImportIssue",
    "ImportPlan",
    "ImportSummary",
    "PlannedRow",
    "apply_batch",
    "batches",
    "decode",
    "import_all",
    "inbox_files",
    "plan",
    "plan_inbox_file",
    "summarize",
]

# -- the dry run -----------------------------------------------------------------------


@dataclass
class _Context:
    """What a dry run learns as it goes (duplicates within the file)."""

    organization_id: int
    guest_username: str
    emails: dict[str, int] = field(default_factory=dict)
    logins: dict[str, int] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)
    new_groups: dict[str, str] = field(default_factory=dict)
    members: dict[int, int] = field(default_factory=dict)
    """Member id -> the line that already names them."""


def split_cell(value: str, separators: str) -> list[str]:
    return [p.strip() for p in re.split(f"[{re.escape(separators)}]", value) if p.strip()]


def _check_row(
    db: Database, ctx: _Context, line: int, cells: dict[str, tuple[str, str]]
) -> tuple[PlannedRow | None, list[ImportIssue]]:
    """One row's refusals, or what it would do."""
    issues: list[ImportIssue] = []

    def issue(code: str, message: str, **params: Any) -> None:
        issues.append(ImportIssue(line, cells[code][1], message, params))

    values: dict[str, str] = {}
    for code, (raw, _column) in cells.items():
        try:
            values[code] = text.check_line(raw)
        except PortalError as error:
            issue(code, error.message)
            values[code] = ""
    first, last = values.get("first_name", ""), values.get("last_name", "")
    for code, value in (("first_name", first), ("last_name", last)):
        if code in cells and not issues_for(issues, cells[code][1]):
            if not value:
                issue(code, N_("The name is missing."))
            elif len(value) > NAME_MAX:
                issue(code, N_("A name has 60 characters at most."))
    email = ""
    if not issues_for(issues, cells["email"][1]):
        try:
            email = text.normalize_email(values["email"])
        except PortalError as error:
            issue("email", error.message)
        else:
            earlier = ctx.emails.get(email.casefold())
            if earlier is not None:
                issue(
                    "email", N_("This email is already on line {line} of the file."), line=earlier
                )
            else:
                ctx.emails[email.casefold()] = line
    login = values.get("login", "").lower()
    if login:
        try:
            guest_checks.check_login_format(login)
        except PortalError as error:
            issue("login", error.message)
            login = ""
        else:
            earlier = ctx.logins.get(login)
            if earlier is not None:
                issue(
                    "login", N_("This login is already on line {line} of the file."), line=earlier
                )
            ctx.logins.setdefault(login, line)
    groups: list[str] = []
    if values.get("groups"):
        for name in split_cell(values["groups"], "|;"):
            if len(name) > GROUP_NAME_MAX:
                issue("groups", N_("A group name has 60 characters at most."))
            elif name.casefold() not in {g.casefold() for g in groups}:
                groups.append(name)
    situation: str | None | EllipsisType = ...
    if values.get("family_situation"):
        situation = SITUATION_WORDS.get(fold_header(values["family_situation"]))
        if situation is None:
            issue(
                "family_situation",
                N_(
                    "Unknown family situation: write single, married, pacs, cohabiting, "
                    "divorced or widowed."
                ),
            )
            situation = ...
    children: tuple[int, ...] | EllipsisType = ...
    if values.get("children_birth_years"):
        try:
            children = family.parse_birth_years(
                " ".join(split_cell(values["children_birth_years"], "|;, "))
            )
        except PortalError as error:
            issue("children_birth_years", error.message, **error.params)
    qf: int | None | EllipsisType = ...
    if values.get("quotient_familial"):
        raw_qf = values["quotient_familial"].replace(" ", "").replace("€", "")
        if not text.ascii_digits(raw_qf) or int(raw_qf) > 1_000_000:
            issue(
                "quotient_familial",
                N_("The quotient familial must be a whole number of euros, 0 or more."),
            )
        else:
            qf = int(raw_qf)
    if issues:
        return None, issues

    # Who is it?
    existing: import_data.ExistingMember | None = None
    if login:
        existing = import_data.by_login(db, login)
        if existing is not None and (
            existing.organization_id != ctx.organization_id or existing.role == "admin"
        ):
            issue("login", N_("This login is already taken by another account."))
            return None, issues
        if existing is None and (
            login == ctx.guest_username or requests_data.login_pending(db, login)
        ):
            issue("login", N_("This login is already taken by another account."))
            return None, issues
    same_email = import_data.by_email(db, ctx.organization_id, email)
    if existing is None and not login and same_email:
        existing = same_email[0]
        if existing.role == "admin":
            issue("email", N_("This email is already used by another member of the organization."))
            return None, issues
    if any(m.id != (existing.id if existing else 0) for m in same_email):
        issue("email", N_("This email is already used by another member of the organization."))
        return None, issues

    if existing is not None:
        earlier = ctx.members.get(existing.id)
        if earlier is not None:
            issue(
                "login" if login else "email",
                N_("This member is already on line {line} of the file."),
                line=earlier,
            )
            return None, issues
        ctx.members[existing.id] = line
    for name in groups:
        key = name.casefold()
        if key not in ctx.groups and key not in ctx.new_groups:
            ctx.new_groups[key] = name

    if existing is None:
        return PlannedRow(
            line,
            "create",
            None,
            login,
            first,
            last,
            email,
            tuple(groups),
            situation,
            children,
            qf,
        ), []

    proofs = family_data.get_proofs(db, existing.id)
    situation, children, qf = changed_family(db, existing.id, situation, children, qf)
    checks: tuple[tuple[str, str, object], ...] = (
        ("family_situation", "situation", situation),
        ("children_birth_years", "children", children),
        ("quotient_familial", "quotient_familial", qf),
    )
    for code, name, field_value in checks:
        if not isinstance(field_value, EllipsisType) and name in proofs:
            issue(code, family.PROVEN[name])
    if issues:
        return None, issues
    current_groups = import_data.member_group_ids(db, existing.id)
    missing_groups = [g for g in groups if ctx.groups.get(g.casefold()) not in current_groups]
    changed = (
        (existing.first_name, existing.last_name, existing.org_email.casefold())
        != (first, last, email.casefold())
        or missing_groups
        or not all(isinstance(v, EllipsisType) for v in (situation, children, qf))
    )
    return PlannedRow(
        line,
        "update" if changed else "unchanged",
        existing.id,
        existing.login,
        first,
        last,
        email,
        tuple(groups),
        situation,
        children,
        qf,
    ), []


def plan(
    db: Database,
    actor: Member,
    data: bytes,
    *,
    settings: Settings,
    file_name: str = "",
    organization_id: int | None = None,
) -> ImportPlan:
    """The dry run: every row checked against the file and the database; nothing written.

    Raises:
        PermissionError: Not a manager of the organization.
        ImportError_: The file as a whole is unreadable.
    """
    org = authz.managed_organization(db, actor, organization_id)
    header, rows = read_rows(data)
    columns = columns_of(header)
    ctx = _Context(org, settings.guest_username.lower())
    ctx.groups = import_data.group_ids_by_name(db, org)
    planned: list[PlannedRow] = []
    issues: list[ImportIssue] = []
    rejected = 0
    for line, cells in rows:
        values = {
            code: (cells[index] if index < len(cells) else "", name)
            for code, (index, name) in columns.items()
        }
        row, row_issues = _check_row(db, ctx, line, values)
        if row is None:
            rejected += 1
            issues.extend(row_issues)
        else:
            planned.append(row)
    return ImportPlan(
        file_name,
        len(rows),
        tuple(planned),
        tuple(issues),
        rejected,
        tuple(sorted(ctx.new_groups.values(), key=str.casefold)),
        org,
    )


def inbox_files(db: Database, actor: Member, *, settings: Settings) -> list[files.FileEntry]:
    """The CSV files of the manager's own inbox."""
    current = authz.current_manager(db, actor)
    return [e for e in files.list_inbox(settings, current.login) if e.name.lower().endswith(".csv")]


def plan_inbox_file(
    db: Database,
    actor: Member,
    name: str,
    *,
    settings: Settings,
    organization_id: int | None = None,
) -> ImportPlan:
    """The dry run of a file of the manager's own SFTP inbox."""
    current = authz.current_manager(db, actor)
    data = files.read_inbox_file(settings, current.login, name)
    return plan(
        db, current, data, settings=settings, file_name=name, organization_id=organization_id
    )
