"""Directory benchmark: search-as-you-type latency at 100,000 members.

Run by hand (prints figures, asserts nothing):

    python -m tests.bench directory [--members 100000] [--searches 400]

Fills one organization with ``--members`` members (French-looking names, logins and
emails; inserted through the real schema, so the FTS5 triggers index each one), then
times ``directory.search`` — the service a manager's keystroke calls, with its
authorization read — for typed prefixes of 1 to 6 letters, names, logins and emails,
with and without a status filter, and the first page of the plain list. Prints p50 and
p99 per kind and overall (target: p99 well under 50 ms: one keystroke).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from portal.config import load_settings
from portal.data import members as members_data
from portal.data.db import connect, transaction
from portal.services import directory
from portal.services.runtime import init_database

FIRST = [
    "Alice",
    "Bruno",
    "Camille",
    "Denis",
    "Élodie",
    "François",
    "Gaëlle",
    "Hugo",
    "Inès",
    "Julien",
    "Karine",
    "Louis",
    "Manon",
    "Nicolas",
    "Océane",
    "Pierre",
    "Quentin",
    "Rose",
    "Sébastien",
    "Thomas",
    "Ulysse",
    "Valérie",
    "William",
    "Xavier",
    "Yasmine",
    "Zoé",
]
LAST = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèbvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench directory")
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=400)
    args = parser.parse_args(argv)
    rng = random.Random(12)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(environ={}, data_dir=Path(tmp))
        init_database(settings, with_demo=False)
        db = connect(settings.db_path)
        org = members_data.create_organization(db, "CSE Bench", "BENCH-1")
        manager_id = members_data.create_member(
            db,
            organization_id=org,
            login="gestion",
            first_name="Gestion",
            last_name="Bench",
            org_email="gestion@bench.example",
            password_hash=None,
            role="manager",
        )
        started = time.perf_counter()
        sample: list[str] = []
        with transaction(db):
            for n in range(args.members):
                first, last = rng.choice(FIRST), rng.choice(LAST)
                login = f"{first[0].lower()}{last.lower()}{n}"
                if n % 97 == 0:
                    sample.append(login)
                db.execute(
                    "INSERT INTO members (organization_id, login, first_name, last_name,"
                    " org_email, status) VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        org,
                        login,
                        first,
                        last,
                        f"{login}@bench.example",
                        "invited" if n % 20 == 0 else "active",
                    ],
                )
        fill = time.perf_counter() - started
        db.execute("ANALYZE")
        print(f"{args.members} members inserted and indexed in {fill:.1f} s")
        manager = members_data.get_member(db, manager_id)
        assert manager is not None
        words = [w.lower() for w in FIRST + LAST]
        kinds: dict[str, list[str | tuple[str, str]]] = {
            "1 letter": [w[:1] for w in words],
            "2-3 letters": [w[: rng.choice((2, 3))] for w in words],
            "4-6 letters": [w[: rng.choice((4, 5, 6))] for w in words],
            "first + last": [f"{f} {la[:3]}" for f in FIRST for la in LAST],
            "login": list(sample),
            "email": [f"{login}@bench.ex" for login in sample],
            "empty (first page)": [""],
            "status=invited": [("invited", w[:3]) for w in words],
        }
        overall: list[float] = []
        for kind, queries in kinds.items():
            times: list[float] = []
            for i in range(max(1, args.searches // len(kinds))):
                query = queries[i % len(queries)]
                status = None
                if isinstance(query, tuple):
                    status, query = query
                t0 = time.perf_counter()
                directory.search(db, manager, query, status=status)
                times.append((time.perf_counter() - t0) * 1000)
            overall += times
            print(
                f"  {kind:<20} p50 {statistics.median(times):6.2f} ms"
                f"   p99 {_pct(times, 0.99):6.2f} ms   ({len(times)} searches)"
            )
        print(
            f"search over {args.members} members: p50 {statistics.median(overall):.2f} ms,"
            f" p99 {_pct(overall, 0.99):.2f} ms ({len(overall)} searches)"
        )
        db.conn.close()
