"""SFTP benchmark: a 10 MB upload over loopback, and a member typing meanwhile.

Runs a server in this process on a free loopback port (as the end-to-end tests do).
Alice types arrow keys on her home screen (latency from the key to the redrawn help
line, as ``bench_input`` measures it) first alone, then while Bob uploads a 10 MB file
to his inbox over SFTP again and again; the upload rate is measured alone and during
the typing. Bob's client is OpenSSH's ``sftp`` in its own process, as a member's would
be, logged in once (the rates exclude the login). ``--client asyncssh`` runs asyncssh's
client in this process instead: the client's own encryption then competes for the
server's event loop, and both figures are worse than a real member would see. ``--rate`` overrides the
server's ``sftp_rate_bytes`` (the per-channel pace; 0 lifts it).

    python -m tests.bench.bench_sftp [--keys 100] [--mib 10] [--client openssh|asyncssh]
                                     [--rate BYTES_PER_S]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path

import asyncssh

from portal.config import load_settings
from portal.services.runtime import init_database
from tests.bench.bench_input import PASSWORD, figures, type_keys
from tests.e2e.harness import connect, open_terminal, running_server

BOB = ("bob", "Horizon-Bob-2026!")


async def upload(sftp: asyncssh.SFTPClient, data: bytes, name: str) -> float:
    """Upload ``data`` once; return the rate in MB/s (1 MB = 10^6 bytes)."""
    started = time.perf_counter()
    async with sftp.open(f"inbox/{name}", "wb") as fh:
        await fh.write(data)
    return len(data) / (time.perf_counter() - started) / 1e6


OPENSSH_OPTIONS = [
    "-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
    "-o", "PreferredAuthentications=keyboard-interactive", "-o", "LogLevel=ERROR",
]  # fmt: skip


class OpenSSHUploader:
    """Uploads with one OpenSSH ``sftp`` process (logged in once, like a member's session)."""

    def __init__(self, port: int, folder: Path, data: bytes) -> None:
        self.port = port
        self.source = folder / "upload.bin"
        self.source.write_bytes(data)
        self.size = len(data)
        askpass = folder / "askpass.sh"
        askpass.write_text(f"#!/bin/sh\necho '{BOB[1]}'\n")
        askpass.chmod(askpass.stat().st_mode | stat.S_IEXEC)
        self.env = dict(
            os.environ, SSH_ASKPASS=str(askpass), SSH_ASKPASS_REQUIRE="force", DISPLAY=":0"
        )
        self.proc: asyncio.subprocess.Process | None = None
        self.count = 0

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            "sftp", "-P", str(self.port), *OPENSSH_OPTIONS, f"{BOB[0]}@127.0.0.1",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=self.env,
        )  # fmt: skip
        await self._command("pwd")  # logged in

    async def _command(self, command: str) -> None:
        """Send one command, then wait for a marker echoed after it (commands run in order)."""
        assert self.proc is not None and self.proc.stdin and self.proc.stdout
        self.count += 1
        marker = f"MARK-{self.count}"
        self.proc.stdin.write(f"{command}\n!echo {marker}\n".encode())
        await self.proc.stdin.drain()
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                raise RuntimeError("sftp ended")
            if line.strip() == marker.encode():
                return

    async def upload(self, name: str) -> float:
        """Upload once; the rate in MB/s (1 MB = 10^6 bytes)."""
        started = time.perf_counter()
        await self._command(f"put {self.source} inbox/{name}")
        return self.size / (time.perf_counter() - started) / 1e6

    async def stop(self) -> None:
        if self.proc is not None and self.proc.stdin is not None:
            self.proc.stdin.write(b"bye\n")
            self.proc.stdin.close()
            await self.proc.wait()


async def run(args: argparse.Namespace, data_dir: Path) -> None:
    template = data_dir / "template"
    settings = load_settings(environ={}, data_dir=template)
    await asyncio.to_thread(init_database, settings)
    data = bytes(range(256)) * (args.mib * 1024 * 1024 // 256)
    overrides = {} if args.rate is None else {"sftp_rate_bytes": args.rate}
    async with running_server(data_dir / "run", settings.db_path, **overrides) as server:
        conn, _ = await connect(server.port, "alice", PASSWORD)
        member = await open_terminal(conn)
        await member.wait_for("Bonjour Alice")  # whatever space precedes the "!"
        await type_keys(member, 10)  # warm up
        alone = await type_keys(member, args.keys)

        if args.client == "openssh":
            openssh = OpenSSHUploader(server.port, data_dir, data)
            await openssh.start()
            send = openssh.upload
            bob = None
        else:
            bob, _ = await connect(server.port, *BOB)
            sftp = await bob.start_sftp_client()

            async def send(name: str) -> float:
                return await upload(sftp, data, name)

        rates_alone = [await send(f"alone-{i}.bin") for i in range(3)]

        typing_done = asyncio.Event()
        rates_typing: list[float] = []

        async def keep_uploading() -> None:
            i = 0
            while not typing_done.is_set():
                rates_typing.append(await send(f"busy-{i % 3}.bin"))
                i += 1

        uploader = asyncio.create_task(keep_uploading())
        await asyncio.sleep(0)  # let the first upload start before the first key
        busy = await type_keys(member, args.keys)
        typing_done.set()
        await uploader
        if bob is not None:
            bob.close()
        else:
            await openssh.stop()
        conn.close()

    rate = server.settings.sftp_rate_bytes
    pace = f"{rate / 1e6:g} MB/s per channel" if rate else "unlimited"
    size = f"{len(data) / 1e6:.1f} MB ({args.client}, {pace})"
    print(f"upload of {size} alone:         {max(rates_alone):6.1f} MB/s (best of 3)")
    print(
        f"upload of {size} while typing:  {sum(rates_typing) / len(rates_typing):6.1f} MB/s"
        f" (mean of {len(rates_typing)})"
    )
    print("keystroke latency (alice's home screen):")
    print(figures("alone", alone))
    print(figures("upload", busy))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=100, help="keystrokes per measure")
    parser.add_argument("--mib", type=int, default=10, help="size of the uploaded file (MiB)")
    parser.add_argument(
        "--client",
        choices=("openssh", "asyncssh"),
        default="openssh" if shutil.which("sftp") else "asyncssh",
        help="the uploading client (default: OpenSSH's sftp when installed)",
    )
    parser.add_argument(
        "--rate", type=int, default=None, help="sftp_rate_bytes (bytes/s; 0: unlimited)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
