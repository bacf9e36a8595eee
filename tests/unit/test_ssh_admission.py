"""Admission and session slots of the SSH layer, without a network; and its import shape."""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace
from pathlib import Path

from portal.config import Settings
from portal.data.members import Member
from portal.ssh.limits import ConnectionLimits, TokenBucket, share
from portal.ssh.registry import SessionRegistry

ROOT = Path(__file__).resolve().parents[2]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_bucket_lets_a_burst_through_then_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=2.0, burst=3, clock=clock)
    assert [bucket.take("a") for _ in range(4)] == [True, True, True, False]
    assert bucket.take("b")  # another address has its own bucket
    clock.now += 0.5  # one token back
    assert bucket.take("a") and not bucket.take("a")


def test_a_zero_rate_turns_the_bucket_off() -> None:
    bucket = TokenBucket(rate=0, burst=1)
    assert all(bucket.take("a") for _ in range(100))


def test_full_buckets_are_forgotten() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=10.0, burst=2, clock=clock)
    for i in range(1000):
        bucket.take(f"10.0.{i // 256}.{i % 256}")
    clock.now += 60
    bucket.take("10.9.9.9")
    assert len(bucket) == 1


def test_unauthenticated_connections_are_capped_per_address_and_in_total(
    settings: Settings,
) -> None:
    limits = ConnectionLimits(
        replace(
            settings,
            max_unauthenticated=3,
            max_unauthenticated_per_ip=2,
            connection_rate_per_ip=0,
        )
    )
    assert limits.admit("a") and limits.admit("a")
    assert not limits.admit("a")  # its own cap
    assert limits.admit("b")
    assert not limits.admit("c")  # the total
    limits.authenticated("a")
    assert limits.admit("c")
    assert limits.unauthenticated_by_ip == {"a": 1, "b": 1, "c": 1}
    assert limits.refused == 2


def test_shares_never_drop_to_zero() -> None:
    assert share(5, 2) == 3 and share(1, 4) == 1 and share(10, 0) == 10


@dataclass(eq=False)
class FakeSession:
    """What the registry sees of a session."""

    ip: str | None = "10.0.0.1"
    member: Member | None = None
    started_at: float = 0.0
    last_activity: float = 0.0
    task: None = None
    started: bool = False
    channel_gone: bool = False
    closes: int = 0

    @property
    def session_id(self) -> str:
        return f"s{id(self)}"

    @property
    def language(self) -> str:
        return "fr"

    def close(self, farewell: str | None = None) -> None:
        self.closes += 1


def test_slots_count_sessions_and_are_released_once(settings: Settings) -> None:
    registry = SessionRegistry(replace(settings, max_sessions=3, max_sessions_per_ip=2))
    one, two, three = FakeSession(), FakeSession(), FakeSession()
    assert registry.admit(one) and registry.admit(two)
    assert not registry.admit(three)  # per address
    assert registry.admit(FakeSession(ip="10.0.0.2"))
    assert not registry.admit(FakeSession(ip="10.0.0.3"))  # in total
    registry.session_opened(one)
    assert registry.session_closed(one)
    assert not registry.session_closed(one)  # again: nothing more to release
    assert registry.sessions_by_ip == {"10.0.0.1": 1, "10.0.0.2": 1}
    assert registry.admit(three)


def test_the_sweep_reaps_sessions_whose_channel_is_gone(settings: Settings) -> None:
    registry = SessionRegistry(replace(settings, session_open_timeout=10))
    gone = FakeSession(started=True, channel_gone=True, started_at=100, last_activity=100)
    never_started = FakeSession(started_at=100, last_activity=100)
    fine = FakeSession(started=True, started_at=100, last_activity=100)
    for session in (gone, never_started, fine):
        registry.admit(session)
        if session.started:
            registry.session_opened(session)
    assert registry.sweep(now=105) == 1
    assert gone.closes == 1  # its teardown frees the slot...
    assert registry.sweep(now=111) == 1
    assert never_started.closes == 1
    # ...and one that never ran (these fakes never tear down) is freed a round later.
    assert registry.sweep(now=112) == 0
    assert registry.admitted == {fine} and registry.sessions == {fine}
    assert (gone.closes, never_started.closes, fine.closes) == (1, 1, 0)


def _imports_of(path: Path) -> set[str]:
    """Every portal.ssh module ``path`` imports, at any level (functions, TYPE_CHECKING)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found.update(n for n in names if (ROOT / Path(*n.split("."))).with_suffix(".py").exists())
    return {n for n in found if n.startswith("portal.ssh.")}


def test_the_ssh_layer_has_no_import_circle() -> None:
    folder = ROOT / "portal" / "ssh"
    graph = {f"portal.ssh.{p.stem}": _imports_of(p) for p in folder.glob("*.py")}

    def reaches(start: str, target: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == target or (nxt not in seen and reaches(nxt, target, seen | {nxt})):
                return True
        return False

    assert [m for m in graph if reaches(m, m, set())] == []
    assert len((folder / "server.py").read_text().splitlines()) < 500
