"""The CSV member import's file rules and values: columns, encodings, refusals, rows.

See ``portal.services.member_import`` for the file format, the matching and the
refusals; this module reads the file and holds the values the dry run and the batches
share.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import EllipsisType
from typing import Any

from sqlite_utils import Database

from portal.data import family as family_data
from portal.data import subsidies as subsidies_data
from portal.i18n import N_, Translator, current
from portal.services.errors import UserError

BATCH_SIZE = 500
"""Rows written in one transaction."""
MAX_ROWS = 50_000
MAX_BYTES = 10 * 1024 * 1024
NAME_MAX = 60
GROUP_NAME_MAX = 60

COLUMNS: dict[str, tuple[str, ...]] = {
    "login": ("login", "identifiant"),
    "first_name": ("firstname", "prenom"),
    "last_name": ("lastname", "nom", "nomdefamille"),
    "email": ("email", "mail", "courriel", "adresseemail"),
    "groups": ("groups", "groupes", "groupe", "group"),
    "family_situation": ("familysituation", "situationfamiliale", "situation"),
    "children_birth_years": (
        "childrenbirthyears",
        "anneesdenaissancedesenfants",
        "anneesnaissanceenfants",
        "anneesdenaissance",
        "enfants",
        "children",
    ),
    "quotient_familial": ("quotientfamilial", "qf"),
}
"""Column code -> accepted header names (folded: no case, accents, spaces or ``_-.``)."""
REQUIRED = ("first_name", "last_name", "email")

SITUATION_WORDS: dict[str, str] = {
    "single": "single",
    "celibataire": "single",
    "married": "married",
    "marie": "married",
    "mariee": "married",
    "pacs": "pacs",
    "pacse": "pacs",
    "pacsee": "pacs",
    "cohabiting": "cohabiting",
    "concubinage": "cohabiting",
    "unionlibre": "cohabiting",
    "divorced": "divorced",
    "divorce": "divorced",
    "divorcee": "divorced",
    "separe": "divorced",
    "separee": "divorced",
    "widowed": "widowed",
    "veuf": "widowed",
    "veuve": "widowed",
}
"""Family situations as spreadsheets write them (folded) -> ``family.SITUATIONS`` code."""


class ImportError_(UserError):
    """The whole file is refused (unreadable, no header, unknown or missing column)."""


@dataclass(frozen=True)
class ImportIssue:
    """One refusal, at a line (1 is the header) and a column (its header as written)."""

    line: int
    column: str
    message: str
    """English message id."""
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, translator: Translator | None = None) -> str:
        """The refusal in the reader's language."""
        return (translator or current()).gettext(self.message, **self.params)


@dataclass(frozen=True)
class PlannedRow:
    """A row that passed the dry run, and what it will do."""

    line: int
    action: str
    """``create``, ``update`` or ``unchanged``."""
    member_id: int | None
    login: str
    """The login asked for (empty: made from the names at creation)."""
    first_name: str
    last_name: str
    email: str
    groups: tuple[str, ...]
    situation: str | None | EllipsisType = ...
    children: tuple[int, ...] | EllipsisType = ...
    quotient_familial: int | None | EllipsisType = ...


@dataclass(frozen=True)
class ImportPlan:
    """The dry run: what the import would do, and every refusal."""

    file_name: str
    total: int
    """Member lines in the file."""
    rows: tuple[PlannedRow, ...]
    issues: tuple[ImportIssue, ...]
    rejected_lines: int
    new_groups: tuple[str, ...]
    organization_id: int

    def count(self, action: str) -> int:
        """How many rows would be created, updated or left unchanged."""
        return sum(1 for r in self.rows if r.action == action)


@dataclass
class BatchResult:
    """What one batch did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    issues: list[ImportIssue] = field(default_factory=list)


@dataclass(frozen=True)
class ImportSummary:
    """The import's outcome (the dry run's refused rows count as rejected)."""

    created: int
    updated: int
    unchanged: int
    rejected: int
    issues: tuple[ImportIssue, ...]


# -- reading ---------------------------------------------------------------------------


def fold_header(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s_\-.'’]+", "", bare.casefold())


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (a BOM is dropped), else Windows-1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            raise ImportError_(
                N_("This file is not a text file in UTF-8 or Windows-1252.")
            ) from None


def _separator(header_line: str) -> str:
    return ";" if header_line.count(";") >= header_line.count(",") else ","


def read_rows(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header cells and ``(line number, cells)`` of each non-empty line."""
    if len(data) > MAX_BYTES:
        raise ImportError_(N_("The file is larger than 10 MB: split it."))
    content = decode(data)
    first = content.split("\n", 1)[0]
    if not first.strip():
        raise ImportError_(N_("The file is empty or its first line holds no column names."))
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=_separator(first))
    try:
        lines = [(reader.line_num, row) for row in reader]
    except csv.Error:
        raise ImportError_(
            N_("The file is not a valid CSV file (a quote is not closed?).")
        ) from None
    header, rows = lines[0][1], [(n, r) for n, r in lines[1:] if any(c.strip() for c in r)]
    if len(rows) > MAX_ROWS:
        raise ImportError_(N_("The file holds more than {n} members: split it."), n=MAX_ROWS)
    return header, rows


def columns_of(header: list[str]) -> dict[str, tuple[int, str]]:
    """Column code -> (index, header as written)."""
    by_alias = {alias: code for code, aliases in COLUMNS.items() for alias in aliases}
    found: dict[str, tuple[int, str]] = {}
    for index, name in enumerate(header):
        name = name.strip()
        if not name:
            continue
        code = by_alias.get(fold_header(name))
        if code is None:
            raise ImportError_(N_('Unknown column "{column}" in the first line.'), column=name)
        if code in found:
            raise ImportError_(N_('The column "{column}" appears twice.'), column=name)
        found[code] = (index, name)
    missing = [c for c in REQUIRED if c not in found]
    if missing:
        raise ImportError_(
            N_("Columns missing from the first line: {columns}."), columns=", ".join(missing)
        )
    return found


def issues_for(issues: Sequence[ImportIssue], column: str) -> bool:
    """Whether a column already has a refusal (one sentence a cell is enough)."""
    return any(i.column == column for i in issues)


def changed_family(
    db: Database,
    member_id: int,
    situation: str | None | EllipsisType,
    children: tuple[int, ...] | EllipsisType,
    qf: int | None | EllipsisType,
) -> tuple[Any, Any, Any]:
    """The family fields that differ from what is stored (the others: ``...``)."""
    if not isinstance(situation, EllipsisType) and situation == family_data.get_situation(
        db, member_id
    ):
        situation = ...
    if not isinstance(children, EllipsisType) and children == family_data.get_children(
        db, member_id
    ):
        children = ...
    if not isinstance(qf, EllipsisType) and qf == subsidies_data.get_quotient_familial(
        db, member_id
    ):
        qf = ...
    return situation, children, qf
