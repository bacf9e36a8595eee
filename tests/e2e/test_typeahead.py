"""Type-ahead over real SSH: keys sent in one write land where slow typing puts them.

Each scenario is played twice against the same server: once slowly, one key at a time,
waiting after each key until the server's app is idle the way Textual's own Pilot
decides it (workers complete, screen messages processed, process idle), and once as a
single write. The burst's final screen must become the slow one's (or, for the basket,
the database must hold the same quantity).

The flood test sends 200 KB of keystrokes into a guest session while a member types,
and measures the member's keystroke-to-screen latency.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import cast

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from portal.services import basket as basket_service
from portal.services import catalog
from portal.ssh.input_queue import InputQueue
from portal.ssh.server import PortalServer
from portal.ssh.session import PortalSession
from tests.e2e.conftest import ALICE
from tests.e2e.harness import WAIT, Terminal, connect, open_terminal
from tests.typography import fr

TAB, ESC, ENTER = "\t", "\x1b", "\r"


async def member_terminal(server: PortalServer) -> tuple[Terminal, PortalSession]:
    """Alice on her home screen, with her server-side session."""
    before = set(server.runtime.registry.sessions)
    conn, _ = await connect(server.port, *ALICE)
    term = await open_terminal(conn)
    await term.wait_for(fr("Bonjour Alice !"))
    (session,) = set(server.runtime.registry.sessions) - before
    return term, cast(PortalSession, session)


def input_queue(session: PortalSession) -> InputQueue:
    driver = session._driver
    assert driver is not None and driver.input_queue is not None
    return driver.input_queue


async def wait_server_idle(session: PortalSession) -> None:
    """Wait until the session's app is idle by Textual's own measures (workers complete,
    every widget of the screen through its queue, as ``Pilot.press`` waits)."""
    app = session.app
    assert app is not None
    queue = input_queue(session)

    async def drained() -> None:
        while not queue.idle:
            await asyncio.sleep(0)

    await asyncio.wait_for(drained(), WAIT)
    pilot = Pilot(app)
    for _ in range(3):  # a worker's result may start another worker
        await app.workers.wait_for_complete()
        await pilot._wait_for_screen()  # Textual's own barrier over the screen's widgets


async def wait_dispatched(session: PortalSession, count: int) -> None:
    """Wait until the session's input queue dispatched ``count`` events in all."""

    async def loop() -> None:
        while input_queue(session).stats.dispatched < count:
            await asyncio.sleep(0)

    await asyncio.wait_for(loop(), WAIT)


async def type_slowly(term: Terminal, session: PortalSession, keys: list[str]) -> None:
    for key in keys:
        dispatched = input_queue(session).stats.dispatched
        term.send(key)
        await wait_dispatched(session, dispatched + 1)
        await wait_server_idle(session)


async def wait_same(a: Terminal, b: Terminal, timeout: float = WAIT) -> None:
    """Wait until both terminals show the same screen."""

    async def loop() -> None:
        while a.text() != b.text():
            a._changed.clear()
            b._changed.clear()
            waiters = [asyncio.ensure_future(t._changed.wait()) for t in (a, b)]
            _, pending = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()

    try:
        await asyncio.wait_for(loop(), timeout)
    except TimeoutError:
        raise AssertionError(
            "burst and slow typing differ.\nslow:\n" + a.text() + "\nburst:\n" + b.text()
        ) from None


SCENARIOS: dict[str, tuple[list[str], Callable[[str], bool]]] = {
    # From home: the shop, search "fnac", Enter (to the results).
    "shop-search": (["4", "/", "f", "n", "a", "c", ENTER], lambda s: "fnac" in s),
    # The contact form: one letter per field.
    "contact-tabs": (
        ["2", "x", TAB, "y", TAB, "z", TAB, "w"],
        lambda s: "Mes coordonnées" in s,
    ),
    # My account, back, then the shop and a search.
    "escape-then-shop": (["1", ESC, "4", "/", "c", "i", "n", ENTER], lambda s: "cin" in s),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_a_burst_lands_where_slow_typing_does(server: PortalServer, name: str) -> None:
    keys, final = SCENARIOS[name]
    slow, slow_session = await member_terminal(server)
    await type_slowly(slow, slow_session, keys)
    await slow.wait_until(lambda t: final(t.text()))
    await wait_server_idle(slow_session)

    burst, burst_session = await member_terminal(server)
    burst.send("".join(keys))  # one write, as a paste or a fast typist on a slow link
    await wait_same(slow, burst)
    assert input_queue(burst_session).stats.settle_timeouts == 0


async def test_contact_tabs_fill_one_field_each(server: PortalServer) -> None:
    """The burst's meaning, beyond "same as slow": each letter is in its own field."""
    keys, _ = SCENARIOS["contact-tabs"]
    burst, session = await member_terminal(server)
    burst.send("".join(keys))
    await wait_dispatched(session, len(keys))
    await wait_server_idle(session)
    app = session.app
    assert app is not None
    values = [w.value for w in app.screen.query(Input)]
    assert "x" in values  # the first letter in the first field, alone
    assert not any(sum(c in v for c in "xyzw") > 1 for v in values), values


async def _basket_with_one_line(session: PortalSession) -> int:
    services = session.runtime.services
    member = session.member
    assert member is not None
    offers = await services.store.run(catalog.search_offers, member, "")
    offer = next(o for o in offers if o.unit_price_cents is not None)
    basket = await services.store.run(basket_service.add_to_basket, member, offer.id)
    return basket.lines[0].quantity


async def _quantity(session: PortalSession) -> int:
    member = session.member
    assert member is not None
    basket = await session.runtime.services.store.run(basket_service.get_basket, member)
    return sum(line.quantity for line in basket.lines)


@pytest.mark.parametrize("keys", [["+"] * 12, ["+"] * 6 + ["-"] * 2])
async def test_basket_quick_plus_adds_every_one(server: PortalServer, keys: list[str]) -> None:
    term, session = await member_terminal(server)
    start = await _basket_with_one_line(session)
    expected = start
    for key in keys:  # one more / one less, within 1..MAX_QUANTITY_PER_LINE
        step = 1 if key == "+" else -1
        expected = min(max(expected + step, 1), basket_service.MAX_QUANTITY_PER_LINE)
    type_basket = ["5"]  # Basket
    await type_slowly(term, session, type_basket)
    await type_slowly(term, session, keys)
    slow_quantity = await _quantity(session)
    assert slow_quantity == expected

    # Back to the same starting point, then the same keys in one write.
    term.send(ESC)
    await term.wait_for(fr("Bonjour Alice !"))
    member = session.member
    assert member is not None
    services = session.runtime.services
    basket = await services.store.run(basket_service.get_basket, member)
    await services.store.run(basket_service.set_quantity, member, basket.lines[0].id, start)
    await wait_server_idle(session)
    dispatched = input_queue(session).stats.dispatched
    term.send("".join(type_basket + keys))
    await wait_dispatched(session, dispatched + len(type_basket + keys))
    await wait_server_idle(session)
    assert await _quantity(session) == slow_quantity


async def test_flood_into_a_guest_session_does_not_freeze_a_member(
    server: PortalServer,
) -> None:
    """200 KiB of keystrokes into a guest session while a member moves in the menu.

    The first 48 KiB stay within what the guest's queue keeps (the excess over its
    32 KiB budget is dropped) and are applied at the guest's input rate while the member
    types; the rest pushes the guest past its budget for good, and it is closed.
    """
    term, _session = await member_terminal(server)
    before = set(server.runtime.registry.sessions)
    conn, _ = await connect(server.port, "welcome")
    guest = await open_terminal(conn)
    await guest.wait_until(lambda t: bool(t.text().strip()))
    (guest_session,) = set(server.runtime.registry.sessions) - before
    guest_queue = input_queue(cast(PortalSession, guest_session))

    chunk = ("\x1b[B\x1b[B\x1b[A\x1b[A\t" * 400)[:4096]  # arrows and Tab: real work
    total = 0

    async def flood(kib: int) -> None:
        nonlocal total
        for _ in range(kib // 4):
            if guest.closed:
                return
            guest.send(chunk)
            total += len(chunk)
            await guest.process.stdin.drain()

    await flood(48)

    async def busy() -> None:
        while guest_queue.pending_chars < 16_000:
            await asyncio.sleep(0)

    await asyncio.wait_for(busy(), WAIT)  # the guest has its queue full of keys

    latencies: list[float] = []
    helps = ["Nom, identifiant", "E-mail de communication"]
    for i in range(100):  # the member moves up and down: each key changes the help panel
        key, expect = ("\x1b[B", helps[1]) if i % 2 == 0 else ("\x1b[A", helps[0])
        started = time.perf_counter()
        term.send(key)
        await term.wait_for(expect)
        latencies.append(time.perf_counter() - started)
    still_busy = not guest_queue.idle

    await flood(200 - 48)  # over budget for good: the guest is closed
    await guest.wait_closed()
    assert any("trop de saisie" in chunk for chunk in guest.raw)

    latencies.sort()
    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99) - 1]
    print(
        f"\nmember keystroke-to-screen latency while a guest floods ({total // 1024} KiB sent): "
        f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms; "
        f"guest dispatched {guest_queue.stats.dispatched} events, "
        f"dropped {guest_queue.stats.dropped_chars} chars, "
        f"longest parse slice {guest_queue.stats.longest_slice * 1000:.2f} ms"
    )
    assert still_busy  # the member typed while the guest's flood was being applied
    assert latencies[-1] < 1.0


async def test_a_paste_too_long_for_the_field_is_refused_visibly(server: PortalServer) -> None:
    term, session = await member_terminal(server)
    term.send("2" + TAB * 3)  # the contact form, then to "Complément"
    await wait_dispatched(session, 4)
    await wait_server_idle(session)
    app = session.app
    assert app is not None
    field = app.focused
    assert isinstance(field, Input) and field.id == "street2"
    before = field.value

    term.send("\x1b[200~" + "x" * 5000 + "\x1b[201~")
    await term.wait_for("Rien n'a été collé")
    assert field.value == before
    term.send("\x1b[200~Bâtiment B\x1b[201~")  # fits: pasted whole, as one paste
    await term.wait_for("Bâtiment B")
    assert field.value == before + "Bâtiment B"


async def test_keys_typed_before_the_first_frame_reach_the_home_screen(
    server: PortalServer,
) -> None:
    conn, _ = await connect(server.port, *ALICE)
    term = await open_terminal(conn)
    term.send("4")  # at once, before the app drew anything: the shop opens
    await term.wait_for("Catégories")
