"""Dashboard benchmark: the figures' query times at 100,000 members, 1,000,000 ledger rows.

Run by hand (prints figures, asserts nothing):

    python -m tests.bench dashboard [--members 100000] [--ledger 1000000] [--orders 200000]

Fills a fresh database (through the real schema and its triggers: the ledger's
no-overdraft check runs for every row) with two organizations (80 % / 20 % of the
members), six programs each for this year, three allocations per member, a grant per
allocation and debits up to ``--ledger`` rows spread over the year, ``--orders`` orders
with one or two lines, and 200,000 audit rows. Then times each query of
``portal.data.dashboard`` and the whole ``services.dashboard.load`` for a manager of the
large organization, of the small one, and an admin (every organization), and the audit
viewer's first page with and without filters. Prints the median and the worst of
``--repeat`` runs, in milliseconds, and the plans' index use.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from portal.config import load_settings
from portal.data import dashboard as dashboard_data
from portal.data import members as members_data
from portal.data.db import connect, transaction
from portal.services import audit_view, clock, dashboard
from portal.services.runtime import init_database


def _fill(db: Any, members: int, ledger: int, orders: int, rng: random.Random) -> None:
    year = clock.now().year
    started = time.perf_counter()
    with transaction(db):
        orgs = [
            members_data.create_organization(db, "Bench A", "BENCH-A"),
            members_data.create_organization(db, "Bench B", "BENCH-B"),
        ]
        big = int(members * 0.8)
        db.conn.executemany(
            "INSERT INTO members (organization_id, login, first_name, last_name, org_email, role)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                (
                    orgs[0] if i < big else orgs[1],
                    f"m{i}",
                    f"Prénom{i % 997}",
                    f"Nom{i % 1009}",
                    f"m{i}@bench.example",
                    "manager" if i in (0, big) else "member",
                )
                for i in range(members)
            ),
        )
        db.execute(
            "INSERT INTO members (organization_id, login, first_name, last_name, org_email,"
            " role) VALUES (?, 'bench-admin', 'Admin', 'Bench', 'admin@bench.example', 'admin')",
            [orgs[0]],
        )
        rule = {}
        for org in orgs:
            rule[org] = db.execute(
                "INSERT INTO subsidy_rules (organization_id, label, category, mode, percent_bp)"
                " VALUES (?, 'Cinéma', 'cinema', 'percent', 5000)",
                [org],
            ).lastrowid
        programs: dict[int, list[int]] = {}
        for org in orgs:
            programs[org] = []
            for n, kind in enumerate(("subsidy", "gift", "culture", "gift", "subsidy", "gift")):
                programs[org].append(
                    int(
                        db.execute(
                            "INSERT INTO allocation_programs (organization_id, kind, label,"
                            " amount_cents, year, valid_from, valid_until, rule_id)"
                            " VALUES (?, ?, ?, 50000, ?, ?, ?, ?)",
                            [
                                org,
                                kind,
                                f"Programme {n + 1} {year}",
                                year,
                                f"{year}-01-01",
                                f"{year}-12-31",
                                rule[org] if kind == "subsidy" else None,
                            ],
                        ).lastrowid
                        or 0
                    )
                )
        ids = [r[0] for r in db.execute("SELECT id, organization_id FROM members").fetchall()]
        org_of = dict(db.execute("SELECT id, organization_id FROM members").fetchall())
        db.conn.executemany(
            "INSERT INTO allocations (program_id, member_id, organization_id, amount_cents)"
            " VALUES (?, ?, ?, 50000)",
            ((programs[org_of[m]][(m + k) % 6], m, org_of[m]) for m in ids for k in range(3)),
        )
        allocations = db.execute("SELECT id, member_id FROM allocations").fetchall()
        db.conn.executemany(
            "INSERT INTO wallet_ledger (allocation_id, member_id, entry, amount_cents, at)"
            " VALUES (?, ?, 'grant', 50000, ?)",
            ((a, m, f"{year}-01-02T08:00:00.000Z") for a, m in allocations),
        )
        debits = max(0, ledger - len(allocations))
        db.conn.executemany(
            "INSERT INTO wallet_ledger (allocation_id, member_id, entry, amount_cents, at)"
            " VALUES (?, ?, 'debit', ?, ?)",
            (
                (
                    *allocations[i % len(allocations)],
                    -rng.randint(100, 1500),
                    f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T12:00:00.000Z",
                )
                for i in range(debits)
            ),
        )
        statuses = ("validated", "preparing", "shipped", "available", "cancelled")
        db.conn.executemany(
            "INSERT INTO orders (member_id, organization_id, status, total_cents,"
            " benefits_cents, card_cents, line_count, summary, has_postal, created_at,"
            " terms_accepted_at) VALUES (?, ?, ?, 5000, 2000, 3000, 1, 'x', ?, ?, ?)",
            (
                (
                    m := ids[rng.randrange(len(ids))],
                    org_of[m],
                    statuses[i % 5],
                    i % 3 == 0,
                    stamp := f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T10:00:00Z",
                    stamp,
                )
                for i in range(orders)
            ),
        )
        db.execute(
            "INSERT INTO order_lines (order_id, position, offer_id, title, kind, category,"
            " face_value_cents, quantity, unit_price_cents, line_total_cents, fulfilment)"
            " SELECT id, 1, id % 40, 'Offre ' || (id % 40), 'ecard', 'shopping', 5000, 1,"
            " 5000, 5000, 'digital' FROM orders"
        )
        db.conn.executemany(
            "INSERT INTO audit_log (actor_id, organization_id, action, target, details)"
            " VALUES (?, ?, ?, ?, '{}')",
            (
                (
                    m := ids[i % len(ids)],
                    org_of[m],
                    ("auth.login", "order.placed", "wallet.allocate", "member.invite")[i % 4],
                    f"m{m}",
                )
                for i in range(200_000)
            ),
        )
    db.execute("ANALYZE")
    count = db.execute("SELECT count(*) FROM wallet_ledger").fetchone()[0]
    print(
        f"filled: {members} members, {count} ledger rows, {orders} orders, 200000 audit rows"
        f" in {time.perf_counter() - started:.1f} s"
    )


def _time(label: str, fn: Callable[[], Any], repeat: int) -> None:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    print(f"  {label:<44} p50 {statistics.median(runs):8.1f} ms   max {max(runs):8.1f} ms")


def _queries(db: Any, org: int, year: int, repeat: int) -> None:
    """Time each query of the dashboard for one organization."""
    queries: dict[str, Callable[[], Any]] = {
        "benefits_per_month": lambda: dashboard_data.benefits_per_month(db, org, year),
        "orders_per_month": lambda: dashboard_data.orders_per_month(db, org, year),
        "program_use": lambda: dashboard_data.program_use(db, org, year),
        "top_offers": lambda: dashboard_data.top_offers(db, org, year),
        "member_counts": lambda: dashboard_data.member_counts(db, org, year),
        "orders_to_ship": lambda: dashboard_data.orders_to_ship(db, org),
    }
    for label, fn in queries.items():
        _time(label, fn, repeat)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench dashboard")
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--ledger", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    rng = random.Random(13)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(environ={}, data_dir=Path(tmp))
        init_database(settings, with_demo=False)
        db = connect(settings.db_path)
        _fill(db, args.members, args.ledger, args.orders, rng)
        year = clock.now().year
        a, b = (r[0] for r in db.execute("SELECT id FROM organizations ORDER BY id"))
        manager_a = members_data.get_member_by_login(db, "m0")
        manager_b = members_data.get_member_by_login(db, f"m{int(args.members * 0.8)}")
        admin = members_data.get_member_by_login(db, "bench-admin")
        assert manager_a and manager_b and admin
        for label, org in (("organization A (80 %)", a), ("organization B (20 %)", b)):
            print(f"{label}:")
            _queries(db, org, year, args.repeat)
        print("whole dashboard (services.dashboard.load):")
        _time("manager of A", lambda: dashboard.load(db, manager_a, None, year), args.repeat)
        _time("manager of B", lambda: dashboard.load(db, manager_b, None, year), args.repeat)
        _time(
            "admin, every organization", lambda: dashboard.load(db, admin, None, year), args.repeat
        )
        print("audit viewer (first page of 50, with the count):")
        plain = audit_view.build_query()
        by_action = audit_view.build_query(action="order.")
        by_target = audit_view.build_query(target="m12")
        _time(
            "manager of A, no filter", lambda: audit_view.search(db, manager_a, plain), args.repeat
        )
        _time(
            "manager of A, action prefix",
            lambda: audit_view.search(db, manager_a, by_action),
            args.repeat,
        )
        _time(
            "manager of A, target text",
            lambda: audit_view.search(db, manager_a, by_target),
            args.repeat,
        )
        _time("admin, no filter", lambda: audit_view.search(db, admin, plain), args.repeat)
        db.conn.close()


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
