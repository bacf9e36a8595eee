"""The `portal` command: serve, init, demo, backup, renew.

Also reachable as ``python -m portal`` and ``python server.py`` (which means ``serve``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path

from portal.config import Settings, load_settings
from portal.data import live_sessions
from portal.data.db import connect
from portal.operators import add_operator_commands
from portal.renew import add_renew_command
from portal.services import demo, registry
from portal.services.runtime import init_database, make_services


def _print_logins(settings: Settings, port: int, web_port: int | None = None) -> None:
    print(f"\nPortal is listening on port {port}. Connect with:\n")
    print(f"    ssh -p {port} alice@{settings.public_host}\n")
    if web_port is not None:
        print(f"Web pages (membership-card check) on port {web_port}: {settings.public_url}/\n")
    print("Demo logins (organization — login / password):")
    for d in demo.DEMO_LOGINS:
        print(f"    {d.organization:<11} {d.role:<8} {d.login:<6} / {d.password}")
    print(
        f"    guest entry (sign-up, activation, password reset): "
        f"ssh -p {port} {settings.guest_username}@{settings.public_host}"
    )
    print("\nStop with Ctrl+C.\n", flush=True)


async def _serve(settings: Settings, *, reuse_port: bool = False, announce: bool = True) -> None:
    from portal.ssh.server import PortalServer
    from portal.web.server import WebServer

    services = make_services(settings)
    server = PortalServer(services)
    await server.start(reuse_port=reuse_port)
    web_server = WebServer(services)
    try:
        await web_server.start(reuse_port=reuse_port)
    except BaseException:
        await server.close()
        services.close()
        raise
    if announce:  # the first (or only) worker: print once, resume work left by a restart
        await services.payments.confirmer.catch_up()
        _print_logins(settings, server.port, web_server.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    logging.getLogger("portal").info("shutting down (pid %d)", os.getpid())
    await web_server.close()
    await server.close()
    services.close()


def _forget_sessions(settings: Settings, worker: str | None = None) -> None:
    """Remove the live-session rows of every process, or of one that ended."""
    db = connect(settings.db_path)
    try:
        if worker is None:
            live_sessions.forget_all(db)
        else:
            live_sessions.forget_worker(db, worker)
    finally:
        db.conn.close()


def _serve_workers(settings: Settings, count: int) -> int:
    """Fork ``count`` worker processes that share the port through SO_REUSEPORT.

    Each worker is a whole server (its own event loop, sessions and database threads);
    SQLite in WAL mode serves them all. The parent only waits and forwards signals.
    """
    children: list[int] = []
    for index in range(count):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            code = 0
            try:
                asyncio.run(_serve(settings, reuse_port=True, announce=index == 0))
            except BaseException:
                logging.getLogger("portal").exception("worker %d failed", index)
                code = 1
            os._exit(code)
        children.append(pid)

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    status = 0
    for child in children:
        _pid, code = os.waitpid(child, 0)
        status = status or os.waitstatus_to_exitcode(code)
        # A worker that died without closing (killed) leaves rows behind.
        _forget_sessions(settings, live_sessions.worker_name(child))
    return status


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    """Create the database on first start, then serve (in one or several processes)."""
    created = init_database(settings)
    if created:
        print(f"Created {settings.db_path} with demo data.")
    from portal.ssh.hostkey import load_or_create_host_key

    load_or_create_host_key(settings.host_key_path)  # once, before any worker starts
    _forget_sessions(settings)  # sessions listed by a previous run ended with it
    if settings.workers > 1:
        return _serve_workers(settings, settings.workers)
    asyncio.run(_serve(settings))
    return 0


def cmd_init(settings: Settings, args: argparse.Namespace) -> int:
    """Create and migrate the database (with demo data unless --empty)."""
    created = init_database(settings, with_demo=not args.empty)
    print(f"Database ready: {settings.db_path}" + (" (demo data added)" if created else ""))
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    """Reset the demo data (asks first: every member and order is erased)."""
    from portal.data.db import migrate

    if not _confirmed(
        args, f"This erases every member, order and allocation in {settings.db_path}."
    ):
        return 1
    init_database(settings, with_demo=False)
    db = connect(settings.db_path)
    try:
        migrate(db)
        demo.reset(db, registry.demo_seeders())
    finally:
        db.conn.close()
    print("Demo data reset.")
    return 0


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    """Online backup of the database and its keys into a new directory (safe while serving)."""
    from portal.services.backup import BackupError, backup

    try:
        files = backup(settings, Path(args.directory))
    except BackupError as error:
        print(f"Backup not written: {error}", file=sys.stderr)
        return 1
    print(f"Backup written to {args.directory}: " + ", ".join(f.name for f in files))
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    """Replace the database and keys with a backup's, once it passes the integrity check."""
    from portal.services.backup import BackupError, restore

    if not _confirmed(
        args, f"This replaces the database and keys in {settings.data_dir}. Stop the server first."
    ):
        return 1
    try:
        files = restore(settings, Path(args.directory))
    except BackupError as error:
        print(f"Nothing restored: {error}", file=sys.stderr)
        return 1
    print("Restored: " + ", ".join(str(f) for f in files))
    return 0


def cmd_reconcile(settings: Settings, args: argparse.Namespace) -> int:
    """Compare card payments with the provider's view; repair or report each mismatch."""
    from portal.services.reconciliation import reconcile

    init_database(settings, with_demo=False)
    services = make_services(settings)
    try:
        provider = services.payments.provider
        report = services.store.run_sync(reconcile, provider, settings=settings)
    finally:
        services.close()
    print(report.text())
    return 1 if report.unresolved else 0


def cmd_verify_card(settings: Settings, args: argparse.Namespace) -> int:
    """Check a membership card's token as the partner page does (the check is counted)."""
    from portal.i18n import get_translator
    from portal.services import membership
    from portal.services.crypto import load_or_create_box

    init_database(settings, with_demo=False)
    token = args.token.rsplit("/", 1)[-1]  # the token, or the whole address of the QR code
    db = connect(settings.db_path)
    try:
        secrets = load_or_create_box(settings.secret_key_path)
        verdict = membership.verify(db, token, secrets=secrets)
    finally:
        db.conn.close()
    print(
        f"{membership.describe(verdict, get_translator(settings.default_language))} "
        f"[{verdict.reason}]"
    )
    return 0 if verdict.valid else 1


def _confirmed(args: argparse.Namespace, warning: str) -> bool:
    """True with --yes, or when the operator types "yes" at the terminal."""
    if getattr(args, "yes", False):
        return True
    print(warning, file=sys.stderr)
    if not sys.stdin or not sys.stdin.isatty():
        print("Run it again with --yes to confirm.", file=sys.stderr)
        return False
    answer = input('Type "yes" to go on: ').strip().lower()
    if answer != "yes":
        print("Nothing changed.", file=sys.stderr)
        return False
    return True


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = argparse.ArgumentParser(
        prog="portal",
        description="Portal: a CSE member space served over SSH.",
        epilog="Settings come from PORTAL_* environment variables or portal.toml in the data directory.",
    )
    parser.add_argument("--data-dir", help="data directory (default ./var, or PORTAL_DATA_DIR)")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve", help="start the SSH server (creates the database on first start)"
    )
    serve.add_argument("--port", type=int, help="TCP port (default 2222, or PORTAL_PORT)")
    serve.add_argument("--host", help="listen address (default 0.0.0.0, or PORTAL_HOST)")
    serve.add_argument(
        "--workers", type=int, help="processes sharing the port (default 1, or PORTAL_WORKERS)"
    )
    serve.set_defaults(func=cmd_serve)
    init = sub.add_parser("init", help="create and migrate the database")
    init.add_argument("--empty", action="store_true", help="do not add demo data")
    init.set_defaults(func=cmd_init)
    demo_cmd = sub.add_parser("demo", help="reset the demo data (erases everything)")
    demo_cmd.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    demo_cmd.set_defaults(func=cmd_demo)
    backup = sub.add_parser(
        "backup", help="write an online backup of the database and its keys (mode 0600)"
    )
    backup.add_argument("directory", help="new directory to create")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="restore a backup directory (stop the server first)")
    restore.add_argument("directory", help="a directory written by `portal backup`")
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    restore.set_defaults(func=cmd_restore)
    reconcile_cmd = sub.add_parser(
        "reconcile", help="compare card payments with the provider's and repair mismatches"
    )
    reconcile_cmd.set_defaults(func=cmd_reconcile)
    verify_card = sub.add_parser(
        "verify-card", help="check a membership card's token (or QR address); counted"
    )
    verify_card.add_argument("token", help="the token, or the address the QR code holds")
    verify_card.set_defaults(func=cmd_verify_card)
    add_renew_command(sub)
    add_operator_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `portal` console script."""
    args = build_parser().parse_args(argv)
    overrides = {k: getattr(args, k, None) for k in ("data_dir", "port", "host", "workers")}
    settings = load_settings(**overrides)
    logging.basicConfig(
        level=settings.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("asyncssh").setLevel(logging.WARNING)
    return int(args.func(settings, args))
