"""Programs that follow their members: late joiners, names that say their year, amounts
per member read from a CSV file.

A program given to everyone or to directory groups *follows* them: ``reconcile`` gives it
to each member who is in its audience now and has not received it yet — a member whose
account became active (invitation activated, sign-up validated, import, reactivation) or
who entered one of its groups — the whole amount or a pro rata of the remaining months
of its period (the program's ``late_joiners`` setting). A member who leaves (deactivated,
taken out of the group) is credited nothing more: what was credited stays theirs until
the period ends, and the next renewal no longer includes them. ``reconcile`` is
idempotent (a member holds one allocation per program); it runs on those events
(``follow_member``) and from the server's housekeeping, which catches any other path.

Listed-members programs do not follow: their members are those chosen.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

from sqlite_utils import Database

from portal.config import Settings
from portal.data import members as members_data
from portal.data import programs as programs_data
from portal.data import wallet as wallet_data
from portal.data.db import transaction
from portal.data.members import Member
from portal.data.wallet import Program
from portal.i18n import N_
from portal.services import audit, clock, files
from portal.services.allocation_input import parse_euros
from portal.services.authz import current_manager, managed_organization
from portal.services.errors import UserError

__all__ = [
    "LATE_JOINERS",
    "AmountLine",
    "AmountsFile",
    "follow_member",
    "give",
    "program_label",
    "prorata",
    "read_amounts",
    "reconcile",
]

LATE_JOINERS: dict[str, str] = {
    "prorata": N_("Pro rata of the remaining months"),
    "whole": N_("The whole amount"),
}
"""What a member who joins a followed program later receives (message ids)."""

_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")


def program_label(label: str, year: int) -> str:
    """A program's name that says its year: the last year in ``label`` replaced by
    ``year``, or `` <year>`` appended when it names none ("Cadeau" -> "Cadeau 2027")."""
    label = " ".join(label.split())
    found = list(_YEAR.finditer(label))
    if not found:
        return f"{label} {year}"
    last = found[-1]
    return label[: last.start()] + str(year) + label[last.end() :]


def _months(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def prorata(amount_cents: int, valid_from: dt.date, valid_until: dt.date, today: dt.date) -> int:
    """What a member joining on ``today`` receives of ``amount_cents``: the share of the
    period's months left, the current month counted, rounded down to the cent."""
    if today <= valid_from:
        return amount_cents
    if today > valid_until:
        return 0
    return amount_cents * _months(today, valid_until) // _months(valid_from, valid_until)


def give(
    db: Database,
    program: Program,
    member_id: int,
    amount_cents: int,
    *,
    actor_id: int | None,
) -> int:
    """Credit one member's allocation of a program through the ledger (inside the caller's
    transaction); returns the allocation id."""
    allocation_id = wallet_data.insert_allocation(
        db,
        program_id=program.id,
        member_id=member_id,
        organization_id=program.organization_id,
        amount_cents=amount_cents,
    )
    wallet_data.credit(
        db,
        allocation_id=allocation_id,
        member_id=member_id,
        amount_cents=amount_cents,
        entry="grant",
        actor_id=actor_id,
    )
    return allocation_id


def audience(db: Database, program: Program) -> list[int]:
    """Who a followed program is for now (active members; never a platform admin)."""
    if program.target == "all":
        return wallet_data.active_member_ids(db, program.organization_id)
    if program.target == "group":
        return programs_data.active_group_member_ids(
            db, programs_data.program_group_ids(db, program.id)
        )
    return []


def reconcile(
    db: Database,
    *,
    organization_id: int | None = None,
    member_id: int | None = None,
    today: dt.date | None = None,
    actor_id: int | None = None,
) -> int:
    """Give every followed program whose period is not over to the members of its audience
    who have not received it yet (one member, one organization, or all). Idempotent.

    Returns how many allocations were credited.
    """
    today = today or clock.today_paris()
    if member_id is not None:
        status = wallet_data.member_status(db, [member_id])
        if status.get(member_id, (None, ""))[1] != "active":
            return 0
        organization_id = status[member_id][0]
        if organization_id is None:
            return 0
    credited = 0
    with transaction(db):
        for program in programs_data.open_programs(db, organization_id, today):
            wanted = set(audience(db, program))
            if member_id is not None:
                wanted &= {member_id}
            missing = sorted(wanted - set(wallet_data.program_member_ids(db, program.id)))
            if not missing:
                continue
            cents = (
                program.amount_cents
                if program.late_joiners == "whole"
                else prorata(program.amount_cents, program.valid_from, program.valid_until, today)
            )
            if cents <= 0:
                continue
            for joiner in missing:
                give(db, program, joiner, cents, actor_id=actor_id)
            credited += len(missing)
            audit.record(
                db,
                "wallet.followed",
                actor_id=actor_id,
                organization_id=program.organization_id,
                target=f"program:{program.id}",
                members=len(missing),
                amount_cents=cents,
                day=today.isoformat(),
            )
    return credited


def follow_member(db: Database, member_id: int, *, actor_id: int | None = None) -> int:
    """After a member joined (account active) or entered a group: what they are owed."""
    return reconcile(db, member_id=member_id, actor_id=actor_id)


# -- amounts per member, from a CSV file in the manager's inbox ------------------------------


@dataclass(frozen=True)
class AmountLine:
    """One line of an amounts file."""

    line: int
    login: str
    member_id: int
    amount_cents: int


@dataclass(frozen=True)
class AmountsFile:
    """An amounts file read and checked (a dry run: nothing is written)."""

    name: str
    lines: tuple[AmountLine, ...]
    errors: tuple[tuple[int, str, dict[str, object]], ...]
    """(line number, message id, its parameters)."""

    @property
    def amounts(self) -> tuple[tuple[int, int], ...]:
        """(member id, cents) of the good lines."""
        return tuple((line.member_id, line.amount_cents) for line in self.lines)


MAX_AMOUNT_LINES = 100_000


def read_amounts(
    db: Database,
    actor: Member,
    settings: Settings,
    name: str,
    *,
    organization_id: int | None = None,
) -> AmountsFile:
    """Read ``login;amount`` lines (``,`` or tab also accepted, an optional header) from a
    file of the manager's SFTP inbox and check each: errors are listed by line.

    Raises:
        UserError: The file cannot be read, or holds no line at all.
    """
    manager = current_manager(db, actor)
    org = managed_organization(db, manager, organization_id)
    data = files.read_inbox_file(settings, manager.login, name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(N_("The file is not UTF-8 text.")) from None
    sample = text[:2048]
    delimiter = ";" if ";" in sample else ("\t" if "\t" in sample else ",")
    lines: list[AmountLine] = []
    errors: list[tuple[int, str, dict[str, object]]] = []
    seen: dict[str, int] = {}
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if len(rows) > MAX_AMOUNT_LINES:
        raise UserError(N_("The file has too many lines."))
    for number, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if number == 1 and cells[0].lower() in ("login", "identifiant"):
            continue
        if len(cells) != 2:
            errors.append((number, N_("Write each line as login;amount."), {}))
            continue
        login, amount_text = cells
        member = members_data.get_member_by_login(db, login)
        if member is None or member.organization_id != org:
            errors.append(
                (
                    number,
                    N_("No member of your organization has the login {login}."),
                    {"login": login},
                )
            )
            continue
        if member.status != "active" or member.role == "admin":
            errors.append((number, N_("{login} is not an active member."), {"login": login}))
            continue
        if login in seen:
            errors.append(
                (
                    number,
                    N_("{login} is already on line {first}."),
                    {"login": login, "first": seen[login]},
                )
            )
            continue
        try:
            cents = parse_euros(amount_text)
        except UserError:
            errors.append(
                (number, N_("The amount {amount} is not valid."), {"amount": amount_text})
            )
            continue
        if cents <= 0:
            errors.append((number, N_("The amount must be positive."), {}))
            continue
        seen[login] = number
        lines.append(AmountLine(number, login, member.id, cents))
    if not lines and not errors:
        raise UserError(N_("The file holds no line."))
    return AmountsFile(name, tuple(lines), tuple(errors))
