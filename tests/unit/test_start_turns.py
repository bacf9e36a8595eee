"""App starts take turns, first come first served, and a turn is never lost."""

from __future__ import annotations

import asyncio

import pytest

from portal.ssh.starts import Reaper, StartTurns


async def test_at_once_apps_start_and_the_others_wait_in_order() -> None:
    turns = StartTurns(at_once=2, hold_limit=60)
    order: list[int] = []
    gives: dict[int, object] = {}

    async def start(i: int) -> None:
        give_back = await turns.take()
        order.append(i)
        gives[i] = give_back

    tasks = [asyncio.create_task(start(i)) for i in range(5)]
    for _ in range(5):
        await asyncio.sleep(0)
    assert order == [0, 1]
    assert turns.starting == 2 and turns.waiting == 3

    gives[1]()  # type: ignore[operator]  # the second drew its first frame
    gives[1]()  # type: ignore[operator]  # giving back twice changes nothing
    for _ in range(3):
        await asyncio.sleep(0)
    assert order == [0, 1, 2]
    assert turns.starting == 2 and turns.waiting == 2

    for i in (0, 2, 3, 4):
        while i not in gives:
            await asyncio.sleep(0)
        gives[i]()  # type: ignore[operator]
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4]
    assert turns.starting == 0 and turns.waiting == 0


async def test_a_turn_comes_back_after_the_hold_limit() -> None:
    """An app that never draws cannot hold the others back."""
    turns = StartTurns(at_once=1, hold_limit=0)
    await turns.take()  # never given back
    await asyncio.wait_for(turns.take(), 5)  # would wait forever without the limit
    assert turns.starting <= 1  # the second turn's own limit may have passed too


async def test_leaving_while_waiting_takes_no_turn() -> None:
    turns = StartTurns(at_once=1, hold_limit=60)
    give_back = await turns.take()
    waiting = asyncio.create_task(turns.take())
    await asyncio.sleep(0)
    assert turns.waiting == 1
    waiting.cancel()  # the client left before its app could start
    with pytest.raises(asyncio.CancelledError):
        await waiting
    give_back()
    assert turns.starting == 0
    await asyncio.wait_for(turns.take(), 5)  # the next comer gets it at once


async def test_cancelled_just_as_its_turn_came_passes_it_on() -> None:
    turns = StartTurns(at_once=1, hold_limit=60)
    give_back = await turns.take()
    first = asyncio.create_task(turns.take())
    second = asyncio.create_task(turns.take())
    await asyncio.sleep(0)
    give_back()  # hands the turn to ``first``...
    first.cancel()  # ...which is cancelled before it could run
    with pytest.raises(asyncio.CancelledError):
        await first
    next_give_back = await asyncio.wait_for(second, 5)
    assert turns.starting == 1
    next_give_back()
    assert turns.starting == 0


def test_at_least_one_at_once() -> None:
    with pytest.raises(ValueError):
        StartTurns(at_once=0)


# -- the reaper: apps of clients that left end one at a time, after the starts ---------


class FakeApp:
    """An app whose exit the test finishes by hand."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log
        self.done: asyncio.Future[None] | None = None
        self.task: asyncio.Task[None] | None = None

    def end(self) -> asyncio.Task[None] | None:
        self.log.append(self.name)
        self.done = asyncio.get_running_loop().create_future()
        done = self.done

        async def exiting() -> None:
            await done

        self.task = asyncio.create_task(exiting())
        return self.task


async def turns_of_loop(n: int = 5) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_the_reaper_ends_one_app_at_a_time_in_order() -> None:
    ended: list[str] = []
    reaper = Reaper(StartTurns(), patience=60, hold_limit=60)
    apps = [FakeApp(name, ended) for name in "abc"]
    for app in apps:
        reaper.reap(app.end)
    await turns_of_loop()
    assert ended == ["a"] and reaper.pending == 2  # b waits for a's end
    assert apps[0].done is not None
    apps[0].done.set_result(None)
    await turns_of_loop()
    assert ended == ["a", "b"]
    assert apps[1].done is not None
    apps[1].done.set_result(None)
    await turns_of_loop()
    assert ended == ["a", "b", "c"] and reaper.pending == 0 and reaper.ended == 3


async def test_the_reaper_gives_way_to_app_starts() -> None:
    turns = StartTurns(at_once=1, hold_limit=60)
    ended: list[str] = []
    reaper = Reaper(turns, patience=60, hold_limit=60)
    give_back = await turns.take()  # a member's app is starting
    reaper.reap(FakeApp("gone", ended).end)
    await turns_of_loop()
    assert ended == []  # the start comes first
    give_back()  # its first frame is drawn
    await turns_of_loop()
    assert ended == ["gone"]


async def test_logins_that_keep_coming_do_not_postpone_the_reaper_for_ever() -> None:
    turns = StartTurns(at_once=1, hold_limit=60)
    ended: list[str] = []
    reaper = Reaper(turns, patience=0, hold_limit=60)
    await turns.take()  # never given back: starts are always busy
    reaper.reap(FakeApp("gone", ended).end)

    async def reaped() -> None:
        while not ended:
            await asyncio.sleep(0)

    await asyncio.wait_for(reaped(), 5)


async def test_an_app_that_does_not_end_does_not_hold_the_others_back() -> None:
    ended: list[str] = []
    reaper = Reaper(StartTurns(), patience=60, hold_limit=0)
    reaper.reap(FakeApp("stuck", ended).end)  # never finishes exiting
    reaper.reap(FakeApp("next", ended).end)

    async def both() -> None:
        while len(ended) < 2:
            await asyncio.sleep(0)

    await asyncio.wait_for(both(), 5)


async def test_an_end_that_fails_is_logged_and_the_reaper_goes_on(caplog) -> None:  # type: ignore[no-untyped-def]
    ended: list[str] = []
    reaper = Reaper(StartTurns(), patience=60, hold_limit=60)

    def broken() -> asyncio.Task[None] | None:
        raise RuntimeError("boom")

    reaper.reap(broken)
    reaper.reap(lambda: ended.append("next") or None)  # type: ignore[func-returns-value]
    await turns_of_loop()
    assert ended == ["next"]
    assert any("could not end" in r.getMessage() for r in caplog.records)
