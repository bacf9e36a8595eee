"""The process-wide services container, built once and shared by every session.

It holds nothing about any one member: per-session state lives in each app's
``SessionContext``. ``make_services`` is the one factory used by the server, the CLI and
the tests.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from portal.config import Settings
from portal.data.db import Store, connect, migrate
from portal.services import demo, registry
from portal.services.crypto import SecretBox, load_or_create_box
from portal.services.issuing import Issuer, SandboxIssuer
from portal.services.payment_confirmation import PaymentConfirmer
from portal.services.payment_sandbox import SandboxProvider
from portal.services.payments import NOTIFY_PURPOSE, PaymentsRuntime
from portal.services.session_directory import (
    SessionDirectory,
    SessionInfo,
    StoredSessions,
    stored_session_infos,
)

__all__ = [
    "Services",
    "SessionDirectory",  # re-exported from session_directory for the SSH layer and tests
    "SessionInfo",
    "StoredSessions",
    "init_database",
    "make_services",
    "prepare_data_dir",
    "sandbox_payments",
    "stored_session_infos",
]

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Shared, thread-safe handles: settings, the database store, and feature services.

    Every feature service a session needs is a typed field here (no string-keyed bag):
    the process builds them once in ``make_services``.
    """

    settings: Settings
    store: Store
    secrets: SecretBox
    """Encrypts secrets stored in the database (key file outside it)."""
    payments: PaymentsRuntime
    """The card payment provider and the confirmation timer of this process."""
    issuer: Issuer
    """Issues e-cards and e-tickets (the sandbox; a partner's API plugs in here)."""
    sessions: SessionDirectory = field(default_factory=StoredSessions)
    """Live sessions; the SSH server installs its registry here."""

    def close(self) -> None:
        """Stop the payment timers, then release the worker threads and their connections."""
        self.payments.close()
        self.store.close()


def prepare_data_dir(settings: Settings) -> None:
    """Create the data directory (mode 0700) and its sub-folders."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.data_dir, 0o700)
    settings.files_dir.mkdir(exist_ok=True)


def init_database(settings: Settings, *, with_demo: bool = True) -> list[demo.DemoLogin]:
    """Create and migrate the database; add demo data on first start.

    Returns:
        The demo logins when they were just created, else an empty list.
    """
    prepare_data_dir(settings)
    db = connect(settings.db_path)
    try:
        migrate(db)
        if with_demo and not demo.has_data(db):
            return demo.seed(db, registry.demo_seeders())
        return []
    finally:
        db.conn.close()


def make_services(settings: Settings) -> Services:
    """Build the services of one process (the database must be initialised first)."""
    prepare_data_dir(settings)
    store = Store(settings.db_path, settings.db_threads)
    box = load_or_create_box(settings.secret_key_path)
    return Services(
        settings=settings,
        store=store,
        secrets=box,
        payments=sandbox_payments(store, settings, box),
        issuer=SandboxIssuer(settings.db_path, box),
    )


def sandbox_payments(
    store: Store, settings: Settings, box: SecretBox | None = None
) -> PaymentsRuntime:
    """The built-in sandbox provider and its confirmer (a real provider plugs in here)."""
    provider = SandboxProvider(
        box.derive_key(NOTIFY_PURPOSE) if box is not None else None,
        page_base=settings.public_url,
        notify_delay=settings.payment_notify_delay,
    )
    return PaymentsRuntime(provider, PaymentConfirmer(store, provider, settings))
