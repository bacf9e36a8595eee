"""Password hashing: OWASP's argon2id parameters, rehash at login, bounded hashing."""

from __future__ import annotations

import asyncio
import sys
import threading

import pytest
from argon2 import PasswordHasher, Type, extract_parameters
from sqlite_utils import Database

from portal.data import members as members_data
from portal.services import gate, passwords
from portal.services.gate import GatePolicy

ALICE = "Soleil-Vert-2026!"
OLD = PasswordHasher()  # argon2-cffi's defaults: 64 MiB, t=3, p=4 (what hashes were made with)


def test_hashes_use_owasp_argon2id_parameters() -> None:
    params = extract_parameters(passwords.hash_password("correct horse battery"))
    assert params.type is Type.ID
    # OWASP: m = 19 MiB with t = 2 (or m = 46 MiB with t = 1), p = 1.
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2
    assert params.parallelism == 1


def test_verify_and_refuse() -> None:
    stored = passwords.hash_password("correct horse battery")
    assert passwords.verify_password(stored, "correct horse battery")
    assert not passwords.verify_password(stored, "wrong")
    assert not passwords.verify_password(None, "anything")
    assert not passwords.verify_password("not-a-hash", "anything")


def test_old_hashes_need_a_rehash_new_ones_do_not() -> None:
    assert passwords.needs_rehash(OLD.hash("x"))
    assert not passwords.needs_rehash(passwords.hash_password("x"))
    assert passwords.needs_rehash("garbage")


def test_a_login_with_an_old_hash_stores_a_new_one(db: Database) -> None:
    alice = members_data.get_member_by_login(db, "alice")
    assert alice is not None
    members_data.set_password_hash(db, alice.id, OLD.hash(ALICE))
    attempt = gate.check_password(db, "alice", ALICE, ip="10.0.0.1", policy=GatePolicy())
    assert attempt.member is not None
    stored = members_data.get_password_hash(db, alice.id)
    assert stored is not None and not passwords.needs_rehash(stored)
    assert passwords.verify_password(stored, ALICE)


async def test_the_gate_path_verifies_in_the_pool_and_rehashes(db: Database) -> None:
    alice = members_data.get_member_by_login(db, "alice")
    assert alice is not None
    members_data.set_password_hash(db, alice.id, OLD.hash(ALICE))
    pool = passwords.HashPool(threads=1)
    try:
        stored = gate.password_hash_of(db, "alice")
        ok = await pool.verify(stored, ALICE)
        fresh = await pool.rehash(stored, ALICE)
        assert ok and fresh is not None
        attempt = gate.check_password(
            db,
            "alice",
            ALICE,
            ip="10.0.0.1",
            policy=GatePolicy(),
            verified=(stored, ok),
            rehashed=fresh,
        )
        assert attempt.member is not None
        assert members_data.get_password_hash(db, alice.id) == fresh
        assert await pool.rehash(fresh, ALICE) is None  # already current
    finally:
        pool.close()


def test_a_verification_made_against_a_stale_hash_does_not_count(db: Database) -> None:
    stale = passwords.hash_password("an old password of alice")
    attempt = gate.check_password(
        db,
        "alice",
        "an old password of alice",
        ip="10.0.0.1",
        policy=GatePolicy(),
        verified=(stale, True),
    )
    assert attempt.member is None  # re-verified against the stored hash: refused


async def test_no_more_verifications_at_once_than_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pool = passwords.HashPool(threads=2)
    running = 0
    peak = 0
    lock = threading.Lock()
    real = passwords.verify_password

    def counting(stored: str | None, password: str) -> bool:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            return real(stored, password)
        finally:
            with lock:
                running -= 1

    stored = passwords.hash_password("pw")
    monkeypatch.setattr(passwords, "verify_password", counting)
    try:
        results = await asyncio.gather(*(pool.verify(stored, "pw") for _ in range(8)))
    finally:
        pool.close()
    assert all(results)
    assert peak <= 2


def test_one_thread_per_core_but_the_loops(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert passwords.HashPool().threads == passwords.hashing_threads() >= 1
    for cores, threads in ((1, 1), (2, 1), (4, 3)):
        monkeypatch.setattr(passwords.os, "sched_getaffinity", lambda _pid, n=cores: set(range(n)))
        assert passwords.hashing_threads() == threads


def _priority() -> int:
    import os

    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own nice: Linux")
async def test_hashing_threads_run_below_the_event_loop() -> None:
    """The loop serves every session: the hashing threads give way to it, the rest of
    the process keeps its priority."""
    mine = _priority()
    pool = passwords.HashPool(threads=1)
    try:
        loop = asyncio.get_running_loop()
        theirs = await loop.run_in_executor(pool._pool(), _priority)
        assert theirs == min(19, mine + passwords.HASHING_NICENESS) > mine or mine == 19
        assert await pool.verify(passwords.hash_password("x"), "x")
    finally:
        pool.close()
    assert _priority() == mine
    # Elsewhere than Linux, or refused: the thread runs as it was, without an error.
    done: list[int] = []
    thread = threading.Thread(
        target=lambda: (passwords.lower_this_thread(0), done.append(_priority()))
    )
    thread.start()
    thread.join()
    assert done == [mine]
