"""Shared fixtures: a fresh temporary database per test, services, and app factories."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from portal.app import PortalApp, make_app
from portal.config import Settings, load_settings
from portal.data import members as members_data
from portal.data.db import connect
from portal.services.runtime import Services, init_database, make_services


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing at a fresh data directory, with demo data created."""
    s = load_settings(environ={}, data_dir=tmp_path / "data", port=0, host="127.0.0.1")
    init_database(s)
    return s


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    """The process services over the test's database."""
    svc = make_services(settings)
    yield svc
    svc.close()


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    """A direct connection to the test's database (for arranging and asserting)."""
    database = connect(settings.db_path)
    yield database
    database.conn.close()


@pytest.fixture
def app_for(services: Services, db: Database):  # type: ignore[no-untyped-def]
    """Build a PortalApp for a demo login: ``app_for("alice")``."""

    def build(login: str) -> PortalApp:
        member = members_data.get_member_by_login(db, login)
        assert member is not None, login
        return make_app(services, member, ip="127.0.0.1")

    return build
