"""Benefits: member profile (quotient familial), subsidy rules, allocation programs,
allocations and the append-only wallet ledger.

A balance is never a stored number: it is the sum of the ledger rows of an allocation.
Triggers keep the ledger append-only and refuse any row that would take a balance below
zero, so even a buggy caller cannot overdraw.
"""

from __future__ import annotations

from sqlite_utils import Database

NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))"


def up(db: Database) -> None:
    """Create the wallet tables."""
    db.executescript(
        f"""
        CREATE TABLE member_profiles (
            member_id INTEGER PRIMARY KEY REFERENCES members(id),
            quotient_familial INTEGER CHECK (quotient_familial IS NULL OR quotient_familial >= 0),
            updated_at TEXT NOT NULL DEFAULT {NOW}
        );

        CREATE TABLE subsidy_rules (
            id INTEGER PRIMARY KEY,
            organization_id INTEGER NOT NULL REFERENCES organizations(id),
            label TEXT NOT NULL,
            category TEXT NOT NULL,
            offer_kind TEXT CHECK (offer_kind IS NULL OR offer_kind IN ('ecard','eticket','product')),
            mode TEXT NOT NULL CHECK (mode IN ('percent','fixed')),
            percent_bp INTEGER NOT NULL DEFAULT 0 CHECK (percent_bp BETWEEN 0 AND 10000),
            fixed_cents INTEGER NOT NULL DEFAULT 0 CHECK (fixed_cents >= 0),
            cap_per_item_cents INTEGER CHECK (cap_per_item_cents IS NULL OR cap_per_item_cents > 0),
            cap_per_year_cents INTEGER CHECK (cap_per_year_cents IS NULL OR cap_per_year_cents > 0),
            max_count INTEGER CHECK (max_count IS NULL OR max_count > 0),
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL DEFAULT {NOW}
        );
        CREATE INDEX subsidy_rules_org ON subsidy_rules(organization_id, category);
        CREATE TABLE subsidy_brackets (
            id INTEGER PRIMARY KEY,
            rule_id INTEGER NOT NULL REFERENCES subsidy_rules(id) ON DELETE CASCADE,
            qf_max INTEGER CHECK (qf_max IS NULL OR qf_max >= 0),
            percent_bp INTEGER CHECK (percent_bp IS NULL OR percent_bp BETWEEN 0 AND 10000),
            fixed_cents INTEGER CHECK (fixed_cents IS NULL OR fixed_cents >= 0)
        );
        CREATE INDEX subsidy_brackets_rule ON subsidy_brackets(rule_id);

        CREATE TABLE allocation_programs (
            id INTEGER PRIMARY KEY,
            organization_id INTEGER NOT NULL REFERENCES organizations(id),
            kind TEXT NOT NULL CHECK (kind IN ('subsidy','gift','culture')),
            label TEXT NOT NULL,
            amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
            year INTEGER NOT NULL,
            valid_from TEXT NOT NULL,
            valid_until TEXT NOT NULL,
            rule_id INTEGER REFERENCES subsidy_rules(id),
            categories TEXT,
            event TEXT,
            target TEXT NOT NULL DEFAULT 'member' CHECK (target IN ('member','group','all')),
            renews INTEGER NOT NULL DEFAULT 1,
            renewed_from INTEGER REFERENCES allocation_programs(id),
            created_by INTEGER REFERENCES members(id),
            created_at TEXT NOT NULL DEFAULT {NOW},
            CHECK (valid_from <= valid_until),
            CHECK (kind <> 'subsidy' OR rule_id IS NOT NULL)
        );
        CREATE INDEX allocation_programs_org ON allocation_programs(organization_id, year);
        CREATE UNIQUE INDEX allocation_programs_renewal ON allocation_programs(renewed_from)
            WHERE renewed_from IS NOT NULL;

        CREATE TABLE allocations (
            id INTEGER PRIMARY KEY,
            program_id INTEGER NOT NULL REFERENCES allocation_programs(id),
            member_id INTEGER NOT NULL REFERENCES members(id),
            organization_id INTEGER NOT NULL REFERENCES organizations(id),
            amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
            created_at TEXT NOT NULL DEFAULT {NOW},
            UNIQUE (program_id, member_id)
        );
        CREATE INDEX allocations_member ON allocations(member_id);

        CREATE TABLE wallet_ledger (
            id INTEGER PRIMARY KEY,
            allocation_id INTEGER NOT NULL REFERENCES allocations(id),
            member_id INTEGER NOT NULL REFERENCES members(id),
            entry TEXT NOT NULL CHECK (entry IN ('grant','debit','refund','lapse')),
            amount_cents INTEGER NOT NULL,
            item_count INTEGER NOT NULL DEFAULT 0,
            order_id INTEGER REFERENCES orders(id),
            actor_id INTEGER,
            at TEXT NOT NULL DEFAULT {NOW},
            CHECK ((entry IN ('grant','refund') AND amount_cents > 0)
                OR (entry IN ('debit','lapse') AND amount_cents < 0))
        );
        CREATE INDEX wallet_ledger_allocation ON wallet_ledger(allocation_id, amount_cents, item_count);
        CREATE INDEX wallet_ledger_order ON wallet_ledger(order_id) WHERE order_id IS NOT NULL;
        CREATE TRIGGER wallet_ledger_no_update BEFORE UPDATE ON wallet_ledger
        BEGIN SELECT RAISE(ABORT, 'wallet ledger is append-only'); END;
        CREATE TRIGGER wallet_ledger_no_delete BEFORE DELETE ON wallet_ledger
        BEGIN SELECT RAISE(ABORT, 'wallet ledger is append-only'); END;
        CREATE TRIGGER wallet_ledger_no_overdraft AFTER INSERT ON wallet_ledger
        WHEN (SELECT SUM(amount_cents) FROM wallet_ledger WHERE allocation_id = NEW.allocation_id) < 0
        BEGIN SELECT RAISE(ABORT, 'wallet balance cannot go negative'); END;
        """
    )
