"""Typed settings.

Every field can be set by an environment variable named ``PORTAL_<FIELD>`` (upper case)
or by the optional TOML file named by ``PORTAL_CONFIG`` (default: ``portal.toml`` in the
data directory). The environment wins over the file, the file over the defaults.
"""

from __future__ import annotations

import dataclasses
import os
import socket
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
    """Most sessions open at once (in all, shared by the workers); a connection has at most
    one session, and connections without one do not count."""
    max_sessions_per_ip: int = 20
    """Most sessions open at once from one client address (shared by the workers)."""
    max_unauthenticated: int = 100
    """Most connections still authenticating at once on this process (like OpenSSH's
    ``MaxStartups``); more are refused before key exchange."""
    max_unauthenticated_per_ip: int = 10
    """Most connections still authenticating at once from one client address (like
    ``PerSourceMaxStartups``), so one address cannot use up the total."""
    connection_rate_per_ip: float = 5.0
    """New connections per second one address may open, on average (a token bucket
    checked before key exchange); 0 turns the limit off."""
    connection_burst_per_ip: int = 10
    """Connections one address may open at once before ``connection_rate_per_ip``
    applies (the bucket's size)."""
    handshake_timeout: float = 10.0
    """Seconds a new connection has to send its SSH version and complete the key exchange
    (before ``login_timeout`` applies to authentication); a half-open or silent one is
    dropped then, freeing its address's unauthenticated slot."""
    session_open_timeout: float = 10.0
    """Seconds an authenticated connection may stay without a session (and a session
    channel without a shell) before it is closed."""
    keepalive_interval: int = 30
    """Seconds of silence after which the server checks the client is still there."""
    keepalive_count_max: int = 3
    """Unanswered keepalives after which a dead client's connection is dropped."""
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
    ecard_issue_delay: float = 20.0
    """Seconds between an order's validation and the issue of its e-cards and e-tickets
    (the seed's partner takes 2 to 4 hours: 7200 to 14400; small for the demo)."""
    payment_confirm_delay: float = 5.0
    """Seconds between a card payment's authorization (the provider's notification) and
    its capture, which validates the order."""
    payment_timeout: int = 30 * 60
    """Seconds a member has to pay on the provider's page; after that the order expires
    and the benefits it reserved are released."""
    payment_notify_delay: float = 2.0
    """Seconds before the sandbox provider posts its signed notification (the seed's
    provider takes about 20 minutes: 1200)."""
    public_host: str = field(default_factory=socket.gethostname)
    """Host name people type to reach the server (``PORTAL_PUBLIC_HOST``), printed in the
    connection instructions and the ``sftp``/``scp`` commands; default the machine's name."""
    sftp_max_file_bytes: int = 10 * 1024 * 1024
    """Largest file a member may upload over SFTP (bytes); a bigger one is refused."""
    sftp_quota_bytes: int = 100 * 1024 * 1024
    """Most bytes a member's SFTP inbox may hold (uploads in progress included)."""
    sftp_max_inbox_files: int = 100
    """Most files a member's SFTP inbox may hold."""
    sftp_rate_bytes: int = 32 * 1000 * 1000
    """Bytes per second one SFTP channel may upload or download (a token bucket), so a
    transfer leaves the shared event loop to the other sessions; 0 means unlimited."""
    log_level: str = "INFO"
    """Logging level of the server."""
    http_port: int = 8080
    """TCP port of the web pages (membership-card verification, sandbox payment page);
    0 picks a free port (tests). Workers share it like the SSH port."""
    http_host: str = ""
    """Address the web server listens on; empty means the SSH server's ``host``."""
    public_url: str = ""
    """Address of the web pages as people reach them (printed in QR codes and links), e.g.
    ``https://portal.example`` behind a TLS reverse proxy; empty means
    ``http://<public_host>:<http_port>`` (filled when the settings are built: a
    ``dataclasses.replace`` of the port keeps the address already derived)."""
    http_rate_per_ip: float = 1.0
    """Web requests per second one client address may make, on average (a token bucket);
    0 turns the limit off."""
    http_burst_per_ip: int = 20
    """Web requests one client address may make at once before ``http_rate_per_ip``
    applies (the bucket's size)."""
    membership_year_end: str = "12-31"
    """Last day (MM-DD) of the membership year: an active member's card is valid until
    the next such day."""
    urssaf_thresholds: dict[str, int] = field(default_factory=lambda: {"2026": 20000})
    """Gift-voucher exemption per employee per year, in cents, by year."""
    seller_name: str = "Portal CSE SAS"
    """Seller's company name printed on invoices and credit notes (mentions légales)."""
    seller_address: str = "1 rue de l'Exemple, 69002 Lyon, France"
    """Seller's registered office, on one line (``PORTAL_SELLER_ADDRESS``)."""
    seller_siret: str = "000 000 000 00000"
    """Seller's SIRET number (14 digits), required on French invoices."""
    seller_vat_number: str = "FR00000000000"
    """Seller's intra-community VAT number (numéro de TVA intracommunautaire)."""
    seller_legal_form: str = "SAS"
    """Seller's legal form (SAS, SARL, association...)."""
    seller_capital: str = "10 000 €"
    """Seller's share capital as printed (empty: not printed, e.g. an association)."""
    return_window_days: int = 14
    """Days after delivery during which a member may ask to return a physical product."""
    return_transit_days: int = 3
    """Days a parcel is assumed to travel when no delivery date is recorded: the return
    window then runs from the shipping day plus these days (``PORTAL_RETURN_TRANSIT_DAYS``)."""

    def __post_init__(self) -> None:
        # Derived defaults, filled once so every reader sees the same address.
        if not self.http_host:
            object.__setattr__(self, "http_host", self.host)
        if not self.public_url:
            object.__setattr__(self, "public_url", f"http://{self.public_host}:{self.http_port}")
        object.__setattr__(self, "public_url", self.public_url.rstrip("/"))

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
