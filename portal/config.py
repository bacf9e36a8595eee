"""Typed settings.

Every field can be set by an environment variable named ``PORTAL_<FIELD>`` (upper case)
or by the optional TOML file named by ``PORTAL_CONFIG`` (default: ``portal.toml`` in the
data directory). The environment wins over the file, the file over the defaults.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints


@dataclass(frozen=True)
class Settings:
    """Runtime settings of one Portal process."""

    data_dir: Path = Path("var")
    """Where the database, host key, secrets key, mail and SFTP folders live."""
    host: str = "0.0.0.0"
    """Address the SSH server listens on."""
    port: int = 2222
    """TCP port of the SSH server."""
    idle_timeout: int = 30 * 60
    """Seconds without a keystroke before a session is closed."""
    session_lifetime: int = 12 * 3600
    """Absolute lifetime of a session in seconds, whatever its activity."""
    login_timeout: int = 60
    """Seconds allowed to complete authentication."""
    max_sessions: int = 500
    """Most sessions open at once on this process."""
    max_sessions_per_ip: int = 20
    """Most sessions open at once from one client address."""
    max_auth_failures: int = 6
    """Failed tries after which a connection is dropped."""
    guest_username: str = "welcome"
    """Reserved username that opens the guest entry without a password."""
    default_language: str = "fr"
    """Language of members who have not chosen one, and of the guest entry."""
    workers: int = 1
    """SSH worker processes sharing the port (SO_REUSEPORT); one per core is typical."""
    db_threads: int = 4
    """Worker threads (each with its own SQLite connection) for database work."""
    write_buffer_limit: int = 2 * 1024 * 1024
    """Bytes queued to a client that stops reading before it is dropped."""
    smtp_url: str = ""
    """SMTP relay (smtp://user:pass@host:port); empty means deliver to a Maildir folder."""
    mail_from: str = "Portal CSE <no-reply@portal.example>"
    """Sender address of outgoing email."""
    payment_confirm_delay: float = 5.0
    """Seconds before the sandbox payment provider confirms a payment."""
    public_host: str = "localhost"
    """Host name printed in the connection instructions."""
    log_level: str = "INFO"
    """Logging level of the server."""
    urssaf_thresholds: dict[str, int] = field(default_factory=lambda: {"2026": 20000})
    """Gift-voucher exemption per employee per year, in cents, by year."""

    @property
    def db_path(self) -> Path:
        """The SQLite database file."""
        return self.data_dir / "portal.db"

    @property
    def host_key_path(self) -> Path:
        """The ed25519 host key, created once with mode 0600."""
        return self.data_dir / "ssh_host_ed25519_key"

    @property
    def secret_key_path(self) -> Path:
        """Key file (mode 0600) that encrypts secrets stored in the database."""
        return self.data_dir / "secrets.key"

    @property
    def maildir(self) -> Path:
        """Maildir folder receiving email when no SMTP relay is set."""
        return self.data_dir / "mail"

    @property
    def files_dir(self) -> Path:
        """Root of the members' SFTP inbox/outbox folders."""
        return self.data_dir / "files"


def _coerce(value: Any, kind: Any) -> Any:
    if kind is Path:
        return Path(value)
    if kind is int:
        return int(value)
    if kind is float:
        return float(value)
    if kind is bool:
        return str(value).lower() in {"1", "true", "yes", "on"}
    if kind is str:
        return str(value)
    return value


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from defaults, the optional TOML file, the environment and overrides.

    Args:
        environ: Environment to read (default ``os.environ``).
        **overrides: Values that win over everything else (used by tests and the CLI).

    Returns:
        The settings.
    """
    env = dict(os.environ if environ is None else environ)
    hints = get_type_hints(Settings)
    values: dict[str, Any] = {}
    data_dir = Path(overrides.get("data_dir") or env.get("PORTAL_DATA_DIR") or "var")
    config_file = Path(env.get("PORTAL_CONFIG") or data_dir / "portal.toml")
    if config_file.is_file():
        with config_file.open("rb") as fh:
            for key, value in tomllib.load(fh).items():
                if key in hints:
                    values[key] = _coerce(value, hints[key])
    for f in dataclasses.fields(Settings):
        raw = env.get(f"PORTAL_{f.name.upper()}")
        if raw is not None and hints[f.name] is not dict[str, int]:
            values[f.name] = _coerce(raw, hints[f.name])
    values.update({k: _coerce(v, hints[k]) for k, v in overrides.items() if v is not None})
    values["data_dir"] = Path(values.get("data_dir", data_dir))
    return Settings(**values)
