"""The server's ed25519 host key: generated once, kept with mode 0600."""

from __future__ import annotations

import os
from pathlib import Path

import asyncssh


def load_or_create_host_key(path: Path) -> asyncssh.SSHKey:
    """Load the host key, creating it on first start so the fingerprint stays stable."""
    if not path.exists():
        key = asyncssh.generate_private_key("ssh-ed25519")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key.export_private_key())
    os.chmod(path, 0o600)
    return asyncssh.read_private_key(str(path))


def fingerprint(path: Path) -> str:
    """SHA256 fingerprint of the host key, as OpenSSH prints it."""
    return asyncssh.read_private_key(str(path)).get_fingerprint("sha256")
