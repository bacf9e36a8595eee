"""The GC policy: freeze long-lived objects, reclaim closed sessions' cycles in batches."""

from __future__ import annotations

import asyncio
import gc

from portal.ssh.gcpolicy import GcPolicy


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_reclaim_collects_frozen_cycles_and_refreezes() -> None:
    policy = GcPolicy(reclaim_after_closed=2)
    policy.start()
    try:
        Cycle()  # garbage, but only collectable once unfrozen
        gc.freeze()
        assert not any(isinstance(o, Cycle) for o in gc.get_objects())
        policy.session_closed(live_sessions=5)
        assert policy.closed_since_reclaim == 1  # not yet: batches of two
        policy.session_closed(live_sessions=0)  # enough closed, nobody live: reclaim now
        assert policy.closed_since_reclaim == 0
        gc.unfreeze()
        assert not any(isinstance(o, Cycle) for o in gc.get_objects())
    finally:
        policy.stop()
    assert gc.get_freeze_count() == 0


def test_no_reclaim_for_closed_sessions_while_others_are_live() -> None:
    """A closed session leaves no cycles: a full collection would only cost the others."""
    policy = GcPolicy(reclaim_after_closed=1)
    policy.start()
    try:
        policy.session_closed(live_sessions=3)
        assert policy.closed_since_reclaim == 1
    finally:
        policy.stop()


async def test_sessions_are_frozen_after_they_open() -> None:
    policy = GcPolicy(freeze_delay=0.0)
    policy.start()
    try:
        gc.unfreeze()
        keep = [Cycle() for _ in range(10)]
        policy.session_opened()
        await asyncio.sleep(0)  # the batched freeze runs on the next loop iteration
        await asyncio.sleep(0)
        assert gc.get_freeze_count() > 0
        assert not any(o is keep[0] for o in gc.get_objects())
    finally:
        policy.stop()


def test_tick_freezes_survivors_and_reclaims_when_quiet() -> None:
    policy = GcPolicy(reclaim_every=3600, quiet_sessions=20)
    policy.start()  # no running loop here: no ticker task, ticks are driven by hand
    try:
        gc.unfreeze()
        keep = [Cycle() for _ in range(5)]
        policy.tick()
        assert not any(o is keep[0] for o in gc.get_objects())  # frozen
        Cycle()  # garbage made by a session that stays open
        policy.tick()
        policy.last_reclaim -= 7200  # due
        policy.live = 500  # but the process is busy: not now
        policy.tick()
        gc.unfreeze()
        assert len([o for o in gc.get_objects() if isinstance(o, Cycle)]) == 6
        gc.freeze()
        policy.live = 3  # quiet again
        policy.tick()  # a full reclaim collects the frozen garbage
        gc.unfreeze()
        assert len([o for o in gc.get_objects() if isinstance(o, Cycle)]) == 5
    finally:
        policy.stop()


def test_a_reclaim_happens_once_overdue_whatever_the_load() -> None:
    policy = GcPolicy(reclaim_every=3600, reclaim_overdue=86400)
    policy.start()
    try:
        Cycle()
        gc.freeze()
        policy.live = 2000
        policy.last_reclaim -= 90000
        policy.tick()
        gc.unfreeze()
        assert not any(isinstance(o, Cycle) for o in gc.get_objects())
    finally:
        policy.stop()


def test_automatic_full_collections_are_off_while_the_policy_runs() -> None:
    """Measured: with everything old frozen each second, CPython still ran a full
    collection about once a second (30-70 ms at 100 typing sessions) over the objects
    promoted since the last freeze; full collections are the policy's to schedule."""
    before = gc.get_threshold()
    policy = GcPolicy()
    policy.start()
    try:
        assert gc.get_threshold()[:2] == before[:2]
        assert gc.get_threshold()[2] >= 2**30
    finally:
        policy.stop()
    assert gc.get_threshold() == before


async def test_sessions_opening_collect_their_garbage_before_the_freeze() -> None:
    policy = GcPolicy(freeze_delay=0.0)
    policy.start()
    try:
        gc.unfreeze()
        Cycle()  # start-up garbage of the session that just opened
        policy.session_opened()
        policy.tick()  # the per-second freeze waits for the pending collection
        assert any(isinstance(o, Cycle) for o in gc.get_objects())
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        gc.unfreeze()
        assert not any(isinstance(o, Cycle) for o in gc.get_objects())  # collected, not frozen
    finally:
        policy.stop()
