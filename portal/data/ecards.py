"""E-cards and e-tickets: the issuing queue, the issued items, the sandbox issuer's ledger.

Numbers and PINs reach these functions already encrypted (``*_enc``); nothing here sees
them in clear. State changes are conditional updates that report whether they applied,
so two issuing loops (two worker processes) never record the same item twice.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlite_utils import Database

from portal.data.db import transaction


@dataclass(frozen=True)
class IssueJob:
    """One e-card (or one e-ticket line) waiting to be issued, or issued."""

    id: int
    member_id: int
    order_id: int | None
    line_id: int | None
    unit: int
    kind: str
    """``ecard`` or ``eticket``."""
    partner: str
    partner_website: str
    title: str
    value_cents: int
    people: int
    usable_at: str
    conditions: str
    validity: str
    purchased_at: str
    expires_on: str | None
    status: str
    """``pending``, ``issued`` or ``cancelled`` (its order was cancelled first)."""
    due_at: str
    attempts: int
    last_error: str | None
    claimed_until: str | None
    card_id: int | None
    preset_spent_cents: int | None
    """Demo data only: spent at the store after issue (the sandbox records it)."""
    preset_archived: int
    """Demo data only: archived by the member after issue."""


@dataclass(frozen=True)
class ECard:
    """An issued e-card or e-ticket (its number and PIN only encrypted)."""

    id: int
    member_id: int
    issue_id: int
    order_id: int | None
    kind: str
    partner: str
    partner_website: str
    title: str
    issuer: str
    reference: str
    """The issuer's reference of the card (what a balance inquiry quotes)."""
    number_enc: str
    number_masked: str
    pin_enc: str | None
    value_cents: int
    people: int
    usable_at: str
    terms: str
    validity: str
    purchased_at: str
    issued_at: str
    expires_on: str | None
    archived_at: str | None
    balance_cents: int | None
    balance_checked_at: str | None
    balance_known: int | None
    """1 the issuer gave a balance, 0 it cannot give one, None never asked."""
    pdf_file: str | None

    @property
    def has_pin(self) -> bool:
        """Whether the card has a PIN (e-tickets have none)."""
        return self.pin_enc is not None


_JOB_COLUMNS = ", ".join(f.name for f in fields(IssueJob))
_CARD_COLUMNS = ", ".join(f.name for f in fields(ECard))
_JOB_INSERTED = tuple(
    f.name
    for f in fields(IssueJob)
    if f.name not in ("id", "attempts", "last_error", "claimed_until", "card_id", "status")
)


def insert_issue(db: Database, **values: Any) -> int:
    """Queue one item to issue (keyword arguments: the ``IssueJob`` fields but the state)."""
    values.setdefault("preset_spent_cents", None)
    values.setdefault("preset_archived", 0)
    missing = set(_JOB_INSERTED) - set(values)
    if missing or set(values) - set(_JOB_INSERTED):
        raise ValueError(
            f"bad issue fields: {sorted(missing ^ (set(values) - set(_JOB_INSERTED)))}"
        )
    cur = db.execute(
        f"INSERT INTO ecard_issues ({', '.join(_JOB_INSERTED)})"
        f" VALUES ({', '.join(':' + n for n in _JOB_INSERTED)})",
        values,
    )
    return int(cur.lastrowid or 0)


def get_issue(db: Database, issue_id: int) -> IssueJob | None:
    """One queue row."""
    row = db.execute(f"SELECT {_JOB_COLUMNS} FROM ecard_issues WHERE id = ?", [issue_id]).fetchone()
    return IssueJob(**dict(row)) if row else None


def order_issues(db: Database, order_id: int) -> list[IssueJob]:
    """The queue rows of an order."""
    rows = db.execute(
        f"SELECT {_JOB_COLUMNS} FROM ecard_issues WHERE order_id = ? ORDER BY id", [order_id]
    ).fetchall()
    return [IssueJob(**dict(r)) for r in rows]


def claim_due(db: Database, *, now: str, lease_until: str, limit: int) -> list[IssueJob]:
    """Take up to ``limit`` due rows for this loop until ``lease_until`` (atomically:
    another process's loop skips them until the lease runs out)."""
    with transaction(db):
        rows = db.execute(
            f"SELECT {_JOB_COLUMNS} FROM ecard_issues WHERE status = 'pending' AND due_at <= ?"
            " AND (claimed_until IS NULL OR claimed_until <= ?) ORDER BY due_at, id LIMIT ?",
            [now, now, limit],
        ).fetchall()
        jobs = [IssueJob(**dict(r)) for r in rows]
        for job in jobs:
            db.execute(
                "UPDATE ecard_issues SET claimed_until = ? WHERE id = ?", [lease_until, job.id]
            )
    return jobs


def retry_later(db: Database, issue_id: int, *, due_at: str, error: str) -> bool:
    """The issuer failed: count the attempt, release the claim, try again at ``due_at``."""
    cur = db.execute(
        "UPDATE ecard_issues SET attempts = attempts + 1, due_at = ?, last_error = ?,"
        " claimed_until = NULL WHERE id = ? AND status = 'pending'",
        [due_at, error[:300], issue_id],
    )
    return cur.rowcount == 1


def mark_issued(db: Database, issue_id: int, card_id: int) -> bool:
    """Record the item issued for a queue row (only once)."""
    cur = db.execute(
        "UPDATE ecard_issues SET status = 'issued', card_id = ?, claimed_until = NULL,"
        " attempts = attempts + 1 WHERE id = ? AND status = 'pending'",
        [card_id, issue_id],
    )
    return cur.rowcount == 1


def cancel_issue(db: Database, issue_id: int) -> bool:
    """Drop a queue row whose order was cancelled before it was issued."""
    cur = db.execute(
        "UPDATE ecard_issues SET status = 'cancelled', claimed_until = NULL"
        " WHERE id = ? AND status = 'pending'",
        [issue_id],
    )
    return cur.rowcount == 1


def pending_count(db: Database) -> int:
    """How many items wait to be issued."""
    return int(
        db.execute("SELECT COUNT(*) FROM ecard_issues WHERE status = 'pending'").fetchone()[0]
    )


def next_due_at(db: Database) -> str | None:
    """When the next pending item is due (None: nothing waits)."""
    row = db.execute("SELECT MIN(due_at) FROM ecard_issues WHERE status = 'pending'").fetchone()
    return str(row[0]) if row and row[0] else None


# -- issued items -----------------------------------------------------------------------------


_CARD_INSERTED = tuple(
    f.name
    for f in fields(ECard)
    if f.name
    not in (
        "id",
        "issued_at",
        "archived_at",
        "balance_cents",
        "balance_checked_at",
        "balance_known",
        "pdf_file",
    )
)


def insert_card(db: Database, **values: Any) -> int:
    """Store an issued item (keyword arguments: the ``ECard`` fields set at issue)."""
    if set(values) != set(_CARD_INSERTED):
        raise ValueError(f"bad card fields: {sorted(set(values) ^ set(_CARD_INSERTED))}")
    cur = db.execute(
        f"INSERT INTO ecards ({', '.join(_CARD_INSERTED)})"
        f" VALUES ({', '.join(':' + n for n in _CARD_INSERTED)})",
        values,
    )
    return int(cur.lastrowid or 0)


def get_card(db: Database, card_id: int) -> ECard | None:
    """One issued item (no access check: services check)."""
    row = db.execute(f"SELECT {_CARD_COLUMNS} FROM ecards WHERE id = ?", [card_id]).fetchone()
    return ECard(**dict(row)) if row else None


def member_cards(db: Database, member_id: int, *, archived: bool) -> list[ECard]:
    """A member's items, active or archived, newest first."""
    clause = "archived_at IS NOT NULL" if archived else "archived_at IS NULL"
    rows = db.execute(
        f"SELECT {_CARD_COLUMNS} FROM ecards WHERE member_id = ? AND {clause} ORDER BY id DESC",
        [member_id],
    ).fetchall()
    return [ECard(**dict(r)) for r in rows]


def order_cards(db: Database, order_id: int) -> list[ECard]:
    """The items issued for an order."""
    rows = db.execute(
        f"SELECT {_CARD_COLUMNS} FROM ecards WHERE order_id = ? ORDER BY id", [order_id]
    ).fetchall()
    return [ECard(**dict(r)) for r in rows]


def set_archived(db: Database, card_id: int, member_id: int, archived_at: str | None) -> bool:
    """Archive (a time) or unarchive (None) one of the member's items."""
    cur = db.execute(
        "UPDATE ecards SET archived_at = ? WHERE id = ? AND member_id = ?",
        [archived_at, card_id, member_id],
    )
    return cur.rowcount == 1


def set_balance(db: Database, card_id: int, *, balance_cents: int | None, checked_at: str) -> None:
    """Remember the issuer's last answer about a balance (None: it cannot give one)."""
    db.execute(
        "UPDATE ecards SET balance_cents = ?, balance_checked_at = ?, balance_known = ?"
        " WHERE id = ?",
        [balance_cents, checked_at, 0 if balance_cents is None else 1, card_id],
    )


def set_pdf_file(db: Database, card_id: int, pdf_file: str) -> None:
    """Remember where the item's PDF was written (the member's outbox)."""
    db.execute("UPDATE ecards SET pdf_file = ? WHERE id = ?", [pdf_file, card_id])


# -- the sandbox issuer's own ledger ----------------------------------------------------------


@dataclass(frozen=True)
class SandboxCard:
    """A card as the sandbox issuer keeps it."""

    reference: str
    request_id: str
    partner: str
    kind: str
    value_cents: int
    spent_cents: int
    number_enc: str
    pin_enc: str | None


_SANDBOX_COLUMNS = ", ".join(f.name for f in fields(SandboxCard))


def sandbox_by_request(db: Database, request_id: str) -> SandboxCard | None:
    """The card the sandbox already issued for a request (requests are idempotent)."""
    row = db.execute(
        f"SELECT {_SANDBOX_COLUMNS} FROM sandbox_issuer_cards WHERE request_id = ?", [request_id]
    ).fetchone()
    return SandboxCard(**dict(row)) if row else None


def sandbox_get(db: Database, reference: str) -> SandboxCard | None:
    """A sandbox card by reference."""
    row = db.execute(
        f"SELECT {_SANDBOX_COLUMNS} FROM sandbox_issuer_cards WHERE reference = ?", [reference]
    ).fetchone()
    return SandboxCard(**dict(row)) if row else None


def sandbox_insert(db: Database, card: SandboxCard) -> bool:
    """Record a card issued by the sandbox (False: that request was already served)."""
    cur = db.execute(
        f"INSERT OR IGNORE INTO sandbox_issuer_cards ({_SANDBOX_COLUMNS})"
        f" VALUES ({', '.join('?' * len(fields(SandboxCard)))})",
        [getattr(card, f.name) for f in fields(SandboxCard)],
    )
    return cur.rowcount == 1


def sandbox_spend(db: Database, reference: str, cents: int) -> bool:
    """Spend on a sandbox card (a purchase at the store); refused past its value."""
    cur = db.execute(
        "UPDATE sandbox_issuer_cards SET spent_cents = spent_cents + ?"
        " WHERE reference = ? AND spent_cents + ? <= value_cents",
        [cents, reference, cents],
    )
    return cur.rowcount == 1


def member_pending_count(db: Database, member_id: int) -> int:
    """How many of a member's items are still to be issued."""
    return int(
        db.execute(
            "SELECT COUNT(*) FROM ecard_issues WHERE member_id = ? AND status = 'pending'",
            [member_id],
        ).fetchone()[0]
    )
