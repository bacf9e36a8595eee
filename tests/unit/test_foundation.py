"""Data layer, settings and CLI of the foundation."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
import threading
from pathlib import Path

import pytest
from sqlite_utils import Database

from portal import cli
from portal.config import load_settings
from portal.data import members as members_data
from portal.data.db import Store, connect, migrate, transaction
from portal.services import audit, demo
from portal.services.accounts import check_password
from portal.services.passwords import hash_password, needs_rehash, verify_password


def test_every_connection_sets_the_pragmas(db: Database) -> None:
    pragma = lambda name: db.execute(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
    assert pragma("journal_mode") == "wal"
    assert pragma("foreign_keys") == 1
    assert pragma("synchronous") == 2  # FULL
    assert pragma("busy_timeout") >= 5000


def test_migrations_are_applied_once(db: Database) -> None:
    assert migrate(db) == []
    names = [r[0] for r in db.execute("SELECT name FROM _migrations")]
    assert names[0] == "m0001_foundation" and len(names) == len(set(names))


def test_audit_log_is_append_only(db: Database) -> None:
    entry = audit.record(db, "test.action", actor_id=1, reason="x")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE audit_log SET action = 'forged' WHERE id = ?", [entry])
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM audit_log WHERE id = ?", [entry])
    assert audit.recent(db, limit=1)[0].action == "test.action"


def test_audit_refuses_secrets(db: Database) -> None:
    with pytest.raises(ValueError):
        audit.record(db, "auth.login", password="hunter2")


def test_login_is_immutable(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        db.execute("UPDATE members SET login = 'alicia' WHERE login = 'alice'")


def test_transaction_rolls_back_everything_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError), transaction(db):
        members_data.create_organization(db, "Half written", None)
        raise RuntimeError("boom")
    assert "Half written" not in [o.name for o in members_data.list_organizations(db)]


def test_store_runs_sql_off_the_event_loop_thread(settings) -> None:  # type: ignore[no-untyped-def]
    store = Store(settings.db_path, threads=2)
    loop_thread = threading.get_ident()

    def where(db: Database) -> int:
        return threading.get_ident()

    try:
        worker = asyncio.run(store.run(where))
        assert worker != loop_thread
    finally:
        store.close()


def test_passwords_hash_with_argon2id_and_reject_wrong_ones() -> None:
    h = hash_password("Un mot de passe très long")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "Un mot de passe très long")
    assert not verify_password(h, "un mot de passe très long")
    assert not verify_password(None, "anything")
    assert not needs_rehash(h)


def test_check_password_only_lets_active_members_in(db: Database) -> None:
    assert check_password(db, "alice", "Soleil-Vert-2026!") is not None
    assert check_password(db, "ALICE", "Soleil-Vert-2026!") is not None  # logins ignore case
    assert check_password(db, "alice", "wrong") is None
    assert check_password(db, "ghost", "Soleil-Vert-2026!") is None
    alice = members_data.get_member_by_login(db, "alice")
    assert alice is not None
    members_data.set_status(db, alice.id, "deactivated")
    assert check_password(db, "alice", "Soleil-Vert-2026!") is None
    failures = [e for e in audit.recent(db) if e.action == "auth.password_failed"]
    assert len(failures) == 3
    assert all("Soleil" not in str(e.details) for e in failures)


def test_settings_from_env_and_toml(tmp_path: Path) -> None:
    (tmp_path / "portal.toml").write_text(
        'port = 2300\nidle_timeout = 60\nguest_username = "invite"\n'
    )
    s = load_settings(environ={"PORTAL_DATA_DIR": str(tmp_path), "PORTAL_PORT": "2400"})
    assert s.port == 2400  # the environment wins over the file
    assert s.idle_timeout == 60
    assert s.guest_username == "invite"
    assert s.db_path == tmp_path / "portal.db"


def test_init_creates_demo_data_key_files_and_modes(tmp_path: Path) -> None:
    assert cli.main(["--data-dir", str(tmp_path / "d"), "init"]) == 0
    db = connect(tmp_path / "d" / "portal.db")
    assert {o.name for o in members_data.list_organizations(db)} == {demo.DEMO_ORG, demo.OTHER_ORG}
    marc = members_data.get_member_by_login(db, "marc")
    assert marc is not None and marc.role == "manager"
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o700


def test_demo_reset_restores_the_demo(tmp_path: Path) -> None:
    data = tmp_path / "d"
    cli.main(["--data-dir", str(data), "init"])
    db = connect(data / "portal.db")
    members_data.create_organization(db, "Extra", None)
    audit.record(db, "something")
    db.conn.close()
    assert cli.main(["--data-dir", str(data), "demo"]) == 1  # asks first: no terminal here
    db = connect(data / "portal.db")
    assert "Extra" in {o.name for o in members_data.list_organizations(db)}
    db.conn.close()
    assert cli.main(["--data-dir", str(data), "demo", "--yes"]) == 0
    db = connect(data / "portal.db")
    assert "Extra" not in {o.name for o in members_data.list_organizations(db)}
    assert audit.recent(db) == []
    audit.record(db, "after.reset")
    with pytest.raises(sqlite3.IntegrityError):  # still append-only after the reset
        db.execute("DELETE FROM audit_log")


def test_backup_is_a_consistent_copy(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "d"
    cli.main(["--data-dir", str(data), "init"])
    target = tmp_path / "backup"
    assert cli.main(["--data-dir", str(data), "backup", str(target)]) == 0
    copy = connect(target / "portal.db")
    assert members_data.get_member_by_login(copy, "alice") is not None
    assert cli.main(["--data-dir", str(data), "backup", str(target)]) == 1  # never overwrites


def test_help_lists_every_command(capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for command in ("serve", "init", "demo", "backup", "restore", "renew"):
        assert command in out


def test_host_key_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    from portal.ssh.hostkey import fingerprint, load_or_create_host_key

    path = tmp_path / "key"
    load_or_create_host_key(path)
    first = fingerprint(path)
    load_or_create_host_key(path)
    assert fingerprint(path) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_store_calls_speak_the_sessions_language(settings) -> None:  # type: ignore[no-untyped-def]
    """A service translating a message in a worker thread uses the caller's language."""
    from portal.i18n import _, use_language

    store = Store(settings.db_path, threads=1)

    def greet(db: Database) -> str:
        return _("Log out")

    async def in_session(language: str) -> str:
        use_language(language)
        return await store.run(greet)

    try:
        assert asyncio.run(in_session("en")) == "Log out"
        assert asyncio.run(in_session("fr")) == "Se déconnecter"
    finally:
        store.close()


def test_print_sink_does_not_recurse_through_logging(capfd) -> None:  # type: ignore[no-untyped-def]
    """With no handler, logging writes to sys.stderr, which is the sink while an app runs."""
    import contextlib
    import logging as logging_module

    from portal.app import PRINT_SINK

    logger = logging_module.getLogger("portal.print")
    saved = (logger.handlers[:], logger.propagate, logging_module.root.handlers[:])
    logger.handlers.clear()
    logger.propagate = False  # only the last-resort handler is left
    try:
        with contextlib.redirect_stderr(PRINT_SINK):  # type: ignore[type-var]
            PRINT_SINK.write("hello from a print\n")
    finally:
        logger.handlers[:], logger.propagate = saved[0], saved[1]
    assert "hello from a print" in capfd.readouterr().err
