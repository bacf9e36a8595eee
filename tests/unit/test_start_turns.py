"""App starts take turns, first come first served, and a turn is never lost."""

from __future__ import annotations

import asyncio

import pytest

from portal.ssh.starts import StartTurns


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
