"""The dashboard's monthly ledger sums, and indexes for it and the audit viewer (issue 13).

Summing a million ledger rows at each dashboard visit takes seconds; the ledger is
append-only, so its sums per organization, program, month and entry can be kept as rows
are written: ``ledger_monthly`` is updated by a trigger in the inserting transaction
(the checkout's own), and filled from the existing rows here. The dashboard then reads
a few hundred rows whatever the ledger's size. ``tests/unit/test_dashboard.py`` checks
its figures against the raw ledger; ``python -m tests.bench dashboard`` measures.

Indexes: member counts by organization and status; orders per month, buyers and
parcels to ship; order lines of the top offers; the audit viewer pages newest first,
filtered by action or by target.
"""

from __future__ import annotations

from sqlite_utils import Database

STATEMENTS = (
    """CREATE TABLE ledger_monthly (
        organization_id INTEGER NOT NULL,
        program_id INTEGER NOT NULL,
        month TEXT NOT NULL,
        entry TEXT NOT NULL,
        amount_cents INTEGER NOT NULL,
        rows INTEGER NOT NULL,
        PRIMARY KEY (organization_id, program_id, month, entry)
    ) WITHOUT ROWID""",
    """INSERT INTO ledger_monthly (organization_id, program_id, month, entry, amount_cents, rows)
    SELECT a.organization_id, a.program_id, substr(l.at, 1, 7), l.entry,
           SUM(l.amount_cents), count(*)
    FROM wallet_ledger l JOIN allocations a ON a.id = l.allocation_id
    GROUP BY a.organization_id, a.program_id, substr(l.at, 1, 7), l.entry""",
    """CREATE TRIGGER wallet_ledger_monthly AFTER INSERT ON wallet_ledger BEGIN
        INSERT INTO ledger_monthly (organization_id, program_id, month, entry,
                                    amount_cents, rows)
        SELECT a.organization_id, a.program_id, substr(NEW.at, 1, 7), NEW.entry,
               NEW.amount_cents, 1
        FROM allocations a WHERE a.id = NEW.allocation_id
        ON CONFLICT (organization_id, program_id, month, entry) DO UPDATE
        SET amount_cents = amount_cents + excluded.amount_cents, rows = rows + 1;
    END""",
    "CREATE INDEX ledger_monthly_month ON ledger_monthly(month, organization_id)",
    "CREATE INDEX allocations_org_program ON allocations(organization_id, program_id)",
    "CREATE INDEX members_org_status ON members(organization_id, status, role)",
    "CREATE INDEX orders_org_created"
    " ON orders(organization_id, created_at, status, card_cents, member_id)",
    "CREATE INDEX orders_created ON orders(created_at, status, card_cents, member_id)",
    "CREATE INDEX orders_to_ship ON orders(organization_id, created_at)"
    " WHERE status IN ('validated', 'preparing') AND has_postal = 1",
    "CREATE INDEX order_lines_top"
    " ON order_lines(order_id, status, offer_id, quantity, line_total_cents, title)",
    "CREATE INDEX audit_action_id ON audit_log(action, id)",
    "CREATE INDEX audit_org_action_id ON audit_log(organization_id, action, id)",
    "CREATE INDEX audit_target_id ON audit_log(target, id)",
    "CREATE INDEX audit_org_id ON audit_log(organization_id, id)",
)


def up(db: Database) -> None:
    """Create the monthly sums (filled from the ledger), their trigger and the indexes."""
    for statement in STATEMENTS:
        db.execute(statement)
