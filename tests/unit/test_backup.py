"""`portal backup DIR` and `portal restore DIR`: the database and its keys, checked first."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from portal import cli
from portal.config import load_settings
from portal.data import members as members_data
from portal.data.db import connect
from portal.services.runtime import make_services


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    assert cli.main(["--data-dir", str(folder), "init"]) == 0
    (folder / "ssh_host_ed25519_key").write_text("host key")  # made by the server's first start
    (folder / "ssh_host_ed25519_key").chmod(0o600)
    make_services(load_settings(environ={}, data_dir=folder)).close()  # creates secrets.key
    assert (folder / "secrets.key").exists()
    return folder


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_backup_holds_the_database_and_both_keys_mode_0600(data: Path, tmp_path: Path) -> None:
    target = tmp_path / "b1"
    assert cli.main(["--data-dir", str(data), "backup", str(target)]) == 0
    names = sorted(p.name for p in target.iterdir())
    assert {"portal.db", "secrets.key", "ssh_host_ed25519_key"} <= set(names)
    assert _mode(target) == 0o700
    for file in target.rglob("*"):
        assert _mode(file) == (0o700 if file.is_dir() else 0o600), file
    assert (target / "secrets.key").read_bytes() == (data / "secrets.key").read_bytes()


def test_a_backup_that_cannot_be_written_says_why_without_a_traceback(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--data-dir", str(data), "backup", str(tmp_path / "no" / "x")]) == 1
    err = capsys.readouterr().err
    assert "does not exist" in err and "Traceback" not in err
    assert not (tmp_path / "no").exists()


def test_restore_round_trip(data: Path, tmp_path: Path) -> None:
    inbox = data / "files" / "alice" / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "fiche.pdf").write_bytes(b"%PDF-1.4 before")
    target = tmp_path / "b2"
    assert cli.main(["--data-dir", str(data), "backup", str(target)]) == 0
    db = connect(data / "portal.db")
    members_data.create_organization(db, "Après la sauvegarde", None)
    db.conn.close()
    (data / "secrets.key").write_bytes(b"another key")
    (inbox / "fiche.pdf").write_bytes(b"changed")
    assert cli.main(["--data-dir", str(data), "restore", str(target)]) == 1  # asks first
    assert cli.main(["--data-dir", str(data), "restore", str(target), "--yes"]) == 0
    db = connect(data / "portal.db")
    names = {o.name for o in members_data.list_organizations(db)}
    assert "Après la sauvegarde" not in names and members_data.get_member_by_login(db, "alice")
    db.conn.close()
    assert (data / "secrets.key").read_bytes() == (target / "secrets.key").read_bytes()
    assert _mode(data / "portal.db") == 0o600
    assert (inbox / "fiche.pdf").read_bytes() == b"%PDF-1.4 before"  # files come back too


def test_a_damaged_backup_replaces_nothing(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "b3"
    assert cli.main(["--data-dir", str(data), "backup", str(target)]) == 0
    raw = bytearray((target / "portal.db").read_bytes())
    raw[4096 : 4096 + 2048] = b"\xff" * 2048  # overwrite a page in the middle
    (target / "portal.db").write_bytes(bytes(raw))
    before = (data / "portal.db").read_bytes()
    assert cli.main(["--data-dir", str(data), "restore", str(target), "--yes"]) == 1
    assert "damaged" in capsys.readouterr().err
    assert (data / "portal.db").read_bytes() == before
    assert cli.main(["--data-dir", str(data), "restore", str(tmp_path), "--yes"]) == 1
