"""Managers' exports to their SFTP outbox: CSV that French spreadsheets open right.

Every file has a header row, is UTF-8 with a byte-order mark (so accents read right)
and uses ``;`` as separator, amounts as ``12,50`` (euros, decimal comma). A manager
exports their own organization; an admin every organization or the one chosen. The
file lands in the actor's outbox (``files.write_outbox_file``: atomic) and each export is
audited (kind, organization, rows; never the content).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from portal.config import Settings
from portal.data import exports as exports_data
from portal.data.members import Member
from portal.i18n import N_, get_translator
from portal.services import audit, authz, clock, files, urssaf
from portal.services.errors import UserError

__all__ = [
    "EXPORTS",
    "ExportResult",
    "csv_bytes",
    "euros",
    "export",
    "export_rows",
    "kinds",
    "urssaf_available",
]

BOM = "\ufeff"
SEPARATOR = ";"

UNKNOWN_KIND = N_("There is no such export.")
NO_URSSAF = N_("The URSSAF report is not available yet.")


def euros(cents: int) -> str:
    """An amount in cents as a spreadsheet number: ``1250`` -> ``12,50``."""
    sign = "-" if cents < 0 else ""
    cents = abs(int(cents))
    return f"{sign}{cents // 100},{cents % 100:02d}"


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A cell starting with = + - @ is a formula to spreadsheets: neutralise it
    # (names and labels come from people), numbers excepted.
    if text[:1] in ("=", "+", "-", "@") and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    return text.lstrip("-").replace(",", "", 1).isdigit()


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A CSV file: BOM, ``;`` separator, a header row, CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=SEPARATOR, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return (BOM + buffer.getvalue()).encode("utf-8")


@dataclass(frozen=True)
class ExportResult:
    """A file written to the actor's outbox."""

    name: str
    """The file's name in ``outbox/``."""
    rows: int
    """Data rows (the header aside)."""
    sftp_command: str
    """The command that fetches it (``sftp -P 2222 marc@portal.example``)."""


def _members(db: Database, org: int | None, year: int) -> tuple[list[str], list[list[Any]]]:
    header = [
        N_("Organization"),
        N_("Login"),
        N_("Last name"),
        N_("First name"),
        N_("Email"),
        N_("Role"),
        N_("Status"),
        N_("Created on"),
    ]
    return header, [list(r) for r in exports_data.members(db, org)]


def _allocations(db: Database, org: int | None, year: int) -> tuple[list[str], list[list[Any]]]:
    header = [
        N_("Organization"),
        N_("Login"),
        N_("Last name"),
        N_("First name"),
        N_("Program"),
        N_("Kind"),
        N_("Year"),
        N_("Valid until"),
        N_("Allocated (EUR)"),
        N_("Spent (EUR)"),
        N_("Lapsed (EUR)"),
        N_("Balance (EUR)"),
    ]
    rows = [[*r[:8], *(euros(v) for v in r[8:])] for r in exports_data.allocations(db, org)]
    return header, rows


def _orders(db: Database, org: int | None, year: int) -> tuple[list[str], list[list[Any]]]:
    header = [
        N_("Organization"),
        N_("Order"),
        N_("Date"),
        N_("Login"),
        N_("Last name"),
        N_("First name"),
        N_("Status"),
        N_("Total (EUR)"),
        N_("Benefits (EUR)"),
        N_("Card (EUR)"),
        N_("Invoice"),
        N_("Tracking number"),
    ]
    rows = [
        [*r[:7], euros(r[7]), euros(r[8]), euros(r[9]), *r[10:]]
        for r in exports_data.orders(db, org)
    ]
    return header, rows


def _urssaf_report() -> Callable[..., Any] | None:
    """``portal.services.urssaf.report`` once it exists (built by the programs' work)."""
    report = getattr(urssaf, "report", None)
    return report if callable(report) else None


def urssaf_available() -> bool:
    """Whether the URSSAF report can be exported."""
    return _urssaf_report() is not None


def _urssaf(
    db: Database, org: int | None, year: int, actor: Member, settings: Settings | None
) -> tuple[list[str], list[list[Any]]]:
    report = _urssaf_report()
    if report is None:
        raise UserError(NO_URSSAF)
    if org is None:
        raise UserError(N_("Choose an organization."))
    header = [
        N_("Login"),
        N_("Name"),
        N_("Year"),
        N_("Gift vouchers (EUR)"),
        N_("Exempt (EUR)"),
        N_("Liable (EUR)"),
        N_("Events"),
    ]
    rows: list[list[Any]] = []
    for line in report(db, actor, org, year, settings=settings):
        pools = " | ".join(
            f"{p.event or '-'}: {euros(p.total_cents)}/{euros(p.limit_cents)}"
            + (f" ({p.reason})" if p.reason else "")
            for p in getattr(line, "pools", ())
        )
        rows.append(
            [
                line.login,
                line.name,
                line.year,
                euros(line.total_cents),
                euros(line.exempt_cents),
                euros(line.liable_cents),
                pools,
            ]
        )
    return header, rows


EXPORTS: dict[str, str] = {
    "members": N_("Members"),
    "allocations": N_("Allocations and balances"),
    "orders": N_("Orders"),
    "urssaf": N_("URSSAF report (gift vouchers per member and year)"),
}
"""Export kinds and their labels (message ids)."""

_BUILDERS: dict[str, Callable[[Database, int | None, int], tuple[list[str], list[list[Any]]]]] = {
    "members": _members,
    "allocations": _allocations,
    "orders": _orders,
}


def kinds() -> list[str]:
    """The export kinds that can run now (the URSSAF report once it exists)."""
    return [k for k in EXPORTS if k != "urssaf" or urssaf_available()]


def export_rows(
    db: Database,
    actor: Member,
    kind: str,
    organization_id: int | None,
    year: int,
    settings: Settings | None = None,
) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of an export, checked for the actor (no file written)."""
    current = authz.current_manager(db, actor)
    org = organization_id if current.role == "admin" else current.organization_id
    if org is not None:
        authz.require_manager(db, current, org)
    if kind == "urssaf":
        header, rows = _urssaf(db, org, year, current, settings)
    else:
        builder = _BUILDERS.get(kind)
        if builder is None:
            raise UserError(UNKNOWN_KIND)
        header, rows = builder(db, org, year)
    # Worker threads do not know the session's language: the reader's is the actor's.
    t = get_translator(current.language)
    return [t.gettext(name) for name in header], rows


def write_csv(
    db: Database,
    settings: Settings,
    actor: Member,
    kind: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    organization_id: int | None,
    **details: Any,
) -> ExportResult:
    """Write a CSV to the actor's outbox, audit it, and say how to fetch it."""
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    scope = f"org{organization_id}" if organization_id is not None else "all"
    name = f"{kind}-{scope}-{stamp}.csv"
    files.write_outbox_file(settings, actor.login, name, csv_bytes(header, rows))
    audit.record(
        db,
        f"export.{kind}",
        actor_id=actor.id,
        organization_id=organization_id,
        target=name,
        rows=len(rows),
        scope=scope,
        **details,
    )
    return ExportResult(name, len(rows), files.sftp_command(settings, actor.login))


def export(
    db: Database,
    settings: Settings,
    actor: Member,
    kind: str,
    organization_id: int | None = None,
    year: int | None = None,
) -> ExportResult:
    """Run one export into the actor's outbox.

    Args:
        kind: One of :data:`EXPORTS`.
        organization_id: For admins, the organization (None: all); managers get theirs.
        year: The year of the URSSAF report (this year by default).

    Raises:
        PermissionError: Not (or no longer) a manager of that organization.
        UserError: Unknown kind, or the URSSAF report not available.
    """
    year = year or clock.now().year
    current = authz.current_manager(db, actor)
    org = organization_id if current.role == "admin" else current.organization_id
    header, rows = export_rows(db, current, kind, org, year, settings)
    extra = {"year": year} if kind == "urssaf" else {}
    return write_csv(db, settings, current, kind, header, rows, organization_id=org, **extra)
