"""SFTP over a real connection: the inbox/outbox tree, every refusal, limits, cut uploads.

The asyncssh SFTP client drives most tests; the OpenSSH ``sftp`` and ``scp`` clients
(skipped where absent) prove what a member types works, logging in with the password
through ``SSH_ASKPASS`` like ``test_openssh_client``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import asyncssh
import pyotp
import pytest

from portal.data import members as members_data
from portal.data.db import connect as connect_db
from portal.services import files, twofactor
from portal.ssh.server import PortalServer
from portal.ssh.sftp_io import BURST_BYTES, Pacer
from tests.e2e.conftest import ALICE, BOB
from tests.e2e.harness import WAIT, connect, running_server

DENIED = asyncssh.FX_PERMISSION_DENIED


@pytest.fixture
async def small(tmp_path: Path, demo_database: Path) -> AsyncIterator[PortalServer]:
    """A server with small limits: 1000-byte files, a 2500-byte quota, 3 inbox files."""
    async with running_server(
        tmp_path / "data",
        demo_database,
        sftp_max_file_bytes=1000,
        sftp_quota_bytes=2500,
        sftp_max_inbox_files=3,
    ) as srv:
        yield srv


async def _sftp(server: PortalServer, who: tuple[str, str] = ALICE):  # type: ignore[no-untyped-def]
    conn, _ = await connect(server.port, *who)
    return conn, await asyncio.wait_for(conn.start_sftp_client(), WAIT)


async def _put(sftp: asyncssh.SFTPClient, path: str, data: bytes) -> None:
    async with sftp.open(path, "wb") as fh:
        await fh.write(data)


async def until(predicate, timeout: float = WAIT) -> None:  # type: ignore[no-untyped-def]
    """Wait for a condition the server reaches on its own loop (one turn at a time)."""

    async def loop() -> None:
        while not predicate():
            await asyncio.sleep(0)

    await asyncio.wait_for(loop(), timeout)


def _names(entries: list[str]) -> list[str]:
    return sorted(n for n in entries if n not in (".", ".."))


async def _refused(coro, code: int | None = None) -> asyncssh.SFTPError:  # type: ignore[no-untyped-def]
    with pytest.raises(asyncssh.SFTPError) as info:
        await coro
    if code is not None:
        assert info.value.code == code, info.value
    assert info.value.reason  # a sentence says why
    return info.value


async def test_only_two_folders_and_round_trip(server: PortalServer) -> None:
    conn, sftp = await _sftp(server)
    async with conn:
        # an SFTP channel is a session: the same caps, idle timeout and directory apply
        assert [s.is_sftp for s in server.runtime.registry.sessions] == [True]
        assert _names(await sftp.listdir(".")) == ["inbox", "outbox"]
        assert _names(await sftp.listdir("/")) == ["inbox", "outbox"]
        assert await sftp.realpath(".") == "/"
        await _put(sftp, "inbox/payslip.pdf", b"%PDF-1.4 hello")
        assert _names(await sftp.listdir("inbox")) == ["payslip.pdf"]
        async with sftp.open("inbox/payslip.pdf", "rb") as fh:
            assert await fh.read() == b"%PDF-1.4 hello"
        await sftp.rename("inbox/payslip.pdf", "inbox/fiche.pdf")
        assert [e.name for e in files.list_inbox(server.settings, "alice")] == ["fiche.pdf"]
        await sftp.remove("inbox/fiche.pdf")
        assert _names(await sftp.listdir("inbox")) == []
        # the outbox: readable, never writable
        files.write_outbox_file(server.settings, "alice", "FAC-2026-000001.pdf", b"%PDF invoice")
        assert _names(await sftp.listdir("outbox")) == ["FAC-2026-000001.pdf"]
        async with sftp.open("outbox/FAC-2026-000001.pdf", "rb") as fh:
            assert await fh.read() == b"%PDF invoice"


async def test_escapes_and_forbidden_operations_are_refused(
    server: PortalServer, tmp_path: Path
) -> None:
    settings = server.settings
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    inbox = files.inbox_dir(settings, "alice")
    (inbox / "planted").symlink_to(secret)  # a link that somehow got there
    files.write_outbox_file(settings, "alice", "FAC.pdf", b"invoice")
    conn, sftp = await _sftp(server)
    async with conn:
        for path in (
            "..",
            "../..",
            "inbox/../../bob",
            "/etc",
            "/etc/passwd",
            "/inbox/../..",
            str(settings.data_dir),
            "portal.db",
            "inbox/a/b",
        ):
            await _refused(sftp.listdir(path), DENIED)
            await _refused(sftp.stat(path), DENIED)
        for path in (
            "../x",
            "/etc/x",
            "inbox/../x",
            "inbox/bad\x01name",
            "inbox/tab\tname",
            "inbox/.upload-x",
            "inbox/.hidden",
            "outbox/new.pdf",
        ):
            await _refused(_put(sftp, path, b"x"), DENIED)
        # links: neither followed, nor created, nor read
        await _refused(sftp.stat("inbox/planted"), DENIED)
        await _refused(sftp.open("inbox/planted", "rb"), DENIED)
        await _refused(sftp.readlink("inbox/planted"), DENIED)
        await _put(sftp, "inbox/mine.pdf", b"mine")
        await _refused(sftp.symlink("/etc/passwd", "inbox/l"), DENIED)
        await _refused(sftp.link("inbox/mine.pdf", "inbox/hard"), DENIED)
        # the outbox is read-only
        await _refused(sftp.remove("outbox/FAC.pdf"), DENIED)
        await _refused(sftp.rename("outbox/FAC.pdf", "inbox/FAC.pdf"), DENIED)
        await _refused(sftp.rename("inbox/mine.pdf", "outbox/mine.pdf"), DENIED)
        await _refused(_put(sftp, "outbox/FAC.pdf", b"forged"), DENIED)
        await _refused(sftp.setstat("outbox/FAC.pdf", asyncssh.SFTPAttrs(permissions=0o777)))
        # appending or resuming onto an existing file: refused, the file unchanged
        await _refused(sftp.open("inbox/mine.pdf", "ab"), asyncssh.FX_FAILURE)
        pflags = asyncssh.FXF_WRITE | asyncssh.FXF_CREAT
        fh = await sftp.open("inbox/mine.pdf", pflags, encoding=None)
        await _refused(fh.write(b"more", 4), asyncssh.FX_FAILURE)
        await fh.close()
        assert files.read_inbox_file(settings, "alice", "mine.pdf") == b"mine"
        await _refused(sftp.mkdir("inbox/sub"), DENIED)
        await _refused(sftp.rmdir("inbox"), DENIED)
        refusal = await _refused(_put(sftp, "outbox/x.pdf", b"x"), DENIED)
        assert "lecture seule" in refusal.reason  # alice reads French
    assert secret.read_text() == "secret"
    assert (files.outbox_dir(settings, "alice") / "FAC.pdf").read_bytes() == b"invoice"
    assert sorted(os.listdir(inbox)) == ["mine.pdf", "planted"]  # nothing else written
    assert [e.name for e in files.list_outbox(settings, "alice")] == ["FAC.pdf"]


async def test_size_quota_and_count_limits(small: PortalServer) -> None:
    settings = small.settings
    conn, sftp = await _sftp(small)
    async with conn:
        refusal = await _refused(_put(sftp, "inbox/big.bin", b"x" * 1001), asyncssh.FX_FAILURE)
        assert "trop volumineux" in refusal.reason
        await _put(sftp, "inbox/a.bin", b"a" * 1000)
        await _put(sftp, "inbox/b.bin", b"b" * 1000)
        refusal = await _refused(_put(sftp, "inbox/c.bin", b"c" * 600), asyncssh.FX_FAILURE)
        assert "plein" in refusal.reason
        await _put(sftp, "inbox/c.bin", b"c" * 10)
        refusal = await _refused(_put(sftp, "inbox/d.bin", b"d"), asyncssh.FX_FAILURE)
        assert "3 fichiers" in refusal.reason
        await _put(sftp, "inbox/a.bin", b"A" * 900)  # replacing a file is not one more
    assert sorted(os.listdir(files.inbox_dir(settings, "alice"))) == ["a.bin", "b.bin", "c.bin"]
    assert files.read_inbox_file(settings, "alice", "a.bin") == b"A" * 900


async def test_interrupted_upload_leaves_nothing(server: PortalServer) -> None:
    settings = server.settings
    conn, sftp = await _sftp(server)
    fh = await sftp.open("inbox/cut.pdf", "wb")
    await fh.write(b"x" * 50_000)
    inbox = files.inbox_dir(settings, "alice")
    assert any(files.is_temporary(n) for n in os.listdir(inbox))  # written meanwhile...
    assert files.list_inbox(settings, "alice") == []  # ...but never listed
    conn.abort()  # the link is cut before the client closes the file
    registry = server.runtime.registry
    await until(lambda: not registry.sessions and not os.listdir(inbox))
    assert os.listdir(inbox) == []


async def test_members_never_reach_each_other(server: PortalServer) -> None:
    settings = server.settings
    files.write_outbox_file(settings, "bob", "bob-invoice.pdf", b"bob")
    (files.inbox_dir(settings, "bob") / "bob.pdf").write_bytes(b"bob")
    conn, sftp = await _sftp(server)
    async with conn:
        for path in (
            "inbox/bob.pdf",
            "outbox/bob-invoice.pdf",
            "../bob/inbox/bob.pdf",
            "/bob/inbox/bob.pdf",
            "bob/inbox/bob.pdf",
            "inbox/../../bob/outbox",
        ):
            await _refused(sftp.stat(path))
            await _refused(sftp.open(path, "rb"))
        await _put(sftp, "inbox/alice.pdf", b"alice")
    conn, sftp = await _sftp(server, BOB)
    async with conn:
        assert _names(await sftp.listdir("inbox")) == ["bob.pdf"]
        assert _names(await sftp.listdir("outbox")) == ["bob-invoice.pdf"]


async def test_guest_gets_no_sftp_and_no_exec(server: PortalServer) -> None:
    conn, _ = await connect(server.port, "welcome")
    async with conn:
        with pytest.raises(asyncssh.ChannelOpenError):
            await asyncio.wait_for(conn.start_sftp_client(), WAIT)
    conn, _ = await connect(server.port, *ALICE)
    async with conn:
        with pytest.raises(asyncssh.ChannelOpenError):  # no exec (nor legacy scp)
            await asyncio.wait_for(conn.run("cat /etc/passwd"), WAIT)


async def test_managers_have_their_own_folders_once_2fa_is_on(server: PortalServer) -> None:
    settings = server.settings
    (files.inbox_dir(settings, "alice") / "alice.pdf").write_bytes(b"alice")
    conn, _ = await connect(server.port, "marc", "Gestion-Marc-2026!")
    async with conn:  # a manager must turn 2FA on (in the app) before anything else
        with pytest.raises(asyncssh.ChannelOpenError):
            await asyncio.wait_for(conn.start_sftp_client(), WAIT)
    db = connect_db(settings.db_path)
    try:
        marc = members_data.get_member_by_login(db, "marc")
        assert marc is not None
        secret = twofactor.enroll_for_test(db, server.services.secrets, marc.id)
    finally:
        db.conn.close()
    code = pyotp.TOTP(secret).at(server.runtime.clock())
    conn, _ = await connect(server.port, "marc", "Gestion-Marc-2026!", [code])
    async with conn:
        sftp = await asyncio.wait_for(conn.start_sftp_client(), WAIT)
        await _put(sftp, "inbox/import.csv", b"login;email\n")
        assert _names(await sftp.listdir("inbox")) == ["import.csv"]
        await _refused(sftp.stat("inbox/alice.pdf"))
        await _refused(_put(sftp, "outbox/export.csv", b"x"), DENIED)
    assert [e.name for e in files.list_inbox(settings, "marc")] == ["import.csv"]
    assert [e.name for e in files.list_inbox(settings, "alice")] == ["alice.pdf"]


# -- the OpenSSH clients ---------------------------------------------------------------

needs_openssh = pytest.mark.skipif(
    shutil.which("sftp") is None or shutil.which("scp") is None, reason="no OpenSSH sftp/scp"
)


def _openssh_env(tmp_path: Path, password: str) -> dict[str, str]:
    script = tmp_path / "askpass.sh"
    script.write_text(f"#!/bin/sh\necho '{password}'\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return dict(os.environ, SSH_ASKPASS=str(script), SSH_ASKPASS_REQUIRE="force", DISPLAY=":0")


OPTIONS = [
    "-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
    "-o", "PreferredAuthentications=keyboard-interactive", "-o", "LogLevel=ERROR",
]  # fmt: skip


async def _run(*args: str, env: dict[str, str], commands: str | None = None) -> tuple[int, str]:
    """Run an OpenSSH client; ``commands`` go to its standard input (sftp reads them
    there: ``sftp -b`` would turn on BatchMode, which forbids answering the password)."""
    proc = await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
    )
    data = None if commands is None else commands.encode()
    out, _ = await asyncio.wait_for(proc.communicate(data), 30)
    return proc.returncode or 0, out.decode("utf-8", "replace")


@needs_openssh
async def test_openssh_sftp_and_scp(server: PortalServer, tmp_path: Path) -> None:
    env = _openssh_env(tmp_path, ALICE[1])
    local = tmp_path / "payslip.pdf"
    local.write_bytes(b"%PDF-1.7 payslip")
    files.write_outbox_file(server.settings, "alice", "FAC-2026-000007.pdf", b"%PDF invoice")
    target = f"{ALICE[0]}@127.0.0.1"
    port = str(server.port)
    # scp (OpenSSH >= 9 speaks SFTP) into the inbox
    code, out = await _run("scp", "-P", port, *OPTIONS, str(local), f"{target}:inbox/", env=env)
    assert code == 0, out
    assert files.read_inbox_file(server.settings, "alice", "payslip.pdf") == local.read_bytes()
    local.write_bytes(b"%PDF-1.7 v2")  # scp again over it (scp does not truncate at open)
    code, out = await _run("scp", "-P", port, *OPTIONS, str(local), f"{target}:inbox/", env=env)
    assert code == 0, out
    assert files.read_inbox_file(server.settings, "alice", "payslip.pdf") == b"%PDF-1.7 v2"
    # sftp driven through its standard input: list, get from the outbox, refusals
    sftp = ("sftp", "-P", port, *OPTIONS, target)
    commands = (
        f"ls\nls inbox\nget outbox/FAC-2026-000007.pdf {tmp_path}/got.pdf\n"
        f"put {local} outbox/forged.pdf\nget ../../portal.db {tmp_path}/db\n"
        f"get /etc/passwd {tmp_path}/passwd\n"
    )
    code, out = await _run(*sftp, env=env, commands=commands)
    assert code == 0, out
    assert "inbox" in out and "outbox" in out and "payslip.pdf" in out
    assert (tmp_path / "got.pdf").read_bytes() == b"%PDF invoice"
    # OpenSSH prints the status code, not the server's sentence (asyncssh tests check it)
    assert 'dest open "/outbox/forged.pdf": Permission denied' in out, out
    assert 'File "/../../portal.db" not found' in out, out
    assert 'File "/etc/passwd" not found' in out, out
    assert not (tmp_path / "db").exists() and not (tmp_path / "passwd").exists()
    assert files.list_outbox(server.settings, "alice")[0].name == "FAC-2026-000007.pdf"
    assert len(files.list_outbox(server.settings, "alice")) == 1


async def test_housekeeping_removes_abandoned_uploads(server: PortalServer) -> None:
    inbox = files.inbox_dir(server.settings, "alice")
    old, fresh = inbox / (files.TEMP_PREFIX + "old"), inbox / (files.TEMP_PREFIX + "new")
    old.write_bytes(b"cut long ago")
    fresh.write_bytes(b"in progress")
    (inbox / "kept.pdf").write_bytes(b"complete")
    past = old.stat().st_mtime - 2 * files.STALE_AFTER
    os.utime(old, (past, past))
    await server._housekeeping()
    assert sorted(os.listdir(inbox)) == sorted([fresh.name, "kept.pdf"])


def test_the_pacer_is_a_token_bucket() -> None:
    """A channel moves ``burst`` bytes at once, then ``rate`` per second; 0 is unlimited."""
    now = [0.0]
    pacer = Pacer(1000.0, 500.0, clock=lambda: now[0])
    assert pacer.delay(400) == 0.0
    assert pacer.delay(300) == pytest.approx(0.2)  # 200 bytes in debt at 1000 B/s
    now[0] += 0.2
    assert pacer.delay(100) == pytest.approx(0.1)
    now[0] += 10.0  # refills to the burst, no further
    assert pacer.delay(500) == 0.0 and pacer.delay(1) > 0
    assert Pacer(0.0, 0.0).delay(10**9) == 0.0


async def test_uploads_and_downloads_are_paced(tmp_path: Path, demo_database: Path) -> None:
    """With ``sftp_rate_bytes`` set, a transfer cannot go faster than the pace (after the
    burst), so it leaves the shared event loop to the other sessions; the bytes arrive
    intact."""
    rate = 2_000_000
    async with running_server(tmp_path / "data", demo_database, sftp_rate_bytes=rate) as srv:
        conn, sftp = await _sftp(srv)
        async with conn:
            data = os.urandom(3_000_000)
            loop = asyncio.get_running_loop()
            started = loop.time()
            await _put(sftp, "inbox/paced.bin", data)
            took = loop.time() - started
            assert took >= (len(data) - BURST_BYTES) / rate * 0.95
            started = loop.time()
            async with sftp.open("inbox/paced.bin", "rb") as fh:
                back = await fh.read()
            assert back == data
            assert loop.time() - started >= (len(data) - BURST_BYTES) / rate * 0.95
