"""Members' data rights (GDPR): deletion requests, a member's data, and its erasure.

``member_data`` reads everything the platform holds about one member, secrets aside
(no password hash, TOTP secret, recovery code, e-card number or PIN: masked numbers
only). ``erase_member`` anonymises the account in place: the row stays (orders,
invoices and the wallet ledger point at it and are kept for the legal period), its
name, login and emails become a pseudonym, and every table of personal data or secrets
loses the member's rows. The connection runs with ``secure_delete=ON`` (see ``db``), so
what is deleted or overwritten is zeroed in the file too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database


@dataclass(frozen=True)
class DeletionRequest:
    """A member's request to have their account deleted."""

    id: int
    member_id: int
    organization_id: int | None
    login: str
    first_name: str
    last_name: str
    reason: str
    status: str
    requested_at: str
    decided_at: str | None

    @property
    def full_name(self) -> str:
        """First and last name (the pseudonym once done)."""
        return f"{self.first_name} {self.last_name}".strip()


_REQUEST_SELECT = """
    SELECT r.id, r.member_id, r.organization_id, m.login, m.first_name, m.last_name,
           r.reason, r.status, r.requested_at, r.decided_at
    FROM deletion_requests r JOIN members m ON m.id = r.member_id
"""


def insert_request(db: Database, member_id: int, organization_id: int | None, reason: str) -> int:
    """Record a request (one open request per member: a unique index holds it)."""
    cur = db.execute(
        "INSERT INTO deletion_requests (member_id, organization_id, reason) VALUES (?, ?, ?)",
        [member_id, organization_id, reason],
    )
    return int(cur.lastrowid or 0)


def open_request(db: Database, member_id: int) -> DeletionRequest | None:
    """The member's request waiting for a manager, if any."""
    row = db.execute(
        _REQUEST_SELECT + " WHERE r.member_id = ? AND r.status = 'requested'", [member_id]
    ).fetchone()
    return DeletionRequest(**dict(row)) if row else None


def get_request(db: Database, request_id: int) -> DeletionRequest | None:
    """One request."""
    row = db.execute(_REQUEST_SELECT + " WHERE r.id = ?", [request_id]).fetchone()
    return DeletionRequest(**dict(row)) if row else None


def list_open(db: Database, organization_id: int | None) -> list[DeletionRequest]:
    """Requests waiting, oldest first (one organization's, or all)."""
    sql = _REQUEST_SELECT + " WHERE r.status = 'requested'"
    params: list[Any] = []
    if organization_id is not None:
        sql += " AND r.organization_id = ?"
        params.append(organization_id)
    rows = db.execute(sql + " ORDER BY r.requested_at, r.id", params).fetchall()
    return [DeletionRequest(**dict(r)) for r in rows]


def decide(db: Database, request_id: int, status: str, actor_id: int | None) -> bool:
    """Close a waiting request (``cancelled``, ``refused`` or ``done``); False if it no
    longer waits. The reason is erased when done (it may name the member)."""
    cur = db.execute(
        "UPDATE deletion_requests SET status = ?, decided_by = ?,"
        " decided_at = strftime('%Y-%m-%dT%H:%M:%fZ','now'),"
        " reason = CASE WHEN ? = 'done' THEN '' ELSE reason END"
        " WHERE id = ? AND status = 'requested'",
        [status, actor_id, status, request_id],
    )
    return cur.rowcount == 1


# -- what a member's export holds ------------------------------------------------------


def _dicts(db: Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    return [dict(r) for r in db.execute(sql, params).fetchall()]


def _has_table(db: Database, name: str) -> bool:
    return (
        db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name]
        ).fetchone()
        is not None
    )


def member_data(db: Database, member_id: int) -> dict[str, Any]:
    """Everything about one member, secrets aside, as JSON-ready dicts and lists."""
    m = [member_id]
    profile = _dicts(
        db,
        "SELECT m.login, m.first_name, m.last_name, m.org_email, COALESCE(o.name, '')"
        " AS organization, m.role, m.status, m.language, m.created_at"
        " FROM members m LEFT JOIN organizations o ON o.id = m.organization_id WHERE m.id = ?",
        m,
    )
    data: dict[str, Any] = {"profile": profile[0] if profile else {}}
    contact = _dicts(
        db,
        "SELECT comm_email, comm_email_verified_at, street, street2, postal_code, city,"
        " newsletter, updated_at FROM contact_details WHERE member_id = ?",
        m,
    )
    data["contact_details"] = contact[0] if contact else {}
    delivery = _dicts(
        db,
        "SELECT line1, line2, postal_code, city, phone, email, updated_at"
        " FROM checkout_delivery WHERE member_id = ?",
        m,
    )
    data["delivery_address"] = delivery[0] if delivery else {}
    family = _dicts(db, "SELECT situation, updated_at FROM member_family WHERE member_id = ?", m)
    qf = _dicts(db, "SELECT quotient_familial FROM member_profiles WHERE member_id = ?", m)
    data["family"] = {
        "situation": family[0]["situation"] if family else None,
        "children_birth_years": [
            r["birth_year"]
            for r in _dicts(
                db,
                "SELECT birth_year FROM member_children WHERE member_id = ? ORDER BY birth_year",
                m,
            )
        ],
        "quotient_familial": qf[0]["quotient_familial"] if qf else None,
    }
    data["groups"] = [
        r["name"]
        for r in _dicts(
            db,
            "SELECT g.name FROM group_memberships gm JOIN member_groups g ON g.id = gm.group_id"
            " WHERE gm.member_id = ? ORDER BY g.name",
            m,
        )
    ]
    allocations = _dicts(
        db,
        "SELECT a.id, p.label AS program, p.kind, p.year, p.valid_from, p.valid_until,"
        " a.amount_cents, a.created_at,"
        " COALESCE((SELECT SUM(amount_cents) FROM wallet_ledger WHERE allocation_id = a.id), 0)"
        " AS balance_cents"
        " FROM allocations a JOIN allocation_programs p ON p.id = a.program_id"
        " WHERE a.member_id = ? ORDER BY a.id",
        m,
    )
    for allocation in allocations:
        allocation["ledger"] = _dicts(
            db,
            "SELECT entry, amount_cents, order_id, at FROM wallet_ledger"
            " WHERE allocation_id = ? ORDER BY id",
            [allocation.pop("id")],
        )
    data["allocations"] = allocations
    orders = _dicts(
        db,
        "SELECT id, created_at, status, total_cents, benefits_cents, card_cents,"
        " shipping_cents, invoice_number, tracking_number, shipped_at, cancelled_at,"
        " cancel_reason, delivery_line1, delivery_line2, delivery_postal_code, delivery_city,"
        " delivery_phone, delivery_email FROM orders WHERE member_id = ? ORDER BY id",
        m,
    )
    for order in orders:
        order["lines"] = _dicts(
            db,
            "SELECT title, kind, quantity, face_value_cents, unit_price_cents,"
            " line_total_cents, status FROM order_lines WHERE order_id = ? ORDER BY position",
            [order["id"]],
        )
        card = _dicts(
            db,
            "SELECT brand, last4, amount_cents, status FROM card_payments WHERE order_id = ?",
            [order["id"]],
        )
        order["card_payment"] = card[0] if card else None
    data["orders"] = orders
    data["ecards"] = _dicts(
        db,
        "SELECT kind, partner, title, number_masked, value_cents, purchased_at, issued_at,"
        " expires_on, archived_at, balance_cents FROM ecards WHERE member_id = ? ORDER BY id",
        m,
    )
    data["documents"] = _dicts(
        db,
        "SELECT type, label, note, original_name, content_type, size, status, reason,"
        " created_at, decided_at FROM credentials WHERE member_id = ? ORDER BY id",
        m,
    )
    data["ssh_keys"] = _dicts(
        db,
        "SELECT algorithm, fingerprint, label, created_at, last_used_at FROM ssh_keys"
        " WHERE member_id = ? ORDER BY id",
        m,
    )
    totp = _dicts(db, "SELECT enabled, enabled_at FROM member_totp WHERE member_id = ?", m)
    data["two_factor"] = {
        "enabled": bool(totp[0]["enabled"]) if totp else False,
        "enabled_at": totp[0]["enabled_at"] if totp else None,
    }
    data["logins"] = _dicts(
        db,
        "SELECT at, ip, COALESCE(json_extract(details, '$.method'), '') AS method"
        " FROM audit_log WHERE actor_id = ? AND action = 'auth.login' ORDER BY id DESC"
        " LIMIT 1000",
        m,
    )
    data["deletion_requests"] = _dicts(
        db,
        "SELECT reason, status, requested_at, decided_at FROM deletion_requests"
        " WHERE member_id = ? ORDER BY id",
        m,
    )
    return data


# -- erasure ---------------------------------------------------------------------------


def personal_strings(db: Database, member_id: int) -> list[str]:
    """The texts that identify the member wherever they were copied: login, names,
    emails, addresses and phone numbers (to rewrite in the audit log)."""
    m = [member_id]
    found: list[str] = []
    for sql in (
        "SELECT login, first_name, last_name, first_name || ' ' || last_name, org_email"
        " FROM members WHERE id = ?",
        "SELECT comm_email, street, street2, city FROM contact_details WHERE member_id = ?",
        "SELECT line1, line2, city, phone, email FROM checkout_delivery WHERE member_id = ?",
        "SELECT email FROM email_verifications WHERE member_id = ?",
        "SELECT delivery_line1, delivery_line2, delivery_phone, delivery_email FROM orders"
        " WHERE member_id = ?",
        "SELECT email, first_name, last_name, login FROM signup_requests WHERE member_id = ?",
    ):
        for row in db.execute(sql, m).fetchall():
            found.extend(str(v) for v in row if v)
    return found


def credential_files(db: Database, member_id: int) -> list[str]:
    """Stored names of the member's documents (files under ``credentials/``)."""
    rows = db.execute("SELECT stored_name FROM credentials WHERE member_id = ?", [member_id])
    return [str(r[0]) for r in rows.fetchall()]


_DELETE_BY_MEMBER = (
    "family_proofs",
    "credentials",
    "member_totp",
    "recovery_codes",
    "ssh_keys",
    "email_verifications",
    "contact_details",
    "checkout_delivery",
    "member_children",
    "member_family",
    "member_profiles",
    "basket_lines",
    "membership_verifications",
    "group_memberships",
    "invitations",
)
"""Tables of personal data or secrets whose rows of the member go entirely."""


def erase_member(db: Database, member_id: int, login: str, pseudonym: str) -> None:
    """Anonymise the member in place (call inside a transaction, audit rewritten apart).

    Accounting rows (orders and their lines, payments, invoices, credit notes, the
    wallet ledger, allocations) stay, pointing at the pseudonymised account; the
    delivery addresses copied on orders are erased, and e-cards keep their masked number
    only.
    """
    m = [member_id]
    for table in _DELETE_BY_MEMBER:
        if _has_table(db, table):
            db.execute(f"DELETE FROM [{table}] WHERE member_id = ?", m)
    emails = [
        r[0] for r in db.execute("SELECT lower(org_email) FROM members WHERE id = ?", m).fetchall()
    ]
    db.execute(
        "DELETE FROM email_outbox WHERE member_id = ? OR lower(recipient) IN"
        " (SELECT value FROM json_each(?))",
        [member_id, _json_list(emails)],
    )
    db.execute("DELETE FROM auth_throttle WHERE lower(key) = lower(?)", [login])
    db.execute(
        "UPDATE signup_requests SET first_name = ?, last_name = '', email = '', login = ?,"
        " password_hash = NULL, ip = NULL, reason = NULL"
        " WHERE member_id = ? OR login = ?",
        [pseudonym, pseudonym, member_id, login],
    )
    db.execute(
        "UPDATE orders SET delivery_line1 = NULL, delivery_line2 = NULL,"
        " delivery_postal_code = NULL, delivery_city = NULL, delivery_phone = NULL,"
        " delivery_email = NULL WHERE member_id = ?",
        m,
    )
    db.execute("UPDATE ecards SET number_enc = '', pin_enc = NULL WHERE member_id = ?", m)
    db.execute(
        "UPDATE members SET login = ?, first_name = ?, last_name = '', org_email = '',"
        " password_hash = NULL, status = 'deactivated' WHERE id = ?",
        [pseudonym, pseudonym, member_id],
    )
    # The full-text index keeps deleted terms in its older segments until they merge.
    db.execute("INSERT INTO members_fts(members_fts) VALUES ('optimize')")


def _json_list(values: list[str]) -> str:
    return json.dumps(values)


def checkpoint(db: Database) -> None:
    """Fold the write-ahead log into the file and empty it (best effort: a reader may
    hold it; the next checkpoint then finishes the work)."""
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
