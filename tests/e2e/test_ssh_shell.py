"""End to end over real SSH: login, the home screen, resize, logout, refusals, isolation."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
import time
import weakref

import asyncssh
import pytest

from portal.app import PortalApp
from portal.ssh.server import PortalServer
from portal.ssh.starts import StartTurns
from tests.e2e.conftest import ALICE, BOB
from tests.e2e.harness import Terminal, connect, open_terminal, running_server
from tests.typography import fr


async def login(server: PortalServer, who: tuple[str, str] = ALICE, **kw) -> Terminal:  # type: ignore[no-untyped-def]
    conn, _ = await connect(server.port, *who)
    term = await open_terminal(conn, **kw)
    return term


def live_apps() -> int:
    gc.unfreeze()  # the server's GC policy freezes long-lived objects; count them too
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, PortalApp))


async def test_login_shows_home_in_french(server: PortalServer) -> None:
    conn, answerer = await connect(server.port, *ALICE)
    assert answerer.prompts == ["Mot de passe / Password: "]
    term = await open_terminal(conn)
    await term.wait_for(fr("Bonjour Alice !"))
    screen = term.text()
    assert "CSE Démo" in screen
    assert "Mon compte" in screen
    assert "Se déconnecter" in screen  # footer key
    conn.close()


async def test_english_member_gets_english(server: PortalServer) -> None:
    term = await login(server, BOB)
    await term.wait_for("Hello Bob!")
    assert "CSE Horizon" in term.text()


async def test_wrong_password_is_refused_and_no_app_starts(server: PortalServer) -> None:
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(server.port, "alice", "not-her-password")
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(server.port, "nobody", "whatever-password")
    assert server.runtime.registry.sessions == set()


async def test_resize_relays_the_screen(server: PortalServer) -> None:
    term = await login(server)
    await term.wait_for(fr("Bonjour Alice !"))
    who = "Alice Martin · CSE Démo"
    assert term.line(0).rstrip().endswith(who) and len(term.line(0).rstrip()) <= 80
    term.resize(120, 40)
    await term.wait_until(
        lambda t: len(t.line(0).rstrip()) > 100 and t.line(0).rstrip().endswith(who)
    )
    await term.wait_until(lambda t: "Se déconnecter" in t.line(39))


async def test_keyboard_navigation_and_lone_escape(server: PortalServer) -> None:
    term = await login(server)
    await term.wait_for(fr("Bonjour Alice !"))
    term.send("\r")  # open "Mon compte"
    await term.wait_for("Identifiant")
    term.send("\x1b")  # a lone Escape: only recognised after the escape delay
    await term.wait_for(fr("Bonjour Alice !"))


async def test_ctrl_q_ends_the_session_and_frees_it(server: PortalServer) -> None:
    term = await login(server)
    await term.wait_for(fr("Bonjour Alice !"))
    term.send("\x11")  # ctrl+q
    assert await term.wait_closed() == 0
    assert server.runtime.registry.sessions == set()


async def test_logout_menu_entry(server: PortalServer) -> None:
    term = await login(server)
    await term.wait_for(fr("Bonjour Alice !"))
    term.send("\x1b[F\r")  # End: the last entry, "Se déconnecter"; Enter
    assert await term.wait_closed() == 0


async def test_a_crash_ends_only_that_session(server: PortalServer, caplog) -> None:  # type: ignore[no-untyped-def]
    one = await login(server)
    two = await login(server, BOB)
    await one.wait_for(fr("Bonjour Alice !"))
    await two.wait_for("Hello Bob!")
    victim = next(s for s in server.runtime.registry.sessions if s.member.login == "alice")
    assert victim.app is not None

    def boom() -> None:
        raise RuntimeError("simulated bug")

    with caplog.at_level(logging.ERROR):
        victim.app.call_later(boom)
        assert await one.wait_closed() == 1
    assert any("Désolé, une erreur inattendue" in chunk for chunk in one.raw)
    assert any("crashed" in r.getMessage() and r.exc_info for r in caplog.records)
    # The other member goes on as if nothing happened.
    two.send("\r")
    await two.wait_for("Login")
    assert not two.closed


async def test_closed_sessions_leave_no_app_alive(server: PortalServer) -> None:
    """Every app a session created is freed once the session ends, however it ended."""
    registry = server.runtime.registry
    created: list[weakref.ref[PortalApp]] = []
    opened = registry.session_opened

    def track(session) -> None:  # type: ignore[no-untyped-def]
        created.append(weakref.ref(session.app))
        opened(session)

    registry.session_opened = track  # type: ignore[method-assign]
    for i in range(12):
        conn, _ = await connect(server.port, *ALICE)
        term = await open_terminal(conn)
        await term.wait_for(fr("Bonjour Alice !"))
        term.send("\r")
        await term.wait_for("Identifiant")
        if i % 2:
            term.send("\x11")  # ctrl+q
            await term.wait_closed()
        else:
            conn.close()  # the client vanishes
            await conn.wait_closed()

    async def drained() -> None:
        while registry.sessions:
            await asyncio.sleep(0)

    await asyncio.wait_for(drained(), 10)
    assert len(created) == 12

    # The last app's task, and the callbacks the loop still holds for it, end a few loop
    # turns after the registry empties; a leak never ends, so wait for every app to go.
    async def freed() -> None:
        while True:
            live_apps()  # unfreeze and collect
            if all(ref() is None for ref in created):
                return
            await asyncio.sleep(0)

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(freed(), 10)
    assert [ref for ref in created if ref() is not None] == []


async def test_prints_never_reach_another_session(server: PortalServer, caplog) -> None:  # type: ignore[no-untyped-def]
    one = await login(server)
    two = await login(server, BOB)
    await one.wait_for(fr("Bonjour Alice !"))
    await two.wait_for("Hello Bob!")
    apps = {s.member.login: s.app for s in server.runtime.registry.sessions}
    with caplog.at_level(logging.WARNING, logger="portal.print"):
        apps["alice"].call_later(print, "ALICE-PRIVATE-42")  # type: ignore[union-attr]
        apps["bob"].call_later(print, "BOB-PRIVATE-17")  # type: ignore[union-attr]
        # A round trip on each screen proves both apps processed their callbacks.
        one.send("\r")
        two.send("\r")
        await one.wait_for("Identifiant")
        await two.wait_for("Login")
    joined_one, joined_two = "".join(one.raw), "".join(two.raw)
    assert "ALICE-PRIVATE-42" not in joined_one + joined_two
    assert "BOB-PRIVATE-17" not in joined_one + joined_two
    logged = [r.getMessage() for r in caplog.records]
    assert "ALICE-PRIVATE-42" in logged and "BOB-PRIVATE-17" in logged


async def test_stdout_is_restored_after_sessions(tmp_path, demo_database) -> None:  # type: ignore[no-untyped-def]
    original = sys.stdout
    async with running_server(tmp_path / "d", demo_database) as server:
        term = await login(server)
        await term.wait_for(fr("Bonjour Alice !"))
        term.send("\x11")
        await term.wait_closed()
    assert not isinstance(sys.stdout, PortalApp)
    assert sys.stdout is original or type(sys.stdout).__name__ == "_LogStream"


async def test_idle_and_lifetime_sweep_close_sessions(server: PortalServer) -> None:
    term = await login(server)
    await term.wait_for(fr("Bonjour Alice !"))
    closed = server.runtime.registry.sweep(now=time.monotonic() + 31 * 60)
    assert closed == 1
    assert await term.wait_closed() == 0
    assert any("Session fermée après 30 minutes d'inactivité." in c for c in term.raw)


async def test_session_caps_refuse_clearly(tmp_path, demo_database) -> None:  # type: ignore[no-untyped-def]
    async with running_server(tmp_path / "d", demo_database, max_sessions_per_ip=1) as server:
        conn, _ = await connect(server.port, *ALICE)
        await (await open_terminal(conn)).wait_for(fr("Bonjour Alice !"))  # sessions count
        with pytest.raises(asyncssh.DisconnectError) as refused:
            await connect(server.port, *BOB)
        assert "Too many sessions" in str(refused.value)
        conn.close()


async def test_no_pty_gets_a_clear_message(server: PortalServer) -> None:
    conn, _ = await connect(server.port, *ALICE)
    result = await asyncio.wait_for(conn.run(encoding="utf-8"), 10)
    assert "ssh -t" in str(result.stdout)
    assert result.exit_status == 1


async def test_exec_forwarding_and_agent_are_refused(server: PortalServer) -> None:
    conn, _ = await connect(server.port, *ALICE)
    with pytest.raises(asyncssh.ChannelOpenError):
        await conn.create_connection(asyncssh.SSHTCPSession, "127.0.0.1", 22)
    with pytest.raises(asyncssh.ChannelOpenError):
        await asyncio.wait_for(conn.run("id", encoding="utf-8"), 10)
    with pytest.raises(asyncssh.ChannelListenError):
        await conn.forward_remote_port("127.0.0.1", 0, "127.0.0.1", 22)


@pytest.mark.parametrize(
    "option",
    [
        {"kex_algs": ["diffie-hellman-group14-sha1"]},
        {"encryption_algs": ["aes128-ctr"], "mac_algs": ["hmac-sha1"]},
        {"encryption_algs": ["aes128-cbc"]},
    ],
)
async def test_weak_algorithms_are_refused(server: PortalServer, option) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises((asyncssh.KeyExchangeFailed, asyncssh.DisconnectError, ValueError)):
        await connect(server.port, *ALICE, **option)


async def test_no_color_comes_from_the_client(server: PortalServer) -> None:
    plain = await login(server, env={"NO_COLOR": "1"})
    await plain.wait_for(fr("Bonjour Alice !"))
    apps = [s.app for s in server.runtime.registry.sessions]
    assert [a.no_color for a in apps if a is not None] == [True]


async def test_client_that_stops_reading_is_dropped(tmp_path, demo_database) -> None:  # type: ignore[no-untyped-def]
    async with running_server(tmp_path / "d", demo_database, write_buffer_limit=4096) as server:
        conn, _ = await connect(server.port, *ALICE)
        # A 1 KiB window that this client never re-opens (it never reads): the server's
        # queue grows with every frame until it passes the limit and hangs up.
        process = await conn.create_process(term_type="xterm", term_size=(80, 24), window=1024)
        for width in range(60, 120, 5):
            process.change_terminal_size(width, 30)
        await asyncio.wait_for(process.wait_closed(), 10)

        async def drained() -> None:
            while server.runtime.registry.sessions:
                await asyncio.sleep(0)

        await asyncio.wait_for(drained(), 10)


def one_at_a_time(turns: StartTurns) -> None:
    """One start at a time, and no hold limit to fall back on."""
    turns.at_once = 1
    turns.hold_limit = 3600


async def test_apps_start_in_turns_passed_on_at_the_first_frame(server: PortalServer) -> None:
    """With one start at a time and no hold limit to fall back on, two members logging in
    together both reach home: the first one's first frame hands the turn on."""
    one_at_a_time(server.runtime.starts)
    one, two = await asyncio.gather(login(server), login(server, BOB))
    await asyncio.gather(one.wait_for(fr("Bonjour Alice !")), two.wait_for("Hello Bob!"))
    assert server.runtime.starts.starting == 0
    assert server.runtime.starts.waiting == 0


async def test_a_client_leaving_before_its_turn_starts_no_app(server: PortalServer) -> None:
    one_at_a_time(server.runtime.starts)
    give_back = await server.runtime.starts.take()  # every turn is taken
    conn, _ = await connect(server.port, *ALICE)
    await open_terminal(conn)
    registry = server.runtime.registry

    async def waiting() -> None:
        while server.runtime.starts.waiting == 0:
            await asyncio.sleep(0)

    await asyncio.wait_for(waiting(), 10)
    session = next(iter(registry.sessions))
    app = session.app
    assert app is not None
    conn.close()
    await conn.wait_closed()

    async def gone() -> None:
        while registry.sessions or server.runtime.starts.waiting:
            await asyncio.sleep(0)

    await asyncio.wait_for(gone(), 10)
    assert not app.is_running and app._driver is None  # it never started
    give_back()
    assert server.runtime.starts.starting == 0


async def test_a_dropped_session_frees_its_slot_at_once_and_its_app_ends_after_the_starts(
    server: PortalServer,
) -> None:
    """A network blip: the slot is free for the next login at once; the app itself ends
    in the loop's spare time, after the app starts waiting for their turn."""
    registry, runtime = server.runtime.registry, server.runtime
    runtime.reaper.patience = 3600  # only the starts' end lets it go on
    term = await login(server)
    await term.wait_for(fr("Bonjour Alice !"))
    session = next(iter(registry.sessions))
    app = session.app
    assert app is not None and registry.session_count == 1
    give_back = await runtime.starts.take()  # a member's app is starting meanwhile
    term.process.channel.get_connection().abort()  # the client vanishes

    async def slot_freed() -> None:
        while registry.session_count:
            await asyncio.sleep(0)

    await asyncio.wait_for(slot_freed(), 10)
    assert app.is_running  # not ended yet: the start comes first
    assert registry.sessions_of(session.member.id) == []  # type: ignore[union-attr]  # not listed as live
    give_back()

    async def ended() -> None:
        while registry.sessions or app.is_running:
            await asyncio.sleep(0)

    await asyncio.wait_for(ended(), 10)
    assert runtime.reaper.ended == 1
    assert registry.sessions_by_ip == {}  # its slot was freed once, not twice


async def test_typing_leaves_no_cycles_for_a_full_collection(server: PortalServer) -> None:
    """Full collections are rare (they cost seconds at 2,000 sessions): what typing
    drew must be freed by reference counting. Strips that cached themselves made 220
    cyclic objects per keystroke."""
    from textual.strip import Strip

    term = await login(server)
    await term.wait_for(fr("Bonjour Alice !"))
    gc.unfreeze()
    gc.collect()
    for k in range(20):
        key, expect = ("\x1b[B", "E-mail de communication") if k % 2 == 0 else ("\x1b[A", "Nom")
        term.send(key)
        await term.wait_for(expect)
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.unfreeze()
        gc.collect()
        garbage = list(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert [o for o in garbage if isinstance(o, Strip)] == []
    assert len(garbage) < 200  # a few cycles of workers, not hundreds per keystroke
