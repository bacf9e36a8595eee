"""Operators start a real deployment from ``portal init --empty`` with the CLI alone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal.cli import main
from portal.config import load_settings
from portal.data import members as members_data
from portal.data.db import connect
from portal.services import gate, invitations
from portal.services.gate import GatePolicy

PASSWORD = "Lanterne-Orage-Piano-77"


def run(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_bootstrap_from_an_empty_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert run(capsys, data, "init", "--empty")[0] == 0
    code, out, _err = run(capsys, data, "org", "create", "CSE Acme")
    assert code == 0
    key = re.search(r"Identification key for sign-ups: (\S+)", out)
    assert key
    code, _out, err = run(capsys, data, "org", "create", "cse acme")
    assert code == 1 and "already exists" in err

    code, out, _err = run(
        capsys,
        data,
        "user",
        "create",
        "jeanne",
        "--org",
        "CSE Acme",
        "--role",
        "manager",
        "--email",
        "jeanne@acme.example",
        "--first-name",
        "Jeanne",
        "--last-name",
        "Durand",
    )
    assert code == 0, out
    activation = re.search(r"type this code: (\S+)", out)
    assert activation and "welcome@" in out
    code, _out, err = run(
        capsys,
        data,
        "user",
        "create",
        "paul",
        "--org",
        "Nowhere",
        "--role",
        "manager",
        "--email",
        "p@acme.example",
    )
    assert code == 1 and "No organization" in err
    code, _out, err = run(
        capsys, data, "user", "create", "paul", "--role", "manager", "--email", "p@acme.example"
    )
    assert code == 1 and "organization" in err
    code, _out, err = run(
        capsys,
        data,
        "user",
        "create",
        "jean2",
        "--org",
        "CSE Acme",
        "--role",
        "manager",
        "--email",
        "JEANNE@acme.example",
    )
    assert code == 1 and "already used" in err
    code, out, _err = run(
        capsys, data, "user", "create", "root", "--role", "admin", "--email", "root@acme.example"
    )
    assert code == 0 and "(admin)" in out

    code, out, _err = run(capsys, data, "members", "list", "--org", "CSE Acme")
    assert code == 0
    assert "jeanne" in out and "manager" in out and "invited" in out and "1 account(s)." in out

    settings = load_settings(environ={}, data_dir=data)
    db = connect(settings.db_path)
    try:
        member = invitations.activate(db, activation.group(1), PASSWORD, PASSWORD)
        assert member.role == "manager" and member.status == "active"
        attempt = gate.check_password(db, "jeanne", PASSWORD, ip="127.0.0.1", policy=GatePolicy())
        assert attempt.member is not None and attempt.member.organization_name == "CSE Acme"
        assert not members_data.get_member_by_login(db, "alice")  # no demo data
        admin = members_data.get_member_by_login(db, "root")
        assert admin is not None and admin.organization_id is None and admin.role == "admin"
    finally:
        db.conn.close()
    code, out, _err = run(capsys, data, "members", "list", "--org", "CSE Acme")
    assert "active" in out
