"""CSV import benchmark: rows per second, and the event loop's lag while importing.

Run by hand (prints figures, asserts nothing):

    python -m tests.bench import [--rows 10000] [--batch 500] [--threads 4]

Makes a CSV file of ``--rows`` members (groups, family data on one row in three), then,
as the import screen does, runs the dry run and one ``member_import.apply_batch`` per
batch on the store's worker threads from an asyncio loop, while a ticker task measures
how late the loop wakes up (what another session's keystroke would wait). Prints the dry
run's and the import's rows per second, the max and p99 loop lag, and the second import
of the same file (everything unchanged, nothing created).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from portal.config import load_settings
from portal.data import members as members_data
from portal.data.db import Store, connect, transaction
from portal.services import member_import
from portal.services.runtime import init_database

SITES = ["Lyon", "Paris", "Nantes", "Lille"]
SITUATIONS = ["marié", "célibataire", "pacsé", "divorcé"]


def make_csv(rows: int) -> bytes:
    """A ``;``-separated file as a spreadsheet would export it (UTF-8 with a BOM)."""
    lines = ["login;prénom;nom;email;groupes;situation familiale;années de naissance;qf"]
    for i in range(rows):
        family = (
            f"{SITUATIONS[i % 4]};{2010 + i % 12} {2014 + i % 9};{400 + i % 1500}"
            if i % 3 == 0
            else ";;"
        )
        lines.append(f";Prénom{i};Nom{i};membre{i}@bench.example;Site {SITES[i % 4]}|CDI;{family}")
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


async def _ticker(lags: list[float], stop: asyncio.Event, period: float = 0.005) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        start = loop.time()
        await asyncio.sleep(period)
        lags.append(max(0.0, loop.time() - start - period))


async def _run(store: Store, actor, data: bytes, settings, batch: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    lags: list[float] = []
    stop = asyncio.Event()
    ticker = asyncio.create_task(_ticker(lags, stop))
    started = time.perf_counter()
    plan = await store.run(member_import.plan, actor, data, settings=settings)
    planned = time.perf_counter()
    results = []
    for rows in member_import.batches(plan.rows, batch):
        results.append(
            await store.run(
                member_import.apply_batch,
                actor,
                rows,
                organization_id=plan.organization_id,
                settings=settings,
            )
        )
    done = time.perf_counter()
    stop.set()
    await ticker
    summary = member_import.summarize(plan, results)
    lags.sort()
    return {
        "dry_run_s": planned - started,
        "import_s": done - planned,
        "created": summary.created,
        "unchanged": summary.unchanged,
        "rejected": summary.rejected,
        "lag_max_ms": 1000 * max(lags, default=0.0),
        "lag_p99_ms": 1000 * (lags[int(0.99 * (len(lags) - 1))] if lags else 0.0),
        "lag_median_ms": 1000 * (statistics.median(lags) if lags else 0.0),
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench import")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=member_import.BATCH_SIZE)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(environ={}, data_dir=Path(tmp))
        init_database(settings, with_demo=False)
        db = connect(settings.db_path)
        with transaction(db):
            org = members_data.create_organization(db, "CSE Bench", "BENCH-2026")
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
        actor = members_data.get_member(db, manager_id)
        db.conn.close()
        data = make_csv(args.rows)
        store = Store(settings.db_path, args.threads)
        try:
            for label in ("first import", "same file again"):
                figures = asyncio.run(_run(store, actor, data, settings, args.batch))
                rows = args.rows
                print(
                    f"{label}: {rows} rows; dry run {figures['dry_run_s']:.2f} s "
                    f"({rows / figures['dry_run_s']:.0f} rows/s); import "
                    f"{figures['import_s']:.2f} s ({rows / max(figures['import_s'], 1e-9):.0f} rows/s); "
                    f"created {figures['created']:.0f}, unchanged {figures['unchanged']:.0f}, "
                    f"rejected {figures['rejected']:.0f}; event-loop lag max "
                    f"{figures['lag_max_ms']:.1f} ms, p99 {figures['lag_p99_ms']:.1f} ms, "
                    f"median {figures['lag_median_ms']:.2f} ms",
                    flush=True,
                )
        finally:
            store.close()
