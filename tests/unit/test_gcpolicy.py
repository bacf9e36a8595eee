"""The GC policy: freeze long-lived objects, reclaim closed sessions' cycles in batches."""

from __future__ import annotations

import asyncio
import gc

from portal.ssh.gcpolicy import GcPolicy


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_reclaim_collects_frozen_cycles_and_refreezes() -> None:
    policy = GcPolicy(reclaim_after_closed=2, min_interval=3600)
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


def test_reclaim_waits_for_the_interval_while_sessions_are_live() -> None:
    policy = GcPolicy(reclaim_after_closed=1, min_interval=3600)
    policy.start()
    try:
        policy.session_closed(live_sessions=3)
        assert policy.closed_since_reclaim == 1  # a live session would pay the pause
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


def test_tick_freezes_survivors_and_reclaims_when_overdue() -> None:
    policy = GcPolicy(reclaim_every=3600)
    policy.start()  # no running loop here: no ticker task, ticks are driven by hand
    try:
        gc.unfreeze()
        keep = [Cycle() for _ in range(5)]
        policy.tick()
        assert not any(o is keep[0] for o in gc.get_objects())  # frozen
        Cycle()  # garbage made by a session that stays open
        policy.tick()
        policy.last_reclaim -= 7200  # an hour later than allowed
        policy.tick()  # overdue: a full reclaim collects the frozen garbage
        gc.unfreeze()
        cycles = [o for o in gc.get_objects() if isinstance(o, Cycle)]
        assert len(cycles) == 5
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
